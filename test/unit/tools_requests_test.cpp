// ssmc-run's --batch-file requests: parsing (token lines and JSON requests),
// the errors naming file and line, the settings a prompt generates with,
// and malformed files ending in an error rather than a crash.
#include "requests.h"

#include <gtest/gtest.h>

#include <random>

using namespace ssmc_run;

namespace {

std::vector<Request> parse(const std::string &text) {
  std::string error;
  auto r = parseBatchFile(text, "p.jsonl", error);
  EXPECT_TRUE(r.has_value()) << error;
  return r ? *r : std::vector<Request>{};
}

std::string parseError(const std::string &text) {
  std::string error;
  auto r = parseBatchFile(text, "p.jsonl", error);
  EXPECT_FALSE(r.has_value()) << text;
  return error;
}

} // namespace

TEST(BatchFile, TokenLinesAndRequestsMix) {
  auto rs = parse("# header\r\n4,5\r\n\n  {\"tokens\": [7], \"temperature\": 0.5, \"top_k\": 3,"
                  " \"top_p\": 0.8, \"min_p\": 0.1, \"repetition_penalty\": 1.2, \"seed\": 9,"
                  " \"max_new_tokens\": 2, \"stop_tokens\": [1, 2]}\n{\"prompt\": \"hi\"}");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].line, 2);
  EXPECT_EQ(rs[0].tokens, (std::vector<int32_t>{4, 5}));
  EXPECT_FALSE(rs[0].ownSettings());
  EXPECT_EQ(rs[1].line, 4);
  EXPECT_EQ(rs[1].tokens, std::vector<int32_t>{7});
  EXPECT_EQ(rs[1].temperature, 0.5);
  EXPECT_EQ(rs[1].topK, 3);
  EXPECT_EQ(rs[1].topP, 0.8);
  EXPECT_EQ(rs[1].minP, 0.1);
  EXPECT_EQ(rs[1].repetitionPenalty, 1.2);
  EXPECT_EQ(rs[1].seed, 9u);
  EXPECT_EQ(rs[1].maxNewTokens, 2);
  EXPECT_EQ(rs[1].stopTokens, (std::vector<int32_t>{1, 2}));
  EXPECT_TRUE(rs[1].ownSettings());
  EXPECT_EQ(rs[2].line, 5);
  EXPECT_EQ(rs[2].text, std::string("hi"));
  EXPECT_TRUE(rs[2].tokens.empty());
  EXPECT_FALSE(rs[2].ownSettings());
}

TEST(BatchFile, ErrorsNameFileLineAndProblem) {
  const std::pair<const char *, const char *> cases[] = {
      {"1\n{\"tokens\": [1], \"seed\": -1}", "p.jsonl:2: \"seed\": expected a non-negative integer, got -1"},
      {"{\"tokens\": [1], \"max_new_tokens\": 1073741825}",
       "p.jsonl:1: \"max_new_tokens\": expected an integer in [0, 1073741824], got 1073741825"},
      {"{\"tokens\": [1], \"repetition_penalty\": 0}",
       "p.jsonl:1: \"repetition_penalty\": expected a number > 0, got 0"},
      {"{\"tokens\": [1], \"min_p\": 1.5}", "p.jsonl:1: \"min_p\": expected a number in [0, 1], got 1.5"},
      {"{\"tokens\": [2147483648]}",
       "p.jsonl:1: \"tokens\": expected a non-empty array of non-negative integers, got [2147483648]"},
      {"{\"tokens\": []}", "p.jsonl:1: \"tokens\": expected a non-empty array of non-negative integers, got []"},
      {"{\"stop_tokens\": [1]}", "p.jsonl:1: give the prompt once, as \"tokens\" or as \"prompt\""},
      {"{\"prompt\": 3}", "p.jsonl:1: \"prompt\": expected non-empty text, got 3"},
      {"{\"tokens\": [1]} trailing", "p.jsonl:1: not valid JSON (a request is one object per line)"},
      {"\n\n# only comments\n", "p.jsonl: no prompts (expected one per line: comma-separated token ids or a JSON request)"},
      {"1,,2", "p.jsonl:1: bad token id \"\" in \"1,,2\" (expected non-negative integers separated by commas)"},
  };
  for (const auto &[text, message] : cases)
    EXPECT_EQ(parseError(text), message) << text;
}

TEST(BatchFile, SettingsComeFromTheRequestOverTheCommandLine) {
  Options o;
  o.temperature = 0.0;
  o.topK = 0;
  o.seed = 100;
  o.maxNewTokens = 8;
  o.stopTokens = {5};
  Settings plain = settingsFor(o, nullptr, 3);
  EXPECT_EQ(plain.seed, 103u); // prompt i takes S + i
  EXPECT_EQ(plain.temperature, 0.0);
  EXPECT_EQ(plain.maxNewTokens, 8);
  EXPECT_EQ(plain.stopTokens, std::vector<int32_t>{5});

  auto rs = parse("{\"tokens\": [1], \"top_p\": 0.5}\n"
                  "{\"tokens\": [1], \"top_p\": 0.5, \"temperature\": 0}\n"
                  "{\"tokens\": [1], \"seed\": 7, \"stop_tokens\": [], \"max_new_tokens\": 0}");
  Settings filtered = settingsFor(o, &rs[0], 0);
  EXPECT_EQ(filtered.temperature, 1.0); // a filter means sampling
  EXPECT_EQ(filtered.topP, 0.5);
  EXPECT_EQ(filtered.seed, 100u);
  EXPECT_EQ(settingsFor(o, &rs[1], 1).temperature, 0.0); // asked for greedy
  Settings own = settingsFor(o, &rs[2], 2);
  EXPECT_EQ(own.seed, 7u);
  EXPECT_TRUE(own.stopTokens.empty());
  EXPECT_EQ(own.maxNewTokens, 0);
  o.temperature = 0.3; // a sampling command line keeps its temperature
  EXPECT_EQ(settingsFor(o, &rs[0], 0).temperature, 0.3);
}

// Random edits of a good file parse or fail with a message that names the
// file; they never crash.
TEST(BatchFile, MalformedFilesFailCleanly) {
  const std::string good = "1,2\n{\"tokens\": [3, 4], \"temperature\": 0.7, \"stop_tokens\": "
                           "[1], \"prompt\": \"x\\u00e9\"}\n{\"prompt\": \"hi\", \"top_k\": 2}\n";
  const std::string alphabet = "{}[]\",:0123456789.-eE \n\\u#abtrue";
  std::mt19937 rng(17);
  for (int round = 0; round < 3000; ++round) {
    std::string text = good;
    const int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
      case 0: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      case 1: if (at < text.size()) text.erase(at, 1); break;
      default: if (at < text.size()) text[at] = char(rng() % 256); break;
      }
    }
    std::string error;
    auto r = parseBatchFile(text, "p.jsonl", error);
    if (!r)
      EXPECT_EQ(error.rfind("p.jsonl", 0), 0u) << error;
  }
}
