#include "rank_sort.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace ssmc {

namespace {

// Descending logits as ascending unsigned keys. -0 and +0 compare equal as
// doubles, so both map to +0's key (ties then go to the lower id).
uint32_t descendingKey(double logit) {
  float f = logit == 0 ? 0.0f : static_cast<float>(logit);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  uint32_t ascending = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  return ~ascending;
}

constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t(1) << kDigitBits;

} // namespace

void sortByRank(std::vector<int32_t> &ids, const std::vector<double> &logit,
                std::vector<uint64_t> &keys) {
  const size_t n = ids.size();
  if (n < 1024) { // small sets: a comparison sort is cheaper than the passes
    std::sort(ids.begin(), ids.end(),
              [&](int32_t x, int32_t y) { return ranksBefore(logit, x, y); });
    return;
  }
  keys.resize(2 * n);
  uint64_t *from = keys.data(), *to = keys.data() + n;
  for (size_t i = 0; i < n; ++i)
    from[i] = uint64_t(descendingKey(logit[size_t(ids[i])])) << 32 | uint32_t(ids[i]);
  for (int shift = 0; shift < 64; shift += kDigitBits) {
    std::array<size_t, kBuckets> count{};
    for (size_t i = 0; i < n; ++i)
      ++count[(from[i] >> shift) & (kBuckets - 1)];
    if (count[(from[0] >> shift) & (kBuckets - 1)] == n)
      continue; // every key has this digit: the pass would move nothing
    size_t offset = 0;
    for (size_t &c : count) {
      size_t here = c;
      c = offset;
      offset += here;
    }
    for (size_t i = 0; i < n; ++i)
      to[count[(from[i] >> shift) & (kBuckets - 1)]++] = from[i];
    std::swap(from, to);
  }
  for (size_t i = 0; i < n; ++i)
    ids[i] = static_cast<int32_t>(uint32_t(from[i]));
}

} // namespace ssmc
