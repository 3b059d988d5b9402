// Encoding: added tokens split the text; each other segment goes through the
// ByteLevel pre-tokenizer (optional prefix space, GPT-2 split) and BPE.
// Decoding: the bytes each id stands for (byte-level characters mapped back).
#include "tokenizer/hf_bpe.h"
#include "tokenizer/nfc.h"

#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"

#include <algorithm>

namespace ssmc {

namespace {

bool isWordChar(std::string_view text, size_t pos) {
  size_t len;
  uint32_t cp = unicode::decode(text, pos, len);
  return cp == '_' || unicode::isLetter(cp) || unicode::isNumber(cp);
}

// Start of the character that ends just before `pos` (pos > 0).
size_t prevCharStart(std::string_view text, size_t pos) {
  size_t p = pos - 1;
  for (size_t k = 0; k < 3 && p > 0 && (text[p] & 0xC0) == 0x80; ++k)
    --p;
  size_t len;
  unicode::decode(text, p, len);
  return p + len == pos ? p : pos - 1;
}

bool whitespaceAt(std::string_view text, size_t pos, size_t &len) {
  return unicode::isWhitespace(unicode::decode(text, pos, len));
}

} // namespace

HfBpeTokenizer::HfBpeTokenizer(HfBpeSpec spec) : spec_(std::move(spec)) {
  for (size_t i = 0; i < spec_.added.size(); ++i)
    addedByFirstByte_[static_cast<unsigned char>(spec_.added[i].content[0])].push_back(i);
  for (auto &bucket : addedByFirstByte_)
    std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
      return spec_.added[a].content.size() > spec_.added[b].content.size();
    });
}

bool HfBpeTokenizer::nextAdded(std::string_view text, size_t from, Match &m) const {
  if (spec_.added.empty())
    return false;
  for (size_t pos = from; pos < text.size(); ++pos) {
    for (size_t i : addedByFirstByte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken &t = spec_.added[i];
      if (text.compare(pos, t.content.size(), t.content) != 0)
        continue;
      size_t end = pos + t.content.size();
      if (t.singleWord && ((pos > 0 && isWordChar(text, prevCharStart(text, pos))) ||
                           (end < text.size() && isWordChar(text, end))))
        continue;
      m = {pos, end, t.id};
      size_t len;
      while (t.lstrip && m.begin > from &&
             whitespaceAt(text, prevCharStart(text, m.begin), len))
        m.begin = prevCharStart(text, m.begin);
      while (t.rstrip && m.end < text.size() && whitespaceAt(text, m.end, len))
        m.end += len;
      return true;
    }
  }
  return false;
}

void HfBpeTokenizer::encodeSegment(std::string_view text,
                                   std::vector<int32_t> &out) const {
  if (text.empty())
    return;
  std::string normalized;
  if (spec_.nfc) {
    normalized = unicode::toNFC(text);
    text = normalized;
  }
  std::string prefixed;
  if (spec_.addPrefixSpace && text[0] != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  if (!spec_.useRegex) {
    spec_.merger.encode(text, out);
    return;
  }
  std::vector<std::string_view> pieces;
  splitGpt2(text, pieces);
  for (std::string_view p : pieces)
    spec_.merger.encode(p, out);
}

std::vector<int32_t> HfBpeTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  size_t pos = 0;
  Match m;
  while (nextAdded(text, pos, m)) {
    encodeSegment(text.substr(pos, m.begin - pos), ids);
    ids.push_back(m.id);
    pos = m.end;
  }
  encodeSegment(text.substr(pos), ids);
  return ids;
}

bool HfBpeTokenizer::appendBytes(int32_t id, std::string &out) const {
  if (id < 0 || id >= idLimit() || !spec_.idKnown[static_cast<size_t>(id)])
    return false;
  out += spec_.idBytes[static_cast<size_t>(id)];
  return true;
}

} // namespace ssmc
