// ssmc-run's perplexity math (tools/ssmc-run/perplexity.h), checked against
// values worked out by hand.
#include "perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace ssmc_run;

TEST(PerplexityWindows, OverlapByOneAndScoreEveryTokenOnce) {
  auto w = perplexityWindows(10, 4); // starts 0, 3, 6; the last is 4 long
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].start, 0);
  EXPECT_EQ(w[0].length, 4);
  EXPECT_EQ(w[1].start, 3);
  EXPECT_EQ(w[2].start, 6);
  EXPECT_EQ(w[2].length, 4);
  int64_t scored = 0;
  for (const Window &x : w)
    scored += x.length - 1;
  EXPECT_EQ(scored, 9);

  auto tail = perplexityWindows(11, 4); // a last window of 2 tokens
  ASSERT_EQ(tail.size(), 4u);
  EXPECT_EQ(tail[3].start, 9);
  EXPECT_EQ(tail[3].length, 2);

  EXPECT_EQ(perplexityWindows(5, 1024).size(), 1u);
  EXPECT_EQ(perplexityWindows(5, 1024)[0].length, 5);
  EXPECT_TRUE(perplexityWindows(1, 8).empty());
  EXPECT_TRUE(perplexityWindows(0, 8).empty());
  EXPECT_EQ(perplexityWindows(3, 2).size(), 2u);
}

TEST(PerplexityNll, LogSoftmaxOverTheRealVocabulary) {
  // Two rows of 3 real ids + 1 padded id (huge, must be ignored).
  const float logits[] = {0.f, 0.f, 0.f, 1e9f, //
                          std::log(2.f), 0.f, 0.f, 1e9f};
  const int32_t tokens[] = {0, 1, 0};
  PerplexityTotals t;
  std::string error;
  ASSERT_TRUE(addWindowNll(logits, 4, 3, tokens, 3, t, error)) << error;
  // p(1 | row 0) = 1/3; p(0 | row 1) = 2/4 (up to float(log 2)).
  EXPECT_EQ(t.predicted, 2);
  EXPECT_NEAR(t.nllNats, std::log(3.0) + std::log(2.0), 1e-7);
  EXPECT_NEAR(t.perplexity(), std::sqrt(6.0), 1e-7);
  EXPECT_NEAR(t.bitsPerToken(), std::log2(6.0) / 2, 1e-7);
  EXPECT_NEAR(t.bitsPerByte(4), std::log2(6.0) / 4, 1e-7);
}

TEST(PerplexityNll, LargeLogitsDoNotOverflow) {
  const float logits[] = {1000.f, 1000.f};
  const int32_t tokens[] = {0, 1};
  PerplexityTotals t;
  std::string error;
  ASSERT_TRUE(addWindowNll(logits, 2, 2, tokens, 2, t, error));
  EXPECT_NEAR(t.nllNats, std::log(2.0), 1e-12);
}

TEST(PerplexityNll, NanAndAllInfiniteRowsAreErrors) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const int32_t tokens[] = {0, 1};
  PerplexityTotals t;
  std::string error;
  const float withNan[] = {0.f, nan};
  EXPECT_FALSE(addWindowNll(withNan, 2, 2, tokens, 2, t, error));
  EXPECT_NE(error.find("NaN"), std::string::npos);
  const float allInf[] = {-inf, -inf};
  EXPECT_FALSE(addWindowNll(allInf, 2, 2, tokens, 2, t, error));
  EXPECT_NE(error.find("no finite"), std::string::npos);
}

TEST(PerplexityTokenFile, CommasAndWhitespace) {
  std::vector<int32_t> ids;
  std::string error;
  ASSERT_TRUE(parseTokenFile("1,2, 3\n4\t5,,\n", "f.txt", ids, error)) << error;
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 2, 3, 4, 5}));
  ASSERT_TRUE(parseTokenFile("", "f.txt", ids, error));
  EXPECT_TRUE(ids.empty());
  EXPECT_FALSE(parseTokenFile("1,-2", "f.txt", ids, error));
  EXPECT_EQ(error, "f.txt: byte 2: bad token id \"-2\" (expected non-negative integers "
                   "separated by commas)");
  EXPECT_FALSE(parseTokenFile("2147483648", "f.txt", ids, error));
  EXPECT_FALSE(parseTokenFile("1;2", "f.txt", ids, error));
  EXPECT_TRUE(parseTokenFile("2147483647", "f.txt", ids, error));
}
