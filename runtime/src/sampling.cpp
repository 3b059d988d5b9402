// The sampling pipeline for one row of logits, in this order:
//   NaN -> -inf; repetition penalty on seen ids (l > 0: l / p, else l * p,
//   in f32 as on the device);
//   temperature <= 0: argmax (ties -> lowest id), no RNG draw;
//   otherwise softmax(l / T) over the top-k ids, then the smallest prefix of
//   mass >= top_p, then ids with p >= min_p * p_max, renormalized after each
//   filter; one uniform draw from the sequence's stream picks the token.
#include "sampling.h"

#include "rank_sort.h"
#include "ssmc/error.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace ssmc {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

std::atomic<uint64_t> nextUid{1};

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

Sampler::Sampler(int64_t batch, SamplerParams params) : uid_(nextUid++) {
  if (batch < 1)
    bad("batch must be at least 1, got " + std::to_string(batch));
  validate(params);
  if (!params.seeds.empty() && static_cast<int64_t>(params.seeds.size()) != batch)
    bad("got " + std::to_string(params.seeds.size()) + " per-sequence seeds for a batch of " +
        std::to_string(batch));
  // Sequence b's stream depends only on its own seed, so a batch samples
  // exactly like each sequence alone with that seed.
  for (int64_t b = 0; b < batch; ++b)
    seeds_.push_back(params.seeds.empty() ? params.seed + uint64_t(b) : params.seeds[size_t(b)]);
  params.seeds.clear();
  rows_.assign(static_cast<size_t>(batch), params);
  rngs_.resize(static_cast<size_t>(batch));
  seen_.resize(static_cast<size_t>(batch));
  seenOrder_.resize(static_cast<size_t>(batch));
  seenClears_.resize(static_cast<size_t>(batch), 0);
  reset();
}

void Sampler::reset() {
  for (size_t b = 0; b < rngs_.size(); ++b) {
    rngs_[b].reseed(seeds_[b]);
    seen_[b].clear();
    seenOrder_[b].clear();
    ++seenClears_[b];
  }
}

void Sampler::setSequenceParams(int64_t b, const SamplerParams &p) {
  if (b < 0 || b >= batch())
    bad("sequence " + std::to_string(b) + " is outside [0, " + std::to_string(batch()) + ")");
  validate(p);
  rows_[size_t(b)] = p; // only the filters are read: seeds_ keeps the seeds
  rows_[size_t(b)].seeds.clear();
}

void Sampler::see(int64_t b, int32_t id) {
  if (seen_[size_t(b)].insert(id).second)
    seenOrder_[size_t(b)].push_back(id);
}

void Sampler::restartSequence(int64_t b, uint64_t seed, const int32_t *tokens,
                              int64_t length) {
  if (b < 0 || b >= batch())
    bad("sequence " + std::to_string(b) + " is outside [0, " + std::to_string(batch()) + ")");
  if (length < 0 || (!tokens && length > 0))
    bad("restart: bad token array");
  rngs_[static_cast<size_t>(b)].reseed(seed);
  seen_[size_t(b)].clear();
  seenOrder_[size_t(b)].clear();
  ++seenClears_[size_t(b)];
  for (int64_t i = 0; i < length; ++i)
    see(b, tokens[i]);
}

void Sampler::copySequence(int64_t from, int64_t to) {
  for (auto [what, b] : {std::pair<const char *, int64_t>{"from", from}, {"to", to}})
    if (b < 0 || b >= batch())
      bad(std::string("copy: ") + what + " = " + std::to_string(b) + " is outside [0, " +
          std::to_string(batch()) + ")");
  if (from == to)
    return;
  const size_t f = size_t(from), t = size_t(to);
  seeds_[t] = seeds_[f];
  rows_[t] = rows_[f];
  rngs_[t] = rngs_[f];
  seen_[t] = seen_[f];
  seenOrder_[t] = seenOrder_[f];
  ++seenClears_[t]; // a device copy of t's seen set starts over
}

