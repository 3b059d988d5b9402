#ifndef SSMC_TEST_UNIT_FRONTEND_TESTUTIL_H
#define SSMC_TEST_UNIT_FRONTEND_TESTUTIL_H

// Helpers for the frontend tests: a temp directory, a tiny safetensors
// writer, and builders for small checkpoints in each config dialect.

#include "frontend/ModelGraph.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace ssmc::frontend::testing {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "ssmc-frontend-XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const {
    return (fs::path(path_) / name).string();
  }

private:
  std::string path_;
};

inline void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}
inline void writeText(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}
inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline size_t elemSize(const std::string &dtype) {
  return dtype == "F32" ? 4 : dtype == "F64" || dtype == "I64" ? 8
                          : dtype == "U8" ? 1 : 2;
}

inline std::vector<uint8_t> f32Bytes(const std::vector<float> &values) {
  std::vector<uint8_t> out(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b)
      out[4 * i + b] = uint8_t(bits >> (8 * b));
  }
  return out;
}
inline std::vector<uint8_t> u16Bytes(const std::vector<uint16_t> &values) {
  std::vector<uint8_t> out;
  for (uint16_t v : values) {
    out.push_back(uint8_t(v));
    out.push_back(uint8_t(v >> 8));
  }
  return out;
}

// Builds a safetensors file tensor by tensor: data laid out contiguously.
class SafeTensorsWriter {
public:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };

  // Data defaults to a deterministic ramp of small values in `dtype`.
  SafeTensorsWriter &add(const std::string &name, const std::string &dtype,
                         std::vector<int64_t> shape,
                         std::vector<uint8_t> data = {}) {
    if (data.empty()) {
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      data = ramp(dtype, static_cast<size_t>(n));
    }
    entries_.push_back({name, dtype, std::move(shape), std::move(data)});
    return *this;
  }
  SafeTensorsWriter &metadata(const std::string &key, const std::string &value) {
    metadata_[key] = value;
    return *this;
  }

  json header() const {
    json h = json::object();
    uint64_t offset = 0;
    for (const Entry &e : entries_) {
      h[e.name] = {{"dtype", e.dtype},
                   {"shape", e.shape},
                   {"data_offsets", {offset, offset + e.data.size()}}};
      offset += e.data.size();
    }
    if (!metadata_.empty())
      h["__metadata__"] = metadata_;
    return h;
  }
  std::vector<uint8_t> data() const {
    std::vector<uint8_t> out;
    for (const Entry &e : entries_)
      out.insert(out.end(), e.data.begin(), e.data.end());
    return out;
  }
  std::vector<uint8_t> bytes() const { return assemble(header().dump(), data()); }
  void write(const std::string &path) const { writeBytes(path, bytes()); }

  // A file from an arbitrary header text (padded to 8 bytes like the spec's
  // writers do) and data.
  static std::vector<uint8_t> assemble(std::string headerText,
                                       const std::vector<uint8_t> &data) {
    while (headerText.size() % 8)
      headerText += ' ';
    std::vector<uint8_t> out(8);
    uint64_t n = headerText.size();
    for (int b = 0; b < 8; ++b)
      out[b] = uint8_t(n >> (8 * b));
    out.insert(out.end(), headerText.begin(), headerText.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
  }

private:
  static std::vector<uint8_t> ramp(const std::string &dtype, size_t n) {
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i)
      values[i] = 0.25f * float(int(i % 17) - 8); // exact in f16 and bf16
    if (dtype == "F32")
      return f32Bytes(values);
    std::vector<uint16_t> half(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &values[i], 4);
      if (dtype == "BF16") {
        half[i] = uint16_t(bits >> 16);
      } else { // F16: these values are k/4 with |k| <= 8: build directly
        float v = values[i];
        if (v == 0.0f) {
          half[i] = 0;
          continue;
        }
        uint16_t sign = v < 0 ? 0x8000 : 0;
        float a = v < 0 ? -v : v;
        int exp = 0;
        while (a >= 2.0f) { a /= 2; ++exp; }
        while (a < 1.0f) { a *= 2; --exp; }
        half[i] = uint16_t(sign | uint16_t((exp + 15) << 10) |
                           uint16_t((a - 1.0f) * 1024.0f));
      }
    }
    std::vector<uint8_t> out = u16Bytes(half);
    out.resize(n * elemSize(dtype));
    return out;
  }

  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Sizes of a tiny model; defaults give a valid Mamba-1 model.
