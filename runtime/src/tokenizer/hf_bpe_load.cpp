// loadHfTokenizer: tokenizer.json -> HfBpeTokenizer. Checks the file is a
// byte-level BPE this runtime reproduces exactly (else Unsupported) and that
// every reference in it resolves (else BadArtifact), with one message naming
// the file and the JSON path.
#include "tokenizer/byte_level.h"
#include "tokenizer/hf_bpe.h"
#include "tokenizer/unicode.h"

#include "ssmc/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ssmc {

namespace {

using nlohmann::json;

class Loader {
public:
  explicit Loader(const std::string &where) : where_(where) {}
  std::unique_ptr<Tokenizer> run(std::string_view text);

private:
  [[noreturn]] void fail(const std::string &path, const std::string &what,
                         ErrorCode code = ErrorCode::BadArtifact) {
    throw RuntimeError(code, where_ + ": " + path + ": " + what);
  }
  [[noreturn]] void unsupported(const std::string &path, const std::string &what) {
    fail(path, what + " (only byte-level BPE tokenizers such as GPT-2's and "
                      "GPT-NeoX's are supported)",
         ErrorCode::Unsupported);
  }
  const json &member(const json &obj, const char *key, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end())
      fail(path, std::string("missing required key \"") + key + "\"");
    return *it;
  }
  bool flag(const json &obj, const char *key, bool fallback, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
      return fallback;
    if (!it->is_boolean())
      fail(path + "." + key, "expected true or false");
    return it->get<bool>();
  }
  std::string typeOf(const json &obj, const std::string &path) {
    auto it = obj.find("type");
    if (it == obj.end() || !it->is_string())
      fail(path + ".type", "missing or not a string");
    return it->get<std::string>();
  }
  int32_t id(const json &j, const std::string &path) {
    if (!j.is_number_integer() || !j.is_number_unsigned() ||
        j.get<uint64_t>() > uint64_t(INT32_MAX - 1))
      fail(path, "token id must be an integer in [0, 2^31 - 1)");
    // Ids index a dense table: a stray huge id must not allocate gigabytes.
    if (j.get<uint64_t>() >= idBound_)
      fail(path, "token id " + std::to_string(j.get<uint64_t>()) +
                     " is far beyond the number of tokens (ids must be dense)");
    return static_cast<int32_t>(j.get<uint64_t>());
  }
  int32_t token(const std::string &s, const std::string &path) {
    auto it = vocab_.find(s);
    if (it == vocab_.end())
      fail(path, "unknown token \"" + s + "\" (not in model.vocab)");
    return it->second;
  }
  void setId(int32_t id, std::string bytes) {
    if (static_cast<size_t>(id) >= spec_.idBytes.size()) {
      spec_.idBytes.resize(static_cast<size_t>(id) + 1);
      spec_.idKnown.resize(static_cast<size_t>(id) + 1);
    }
    spec_.idBytes[static_cast<size_t>(id)] = std::move(bytes);
    spec_.idKnown[static_cast<size_t>(id)] = true;
  }

  void checkNormalizer(const json &root);
  void checkPreTokenizer(const json &root);
  void checkDecoder(const json &root);
  void readModel(const json &model);
  void readMerges(const json &merges);
  void readAdded(const json &added);

  std::string where_;
  uint64_t idBound_ = 0; // 4 x (vocab + added tokens) + 65536
  HfBpeSpec spec_;
  std::unordered_map<std::string, int32_t> vocab_;
};

// The bytes a vocabulary token stands for: its characters mapped back through
// the byte-level table, or (like the HF ByteLevel decoder) its own UTF-8 when
// some character is not a byte-level one.
std::string tokenBytes(const std::string &token) {
  std::string bytes;
  size_t len;
  for (size_t p = 0; p < token.size(); p += len) {
    int b = byte_level::byteOf(unicode::decode(token, p, len));
    if (b < 0)
      return token;
    bytes += static_cast<char>(b);
  }
  return bytes;
}

uint64_t entries(const json &obj, const char *key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_structured() ? it->size() : 0;
}

std::unique_ptr<Tokenizer> Loader::run(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    throw RuntimeError(ErrorCode::BadArtifact,
                       where_ + ": not well-formed JSON: " + e.what());
  }
  if (!root.is_object())
    fail("(root)", "expected an object");
  auto model = root.find("model");
  if (model == root.end() || model->is_null())
    fail("(root)", "missing required key \"model\"");
  if (!model->is_object())
    fail("model", "expected an object");
  idBound_ = 65536 + 4 * (entries(*model, "vocab") + entries(root, "added_tokens"));
  readModel(*model);
  checkNormalizer(root);
  checkPreTokenizer(root);
  checkDecoder(root);
  if (auto a = root.find("added_tokens"); a != root.end() && !a->is_null())
    readAdded(*a);
  return std::make_unique<HfBpeTokenizer>(std::move(spec_));
}

