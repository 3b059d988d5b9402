// Sampling on the device (the CUDA target): the artifact's sampler kernel
// (passes/gpu/SamplerKernel.h) reduces each row of next-token logits to a
// complete top set of candidates and a summary; only those come back, and
// Sampler::sampleCandidates picks the tokens from them, fetching a whole row
// only when its candidates cannot decide (a flat distribution, a top-k
// larger than the buffer). The repetition penalty's seen sets live on the
// device as a byte mask per sequence, kept in step with the Sampler.
#ifndef SSMC_SRC_DEVICE_SAMPLER_H
#define SSMC_SRC_DEVICE_SAMPLER_H

#include "backend.h"
#include "sampling.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ssmc {

class DeviceSampler {
public:
  // Candidates per row: enough for any top-k up to this and for the top-p
  // of a peaked distribution.
  static constexpr int64_t kCandidates = 256;

  DeviceSampler(Backend &backend, int64_t batch, int64_t paddedVocab);
  ~DeviceSampler();
  DeviceSampler(const DeviceSampler &) = delete;
  DeviceSampler &operator=(const DeviceSampler &) = delete;

  // out[b] for the rows logits + b * rowStride (device memory, `vocab`
  // floats each), b < rows (after a decode of the first rows; the other
  // sequences and their out entries are left alone), as sampler.sample
  // would pick them from the same rows. The sampler's batch is the
  // session's; each sequence samples with its own settings.
  void sample(Sampler &sampler, const float *logits, int64_t rowStride, int64_t vocab,
              int32_t *out, int64_t rows);

private:
  // The control words: each row's temperature and penalty, and the seen
  // ids its mask lacks (rows cleared first where the sampler forgot its set
  // or another sampler's is there).
  std::vector<int32_t> controlFor(const Sampler &sampler, int64_t rows);
  void reserveControl(size_t words);

  Backend &be_;
  int64_t batch_, paddedVocab_;
  void *mask_ = nullptr;    // u8 [batch, paddedVocab]
  void *results_ = nullptr; // f64 summary [batch, 8], i32 ids, f32 logits [batch, K]
  void *control_ = nullptr;
  size_t controlWords_ = 0;
  std::vector<uint8_t> hostResults_;
  // What each row of the mask holds: whose seen set, how often it was
  // cleared, and how many of its ids are marked.
  std::vector<uint64_t> maskOwner_;
  std::vector<uint64_t> maskClears_;
  std::vector<size_t> maskSeen_;
  // The prepared launch for the last (logits, row stride, vocab, rows,
  // control).
  std::unique_ptr<PreparedKernel> kernel_;
  const float *kernelLogits_ = nullptr;
  int64_t kernelStride_ = 0, kernelVocab_ = 0, kernelRows_ = 0;
};

} // namespace ssmc

#endif // SSMC_SRC_DEVICE_SAMPLER_H
