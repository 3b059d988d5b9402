// The tokenizer through the C API: artifacts built with the writer, carrying
// a tokenizer.json section (hf-bpe) or declaring the byte tokenizer.
#include "runtime_TestUtil.h"
#include "tokenizer_TestUtil.h"

#include <gtest/gtest.h>

#include <functional>

using rt_test::TempDir;
using tok_test::json;

namespace {

// The kernel-free toy model with its vocabulary widened to `vocab` (a
// multiple of 4, so the bias stays 64-byte aligned) and zero weights.
json wideManifest(int64_t vocab) {
  std::function<void(json &)> widen = [&](json &j) {
    if (j.is_number_integer() && j.get<int64_t>() == rt_test::kPadded)
      j = vocab;
    for (auto &child : j)
      if (j.is_structured())
        widen(child);
  };
  json m = rt_test::toyManifest(false);
  widen(m["entry_points"]);
  m["model"]["vocab_size"] = vocab;
  m["model"]["padded_vocab_size"] = vocab;
  m["weights"][0]["shape"] = {vocab, rt_test::kD};
  m["weights"][0]["nbytes"] = vocab * rt_test::kD * 4;
  m["weights"][1]["shape"] = {vocab};
  m["weights"][1]["offset"] = vocab * rt_test::kD * 4;
  m["weights"][1]["nbytes"] = vocab * 4;
  return m;
}

std::vector<uint8_t> bytesOf(const std::string &s) { return {s.begin(), s.end()}; }

struct Loaded {
  ssmc_model *model = nullptr;
  ssmc_status status = SSMC_OK;
  std::string message;
  ~Loaded() { ssmc_model_free(model); }
};

void load(const TempDir &dir, const json &manifest, const rt_test::Sections &extra,
          Loaded &out) {
  int64_t vocab = manifest["model"]["padded_vocab_size"].get<int64_t>();
  rt_test::Sections sections = {
      {"weights", std::vector<uint8_t>(static_cast<size_t>(vocab * (rt_test::kD + 1) * 4))}};
  sections.insert(sections.end(), extra.begin(), extra.end());
  rt_test::writeFile(dir.file("m.ssmc"), rt_test::buildImage(manifest, sections));
  out.status = ssmc_model_load(dir.file("m.ssmc").c_str(), nullptr, &out.model);
  out.message = ssmc_last_error();
}

json byteManifest(int64_t vocab) {
  json m = wideManifest(vocab);
  m["tokenizer"] = {{"kind", "byte"}};
  return m;
}

json hfManifest(int64_t vocab) {
  json m = wideManifest(vocab);
  m["tokenizer"] = {{"kind", "hf-bpe"}, {"section", "tokenizer.json"}};
  return m;
}

TEST(TokenizerCApi, HfBpeEncodeDecodeAndRun) {
  TempDir dir;
  Loaded l;
  load(dir, hfManifest(268), {{"tokenizer.json", bytesOf(tok_test::smallTokenizer().dump())}}, l);
  ASSERT_EQ(l.status, SSMC_OK) << l.message;
  EXPECT_EQ(ssmc_model_has_tokenizer(l.model), 1);

  const std::string text = "hello world<|end|>";
  size_t count = 0;
  ASSERT_EQ(ssmc_tokenize(l.model, text.data(), text.size(), nullptr, 0, &count), SSMC_OK);
  EXPECT_EQ(count, 6u);
  std::vector<int32_t> ids(count);
  EXPECT_EQ(ssmc_tokenize(l.model, text.data(), text.size(), ids.data(), 2, &count),
            SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ssmc_last_error()).find("too small"), std::string::npos);
  ASSERT_EQ(ssmc_tokenize(l.model, text.data(), text.size(), ids.data(), ids.size(), &count),
            SSMC_OK);
  EXPECT_EQ(ids, (std::vector<int32_t>{259, 261, 'r', 'l', 'd', 264}));

