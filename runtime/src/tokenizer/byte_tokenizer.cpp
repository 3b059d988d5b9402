// The byte tokenizer (MambaByte): one token per byte, specials after 255.
#include "tokenizer/tokenizer.h"

namespace ssmc {

namespace {

class ByteTokenizer final : public Tokenizer {
public:
  explicit ByteTokenizer(int32_t specials) : specials_(specials) {}
  const char *kind() const override { return "byte"; }
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i)
      ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }
  bool appendBytes(int32_t id, std::string &out) const override {
    if (id < 0 || id >= idLimit())
      return false;
    if (id < 256)
      out += static_cast<char>(id);
    return true; // specials are control tokens: no text
  }
  int32_t idLimit() const override {
    return 256 + specials_;
  }

private:
  int32_t specials_;
};

} // namespace

std::unique_ptr<Tokenizer> makeByteTokenizer(int32_t specials) {
  return std::make_unique<ByteTokenizer>(specials < 0 ? 0 : specials);
}

} // namespace ssmc
