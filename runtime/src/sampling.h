// Token sampling from logits: repetition penalty, temperature, top-k, top-p,
// min-p, with one seeded RNG stream per sequence. Only ids in
// [0, vocab_size) are ever returned (padded logits rows are ignored).
#ifndef SSMC_SRC_SAMPLING_H
#define SSMC_SRC_SAMPLING_H

#include "rng.h"

#include <cstdint>
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

class Sampler {
public:
  Sampler(int64_t batch, SamplerParams params);
  int64_t batch() const { return static_cast<int64_t>(rngs_.size()); }
  const SamplerParams &params() const { return params_; }

  // Marks tokens [batch, length] as seen (for the repetition penalty).
  void observe(const int32_t *tokens, int64_t length);
  // One id per sequence from rows logits + b * rowStride (first `vocab`
  // entries only); observes the ids it returns.
  void sample(const float *logits, int64_t rowStride, int64_t vocab, int32_t *out);
  // Restarts the RNG streams and forgets the seen tokens.
  void reset();
  // Sequence b starts over (a new sequence in its slot): its stream from
  // `seed`, its seen tokens only `tokens` [length] (its prompt).
  void restartSequence(int64_t b, uint64_t seed, const int32_t *tokens, int64_t length);

private:
  int32_t sampleRow(const float *row, int64_t vocab, int64_t b);

  SamplerParams params_;
  std::vector<Rng> rngs_;
  std::vector<std::unordered_set<int32_t>> seen_;
  // Scratch reused across calls (no allocation per token after warm-up).
  std::vector<double> logit_;
  std::vector<int32_t> order_;
  std::vector<double> prob_;
};

} // namespace ssmc

#endif // SSMC_SRC_SAMPLING_H
