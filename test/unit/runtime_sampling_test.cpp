// Sampling through the C API (ssmc_sample_logits, ssmc_generate): each filter
// checked statistically with fixed seeds, the repetition-penalty math, padded
// rows never sampled, reproducibility and batch == singles, and the PRNG.
#include "rng.h"
#include "runtime_ToyKernels.h"

#include "ssmc/runtime.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace rt_test;

namespace {

ssmc_sampler_params params(double temperature, uint64_t seed = 1) {
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  p.temperature = temperature;
  p.seed = seed;
  return p;
}

// `n` draws from one row of logits; returns the count of each id.
std::map<int32_t, int> histogram(const ssmc_sampler_params &p, const std::vector<float> &row,
                                 int n) {
  ssmc::Sampler s(p, 1);
  std::map<int32_t, int> h;
  for (int i = 0; i < n; ++i) {
    int32_t id = -1;
    s.sampleLogits(row.data(), static_cast<int64_t>(row.size()),
                   static_cast<int64_t>(row.size()), &id);
    ++h[id];
  }
  return h;
}

// `steps` samples of the same rows [batch, vocab]: every id, step by step.
std::vector<int32_t> sampleSteps(ssmc::Sampler &s, const float *rows, int batch, int vocab,
                                 int steps) {
  std::vector<int32_t> all(size_t(batch) * size_t(steps));
  for (int i = 0; i < steps; ++i)
    s.sampleLogits(rows, vocab, vocab, all.data() + size_t(i) * size_t(batch));
  return all;
}

// Sequence b's ids from sampleSteps' output for a batch of `batch`.
std::vector<int32_t> column(const std::vector<int32_t> &all, int batch, int b) {
  std::vector<int32_t> ids;
  for (size_t i = size_t(b); i < all.size(); i += size_t(batch))
    ids.push_back(all[i]);
  return ids;
}

std::vector<float> logitsOf(const std::vector<double> &probs) {
  std::vector<float> l;
  for (double p : probs)
    l.push_back(static_cast<float>(std::log(p)));
  return l;
}

TEST(RuntimeSampling, TopKNeverLeavesTheTopK) {
  std::mt19937 gen(3);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> row(100);
  for (float &x : row)
    x = dist(gen);
  std::vector<int32_t> ids(100);
  for (int32_t i = 0; i < 100; ++i)
    ids[i] = i;
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  std::set<int32_t> top(ids.begin(), ids.begin() + 5);
  auto p = params(3.0); // a flat distribution: the filter does all the work
  p.top_k = 5;
  auto h = histogram(p, row, 3000);
  for (auto &[id, n] : h)
    EXPECT_TRUE(top.count(id)) << "id " << id << " drawn " << n << " times";
  EXPECT_EQ(h.size(), 5u);
  p.top_k = 1;
  h = histogram(p, row, 50);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, ids[0]);
}

TEST(RuntimeSampling, TopPKeepsTheSmallestSetWithTheMass) {
  auto row = logitsOf({0.5, 0.3, 0.15, 0.05});
  auto p = params(1.0, 7);
  p.top_p = 0.7; // 0.5 < 0.7 <= 0.8: keeps {0, 1}, renormalized to 5/8, 3/8
  auto h = histogram(p, row, 8000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_NEAR(h[0] / 8000.0, 0.625, 0.02);
  p.top_p = 0.81; // needs id 2 as well
  h = histogram(p, row, 8000);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.count(3), 0u);
  p.top_p = 1e-9; // always at least one id
  h = histogram(p, row, 100);
  EXPECT_EQ(h[0], 100);
}

TEST(RuntimeSampling, MinPDropsIdsBelowTheFraction) {
  auto row = logitsOf({0.5, 0.3, 0.15, 0.05});
  auto p = params(1.0, 11);
  p.min_p = 0.25; // floor 0.125: keeps {0, 1, 2}
  auto h = histogram(p, row, 8000);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_NEAR(h[2] / 8000.0, 0.15 / 0.95, 0.02);
  p.min_p = 1.0; // only the most likely id
  h = histogram(p, row, 100);
  EXPECT_EQ(h[0], 100);
}

