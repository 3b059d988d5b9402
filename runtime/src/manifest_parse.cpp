// parseManifest: JSON -> Manifest, checking types, ranges and every
// cross-reference, so that later stages can index without re-checking.
#include "manifest.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>

namespace ssmc {

using nlohmann::json;

// Shared memory a kernel may ask for per block: 227 KB on sm_90, the most
// of any GPU so far.
constexpr int64_t kMaxSharedBytes = 227 * 1024;

std::optional<DType> parseDType(const std::string &s) {
  if (s == "f32") return DType::F32;
  if (s == "f16") return DType::F16;
  if (s == "bf16") return DType::BF16;
  if (s == "i32") return DType::I32;
  if (s == "i64") return DType::I64;
  return std::nullopt;
}

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  }
  return "?";
}

int64_t dtypeSize(DType t) {
  switch (t) {
  case DType::F16:
  case DType::BF16: return 2;
  case DType::F32:
  case DType::I32: return 4;
  case DType::I64: return 8;
  }
  return 0;
}

int Manifest::findWeight(const std::string &name) const {
  for (size_t i = 0; i < weights.size(); ++i)
    if (weights[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int Manifest::findState(const std::string &name) const {
  for (size_t i = 0; i < states.size(); ++i)
    if (states[i].name == name)
      return static_cast<int>(i);
  return -1;
}

namespace {

// Typed accessors that fail with "<file>: manifest: <json path>: <problem>".
class Parser {
public:
  Parser(const Artifact &a) : artifact_(a) {}

  Manifest run();

private:
  [[noreturn]] void fail(const std::string &where, const std::string &what) {
    throw RuntimeError(ErrorCode::BadArtifact, artifact_.path() +
                                                   ": manifest: " + where +
                                                   ": " + what);
  }
  const json &object(const json &j, const std::string &where) {
    if (!j.is_object())
      fail(where, "expected an object");
    return j;
  }
  const json &array(const json &j, const std::string &where) {
    if (!j.is_array())
      fail(where, "expected an array");
    return j;
  }
  const json &member(const json &obj, const char *key,
                     const std::string &where) {
    auto it = obj.find(key);
    if (it == obj.end())
      fail(where, std::string("missing required key \"") + key + "\"");
    return *it;
  }
  const json *optional(const json &obj, const char *key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  std::string str(const json &j, const std::string &where) {
    if (!j.is_string())
      fail(where, "expected a string");
    return j.get<std::string>();
  }
  int64_t integer(const json &j, const std::string &where) {
    if (!j.is_number_integer())
      fail(where, "expected an integer");
    if (!j.is_number_unsigned())
      fail(where, "must be non-negative");
    uint64_t v = j.get<uint64_t>();
    if (v > uint64_t(INT64_MAX))
      fail(where, "integer too large");
    return static_cast<int64_t>(v);
  }
  DType dtype(const json &j, const std::string &where) {
    std::string s = str(j, where);
    auto t = parseDType(s);
    if (!t)
      fail(where, "unknown dtype \"" + s + "\" (expected f32, f16, bf16, i32 or i64)");
    return *t;
  }
  SizeExpr size(const json &j, const std::string &where, SymbolSet allowed) {
    if (j.is_number_integer())
      return SizeExpr::constant(integer(j, where));
    if (!j.is_string())
      fail(where, "expected a size expression (integer or string)");
    std::string error;
    auto e = SizeExpr::parse(j.get<std::string>(), allowed, error);
    if (!e)
      fail(where, error);
    return *e;
  }
  std::vector<SizeExpr> sizes(const json &j, const std::string &where,
                              SymbolSet allowed) {
    array(j, where);
    std::vector<SizeExpr> out;
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(size(j[i], where + "[" + std::to_string(i) + "]", allowed));
    return out;
  }

  void parseModel(const json &j);
  void parseWeights(const json &j);
  void parseKernels(const json &j);
  LaunchDesc parseLaunch(const json &j, const std::string &where);
  // A kernel the runtime launches itself (not a step): a launch object with
  // a `function`, at `key` of the image `target`; cuda images only.
  std::optional<LaunchDesc> parseRuntimeKernel(const json &image, const std::string &target,
                                               const char *key, const std::string &where,
                                               const char *what);
  KernelLaunch parseKernelLaunch(const json &j, const std::string &where);
  GridDim parseGridDim(const json &j, const std::string &where);
  void parseStates(const json &j);
  void parseTokenizer(const json &j);
  EntryPoint parseEntry(const json &j, const std::string &name);
  BufferDesc parseBuffer(const json &j, const std::string &where,
                         SymbolSet syms);
  ViewDesc parseView(const json &j, const std::string &where,
                     const EntryPoint &ep,
                     const std::map<int64_t, int> &bufferIndex);
  size_t viewRank(const ViewDesc &v, const EntryPoint &ep);
  DType viewDType(const ViewDesc &v, const EntryPoint &ep);
  void checkFusedRanges(const EntryPoint &ep, const std::string &where);
  StepDesc parseStep(const json &j, const std::string &where,
                     const EntryPoint &ep,
                     const std::map<int64_t, int> &bufferIndex);

  const Artifact &artifact_;
  Manifest m_;
};

Manifest Parser::run() {
  json root;
  try {
    root = json::parse(artifact_.manifestText());
  } catch (const json::exception &e) {
    throw RuntimeError(ErrorCode::BadArtifact,
                       artifact_.path() +
                           ": manifest is not well-formed JSON: " + e.what());
  }
  object(root, "(root)");
  std::string format = str(member(root, "format", "(root)"), "format");
  if (format != "ssmc-artifact")
    fail("format", "expected \"ssmc-artifact\", got \"" + format + "\"");
  int64_t version = integer(member(root, "version", "(root)"), "version");
  if (version != kArtifactVersion)
    fail("version", "manifest version " + std::to_string(version) +
                        " is not the supported version " +
                        std::to_string(kArtifactVersion));
  if (const json *p = optional(root, "producer"))
    m_.producer = str(*p, "producer");
  parseModel(member(root, "model", "(root)"));

  const json &targets = array(member(root, "targets", "(root)"), "targets");
  for (size_t i = 0; i < targets.size(); ++i)
    m_.targets.push_back(str(targets[i], "targets[" + std::to_string(i) + "]"));
  if (m_.targets.empty())
    fail("targets", "no targets");

  parseWeights(member(root, "weights", "(root)"));
  if (const json *k = optional(root, "kernels"))
    parseKernels(*k);
  if (const json *s = optional(root, "state"))
    parseStates(*s);
  if (const json *t = optional(root, "tokenizer"))
    parseTokenizer(*t);

  const json &eps =
      object(member(root, "entry_points", "(root)"), "entry_points");
  if (const json *p = optional(eps, "prefill"))
    m_.prefill = parseEntry(*p, "prefill");
  if (const json *d = optional(eps, "decode"))
    m_.decode = parseEntry(*d, "decode");
  if (!m_.prefill && !m_.decode)
    fail("entry_points", "neither \"prefill\" nor \"decode\" is present");
  return std::move(m_);
}

void Parser::parseModel(const json &j) {
  object(j, "model");
  m_.model.arch = str(member(j, "arch", "model"), "model.arch");
  m_.model.vocabSize =
      integer(member(j, "vocab_size", "model"), "model.vocab_size");
  m_.model.paddedVocabSize = integer(member(j, "padded_vocab_size", "model"),
                                     "model.padded_vocab_size");
  m_.model.nLayer = integer(member(j, "n_layer", "model"), "model.n_layer");
  if (const json *mb = optional(j, "max_batch")) {
    m_.model.maxBatch = integer(*mb, "model.max_batch");
    if (m_.model.maxBatch < 1)
      fail("model.max_batch", "must be at least 1 when present");
  }
  if (m_.model.vocabSize < 1)
    fail("model.vocab_size", "must be at least 1");
  if (m_.model.paddedVocabSize < m_.model.vocabSize)
    fail("model.padded_vocab_size",
         std::to_string(m_.model.paddedVocabSize) + " is smaller than vocab_size " +
             std::to_string(m_.model.vocabSize));
}

void Parser::parseWeights(const json &j) {
  array(j, "weights");
  std::set<std::string> names;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string w = "weights[" + std::to_string(i) + "]";
    const json &o = object(j[i], w);
    WeightDesc d;
    d.name = str(member(o, "name", w), w + ".name");
    if (d.name.empty())
      fail(w + ".name", "empty name");
    if (!names.insert(d.name).second)
      fail(w + ".name", "duplicate weight \"" + d.name + "\"");
    const std::string wn = w + " (\"" + d.name + "\")";
    d.dtype = dtype(member(o, "dtype", wn), wn + ".dtype");
    d.storage = d.dtype;
    if (const json *st = optional(o, "storage")) {
      d.storage = dtype(*st, wn + ".storage");
      bool widened = d.dtype == DType::F32 && (d.storage == DType::F16 || d.storage == DType::BF16);
      if (d.storage != d.dtype && !widened)
        fail(wn + ".storage", std::string("storage ") + dtypeName(d.storage) + " of a " +
                                  dtypeName(d.dtype) +
                                  " weight (only f16 or bf16 storage of an f32 weight)");
    }
    const json &shape = array(member(o, "shape", wn), wn + ".shape");
    d.numel = 1;
    for (size_t k = 0; k < shape.size(); ++k) {
      int64_t dim = integer(shape[k], wn + ".shape[" + std::to_string(k) + "]");
      auto p = checkedMul(d.numel, dim);
      if (!p)
        fail(wn + ".shape", "element count overflows int64");
      d.numel = *p;
      d.shape.push_back(dim);
    }
    auto bytes = checkedMul(d.numel, dtypeSize(d.storage));
    if (!bytes)
      fail(wn + ".shape", "byte size overflows int64");
    d.nbytes = static_cast<uint64_t>(integer(member(o, "nbytes", wn), wn + ".nbytes"));
    if (d.nbytes != uint64_t(*bytes))
      fail(wn + ".nbytes", std::to_string(d.nbytes) + " does not match shape and storage dtype (" +
                               std::to_string(*bytes) + " bytes)");
    d.offset = static_cast<uint64_t>(integer(member(o, "offset", wn), wn + ".offset"));
    const json *file = optional(o, "file");
    const json *section = optional(o, "section");
    if (file && section)
      fail(wn, "has both \"file\" and \"section\"");
    if (file) {
      d.file = str(*file, wn + ".file");
      if (d.file.empty() || d.file[0] != '/')
        fail(wn + ".file", "external weight path must be absolute");
      std::string sum = str(member(o, "checksum", wn), wn + ".checksum");
      bool hex = sum.size() == 16;
      for (char c : sum)
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      if (!hex)
        fail(wn + ".checksum", "expected 16 lowercase hex digits, got \"" + sum + "\"");
      d.checksum = std::stoull(sum, nullptr, 16);
    } else if (section) {
      d.section = str(*section, wn + ".section");
      const ArtifactSection *s = artifact_.find(d.section);
      if (!s || d.section == "manifest")
        fail(wn + ".section", "no weight section \"" + d.section + "\" in the artifact");
      if (d.offset % kSectionAlignment != 0)
        fail(wn + ".offset", std::to_string(d.offset) + " is not a multiple of 64");
      if (d.offset > s->size || d.nbytes > s->size - d.offset)
        fail(wn, "bytes [" + std::to_string(d.offset) + ", +" + std::to_string(d.nbytes) +
                     ") lie outside section \"" + d.section + "\" of " +
                     std::to_string(s->size) + " bytes");
    } else {
      fail(wn, "needs either \"section\" (embedded) or \"file\" (external)");
    }
    m_.weights.push_back(std::move(d));
  }
}

void Parser::parseKernels(const json &j) {
  object(j, "kernels");
  const std::vector<std::string> *first = nullptr;
  std::string firstName;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string w = "kernels." + it.key();
    const json &o = object(it.value(), w);
    KernelImage img;
    auto section = [&](const char *key) {
      std::string name = str(member(o, key, w), w + "." + key);
      if (!artifact_.find(name) || name == "manifest")
        fail(w + "." + key, "no section \"" + name + "\" in the artifact");
      return name;
    };
    img.section = section("section");
    if (optional(o, "ptx_section"))
      img.fallbackSection = section("ptx_section");
    const json &syms = array(member(o, "symbols", w), w + ".symbols");
    std::set<std::string> seen;
    for (size_t i = 0; i < syms.size(); ++i) {
      const std::string ws = w + ".symbols[" + std::to_string(i) + "]";
      std::string s = str(syms[i], ws);
      if (s.empty())
        fail(ws, "empty symbol name");
      if (!seen.insert(s).second)
        fail(ws, "duplicate symbol \"" + s + "\"");
      img.symbols.push_back(s);
    }
    if (it.key() == "cuda") {
      const json &launches = array(member(o, "launch", w), w + ".launch");
      if (launches.size() != img.symbols.size())
        fail(w + ".launch", std::to_string(launches.size()) + " entries for " +
                                std::to_string(img.symbols.size()) + " symbols");
      for (size_t i = 0; i < launches.size(); ++i)
        img.launches.push_back(
            parseKernelLaunch(launches[i], w + ".launch[" + std::to_string(i) + "]"));
    }
    if (const json *math = optional(o, "gemm_math")) {
      std::string m = str(*math, w + ".gemm_math");
      if (m == "tf32" && it.key() == "cuda")
        img.gemmMath = GemmMath::TF32;
      else if (m == "bf16" && it.key() == "cuda")
        img.gemmMath = GemmMath::BF16;
      else if (m != "f32")
        fail(w + ".gemm_math", "\"" + m + "\" is not a GEMM mode of this target (expected " +
                                   (it.key() == "cuda" ? "f32, tf32 or bf16)" : "f32)"));
    }
    img.sampler = parseRuntimeKernel(o, it.key(), "sampler", w, "a sampler kernel");
    if (img.sampler)
      if (const json *rows = optional(member(o, "sampler", w), "row_settings")) {
        if (!rows->is_boolean())
          fail(w + ".sampler.row_settings", "expected a boolean");
        img.samplerRowSettings = rows->get<bool>();
      }
    if (const json *gemv = optional(o, "gemv")) {
      if (it.key() != "cuda")
        fail(w + ".gemv", "only the cuda image has skinny-GEMM kernels");
      const json &list = array(*gemv, w + ".gemv");
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string wg = w + ".gemv[" + std::to_string(i) + "]";
        KernelImage::Gemv g;
        g.launch = parseLaunch(list[i], wg);
        g.launch.function = str(member(list[i], "function", wg), wg + ".function");
        if (g.launch.function.empty())
          fail(wg + ".function", "empty kernel name");
        g.weight = dtype(member(list[i], "weight", wg), wg + ".weight");
        if (g.weight != DType::F32 && g.weight != DType::BF16)
          fail(wg + ".weight", "skinny-GEMM kernels read f32 or bf16 weights");
        g.maxRows = integer(member(list[i], "max_rows", wg), wg + ".max_rows");
        if (g.maxRows < 1)
          fail(wg + ".max_rows", "must be at least 1");
        if (const json *f = optional(list[i], "fused")) {
          g.fused = str(*f, wg + ".fused");
          if (g.fused.empty())
            fail(wg + ".fused", "empty kernel family");
        }
        if (const json *p = optional(list[i], "stretches_per_warp")) {
          g.stretchesPerWarp = integer(*p, wg + ".stretches_per_warp");
          if (g.stretchesPerWarp < 1 || g.stretchesPerWarp > 16)
            fail(wg + ".stretches_per_warp", "must be in [1, 16]");
        }
        img.gemv.push_back(std::move(g));
      }
    }
    img.roundBf16 =
        parseRuntimeKernel(o, it.key(), "round_bf16", w, "a bf16 rounding kernel");
    if (img.gemmMath == GemmMath::BF16 && !img.roundBf16)
      fail(w + ".gemm_math", "bf16 GEMMs need the image's round_bf16 kernel, which is missing");
    if (const json *wait = optional(o, "grid_dependency_wait")) {
      if (it.key() != "cuda")
        fail(w + ".grid_dependency_wait", "only cuda kernels wait on grid dependencies");
      if (!wait->is_boolean())
        fail(w + ".grid_dependency_wait", "expected a boolean");
      img.gridDependencyWait = wait->get<bool>();
    }
    // Steps name kernels by index, so every image lists the same symbols.
    if (first && *first != img.symbols)
      fail(w + ".symbols", "differs from kernels." + firstName + ".symbols");
    m_.kernels[it.key()] = std::move(img);
    if (!first) {
      first = &m_.kernels[it.key()].symbols;
      firstName = it.key();
    }
  }
}

GridDim Parser::parseGridDim(const json &j, const std::string &w) {
  object(j, w);
  GridDim g;
  const json &product = array(member(j, "product", w), w + ".product");
  for (size_t f = 0; f < product.size(); ++f) {
    const std::string wf = w + ".product[" + std::to_string(f) + "]";
    const json &pair = array(product[f], wf);
    if (pair.size() != 2)
      fail(wf, "expected [argument, dimension]");
    int64_t arg = integer(pair[0], wf + "[0]"), dim = integer(pair[1], wf + "[1]");
    if (arg > 255 || dim >= 8)
      fail(wf, "argument or dimension out of range");
    g.product.push_back({static_cast<int>(arg), static_cast<int>(dim)});
  }
  if (const json *div = optional(j, "div")) {
    g.div = integer(*div, w + ".div");
    if (g.div < 1)
      fail(w + ".div", "must be at least 1");
  }
  return g;
}

// Either one launch object or {"stages": [...], "scratch": [...]}.
std::optional<LaunchDesc> Parser::parseRuntimeKernel(const json &image,
                                                     const std::string &target,
                                                     const char *key, const std::string &where,
                                                     const char *what) {
  const json *o = optional(image, key);
  if (!o)
    return std::nullopt;
  const std::string w = where + "." + key;
  if (target != "cuda")
    fail(w, std::string("only the cuda image has ") + what);
  LaunchDesc l = parseLaunch(*o, w);
  l.function = str(member(*o, "function", w), w + ".function");
  if (l.function.empty())
    fail(w + ".function", "empty kernel name");
  return l;
}

KernelLaunch Parser::parseKernelLaunch(const json &o, const std::string &w) {
  object(o, w);
  if (!optional(o, "stages"))
    return KernelLaunch(parseLaunch(o, w));
  KernelLaunch k;
  if (const json *scratch = optional(o, "scratch")) {
    array(*scratch, w + ".scratch");
    for (size_t i = 0; i < scratch->size(); ++i) {
      const std::string ws = w + ".scratch[" + std::to_string(i) + "]";
      const json &shape = array(member(object((*scratch)[i], ws), "shape", ws), ws + ".shape");
      if (shape.empty() || shape.size() > 8)
        fail(ws + ".shape", "needs 1 to 8 dimensions");
      ScratchDesc d;
      for (size_t s = 0; s < shape.size(); ++s)
        d.shape.push_back(parseGridDim(shape[s], ws + ".shape[" + std::to_string(s) + "]"));
      k.scratch.push_back(std::move(d));
    }
  }
  const json &stages = array(member(o, "stages", w), w + ".stages");
  if (stages.empty())
    fail(w + ".stages", "no stages");
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string ws = w + ".stages[" + std::to_string(i) + "]";
    LaunchDesc l = parseLaunch(stages[i], ws);
    l.function = str(member(stages[i], "function", ws), ws + ".function");
    const json &args = array(member(stages[i], "args", ws), ws + ".args");
    for (size_t a = 0; a < args.size(); ++a) {
      const std::string wa = ws + ".args[" + std::to_string(a) + "]";
      if (args[a].is_object()) {
        int64_t j = integer(member(args[a], "scratch", wa), wa + ".scratch");
        if (static_cast<size_t>(j) >= k.scratch.size())
          fail(wa + ".scratch", "no scratch buffer " + std::to_string(j));
        l.args.push_back(-1 - static_cast<int>(j));
      } else {
        int64_t j = integer(args[a], wa);
        if (j > 255)
          fail(wa, "argument index out of range");
        l.args.push_back(static_cast<int>(j));
      }
    }
    k.stages.push_back(std::move(l));
  }
  return k;
}

LaunchDesc Parser::parseLaunch(const json &o, const std::string &w) {
  object(o, w);
  LaunchDesc l;
  const json &block = array(member(o, "block", w), w + ".block");
  const json &grid = array(member(o, "grid", w), w + ".grid");
  if (block.size() != 3 || grid.size() != 3)
    fail(w, "\"block\" and \"grid\" need 3 entries each (x, y, z)");
  int64_t threads = 1;
  for (int d = 0; d < 3; ++d) {
    const std::string wb = w + ".block[" + std::to_string(d) + "]";
    l.block[d] = integer(block[d], wb);
    if (l.block[d] < 1 || l.block[d] > 1024)
      fail(wb, "block size must be in [1, 1024]");
    threads *= l.block[d];
    l.grid[d] = parseGridDim(grid[d], w + ".grid[" + std::to_string(d) + "]");
  }
  if (threads > 1024)
    fail(w + ".block", "more than 1024 threads per block");
  if (const json *unit = optional(o, "unit_inner_stride")) {
    array(*unit, w + ".unit_inner_stride");
    for (size_t i = 0; i < unit->size(); ++i) {
      int64_t arg = integer((*unit)[i], w + ".unit_inner_stride[" + std::to_string(i) + "]");
      if (arg > 255)
        fail(w + ".unit_inner_stride", "argument index out of range");
      l.unitInnerStride.push_back(static_cast<int>(arg));
    }
  }
  if (const json *gs = optional(o, "grid_stride")) {
    if (!gs->is_boolean())
      fail(w + ".grid_stride", "expected a boolean");
    l.gridStride = gs->get<bool>();
  }
  if (const json *bytes = optional(o, "shared_bytes")) {
    l.sharedBytes = integer(*bytes, w + ".shared_bytes");
    // No GPU has more shared memory per block than this (227 KB on sm_90).
    if (l.sharedBytes < 0 || l.sharedBytes > kMaxSharedBytes)
      fail(w + ".shared_bytes", "must be in [0, " + std::to_string(kMaxSharedBytes) + "]");
  }
  return l;
}

void Parser::parseTokenizer(const json &j) {
  object(j, "tokenizer");
  TokenizerDesc t;
  t.kind = str(member(j, "kind", "tokenizer"), "tokenizer.kind");
  if (t.kind == "hf-bpe") {
    t.section = str(member(j, "section", "tokenizer"), "tokenizer.section");
    if (t.section == "manifest" || !artifact_.find(t.section))
      fail("tokenizer.section", "no section \"" + t.section + "\"");
  } else if (t.kind == "byte") {
    if (m_.model.vocabSize < 256)
      fail("tokenizer.kind", "a byte tokenizer needs vocab_size >= 256, model has " +
                                 std::to_string(m_.model.vocabSize));
  } else {
    fail("tokenizer.kind", "unknown tokenizer kind \"" + t.kind +
                               "\" (expected \"hf-bpe\" or \"byte\")");
  }
  m_.tokenizer = std::move(t);
}

void Parser::parseStates(const json &j) {
  array(j, "state");
  SymbolSet onlyB{true, false}; // state persists across calls: no L
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string w = "state[" + std::to_string(i) + "]";
    const json &o = object(j[i], w);
    StateDesc s;
    s.name = str(member(o, "name", w), w + ".name");
    if (s.name.empty())
      fail(w + ".name", "empty name");
    if (m_.findState(s.name) >= 0)
      fail(w + ".name", "duplicate state \"" + s.name + "\"");
    s.dtype = dtype(member(o, "dtype", w), w + ".dtype");
    s.shape = sizes(member(o, "shape", w), w + ".shape", onlyB);
    m_.states.push_back(std::move(s));
  }
}