void Sampler::observe(const int32_t *tokens, int64_t length) {
  if (length < 0 || (!tokens && length > 0))
    bad("observe: bad token array");
  // Recorded whatever the penalty: a sequence's penalty may be set later.
  for (int64_t b = 0; b < batch(); ++b)
    for (int64_t i = 0; i < length; ++i)
      see(b, tokens[b * length + i]);
}

void Sampler::sample(const float *logits, int64_t rowStride, int64_t vocab, int32_t *out,
                     int64_t rows) {
  if (!logits || !out)
    bad("sample: logits or output is null");
  if (vocab < 1 || rowStride < vocab)
    bad("sample: vocab " + std::to_string(vocab) + " and row stride " +
        std::to_string(rowStride) + " do not fit (need 1 <= vocab <= stride)");
  if (rows < 0)
    rows = batch();
  if (rows < 1 || rows > batch())
    bad("sample: " + std::to_string(rows) + " rows for a batch of " + std::to_string(batch()));
  for (int64_t b = 0; b < rows; ++b) {
    out[b] = sampleRow(logits + b * rowStride, vocab, b);
    see(b, out[b]);
  }
}

int32_t Sampler::sampleRow(const float *row, int64_t vocab, int64_t b) {
  row_ = &rows_[size_t(b)];
  loadRow(row, vocab, b);
  int32_t greedy = filterLoaded(vocab, b);
  return greedy >= 0 ? greedy : pick(rngs_[static_cast<size_t>(b)].uniform());
}

void Sampler::loadRow(const float *row, int64_t vocab, int64_t b) {
  logit_.resize(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < vocab; ++i)
    logit_[i] = std::isnan(row[i]) ? kNegInf : static_cast<double>(row[i]);
  const float pen = static_cast<float>(rows_[size_t(b)].repetitionPenalty);
  if (pen != 1.0f)
    for (int32_t t : seen_[static_cast<size_t>(b)])
      if (t >= 0 && t < vocab) {
        float l = static_cast<float>(logit_[static_cast<size_t>(t)]);
        logit_[static_cast<size_t>(t)] = l > 0 ? l / pen : l * pen;
      }
}

namespace {
[[noreturn]] void nothingLive(int64_t b, int64_t vocab) {
  throw RuntimeError(ErrorCode::Runtime, "sampler: sequence " + std::to_string(b) +
                                             ": every logit in [0, " + std::to_string(vocab) +
                                             ") is NaN or -inf; nothing to sample");
}
} // namespace

int32_t Sampler::filterLoaded(int64_t vocab, int64_t b) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logit_[i] > logit_[best])
      best = i;
  if (logit_[best] == kNegInf)
    nothingLive(b, vocab);
  if (row_->temperature <= 0.0)
    return static_cast<int32_t>(best);

  // Candidates, best first (ties: lower id first, so results are deterministic).
  const double top = logit_[best];
  order_.clear();
  for (int64_t i = 0; i < vocab; ++i)
    if (logit_[i] != kNegInf && (top != INFINITY || logit_[i] == INFINITY))
      order_.push_back(static_cast<int32_t>(i));
  size_t n = order_.size();
  if (row_->topK > 0 && static_cast<size_t>(row_->topK) < n) {
    n = static_cast<size_t>(row_->topK);
    auto before = [&](int32_t x, int32_t y) { return ranksBefore(logit_, x, y); };
    std::partial_sort(order_.begin(), order_.begin() + static_cast<long>(n), order_.end(), before);
  } else {
    sortByRank(order_, logit_, keys_);
  }
  weigh(n, top);
  cut(nullptr);
  return -1;
}

void Sampler::weigh(size_t n, double top) {
  prob_.resize(n);
  total_ = 0;
  for (size_t i = 0; i < n; ++i) {
    // +inf logits (all equal here) share the mass evenly.
    double l = logit_[order_[i]];
    prob_[i] = top == INFINITY ? 1.0 : std::exp((l - top) / row_->temperature);
    total_ += prob_[i];
  }
  n_ = n;
}

