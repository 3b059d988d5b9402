// The pieces: GPT-2 split, byte tokenizer, streaming decoder, BPE merging on
// a small hand-made tokenizer.json.
#include "tokenizer_TestUtil.h"

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <random>

using namespace tok_test;
using Ids = std::vector<int32_t>;

namespace {

std::vector<std::string> split(const std::string &text) {
  std::vector<std::string_view> pieces;
  ssmc::splitGpt2(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(Gpt2Split, Words) {
  EXPECT_EQ(split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split("123abc 456"), (Pieces{"123", "abc", " 456"}));
  EXPECT_EQ(split("hi!! ?"), (Pieces{"hi", "!!", " ?"}));
  EXPECT_EQ(split("naïve café"), (Pieces{"naïve", " café"}));
  EXPECT_EQ(split("Привет мир"), (Pieces{"Привет", " мир"}));
}

TEST(Gpt2Split, Contractions) {
  EXPECT_EQ(split("I'm you'll we've"), (Pieces{"I", "'m", " you", "'ll", " we", "'ve"}));
  EXPECT_EQ(split("'ll've'd"), (Pieces{"'ll", "'ve", "'d"}));
  EXPECT_EQ(split("'S 'x"), (Pieces{"'", "S", " '", "x"})); // case-sensitive
}

TEST(Gpt2Split, Whitespace) {
  EXPECT_EQ(split("a  b"), (Pieces{"a", " ", " b"}));
  EXPECT_EQ(split("a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(split("x\t\ty"), (Pieces{"x", "\t", "\t", "y"}));
  EXPECT_EQ(split("a \n b"), (Pieces{"a", " \n", " b"}));
  EXPECT_EQ(split("end   "), (Pieces{"end", "   "}));
  EXPECT_EQ(split("\n\nx"), (Pieces{"\n", "\n", "x"}));
  EXPECT_EQ(split(" "), (Pieces{" "}));
}

TEST(Gpt2Split, InvalidUtf8IsOther) {
  EXPECT_EQ(split("a\xff\xfe" "b"), (Pieces{"a", "\xff\xfe", "b"}));
  EXPECT_EQ(split(" \xc3"), (Pieces{" \xc3"}));
}

TEST(Gpt2Split, CoversEveryByte) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    std::string s(rng() % 40, '\0');
    for (char &c : s)
      c = static_cast<char>(rng() % 4 == 0 ? ' ' : rng() % 256);
    std::string joined;
    for (const std::string &p : split(s)) {
      EXPECT_FALSE(p.empty());
      joined += p;
    }
    EXPECT_EQ(joined, s);
  }
}

TEST(Unicode, Classes) {
  using namespace ssmc::unicode;
  EXPECT_TRUE(isLetter('a') && isLetter('Z') && isLetter(0xE9) && isLetter(0x4E2D));
  EXPECT_FALSE(isLetter('1') || isLetter(' ') || isLetter(0x1F642) || isLetter(kInvalid));
  EXPECT_TRUE(isNumber('7') && isNumber(0x0663) && isNumber(0x216B) && isNumber(0xB2));
  EXPECT_TRUE(isWhitespace(' ') && isWhitespace(0xA0) && isWhitespace(0x3000));
  EXPECT_FALSE(isWhitespace('x'));
}

TEST(ByteTokenizer, RoundTripsRandomBytes) {
  auto t = ssmc::makeByteTokenizer(4);
  EXPECT_EQ(t->idLimit(), 260);
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 300, '\0');
    for (char &c : s)
      c = static_cast<char>(rng() % 256);
    Ids ids = t->encode(s);
    ASSERT_EQ(ids.size(), s.size());
    for (size_t i = 0; i < s.size(); ++i)
      EXPECT_EQ(ids[i], static_cast<unsigned char>(s[i]));
    EXPECT_EQ(t->decode(ids), s);
  }
}

TEST(ByteTokenizer, SpecialsDecodeToNothingAndUnknownIdsFail) {
  auto t = ssmc::makeByteTokenizer(2);
  EXPECT_EQ(t->decode(Ids{'a', 256, 'b', 257}), "ab");
  try {
    t->decode(Ids{'a', 258});
    FAIL() << "expected an error";
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_EQ(e.code(), ssmc::ErrorCode::BadInput);
    EXPECT_NE(std::string(e.what()).find("token id 258"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t->decode(Ids{-1}), ssmc::RuntimeError);
}

TEST(StreamDecoder, HoldsSplitCharacters) {
  auto t = ssmc::makeByteTokenizer();
  ssmc::StreamDecoder d(*t);
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xC3), "");  // é = C3 A9
  EXPECT_EQ(d.push(0xA9), "\xC3\xA9");
  EXPECT_EQ(d.push(0xF0), ""); // 🙂 = F0 9F 99 82
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x99), "");
  EXPECT_EQ(d.pending(), 3u);
  EXPECT_EQ(d.push(0x82), "\xF0\x9F\x99\x82");
  EXPECT_EQ(d.push(0xFF), "\xFF"); // never valid: released at once
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.push('x'), "\xC3x"); // the lead byte turned out invalid
  EXPECT_EQ(d.push(0xE2), "");
  EXPECT_EQ(d.finish(), "\xE2");
  EXPECT_EQ(d.pending(), 0u);
}