BufferDesc Parser::parseBuffer(const json &o, const std::string &w,
                               SymbolSet syms) {
  object(o, w);
  BufferDesc b;
  b.id = integer(member(o, "id", w), w + ".id");
  std::string kind = str(member(o, "kind", w), w + ".kind");
  const json *name = optional(o, "name");
  if (name)
    b.name = str(*name, w + ".name");
  if (kind == "state") {
    b.kind = BufferKind::State;
    if (!name)
      fail(w, "state buffer needs \"name\"");
    b.stateIndex = m_.findState(b.name);
    if (b.stateIndex < 0)
      fail(w + ".name", "unknown state \"" + b.name + "\"");
    const StateDesc &s = m_.states[b.stateIndex];
    // dtype/shape come from the state entry; if repeated they must agree.
    if (const json *d = optional(o, "dtype"))
      if (dtype(*d, w + ".dtype") != s.dtype)
        fail(w + ".dtype", "disagrees with state \"" + s.name + "\"");
    if (const json *sh = optional(o, "shape")) {
      auto shape = sizes(*sh, w + ".shape", syms);
      bool same = shape.size() == s.shape.size();
      for (size_t i = 0; same && i < shape.size(); ++i)
        same = shape[i].text() == s.shape[i].text();
      if (!same)
        fail(w + ".shape", "disagrees with state \"" + s.name + "\"");
    }
    b.dtype = s.dtype;
    b.shape = s.shape;
    return b;
  }
  if (kind == "input")
    b.kind = BufferKind::Input;
  else if (kind == "output")
    b.kind = BufferKind::Output;
  else if (kind == "temp")
    b.kind = BufferKind::Temp;
  else
    fail(w + ".kind", "unknown buffer kind \"" + kind +
                          "\" (expected input, output, state or temp)");
  b.dtype = dtype(member(o, "dtype", w), w + ".dtype");
  b.shape = sizes(member(o, "shape", w), w + ".shape", syms);
  if (b.kind == BufferKind::Input && b.name != "tokens")
    fail(w + ".name", "unknown input \"" + b.name + "\" (the only input is \"tokens\")");
  if (b.kind == BufferKind::Output && b.name != "logits")
    fail(w + ".name", "unknown output \"" + b.name + "\" (the only output is \"logits\")");
  return b;
}