bool Sampler::cut(const CandidateRow *rest) {
  auto keepFirst = [&](size_t keep) {
    n_ = keep;
    total_ = 0;
    for (size_t i = 0; i < n_; ++i)
      total_ += prob_[i];
  };
  // With `rest`, order_ is a strict top part of the row and total_ the mass
  // of all of it, until a filter ends inside the candidates.
  bool partial = rest != nullptr;
  if (row_->topP < 1.0) {
    double cum = 0;
    size_t keep = 0;
    while (keep < n_ && cum < row_->topP * total_)
      cum += prob_[keep++];
    if (partial && cum < row_->topP * total_)
      return false; // the mass reaches past the candidates
    keepFirst(std::max<size_t>(keep, 1));
    partial = false;
  }
  if (row_->minP > 0.0) {
    const double floor = row_->minP * prob_[0]; // prob_[0] is the largest
    size_t keep = 1;
    while (keep < n_ && prob_[keep] >= floor)
      ++keep;
    if (partial && keep == n_ &&
        std::exp((rest->excludedMax - rest->max) / row_->temperature) >= floor)
      return false; // the floor reaches past the candidates
    keepFirst(keep);
    partial = false;
  }
  partial_ = partial;
  return true;
}

int32_t Sampler::pick(double u) const {
  const double target = u * total_;
  double cum = 0;
  for (size_t i = 0; i < n_; ++i) {
    cum += prob_[i];
    if (target < cum)
      return order_[i];
  }
  // u landed on the rounding edge of the last bucket, or past the
  // candidates of an incomplete row.
  return partial_ ? -1 : order_[n_ - 1];
}

bool Sampler::filterCandidates(const CandidateRow &c) {
  const double top = c.max;
  const bool complete = c.count == c.live;
  if (c.count < 1 || (top == INFINITY && !complete))
    return false;
  order_.clear();
  for (int64_t i = 0; i < c.count; ++i) {
    int32_t id = c.ids[i];
    logit_[static_cast<size_t>(id)] = c.logits[i];
    if (c.logits[i] > kNegInf && (top != INFINITY || c.logits[i] == INFINITY))
      order_.push_back(id);
  }
  sortByRank(order_, logit_, keys_);
  const size_t n = order_.size();
  const bool topK = row_->topK > 0 && row_->topK < c.live;
  if (complete || (topK && static_cast<size_t>(row_->topK) <= n)) {
    // Every id the filters can keep is here: the host pipeline as is.
    weigh(topK ? std::min(static_cast<size_t>(row_->topK), n) : n, top);
    return cut(nullptr);
  }
  if (topK)
    return false; // the top-k reach past the candidates
  // The rest of the row only adds mass (all of it below every candidate).
  weigh(n, top);
  total_ = c.mass;
  return cut(&c);
}

void Sampler::sampleCandidates(const CandidateRow *rows, int64_t vocab,
                               const RowFetcher &fetchRow, int32_t *out, int64_t count) {
  if (count < 0)
    count = batch();
  if (!rows || !out || vocab < 1 || count < 1 || count > batch())
    bad("sampleCandidates: bad arguments");
  logit_.resize(static_cast<size_t>(vocab));
  std::vector<float> row;
  auto fromRow = [&](int64_t b) {
    fetchRow(b, row);
    loadRow(row.data(), vocab, b);
    filterLoaded(vocab, b);
  };
  for (int64_t b = 0; b < count; ++b) {
    const CandidateRow &c = rows[b];
    for (int64_t i = 0; i < c.count; ++i)
      if (c.ids[i] < 0 || c.ids[i] >= vocab)
        throw RuntimeError(ErrorCode::Runtime,
                           "sampler: the device returned candidate id " +
                               std::to_string(c.ids[i]) + " outside [0, " +
                               std::to_string(vocab) + ")");
    if (c.live == 0)
      nothingLive(b, vocab);
    row_ = &rows_[size_t(b)];
    if (row_->temperature <= 0.0) {
      out[b] = static_cast<int32_t>(c.argmax);
      continue;
    }
    if (!filterCandidates(c))
      fromRow(b);
    const double u = rngs_[static_cast<size_t>(b)].uniform();
    int32_t id = pick(u);
    if (id < 0) {
      fromRow(b);
      id = pick(u);
    }
    out[b] = id;
  }
  for (int64_t b = 0; b < count; ++b)
    see(b, out[b]);
}

} // namespace ssmc
