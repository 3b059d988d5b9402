// GPT-2's byte <-> character mapping: byte-level BPE vocabularies spell every
// byte as a printable character (space is 'Ġ' U+0120, newline 'Ċ' U+010A), so
// tokens are ordinary strings in tokenizer.json.
#ifndef SSMC_SRC_TOKENIZER_BYTE_LEVEL_H
#define SSMC_SRC_TOKENIZER_BYTE_LEVEL_H

#include <cstdint>
#include <string>

namespace ssmc::byte_level {

// The character standing for byte `b`.
uint32_t charOf(uint8_t b);
// The byte that character `cp` stands for; -1 if it stands for none.
int byteOf(uint32_t cp);
// The UTF-8 spelling of byte `b`'s character.
std::string spell(uint8_t b);

} // namespace ssmc::byte_level

#endif // SSMC_SRC_TOKENIZER_BYTE_LEVEL_H