ViewDesc Parser::parseView(const json &o, const std::string &w,
                           const EntryPoint &ep,
                           const std::map<int64_t, int> &bufferIndex) {
  object(o, w);
  ViewDesc v;
  v.where = w;
  const json *buf = optional(o, "buffer");
  const json *wt = optional(o, "weight");
  if (!!buf == !!wt)
    fail(w, "a view needs exactly one of \"buffer\" and \"weight\"");
  if (buf) {
    int64_t id = integer(*buf, w + ".buffer");
    auto it = bufferIndex.find(id);
    if (it == bufferIndex.end())
      fail(w + ".buffer", "unknown buffer id " + std::to_string(id));
    v.buffer = it->second;
  } else {
    std::string name = str(*wt, w + ".weight");
    v.weight = m_.findWeight(name);
    if (v.weight < 0)
      fail(w + ".weight", "unknown weight \"" + name + "\"");
  }
  if (const json *off = optional(o, "offset"))
    v.offset = size(*off, w + ".offset", ep.symbols);
  const json *shape = optional(o, "shape");
  const json *strides = optional(o, "strides");
  if (strides && !shape)
    fail(w + ".strides", "strides given without a shape");
  if (shape) {
    v.wholeTensor = false;
    v.shape = sizes(*shape, w + ".shape", ep.symbols);
    if (strides) {
      v.strides = sizes(*strides, w + ".strides", ep.symbols);
      if (v.strides.size() != v.shape.size())
        fail(w + ".strides", "rank " + std::to_string(v.strides.size()) +
                                 " does not match the shape's rank " +
                                 std::to_string(v.shape.size()));
    }
  }
  return v;
}

