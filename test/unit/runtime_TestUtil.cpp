// runtime-tests helpers (see runtime_TestUtil.h).
#include "runtime_TestUtil.h"

#include "ssmc/artifact.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace rt_test {

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir() + "ssmc-rt-XXXXXX";
  char *p = ::mkdtemp(tmpl.data());
  if (!p)
    std::abort();
  path = p;
}

TempDir::~TempDir() {
  std::string cmd = "rm -rf '" + path + "'";
  (void)std::system(cmd.c_str());
}

float toyW(int64_t n, int64_t k) {
  // Padded rows (n >= vocab) are huge: greedy decoding must never pick them.
  return n >= kVocab ? 100.0f : static_cast<float>((n + 1) * (k % 2 ? -1 : 1) + k);
}
float toyBias(int64_t n) { return 0.5f * static_cast<float>(n); }

std::vector<uint8_t> toyWeights() {
  std::vector<float> w;
  for (int64_t n = 0; n < kPadded; ++n)
    for (int64_t k = 0; k < kD; ++k)
      w.push_back(toyW(n, k));
  std::vector<uint8_t> bytes(128 + 64, 0); // W at 0, bias at 128
  std::memcpy(bytes.data(), w.data(), w.size() * 4);
  for (int64_t n = 0; n < kPadded; ++n) {
    float b = toyBias(n);
    std::memcpy(bytes.data() + 128 + n * 4, &b, 4);
  }
  return bytes;
}

static json gemmStep(int x, const std::string &rows, int logits) {
  return {{"op", "gemm"}, {"m", rows}, {"n", kPadded}, {"k", kD},
          {"a", {{"buffer", x}, {"shape", {rows, kD}}}},
          {"b", {{"weight", "head.weight"}}},
          {"c", {{"buffer", logits}, {"shape", {rows, kPadded}}, {"strides", {kPadded, 1}}}},
          {"bias", {{"weight", "head.bias"}}}};
}

json toyManifest(bool withKernels) {
  json m;
  m["format"] = "ssmc-artifact";
  m["version"] = 1;
  m["producer"] = "runtime-tests";
  m["model"] = {{"arch", "toy"}, {"d_model", kD}, {"n_layer", 1},
                {"vocab_size", kVocab}, {"padded_vocab_size", kPadded}};
  m["targets"] = {"cpu"};
  m["weights"] = {
      {{"name", "head.weight"}, {"dtype", "f32"}, {"shape", {kPadded, kD}},
       {"section", "weights"}, {"offset", 0}, {"nbytes", kPadded * kD * 4}},
      {{"name", "head.bias"}, {"dtype", "f32"}, {"shape", {kPadded}},
       {"section", "weights"}, {"offset", 128}, {"nbytes", kPadded * 4}}};
  m["state"] = {{{"name", "h"}, {"dtype", "f32"}, {"shape", {"B", kD}}}};
  json pre, dec;
  pre["symbols"] = {"B", "L"};
  pre["buffers"] = {
      {{"id", 0}, {"kind", "input"}, {"name", "tokens"}, {"dtype", "i32"}, {"shape", {"B", "L"}}},
      {{"id", 1}, {"kind", "temp"}, {"dtype", "f32"}, {"shape", {"B", "L", kD}}},
      {{"id", 2}, {"kind", "state"}, {"name", "h"}},
      {{"id", 9}, {"kind", "output"}, {"name", "logits"}, {"dtype", "f32"},
       {"shape", {"B", "L", kPadded}}}};
  dec["symbols"] = {"B"};
  dec["buffers"] = {
      {{"id", 0}, {"kind", "input"}, {"name", "tokens"}, {"dtype", "i32"}, {"shape", {"B"}}},
      {{"id", 1}, {"kind", "temp"}, {"dtype", "f32"}, {"shape", {"B", kD}}},
      {{"id", 2}, {"kind", "state"}, {"name", "h"}},
      {{"id", 9}, {"kind", "output"}, {"name", "logits"}, {"dtype", "f32"},
       {"shape", {"B", kPadded}}}};
  json preSteps = json::array(), decSteps = json::array();
  if (withKernels) {
    m["kernels"] = {{"cpu", {{"section", "host.so"},
                             {"symbols", {"toy_embed", "toy_add1", "toy_accum", "toy_addto"}}}}};
    // prefill: x = embed(tokens); x[:, 1:] += 1; h = sum_l x; logits = x W^T + b
    preSteps.push_back({{"op", "kernel"}, {"symbol", "toy_embed"},
                        {"args", {{{"buffer", 0}}, {{"buffer", 1}, {"shape", {"B*L", kD}}}}}});
    preSteps.push_back({{"op", "kernel"}, {"symbol", "toy_add1"},
                        {"args", {{{"buffer", 1}, {"offset", 1}, {"shape", {"B*L", kD - 1}},
                                   {"strides", {kD, 1}}}}}});
    preSteps.push_back({{"op", "kernel"}, {"symbol", "toy_accum"},
                        {"args", {{{"buffer", 1}}, {{"buffer", 2}}}}});
    // decode: x = embed(t); x += 1; h += x; x += h; logits = x W^T + b
    decSteps.push_back({{"op", "kernel"}, {"symbol", "toy_embed"},
                        {"args", {{{"buffer", 0}, {"shape", {"B", 1}}, {"strides", {1, 1}}},
                                  {{"buffer", 1}}}}});
    decSteps.push_back({{"op", "kernel"}, {"symbol", "toy_add1"}, {"args", {{{"buffer", 1}}}}});
    decSteps.push_back({{"op", "kernel"}, {"symbol", "toy_accum"},
                        {"args", {{{"buffer", 1}, {"shape", {"B", 1, kD}}}, {{"buffer", 2}}}}});
    decSteps.push_back({{"op", "kernel"}, {"symbol", "toy_addto"},
                        {"args", {{{"buffer", 1}}, {{"buffer", 2}}}}});
  }
  preSteps.push_back(gemmStep(1, "B*L", 9));
  decSteps.push_back(gemmStep(1, "B", 9));
  pre["steps"] = preSteps;
  dec["steps"] = decSteps;
  m["entry_points"] = {{"prefill", pre}, {"decode", dec}};
  return m;
}

