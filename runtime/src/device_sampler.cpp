#include "device_sampler.h"

#include "ssmc/error.h"

#include <cstring>
#include <string>

namespace ssmc {

namespace {

// The summary's f64 words per row (passes/gpu/SamplerKernel.h).
constexpr int64_t kSummaryWords = 8;

Descriptor view2d(const void *base, int64_t rows, int64_t cols, int64_t rowStride) {
  int64_t p = static_cast<int64_t>(reinterpret_cast<uintptr_t>(base));
  return {p, p, 0, rows, cols, rowStride, 1};
}

int32_t bitsOf(float f) {
  int32_t w;
  std::memcpy(&w, &f, sizeof w);
  return w;
}

} // namespace

DeviceSampler::DeviceSampler(Backend &backend, int64_t batch, int64_t paddedVocab)
    : be_(backend), batch_(batch), paddedVocab_(paddedVocab),
      maskClears_(static_cast<size_t>(batch), 0), maskSeen_(static_cast<size_t>(batch), 0) {
  mask_ = be_.allocate(static_cast<size_t>(batch * paddedVocab));
  hostResults_.resize(static_cast<size_t>(batch * (kSummaryWords * 8 + kCandidates * 8)));
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

std::vector<int32_t> DeviceSampler::controlFor(const Sampler &sampler) {
  const SamplerParams &p = sampler.params();
  const float penalty = static_cast<float>(p.repetitionPenalty);
  std::vector<int32_t> words{bitsOf(static_cast<float>(p.temperature)), bitsOf(penalty)};
  std::vector<int32_t> offsets{0}, clears, ids;
  const bool owner = maskOwner_ == sampler.uid();
  for (int64_t b = 0; b < batch_; ++b) {
    size_t from = maskSeen_[size_t(b)];
    bool clear = false;
    if (penalty != 1.0f) {
      if (!owner || maskClears_[size_t(b)] != sampler.seenClears(b)) {
        clear = true;
        from = 0;
      }
      const std::vector<int32_t> &seen = sampler.seenInOrder(b);
      ids.insert(ids.end(), seen.begin() + long(from), seen.end());
      maskClears_[size_t(b)] = sampler.seenClears(b);
      maskSeen_[size_t(b)] = seen.size();
    }
    offsets.push_back(static_cast<int32_t>(ids.size()));
    clears.push_back(clear ? 1 : 0);
  }
  if (penalty != 1.0f)
    maskOwner_ = sampler.uid();
  words.insert(words.end(), offsets.begin(), offsets.end());
  words.insert(words.end(), clears.begin(), clears.end());
  words.insert(words.end(), ids.begin(), ids.end());
  return words;
}

void DeviceSampler::sample(Sampler &sampler, const float *logits, int64_t rowStride,
                           int64_t vocab, int32_t *out) {
  if (sampler.batch() != batch_)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sampler was made for a batch of " + std::to_string(sampler.batch()) +
                           ", the session has " + std::to_string(batch_));
  std::vector<int32_t> control = controlFor(sampler);
  reserveControl(control.size());
  be_.copyToDevice(control_, control.data(), control.size() * sizeof(int32_t));

  uint8_t *base = static_cast<uint8_t *>(results_);
  double *summary = reinterpret_cast<double *>(base);
  int32_t *ids = reinterpret_cast<int32_t *>(base + batch_ * kSummaryWords * 8);
  float *vals = reinterpret_cast<float *>(base + batch_ * (kSummaryWords * 8 + kCandidates * 4));
  if (!kernel_ || kernelLogits_ != logits || kernelStride_ != rowStride || kernelVocab_ != vocab) {
    int64_t c = static_cast<int64_t>(reinterpret_cast<uintptr_t>(control_));
    std::vector<Descriptor> args{view2d(logits, batch_, vocab, rowStride),
                                 view2d(mask_, batch_, paddedVocab_, paddedVocab_),
                                 {c, c, 0, static_cast<int64_t>(controlWords_), 1},
                                 view2d(ids, batch_, kCandidates, kCandidates),
                                 view2d(vals, batch_, kCandidates, kCandidates),
                                 view2d(summary, batch_, kSummaryWords, kSummaryWords)};
    kernel_ = be_.prepareKernel(be_.samplerKernel(), std::move(args));
    kernelLogits_ = logits, kernelStride_ = rowStride, kernelVocab_ = vocab;
  }
  be_.launch(*kernel_);
  be_.copyToHost(hostResults_.data(), results_, hostResults_.size());

  const uint8_t *h = hostResults_.data();
  const double *hs = reinterpret_cast<const double *>(h);
  const int32_t *hi = reinterpret_cast<const int32_t *>(h + batch_ * kSummaryWords * 8);
  const float *hv = reinterpret_cast<const float *>(h + batch_ * (kSummaryWords * 8 + kCandidates * 4));
  std::vector<CandidateRow> rows(static_cast<size_t>(batch_));
  for (int64_t b = 0; b < batch_; ++b) {
    const double *w = hs + b * kSummaryWords;
    CandidateRow &r = rows[size_t(b)];
    r.ids = hi + b * kCandidates;
    r.logits = hv + b * kCandidates;
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
      rows.data(), vocab,
      [&](int64_t b, std::vector<float> &row) {
        row.resize(static_cast<size_t>(vocab));
        be_.copyToHost(row.data(), logits + b * rowStride, row.size() * sizeof(float));
      },
      out);
}

} // namespace ssmc
