// importCheckpoint on well-formed checkpoints in the three config dialects.

#include "frontend/ConfigImport.h"
#include "frontend/GraphValidate.h"
#include "frontend_TestUtil.h"

#include <cmath>

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

TEST(FrontendConfig, HFMamba) {
  TempDir dir;
  TinyModel m; // d 8, 2 layers, e 16, N 4, R auto = 1
  writeHFMamba(dir.path(), m);
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);

  EXPECT_EQ(g.source, dir.file("config.json"));
  EXPECT_EQ(g.d_model, 8);
  EXPECT_EQ(g.vocab_size, 30);
  EXPECT_EQ(g.padded_vocab_size, 32);
  EXPECT_FLOAT_EQ(g.norm_eps, 1e-5f);
  EXPECT_TRUE(g.residual_in_fp32);
  EXPECT_EQ(g.dtype, DType::F32);
  EXPECT_EQ(g.embedding, "backbone.embeddings.weight");
  EXPECT_EQ(g.final_norm, "backbone.norm_f.weight");
  EXPECT_EQ(g.lm_head, g.embedding); // tied
  EXPECT_EQ(g.weight_files, std::vector<std::string>{"model.safetensors"});
  ASSERT_EQ(g.layers.size(), 2u);
  const LayerSpec &l = g.layers[1];
  EXPECT_EQ(l.kind, MixerKind::Mamba1);
  EXPECT_EQ(l.d_inner, 16);
  EXPECT_EQ(l.d_state, 4);
  EXPECT_EQ(l.d_conv, 4);
  EXPECT_EQ(l.dt_rank, 1);
  EXPECT_EQ(l.n_groups, 1);
  for (const std::string &role : requiredRoles(MixerKind::Mamba1))
    EXPECT_TRUE(l.weights.count(role)) << role;
  EXPECT_EQ(l.weights.at("in_proj"), "backbone.layers.1.mixer.in_proj.weight");
  EXPECT_EQ(l.weights.at("conv_weight"), "backbone.layers.1.mixer.conv1d.weight");
  EXPECT_EQ(l.weights.at("conv_bias"), "backbone.layers.1.mixer.conv1d.bias");
  EXPECT_EQ(l.weights.at("dt_proj_bias"), "backbone.layers.1.mixer.dt_proj.bias");
  EXPECT_EQ(l.weights.at("norm"), "backbone.layers.1.norm.weight");
  EXPECT_EQ(l.weights.count("in_proj_bias"), 0u);
  EXPECT_TRUE(store.contains(l.weights.at("A_log")));
}

TEST(FrontendConfig, HFMambaExplicitRankBiasAndBF16) {
  TempDir dir;
  TinyModel m;
  m.d = 32;
  m.R = 3;
  m.useBias = true;
  m.dtype = "BF16";
  writeHFMamba(dir.path(), m);
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.dtype, DType::BF16);
  EXPECT_EQ(g.layers[0].dt_rank, 3);
  EXPECT_EQ(g.layers[0].d_inner, 64);
  EXPECT_EQ(g.layers[0].weights.at("in_proj_bias"),
            "backbone.layers.0.mixer.in_proj.bias");
  EXPECT_EQ(g.layers[0].weights.at("out_proj_bias"),
            "backbone.layers.0.mixer.out_proj.bias");
}

TEST(FrontendConfig, HFMambaUntiedLmHead) {
  TempDir dir;
  TinyModel m;
  m.tied = false;
  m.writeLmHead = true;
  writeHFMamba(dir.path(), m);
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.lm_head, "lm_head.weight");
  EXPECT_NE(g.lm_head, g.embedding);
}

TEST(FrontendConfig, TiedConfigIgnoresStoredLmHead) {
  TempDir dir;
  TinyModel m;
  m.tied = true;
  m.writeLmHead = true;
  writeHFMamba(dir.path(), m);
  WeightStore store;
  EXPECT_EQ(importCheckpoint(dir.path(), store).lm_head,
            "backbone.embeddings.weight");
}

TEST(FrontendConfig, MissingTieKeyFollowsTheTensors) {
  TempDir dir;
  TinyModel m;
  m.writeLmHead = true;
  writeHFMamba(dir.path(), m);
  json c = hfMambaConfig(m);
  c.erase("tie_word_embeddings");
  writeText(dir.file("config.json"), c.dump());
  WeightStore store;
  EXPECT_EQ(importCheckpoint(dir.path(), store).lm_head, "lm_head.weight");
}

TEST(FrontendConfig, HFMambaDefaultsForOptionalKeys) {
  TempDir dir;
  TinyModel m; // defaults N 16, W 4, expand 2
  m.N = 16;
  writeHFMamba(dir.path(), m);
  json c = {{"architectures", {"MambaForCausalLM"}},
            {"hidden_size", 8},
            {"num_hidden_layers", 2},
            {"vocab_size", 30}};
  writeText(dir.file("config.json"), c.dump());
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.layers[0].d_state, 16);
  EXPECT_EQ(g.layers[0].d_inner, 16);
  EXPECT_EQ(g.layers[0].dt_rank, 1);
  EXPECT_FLOAT_EQ(g.norm_eps, 1e-5f);
  EXPECT_EQ(g.lm_head, g.embedding);
}

