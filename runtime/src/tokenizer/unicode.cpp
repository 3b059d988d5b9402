// UTF-8 stepping and the character classes of the GPT-2 pre-tokenizer.
#include "tokenizer/unicode.h"

#include <algorithm>
#include <iterator>

namespace ssmc::unicode {

namespace {

struct CodeRange {
  uint32_t first, last;
};
#include "tokenizer/unicode_ranges.inc"

template <size_t N> bool inRanges(const CodeRange (&table)[N], uint32_t cp) {
  auto it = std::upper_bound(std::begin(table), std::end(table), cp,
                             [](uint32_t c, const CodeRange &r) { return c < r.first; });
  return it != std::begin(table) && cp <= std::prev(it)->last;
}

bool isContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Sequence length announced by a lead byte and the allowed range of the
// second byte (excludes overlongs, surrogates and > U+10FFFF); 0 if not a lead.
size_t leadLength(unsigned char b, unsigned char &lo, unsigned char &hi) {
  lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) {
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
    return 4;
  }
  return 0;
}

} // namespace

uint32_t decode(std::string_view text, size_t pos, size_t &length) {
  length = 1;
  unsigned char b = static_cast<unsigned char>(text[pos]);
  if (b < 0x80)
    return b;
  unsigned char lo, hi;
  size_t n = leadLength(b, lo, hi);
  if (n == 0 || pos + n > text.size())
    return kInvalid;
  unsigned char b1 = static_cast<unsigned char>(text[pos + 1]);
  if (b1 < lo || b1 > hi)
    return kInvalid;
  uint32_t cp = b & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[pos + i]);
    if (!isContinuation(c))
      return kInvalid;
    cp = (cp << 6) | (c & 0x3F);
  }
  length = n;
  return cp;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isLetter(uint32_t cp) {
  if (cp < 0x80)
    return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return cp != kInvalid && inRanges(kLetterRanges, cp);
}

bool isNumber(uint32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9';
  return cp != kInvalid && inRanges(kNumberRanges, cp);
}

bool isWhitespace(uint32_t cp) {
  switch (cp) {
  case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
  case 0x202F: case 0x205F: case 0x3000:
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200A;
  }
}

size_t incompleteTail(std::string_view bytes) {
  // A sequence is at most 4 bytes, so only the last 3 can be an unfinished one.
  for (size_t k = 1; k <= 3 && k <= bytes.size(); ++k) {
    unsigned char b = static_cast<unsigned char>(bytes[bytes.size() - k]);
    if (isContinuation(b))
      continue;
    unsigned char lo, hi;
    size_t n = leadLength(b, lo, hi);
    if (n <= k)
      return 0; // complete, or not a lead byte at all
    if (k >= 2) {
      unsigned char b1 = static_cast<unsigned char>(bytes[bytes.size() - k + 1]);
      if (b1 < lo || b1 > hi)
        return 0; // already invalid: holding it back would not help
    }
    return k;
  }
  return 0;
}

} // namespace ssmc::unicode
