// NFC normalization against Python's unicodedata (test/unit/tokenizer/
// nfc-vectors.txt, written with the tables by scripts/gen-unicode-nfc.py):
// every decomposable character alone and decomposed, and random mixes of
// letters, marks in any order and Hangul. Plus the byte-level cases:
// invalid UTF-8 is kept and blocks composition.
#include "tokenizer/nfc.h"
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

std::string utf8(const std::string &hexList) {
  std::istringstream in(hexList);
  std::string out, hex;
  while (in >> hex)
    ssmc::unicode::appendUtf8(out, static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
  return out;
}

TEST(Nfc, MatchesUnicodedataOnEveryVector) {
  std::ifstream f(SSMC_SOURCE_DIR "/test/unit/tokenizer/nfc-vectors.txt");
  ASSERT_TRUE(f) << "cannot read nfc-vectors.txt";
  std::string line;
  int checked = 0, wrong = 0;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t semi = line.find(';');
    ASSERT_NE(semi, std::string::npos) << line;
    std::string input = utf8(line.substr(0, semi)), want = utf8(line.substr(semi + 1));
    ++checked;
    if (ssmc::unicode::toNFC(input) != want && ++wrong <= 10)
      ADD_FAILURE() << "NFC of " << line.substr(0, semi) << " should be "
                    << line.substr(semi + 1);
    // NFC is idempotent.
    if (ssmc::unicode::toNFC(want) != want && ++wrong <= 10)
      ADD_FAILURE() << "NFC changes " << line.substr(semi + 1);
  }
  EXPECT_GT(checked, 5000);
  EXPECT_EQ(wrong, 0);
}

TEST(Nfc, KnownCases) {
  using ssmc::unicode::toNFC;
  EXPECT_EQ(toNFC("plain ascii"), "plain ascii");
  EXPECT_EQ(toNFC("e\xCC\x81"), "\xC3\xA9");               // e + U+0301 -> U+00E9
  EXPECT_EQ(toNFC("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80"); // jamo G + A -> U+AC00
  EXPECT_EQ(toNFC("\xE2\x84\xAB"), "\xC3\x85");            // U+212B ANGSTROM SIGN -> U+00C5
  // Marks reorder by class (dot below 220 before acute 230); q composes
  // with neither.
  EXPECT_EQ(toNFC("q\xCC\x81\xCC\xA3"), "q\xCC\xA3\xCC\x81");
}

TEST(Nfc, InvalidBytesAreKeptAndBlock) {
  using ssmc::unicode::toNFC;
  EXPECT_EQ(toNFC("\xFF"), "\xFF");
  EXPECT_EQ(toNFC("a\xFF\xCC\x81"), "a\xFF\xCC\x81"); // U+0301 cannot reach the a
  EXPECT_EQ(toNFC("e\xCC\x81\xC3"), "\xC3\xA9\xC3");  // a truncated tail stays
  EXPECT_EQ(toNFC("\xCC\x81\xFE"), "\xCC\x81\xFE");
}

} // namespace
