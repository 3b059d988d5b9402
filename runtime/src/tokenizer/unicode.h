// The little Unicode the tokenizers need: stepping through UTF-8 that may be
// invalid, and the letter / number / whitespace classes of the GPT-2 split.
#ifndef SSMC_SRC_TOKENIZER_UNICODE_H
#define SSMC_SRC_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ssmc::unicode {

// Code point used for a byte that does not start a valid UTF-8 sequence.
constexpr uint32_t kInvalid = 0xFFFFFFFFu;

// Decodes the code point at text[pos]; sets `length` to the bytes it takes
// (1..4). Invalid or truncated sequences yield kInvalid with length 1, so any
// byte string can be walked and every byte is covered exactly once.
uint32_t decode(std::string_view text, size_t pos, size_t &length);
void appendUtf8(std::string &out, uint32_t cp);

// General categories L* and N* (full tables, scripts/gen-unicode-ranges.py)
// and the White_Space property (what regex `\s` means in HF tokenizers).
bool isLetter(uint32_t cp);
bool isNumber(uint32_t cp);
bool isWhitespace(uint32_t cp);

// Length of the valid-but-incomplete UTF-8 sequence ending `bytes` (0 if the
// tail is complete or invalid): a streaming decoder holds these bytes back.
size_t incompleteTail(std::string_view bytes);

} // namespace ssmc::unicode

#endif // SSMC_SRC_TOKENIZER_UNICODE_H
