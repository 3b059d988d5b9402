#include "frontend/ConfigImport.h"

#include "frontend/GraphValidate.h"
#include "frontend/JsonUtil.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

namespace ssmc::frontend {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kMaxDim = int64_t(1) << 24;

// What a config says beyond the graph itself: how to find the tensors.
struct ParsedConfig {
  ModelGraph graph;           // sizes filled; weights and vocab padding not yet
  std::string embeddingName;  // HF: embeddings, reference: embedding
  std::optional<bool> tied;   // absent: tied iff lm_head.weight is absent
  int64_t padMultiple = 0;    // reference format: vocab padded to a multiple
  bool useBias = false;
  bool useConvBias = true;
};

// A size read from the config: an integer in [1, max], so later products
// cannot overflow.
int64_t sizeKey(const JsonReader &r, const std::string &key,
                std::optional<int64_t> fallback, int64_t max = kMaxDim) {
  int64_t v = fallback && !r.has(key) ? *fallback : r.getInt(key);
  if (v < 1 || v > max)
    r.fail(key, std::to_string(v) + " is out of range [1, " +
                    std::to_string(max) + "]");
  return v;
}

float epsKey(const JsonReader &r, const std::string &key) {
  double eps = r.getNumber(key, 1e-5);
  if (!(eps > 0) || !std::isfinite(eps) || eps > 1)
    r.fail(key, "must be a positive number below 1");
  return static_cast<float>(eps);
}

// d_inner = int(expand * d_model), as both reference implementations do.
int64_t innerWidth(const JsonReader &r, const std::string &key, int64_t d) {
  double expand = r.getNumber(key, 2.0);
  if (!(expand > 0) || expand > 64)
    r.fail(key, "must be in (0, 64]");
  int64_t e = static_cast<int64_t>(expand * static_cast<double>(d));
  if (e < 1 || e > kMaxDim)
    r.fail(key, "gives d_inner = " + std::to_string(e) + ", out of range");
  return e;
}

// dt_rank: an integer or "auto" = ceil(d_model / 16).
int64_t dtRankKey(const JsonReader &r, const std::string &key, int64_t d) {
  if (!r.has(key))
    return (d + 15) / 16;
  const json &v = r.at(key);
  if (v.is_string()) {
    if (v.get<std::string>() != "auto")
      r.fail(key, "expected an integer or \"auto\", got \"" +
                      v.get<std::string>() + "\"");
    return (d + 15) / 16;
  }
  return sizeKey(r, key, std::nullopt);
}

// [min, max] clamp of the time step; max may be Infinity.
void dtLimitKey(const JsonReader &r, const std::string &key, LayerSpec &l) {
  if (!r.has(key))
    return;
  const json &v = r.at(key);
  if (!v.is_array() || v.size() != 2)
    r.fail(key, "expected [min, max]");
  double lo = r.asNumber(v[0], key), hi = r.asNumber(v[1], key);
  if (std::isnan(lo) || std::isnan(hi) || lo < 0 || hi < lo)
    r.fail(key, "must satisfy 0 <= min <= max");
  l.dt_min = static_cast<float>(lo);
  l.dt_max = static_cast<float>(hi);
}

std::optional<bool> optionalBool(const JsonReader &r, const std::string &key) {
  if (!r.has(key))
    return std::nullopt;
  return r.getBool(key);
}

void checkHeadSplit(const JsonReader &r, const LayerSpec &l,
                    const std::string &headsKey, const std::string &dimKey,
                    const std::string &groupsKey) {
  if (l.n_heads * l.head_dim != l.d_inner)
    r.fail(headsKey, headsKey + " * " + dimKey + " = " +
                         std::to_string(l.n_heads) + " * " +
                         std::to_string(l.head_dim) + " = " +
                         std::to_string(l.n_heads * l.head_dim) +
                         " must equal d_inner = " + std::to_string(l.d_inner));
  if (l.n_heads % l.n_groups != 0)
    r.fail(groupsKey, headsKey + " = " + std::to_string(l.n_heads) +
                          " is not a multiple of " + groupsKey + " = " +
                          std::to_string(l.n_groups));
}

// The model-level keys both Hugging Face configs share; returns the layer count.
int64_t readHFCommon(JsonReader &r, ParsedConfig &p) {
  ModelGraph &g = p.graph;
  g.d_model = sizeKey(r, "hidden_size", std::nullopt);
  const int64_t layers = sizeKey(r, "num_hidden_layers", std::nullopt, 1 << 16);
  g.vocab_size = sizeKey(r, "vocab_size", std::nullopt, int64_t(1) << 31);
  g.norm_eps = epsKey(r, "layer_norm_epsilon");
  g.residual_in_fp32 = r.getBool("residual_in_fp32", true);
  p.tied = optionalBool(r, "tie_word_embeddings");
  p.useBias = r.getBool("use_bias", false);
  p.useConvBias = r.getBool("use_conv_bias", true);
  p.embeddingName = "backbone.embeddings.weight";
  return layers;
}

ParsedConfig parseHFMamba(const json &config, const std::string &file) {
  JsonReader r(config, file);
  ParsedConfig p;
  ModelGraph &g = p.graph;
  const int64_t layers = readHFCommon(r, p);

  LayerSpec l;
  l.kind = MixerKind::Mamba1;
  l.d_inner = r.has("intermediate_size")
                  ? sizeKey(r, "intermediate_size", std::nullopt)
                  : innerWidth(r, "expand", g.d_model);
  l.d_state = sizeKey(r, "state_size", 16);
  l.d_conv = sizeKey(r, "conv_kernel", 4, 1024);
  l.dt_rank = dtRankKey(r, "time_step_rank", g.d_model);
  l.norm_eps = g.norm_eps;
  g.layers.assign(static_cast<size_t>(layers), l);
  return p;
}

ParsedConfig parseHFMamba2(const json &config, const std::string &file) {
  JsonReader r(config, file);
  ParsedConfig p;
  ModelGraph &g = p.graph;
  const int64_t layers = readHFCommon(r, p);

  LayerSpec l;
  l.kind = MixerKind::Mamba2;
  l.d_inner = innerWidth(r, "expand", g.d_model);
  l.d_state = sizeKey(r, "state_size", 128);
  l.head_dim = sizeKey(r, "head_dim", 64);
  if (!r.has("num_heads") && l.d_inner % l.head_dim != 0)
    r.fail("head_dim", "does not divide d_inner = " +
                           std::to_string(l.d_inner) +
                           " (and num_heads is not given)");
  l.n_heads = sizeKey(r, "num_heads", l.d_inner / l.head_dim);
  l.n_groups = sizeKey(r, "n_groups", 1);
  l.d_conv = sizeKey(r, "conv_kernel", 4, 1024);
  l.chunk_size = sizeKey(r, "chunk_size", 256);
  dtLimitKey(r, "time_step_limit", l);
  // transformers always applies the gate before the norm, whatever the
  // config's norm_before_gate says.
  l.norm_before_gate = false;
  l.norm_eps = g.norm_eps;
  checkHeadSplit(r, l, "num_heads", "head_dim", "n_groups");
  g.layers.assign(static_cast<size_t>(layers), l);
  return p;
}

ParsedConfig parseReference(const json &config, const std::string &file) {
  JsonReader r(config, file);
  ParsedConfig p;
  ModelGraph &g = p.graph;
  g.d_model = sizeKey(r, "d_model", std::nullopt);
  const int64_t layers = sizeKey(r, "n_layer", std::nullopt, 1 << 16);
  g.vocab_size = sizeKey(r, "vocab_size", std::nullopt, int64_t(1) << 31);
  g.norm_eps = epsKey(r, "norm_epsilon");
  g.residual_in_fp32 = r.getBool("residual_in_fp32", true);
  r.getBool("fused_add_norm", true); // a kernel choice: same math either way
  p.tied = r.getBool("tie_embeddings", true);
  p.padMultiple = sizeKey(r, "pad_vocab_size_multiple", 8, 1 << 20);
  p.embeddingName = "backbone.embedding.weight";
  if (!r.getBool("rms_norm", true))
    r.fail("rms_norm", "false (LayerNorm blocks) is not supported");
  if (r.getInt("d_intermediate", 0) != 0)
    r.fail("d_intermediate", "MLP blocks between mixers are not supported");
  if (r.has("attn_layer_idx")) {
    const json &attn = r.at("attn_layer_idx");
    if (!attn.is_array())
      r.fail("attn_layer_idx", "expected an array");
    if (!attn.empty())
      r.fail("attn_layer_idx", "attention layers are not supported");
  }

  static const json emptyObject = json::object();
  const json &ssmCfg = r.has("ssm_cfg") ? r.at("ssm_cfg") : emptyObject;
  if (!ssmCfg.is_object())
    r.fail("ssm_cfg", std::string("expected an object, got ") +
                          ssmCfg.type_name());
  JsonReader s(ssmCfg, file, "ssm_cfg");
  const std::string layer = s.getString("layer", "Mamba1");
  p.useBias = s.getBool("bias", false);
  p.useConvBias = s.getBool("conv_bias", true);

  LayerSpec l;
  l.norm_eps = g.norm_eps;
  l.d_inner = innerWidth(s, "expand", g.d_model);
  l.d_conv = sizeKey(s, "d_conv", 4, 1024);
  if (layer == "Mamba1") {
    l.kind = MixerKind::Mamba1;
    l.d_state = sizeKey(s, "d_state", 16);
    l.dt_rank = dtRankKey(s, "dt_rank", g.d_model);
  } else if (layer == "Mamba2") {
    l.kind = MixerKind::Mamba2;
    l.d_state = sizeKey(s, "d_state", 128);
    l.head_dim = sizeKey(s, "headdim", 64);
    const int64_t dSsm = sizeKey(s, "d_ssm", l.d_inner);
    if (dSsm != l.d_inner)
      s.fail("d_ssm", "d_ssm < d_inner adds a gated MLP, which is not "
                      "supported");
    if (l.d_inner % l.head_dim != 0)
      s.fail("headdim", "does not divide d_inner = " +
                            std::to_string(l.d_inner));
    l.n_heads = l.d_inner / l.head_dim;
    l.n_groups = sizeKey(s, "ngroups", 1);
    l.chunk_size = sizeKey(s, "chunk_size", 256);
    dtLimitKey(s, "dt_limit", l);
    l.norm_before_gate = s.getBool("norm_before_gate", false);
    if (!s.getBool("rmsnorm", true))
      s.fail("rmsnorm", "false (no gated norm) is not supported");
    if (s.getBool("D_has_hdim", false))
      s.fail("D_has_hdim", "true (D per head dim) is not supported");
    checkHeadSplit(s, l, "nheads", "headdim", "ngroups");
  } else {
    s.fail("layer", "expected \"Mamba1\" or \"Mamba2\", got \"" + layer + "\"");
  }
  g.layers.assign(static_cast<size_t>(layers), l);
  return p;
}

// Tensor names by role; the three dialects share the per-layer names.
void nameLayerWeights(ParsedConfig &p) {
  for (size_t i = 0; i < p.graph.layers.size(); ++i) {
    LayerSpec &l = p.graph.layers[i];
    const std::string block = "backbone.layers." + std::to_string(i) + ".";
    const std::string m = block + "mixer.";
    auto &w = l.weights;
    w["norm"] = block + "norm.weight";
    w["in_proj"] = m + "in_proj.weight";
    w["conv_weight"] = m + "conv1d.weight";
    w["A_log"] = m + "A_log";
    w["D"] = m + "D";
    w["out_proj"] = m + "out_proj.weight";
    if (p.useConvBias)
      w["conv_bias"] = m + "conv1d.bias";
    if (p.useBias) {
      w["in_proj_bias"] = m + "in_proj.bias";
      w["out_proj_bias"] = m + "out_proj.bias";
    }
    if (l.kind == MixerKind::Mamba1) {
      w["x_proj"] = m + "x_proj.weight";
      w["dt_proj_weight"] = m + "dt_proj.weight";
      w["dt_proj_bias"] = m + "dt_proj.bias";
    } else {
      w["dt_bias"] = m + "dt_bias";
      w["gated_norm"] = m + "norm.weight";
    }
  }
}

// The vocabulary padding is whatever the embedding has, within the rules.
void bindVocabulary(ParsedConfig &p, const WeightStore &store,
                    const std::string &configPath) {
  ModelGraph &g = p.graph;
  const TensorInfo &emb = store.get(g.embedding);
  if (emb.shape.size() != 2 || emb.shape[1] != g.d_model)
    throw ImportError(emb.file, "tensor '" + emb.name + "' (embedding) has "
                                "shape " + shapeString(emb.shape) +
                                ", expected [vocab, " +
                                std::to_string(g.d_model) + "]");
  g.padded_vocab_size = emb.shape[0];
  if (g.vocab_size > g.padded_vocab_size)
    throw ImportError(configPath,
                      "vocab_size = " + std::to_string(g.vocab_size) +
                          " exceeds the " + std::to_string(g.padded_vocab_size) +
                          " rows of the embedding '" + emb.name + "'");
  if (p.padMultiple > 0) {
    const int64_t padded =
        (g.vocab_size + p.padMultiple - 1) / p.padMultiple * p.padMultiple;
    if (padded != g.padded_vocab_size)
      throw ImportError(configPath,
                        "vocab_size = " + std::to_string(g.vocab_size) +
                            " padded to a multiple of " +
                            std::to_string(p.padMultiple) + " is " +
                            std::to_string(padded) + ", but the embedding '" +
                            emb.name + "' has " +
                            std::to_string(g.padded_vocab_size) + " rows");
  }
}

void bindLmHead(ParsedConfig &p, const WeightStore &store,
                const std::string &configPath) {
  ModelGraph &g = p.graph;
  const bool hasHead = store.contains("lm_head.weight");
  const bool tied = p.tied.value_or(!hasHead);
  if (!tied && !hasHead)
    throw ImportError(store.source(),
                      "missing tensor 'lm_head.weight' (" +
                          fs::path(configPath).filename().string() +
                          " says the embeddings are not tied)");
  g.lm_head = tied ? g.embedding : "lm_head.weight";
}

} // namespace