TEST(RuntimeSampling, TemperatureScalesAndApproachesGreedy) {
  std::vector<float> row = {0.0f, static_cast<float>(std::log(4.0))};
  auto h = histogram(params(2.0, 5), row, 9000); // softmax(l / 2) = 1/3, 2/3
  EXPECT_NEAR(h[1] / 9000.0, 2.0 / 3.0, 0.02);

  std::mt19937 gen(9);
  std::normal_distribution<float> dist;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> r(64);
    for (float &x : r)
      x = dist(gen);
    int32_t greedy = -1, cold = -1;
    ssmc::Sampler(params(0.0), 1).sampleLogits(r.data(), 64, 64, &greedy);
    ssmc::Sampler(params(1e-6), 1).sampleLogits(r.data(), 64, 64, &cold);
    EXPECT_EQ(greedy, std::max_element(r.begin(), r.end()) - r.begin());
    EXPECT_EQ(cold, greedy);
  }
}

TEST(RuntimeSampling, RepetitionPenaltyDividesPositiveMultipliesNegative) {
  auto p = params(0.0);
  p.repetition_penalty = 2.0;
  ssmc::Sampler s(p, 1);
  std::vector<float> row = {2.0f, -1.0f, 1.9f, 0.5f};
  int32_t id = -1;
  s.sampleLogits(row.data(), 4, 4, &id);
  EXPECT_EQ(id, 0); // nothing seen yet; now 0 is seen: 2.0 / 2 = 1.0 < 1.9
  s.sampleLogits(row.data(), 4, 4, &id);
  EXPECT_EQ(id, 2);
  std::vector<float> neg = {-1.0f, -1.5f};
  ssmc::Sampler s2(p, 1);
  s2.observe({0}, 1); // -1 * 2 = -2 < -1.5
  s2.sampleLogits(neg.data(), 2, 2, &id);
  EXPECT_EQ(id, 1);
  // As a distribution: l0 = 2 ln 2 penalized to ln 2 -> p0 = 2 / 3.
  p.temperature = 1.0;
  p.seed = 4;
  std::vector<float> two = {static_cast<float>(2 * std::log(2.0)), 0.0f};
  ssmc::Sampler s4(p, 1);
  s4.observe({0}, 1);
  int zeros = 0;
  for (int i = 0; i < 6000; ++i) {
    s4.sampleLogits(two.data(), 2, 2, &id);
    zeros += id == 0; // once id 1 is seen too, its logit 0 stays 0
  }
  EXPECT_NEAR(zeros / 6000.0, 2.0 / 3.0, 0.02);
}

TEST(RuntimeSampling, PaddedRowsAreNeverSampled) {
  // vocab 5 in rows of 8: the padding holds huge logits.
  std::vector<float> rows(3 * 8, 0.0f);
  for (int b = 0; b < 3; ++b)
    for (int i = 5; i < 8; ++i)
      rows[b * 8 + i] = 1e30f;
  for (double t : {0.0, 1.0, 100.0}) {
    auto p = params(t, 13);
    ssmc::Sampler s(p, 3);
    for (int i = 0; i < 500; ++i) {
      int32_t ids[3];
      s.sampleLogits(rows.data(), 8, 5, ids);
      for (int32_t id : ids)
        ASSERT_LT(id, 5) << "temperature " << t;
    }
  }
}

TEST(RuntimeSampling, SameSeedSameTokensAndBatchEqualsSingles) {
  std::mt19937 gen(21);
  std::normal_distribution<float> dist;
  const int B = 3, V = 50, steps = 40;
  std::vector<float> rows(B * V);
  for (float &x : rows)
    x = dist(gen);
  auto p = params(0.9, 42);
  p.top_k = 20;
  p.top_p = 0.95;
  p.repetition_penalty = 1.3;
  auto run = [&](const ssmc_sampler_params &q) {
    ssmc::Sampler s(q, B);
    return sampleSteps(s, rows.data(), B, V, steps);
  };
  auto a = run(p), b = run(p);
  EXPECT_EQ(a, b);
  auto q = p;
  q.seed = 43;
  EXPECT_NE(run(q), a);
  // Sequence b alone with seed 42 + b draws what it drew in the batch.
  for (int seq = 0; seq < B; ++seq) {
    auto single = p;
    single.seed = 42 + seq;
    ssmc::Sampler s(single, 1);
    EXPECT_EQ(sampleSteps(s, rows.data() + seq * V, 1, V, steps), column(a, B, seq))
        << "sequence " << seq;
  }
  // Explicit per-sequence seeds.
  uint64_t seeds[B] = {42, 43, 44};
  auto e = p;
  e.seed = 999;
  e.seeds = seeds;
  EXPECT_EQ(run(e), a);
}

