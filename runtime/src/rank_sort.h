// Sorting candidate ids into the sampler's ranking order (higher logit
// first, ties to the lower id) with an LSD radix sort over one 64-bit key
// per id: the logit's f32 bits mapped to an order-reversing unsigned key in
// the high half, the id in the low half: a few linear passes instead of a
// comparison sort's log n passes through the logits (docs/perf.md has the
// sampling step it speeds up).
#ifndef SSMC_SRC_RANK_SORT_H
#define SSMC_SRC_RANK_SORT_H

#include <cstdint>
#include <vector>

namespace ssmc {

// The ranking: x before y when its logit is higher, ties to the lower id.
inline bool ranksBefore(const std::vector<double> &logit, int32_t x, int32_t y) {
  return logit[x] > logit[y] || (logit[x] == logit[y] && x < y);
}

// Sorts `ids` (each a valid index of `logit`, every logit an f32 value or
// +-inf, never NaN) into ranking order. `keys` is scratch, reused across
// calls.
void sortByRank(std::vector<int32_t> &ids, const std::vector<double> &logit,
                std::vector<uint64_t> &keys);

} // namespace ssmc

#endif // SSMC_SRC_RANK_SORT_H
