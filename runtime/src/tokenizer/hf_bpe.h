// The Hugging Face byte-level BPE tokenizer: what hf_bpe_load.cpp reads out of
// a tokenizer.json, and the encode/decode over it (hf_bpe.cpp).
#ifndef SSMC_SRC_TOKENIZER_HF_BPE_H
#define SSMC_SRC_TOKENIZER_HF_BPE_H

#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer.h"

#include <array>
#include <string>
#include <vector>

namespace ssmc {

// An added token: matched in the raw text before pre-tokenization.
struct AddedToken {
  std::string content; // non-empty
  int32_t id = 0;
  bool lstrip = false, rstrip = false; // also swallow whitespace left / right
  bool singleWord = false;             // only when not inside a word
};

struct HfBpeSpec {
  BpeMerger merger;
  std::vector<std::string> idBytes; // decoded bytes of each id
  std::vector<bool> idKnown;
  std::vector<AddedToken> added;
  bool addPrefixSpace = false;
  bool useRegex = true;
  bool nfc = false; // normalize the text between added tokens to NFC first
};

class HfBpeTokenizer final : public Tokenizer {
public:
  explicit HfBpeTokenizer(HfBpeSpec spec);
  const char *kind() const override { return "hf-bpe"; }
  std::vector<int32_t> encode(std::string_view text) const override;
  bool appendBytes(int32_t id, std::string &out) const override;
  int32_t idLimit() const override {
    return static_cast<int32_t>(spec_.idBytes.size());
  }

private:
  struct Match {
    size_t begin, end;
    int32_t id;
  };
  // The leftmost (then longest) added token at or after `from`; false if none.
  bool nextAdded(std::string_view text, size_t from, Match &m) const;
  void encodeSegment(std::string_view text, std::vector<int32_t> &out) const;

  HfBpeSpec spec_;
  std::array<std::vector<size_t>, 256> addedByFirstByte_; // longest first
};

} // namespace ssmc

#endif // SSMC_SRC_TOKENIZER_HF_BPE_H
