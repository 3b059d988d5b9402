// Tokenizers: text <-> token ids, plus a streaming decoder for generation.
//
// Text is bytes. decode() is byte-exact: it returns the concatenated bytes of
// the tokens, even when they are not valid UTF-8 (a byte-level token can hold
// part of a character). StreamDecoder only ever releases whole characters.
#ifndef SSMC_SRC_TOKENIZER_TOKENIZER_H
#define SSMC_SRC_TOKENIZER_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  virtual const char *kind() const = 0;            // "byte", "hf-bpe"
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // Appends the bytes of token `id`; false if the id is not in the vocabulary.
  virtual bool appendBytes(int32_t id, std::string &out) const = 0;
  // One past the largest id (ids below it may still be unused).
  virtual int32_t idLimit() const = 0;

  // Throws RuntimeError(BadInput) naming the first id it does not know.
  std::string decode(const int32_t *ids, size_t n) const;
  std::string decode(const std::vector<int32_t> &ids) const {
    return decode(ids.data(), ids.size());
  }
};

// Feed tokens as they are generated; get back the text they complete. Bytes of
// a character split across tokens are held until it is whole; bytes that can
// never become valid UTF-8 are released as they are (byte-exact).
class StreamDecoder {
public:
  explicit StreamDecoder(const Tokenizer &t) : tokenizer_(&t) {}
  std::string push(int32_t id); // throws like Tokenizer::decode
  std::string finish();          // whatever is held back; resets
  size_t pending() const { return held_.size(); }

private:
  const Tokenizer *tokenizer_; // a pointer, so decoders can be copied
  std::string held_;
};

// MambaByte style: ids 0..255 are the bytes; ids 256 .. 255 + `specials` are
// control tokens (padding, end of text) that decode to nothing and are never
// produced by encode, so any byte string round-trips exactly.
std::unique_ptr<Tokenizer> makeByteTokenizer(int32_t specials = 0);

// A Hugging Face tokenizer.json holding a byte-level BPE (GPT-2, GPT-NeoX).
// `where` names the source in errors ("dir/tokenizer.json", "m.ssmc: section
// 'tokenizer.json'"). Throws RuntimeError: BadArtifact for malformed files,
// Unsupported for well-formed ones of another kind (WordPiece, Unigram, ...).
std::unique_ptr<Tokenizer> loadHfTokenizer(std::string_view json,
                                           const std::string &where);
// Reads `path` (Io error if it cannot) and calls loadHfTokenizer.
std::unique_ptr<Tokenizer> loadHfTokenizerFile(const std::string &path);

} // namespace ssmc

#endif // SSMC_SRC_TOKENIZER_TOKENIZER_H
