#include "frontend/GraphJson.h"

#include "frontend/GraphValidate.h"
#include "frontend/JsonUtil.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace ssmc::frontend {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const char *kFormatName = "ssmc-graph";

const char *dtypeKey(DType d) {
  switch (d) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  }
  return "f32";
}

// The double whose shortest decimal form is the float's: 1e-5f is written
// as 1e-05, not 9.999999747378752e-06, and still reads back bit-exactly.
double readableDouble(float f) {
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf - 1, f);
  *result.ptr = '\0';
  return std::strtod(buf, nullptr);
}

void rejectUnknownKeys(const json &obj, const std::set<std::string> &known,
                       const std::string &file, const std::string &where) {
  for (const auto &item : obj.items())
    if (!known.count(item.key()))
      throw ImportError(file, "unknown key \"" + item.key() + "\"" +
                                  (where.empty() ? "" : " in " + where));
}

std::string nameKey(const JsonReader &r, const std::string &key) {
  std::string s = r.getString(key);
  if (s.empty())
    r.fail(key, "must not be empty");
  return s;
}

float floatKey(const JsonReader &r, const std::string &key, double fallback) {
  double v = r.getNumber(key, fallback);
  if (!std::isfinite(v) || std::fabs(v) > 3.0e38)
    r.fail(key, "must be a finite f32 value");
  return static_cast<float>(v);
}

LayerSpec readLayer(const json &obj, const std::string &file, size_t index,
                    float defaultEps) {
  const std::string where = "layers[" + std::to_string(index) + "]";
  if (!obj.is_object())
    throw ImportError(file, where + " must be an object");
  JsonReader r(obj, file, where);
  LayerSpec l;
  const std::string mixer = r.getString("mixer");
  std::set<std::string> known = {"mixer",   "d_inner",  "d_state",
                                 "d_conv",  "norm_eps", "tensors"};
  if (mixer == "mamba1") {
    l.kind = MixerKind::Mamba1;
    known.insert("dt_rank");
    l.dt_rank = r.getInt("dt_rank");
  } else if (mixer == "mamba2") {
    l.kind = MixerKind::Mamba2;
    known.insert({"n_heads", "head_dim", "n_groups", "chunk_size", "dt_limit",
                  "norm_before_gate"});
    l.n_heads = r.getInt("n_heads");
    l.head_dim = r.getInt("head_dim");
    l.n_groups = r.getInt("n_groups", 1);
    l.chunk_size = r.getInt("chunk_size", 256);
    l.norm_before_gate = r.getBool("norm_before_gate", false);
    if (r.has("dt_limit")) {
      const json &lim = r.at("dt_limit");
      if (!lim.is_array() || lim.size() != 2)
        r.fail("dt_limit", "expected [min, max] (max null = no limit)");
      l.dt_min = static_cast<float>(r.asNumber(lim[0], "dt_limit"));
      l.dt_max = lim[1].is_null()
                     ? std::numeric_limits<float>::infinity()
                     : static_cast<float>(r.asNumber(lim[1], "dt_limit"));
    }
  } else {
    r.fail("mixer", "expected \"mamba1\" or \"mamba2\", got \"" + mixer + "\"");
  }
  rejectUnknownKeys(obj, known, file, where);
  l.d_inner = r.getInt("d_inner");
  l.d_state = r.getInt("d_state");
  l.d_conv = r.getInt("d_conv", 4);
  l.norm_eps = floatKey(r, "norm_eps", defaultEps);

  const json &tensors = r.at("tensors");
  if (!tensors.is_object())
    r.fail("tensors", "expected an object of role -> tensor name");
  for (const auto &item : tensors.items()) {
    if (!item.value().is_string() || item.value().get<std::string>().empty())
      r.fail("tensors." + item.key(), "expected a non-empty tensor name");
    l.weights[item.key()] = item.value().get<std::string>();
  }
  return l;
}

} // namespace

