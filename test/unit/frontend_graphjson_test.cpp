// The JSON graph format: round trips, weights relative to the graph file,
// and clear errors for malformed graph files.

#include "frontend/ConfigImport.h"
#include "frontend/GraphJson.h"
#include "frontend_TestUtil.h"

#include <cmath>

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

namespace {

void expectSameGraph(const ModelGraph &a, const ModelGraph &b) {
  EXPECT_EQ(a.d_model, b.d_model);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.padded_vocab_size, b.padded_vocab_size);
  EXPECT_EQ(a.norm_eps, b.norm_eps); // bit-exact, not approximately
  EXPECT_EQ(a.residual_in_fp32, b.residual_in_fp32);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_EQ(a.final_norm, b.final_norm);
  EXPECT_EQ(a.lm_head, b.lm_head);
  EXPECT_EQ(a.weight_files, b.weight_files);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const LayerSpec &x = a.layers[i], &y = b.layers[i];
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.d_inner, y.d_inner);
    EXPECT_EQ(x.d_state, y.d_state);
    EXPECT_EQ(x.d_conv, y.d_conv);
    EXPECT_EQ(x.dt_rank, y.dt_rank);
    EXPECT_EQ(x.n_heads, y.n_heads);
    EXPECT_EQ(x.head_dim, y.head_dim);
    EXPECT_EQ(x.n_groups, y.n_groups);
    EXPECT_EQ(x.chunk_size, y.chunk_size);
    EXPECT_EQ(x.dt_min, y.dt_min);
    EXPECT_EQ(x.dt_max, y.dt_max);
    EXPECT_EQ(x.norm_eps, y.norm_eps);
    EXPECT_EQ(x.norm_before_gate, y.norm_before_gate);
    EXPECT_EQ(x.weights, y.weights);
  }
}

ModelGraph importedMamba2(const TempDir &dir, WeightStore &store) {
  TinyModel m;
  m.dtype = "BF16";
  writeHFMamba2(dir.path(), m);
  return importCheckpoint(dir.path(), store);
}

} // namespace

TEST(FrontendGraphJson, RoundTripsImportedGraphs) {
  for (int kind = 0; kind < 2; ++kind) {
    TempDir dir;
    WeightStore store;
    ModelGraph g;
    if (kind == 0) {
      writeHFMamba(dir.path(), TinyModel{});
      g = importCheckpoint(dir.path(), store);
    } else {
      g = importedMamba2(dir, store);
      g.layers[1].dt_max = INFINITY;
      g.layers[1].norm_eps = 1e-6f;
    }
    const std::string text = writeGraphJson(g);
    ModelGraph back = parseGraphJson(text, "g.json");
    expectSameGraph(g, back);
    EXPECT_EQ(back.source, "g.json");
    EXPECT_EQ(writeGraphJson(back), text); // stable output
  }
}

TEST(FrontendGraphJson, WritesReadableFloats) {
  TempDir dir;
  WeightStore store;
  writeHFMamba(dir.path(), TinyModel{});
  const std::string text = writeGraphJson(importCheckpoint(dir.path(), store));
  EXPECT_NE(text.find("\"norm_eps\": 1e-05"), std::string::npos) << text;
  EXPECT_NE(text.find("\"format\": \"ssmc-graph\""), std::string::npos);
}

TEST(FrontendGraphJson, ReadsWeightsRelativeToTheGraphFile) {
  TempDir dir;
  WeightStore imported;
  ModelGraph g = importedMamba2(dir, imported);
  writeText(dir.file("graph.json"), writeGraphJson(g));
  WeightStore store;
  ModelGraph back = readGraphJson(dir.file("graph.json"), store);
  EXPECT_EQ(back.source, dir.file("graph.json"));
  EXPECT_EQ(back.dtype, DType::BF16);
  EXPECT_EQ(store.files(), std::vector<std::string>{dir.file("model.safetensors")});
  EXPECT_EQ(store.checksum(g.embedding), imported.checksum(g.embedding));
}

TEST(FrontendGraphJson, DeclaredDtypeMustMatchWeights) {
  TempDir dir;
  WeightStore imported;
  ModelGraph g = importedMamba2(dir, imported);
  g.dtype = DType::F32;
  writeText(dir.file("graph.json"), writeGraphJson(g));
  WeightStore store;
  expectImportError([&] { readGraphJson(dir.file("graph.json"), store); },
                    "graph.json", "declares dtype f32 but the weights are bf16");
}

TEST(FrontendGraphJson, TensorMissingFromWeightsNamesTheGraph) {
  TempDir dir;
  WeightStore imported;
  ModelGraph g = importedMamba2(dir, imported);
  g.layers[0].weights["D"] = "no.such.tensor";
  writeText(dir.file("graph.json"), writeGraphJson(g));
  WeightStore store;
  expectImportError([&] { readGraphJson(dir.file("graph.json"), store); },
                    "graph.json", "missing tensor 'no.such.tensor' (layer 0 D)");
}

