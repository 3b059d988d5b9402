// The temp-buffer arena: buffers alive at the same step never share bytes,
// buffers that are not may, and every offset is aligned.
#include "arena.h"

#include <gtest/gtest.h>

#include <random>

using ssmc::ArenaBuffer;
using ssmc::planArena;

namespace {

void expectValid(const std::vector<ArenaBuffer> &buffers, const ssmc::ArenaPlan &plan) {
  ASSERT_EQ(plan.offsets.size(), buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].bytes <= 0)
      continue;
    EXPECT_EQ(plan.offsets[i] % ssmc::kArenaAlignment, 0) << i;
    EXPECT_LE(plan.offsets[i] + buffers[i].bytes, plan.bytes) << i;
    for (size_t j = 0; j < i; ++j) {
      if (buffers[j].bytes <= 0)
        continue;
      const bool alive = buffers[i].first <= buffers[j].last && buffers[j].first <= buffers[i].last;
      const bool disjoint = plan.offsets[i] + buffers[i].bytes <= plan.offsets[j] ||
                            plan.offsets[j] + buffers[j].bytes <= plan.offsets[i];
      EXPECT_TRUE(!alive || disjoint) << "buffers " << j << " and " << i << " overlap";
    }
  }
}

TEST(RuntimeArena, BuffersOfOneStepAreDisjoint) {
  // A step reading one buffer and writing another: both live at step 1.
  std::vector<ArenaBuffer> b{{1000, 0, 1}, {3000, 1, 2}, {500, 2, 2}};
  ssmc::ArenaPlan plan = planArena(b);
  expectValid(b, plan);
  // 0 and 2 never live together: the smaller fits beside the larger.
  EXPECT_EQ(plan.bytes, 3072 + 1000);
}

TEST(RuntimeArena, AChainOfLayersReusesTwoSlots) {
  // Layer i reads buffer i and writes buffer i + 1, as a model's residual
  // stream does: two slots whatever the depth.
  std::vector<ArenaBuffer> b;
  for (int i = 0; i < 48; ++i)
    b.push_back({1 << 20, i, i + 1});
  ssmc::ArenaPlan plan = planArena(b);
  expectValid(b, plan);
  EXPECT_EQ(plan.bytes, 2 << 20);
}

TEST(RuntimeArena, ZeroSizedAndUntouchedBuffersTakeNoSpace) {
  std::vector<ArenaBuffer> b{{0, 0, 0}, {700, 0, 3}, {0, 2, 2}};
  ssmc::ArenaPlan plan = planArena(b);
  expectValid(b, plan);
  EXPECT_EQ(plan.bytes, 700);
  EXPECT_EQ(planArena({}).bytes, 0);
}

TEST(RuntimeArena, RandomLivesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ArenaBuffer> b(1 + rng() % 40);
    int64_t sum = 0;
    for (ArenaBuffer &x : b) {
      x.bytes = rng() % 5000;
      x.first = static_cast<int>(rng() % 30);
      x.last = x.first + static_cast<int>(rng() % 10);
      sum += (x.bytes + 255) / 256 * 256;
    }
    ssmc::ArenaPlan plan = planArena(b);
    expectValid(b, plan);
    EXPECT_LE(plan.bytes, sum);
  }
}

} // namespace