ModelGraph parseGraphJson(const std::string &text, const std::string &path) {
  const json root = parseJsonText(text, path);
  if (!root.is_object())
    throw ImportError(path, std::string("must be a JSON object, got ") +
                                root.type_name());
  rejectUnknownKeys(root,
                    {"$schema", "format", "version", "d_model", "vocab_size",
                     "padded_vocab_size", "norm_eps", "residual_in_fp32",
                     "dtype", "embedding", "final_norm", "lm_head", "weights",
                     "layers"},
                    path, "");
  JsonReader r(root, path);
  if (r.getString("format") != kFormatName)
    r.fail("format", std::string("expected \"") + kFormatName + "\"");
  if (r.getInt("version") != kGraphFormatVersion)
    r.fail("version", "this reader understands version " +
                          std::to_string(kGraphFormatVersion));

  ModelGraph g;
  g.source = path;
  g.d_model = r.getInt("d_model");
  g.vocab_size = r.getInt("vocab_size");
  g.padded_vocab_size = r.getInt("padded_vocab_size", g.vocab_size);
  g.norm_eps = floatKey(r, "norm_eps", 1e-5);
  g.residual_in_fp32 = r.getBool("residual_in_fp32", true);
  const std::string dtype = r.getString("dtype");
  if (dtype == "f32")
    g.dtype = DType::F32;
  else if (dtype == "f16")
    g.dtype = DType::F16;
  else if (dtype == "bf16")
    g.dtype = DType::BF16;
  else
    r.fail("dtype", "expected \"f32\", \"f16\" or \"bf16\", got \"" + dtype +
                        "\"");
  g.embedding = nameKey(r, "embedding");
  g.final_norm = nameKey(r, "final_norm");
  g.lm_head = nameKey(r, "lm_head");

  const json &weights = r.at("weights");
  if (!weights.is_array() || weights.empty())
    r.fail("weights", "expected a non-empty array of file names");
  for (const json &w : weights) {
    if (!w.is_string() || w.get<std::string>().empty())
      r.fail("weights", "expected a non-empty array of file names");
    g.weight_files.push_back(w.get<std::string>());
  }

  const json &layers = r.at("layers");
  if (!layers.is_array())
    r.fail("layers", "expected an array");
  for (size_t i = 0; i < layers.size(); ++i)
    g.layers.push_back(readLayer(layers[i], path, i, g.norm_eps));
  checkGraphSizes(g);
  return g;
}

ModelGraph readGraphJson(const std::string &path) {
  return parseGraphJson(readTextFile(path), path);
}

ModelGraph readGraphJson(const std::string &path, WeightStore &store) {
  ModelGraph g = readGraphJson(path);
  const DType declared = g.dtype;
  WeightStore fresh;
  const fs::path base = fs::path(path).parent_path();
  for (const std::string &file : g.weight_files) {
    fs::path p(file);
    fresh.addFile((p.is_absolute() ? p : base / p).string());
  }
  fresh.setSource(path); // a tensor the graph names but no file has
  bindWeights(g, fresh);
  if (g.dtype != declared)
    throw ImportError(path, std::string("declares dtype ") +
                                dtypeKey(declared) + " but the weights are " +
                                dtypeKey(g.dtype));
  store = std::move(fresh);
  return g;
}

std::string writeGraphJson(const ModelGraph &g) {
  ordered_json root;
  root["format"] = kFormatName;
  root["version"] = kGraphFormatVersion;
  root["d_model"] = g.d_model;
  root["vocab_size"] = g.vocab_size;
  root["padded_vocab_size"] = g.padded_vocab_size;
  root["norm_eps"] = readableDouble(g.norm_eps);
  root["residual_in_fp32"] = g.residual_in_fp32;
  root["dtype"] = dtypeKey(g.dtype);
  root["embedding"] = g.embedding;
  root["final_norm"] = g.final_norm;
  root["lm_head"] = g.lm_head;
  root["weights"] = g.weight_files;
  ordered_json layers = ordered_json::array();
  for (const LayerSpec &l : g.layers) {
    ordered_json layer;
    layer["mixer"] = l.kind == MixerKind::Mamba1 ? "mamba1" : "mamba2";
    layer["d_inner"] = l.d_inner;
    layer["d_state"] = l.d_state;
    layer["d_conv"] = l.d_conv;
    if (l.kind == MixerKind::Mamba1) {
      layer["dt_rank"] = l.dt_rank;
    } else {
      layer["n_heads"] = l.n_heads;
      layer["head_dim"] = l.head_dim;
      layer["n_groups"] = l.n_groups;
      layer["chunk_size"] = l.chunk_size;
      ordered_json maxValue = nullptr; // null: no upper clamp
      if (std::isfinite(l.dt_max))
        maxValue = readableDouble(l.dt_max);
      layer["dt_limit"] = {readableDouble(l.dt_min), maxValue};
      layer["norm_before_gate"] = l.norm_before_gate;
    }
    layer["norm_eps"] = readableDouble(l.norm_eps);
    ordered_json tensors = ordered_json::object();
    for (const auto &entry : l.weights)
      tensors[entry.first] = entry.second;
    layer["tensors"] = tensors;
    layers.push_back(layer);
  }
  root["layers"] = layers;
  return root.dump(2) + "\n";
}

} // namespace ssmc::frontend
