// The GPT-2 pre-tokenizer split, by hand (no regex engine): the pieces of
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// in order. Bytes that are not valid UTF-8 count as "other" characters, so
// every byte lands in exactly one piece and the pieces concatenate to `text`.
#ifndef SSMC_SRC_TOKENIZER_PRETOKENIZE_H
#define SSMC_SRC_TOKENIZER_PRETOKENIZE_H

#include <string_view>
#include <vector>

namespace ssmc {

void splitGpt2(std::string_view text, std::vector<std::string_view> &pieces);

} // namespace ssmc

#endif // SSMC_SRC_TOKENIZER_PRETOKENIZE_H