// Each sequence with its own filters samples exactly as it does alone with
// them (and the seed it has in the batch); the settings outlive a reset.
TEST(RuntimeSampling, PerSequenceParamsMatchEachSequenceAlone) {
  std::mt19937 gen(5);
  std::normal_distribution<float> dist(0.0f, 1.5f);
  const int B = 4, V = 64, steps = 30;
  std::vector<float> rows(B * V);
  for (float &x : rows)
    x = dist(gen);
  std::vector<ssmc_sampler_params> own(B, params(1.0));
  own[0].temperature = 0.0;                          // greedy
  own[1].temperature = 0.7, own[1].top_k = 5;
  own[2].temperature = 1.3, own[2].top_p = 0.8, own[2].repetition_penalty = 1.5;
  own[3].temperature = 1.0, own[3].min_p = 0.2;
  auto batchRun = [&](bool resetFirst) {
    auto shared = params(1.0, 7);
    ssmc::Sampler s(shared, B);
    for (int b = 0; b < B; ++b)
      s.setSequenceParams(b, own[b]);
    if (resetFirst)
      s.reset();
    return sampleSteps(s, rows.data(), B, V, steps);
  };
  const std::vector<int32_t> batch = batchRun(false);
  EXPECT_EQ(batchRun(true), batch);
  for (int b = 0; b < B; ++b) {
    auto alone = own[b];
    alone.seed = 7 + b;
    ssmc::Sampler s(alone, 1);
    EXPECT_EQ(sampleSteps(s, rows.data() + b * V, 1, V, steps), column(batch, B, b))
        << "sequence " << b;
  }
  const std::vector<int32_t> greedy = column(batch, B, 0), drawn = column(batch, B, 3);
  EXPECT_EQ(std::set<int32_t>(greedy.begin(), greedy.end()).size(), 1u)
      << "sequence 0 is greedy on a fixed row";
  // The others did draw: not all one id.
  EXPECT_GT(std::set<int32_t>(drawn.begin(), drawn.end()).size(), 1u);
}

// A penalty switched on later counts the tokens seen before it.
TEST(RuntimeSampling, PenaltySetLaterCountsEarlierTokens) {
  std::vector<float> row{2.0f, 1.9f, -5.0f};
  ssmc::Sampler s(params(0.0), 1);
  int32_t id;
  s.sampleLogits(row.data(), 3, 3, &id);
  ASSERT_EQ(id, 0);
  auto p = params(0.0);
  p.repetition_penalty = 2.0; // 2.0 -> 1.0, below 1.9
  s.setSequenceParams(0, p);
  s.sampleLogits(row.data(), 3, 3, &id);
  EXPECT_EQ(id, 1);
}

TEST(RuntimeSampling, BadParamsAndLogitsGiveClearErrors) {
  ssmc_sampler *s = nullptr;
  auto p = params(1.0);
  p.top_p = 0.0;
  EXPECT_EQ(ssmc_sampler_create(&p, 1, &s), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::string(ssmc_last_error()).find("top_p must be in (0, 1]"), std::string::npos);
  p = params(1.0);
  p.repetition_penalty = 0.0;
  EXPECT_EQ(ssmc_sampler_create(&p, 1, &s), SSMC_ERROR_INVALID_ARGUMENT);
  p = params(1.0);
  p.top_k = -1;
  EXPECT_EQ(ssmc_sampler_create(&p, 1, &s), SSMC_ERROR_INVALID_ARGUMENT);
  p = params(1.0);
  EXPECT_EQ(ssmc_sampler_create(&p, 0, &s), SSMC_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(ssmc_sampler_create(&p, 1, &s), SSMC_OK);
  std::vector<float> nan(4, NAN);
  int32_t id;
  EXPECT_EQ(ssmc_sample_logits(s, nan.data(), 4, 4, &id), SSMC_ERROR_RUNTIME);
  EXPECT_NE(std::string(ssmc_last_error()).find("every logit in [0, 4) is NaN or -inf"),
            std::string::npos);
  nan[2] = 1.0f; // NaN never wins
  ASSERT_EQ(ssmc_sample_logits(s, nan.data(), 4, 4, &id), SSMC_OK);
  EXPECT_EQ(id, 2);
  EXPECT_EQ(ssmc_sample_logits(s, nan.data(), 3, 4, &id), SSMC_ERROR_INVALID_ARGUMENT);
  // Per-sequence settings: checked like the sampler's, sequence in range.
  p = params(1.0);
  EXPECT_EQ(ssmc_sampler_set_sequence_params(s, 1, &p), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ssmc_last_error()).find("sequence 1 is outside [0, 1)"),
            std::string::npos);
  p.min_p = 1.5;
  EXPECT_EQ(ssmc_sampler_set_sequence_params(s, 0, &p), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ssmc_last_error()).find("min_p"), std::string::npos);
  EXPECT_EQ(ssmc_sampler_set_sequence_params(s, 0, nullptr), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ssmc_sampler_set_sequence_params(nullptr, 0, &p), SSMC_ERROR_INVALID_ARGUMENT);
  ssmc_sampler_free(s);
}

