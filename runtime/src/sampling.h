// Token sampling from logits: repetition penalty, temperature, top-k, top-p,
// min-p, with one seeded RNG stream per sequence. Only ids in
// [0, vocab_size) are ever returned (padded logits rows are ignored).
#ifndef SSMC_SRC_SAMPLING_H
#define SSMC_SRC_SAMPLING_H

#include "rng.h"

#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

namespace ssmc {

struct SamplerParams {
  double temperature = 1.0;       // <= 0: greedy
  int64_t topK = 0;               // 0: off
  double topP = 1.0;              // 1: off
  double minP = 0.0;              // 0: off
  double repetitionPenalty = 1.0; // 1: off
  uint64_t seed = 0;
  std::vector<uint64_t> seeds;    // per sequence; empty: seed + b
};

// Throws RuntimeError(InvalidArgument) naming the bad field.
void validate(const SamplerParams &p);

// What the device sampler (passes/gpu/SamplerKernel.h) leaves for one row:
// `count` candidates (any order) that are every live logit above all the
// others, and a summary of the whole row. Logits are as sampled (NaN ->
// -inf, penalty applied).
struct CandidateRow {
  const int32_t *ids = nullptr;
  const float *logits = nullptr;
  int64_t count = 0;
  int64_t argmax = -1;       // lowest id of the maximum; -1: no live logit
  double max = 0;            // the maximum
  double excludedMax = 0;    // the largest live logit not among the candidates
  int64_t live = 0;          // logits > -inf in the row
  double mass = 0;           // sum of exp((l - max) / T) over the live logits
};

class Sampler {
public:
  Sampler(int64_t batch, SamplerParams params);
  int64_t batch() const { return static_cast<int64_t>(rngs_.size()); }
  // Sequence b's filters: the sampler's params until setSequenceParams.
  const SamplerParams &params(int64_t b) const { return rows_[size_t(b)]; }
  // Sequence b samples with p's temperature, top-k, top-p, min-p and
  // penalty from now on (validated; its stream and seen tokens are kept,
  // p's seeds ignored).
  void setSequenceParams(int64_t b, const SamplerParams &p);
  // Marks tokens [batch, length] as seen (for the repetition penalty).
  void observe(const int32_t *tokens, int64_t length);
  // One id per sequence from rows logits + b * rowStride (first `vocab`
  // entries only); observes the ids it returns. With `rows` < batch() only
  // sequences [0, rows) sample (after a decode of the first rows): the
  // others' streams, seen tokens and out entries are left as they are.
  void sample(const float *logits, int64_t rowStride, int64_t vocab, int32_t *out,
              int64_t rows = -1);
  // The same from each row's candidates; `fetchRow(b, row)` fills `row`
  // (vocab floats) with b's whole row, called only when the candidates
  // cannot decide b's token. Tokens and RNG draws are those of `sample` on
  // the same rows, up to the rounding of `mass`.
  // With `count` < batch() only sequences [0, count) sample, as in sample().
  using RowFetcher = std::function<void(int64_t, std::vector<float> &)>;
  void sampleCandidates(const CandidateRow *rows, int64_t vocab, const RowFetcher &fetchRow,
                        int32_t *out, int64_t count = -1);
  // Restarts the RNG streams and forgets the seen tokens.
  void reset();
  // Sequence b starts over (a new sequence in its slot): its stream from
  // `seed`, its seen tokens only `tokens` [length] (its prompt).
  void restartSequence(int64_t b, uint64_t seed, const int32_t *tokens, int64_t length);
  // Slot `to` takes a copy of slot `from`'s stream, seen tokens, filters
  // and seed (a sequence moved to another slot samples there as before).
  void copySequence(int64_t from, int64_t to);

  // For a device copy of the seen sets: this sampler's unique id, and per
  // sequence the seen ids in the order first seen and a count of the times
  // the set was cleared.
  uint64_t uid() const { return uid_; }
  const std::vector<int32_t> &seenInOrder(int64_t b) const { return seenOrder_[size_t(b)]; }
  uint64_t seenClears(int64_t b) const { return seenClears_[size_t(b)]; }

private:
  int32_t sampleRow(const float *row, int64_t vocab, int64_t b);
  // logit_ := the row as sampled: NaN -> -inf, the penalty (in f32) on seen ids.
  void loadRow(const float *row, int64_t vocab, int64_t b);
  // The greedy id (temperature <= 0), else -1 with the kept ids in order_
  // and their weights in prob_ (n_ of them, total_ their sum).
  int32_t filterLoaded(int64_t vocab, int64_t b);
  // The same from candidates; false when they cannot decide the filters.
  bool filterCandidates(const CandidateRow &c);
  // Probabilities of order_[0, n) (best first), total_ their sum.
  void weigh(size_t n, double top);
  // The top-p and min-p filters over order_/prob_ (n_, total_). With
  // `rest`, order_ holds only the row's candidates and total_ the whole
  // row's mass: false when a filter reaches past them, and partial_ when
  // none ended inside them.
  bool cut(const CandidateRow *rest);
  // The id that the draw u in [0, 1) picks; -1 when it falls past the kept
  // candidates of an incomplete row (partial_).
  int32_t pick(double u) const;
  void see(int64_t b, int32_t id);

  std::vector<uint64_t> seeds_;       // each sequence's, as created (reset)
  std::vector<SamplerParams> rows_;  // each sequence's filters
  const SamplerParams *row_ = nullptr; // the filters of the row being sampled
  std::vector<Rng> rngs_;
  std::vector<std::unordered_set<int32_t>> seen_;
  std::vector<std::vector<int32_t>> seenOrder_;
  std::vector<uint64_t> seenClears_;
  uint64_t uid_;
  // Scratch reused across calls (no allocation per token after warm-up).
  std::vector<double> logit_;
  std::vector<int32_t> order_;
  std::vector<uint64_t> keys_; // sortByRank's scratch
  std::vector<double> prob_;
  size_t n_ = 0;
  double total_ = 0;
  // The kept candidates are a strict prefix of the row's (no filter ended
  // inside them): a draw past them needs the whole row.
  bool partial_ = false;
};

} // namespace ssmc

#endif // SSMC_SRC_SAMPLING_H
