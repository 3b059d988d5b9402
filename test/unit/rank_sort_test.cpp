// sortByRank (runtime/src/rank_sort.h) against a comparison sort with the
// sampler's ranking (higher logit first, ties to the lower id), on sets
// below and above its radix threshold, with many ties, signed zeros, +inf
// and ids up to a large vocabulary.
#include "rank_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace {

std::vector<int32_t> byComparison(std::vector<int32_t> ids, const std::vector<double> &l) {
  std::sort(ids.begin(), ids.end(), [&](int32_t x, int32_t y) {
    return l[x] > l[y] || (l[x] == l[y] && x < y);
  });
  return ids;
}

TEST(RankSort, MatchesTheComparisonSort) {
  std::mt19937 gen(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<uint64_t> scratch;
  for (int64_t vocab : {7, 900, 1500, 50280, 260000})
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<double> logit(static_cast<size_t>(vocab));
      for (int64_t i = 0; i < vocab; ++i) {
        float v = normal(gen);
        if (kind == 1)
          v = std::round(v); // many ties
        if (kind == 2 && i % 5 == 0)
          v = i % 2 ? -0.0f : 0.0f;
        if (i % 997 == 3)
          v = INFINITY;
        if (i % 991 == 4)
          v = -1e30f * (kind + 1);
        logit[size_t(i)] = v;
      }
      std::vector<int32_t> ids;
      for (int32_t i = 0; i < vocab; ++i)
        if (i % 3 != 1)
          ids.push_back(i);
      std::shuffle(ids.begin(), ids.end(), gen);
      std::vector<int32_t> want = byComparison(ids, logit);
      ssmc::sortByRank(ids, logit, scratch);
      EXPECT_EQ(ids, want) << "vocab " << vocab << ", kind " << kind;
    }
}

} // namespace