struct TinyModel {
  int64_t d = 8, layers = 2, vocab = 30, paddedVocab = 32;
  int64_t N = 4, W = 4, expand = 2, R = 0; // R 0: "auto" = ceil(d/16)
  int64_t H = 4, P = 4, G = 2;             // Mamba-2: e = H * P = 16
  bool tied = true, writeLmHead = false, useBias = false;
  std::string dtype = "F32";
  int64_t e() const { return expand * d; }
  int64_t rank() const { return R ? R : (d + 15) / 16; }
};

// Adds the Mamba-1 tensors of `m` to `w`; `prefix` is "backbone.embeddings"
// (HF) or "backbone.embedding" (reference).
inline void addMamba1Tensors(SafeTensorsWriter &w, const TinyModel &m,
                             const std::string &embedding) {
  const int64_t d = m.d, e = m.e(), N = m.N, R = m.rank(), W = m.W;
  const std::string &t = m.dtype;
  w.add(embedding, t, {m.paddedVocab, d});
  for (int64_t i = 0; i < m.layers; ++i) {
    std::string b = "backbone.layers." + std::to_string(i) + ".";
    std::string x = b + "mixer.";
    w.add(b + "norm.weight", t, {d});
    w.add(x + "in_proj.weight", t, {2 * e, d});
    w.add(x + "conv1d.weight", t, {e, 1, W});
    w.add(x + "conv1d.bias", t, {e});
    w.add(x + "x_proj.weight", t, {R + 2 * N, e});
    w.add(x + "dt_proj.weight", t, {e, R});
    w.add(x + "dt_proj.bias", t, {e});
    w.add(x + "A_log", t, {e, N});
    w.add(x + "D", t, {e});
    w.add(x + "out_proj.weight", t, {d, e});
    if (m.useBias) {
      w.add(x + "in_proj.bias", t, {2 * e});
      w.add(x + "out_proj.bias", t, {d});
    }
  }
  w.add("backbone.norm_f.weight", t, {d});
  if (m.writeLmHead)
    w.add("lm_head.weight", t, {m.paddedVocab, d});
}

inline void addMamba2Tensors(SafeTensorsWriter &w, const TinyModel &m,
                             const std::string &embedding) {
  const int64_t d = m.d, e = m.H * m.P, N = m.N, G = m.G, H = m.H, W = m.W;
  const std::string &t = m.dtype;
  w.add(embedding, t, {m.paddedVocab, d});
  for (int64_t i = 0; i < m.layers; ++i) {
    std::string b = "backbone.layers." + std::to_string(i) + ".";
    std::string x = b + "mixer.";
    w.add(b + "norm.weight", t, {d});
    w.add(x + "in_proj.weight", t, {2 * e + 2 * G * N + H, d});
    w.add(x + "conv1d.weight", t, {e + 2 * G * N, 1, W});
    w.add(x + "conv1d.bias", t, {e + 2 * G * N});
    w.add(x + "dt_bias", t, {H});
    w.add(x + "A_log", t, {H});
    w.add(x + "D", t, {H});
    w.add(x + "norm.weight", t, {e});
    w.add(x + "out_proj.weight", t, {d, e});
  }
  w.add("backbone.norm_f.weight", t, {d});
  if (m.writeLmHead)
    w.add("lm_head.weight", t, {m.paddedVocab, d});
}

