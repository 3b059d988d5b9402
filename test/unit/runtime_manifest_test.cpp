// Malformed manifests: each gives one clear error naming the file and the
// JSON path, through the same C API a user calls.
#include "runtime_TestUtil.h"

#include "ssmc/artifact.h"

#include <gtest/gtest.h>

#include <functional>

using namespace rt_test;

namespace {

struct Case {
  const char *name;
  std::function<void(json &)> mutate;
  ssmc_status status;
  const char *message;
};

json &prefill(json &m) { return m["entry_points"]["prefill"]; }
json &decode(json &m) { return m["entry_points"]["decode"]; }
json &gemm(json &m) { return prefill(m)["steps"][0]; }

// A well-formed cuda launch description with `block` threads.
json cudaLaunch(int block) {
  json dim = {{"product", json::array()}, {"div", 1}};
  return {{"block", {block, 1, 1}}, {"grid", {dim, dim, dim}}};
}

const Case kCases[] = {
    {"valid", [](json &) {}, SSMC_OK, ""},
    {"wrong format", [](json &m) { m["format"] = "onnx"; }, SSMC_ERROR_BAD_ARTIFACT,
     "manifest: format: expected \"ssmc-artifact\""},
    {"wrong manifest version", [](json &m) { m["version"] = 2; }, SSMC_ERROR_BAD_ARTIFACT,
     "manifest: version: manifest version 2 is not the supported version 1"},
    {"no model", [](json &m) { m.erase("model"); }, SSMC_ERROR_BAD_ARTIFACT,
     "manifest: (root): missing required key \"model\""},
    {"padded vocab too small", [](json &m) { m["model"]["padded_vocab_size"] = 3; },
     SSMC_ERROR_BAD_ARTIFACT, "model.padded_vocab_size: 3 is smaller than vocab_size 5"},
    {"not for cpu", [](json &m) { m["targets"] = {"cuda"}; }, SSMC_ERROR_UNSUPPORTED,
     "artifact was compiled for [cuda], not for the cpu target"},
    {"unknown buffer", [](json &m) { gemm(m)["a"]["buffer"] = 7; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].a.buffer: unknown buffer id 7"},
    {"unknown weight", [](json &m) { gemm(m)["b"]["weight"] = "nope"; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].b.weight: unknown weight \"nope\""},
    {"unknown state", [](json &m) { prefill(m)["buffers"][2]["name"] = "g"; },
     SSMC_ERROR_BAD_ARTIFACT, "entry_points.prefill.buffers[2].name: unknown state \"g\""},
    {"unlisted kernel symbol",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}}};
       prefill(m)["steps"].push_back({{"op", "kernel"}, {"symbol", "k9"}, {"args", json::array()}});
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[1].symbol: unknown kernel symbol \"k9\" (not listed in "
     "kernels.cpu.symbols)"},
    {"kernel image is not ELF",
     [](json &m) { m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}}}; },
     SSMC_ERROR_BAD_ARTIFACT, "section 'weights': kernel image is not an ELF file"},
    {"kernel section missing",
     [](json &m) { m["kernels"] = {{"cpu", {{"section", "host.so"}, {"symbols", {"k0"}}}}}; },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cpu.section: no section \"host.so\" in the artifact"},
    {"view out of bounds",
     [](json &m) { gemm(m)["c"]["offset"] = 1; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].c: view reaches element 8 of a buffer with 8 elements "
     "(B=1, L=1)"},
    {"weight view out of bounds",
     [](json &m) { gemm(m)["bias"] = {{"weight", "head.bias"}, {"offset", 1}, {"shape", {8}}}; },
     SSMC_ERROR_BAD_ARTIFACT, "steps[0].bias: view reaches element 8 of a weight with 8 elements"},
    {"bad size expression", [](json &m) { gemm(m)["m"] = "B**L"; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].m: size expression \"B**L\": empty factor"},
    {"negative size", [](json &m) { gemm(m)["k"] = -4; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].k: must be non-negative"},
    {"float size", [](json &m) { gemm(m)["k"] = 4.0; }, SSMC_ERROR_BAD_ARTIFACT,
     "steps[0].k: expected a size expression"},
    {"L in decode", [](json &m) { decode(m)["steps"][0]["m"] = "B*L"; }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.decode.steps[0].m: size expression \"B*L\": symbol L is not declared"},
    {"L in state", [](json &m) { m["state"][0]["shape"] = {"B", "L"}; }, SSMC_ERROR_BAD_ARTIFACT,
     "state[0].shape[1]: size expression \"L\": symbol L is not declared"},
    {"strides rank mismatch", [](json &m) { gemm(m)["c"]["strides"] = {8}; },
     SSMC_ERROR_BAD_ARTIFACT, "steps[0].c.strides: rank 1 does not match the shape's rank 2"},
    {"gemm rank", [](json &m) { gemm(m)["a"]["shape"] = {"B*L*4"}; }, SSMC_ERROR_BAD_ARTIFACT,
     "steps[0].a: gemm operand must have rank 2, has rank 1"},
    {"gemm shape", [](json &m) { gemm(m)["k"] = 3; }, SSMC_ERROR_BAD_ARTIFACT,
     "steps[0].a: gemm operand a has shape [1, 4], expected [1, 3]"},
    {"gemm into a weight", [](json &m) { gemm(m)["c"] = {{"weight", "head.weight"}}; },
     SSMC_ERROR_BAD_ARTIFACT, "steps[0].c: gemm output must be a buffer"},
    {"duplicate buffer id", [](json &m) { prefill(m)["buffers"][1]["id"] = 0; },
     SSMC_ERROR_BAD_ARTIFACT, "prefill.buffers[1].id: duplicate buffer id 0"},
    {"no tokens", [](json &m) { prefill(m)["buffers"].erase(0); }, SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.buffers: no input buffer \"tokens\""},
    {"tokens shape", [](json &m) { prefill(m)["buffers"][0]["shape"] = {"L", "B"}; },
     SSMC_ERROR_BAD_ARTIFACT, "\"tokens\" must be i32 of shape [\"B\", \"L\"]"},
    {"unknown buffer kind", [](json &m) { prefill(m)["buffers"][1]["kind"] = "scratch"; },
     SSMC_ERROR_BAD_ARTIFACT, "buffers[1].kind: unknown buffer kind \"scratch\""},
    {"unknown step", [](json &m) { gemm(m)["op"] = "copy"; }, SSMC_ERROR_BAD_ARTIFACT,
     "steps[0].op: unknown step \"copy\""},
    {"view with both", [](json &m) { gemm(m)["a"]["weight"] = "head.bias"; },
     SSMC_ERROR_BAD_ARTIFACT, "a view needs exactly one of \"buffer\" and \"weight\""},
    {"weight outside section", [](json &m) { m["weights"][1]["offset"] = 192; },
     SSMC_ERROR_BAD_ARTIFACT, "weights[1] (\"head.bias\"): bytes [192, +32) lie outside section"},
    {"weight misaligned", [](json &m) { m["weights"][1]["offset"] = 132; },
     SSMC_ERROR_BAD_ARTIFACT, "weights[1] (\"head.bias\").offset: 132 is not a multiple of 64"},
    {"weight nbytes", [](json &m) { m["weights"][0]["nbytes"] = 4; }, SSMC_ERROR_BAD_ARTIFACT,
     "nbytes: 4 does not match shape and storage dtype (128 bytes)"},
    {"max batch", [](json &m) { m["model"]["max_batch"] = 0; }, SSMC_ERROR_BAD_ARTIFACT,
     "model.max_batch: must be at least 1 when present"},
    {"storage nbytes", [](json &m) { m["weights"][0]["storage"] = "bf16"; },
     SSMC_ERROR_BAD_ARTIFACT, "nbytes: 128 does not match shape and storage dtype (64 bytes)"},
    {"unknown storage", [](json &m) { m["weights"][0]["storage"] = "f8"; },
     SSMC_ERROR_BAD_ARTIFACT, "weights[0] (\"head.weight\").storage: unknown dtype \"f8\""},
    {"storage of an i32 weight",
     [](json &m) {
       m["weights"][0]["dtype"] = "i32";
       m["weights"][0]["storage"] = "f16";
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "storage: storage f16 of a i32 weight (only f16 or bf16 storage of an f32 weight)"},
    {"unknown dtype", [](json &m) { m["weights"][0]["dtype"] = "f64"; }, SSMC_ERROR_BAD_ARTIFACT,
     "weights[0] (\"head.weight\").dtype: unknown dtype \"f64\""},
    {"f16 weight on cpu",
     [](json &m) {
       m["weights"].push_back({{"name", "half"}, {"dtype", "f16"}, {"shape", {2}},
                               {"section", "weights"}, {"offset", 0}, {"nbytes", 4}});
     },
     SSMC_ERROR_UNSUPPORTED,
     "weight \"half\": dtype f16 is not supported by the cpu backend (f32 only)"},
    {"external weight missing",
     [](json &m) {
       m["weights"][1] = {{"name", "head.bias"}, {"dtype", "f32"}, {"shape", {8}},
                          {"file", "/nonexistent/w.bin"}, {"offset", 0}, {"nbytes", 32},
                          {"checksum", "0123456789abcdef"}};
     },
     SSMC_ERROR_IO, "weight \"head.bias\": external weight file /nonexistent/w.bin: cannot open"},
    {"external weight bad checksum text",
     [](json &m) {
       m["weights"][1] = {{"name", "head.bias"}, {"dtype", "f32"}, {"shape", {8}},
                          {"file", "/x"}, {"offset", 0}, {"nbytes", 32}, {"checksum", "XYZ"}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "checksum: expected 16 lowercase hex digits, got \"XYZ\""},
    {"no entry points", [](json &m) { m["entry_points"] = json::object(); },
     SSMC_ERROR_BAD_ARTIFACT, "entry_points: neither \"prefill\" nor \"decode\" is present"},
    {"cuda launches do not match the symbols",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}},
                       {"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", json::array()}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.launch: 0 entries for 1 symbols"},
    {"cuda symbols differ from cpu",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}},
                       {"cuda", {{"section", "weights"}, {"symbols", {"k1"}}, {"launch", {cudaLaunch(1)}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.symbols: differs from kernels.cpu.symbols"},
    {"cuda block too large",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", {cudaLaunch(2048)}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.launch[0].block[0]: block size must be in [1, 1024]"},
    {"cuda shared memory beyond any GPU",
     [](json &m) {
       json launch = cudaLaunch(128);
       launch["shared_bytes"] = 300 * 1024;
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", {launch}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.launch[0].shared_bytes: must be in [0, 232448]"},
    {"cuda shared memory not a number",
     [](json &m) {
       json launch = cudaLaunch(128);
       launch["shared_bytes"] = "lots";
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", {launch}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.launch[0].shared_bytes: expected an integer"},
    {"cuda grid reads a missing argument",
     [](json &m) {
       json launch = cudaLaunch(128);
       launch["grid"][0]["product"] = {{3, 0}};
       m["targets"] = {"cpu", "cuda"};
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}},
                       {"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", {launch}}}}};
       prefill(m)["steps"].push_back({{"op", "kernel"}, {"symbol", "k0"}, {"args", json::array()}});
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[1]: kernels.cuda launches \"k0\" with a grid sized by argument 3 "
     "dimension 0, which this step does not have"},
    {"cuda stage names a missing scratch buffer",
     [](json &m) {
       json stage = cudaLaunch(128);
       stage["function"] = "k0_states";
       stage["args"] = {0, {{"scratch", 1}}};
       json launch = {{"stages", {stage}}, {"scratch", json::array()}};
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}}, {"launch", {launch}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.launch[0].stages[0].args[1].scratch: no scratch buffer 1"},
    {"tf32 GEMMs on the cpu",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}, {"gemm_math", "tf32"}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "kernels.cpu.gemm_math: \"tf32\" is not a GEMM mode of this target (expected f32)"},
    {"unknown cuda GEMM mode",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemm_math", "fp8"}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "kernels.cuda.gemm_math: \"fp8\" is not a GEMM mode of this target (expected f32, tf32 or "
     "bf16)"},
    {"bf16 GEMMs without the rounding kernel",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemm_math", "bf16"}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "kernels.cuda.gemm_math: bf16 GEMMs need the image's round_bf16 kernel, which is missing"},
    {"rounding kernel on the cpu",
     [](json &m) {
       json round = cudaLaunch(256);
       round["function"] = "r";
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}, {"round_bf16", round}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cpu.round_bf16: only the cuda image has a bf16 rounding kernel"},
    {"rounding kernel without a name",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"round_bf16", cudaLaunch(256)}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.round_bf16: missing required key \"function\""},
    {"grid dependency wait on the cpu",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}},
                                {"grid_dependency_wait", true}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "kernels.cpu.grid_dependency_wait: only cuda kernels wait on grid dependencies"},
    {"grid dependency wait not a boolean",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"grid_dependency_wait", "yes"}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.grid_dependency_wait: expected a boolean"},
    {"sampler kernel on the cpu",
     [](json &m) {
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}},
                                {"sampler", cudaLaunch(1)}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cpu.sampler: only the cuda image has a sampler kernel"},
    {"sampler kernel without a name",
     [](json &m) {
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"sampler", cudaLaunch(1)}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.sampler: missing required key \"function\""},
    {"sampler row settings not a boolean",
     [](json &m) {
       json sampler = cudaLaunch(1);
       sampler.update({{"function", "s"}, {"row_settings", 1}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"sampler", sampler}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.sampler.row_settings: expected a boolean"},
    {"skinny-GEMM kernels on the cpu",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "f32"}, {"max_rows", 1}});
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cpu.gemv: only the cuda image has skinny-GEMM kernels"},
    {"skinny-GEMM kernel of f16 weights",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "f16"}, {"max_rows", 1}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.gemv[0].weight: skinny-GEMM kernels read f32 or bf16 weights"},
    {"skinny-GEMM kernel of no rows",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "bf16"}, {"max_rows", 0}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.gemv[0].max_rows: must be at least 1"},
    {"skinny-GEMM kernel of no loads per warp",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "bf16"}, {"max_rows", 1},
                    {"stretches_per_warp", 0}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.gemv[0].stretches_per_warp: must be in [1, 16]"},
    {"skinny-GEMM kernel's loads per warp not a number",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "f32"}, {"max_rows", 1},
                    {"stretches_per_warp", "4"}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.gemv[0].stretches_per_warp: expected an integer"},
    {"fused gemm of an unknown kernel family",
     [](json &m) {
       gemm(m)["fused"] = {{"family", "f"}, {"first", 0}, {"last", 0}, {"args", {gemm(m)["a"]}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].fused.family: no kernel of family \"f\" in "
     "kernels.cuda.gemv"},
    {"fused gemm whose range passes the last step",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "f_f32_m1"}, {"weight", "f32"}, {"max_rows", 1}, {"fused", "f"}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
       gemm(m)["fused"] = {{"family", "f"}, {"first", 0}, {"last", 2}, {"args", {gemm(m)["a"]}}};
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[0].fused: steps [0, 2] must hold this step, lie inside the 1 "
     "steps and not overlap another range"},
    {"fused kernel family of no name",
     [](json &m) {
       json gemv = cudaLaunch(256);
       gemv.update({{"function", "g"}, {"weight", "f32"}, {"max_rows", 1}, {"fused", ""}});
       m["kernels"] = {{"cuda", {{"section", "weights"}, {"symbols", {"k0"}},
                                 {"launch", {cudaLaunch(1)}}, {"gemv", {gemv}}}}};
     },
     SSMC_ERROR_BAD_ARTIFACT, "kernels.cuda.gemv[0].fused: empty kernel family"},
    {"target without its kernel image",
     [](json &m) {
       m["targets"] = {"cpu", "cuda"};
       m["kernels"] = {{"cpu", {{"section", "weights"}, {"symbols", {"k0"}}}}};
       prefill(m)["steps"].push_back({{"op", "kernel"}, {"symbol", "k0"}, {"args", json::array()}});
     },
     SSMC_ERROR_BAD_ARTIFACT,
     "entry_points.prefill.steps[1].symbol: kernel step but the artifact has no "
     "\"kernels\".\"cuda\" image"},
    {"reads_state not a boolean", [](json &m) { prefill(m)["reads_state"] = "yes"; },
     SSMC_ERROR_BAD_ARTIFACT, "entry_points.prefill.reads_state: expected a boolean"},
    {"manifest is an array", [](json &m) { m = json::array({1, 2}); }, SSMC_ERROR_BAD_ARTIFACT,
     "manifest: (root): expected an object"},
};

class RuntimeManifest : public ::testing::TestWithParam<Case> {};

TEST_P(RuntimeManifest, OneClearError) {
  const Case &c = GetParam();
  TempDir dir;
  json m = toyManifest(false);
  c.mutate(m);
  std::string path = dir.file("m.ssmc");
  writeFile(path, buildImage(m, {{"weights", toyWeights()}}));
  std::string msg;
  EXPECT_EQ(tryLoad(path, msg), c.status) << msg;
  EXPECT_NE(msg.find(c.message), std::string::npos) << "got: " << msg;
  if (c.status != SSMC_OK) {
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << "error must start with the file: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, RuntimeManifest, ::testing::ValuesIn(kCases),
                         [](const auto &info) {
                           std::string n = info.param.name;
                           for (char &ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return n;
                         });

TEST(RuntimeManifestExternal, ChecksumVerifiedOnce) {
  TempDir dir;
  std::vector<uint8_t> bias = toyWeights();
  bias.erase(bias.begin(), bias.begin() + 128);
  bias.resize(32);
  writeFile(dir.file("w.bin"), bias);
  json m = toyManifest(false);
  m["weights"][1] = {{"name", "head.bias"}, {"dtype", "f32"}, {"shape", {8}},
                     {"file", dir.file("w.bin")}, {"offset", 0}, {"nbytes", 32},
                     {"checksum", ssmc::checksumToHex(ssmc::fnv1a64(bias.data(), 32))}};
  std::string path = dir.file("m.ssmc");
  writeFile(path, buildImage(m, {{"weights", toyWeights()}}));
  std::string msg;
  EXPECT_EQ(tryLoad(path, msg), SSMC_OK) << msg;

  bias[0] ^= 1; // the external file changes after compilation
  writeFile(dir.file("w.bin"), bias);
  EXPECT_EQ(tryLoad(path, msg), SSMC_ERROR_BAD_ARTIFACT);
  EXPECT_NE(msg.find("checksum of " + dir.file("w.bin")), std::string::npos) << msg;
  EXPECT_EQ(tryLoad(path, msg, /*verify=*/false), SSMC_OK) << msg;

  bias.resize(16); // shorter than the manifest says
  writeFile(dir.file("w.bin"), bias);
  EXPECT_EQ(tryLoad(path, msg, false), SSMC_ERROR_BAD_ARTIFACT);
  EXPECT_NE(msg.find("lie outside " + dir.file("w.bin")), std::string::npos) << msg;
}

// The kernel-free toy runs: logits are the bias (the temp input is zero).
TEST(RuntimeSession, KernelFreeScheduleAndTokenChecks) {
  TempDir dir;
  std::string path = dir.file("m.ssmc");
  writeFile(path, toyImage());
  ssmc_model *model = nullptr;
  ASSERT_EQ(ssmc_model_load(path.c_str(), nullptr, &model), SSMC_OK) << ssmc_last_error();
  ssmc_model_info_t info;
  ASSERT_EQ(ssmc_model_info(model, &info), SSMC_OK);
  EXPECT_EQ(info.vocab_size, kVocab);
  EXPECT_EQ(info.padded_vocab_size, kPadded);
  EXPECT_EQ(info.n_layer, 1);
  EXPECT_STREQ(info.arch, "toy");
  EXPECT_EQ(info.n_state, 1);

  ssmc_session *s = nullptr;
  EXPECT_EQ(ssmc_session_create(model, 0, &s), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ssmc_last_error()).find("batch size must be at least 1"),
            std::string::npos);
  ASSERT_EQ(ssmc_session_create(model, 2, &s), SSMC_OK);
  ssmc_model_free(model); // the session keeps the model alive

  const float *data = nullptr;
  int64_t dims[SSMC_MAX_RANK];
  int32_t rank = 0;
  EXPECT_EQ(ssmc_logits(s, &data, dims, &rank), SSMC_ERROR_INVALID_ARGUMENT);

  int32_t bad[] = {1, 2, 3, 4, 5, 0};
  EXPECT_EQ(ssmc_prefill(s, bad, 3), SSMC_ERROR_BAD_INPUT);
  EXPECT_STREQ(ssmc_last_error(),
               "token 5 at tokens[4] (batch 1, position 1) is outside the vocabulary [0, 5)");
  int32_t neg[] = {-1, 0};
  EXPECT_EQ(ssmc_decode(s, neg), SSMC_ERROR_BAD_INPUT);
  EXPECT_EQ(ssmc_prefill(s, bad, 0), SSMC_ERROR_INVALID_ARGUMENT);

  int32_t ok[] = {1, 2, 3, 4, 0, 1};
  ASSERT_EQ(ssmc_prefill(s, ok, 3), SSMC_OK) << ssmc_last_error();
  ASSERT_EQ(ssmc_logits(s, &data, dims, &rank), SSMC_OK);
  ASSERT_EQ(rank, 3);
  EXPECT_EQ(dims[0], 2);
  EXPECT_EQ(dims[1], 3);
  EXPECT_EQ(dims[2], kPadded);
  for (int i = 0; i < 6; ++i)
    for (int n = 0; n < kPadded; ++n)
      EXPECT_EQ(data[i * kPadded + n], toyBias(n));

  size_t nbytes = 0;
  EXPECT_EQ(ssmc_state_nbytes(s, "h", &nbytes), SSMC_OK);
  EXPECT_EQ(nbytes, 2 * kD * sizeof(float));
  EXPECT_EQ(ssmc_state_nbytes(s, "nope", &nbytes), SSMC_ERROR_INVALID_ARGUMENT);
  std::vector<float> h(2 * kD, 1.0f);
  EXPECT_EQ(ssmc_state_write(s, "h", h.data(), 3), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ssmc_state_write(s, "h", h.data(), nbytes), SSMC_OK);
  std::vector<float> back(2 * kD, 0.0f);
  EXPECT_EQ(ssmc_state_read(s, "h", back.data(), nbytes), SSMC_OK);
  EXPECT_EQ(back, h);
  EXPECT_EQ(ssmc_session_reset(s), SSMC_OK);
  EXPECT_EQ(ssmc_state_read(s, "h", back.data(), nbytes), SSMC_OK);
  EXPECT_EQ(back, std::vector<float>(2 * kD, 0.0f));

  int32_t one[] = {4, 0};
  ASSERT_EQ(ssmc_decode(s, one), SSMC_OK) << ssmc_last_error();
  ASSERT_EQ(ssmc_logits(s, &data, dims, &rank), SSMC_OK);
  EXPECT_EQ(rank, 2);
  EXPECT_EQ(data[kPadded + 3], toyBias(3));
  ssmc_session_free(s);

  EXPECT_EQ(ssmc_prefill(nullptr, ok, 3), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ssmc_model_load(nullptr, nullptr, &model), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(model, nullptr);
}

} // namespace
