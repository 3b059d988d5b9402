// A thin RAII wrapper over the C API (runtime.h): owning handles, failures
// thrown as ssmc::RuntimeError with the C status and message.
#ifndef SSMC_RUNTIME_HPP
#define SSMC_RUNTIME_HPP

#include "ssmc/error.h"
#include "ssmc/runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace ssmc {

inline void check(ssmc_status s) {
  if (s != SSMC_OK)
    throw RuntimeError(static_cast<ErrorCode>(s), ssmc_last_error());
}

// A view of logits owned by the session (valid until its next call).
struct Logits {
  const float *data = nullptr;
  std::vector<int64_t> shape;
};

class Model {
public:
  explicit Model(const std::string &path, bool verifyChecksums = true,
                 int numThreads = 0, ssmc_device device = SSMC_DEVICE_AUTO) {
    ssmc_load_options o;
    ssmc_load_options_init(&o);
    o.verify_checksums = verifyChecksums;
    o.num_threads = numThreads;
    o.device = device;
    ssmc_model *m = nullptr;
    check(ssmc_model_load(path.c_str(), &o, &m));
    handle_.reset(m);
  }
  ssmc_model_info_t info() const {
    ssmc_model_info_t i;
    check(ssmc_model_info(handle_.get(), &i));
    return i;
  }
  std::vector<std::string> stateNames() const {
    std::vector<std::string> names;
    for (int32_t i = 0; i < info().n_state; ++i) {
      const char *n = nullptr;
      check(ssmc_model_state_name(handle_.get(), i, &n));
      names.emplace_back(n);
    }
    return names;
  }
  ssmc_model *get() const { return handle_.get(); }

private:
  struct Free {
    void operator()(ssmc_model *m) const { ssmc_model_free(m); }
  };
  std::unique_ptr<ssmc_model, Free> handle_;
};

class Session {
public:
  Session(const Model &model, int64_t batch) {
    ssmc_session *s = nullptr;
    check(ssmc_session_create(model.get(), batch, &s));
    handle_.reset(s);
    batch_ = batch;
  }
  void prefill(const std::vector<int32_t> &tokens, int64_t length) {
    check(ssmc_prefill(handle_.get(), tokens.data(), length));
  }
  // Every sequence goes on from its state (ssmc_prefill_continue).
  void prefillContinue(const std::vector<int32_t> &tokens, int64_t length) {
    check(ssmc_prefill_continue(handle_.get(), tokens.data(), length));
  }
  void decode(const std::vector<int32_t> &tokens) {
    check(ssmc_decode(handle_.get(), tokens.data()));
  }
  // Sequences [0, tokens.size()) take a step, the others keep their state
  // (ssmc_decode_rows).
  void decodeRows(const std::vector<int32_t> &tokens) {
    check(ssmc_decode_rows(handle_.get(), static_cast<int64_t>(tokens.size()), tokens.data()));
  }
  // Sequence `to`'s state becomes a copy of `from`'s (ssmc_copy_sequence).
  void copySequence(int64_t from, int64_t to) {
    check(ssmc_copy_sequence(handle_.get(), from, to));
  }
  void setPrefillLogits(int32_t mode) {
    check(ssmc_session_set_prefill_logits(handle_.get(), mode));
  }
  // One sequence alone (continuous batching); logits() is then [B, V].
  void prefillSequence(int64_t sequence, const std::vector<int32_t> &tokens) {
    check(ssmc_prefill_sequence(handle_.get(), sequence, tokens.data(),
                                static_cast<int64_t>(tokens.size())));
  }
  // One sequence goes on from its state (ssmc_prefill_sequence_continue).
  void prefillSequenceContinue(int64_t sequence, const std::vector<int32_t> &tokens) {
    check(ssmc_prefill_sequence_continue(handle_.get(), sequence, tokens.data(),
                                         static_cast<int64_t>(tokens.size())));
  }
  // Every sequence from its own prompt (lengths may differ).
  void prefillVarlen(const std::vector<std::vector<int32_t>> &prompts) {
    std::vector<int32_t> tokens;
    std::vector<int64_t> lengths;
    for (const auto &p : prompts) {
      tokens.insert(tokens.end(), p.begin(), p.end());
      lengths.push_back(static_cast<int64_t>(p.size()));
    }
    check(ssmc_prefill_varlen(handle_.get(), tokens.data(), lengths.data()));
  }
  Logits logits() const {
    Logits l;
    int64_t dims[SSMC_MAX_RANK];
    int32_t rank = 0;
    check(ssmc_logits(handle_.get(), &l.data, dims, &rank));
    l.shape.assign(dims, dims + rank);
    return l;
  }
  std::vector<uint8_t> readState(const std::string &name) const {
    size_t n = 0;
    check(ssmc_state_nbytes(handle_.get(), name.c_str(), &n));
    std::vector<uint8_t> bytes(n);
    check(ssmc_state_read(handle_.get(), name.c_str(), bytes.data(), n));
    return bytes;
  }
  void writeState(const std::string &name, const std::vector<uint8_t> &bytes) {
    check(ssmc_state_write(handle_.get(), name.c_str(), bytes.data(), bytes.size()));
  }
  void reset() { check(ssmc_session_reset(handle_.get())); }
  ssmc_session *get() const { return handle_.get(); }
  int64_t batch() const { return batch_; }

