// The sampling pipeline for one row of logits, in this order:
//   NaN -> -inf; repetition penalty on seen ids (l > 0: l / p, else l * p);
//   temperature <= 0: argmax (ties -> lowest id), no RNG draw;
//   otherwise softmax(l / T) over the top-k ids, then the smallest prefix of
//   mass >= top_p, then ids with p >= min_p * p_max, renormalized after each
//   filter; one uniform draw from the sequence's stream picks the token.
#include "sampling.h"

#include "ssmc/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ssmc {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

[[noreturn]] void bad(const std::string &msg) {
  throw RuntimeError(ErrorCode::InvalidArgument, "sampler: " + msg);
}
} // namespace

void validate(const SamplerParams &p) {
  if (std::isnan(p.temperature))
    bad("temperature is NaN");
  if (p.topK < 0)
    bad("top_k must be >= 0 (0 = off), got " + std::to_string(p.topK));
  if (!(p.topP > 0.0 && p.topP <= 1.0))
    bad("top_p must be in (0, 1] (1 = off), got " + std::to_string(p.topP));
  if (!(p.minP >= 0.0 && p.minP <= 1.0))
    bad("min_p must be in [0, 1] (0 = off), got " + std::to_string(p.minP));
  if (!(p.repetitionPenalty > 0.0 && std::isfinite(p.repetitionPenalty)))
    bad("repetition_penalty must be a positive finite number (1 = off), got " +
        std::to_string(p.repetitionPenalty));
}

Sampler::Sampler(int64_t batch, SamplerParams params) : params_(std::move(params)) {
  if (batch < 1)
    bad("batch must be at least 1, got " + std::to_string(batch));
  validate(params_);
  if (!params_.seeds.empty() && static_cast<int64_t>(params_.seeds.size()) != batch)
    bad("got " + std::to_string(params_.seeds.size()) + " per-sequence seeds for a batch of " +
        std::to_string(batch));
  rngs_.resize(static_cast<size_t>(batch));
  seen_.resize(static_cast<size_t>(batch));
  reset();
}

void Sampler::reset() {
  for (size_t b = 0; b < rngs_.size(); ++b) {
    // Sequence b's stream depends only on its own seed, so a batch samples
    // exactly like each sequence alone with that seed.
    rngs_[b].reseed(params_.seeds.empty() ? params_.seed + b : params_.seeds[b]);
    seen_[b].clear();
  }
}

void Sampler::restartSequence(int64_t b, uint64_t seed, const int32_t *tokens,
                              int64_t length) {
  if (b < 0 || b >= batch())
    bad("sequence " + std::to_string(b) + " is outside [0, " + std::to_string(batch()) + ")");
  if (length < 0 || (!tokens && length > 0))
    bad("restart: bad token array");
  rngs_[static_cast<size_t>(b)].reseed(seed);
  auto &seen = seen_[static_cast<size_t>(b)];
  seen.clear();
  if (params_.repetitionPenalty != 1.0)
    seen.insert(tokens, tokens + length);
}

void Sampler::observe(const int32_t *tokens, int64_t length) {
  if (length < 0 || (!tokens && length > 0))
    bad("observe: bad token array");
  if (params_.repetitionPenalty == 1.0)
    return;
  for (size_t b = 0; b < seen_.size(); ++b)
    for (int64_t i = 0; i < length; ++i)
      seen_[b].insert(tokens[static_cast<int64_t>(b) * length + i]);
}

void Sampler::sample(const float *logits, int64_t rowStride, int64_t vocab, int32_t *out) {
  if (!logits || !out)
    bad("sample: logits or output is null");
  if (vocab < 1 || rowStride < vocab)
    bad("sample: vocab " + std::to_string(vocab) + " and row stride " +
        std::to_string(rowStride) + " do not fit (need 1 <= vocab <= stride)");
  for (int64_t b = 0; b < batch(); ++b)
    out[b] = sampleRow(logits + b * rowStride, vocab, b);
  observe(out, 1);
}

int32_t Sampler::sampleRow(const float *row, int64_t vocab, int64_t b) {
  logit_.resize(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < vocab; ++i)
    logit_[i] = std::isnan(row[i]) ? kNegInf : static_cast<double>(row[i]);
  const double pen = params_.repetitionPenalty;
  if (pen != 1.0)
    for (int32_t t : seen_[static_cast<size_t>(b)])
      if (t >= 0 && t < vocab) {
        double &l = logit_[static_cast<size_t>(t)];
        l = l > 0 ? l / pen : l * pen;
      }

  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logit_[i] > logit_[best])
      best = i;
  if (logit_[best] == kNegInf)
    throw RuntimeError(ErrorCode::Runtime,
                       "sampler: sequence " + std::to_string(b) +
                           ": every logit in [0, " + std::to_string(vocab) +
                           ") is NaN or -inf; nothing to sample");
  if (params_.temperature <= 0.0)
    return static_cast<int32_t>(best);

  // Candidates, best first (ties: lower id first, so results are deterministic).
  const double top = logit_[best];
  order_.clear();
  for (int64_t i = 0; i < vocab; ++i)
    if (logit_[i] != kNegInf && (top != INFINITY || logit_[i] == INFINITY))
      order_.push_back(static_cast<int32_t>(i));
  auto before = [&](int32_t x, int32_t y) {
    return logit_[x] > logit_[y] || (logit_[x] == logit_[y] && x < y);
  };
  size_t n = order_.size();
  if (params_.topK > 0 && static_cast<size_t>(params_.topK) < n) {
    n = static_cast<size_t>(params_.topK);
    std::partial_sort(order_.begin(), order_.begin() + static_cast<long>(n), order_.end(), before);
  } else {
    std::sort(order_.begin(), order_.end(), before);
  }

  prob_.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    // +inf logits (all equal here) share the mass evenly.
    double l = logit_[order_[i]];
    prob_[i] = top == INFINITY ? 1.0 : std::exp((l - top) / params_.temperature);
    total += prob_[i];
  }
  if (params_.topP < 1.0) {
    double cum = 0;
    size_t keep = 0;
    while (keep < n && cum < params_.topP * total)
      cum += prob_[keep++];
    n = std::max<size_t>(keep, 1);
    total = 0;
    for (size_t i = 0; i < n; ++i)
      total += prob_[i];
  }
  if (params_.minP > 0.0) {
    const double floor = params_.minP * prob_[0]; // prob_[0] is the largest
    size_t keep = 1;
    while (keep < n && prob_[keep] >= floor)
      ++keep;
    n = keep;
    total = 0;
    for (size_t i = 0; i < n; ++i)
      total += prob_[i];
  }

  const double u = rngs_[static_cast<size_t>(b)].uniform() * total;
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += prob_[i];
    if (u < cum)
      return order_[i];
  }
  return order_[n - 1]; // u landed on the rounding edge of the last bucket
}

} // namespace ssmc