std::vector<uint8_t> buildImage(const json &manifest, const Sections &sections) {
  ssmc::ArtifactWriter w;
  w.setManifest(manifest.dump());
  for (const auto &[name, bytes] : sections)
    w.addSection(name, bytes);
  std::vector<uint8_t> image;
  std::string error;
  EXPECT_TRUE(w.serialize(image, error)) << error;
  return image;
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char *>(bytes.data()),
          static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> toyImage() {
  return buildImage(toyManifest(false), {{"weights", toyWeights()}});
}

static uint32_t count(const std::vector<uint8_t> &img) {
  uint32_t n;
  std::memcpy(&n, &img[12], 4);
  return n;
}

void fixTableChecksum(std::vector<uint8_t> &image) {
  uint64_t h = ssmc::fnv1a64(&image[24], count(image) * 64ull);
  std::memcpy(&image[16], &h, 8);
}

uint64_t tableField(const std::vector<uint8_t> &image, int section, int offset) {
  uint64_t v;
  std::memcpy(&v, &image[24 + section * 64 + offset], 8);
  return v;
}

void setTableField(std::vector<uint8_t> &image, int section, int offset,
                   uint64_t value) {
  std::memcpy(&image[24 + section * 64 + offset], &value, 8);
  fixTableChecksum(image);
}

void fixPayloadChecksum(std::vector<uint8_t> &image, int section) {
  uint64_t off = tableField(image, section, 32), size = tableField(image, section, 40);
  setTableField(image, section, 48, ssmc::fnv1a64(&image[off], size));
}

ssmc_status tryLoad(const std::string &path, std::string &message, bool verify) {
  ssmc_load_options o;
  ssmc_load_options_init(&o);
  o.verify_checksums = verify;
  ssmc_model *m = nullptr;
  ssmc_status s = ssmc_model_load(path.c_str(), &o, &m);
  message = s == SSMC_OK ? "" : ssmc_last_error();
  ssmc_model_free(m);
  return s;
}

} // namespace rt_test
