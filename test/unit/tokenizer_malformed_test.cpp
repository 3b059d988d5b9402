// Malformed and unsupported tokenizer.json files: one clear error naming the
// file, never a crash; plus a fixed-seed fuzz loop over mutations.
#include "tokenizer_TestUtil.h"

#include "tokenizer/tokenizer.h"

#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

using namespace tok_test;

namespace {

struct Case {
  const char *name;
  std::function<void(json &)> mutate;
  const char *message; // expected substring
  ssmc::ErrorCode code;
};

void expectError(const std::string &text, const char *message, ssmc::ErrorCode code) {
  try {
    ssmc::loadHfTokenizer(text, "dir/tokenizer.json");
    ADD_FAILURE() << "accepted; expected: " << message;
  } catch (const ssmc::RuntimeError &e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("dir/tokenizer.json: ", 0), 0u) << what;
    EXPECT_NE(what.find(message), std::string::npos) << what;
    EXPECT_EQ(e.code(), code) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

const auto Bad = ssmc::ErrorCode::BadArtifact;
const auto Unsup = ssmc::ErrorCode::Unsupported;

TEST(MalformedTokenizer, Corpus) {
  const Case cases[] = {
      {"no model", [](json &j) { j.erase("model"); }, "missing required key \"model\"", Bad},
      {"null model", [](json &j) { j["model"] = nullptr; }, "missing required key \"model\"", Bad},
      {"model not object", [](json &j) { j["model"] = 3; }, "model: expected an object", Bad},
      {"WordPiece", [](json &j) { j["model"]["type"] = "WordPiece"; },
       "model type \"WordPiece\" is not supported", Unsup},
      {"Unigram", [](json &j) { j["model"] = {{"type", "Unigram"}, {"vocab", json::array()}}; },
       "model type \"Unigram\"", Unsup},
      {"no vocab", [](json &j) { j["model"].erase("vocab"); }, "missing required key \"vocab\"", Bad},
      {"vocab array", [](json &j) { j["model"]["vocab"] = json::array(); },
       "model.vocab: expected an object", Bad},
      {"negative id", [](json &j) { j["model"]["vocab"]["he"] = -1; }, "model.vocab[\"he\"]", Bad},
      {"string id", [](json &j) { j["model"]["vocab"]["he"] = "256"; }, "token id must be", Bad},
      {"huge id", [](json &j) { j["model"]["vocab"]["he"] = 2000000000; }, "ids must be dense", Bad},
      {"huge added id", [](json &j) { j["added_tokens"][0]["id"] = 100000000; }, "ids must be dense", Bad},
      {"duplicate id", [](json &j) { j["model"]["vocab"]["he"] = 257; }, "used by two tokens", Bad},
      {"missing byte", [](json &j) { j["model"]["vocab"].erase("Ċ"); }, "no token for byte 0x0A", Bad},
      {"no merges", [](json &j) { j["model"].erase("merges"); }, "missing required key \"merges\"", Bad},
      {"merge no space", [](json &j) { j["model"]["merges"][0] = "he"; }, "model.merges[0]: expected \"LEFT RIGHT\"", Bad},
      {"merge 3 parts", [](json &j) { j["model"]["merges"][1] = "l l l"; }, "model.merges[1]", Bad},
      {"merge array 3", [](json &j) { j["model"]["merges"][2] = {"a", "b", "c"}; }, "model.merges[2]: expected a string", Bad},
      {"merge number", [](json &j) { j["model"]["merges"][2] = 5; }, "model.merges[2]", Bad},
      {"merge unknown token", [](json &j) { j["model"]["merges"][0] = "h zz"; },
       "unknown token \"zz\"", Bad},
      {"merge result unknown", [](json &j) { j["model"]["merges"].push_back("e h"); },
       "model.merges[7]: unknown token \"eh\"", Bad},
      {"byte fallback", [](json &j) { j["model"]["byte_fallback"] = true; }, "byte_fallback", Unsup},
      {"subword prefix", [](json &j) { j["model"]["continuing_subword_prefix"] = "##"; },
       "continuing_subword_prefix", Unsup},
      {"no pre_tokenizer", [](json &j) { j["pre_tokenizer"] = nullptr; }, "no ByteLevel pre-tokenizer", Unsup},
      {"Metaspace", [](json &j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }, "pre-tokenizer \"Metaspace\"", Unsup},
      {"flag type", [](json &j) { j["pre_tokenizer"]["add_prefix_space"] = "yes"; },
       "pre_tokenizer.add_prefix_space: expected true or false", Bad},
      {"Lowercase", [](json &j) { j["normalizer"] = {{"type", "Lowercase"}}; }, "normalizer \"Lowercase\"", Unsup},
      {"WordPiece decoder", [](json &j) { j["decoder"] = {{"type", "WordPiece"}}; }, "decoder \"WordPiece\"", Unsup},
      {"added not array", [](json &j) { j["added_tokens"] = 1; }, "added_tokens: expected an array", Bad},
      {"added no id", [](json &j) { j["added_tokens"][0].erase("id"); }, "added_tokens[0]: missing required key \"id\"", Bad},
      {"added empty", [](json &j) { j["added_tokens"][0]["content"] = ""; }, "added_tokens[0].content", Bad},
      {"root array", [](json &j) { j = json::array(); }, "(root): expected an object", Bad},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    json j = smallTokenizer();
    c.mutate(j);
    expectError(j.dump(), c.message, c.code);
  }
}

TEST(MalformedTokenizer, NotJson) {
  expectError("", "not well-formed JSON", Bad);
  expectError("{\"model\": ", "not well-formed JSON", Bad);
  expectError("{\"model\": {\"vocab\": {\"\xff\": 1}}}", "not well-formed JSON", Bad);
}

TEST(MalformedTokenizer, MissingFile) {
  try {
    ssmc::loadHfTokenizerFile("/nonexistent/tokenizer.json");
    FAIL();
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_EQ(e.code(), ssmc::ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tokenizer.json"), std::string::npos);
  }
}

TEST(MalformedTokenizer, FuzzNeverCrashes) {
  // Byte flips, truncations and structural edits; each load either succeeds
  // (and then round-trips text) or throws a RuntimeError naming the file.
  const std::string base = smallTokenizer().dump();
  std::mt19937 rng(20240611);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    switch (round % 3) {
    case 0:
      for (int k = 1 + rng() % 4; k > 0; --k)
        text[rng() % text.size()] = static_cast<char>(rng() % 256);
      break;
    case 1:
      text.resize(rng() % text.size());
      break;
    default: {
      json j = smallTokenizer();
      const char *keys[] = {"model", "pre_tokenizer", "decoder", "normalizer", "added_tokens"};
      json junk[] = {nullptr, 1, -1, "x", json::array(), json::object(), true,
                     json::array({"a b"}), 4294967296.0};
      json &target = j[keys[rng() % 5]];
      if (target.is_object() && !target.empty() && rng() % 2) {
        auto it = std::next(target.begin(), rng() % target.size());
        *it = junk[rng() % 9];
      } else {
        target = junk[rng() % 9];
      }
      text = j.dump();
    }
    }
    try {
      auto t = ssmc::loadHfTokenizer(text, "fuzz.json");
      ++accepted;
      // A mutated pre_tokenizer may fall back to add_prefix_space = true.
      const std::string s = "hello world <|end|> é\xff";
      std::string back = t->decode(t->encode(s));
      EXPECT_TRUE(back == s || back == " " + s) << back;
    } catch (const ssmc::RuntimeError &e) {
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.json: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(accepted, 0);
}

} // namespace