TEST(RuntimeSampling, PrngIsTheSpecifiedOne) {
  // splitmix64 from 0: the published first outputs.
  uint64_t x = 0;
  EXPECT_EQ(ssmc::splitmix64(x), 0xe220a8397b1dcdafull);
  EXPECT_EQ(ssmc::splitmix64(x), 0x6e789e6aa1b965f4ull);
  // xoshiro256** pinned for seed 42, so a change of stream is noticed.
  ssmc::Rng r(42);
  uint64_t first = r.next();
  ssmc::Rng r2(42);
  EXPECT_EQ(r2.next(), first);
  double u = r.uniform();
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

// ssmc_generate on the toy artifact: greedy equals the step-by-step loop,
// stop tokens end a sequence, the callback sees every step.
TEST(RuntimeGenerate, GreedyStopTokensAndCallback) {
  TempDir dir;
  std::string path = writeToyArtifact(dir);
  if (path.empty())
    GTEST_SKIP() << "no working C compiler (cc)";
  ssmc::Model model(path);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 0, 1};

  // The manual loop: prefill, argmax over the real vocab, decode.
  ssmc::Session manual(model, 2);
  manual.prefill(prompt, 3);
  std::vector<std::vector<int32_t>> want(2);
  ssmc::Sampler greedy(params(0.0), 2);
  for (int step = 0; step < 4; ++step) {
    std::vector<int32_t> next(2);
    greedy.sample(manual, next.data());
    want[0].push_back(next[0]);
    want[1].push_back(next[1]);
    if (step < 3)
      manual.decode(next);
  }
  ssmc::Session s(model, 2);
  auto p = params(0.0);
  p.max_new_tokens = 4;
  EXPECT_EQ(s.generate(prompt, 3, p), want);

  // Stop on sequence 0's second token: it ends there, sequence 1 goes on.
  int32_t stop = want[0][1];
  p.stop_tokens = &stop;
  p.n_stop_tokens = 1;
  struct Seen {
    std::vector<std::vector<int32_t>> steps;
  } seen;
  auto cb = [](void *user, int64_t, const int32_t *tokens, int64_t batch) -> int {
    static_cast<Seen *>(user)->steps.emplace_back(tokens, tokens + batch);
    return 0;
  };
  ssmc::Session s2(model, 2);
  std::vector<int32_t> out(8);
  std::vector<int64_t> counts(2);
  ASSERT_EQ(ssmc_generate(s2.get(), prompt.data(), 3, &p, out.data(), counts.data(), cb, &seen),
            SSMC_OK) << ssmc_last_error();
  size_t firstStop = std::find(want[0].begin(), want[0].end(), stop) - want[0].begin();
  EXPECT_EQ(counts[0], static_cast<int64_t>(firstStop + 1));
  ASSERT_FALSE(seen.steps.empty());
  EXPECT_EQ(seen.steps[0], (std::vector<int32_t>{want[0][0], want[1][0]}));
  if (firstStop + 1 < seen.steps.size()) {
    EXPECT_EQ(seen.steps[firstStop + 1][0], -1);
  }
  EXPECT_EQ(out[static_cast<size_t>(counts[0])], counts[0] < 4 ? -1 : out[3]);

  // A callback returning nonzero stops after its step.
  auto stopNow = [](void *, int64_t, const int32_t *, int64_t) -> int { return 1; };
  p.n_stop_tokens = 0;
  ASSERT_EQ(ssmc_generate(s2.get(), prompt.data(), 3, &p, out.data(), counts.data(), stopNow,
                          nullptr), SSMC_OK);
  EXPECT_EQ(counts[0], 1);
  EXPECT_EQ(counts[1], 1);

  // Errors: bad token in the prompt, sampler/session batch mismatch.
  std::vector<int32_t> bad = {1, 9, 1, 1, 1, 1};
  EXPECT_EQ(ssmc_generate(s2.get(), bad.data(), 3, &p, nullptr, nullptr, nullptr, nullptr),
            SSMC_ERROR_BAD_INPUT);
  ssmc::Sampler one(params(0.0), 1);
  int32_t ids[2];
  try {
    one.sample(s2, ids);
    FAIL();
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_NE(std::string(e.what()).find("sampler was made for a batch of 1"), std::string::npos);
  }
}

} // namespace