bool validUtf8(const std::string &s) {
  size_t len;
  for (size_t p = 0; p < s.size(); p += len)
    if (ssmc::unicode::decode(s, p, len) == ssmc::unicode::kInvalid)
      return false;
  return true;
}

TEST(StreamDecoder, ReleasesWholeCharactersOnly) {
  auto t = ssmc::makeByteTokenizer();
  std::mt19937 rng(99);
  const std::string valid = "héllo 🙂 wörld ∑ 中文";
  for (int round = 0; round < 200; ++round) {
    // Valid text: every released part is valid UTF-8 on its own. With random
    // bytes inserted: the parts still concatenate to the input.
    std::string s = valid;
    bool corrupt = round % 2;
    for (int i = 0; corrupt && i < 5; ++i)
      s.insert(rng() % (s.size() + 1), 1, static_cast<char>(rng() % 256));
    ssmc::StreamDecoder d(*t);
    std::string streamed;
    for (int32_t id : t->encode(s)) {
      std::string part = d.push(id);
      if (!corrupt) {
        EXPECT_TRUE(validUtf8(part)) << part;
      }
      streamed += part;
    }
    streamed += d.finish();
    EXPECT_EQ(streamed, s);
  }
}

std::unique_ptr<ssmc::Tokenizer> small(bool prefixSpace = false) {
  json j = smallTokenizer();
  j["pre_tokenizer"]["add_prefix_space"] = prefixSpace;
  return ssmc::loadHfTokenizer(j.dump(), "small.json");
}

TEST(HfBpe, MergesByRank) {
  auto t = small();
  EXPECT_EQ(t->idLimit(), 265);
  EXPECT_EQ(t->encode("hello"), (Ids{259}));
  // "Ġ w" (rank 4) and "Ġw o" (5) beat "o r" (6); there is no "Ġwo r" merge.
  EXPECT_EQ(t->encode("hello world"), (Ids{259, 261, 'r', 'l', 'd'}));
  EXPECT_EQ(t->encode("world"), (Ids{'w', 262, 'l', 'd'}));
  EXPECT_EQ(t->encode("hellllo"), (Ids{258, 257, 'o'}));
  EXPECT_EQ(t->encode(""), Ids{});
}

TEST(HfBpe, AddedTokensAreMatchedFirst) {
  auto t = small();
  EXPECT_EQ(t->encode("hello<|end|>world"), (Ids{259, 264, 'w', 262, 'l', 'd'}));
  EXPECT_EQ(t->encode("<|end|><|end|>"), (Ids{264, 264}));
  EXPECT_EQ(t->encode("<|end|"), (Ids{'<', '|', 'e', 'n', 'd', '|'}));
  EXPECT_EQ(t->decode(Ids{259, 264, 259}), "hello<|end|>hello");
}

TEST(HfBpe, AddPrefixSpace) {
  EXPECT_EQ(small(true)->encode("hello"), (Ids{' ', 259}));
  EXPECT_EQ(small(true)->encode(" world"), (Ids{261, 'r', 'l', 'd'}));
}

TEST(HfBpe, NfcNormalizerComposesBeforeSplitting) {
  json j = smallTokenizer();
  j["normalizer"] = nullptr;
  auto raw = ssmc::loadHfTokenizer(j.dump(), "small.json");
  j["normalizer"] = {{"type", "NFC"}};
  auto nfc = ssmc::loadHfTokenizer(j.dump(), "small.json");
  // e + U+0301 is U+00E9 (bytes C3 A9) once normalized; added tokens are
  // matched on the raw text and the segments between them normalized.
  EXPECT_EQ(raw->encode("e\xCC\x81"), (Ids{'e', 0xCC, 0x81}));
  EXPECT_EQ(nfc->encode("e\xCC\x81"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(nfc->encode("e\xCC\x81<|end|>e\xCC\x81"), (Ids{0xC3, 0xA9, 264, 0xC3, 0xA9}));
  EXPECT_EQ(nfc->encode("hello"), (Ids{259}));
  EXPECT_EQ(nfc->decode(nfc->encode("a\xFF\xCC\x81")), "a\xFF\xCC\x81"); // bytes survive
}

TEST(HfBpe, DecodeIsByteExact) {
  auto t = small();
  std::mt19937 rng(5);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 50, '\0');
    for (char &c : s)
      c = static_cast<char>("hello wrd<|end|>\xc3\xa9\xff\n"[rng() % 20]);
    EXPECT_EQ(t->decode(t->encode(s)), s);
  }
}

TEST(HfBpe, LongWordIsFast) {
  // 1 MB without a split point: the queue-based merge stays O(n log n).
  auto t = small();
  std::string s;
  for (int i = 0; i < 200000; ++i)
    s += "hello";
  Ids ids = t->encode(s);
  EXPECT_EQ(ids.size(), 200000u);
  EXPECT_EQ(t->decode(ids), s);
}

} // namespace