TEST(FrontendConfig, HFMamba2) {
  TempDir dir;
  TinyModel m; // H 4, P 4 (e 16), G 2, N 4
  writeHFMamba2(dir.path(), m);
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.d_model, 8);
  ASSERT_EQ(g.layers.size(), 2u);
  const LayerSpec &l = g.layers[0];
  EXPECT_EQ(l.kind, MixerKind::Mamba2);
  EXPECT_EQ(l.d_inner, 16);
  EXPECT_EQ(l.d_state, 4);
  EXPECT_EQ(l.n_heads, 4);
  EXPECT_EQ(l.head_dim, 4);
  EXPECT_EQ(l.n_groups, 2);
  EXPECT_EQ(l.chunk_size, 64);
  EXPECT_FLOAT_EQ(l.dt_min, 0.0f);
  EXPECT_FLOAT_EQ(l.dt_max, 100.0f);
  EXPECT_FALSE(l.norm_before_gate);
  EXPECT_EQ(mamba2InProjRows(l), 2 * 16 + 2 * 2 * 4 + 4);
  for (const std::string &role : requiredRoles(MixerKind::Mamba2))
    EXPECT_TRUE(l.weights.count(role)) << role;
  EXPECT_EQ(l.weights.at("gated_norm"), "backbone.layers.0.mixer.norm.weight");
  EXPECT_EQ(l.weights.at("dt_bias"), "backbone.layers.0.mixer.dt_bias");
  EXPECT_EQ(l.weights.count("x_proj"), 0u);
}

TEST(FrontendConfig, HFMamba2PythonInfinityLimitAndDerivedHeads) {
  TempDir dir;
  TinyModel m;
  writeHFMamba2(dir.path(), m);
  json c = hfMamba2Config(m);
  c.erase("num_heads"); // derived as e / head_dim
  std::string text = c.dump();
  const std::string from = "[0.0,100.0]";
  text.replace(text.find(from), from.size(), "[0.0, Infinity]");
  writeText(dir.file("config.json"), text);
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.layers[0].n_heads, 4);
  EXPECT_TRUE(std::isinf(g.layers[0].dt_max));
}

TEST(FrontendConfig, ReferenceMamba1) {
  TempDir dir;
  TinyModel m;
  SafeTensorsWriter w;
  m.writeLmHead = true; // tied: the stored copy is not used
  addMamba1Tensors(w, m, "backbone.embedding.weight");
  w.write(dir.file("model.safetensors"));
  writeText(dir.file("config.json"), referenceConfig(m, "Mamba1").dump());
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.embedding, "backbone.embedding.weight");
  EXPECT_EQ(g.lm_head, "backbone.embedding.weight");
  EXPECT_EQ(g.vocab_size, 30);
  EXPECT_EQ(g.padded_vocab_size, 32);
  EXPECT_EQ(g.layers[0].kind, MixerKind::Mamba1);
  EXPECT_EQ(g.layers[0].d_inner, 16);
  EXPECT_EQ(g.layers[0].dt_rank, 1);
}

TEST(FrontendConfig, ReferenceMamba2Untied) {
  TempDir dir;
  TinyModel m;
  m.tied = false;
  m.writeLmHead = true;
  m.dtype = "F16";
  SafeTensorsWriter w;
  addMamba2Tensors(w, m, "backbone.embedding.weight");
  w.write(dir.file("model.safetensors"));
  writeText(dir.file("config.json"), referenceConfig(m, "Mamba2").dump());
  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.lm_head, "lm_head.weight");
  EXPECT_EQ(g.dtype, DType::F16);
  const LayerSpec &l = g.layers[1];
  EXPECT_EQ(l.kind, MixerKind::Mamba2);
  EXPECT_EQ(l.n_heads, 4);
  EXPECT_EQ(l.head_dim, 4);
  EXPECT_EQ(l.n_groups, 2);
  EXPECT_EQ(l.chunk_size, 128);
  EXPECT_TRUE(std::isinf(l.dt_max));
}

TEST(FrontendConfig, ShardedCheckpoint) {
  TempDir dir;
  TinyModel m;
  SafeTensorsWriter all;
  addMamba1Tensors(all, m, "backbone.embeddings.weight");
  // Split the tensors over two shards, alternating.
  json header = all.header();
  SafeTensorsWriter shard[2];
  json map = json::object();
  int k = 0;
  std::vector<uint8_t> data = all.data();
  for (const auto &item : header.items()) {
    uint64_t b = item.value()["data_offsets"][0], e = item.value()["data_offsets"][1];
    std::vector<int64_t> shape = item.value()["shape"];
    shard[k % 2].add(item.key(), "F32", shape,
                     std::vector<uint8_t>(data.begin() + b, data.begin() + e));
    map[item.key()] = k % 2 ? "model-00002-of-00002.safetensors"
                            : "model-00001-of-00002.safetensors";
    ++k;
  }
  shard[0].write(dir.file("model-00001-of-00002.safetensors"));
  shard[1].write(dir.file("model-00002-of-00002.safetensors"));
  writeText(dir.file("model.safetensors.index.json"),
            json({{"weight_map", map}}).dump());
  writeText(dir.file("config.json"), hfMambaConfig(m).dump());

  WeightStore store;
  ModelGraph g = importCheckpoint(dir.path(), store);
  EXPECT_EQ(g.layers.size(), 2u);
  EXPECT_EQ(g.weight_files.size(), 2u);
  EXPECT_EQ(store.files().size(), 2u);
}

TEST(FrontendConfig, DetectsDialects) {
  EXPECT_EQ(detectConfigDialect({{"architectures", {"MambaForCausalLM"}}}, "c"),
            ConfigDialect::HFMamba);
  EXPECT_EQ(detectConfigDialect({{"model_type", "mamba2"}}, "c"),
            ConfigDialect::HFMamba2);
  EXPECT_EQ(detectConfigDialect({{"d_model", 8}}, "c"), ConfigDialect::Reference);
  expectImportError([] { detectConfigDialect({{"foo", 1}}, "cfg"); }, "cfg",
                    "cannot tell the config format");
  expectImportError(
      [] { detectConfigDialect({{"architectures", {"LlamaForCausalLM"}}}, "cfg"); },
      "cfg", "is not supported");
}
