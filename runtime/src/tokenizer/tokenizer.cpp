// Tokenizer::decode and the streaming decoder, shared by every tokenizer.
#include "tokenizer/tokenizer.h"

#include "tokenizer/unicode.h"

#include "ssmc/error.h"

namespace ssmc {

namespace {

[[noreturn]] void unknownId(int32_t id, const Tokenizer &t) {
  throw RuntimeError(ErrorCode::BadInput,
                     "token id " + std::to_string(id) + " is not in the " +
                         t.kind() + " tokenizer's vocabulary");
}

} // namespace

std::string Tokenizer::decode(const int32_t *ids, size_t n) const {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    if (!appendBytes(ids[i], out))
      unknownId(ids[i], *this);
  return out;
}

std::string StreamDecoder::push(int32_t id) {
  if (!tokenizer_->appendBytes(id, held_))
    unknownId(id, *tokenizer_);
  size_t keep = unicode::incompleteTail(held_);
  std::string ready = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return ready;
}

std::string StreamDecoder::finish() {
  std::string rest;
  rest.swap(held_);
  return rest;
}

} // namespace ssmc
