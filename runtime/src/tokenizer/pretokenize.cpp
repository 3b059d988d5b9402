// The GPT-2 split as a hand-written scanner. Each alternative of the regex is
// tried at the current position in the regex's order; the first that matches
// wins (greedy), exactly as a backtracking regex engine would choose.
#include "tokenizer/pretokenize.h"

#include "tokenizer/unicode.h"

namespace ssmc {

namespace {

enum class Class { Letter, Number, Space, Other };

Class classify(uint32_t cp) {
  if (unicode::isLetter(cp)) return Class::Letter;
  if (unicode::isNumber(cp)) return Class::Number;
  if (unicode::isWhitespace(cp)) return Class::Space;
  return Class::Other; // includes invalid bytes
}

class Scanner {
public:
  explicit Scanner(std::string_view t) : text_(t) {}

  // Class and byte length of the character at `pos` (pos < size).
  Class at(size_t pos, size_t &len) const {
    return classify(unicode::decode(text_, pos, len));
  }
  // End of the run of characters of class `c` starting at `pos`.
  size_t runEnd(size_t pos, Class c) const {
    size_t len;
    while (pos < text_.size() && at(pos, len) == c)
      pos += len;
    return pos;
  }
  // Length of a contraction ('s 't 're 've 'm 'll 'd) at `pos`, or 0.
  size_t contraction(size_t pos) const {
    if (text_[pos] != '\'' || pos + 1 >= text_.size())
      return 0;
    char a = text_[pos + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
      return 2;
    if (pos + 2 >= text_.size())
      return 0;
    char b = text_[pos + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
      return 3;
    return 0;
  }
  // End of the piece that starts at `pos`.
  size_t pieceEnd(size_t pos) const {
    if (size_t n = contraction(pos))
      return pos + n;
    size_t len;
    Class c = at(pos, len);
    if (text_[pos] == ' ' && pos + 1 < text_.size()) {
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: a space joins a following
      // letter, number or other run.
      size_t nextLen;
      Class next = at(pos + 1, nextLen);
      if (next != Class::Space)
        return runEnd(pos + 1, next);
    }
    if (c != Class::Space)
      return runEnd(pos, c);
    // `\s+(?!\S)`: the whitespace run, minus its last character when a
    // non-space follows (that character then prefixes the next piece);
    // `\s+` when the run is a single character before a non-space.
    size_t end = runEnd(pos, Class::Space);
    if (end == text_.size())
      return end;
    size_t last = lastCharStart(pos, end);
    return last > pos ? last : end;
  }

private:
  size_t lastCharStart(size_t from, size_t end) const {
    size_t last = from, len;
    for (size_t p = from; p < end; p += len) {
      unicode::decode(text_, p, len);
      last = p;
    }
    return last;
  }

  std::string_view text_;
};

} // namespace

void splitGpt2(std::string_view text, std::vector<std::string_view> &pieces) {
  Scanner s(text);
  for (size_t pos = 0; pos < text.size();) {
    size_t end = s.pieceEnd(pos);
    pieces.push_back(text.substr(pos, end - pos));
    pos = end;
  }
}

} // namespace ssmc