  char buf[64];
  size_t len = 0;
  ASSERT_EQ(ssmc_detokenize(l.model, ids.data(), ids.size(), buf, sizeof buf, &len), SSMC_OK);
  EXPECT_EQ(std::string(buf, len), text);
  EXPECT_EQ(buf[len], '\0');
  EXPECT_EQ(ssmc_detokenize(l.model, ids.data(), ids.size(), buf, 3, &len),
            SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(len, text.size());
  int32_t bad = 300;
  EXPECT_EQ(ssmc_detokenize(l.model, &bad, 1, buf, sizeof buf, &len), SSMC_ERROR_BAD_INPUT);

  // The ids are valid model input.
  ssmc_session *s = nullptr;
  ASSERT_EQ(ssmc_session_create(l.model, 1, &s), SSMC_OK);
  EXPECT_EQ(ssmc_prefill(s, ids.data(), static_cast<int64_t>(ids.size())), SSMC_OK)
      << ssmc_last_error();
  ssmc_session_free(s);
}

TEST(TokenizerCApi, StreamingDetokenizer) {
  TempDir dir;
  Loaded l;
  load(dir, byteManifest(260), {}, l);
  ASSERT_EQ(l.status, SSMC_OK) << l.message;
  ssmc_detokenizer *d = nullptr;
  ASSERT_EQ(ssmc_detokenizer_create(l.model, &d), SSMC_OK);
  char buf[8];
  size_t len = 99;
  ASSERT_EQ(ssmc_detokenizer_push(d, 0xC3, buf, sizeof buf, &len), SSMC_OK);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(ssmc_detokenizer_push(d, 0xA9, buf, 1, &len), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(ssmc_detokenizer_push(d, 999, buf, sizeof buf, &len), SSMC_ERROR_BAD_INPUT);
  ASSERT_EQ(ssmc_detokenizer_push(d, 0xA9, buf, sizeof buf, &len), SSMC_OK); // state kept
  EXPECT_EQ(std::string(buf, len), "\xC3\xA9");
  ASSERT_EQ(ssmc_detokenizer_push(d, 0xE2, buf, sizeof buf, &len), SSMC_OK);
  ASSERT_EQ(ssmc_detokenizer_finish(d, buf, sizeof buf, &len), SSMC_OK);
  EXPECT_EQ(std::string(buf, len), "\xE2");
  ssmc_model_free(l.model); // the detokenizer keeps the model alive
  l.model = nullptr;
  ASSERT_EQ(ssmc_detokenizer_push(d, 'a', buf, sizeof buf, &len), SSMC_OK);
  EXPECT_EQ(std::string(buf, len), "a");
  ssmc_detokenizer_free(d);
}

TEST(TokenizerCApi, ByteTokenizerRoundTrip) {
  TempDir dir;
  Loaded l;
  load(dir, byteManifest(260), {}, l);
  ASSERT_EQ(l.status, SSMC_OK) << l.message;
  std::string text("a\0\xff\xc3z", 5);
  int32_t ids[8];
  size_t n = 0, len = 0;
  ASSERT_EQ(ssmc_tokenize(l.model, text.data(), text.size(), ids, 8, &n), SSMC_OK);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(ids[2], 255);
  char buf[8];
  ASSERT_EQ(ssmc_detokenize(l.model, ids, n, buf, sizeof buf, &len), SSMC_OK);
  EXPECT_EQ(std::string(buf, len), text);
}

TEST(TokenizerCApi, NoTokenizer) {
  TempDir dir;
  Loaded l;
  load(dir, wideManifest(8), {}, l);
  ASSERT_EQ(l.status, SSMC_OK) << l.message;
  EXPECT_EQ(ssmc_model_has_tokenizer(l.model), 0);
  EXPECT_EQ(ssmc_model_has_tokenizer(nullptr), 0);
  size_t n;
  EXPECT_EQ(ssmc_tokenize(l.model, "a", 1, nullptr, 0, &n), SSMC_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(ssmc_last_error()).find("carries no tokenizer"), std::string::npos);
  EXPECT_EQ(ssmc_tokenize(nullptr, "a", 1, nullptr, 0, &n), SSMC_ERROR_INVALID_ARGUMENT);
}

TEST(TokenizerCApi, BadTokenizerEntriesFailTheLoad) {
  struct Bad {
    json tokenizer;
    rt_test::Sections sections;
    int64_t vocab;
    const char *message;
  };
  const std::vector<uint8_t> good = bytesOf(tok_test::smallTokenizer().dump());
  const Bad cases[] = {
      {{{"kind", "sentencepiece"}}, {}, 268, "unknown tokenizer kind \"sentencepiece\""},
      {{{"kind", "hf-bpe"}}, {}, 268, "tokenizer: missing required key \"section\""},
      {{{"kind", "hf-bpe"}, {"section", "tokenizer.json"}}, {}, 268, "no section \"tokenizer.json\""},
      {"hf-bpe", {}, 268, "tokenizer: expected an object"},
      {{{"kind", "byte"}}, {}, 8, "needs vocab_size >= 256"},
      {{{"kind", "hf-bpe"}, {"section", "tokenizer.json"}},
       {{"tokenizer.json", bytesOf("{\"model\": {\"type\": \"WordPiece\"}}")}}, 268,
       "section 'tokenizer.json': model.type: model type \"WordPiece\""},
      {{{"kind", "hf-bpe"}, {"section", "tokenizer.json"}},
       {{"tokenizer.json", bytesOf("{not json")}}, 268,
       "section 'tokenizer.json': not well-formed JSON"},
      {{{"kind", "hf-bpe"}, {"section", "tokenizer.json"}}, {{"tokenizer.json", good}}, 260,
       "the tokenizer has ids up to 264 but the model's vocab_size is 260"},
  };
  for (const Bad &c : cases) {
    SCOPED_TRACE(c.message);
    TempDir dir;
    json m = wideManifest(c.vocab);
    m["tokenizer"] = c.tokenizer;
    Loaded l;
    load(dir, m, c.sections, l);
    EXPECT_NE(l.status, SSMC_OK);
    EXPECT_EQ(l.model, nullptr);
    EXPECT_EQ(l.message.rfind(dir.file("m.ssmc") + ": ", 0), 0u) << l.message;
    EXPECT_NE(l.message.find(c.message), std::string::npos) << l.message;
  }
}

} // namespace