size_t Parser::viewRank(const ViewDesc &v, const EntryPoint &ep) {
  if (!v.wholeTensor)
    return v.shape.size();
  return v.buffer >= 0 ? ep.buffers[v.buffer].shape.size()
                       : m_.weights[v.weight].shape.size();
}

DType Parser::viewDType(const ViewDesc &v, const EntryPoint &ep) {
  return v.buffer >= 0 ? ep.buffers[v.buffer].dtype : m_.weights[v.weight].dtype;
}

StepDesc Parser::parseStep(const json &o, const std::string &w,
                           const EntryPoint &ep,
                           const std::map<int64_t, int> &bufferIndex) {
  object(o, w);
  StepDesc s;
  s.where = w;
  std::string op = str(member(o, "op", w), w + ".op");
  if (op == "kernel") {
    s.op = StepDesc::Op::Kernel;
    s.symbol = str(member(o, "symbol", w), w + ".symbol");
    if (const json *source = optional(o, "source"))
      s.source = str(*source, w + ".source");
    // Every kernel image lists the same symbols (parseKernels), and each
    // target needs one (the images check that the symbols exist at load).
    for (const std::string &t : m_.targets)
      if (!m_.kernels.count(t))
        fail(w + ".symbol", "kernel step but the artifact has no \"kernels\".\"" + t +
                                "\" image");
    if (!m_.kernels.empty()) {
      const auto &image = *m_.kernels.begin();
      const auto &syms = image.second.symbols;
      for (size_t i = 0; i < syms.size(); ++i)
        if (syms[i] == s.symbol)
          s.symbolIndex = static_cast<int>(i);
      if (s.symbolIndex < 0)
        fail(w + ".symbol", "unknown kernel symbol \"" + s.symbol +
                                "\" (not listed in kernels." + image.first + ".symbols)");
    }
    const json &args = array(member(o, "args", w), w + ".args");
    for (size_t i = 0; i < args.size(); ++i)
      s.args.push_back(parseView(args[i], w + ".args[" + std::to_string(i) + "]",
                                 ep, bufferIndex));
    // A launch grid may only read sizes the step's arguments have.
    for (const auto &image : m_.kernels) {
      if (image.second.launches.empty())
        continue;
      const KernelLaunch &k = image.second.launches[static_cast<size_t>(s.symbolIndex)];
      auto check = [&](const GridDim &g, const char *what) {
        for (const GridDim::Factor &f : g.product)
          if (static_cast<size_t>(f.arg) >= s.args.size() ||
              static_cast<size_t>(f.dim) >= viewRank(s.args[f.arg], ep))
            fail(w, "kernels." + image.first + " launches \"" + s.symbol + "\" with a " +
                        what + " sized by argument " + std::to_string(f.arg) +
                        " dimension " + std::to_string(f.dim) +
                        ", which this step does not have");
      };
      for (const LaunchDesc &l : k.stages) {
        for (const GridDim &g : l.grid)
          check(g, "grid");
        for (int a : l.args)
          if (a >= 0 && static_cast<size_t>(a) >= s.args.size())
            fail(w, "kernels." + image.first + " passes argument " + std::to_string(a) +
                        " to \"" + s.symbol + "\", which this step does not have");
      }
      for (const ScratchDesc &d : k.scratch)
        for (const GridDim &g : d.shape)
          check(g, "scratch buffer");
    }
    return s;
  }
  if (op != "gemm")
    fail(w + ".op", "unknown step \"" + op + "\" (expected kernel or gemm)");
  s.op = StepDesc::Op::Gemm;
  s.m = size(member(o, "m", w), w + ".m", ep.symbols);
  s.n = size(member(o, "n", w), w + ".n", ep.symbols);
  s.k = size(member(o, "k", w), w + ".k", ep.symbols);
  s.a = parseView(member(o, "a", w), w + ".a", ep, bufferIndex);
  s.b = parseView(member(o, "b", w), w + ".b", ep, bufferIndex);
  s.c = parseView(member(o, "c", w), w + ".c", ep, bufferIndex);
  if (const json *bias = optional(o, "bias"))
    s.bias = parseView(*bias, w + ".bias", ep, bufferIndex);
  std::vector<std::pair<const ViewDesc *, size_t>> want = {
      {&s.a, 2}, {&s.b, 2}, {&s.c, 2}};
  if (s.bias)
    want.push_back({&*s.bias, 1});
  for (auto [v, rank] : want) {
    if (viewRank(*v, ep) != rank)
      fail(v->where, "gemm operand must have rank " + std::to_string(rank) +
                         ", has rank " + std::to_string(viewRank(*v, ep)));
    if (viewDType(*v, ep) != DType::F32)
      fail(v->where, std::string("gemm operand must be f32, is ") +
                         dtypeName(viewDType(*v, ep)));
  }
  if (s.c.weight >= 0)
    fail(s.c.where, "gemm output must be a buffer, not a weight");
  if (const json *f = optional(o, "fused")) {
    const std::string wf = w + ".fused";
    object(*f, wf);
    StepDesc::Fused fused;
    fused.family = str(member(*f, "family", wf), wf + ".family");
    auto cuda = m_.kernels.find("cuda");
    if (cuda == m_.kernels.end() ||
        std::none_of(cuda->second.gemv.begin(), cuda->second.gemv.end(),
                     [&](const KernelImage::Gemv &g) { return g.fused == fused.family; }))
      fail(wf + ".family", "no kernel of family \"" + fused.family + "\" in kernels.cuda.gemv");
    auto step = [&](const char *key) {
      int64_t v = integer(member(*f, key, wf), wf + "." + key);
      if (v < 0 || v > std::numeric_limits<int>::max())
        fail(wf + "." + key, std::to_string(v) + " is not a step index");
      return int(v);
    };
    fused.first = step("first");
    fused.last = step("last");
    const json &args = array(member(*f, "args", wf), wf + ".args");
    if (args.empty())
      fail(wf + ".args", "needs at least the product's input");
    for (size_t i = 0; i < args.size(); ++i)
      fused.args.push_back(
          parseView(args[i], wf + ".args[" + std::to_string(i) + "]", ep, bufferIndex));
    s.fused = std::move(fused);
  }
  return s;
}

