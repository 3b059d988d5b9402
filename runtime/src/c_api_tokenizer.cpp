// C API: the model's tokenizer (tokenize, detokenize, streaming detokenizer).
#include "c_api_internal.h"

#include <cstring>

using ssmc_capi::guard;
using ssmc_capi::require;

struct ssmc_detokenizer {
  std::shared_ptr<ssmc::Model> model; // keeps the tokenizer alive
  ssmc::StreamDecoder decoder;
};

namespace {

const ssmc::Tokenizer &tokenizerOf(const ssmc_model *model) {
  require(model, "model");
  const ssmc::Tokenizer *t = model->model->tokenizer();
  if (!t)
    throw ssmc::RuntimeError(ssmc::ErrorCode::Unsupported,
                             model->model->path() + ": the artifact carries no tokenizer");
  return *t;
}

[[noreturn]] void tooSmall(size_t needed, size_t capacity, const char *what) {
  throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                           std::string(what) + " buffer too small: " +
                               std::to_string(needed) + " needed, capacity " +
                               std::to_string(capacity));
}

// Copies `bytes` out under the size protocol of runtime.h.
void giveText(const std::string &bytes, char *text, size_t capacity, size_t *length) {
  require(length, "length");
  *length = bytes.size();
  if (!text && capacity == 0)
    return;
  if (bytes.size() > capacity)
    tooSmall(bytes.size(), capacity, "text");
  require(text, "text");
  std::memcpy(text, bytes.data(), bytes.size());
  if (capacity > bytes.size())
    text[bytes.size()] = '\0';
}

} // namespace

extern "C" {

int ssmc_model_has_tokenizer(const ssmc_model *model) {
  return model && model->model->tokenizer() ? 1 : 0;
}

ssmc_status ssmc_tokenize(const ssmc_model *model, const char *text, size_t length,
                          int32_t *ids, size_t capacity, size_t *count) {
  return guard([&] {
    const ssmc::Tokenizer &t = tokenizerOf(model);
    require(count, "count");
    require(text || length == 0, "text");
    std::vector<int32_t> out = t.encode(std::string_view(text ? text : "", length));
    *count = out.size();
    if (!ids && capacity == 0)
      return;
    if (out.size() > capacity)
      tooSmall(out.size(), capacity, "ids");
    require(ids || out.empty(), "ids");
    if (!out.empty())
      std::memcpy(ids, out.data(), out.size() * sizeof(int32_t));
  });
}

ssmc_status ssmc_detokenize(const ssmc_model *model, const int32_t *ids, size_t n,
                            char *text, size_t capacity, size_t *length) {
  return guard([&] {
    const ssmc::Tokenizer &t = tokenizerOf(model);
    require(ids || n == 0, "ids");
    giveText(t.decode(ids, n), text, capacity, length);
  });
}

ssmc_status ssmc_detokenizer_create(ssmc_model *model, ssmc_detokenizer **detokenizer) {
  if (detokenizer)
    *detokenizer = nullptr;
  return guard([&] {
    const ssmc::Tokenizer &t = tokenizerOf(model);
    require(detokenizer, "detokenizer");
    *detokenizer = new ssmc_detokenizer{model->model, ssmc::StreamDecoder(t)};
  });
}

void ssmc_detokenizer_free(ssmc_detokenizer *detokenizer) { delete detokenizer; }

ssmc_status ssmc_detokenizer_push(ssmc_detokenizer *detokenizer, int32_t id,
                                  char *text, size_t capacity, size_t *length) {
  return guard([&] {
    require(detokenizer, "detokenizer");
    // Work on a copy so a push that fails (unknown id, small buffer) changes nothing.
    ssmc::StreamDecoder next = detokenizer->decoder;
    giveText(next.push(id), text, capacity, length);
    if (text || capacity != 0)
      detokenizer->decoder = std::move(next);
  });
}

ssmc_status ssmc_detokenizer_finish(ssmc_detokenizer *detokenizer, char *text,
                                    size_t capacity, size_t *length) {
  return guard([&] {
    require(detokenizer, "detokenizer");
    ssmc::StreamDecoder next = detokenizer->decoder;
    giveText(next.finish(), text, capacity, length);
    if (text || capacity != 0)
      detokenizer->decoder = std::move(next);
  });
}

} // extern "C"