  // One sequence's state (see ssmc_snapshot_*).
  std::vector<uint8_t> saveSnapshot(int64_t sequence) const {
    size_t n = 0;
    check(ssmc_snapshot_size(handle_.get(), &n));
    std::vector<uint8_t> bytes(n);
    check(ssmc_snapshot_save(handle_.get(), sequence, bytes.data(), n));
    return bytes;
  }
  void loadSnapshot(int64_t sequence, const std::vector<uint8_t> &bytes) {
    check(ssmc_snapshot_load(handle_.get(), sequence, bytes.data(), bytes.size()));
  }
  void fork(const std::vector<uint8_t> &bytes, const std::vector<int64_t> &sequences) {
    check(ssmc_snapshot_fork(handle_.get(), bytes.data(), bytes.size(), sequences.data(),
                             static_cast<int64_t>(sequences.size())));
  }

  // ssmc_generate; returns the generated ids of each sequence.
  std::vector<std::vector<int32_t>> generate(const std::vector<int32_t> &prompt,
                                             int64_t length,
                                             const ssmc_sampler_params &params) {
    const int64_t batch = batch_;
    size_t cap = static_cast<size_t>(batch * (params.max_new_tokens > 0 ? params.max_new_tokens : 0));
    std::vector<int32_t> out(cap > 0 ? cap : 1);
    std::vector<int64_t> counts(static_cast<size_t>(batch));
    check(ssmc_generate(handle_.get(), length > 0 ? prompt.data() : nullptr, length, &params,
                        out.data(), counts.data(), nullptr, nullptr));
    std::vector<std::vector<int32_t>> rows(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b)
      rows[static_cast<size_t>(b)].assign(
          out.begin() + b * params.max_new_tokens,
          out.begin() + b * params.max_new_tokens + counts[static_cast<size_t>(b)]);
    return rows;
  }

private:
  struct Free {
    void operator()(ssmc_session *s) const { ssmc_session_free(s); }
  };
  std::unique_ptr<ssmc_session, Free> handle_;
  int64_t batch_ = 0;
};

// A sampler for `batch` sequences (see ssmc_sampler_*).
class Sampler {
public:
  Sampler(const ssmc_sampler_params &params, int64_t batch) {
    ssmc_sampler *s = nullptr;
    check(ssmc_sampler_create(&params, batch, &s));
    handle_.reset(s);
  }
  void observe(const std::vector<int32_t> &tokens, int64_t length) {
    check(ssmc_sampler_observe(handle_.get(), tokens.data(), length));
  }
  void sample(const Session &session, int32_t *out) {
    check(ssmc_sample(handle_.get(), session.get(), out));
  }
  void sampleLogits(const float *logits, int64_t rowStride, int64_t vocab, int32_t *out) {
    check(ssmc_sample_logits(handle_.get(), logits, rowStride, vocab, out));
  }
  void reset() { check(ssmc_sampler_reset(handle_.get())); }
  ssmc_sampler *get() const { return handle_.get(); }
  void setSequenceParams(int64_t sequence, const ssmc_sampler_params &params) {
    check(ssmc_sampler_set_sequence_params(handle_.get(), sequence, &params));
  }
  void restartSequence(int64_t sequence, uint64_t seed, const std::vector<int32_t> &prompt) {
    check(ssmc_sampler_restart_sequence(handle_.get(), sequence, seed, prompt.data(),
                                        static_cast<int64_t>(prompt.size())));
  }
  // Slot `to` samples as slot `from` does (ssmc_sampler_copy_sequence).
  void copySequence(int64_t from, int64_t to) {
    check(ssmc_sampler_copy_sequence(handle_.get(), from, to));
  }

private:
  struct Free {
    void operator()(ssmc_sampler *s) const { ssmc_sampler_free(s); }
  };
  std::unique_ptr<ssmc_sampler, Free> handle_;
};

} // namespace ssmc

#endif // SSMC_RUNTIME_HPP
