// Helpers for tokenizer-tests: a small byte-level BPE tokenizer.json built in
// memory (all 256 byte tokens, a few merges, an added token) and file reading.
#ifndef SSMC_TEST_TOKENIZER_TESTUTIL_H
#define SSMC_TEST_TOKENIZER_TESTUTIL_H

#include <nlohmann/json.hpp>

#include <string>

namespace tok_test {

using nlohmann::json;

// Vocab: ids 0..255 the byte tokens (in byte order), then merged tokens:
// 256 "he", 257 "ll", 258 "hell", 259 "hello", 260 "Ġw", 261 "Ġwo", 262 "or",
// 263 "Ġwor"; added token "<|end|>" = 264. Merges "h e", "l l", ["he", "ll"],
// ["hell", "o"], "Ġ w", "Ġw o", "o r" (mixed string and array forms).
json smallTokenizer();

// The contents of `path`, or "" when it cannot be read.
std::string readText(const std::string &path);

} // namespace tok_test

#endif // SSMC_TEST_TOKENIZER_TESTUTIL_H