ConfigDialect detectConfigDialect(const json &config, const std::string &file) {
  if (!config.is_object())
    throw ImportError(file, std::string("must be a JSON object, got ") +
                                config.type_name());
  JsonReader r(config, file);
  if (r.has("architectures")) {
    const json &arch = r.at("architectures");
    if (!arch.is_array())
      r.fail("architectures", "expected an array of strings");
    for (const json &a : arch) {
      if (!a.is_string())
        r.fail("architectures", "expected an array of strings");
      if (a == "MambaForCausalLM")
        return ConfigDialect::HFMamba;
      if (a == "Mamba2ForCausalLM")
        return ConfigDialect::HFMamba2;
    }
    if (!arch.empty())
      r.fail("architectures", arch.dump() + " is not supported (expected "
                              "MambaForCausalLM or Mamba2ForCausalLM)");
  }
  const std::string modelType = r.getString("model_type", "");
  if (modelType == "mamba")
    return ConfigDialect::HFMamba;
  if (modelType == "mamba2")
    return ConfigDialect::HFMamba2;
  if (r.has("d_model"))
    return ConfigDialect::Reference;
  throw ImportError(file, "cannot tell the config format: expected "
                          "\"architectures\" (MambaForCausalLM or "
                          "Mamba2ForCausalLM) or the reference format's "
                          "\"d_model\"");
}

