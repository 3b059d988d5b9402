// A session: the state of a batch of B sequences plus cached execution plans
// (temp buffers and kernel arguments) per sequence length.
#ifndef SSMC_SRC_SESSION_H
#define SSMC_SRC_SESSION_H

#include "model.h"

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace ssmc {

class DeviceSampler;
class Sampler;

// One step of a profiled run (the entry point's steps, in order): a kernel or
// a GEMM, with the bytes of its operands (each read or written once) and its
// device time.
struct StepTime {
  bool gemm = false;
  bool skinny = false; // the GEMM ran as a skinny-GEMM kernel
  bool fused = false;  // ... that also did the steps around it (its time is theirs)
  bool fusedAway = false; // a step such a kernel did: no time of its own
  int64_t m = 0, n = 0, k = 0; // GEMM sizes
  int64_t bytes = 0;
  double ms = 0;
};

// What a prefill's logits cover: every position ([B, L, padded_vocab]), or
// each sequence's last position only ([B, padded_vocab]; the lm_head product
// then runs on B rows instead of B * L), which is all generation needs.
enum class PrefillLogits { All, Last };

class Session {
public:
  // Throws RuntimeError(InvalidArgument) when batch < 1.
  Session(std::shared_ptr<const Model> model, int64_t batch);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  int64_t batch() const { return batch_; }
  void setPrefillLogits(PrefillLogits mode) { prefillLogits_ = mode; }
  PrefillLogits prefillLogits() const { return prefillLogits_; }
  // How a prefill treats the state it finds.
  enum class From { Empty, State };
  // tokens: [B, L] row-major. Checks every id first. From::Empty starts
  // every sequence afresh; From::State continues each from its state, as if
  // its earlier tokens and these were one prompt (Unsupported for artifacts
  // whose prefill only writes the state: canContinue()).
  void prefill(const int32_t *tokens, int64_t length, From from = From::Empty);
  bool canContinue() const;
  // tokens: [rows]. Sequences [0, rows) take one step (rows in [1, B]);
  // the others keep their state. Afterwards logits() is [rows,
  // padded_vocab]: only the sequences that stepped have next-token logits.
  // Each row count is a plan of its own (and on cuda its own graph), so a
  // batch whose live sequences are its first few decodes only those.
  void decode(const int32_t *tokens, int64_t rows);
  void decode(const int32_t *tokens) { decode(tokens, batch_); }
  // Runs one prefill (length >= 1, tokens [B, L]) or decode step (length 0,
  // tokens [B]) a step at a time, each timed alone on the device.
  std::vector<StepTime> profile(const int32_t *tokens, int64_t length);
  // Prefills tokens [L] as sequence `b` alone, in a batch-1 session of the
  // same model kept for the purpose (session_sequences.cpp): b's state is
  // replaced, the other sequences' state is untouched. Afterwards logits()
  // is [B, padded_vocab], every sequence's next-token logits: b's from this
  // prefill, the others' as they were. Prompts of different lengths thus
  // prefill without padding (varlen), and a new sequence can take the slot
  // of a finished one while the others keep decoding (continuous batching).
  // From::State continues sequence b from its state instead.
  void prefillSequence(int64_t b, const int32_t *tokens, int64_t length,
                       From from = From::Empty);
  // Every sequence b from lengths[b] tokens, the prompts one after another
  // in `tokens`; every length and id is checked first. The shortest length's
  // worth of every prompt prefills as one batch, each longer prompt's rest
  // then continues alone (prefillSequence, From::State); artifacts whose
  // prefill cannot continue run every prompt alone.
  void prefillVarlen(const int32_t *tokens, const int64_t *lengths);
  // The logits of the last prefill/decode (host memory, valid until the next
  // call), or the [B, padded_vocab] rows after prefillSequence; nullptr
  // before any call.
  const float *logits(std::vector<int64_t> &shape) const;
  // The last prefill/decode's logits where they lie on the device, when the
  // artifact can sample them there (its sampler kernel; not with
  // SSMC_HOST_SAMPLING=1); else nullptr, and logits() is the way.
  const float *deviceLogits(std::vector<int64_t> &shape) const;
  // The next token of sequences [0, count) from rows of deviceLogits() (row
  // b at rows + b * rowStride) on the device (device_sampler.h).
  void sampleOnDevice(Sampler &sampler, const float *rows, int64_t rowStride, int64_t vocab,
                      int32_t *out, int64_t count) const;

  size_t stateBytes(const std::string &name) const;
  void readState(const std::string &name, void *dst, size_t bytes) const;
  void writeState(const std::string &name, const void *src, size_t bytes);
  void resetState();

  // Raw access for snapshots (snapshot.cpp): state i in manifest order,
  // `bytes` at byte `offset` (the caller checks the range).
  const Model &model() const { return *model_; }
  size_t stateCount() const { return state_.size(); }
  size_t stateBytesAt(size_t i) const { return stateBytes_[i]; }
  void copyStateOut(size_t i, size_t offset, void *dst, size_t bytes) const;
  void copyStateIn(size_t i, size_t offset, const void *src, size_t bytes);
  void copyStateWithin(size_t i, size_t to, size_t from, size_t bytes);

private:
  struct Plan;
  // The plan of `rows` sequences (the first ones of the batch).
  Plan &planFor(const EntryPoint &ep, int64_t length, int64_t rows);
  // Checks the tokens, binds the plan (length 0: decode) and copies them in.
  Plan &stage(const int32_t *tokens, int64_t length, int64_t rows);
  void checkTokens(const int32_t *tokens, int64_t count, int64_t length) const;
  // Every sequence's next-token logits [B, padded_vocab] (zeros for a
  // sequence never run, or left out of the last decode).
  std::vector<float> nextTokenLogits() const;
  void execute(Plan &plan);
  // After a plan ran: its logits become the session's.
  void finished(Plan &plan);
  // Runs plan.actions[action].
  void run(Plan &plan, size_t action);
  int stateIndex(const std::string &name) const;

  std::shared_ptr<const Model> model_;
  int64_t batch_;
  PrefillLogits prefillLogits_ = PrefillLogits::All;
  std::vector<void *> state_;
  std::vector<size_t> stateBytes_;
  std::list<std::unique_ptr<Plan>> plans_; // most recently used first
  const Plan *last_ = nullptr;
  // Host copy of the last logits when the backend's memory is on a device.
  mutable std::vector<float> hostLogits_;
  mutable bool logitsStale_ = true;
  // prefillSequence's helper session (batch 1) and the logits rows it left.
  std::unique_ptr<Session> single_;
  mutable std::unique_ptr<DeviceSampler> deviceSampler_; // made on first use
  std::vector<float> rows_;
  bool rowsCurrent_ = false;
};

} // namespace ssmc

#endif // SSMC_SRC_SESSION_H
