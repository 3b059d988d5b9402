// tokenizer-tests helpers (see tokenizer_TestUtil.h).
#include "tokenizer_TestUtil.h"

#include "tokenizer/byte_level.h"

#include <fstream>
#include <sstream>

namespace tok_test {

json smallTokenizer() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[ssmc::byte_level::spell(static_cast<uint8_t>(b))] = b;
  const char *merged[] = {"he", "ll", "hell", "hello", "Ġw", "Ġwo", "or", "Ġwor"};
  for (int i = 0; i < 8; ++i)
    vocab[merged[i]] = 256 + i;
  json merges = {"h e", "l l", {"he", "ll"}, {"hell", "o"}, "Ġ w", "Ġw o", "o r"};
  return {{"version", "1.0"},
          {"added_tokens",
           {{{"id", 264}, {"content", "<|end|>"}, {"special", true},
             {"lstrip", false}, {"rstrip", false}, {"single_word", false},
             {"normalized", false}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false},
                             {"trim_offsets", true}, {"use_regex", true}}},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                     {"vocab", vocab}, {"merges", merges}}}};
}

std::string readText(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return "";
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

} // namespace tok_test
