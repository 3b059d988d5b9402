#include "tokenizer/nfc.h"

#include "tokenizer/unicode.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ssmc::unicode {

namespace {

struct CombiningRange {
  uint32_t first, last;
  uint8_t ccc;
};
struct Decomposition {
  uint32_t cp, first, second; // second 0: a singleton
};
struct Composition {
  uint32_t first, second, composite;
};

#include "tokenizer/nfc_tables.inc"

// Hangul syllables decompose and compose by arithmetic (Unicode ch. 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

// An invalid byte b is carried as kByte | b: above every code point, class 0.
constexpr uint32_t kByte = 0x80000000u;

uint8_t combiningClass(uint32_t cp) {
  auto it = std::upper_bound(std::begin(kCombining), std::end(kCombining), cp,
                             [](uint32_t c, const CombiningRange &r) { return c < r.first; });
  if (it == std::begin(kCombining))
    return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t> &out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount)
      out.push_back(kTBase + s % kTCount);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const Decomposition &d, uint32_t c) { return d.cp < c; });
  if (it == std::end(kDecompositions) || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  decompose(it->first, out);
  if (it->second)
    decompose(it->second, out);
}

// The primary composite of (a, b), or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  auto it = std::lower_bound(std::begin(kCompositions), std::end(kCompositions),
                             std::pair<uint32_t, uint32_t>(a, b),
                             [](const Composition &c, std::pair<uint32_t, uint32_t> key) {
                               return c.first != key.first ? c.first < key.first
                                                           : c.second < key.second;
                             });
  return it != std::end(kCompositions) && it->first == a && it->second == b ? it->composite : 0;
}

} // namespace

std::string toNFC(std::string_view text) {
  // Below U+0300 nothing decomposes or composes with what precedes it.
  bool simple = true;
  for (size_t pos = 0, n = 0; simple && pos < text.size(); pos += n) {
    uint32_t cp = decode(text, pos, n);
    simple = cp != kInvalid && cp < 0x300;
  }
  if (simple)
    return std::string(text);

  std::vector<uint32_t> d;
  for (size_t pos = 0, n = 0; pos < text.size(); pos += n) {
    uint32_t cp = decode(text, pos, n);
    if (cp == kInvalid)
      d.push_back(kByte | static_cast<uint8_t>(text[pos]));
    else
      decompose(cp, d);
  }
  auto cls = [](uint32_t c) { return c & kByte ? uint8_t(0) : combiningClass(c); };
  // Canonical order: each run of non-starters stably sorted by class.
  for (size_t i = 0; i < d.size();) {
    if (cls(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && cls(d[j]) != 0)
      ++j;
    std::stable_sort(d.begin() + long(i), d.begin() + long(j),
                     [&](uint32_t a, uint32_t b) { return cls(a) < cls(b); });
    i = j;
  }
  // Canonical composition: a character joins the last starter unless a
  // character in between blocks it (class 0, or a class >= its own).
  std::vector<uint32_t> r;
  long starter = -1;
  int last = -1; // class of the last character kept after the starter
  for (uint32_t c : d) {
    int cc = cls(c);
    if (starter >= 0 && !(c & kByte) && !(r[size_t(starter)] & kByte)) {
      bool adjacent = r.size() == size_t(starter) + 1;
      if (adjacent || (last > 0 && last < cc)) {
        if (uint32_t comp = compose(r[size_t(starter)], c)) {
          r[size_t(starter)] = comp;
          continue;
        }
      }
    }
    if (cc == 0) {
      starter = long(r.size());
      last = -1;
    } else {
      last = cc;
    }
    r.push_back(c);
  }
  std::string out;
  out.reserve(text.size());
  for (uint32_t c : r) {
    if (c & kByte)
      out.push_back(static_cast<char>(c & 0xFF));
    else
      appendUtf8(out, c);
  }
  return out;
}

} // namespace ssmc::unicode
