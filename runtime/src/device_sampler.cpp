#include "device_sampler.h"

#include "ssmc/error.h"

#include <cstring>
#include <string>

namespace ssmc {

namespace {

// The summary's f64 words per row (passes/gpu/SamplerKernel.h).
constexpr int64_t kSummaryWords = 8;

// A contiguous [rows, cols] view.
Descriptor rowsOf(const void *base, int64_t rows, int64_t cols) {
  return memrefDescriptor(base, 0, {rows, cols}, {cols, 1});
}

int32_t bitsOf(float f) {
  int32_t w;
  std::memcpy(&w, &f, sizeof w);
  return w;
}

} // namespace

DeviceSampler::DeviceSampler(Backend &backend, int64_t batch, int64_t paddedVocab)
    : be_(backend), batch_(batch), paddedVocab_(paddedVocab),
      maskOwner_(static_cast<size_t>(batch), 0), maskClears_(static_cast<size_t>(batch), 0),
      maskSeen_(static_cast<size_t>(batch), 0) {
  mask_ = be_.allocate(static_cast<size_t>(batch * paddedVocab));
  // Summaries, then candidate ids, then candidate logits (see sample()).
  hostResults_.resize(size_t(batch) * (kSummaryWords * sizeof(double) +
                                       kCandidates * (sizeof(int32_t) + sizeof(float))));
  results_ = be_.allocate(hostResults_.size());
  reserveControl(static_cast<size_t>(3 + 2 * batch + 1024));
}

DeviceSampler::~DeviceSampler() {
  kernel_.reset();
  be_.release(mask_);
  be_.release(results_);
  be_.release(control_);
}

void DeviceSampler::reserveControl(size_t words) {
  if (words <= controlWords_)
    return;
  kernel_.reset(); // its descriptors point at the old buffer
  if (control_)
    be_.release(control_);
  controlWords_ = words * 2;
  control_ = be_.allocate(controlWords_ * sizeof(int32_t));
}

std::vector<int32_t> DeviceSampler::controlFor(const Sampler &sampler, int64_t rows) {
  std::vector<int32_t> words, offsets{0}, clears, ids;
  for (int64_t b = 0; b < rows; ++b) {
    const SamplerParams &p = sampler.params(b);
    const float penalty = static_cast<float>(p.repetitionPenalty);
    words.push_back(bitsOf(static_cast<float>(p.temperature)));
    words.push_back(bitsOf(penalty));
    // A penalized row's mask catches up with its seen set: from scratch
    // when it held another sampler's set or the set was forgotten since.
    size_t from = maskSeen_[size_t(b)];
    bool clear = false;
    if (penalty != 1.0f) {
      if (maskOwner_[size_t(b)] != sampler.uid() ||
          maskClears_[size_t(b)] != sampler.seenClears(b)) {
        clear = true;
        from = 0;
      }
      const std::vector<int32_t> &seen = sampler.seenInOrder(b);
      ids.insert(ids.end(), seen.begin() + long(from), seen.end());
      maskOwner_[size_t(b)] = sampler.uid();
      maskClears_[size_t(b)] = sampler.seenClears(b);
      maskSeen_[size_t(b)] = seen.size();
    }
    offsets.push_back(static_cast<int32_t>(ids.size()));
    clears.push_back(clear ? 1 : 0);
  }
  words.insert(words.end(), offsets.begin(), offsets.end());
  words.insert(words.end(), clears.begin(), clears.end());
  words.insert(words.end(), ids.begin(), ids.end());
  return words;
}

void DeviceSampler::sample(Sampler &sampler, const float *logits, int64_t rowStride,
                           int64_t vocab, int32_t *out, int64_t rows) {
  if (rows < 1 || rows > batch_)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "device sampler: " + std::to_string(rows) + " rows for a batch of " +
                           std::to_string(batch_));
  // The kernel takes a block per row of `logits` and the control words of
  // as many rows; the rest of the batch is not touched.
  std::vector<int32_t> control = controlFor(sampler, rows);
  reserveControl(control.size());
  be_.copyToDevice(control_, control.data(), control.size() * sizeof(int32_t));

  // The results' layout, the same on the device and in hostResults_.
  const size_t idsAt = size_t(batch_ * kSummaryWords) * sizeof(double);
  const size_t valsAt = idsAt + size_t(batch_ * kCandidates) * sizeof(int32_t);
  uint8_t *base = static_cast<uint8_t *>(results_);
  if (!kernel_ || kernelLogits_ != logits || kernelStride_ != rowStride || kernelVocab_ != vocab ||
      kernelRows_ != rows) {
    std::vector<Descriptor> args{
        memrefDescriptor(logits, 0, {rows, vocab}, {rowStride, 1}),
        rowsOf(mask_, rows, paddedVocab_),
        memrefDescriptor(control_, 0, {static_cast<int64_t>(controlWords_)}, {1}),
        rowsOf(base + idsAt, rows, kCandidates), rowsOf(base + valsAt, rows, kCandidates),
        rowsOf(base, rows, kSummaryWords)};
    kernel_ = be_.prepareKernel(be_.samplerKernel(), std::move(args));
    kernelLogits_ = logits, kernelStride_ = rowStride, kernelVocab_ = vocab, kernelRows_ = rows;
  }
  be_.launch(*kernel_);
  be_.copyToHost(hostResults_.data(), results_, hostResults_.size());

  const uint8_t *h = hostResults_.data();
  const double *summary = reinterpret_cast<const double *>(h);
  const int32_t *ids = reinterpret_cast<const int32_t *>(h + idsAt);
  const float *vals = reinterpret_cast<const float *>(h + valsAt);
  std::vector<CandidateRow> candidates(static_cast<size_t>(rows));
  for (int64_t b = 0; b < rows; ++b) {
    const double *w = summary + b * kSummaryWords;
    CandidateRow &r = candidates[size_t(b)];
    r.ids = ids + b * kCandidates;
    r.logits = vals + b * kCandidates;
    r.count = static_cast<int64_t>(w[0]);
    r.argmax = static_cast<int64_t>(w[1]);
    r.max = w[2];
    r.excludedMax = w[3];
    r.live = static_cast<int64_t>(w[4]);
    r.mass = w[5];
    if (r.count < 0 || r.count > kCandidates || r.live < r.count || r.argmax >= vocab)
      throw RuntimeError(ErrorCode::Runtime, "sampler kernel: inconsistent summary for row " +
                                                 std::to_string(b));
  }
  sampler.sampleCandidates(
      candidates.data(), vocab,
      [&](int64_t b, std::vector<float> &row) {
        row.resize(static_cast<size_t>(vocab));
        be_.copyToHost(row.data(), logits + b * rowStride, row.size() * sizeof(float));
      },
      out, rows);
}

} // namespace ssmc
