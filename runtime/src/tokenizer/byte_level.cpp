// The mapping: printable Latin-1 bytes (! .. ~, ¡ .. ¬, ® .. ÿ) stand for
// themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, ...
#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

#include <array>

namespace ssmc::byte_level {

namespace {

bool printable(unsigned b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Table {
  std::array<uint32_t, 256> toChar{};
  std::array<int16_t, 256 + 68> toByte{}; // characters are all below U+0144
  Table() {
    toByte.fill(-1);
    uint32_t next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      toChar[b] = printable(b) ? b : next++;
      toByte[toChar[b]] = static_cast<int16_t>(b);
    }
  }
};

const Table &table() {
  static const Table t;
  return t;
}

} // namespace

uint32_t charOf(uint8_t b) { return table().toChar[b]; }

int byteOf(uint32_t cp) {
  return cp < table().toByte.size() ? table().toByte[cp] : -1;
}

std::string spell(uint8_t b) {
  std::string s;
  unicode::appendUtf8(s, charOf(b));
  return s;
}

} // namespace ssmc::byte_level