ModelGraph importCheckpoint(const std::string &dir, WeightStore &store) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw ImportError(dir, fs::exists(dir, ec)
                               ? "not a directory"
                               : "checkpoint directory does not exist");
  const std::string configPath = (fs::path(dir) / "config.json").string();
  const json config = readJsonFile(configPath);

  ParsedConfig p;
  switch (detectConfigDialect(config, configPath)) {
  case ConfigDialect::HFMamba:
    p = parseHFMamba(config, configPath);
    break;
  case ConfigDialect::HFMamba2:
    p = parseHFMamba2(config, configPath);
    break;
  case ConfigDialect::Reference:
    p = parseReference(config, configPath);
    break;
  }
  ModelGraph &g = p.graph;
  g.source = configPath;
  g.embedding = p.embeddingName;
  g.final_norm = "backbone.norm_f.weight";
  nameLayerWeights(p);

  store = WeightStore::openDirectory(dir);
  bindVocabulary(p, store, configPath);
  bindLmHead(p, store, configPath);
  const std::string extra =
      "backbone.layers." + std::to_string(g.layers.size()) + ".norm.weight";
  if (store.contains(extra))
    throw ImportError(configPath, "the checkpoint has more layers than the " +
                                      std::to_string(g.layers.size()) +
                                      " the config declares (found '" + extra +
                                      "')");
  bindWeights(g, store);
  for (const std::string &file : store.files())
    g.weight_files.push_back(
        fs::path(file).lexically_relative(fs::path(dir)).string());
  return std::move(p.graph);
}

} // namespace ssmc::frontend
