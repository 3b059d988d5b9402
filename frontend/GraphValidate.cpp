#include "frontend/GraphValidate.h"

#include <algorithm>
#include <cmath>

namespace ssmc::frontend {

namespace {

// Far above any real model, low enough that shape arithmetic cannot overflow.
constexpr int64_t kMaxDim = int64_t(1) << 24;
constexpr int64_t kMaxVocab = int64_t(1) << 31;

std::string quote(const std::string &s) { return "'" + s + "'"; }

void checkRange(const std::string &file, const std::string &what, int64_t v,
                int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    throw ImportError(file, what + " = " + std::to_string(v) +
                                " is out of range [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "]");
}

const char *kindName(MixerKind kind) {
  return kind == MixerKind::Mamba1 ? "Mamba-1" : "Mamba-2";
}

} // namespace

const std::vector<std::string> &requiredRoles(MixerKind kind) {
  static const std::vector<std::string> mamba1 = {
      "norm",           "in_proj",      "conv_weight", "x_proj", "dt_proj_weight",
      "dt_proj_bias",   "A_log",        "D",           "out_proj"};
  static const std::vector<std::string> mamba2 = {
      "norm", "in_proj", "conv_weight", "dt_bias", "A_log", "D", "gated_norm",
      "out_proj"};
  return kind == MixerKind::Mamba1 ? mamba1 : mamba2;
}

const std::vector<std::string> &optionalRoles(MixerKind) {
  static const std::vector<std::string> roles = {"conv_bias", "in_proj_bias",
                                                 "out_proj_bias"};
  return roles;
}

int64_t mamba2InProjRows(const LayerSpec &l) {
  return 2 * l.d_inner + 2 * l.n_groups * l.d_state + l.n_heads;
}

int64_t convChannels(const LayerSpec &l) {
  return l.kind == MixerKind::Mamba1 ? l.d_inner
                                     : l.d_inner + 2 * l.n_groups * l.d_state;
}

std::map<std::string, std::vector<int64_t>>
expectedLayerShapes(const LayerSpec &l, int64_t d) {
  const int64_t e = l.d_inner, N = l.d_state, W = l.d_conv;
  std::map<std::string, std::vector<int64_t>> s;
  s["norm"] = {d};
  s["conv_weight"] = {convChannels(l), 1, W};
  s["conv_bias"] = {convChannels(l)};
  s["out_proj"] = {d, e};
  s["out_proj_bias"] = {d};
  if (l.kind == MixerKind::Mamba1) {
    const int64_t R = l.dt_rank;
    s["in_proj"] = {2 * e, d};
    s["in_proj_bias"] = {2 * e};
    s["x_proj"] = {R + 2 * N, e};
    s["dt_proj_weight"] = {e, R};
    s["dt_proj_bias"] = {e};
    s["A_log"] = {e, N};
    s["D"] = {e};
  } else {
    const int64_t H = l.n_heads;
    s["in_proj"] = {mamba2InProjRows(l), d};
    s["in_proj_bias"] = {mamba2InProjRows(l)};
    s["dt_bias"] = {H};
    s["A_log"] = {H};
    s["D"] = {H};
    s["gated_norm"] = {e};
  }
  return s;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

void checkGraphSizes(const ModelGraph &g) {
  const std::string &f = g.source;
  checkRange(f, "d_model", g.d_model, 1, kMaxDim);
  checkRange(f, "vocab_size", g.vocab_size, 1, kMaxVocab);
  checkRange(f, "padded_vocab_size", g.padded_vocab_size, g.vocab_size,
             kMaxVocab);
  if (!(g.norm_eps > 0.0f) || !std::isfinite(g.norm_eps))
    throw ImportError(f, "norm eps must be a positive finite number");
  if (g.embedding.empty() || g.final_norm.empty() || g.lm_head.empty())
    throw ImportError(f, "embedding, final_norm and lm_head tensor names "
                         "must be set");
  if (g.layers.empty())
    throw ImportError(f, "the model has no layers");
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const LayerSpec &l = g.layers[i];
    const std::string at = "layer " + std::to_string(i) + ": ";
    checkRange(f, at + "d_inner", l.d_inner, 1, kMaxDim);
    checkRange(f, at + "d_state", l.d_state, 1, kMaxDim);
    checkRange(f, at + "d_conv", l.d_conv, 1, 1024);
    if (!(l.norm_eps > 0.0f) || !std::isfinite(l.norm_eps))
      throw ImportError(f, at + "norm eps must be a positive finite number");
    if (l.kind == MixerKind::Mamba1) {
      checkRange(f, at + "dt_rank", l.dt_rank, 1, kMaxDim);
      if (l.n_groups != 1)
        throw ImportError(f, at + "Mamba-1 has exactly one group");
    } else {
      checkRange(f, at + "n_heads", l.n_heads, 1, kMaxDim);
      checkRange(f, at + "head_dim", l.head_dim, 1, kMaxDim);
      checkRange(f, at + "n_groups", l.n_groups, 1, kMaxDim);
      checkRange(f, at + "chunk_size", l.chunk_size, 1, kMaxDim);
      if (l.n_heads * l.head_dim != l.d_inner)
        throw ImportError(f, at + "n_heads * head_dim = " +
                                 std::to_string(l.n_heads * l.head_dim) +
                                 " but d_inner = " + std::to_string(l.d_inner));
      if (l.n_heads % l.n_groups != 0)
        throw ImportError(f, at + "n_heads = " + std::to_string(l.n_heads) +
                                 " is not a multiple of n_groups = " +
                                 std::to_string(l.n_groups));
      if (std::isnan(l.dt_min) || std::isnan(l.dt_max) || l.dt_min < 0 ||
          l.dt_max < l.dt_min)
        throw ImportError(f, at + "dt limit must satisfy 0 <= min <= max");
    }
    for (const std::string &role : requiredRoles(l.kind)) {
      auto it = l.weights.find(role);
      if (it == l.weights.end() || it->second.empty())
        throw ImportError(f, at + "no tensor for required role " +
                                 quote(role));
    }
    for (const auto &entry : l.weights) {
      const auto &req = requiredRoles(l.kind);
      const auto &opt = optionalRoles(l.kind);
      if (std::find(req.begin(), req.end(), entry.first) == req.end() &&
          std::find(opt.begin(), opt.end(), entry.first) == opt.end())
        throw ImportError(f, at + "unknown role " + quote(entry.first) +
                                 " for a " + kindName(l.kind) + " layer");
    }
  }
}

void bindWeights(ModelGraph &g, const WeightStore &store) {
  checkGraphSizes(g);
  const TensorInfo *first = nullptr;
  auto check = [&](const std::string &name, const std::string &role,
                   const std::vector<int64_t> &expected, const LayerSpec *l) {
    const TensorInfo *t = store.find(name);
    if (!t)
      throw ImportError(store.source(), "missing tensor " + quote(name) +
                                            " (" + role + ")");
    if (t->shape != expected) {
      std::string message = "tensor " + quote(name) + " (" + role +
                            ") has shape " + shapeString(t->shape) +
                            ", expected " + shapeString(expected);
      // Mamba-2 blocks with d_ssm < d_inner carry two extra gated-MLP pieces.
      if (l && l->kind == MixerKind::Mamba2 && role.find("in_proj") != std::string::npos &&
          t->shape.size() == expected.size() && t->shape[0] > expected[0] &&
          (t->shape[0] - expected[0]) % 2 == 0)
        message += ": the extra rows look like a gated MLP (d_ssm < d_inner),"
                   " which is not supported";
      throw ImportError(t->file, message);
    }
    // Checkpoints keep the SSM parameters in f32 even when the rest is
    // f16/bf16 (SEMANTICS.md); every other weight shares one dtype.
    auto endsWith = [&](const std::string &suffix) {
      return role.size() >= suffix.size() &&
             role.compare(role.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    bool fp32Parameter = t->dtype == DType::F32 && l &&
                         (endsWith(" A_log") || endsWith(" D") || endsWith(" dt_bias") ||
                          endsWith(" dt_proj_bias"));
    if (fp32Parameter)
      return;
    if (!first)
      first = t;
    else if (t->dtype != first->dtype)
      throw ImportError(t->file, "tensor " + quote(name) + " is " +
                                     dtypeName(t->dtype) + " but " +
                                     quote(first->name) + " is " +
                                     dtypeName(first->dtype) +
                                     ": all weights must share one dtype");
  };
  check(g.embedding, "embedding", {g.padded_vocab_size, g.d_model}, nullptr);
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const LayerSpec &l = g.layers[i];
    auto shapes = expectedLayerShapes(l, g.d_model);
    for (const auto &entry : l.weights)
      check(entry.second, "layer " + std::to_string(i) + " " + entry.first,
            shapes.at(entry.first), &l);
  }
  check(g.final_norm, "final_norm", {g.d_model}, nullptr);
  check(g.lm_head, "lm_head", {g.padded_vocab_size, g.d_model}, nullptr);
  g.dtype = first->dtype;
}

} // namespace ssmc::frontend