void Loader::readModel(const json &model) {
  // Files written by old versions of `tokenizers` may omit the BPE tag.
  std::string type = model.contains("type") ? typeOf(model, "model") : "BPE";
  if (type != "BPE")
    unsupported("model.type", "model type \"" + type + "\" is not supported");
  if (flag(model, "byte_fallback", false, "model"))
    unsupported("model.byte_fallback", "byte_fallback BPE (SentencePiece style)");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it != model.end() && !it->is_null() &&
        !(it->is_string() && it->get<std::string>().empty()))
      unsupported(std::string("model.") + key, "subword prefixes/suffixes");
  }

  const json &vocab = member(model, "vocab", "model");
  if (!vocab.is_object())
    fail("model.vocab", "expected an object mapping tokens to ids");
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    int32_t i = id(it.value(), "model.vocab[\"" + it.key() + "\"]");
    if (static_cast<size_t>(i) < spec_.idKnown.size() && spec_.idKnown[i])
      fail("model.vocab[\"" + it.key() + "\"]",
           "id " + std::to_string(i) + " is used by two tokens");
    vocab_.emplace(it.key(), i);
    setId(i, tokenBytes(it.key()));
  }
  for (unsigned b = 0; b < 256; ++b) {
    auto it = vocab_.find(byte_level::spell(static_cast<uint8_t>(b)));
    if (it == vocab_.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      fail("model.vocab", std::string("no token for byte ") + hex + " (\"" +
                              byte_level::spell(static_cast<uint8_t>(b)) +
                              "\"): not a byte-level vocabulary");
    }
    spec_.merger.setByteToken(static_cast<uint8_t>(b), it->second);
  }
  readMerges(member(model, "merges", "model"));
}

void Loader::readMerges(const json &merges) {
  if (!merges.is_array())
    fail("model.merges", "expected an array");
  for (size_t r = 0; r < merges.size(); ++r) {
    const std::string path = "model.merges[" + std::to_string(r) + "]";
    const json &m = merges[r];
    std::string left, right;
    if (m.is_string()) { // "a b"
      const std::string s = m.get<std::string>();
      size_t space = s.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
          s.find(' ', space + 1) != std::string::npos)
        fail(path, "expected \"LEFT RIGHT\" (two tokens separated by one space), got \"" +
                       s + "\"");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>(); // ["a", "b"]
      right = m[1].get<std::string>();
    } else {
      fail(path, "expected a string \"LEFT RIGHT\" or an array [LEFT, RIGHT]");
    }
    int32_t a = token(left, path), b = token(right, path);
    int32_t merged = token(left + right, path);
    // A repeated pair keeps its first (lowest) rank.
    spec_.merger.addMerge(a, b, merged, static_cast<int32_t>(r));
  }
}

void Loader::checkNormalizer(const json &root) {
  auto n = root.find("normalizer");
  if (n == root.end() || n->is_null())
    return;
  if (!n->is_object())
    fail("normalizer", "expected an object or null");
  // GPT-NeoX declares NFC (tokenizer/nfc.h).
  std::string type = typeOf(*n, "normalizer");
  if (type != "NFC")
    unsupported("normalizer.type", "normalizer \"" + type + "\"");
  spec_.nfc = true;
}

void Loader::checkPreTokenizer(const json &root) {
  auto p = root.find("pre_tokenizer");
  if (p == root.end() || p->is_null())
    unsupported("pre_tokenizer", "no ByteLevel pre-tokenizer");
  if (!p->is_object())
    fail("pre_tokenizer", "expected an object or null");
  std::string type = typeOf(*p, "pre_tokenizer");
  if (type != "ByteLevel")
    unsupported("pre_tokenizer.type", "pre-tokenizer \"" + type + "\"");
  spec_.addPrefixSpace = flag(*p, "add_prefix_space", true, "pre_tokenizer");
  spec_.useRegex = flag(*p, "use_regex", true, "pre_tokenizer");
}

void Loader::checkDecoder(const json &root) {
  auto d = root.find("decoder");
  if (d == root.end() || d->is_null())
    return;
  if (!d->is_object())
    fail("decoder", "expected an object or null");
  std::string type = typeOf(*d, "decoder");
  if (type != "ByteLevel")
    unsupported("decoder.type", "decoder \"" + type + "\"");
}

void Loader::readAdded(const json &added) {
  if (!added.is_array())
    fail("added_tokens", "expected an array");
  for (size_t i = 0; i < added.size(); ++i) {
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    const json &t = added[i];
    if (!t.is_object())
      fail(path, "expected an object");
    AddedToken a;
    a.id = id(member(t, "id", path), path + ".id");
    const json &content = member(t, "content", path);
    if (!content.is_string() || content.get<std::string>().empty())
      fail(path + ".content", "expected a non-empty string");
    a.content = content.get<std::string>();
    a.lstrip = flag(t, "lstrip", false, path);
    a.rstrip = flag(t, "rstrip", false, path);
    a.singleWord = flag(t, "single_word", false, path);
    // Like HF, an added token decodes through the ByteLevel decoder too.
    setId(a.id, tokenBytes(a.content));
    spec_.added.push_back(std::move(a));
  }
}

} // namespace

std::unique_ptr<Tokenizer> loadHfTokenizer(std::string_view json,
                                           const std::string &where) {
  return Loader(where).run(json);
}

std::unique_ptr<Tokenizer> loadHfTokenizerFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw RuntimeError(ErrorCode::Io, path + ": cannot open the tokenizer file");
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad())
    throw RuntimeError(ErrorCode::Io, path + ": cannot read the tokenizer file");
  return loadHfTokenizer(text.str(), path);
}

} // namespace ssmc