// A fused gemm step's range holds it and kernel steps only, and no two
// ranges overlap.
void Parser::checkFusedRanges(const EntryPoint &ep, const std::string &w) {
  int taken = -1; // the last step of the range before
  for (size_t i = 0; i < ep.steps.size(); ++i) {
    if (!ep.steps[i].fused)
      continue;
    const StepDesc::Fused &f = *ep.steps[i].fused;
    const std::string wf = w + ".steps[" + std::to_string(i) + "].fused";
    if (f.first <= taken || f.first > int(i) || f.last < int(i) ||
        size_t(f.last) >= ep.steps.size())
      fail(wf, "steps [" + std::to_string(f.first) + ", " + std::to_string(f.last) +
                   "] must hold this step, lie inside the " +
                   std::to_string(ep.steps.size()) + " steps and not overlap another range");
    for (int j = f.first; j <= f.last; ++j)
      if (j != int(i) && ep.steps[size_t(j)].op != StepDesc::Op::Kernel)
        fail(wf, "step " + std::to_string(j) + " of its range is not a kernel step");
    taken = f.last;
  }
}

EntryPoint Parser::parseEntry(const json &j, const std::string &name) {
  const std::string w = "entry_points." + name;
  object(j, w);
  EntryPoint ep;
  ep.name = name;
  const json &syms = array(member(j, "symbols", w), w + ".symbols");
  for (size_t i = 0; i < syms.size(); ++i) {
    std::string s = str(syms[i], w + ".symbols[" + std::to_string(i) + "]");
    if (s == "B")
      ep.symbols.B = true;
    else if (s == "L")
      ep.symbols.L = true;
    else
      fail(w + ".symbols", "unknown symbol \"" + s + "\" (expected B or L)");
  }
  if (!ep.symbols.B)
    fail(w + ".symbols", "must declare B");
  if (name == "prefill" && !ep.symbols.L)
    fail(w + ".symbols", "prefill must declare L");
  if (name == "decode" && ep.symbols.L)
    fail(w + ".symbols", "decode has no sequence length: L is not allowed");

  if (const json *rs = optional(j, "reads_state")) {
    if (!rs->is_boolean())
      fail(w + ".reads_state", "expected a boolean");
    ep.readsState = rs->get<bool>();
  }

  const json &bufs = array(member(j, "buffers", w), w + ".buffers");
  std::map<int64_t, int> bufferIndex;
  std::set<int> statesUsed;
  for (size_t i = 0; i < bufs.size(); ++i) {
    const std::string wb = w + ".buffers[" + std::to_string(i) + "]";
    BufferDesc b = parseBuffer(bufs[i], wb, ep.symbols);
    if (!bufferIndex.emplace(b.id, static_cast<int>(i)).second)
      fail(wb + ".id", "duplicate buffer id " + std::to_string(b.id));
    if (b.kind == BufferKind::State && !statesUsed.insert(b.stateIndex).second)
      fail(wb + ".name", "state \"" + b.name + "\" is bound to two buffers");
    if (b.kind == BufferKind::Input || b.kind == BufferKind::Output) {
      int &slot = b.kind == BufferKind::Input ? ep.tokens : ep.logits;
      if (slot >= 0)
        fail(wb, "second \"" + b.name + "\" buffer");
      slot = static_cast<int>(i);
    }
    ep.buffers.push_back(std::move(b));
  }
  if (ep.tokens < 0)
    fail(w + ".buffers", "no input buffer \"tokens\"");
  if (ep.logits < 0)
    fail(w + ".buffers", "no output buffer \"logits\"");
  const BufferDesc &tok = ep.buffers[ep.tokens];
  bool tokOk = tok.dtype == DType::I32 &&
               (name == "prefill" ? tok.shape.size() == 2 && tok.shape[0].isSymbol('B') &&
                                        tok.shape[1].isSymbol('L')
                                  : tok.shape.size() == 1 && tok.shape[0].isSymbol('B'));
  if (!tokOk)
    fail(w + ".buffers[" + std::to_string(ep.tokens) + "]",
         std::string("\"tokens\" must be i32 of shape ") +
             (name == "prefill" ? "[\"B\", \"L\"]" : "[\"B\"]"));
  if (ep.buffers[ep.logits].dtype != DType::F32)
    fail(w + ".buffers[" + std::to_string(ep.logits) + "]", "\"logits\" must be f32");

  const json &steps = array(member(j, "steps", w), w + ".steps");
  for (size_t i = 0; i < steps.size(); ++i)
    ep.steps.push_back(parseStep(steps[i], w + ".steps[" + std::to_string(i) + "]",
                                 ep, bufferIndex));
  checkFusedRanges(ep, w);
  return ep;
}

} // namespace

Manifest parseManifest(const Artifact &artifact) {
  return Parser(artifact).run();
}

} // namespace ssmc