inline json hfMambaConfig(const TinyModel &m) {
  json c = {{"architectures", {"MambaForCausalLM"}},
            {"model_type", "mamba"},
            {"hidden_size", m.d},
            {"num_hidden_layers", m.layers},
            {"state_size", m.N},
            {"expand", m.expand},
            {"conv_kernel", m.W},
            {"intermediate_size", m.e()},
            {"vocab_size", m.vocab},
            {"layer_norm_epsilon", 1e-5},
            {"use_bias", m.useBias},
            {"use_conv_bias", true},
            {"residual_in_fp32", true},
            {"tie_word_embeddings", m.tied}};
  if (m.R)
    c["time_step_rank"] = m.R;
  else
    c["time_step_rank"] = "auto";
  return c;
}

inline json hfMamba2Config(const TinyModel &m) {
  return {{"architectures", {"Mamba2ForCausalLM"}},
          {"model_type", "mamba2"},
          {"hidden_size", m.d},
          {"num_hidden_layers", m.layers},
          {"state_size", m.N},
          {"num_heads", m.H},
          {"head_dim", m.P},
          {"n_groups", m.G},
          {"expand", m.expand},
          {"conv_kernel", m.W},
          {"chunk_size", 64},
          {"vocab_size", m.vocab},
          {"layer_norm_epsilon", 1e-5},
          {"time_step_limit", {0.0, 100.0}},
          {"use_bias", false},
          {"use_conv_bias", true},
          {"residual_in_fp32", true},
          {"tie_word_embeddings", m.tied}};
}

inline json referenceConfig(const TinyModel &m, const std::string &layer) {
  json ssm = {{"layer", layer}, {"d_state", m.N}, {"d_conv", m.W}, {"expand", m.expand}};
  if (layer == "Mamba2") {
    ssm["headdim"] = m.P;
    ssm["ngroups"] = m.G;
    ssm["chunk_size"] = 128;
  }
  return {{"d_model", m.d},
          {"n_layer", m.layers},
          {"vocab_size", m.vocab},
          {"ssm_cfg", ssm},
          {"rms_norm", true},
          {"residual_in_fp32", true},
          {"fused_add_norm", true},
          {"pad_vocab_size_multiple", 8},
          {"tie_embeddings", m.tied}};
}

// Writes config.json and model.safetensors for `m` into `dir`.
inline void writeHFMamba(const std::string &dir, const TinyModel &m) {
  SafeTensorsWriter w;
  addMamba1Tensors(w, m, "backbone.embeddings.weight");
  w.write((fs::path(dir) / "model.safetensors").string());
  writeText((fs::path(dir) / "config.json").string(), hfMambaConfig(m).dump(2));
}
inline void writeHFMamba2(const std::string &dir, const TinyModel &m) {
  SafeTensorsWriter w;
  addMamba2Tensors(w, m, "backbone.embeddings.weight");
  w.write((fs::path(dir) / "model.safetensors").string());
  writeText((fs::path(dir) / "config.json").string(), hfMamba2Config(m).dump(2));
}

// Runs `fn`, expecting an ImportError whose file ends with `fileSuffix` and
// whose message contains `messagePart`.
inline void expectImportError(const std::function<void()> &fn,
                              const std::string &fileSuffix,
                              const std::string &messagePart) {
  try {
    fn();
  } catch (const ImportError &e) {
    const std::string file = e.file();
    EXPECT_TRUE(file.size() >= fileSuffix.size() &&
                file.compare(file.size() - fileSuffix.size(), fileSuffix.size(),
                             fileSuffix) == 0)
        << "error names file '" << file << "', expected one ending in '"
        << fileSuffix << "'; message: " << e.what();
    EXPECT_NE(std::string(e.what()).find(messagePart), std::string::npos)
        << "message '" << e.what() << "' lacks '" << messagePart << "'";
    return;
  } catch (const std::exception &e) {
    ADD_FAILURE() << "expected ImportError, got another exception: " << e.what();
    return;
  }
  ADD_FAILURE() << "expected ImportError containing '" << messagePart << "'";
}

} // namespace ssmc::frontend::testing

#endif