TEST(FrontendGraphJson, MalformedGraphFiles) {
  TempDir dir;
  WeightStore store;
  writeHFMamba(dir.path(), TinyModel{});
  const json good = json::parse(writeGraphJson(importCheckpoint(dir.path(), store)));

  struct Edit {
    std::function<void(json &)> apply;
    std::string message;
  };
  std::vector<Edit> edits = {
      {[](json &g) { g.erase("d_model"); }, "missing required key \"d_model\""},
      {[](json &g) { g["d_model"] = "8"; }, "key \"d_model\": expected an integer, got string"},
      {[](json &g) { g["format"] = "onnx"; }, "key \"format\": expected \"ssmc-graph\""},
      {[](json &g) { g["version"] = 2; }, "understands version 1"},
      {[](json &g) { g["dtype"] = "f64"; }, "expected \"f32\", \"f16\" or \"bf16\""},
      {[](json &g) { g["weights"] = json::array(); }, "\"weights\": expected a non-empty array"},
      {[](json &g) { g["layers"] = 3; }, "\"layers\": expected an array"},
      {[](json &g) { g["layers"] = json::array(); }, "the model has no layers"},
      {[](json &g) { g["extra"] = 1; }, "unknown key \"extra\""},
      {[](json &g) { g["layers"][0]["mixer"] = "mamba3"; }, "\"layers[0].mixer\": expected"},
      {[](json &g) { g["layers"][1]["tensors"].erase("x_proj"); },
       "layer 1: no tensor for required role 'x_proj'"},
      {[](json &g) { g["layers"][0]["tensors"]["bogus"] = "t"; },
       "layer 0: unknown role 'bogus'"},
      {[](json &g) { g["layers"][0]["n_heads"] = 4; }, "unknown key \"n_heads\" in layers[0]"},
      {[](json &g) { g["layers"][0]["d_state"] = -1; }, "layer 0: d_state = -1 is out of range"},
      {[](json &g) { g["padded_vocab_size"] = 10; }, "padded_vocab_size = 10 is out of range"},
      {[](json &g) { g["norm_eps"] = 0; }, "norm eps must be a positive"},
  };
  for (const Edit &e : edits) {
    json g = good;
    e.apply(g);
    expectImportError([&] { parseGraphJson(g.dump(), "bad.json"); }, "bad.json",
                      e.message);
  }
  expectImportError([] { parseGraphJson("{", "bad.json"); }, "bad.json",
                    "not valid JSON");
  expectImportError([&] { readGraphJson(dir.file("absent.json")); }, "absent.json",
                    "file not found");
}

TEST(FrontendGraphJson, Mamba2HeadChecks) {
  TempDir dir;
  WeightStore store;
  const json good =
      json::parse(writeGraphJson(importedMamba2(dir, store)));
  json g = good;
  g["layers"][0]["n_heads"] = 3;
  expectImportError([&] { parseGraphJson(g.dump(), "m2.json"); }, "m2.json",
                    "layer 0: n_heads * head_dim = 12 but d_inner = 16");
  g = good;
  g["layers"][0]["n_groups"] = 3;
  expectImportError([&] { parseGraphJson(g.dump(), "m2.json"); }, "m2.json",
                    "n_heads = 4 is not a multiple of n_groups = 3");
  g = good;
  g["layers"][0]["dt_limit"] = {1.0, 0.5};
  expectImportError([&] { parseGraphJson(g.dump(), "m2.json"); }, "m2.json",
                    "dt limit must satisfy 0 <= min <= max");
  g = good;
  g["layers"][0]["dt_limit"] = {0.0, nullptr};
  EXPECT_TRUE(std::isinf(parseGraphJson(g.dump(), "m2.json").layers[0].dt_max));
}

#ifdef SSMC_SOURCE_DIR
// The example in docs/graph-format.md must stay a valid graph file.
TEST(FrontendGraphJson, DocumentedExampleParses) {
  const std::string doc = std::string(SSMC_SOURCE_DIR) + "/docs/graph-format.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string open = "```json\n";
  size_t begin = text.find(open);
  ASSERT_NE(begin, std::string::npos);
  begin += open.size();
  size_t end = text.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  ModelGraph g = parseGraphJson(text.substr(begin, end - begin), doc);
  EXPECT_EQ(g.d_model, 768);
  EXPECT_EQ(g.padded_vocab_size, 50280);
  ASSERT_EQ(g.layers.size(), 2u);
  EXPECT_EQ(g.layers[1].dt_rank, 48);
  EXPECT_EQ(g.norm_eps, 1e-5f);
}
#endif
