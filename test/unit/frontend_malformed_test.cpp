// The malformed-input corpus: every case must end in one ImportError that
// names the file at fault and says what is wrong with it.

#include "frontend/ConfigImport.h"
#include "frontend/SafeTensors.h"
#include "frontend/WeightStore.h"
#include "frontend_TestUtil.h"

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

namespace {

using Setup = std::function<void(const std::string &dir)>;

struct Case {
  std::string name;
  Setup setup;       // writes the inputs into a fresh directory
  Setup action;      // the call expected to throw
  std::string file;  // suffix of ImportError::file()
  std::string message; // part of what()
};

std::string at(const std::string &dir, const std::string &name) {
  return (fs::path(dir) / name).string();
}

void openX(const std::string &dir) { SafeTensorsFile f(at(dir, "x.safetensors")); }
void import(const std::string &dir) {
  WeightStore store;
  importCheckpoint(dir, store);
}

// A safetensors file "x.safetensors" from a header text and `dataBytes` zeros.
Setup rawFile(std::string header, size_t dataBytes) {
  return [=](const std::string &dir) {
    writeBytes(at(dir, "x.safetensors"),
               SafeTensorsWriter::assemble(header, std::vector<uint8_t>(dataBytes)));
  };
}
Setup bytesFile(std::vector<uint8_t> bytes) {
  return [=](const std::string &dir) { writeBytes(at(dir, "x.safetensors"), bytes); };
}
std::vector<uint8_t> lengthPrefix(uint64_t n) {
  std::vector<uint8_t> out(8);
  for (int b = 0; b < 8; ++b)
    out[b] = uint8_t(n >> (8 * b));
  return out;
}

// A valid HF Mamba-1 checkpoint whose config is edited by `edit`.
Setup hfMambaWith(std::function<void(json &)> edit, TinyModel m = {}) {
  return [=](const std::string &dir) {
    writeHFMamba(dir, m);
    json c = hfMambaConfig(m);
    edit(c);
    writeText(at(dir, "config.json"), c.dump());
  };
}
Setup hfMamba2With(std::function<void(json &)> edit, TinyModel m = {}) {
  return [=](const std::string &dir) {
    writeHFMamba2(dir, m);
    json c = hfMamba2Config(m);
    edit(c);
    writeText(at(dir, "config.json"), c.dump());
  };
}
// An HF Mamba-1 checkpoint whose tensors are edited before writing.
Setup hfMambaTensors(std::function<void(SafeTensorsWriter &)> extra,
                     std::function<void(TinyModel &)> model = {},
                     std::vector<std::string> drop = {}) {
  return [=](const std::string &dir) {
    TinyModel m;
    if (model)
      model(m);
    SafeTensorsWriter all;
    addMamba1Tensors(all, m, "backbone.embeddings.weight");
    SafeTensorsWriter w;
    json h = all.header();
    std::vector<uint8_t> data = all.data();
    for (const auto &item : h.items()) {
      if (std::find(drop.begin(), drop.end(), item.key()) != drop.end())
        continue;
      uint64_t b = item.value()["data_offsets"][0];
      uint64_t e = item.value()["data_offsets"][1];
      w.add(item.key(), item.value()["dtype"], item.value()["shape"],
            std::vector<uint8_t>(data.begin() + b, data.begin() + e));
    }
    if (extra)
      extra(w);
    w.write(at(dir, "model.safetensors"));
    writeText(at(dir, "config.json"), hfMambaConfig(m).dump());
  };
}
// Two shards "s1", "s2" of tensors a, b and an index written by `index`.
Setup shardsWith(json weightMap) {
  return [=](const std::string &dir) {
    SafeTensorsWriter s1, s2;
    s1.add("a", "F32", {2});
    s2.add("b", "F32", {2});
    s1.write(at(dir, "s1.safetensors"));
    s2.write(at(dir, "s2.safetensors"));
    writeText(at(dir, "model.safetensors.index.json"),
              json({{"weight_map", weightMap}}).dump());
  };
}
void openStore(const std::string &dir) { WeightStore::openDirectory(dir); }

const std::string kA = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

std::vector<Case> corpus() {
  std::vector<Case> c;
  // --- safetensors container ---
  c.push_back({"EmptyFile", bytesFile({}), openX, "x.safetensors",
               "0 bytes, too short for the 8-byte header length"});
  c.push_back({"TruncatedLength", bytesFile({1, 0, 0}), openX, "x.safetensors",
               "too short"});
  c.push_back({"HeaderLengthBeyondFile",
               [](const std::string &dir) {
                 auto bytes = lengthPrefix(1000);
                 std::string h = "{}";
                 bytes.insert(bytes.end(), h.begin(), h.end());
                 writeBytes(at(dir, "x.safetensors"), bytes);
               },
               openX, "x.safetensors", "runs past the end of the file"});
  c.push_back({"HeaderLengthHuge", bytesFile(lengthPrefix(~0ull)), openX,
               "x.safetensors", "exceeds the 100 MB limit"});
  c.push_back({"TruncatedData",
               [](const std::string &dir) {
                 SafeTensorsWriter w;
                 w.add("a", "F32", {4});
                 auto bytes = w.bytes();
                 bytes.resize(bytes.size() - 3);
                 writeBytes(at(dir, "x.safetensors"), bytes);
               },
               openX, "x.safetensors", "run past the data area"});
  c.push_back({"HeaderNotJson", rawFile("{\"a\": [1, 2", 0), openX,
               "x.safetensors", "header is not valid JSON"});
  c.push_back({"HeaderNotObject", rawFile("[1, 2, 3]", 0), openX,
               "x.safetensors", "header must be a JSON object, got array"});
  c.push_back({"OverlappingOffsets",
               rawFile("{" + kA + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
               openX, "x.safetensors", "'a' and 'b' overlap"});
  c.push_back({"OffsetsOutOfRange",
               rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 8),
               openX, "x.safetensors", "run past the data area of 8 bytes"});
  c.push_back({"OffsetsReversed",
               rawFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8),
               openX, "x.safetensors", "end 4 < begin 8"});
  c.push_back({"NbytesMismatch",
               rawFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
               openX, "x.safetensors", "span 8 bytes but dtype and shape need 12"});
  c.push_back({"UnsupportedDtype",
               rawFile(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8),
               openX, "x.safetensors", "tensor 'ids': dtype I64 is not supported"});
  c.push_back({"UnknownDtype",
               rawFile(R"({"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}})", 4),
               openX, "x.safetensors", "unknown dtype 'F99'"});
  c.push_back({"NegativeShape",
               rawFile(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
               openX, "x.safetensors", "shape entries must be non-negative integers"});
  c.push_back({"FloatShape",
               rawFile(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
               openX, "x.safetensors", "non-negative integers, got 2.5"});
  c.push_back({"ShapeOverflow",
               rawFile(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
               openX, "x.safetensors", "element count overflows"});
  c.push_back({"MissingOffsets",
               rawFile(R"({"a":{"dtype":"F32","shape":[2]}})", 8), openX,
               "x.safetensors", "missing \"data_offsets\""});
  c.push_back({"DuplicateTensor", rawFile("{" + kA + "," + kA + "}", 8), openX,
               "x.safetensors", "duplicate key 'a'"});
  c.push_back({"MetadataNotStrings",
               rawFile("{" + kA + R"(,"__metadata__":{"n":1}})", 8), openX,
               "x.safetensors", "\"__metadata__\" value for 'n' must be a string"});
  c.push_back({"EntryNotObject", rawFile(R"({"a":7})", 0), openX,
               "x.safetensors", "tensor 'a': entry must be a JSON object"});
  c.push_back({"NotAFile", [](const std::string &dir) {
                 fs::create_directory(at(dir, "x.safetensors"));
               },
               openX, "x.safetensors", "not a regular file"});
  // --- weight store / shard index ---
  c.push_back({"IndexMissingShard",
               shardsWith({{"a", "s1.safetensors"}, {"b", "s3.safetensors"}}),
               openStore, "model.safetensors.index.json",
               "shard 's3.safetensors' (for tensor 'b'), which does not exist"});
  c.push_back({"IndexTensorAbsentFromShard",
               shardsWith({{"a", "s1.safetensors"}, {"b", "s1.safetensors"}}),
               openStore, "model.safetensors.index.json",
               "puts tensor 'b' in shard 's1.safetensors', but that shard has no such tensor"});
  c.push_back({"IndexEscapesDirectory",
               shardsWith({{"a", "../s1.safetensors"}}), openStore,
               "model.safetensors.index.json", "must be a relative path"});
  c.push_back({"IndexWithoutWeightMap",
               [](const std::string &dir) {
                 writeText(at(dir, "model.safetensors.index.json"), "{}");
               },
               openStore, "model.safetensors.index.json",
               "missing required key \"weight_map\""});
  c.push_back({"NaNWeight",
               [](const std::string &dir) {
                 SafeTensorsWriter w;
                 w.add("ok", "F32", {2}).add("w", "F32", {3}, f32Bytes({1, NAN, 2}));
                 w.write(at(dir, "model.safetensors"));
               },
               [](const std::string &dir) { WeightStore::openDirectory(dir).checkFinite(); },
               "model.safetensors", "tensor 'w' has NaN at element 1"});
  // --- checkpoint import ---
  c.push_back({"EmptyDirectory", [](const std::string &) {}, import,
               "config.json", "file not found"});
  c.push_back({"MissingDirectory", [](const std::string &) {},
               [](const std::string &dir) { import(at(dir, "nope")); }, "nope",
               "checkpoint directory does not exist"});
  c.push_back({"NoWeights",
               [](const std::string &dir) {
                 writeText(at(dir, "config.json"), hfMambaConfig({}).dump());
               },
               import, "<dir>", "no model.safetensors or model.safetensors.index.json"});
  c.push_back({"ConfigNotJson",
               [](const std::string &dir) {
                 writeHFMamba(dir, {});
                 writeText(at(dir, "config.json"), "{\"hidden_size\": 8,,}");
               },
               import, "config.json", "not valid JSON"});
  c.push_back({"ConfigNotObject",
               [](const std::string &dir) {
                 writeHFMamba(dir, {});
                 writeText(at(dir, "config.json"), "[]");
               },
               import, "config.json", "must be a JSON object, got array"});
  c.push_back({"ConfigMissingKey",
               hfMambaWith([](json &c) { c.erase("hidden_size"); }), import,
               "config.json", "missing required key \"hidden_size\""});
  c.push_back({"ConfigWrongType",
               hfMambaWith([](json &c) { c["num_hidden_layers"] = "2"; }), import,
               "config.json",
               "key \"num_hidden_layers\": expected an integer, got string"});
  c.push_back({"ConfigWrongBoolType",
               hfMambaWith([](json &c) { c["use_bias"] = 1; }), import,
               "config.json", "key \"use_bias\": expected a boolean, got number"});
  c.push_back({"ConfigZeroLayers",
               hfMambaWith([](json &c) { c["num_hidden_layers"] = 0; }), import,
               "config.json", "\"num_hidden_layers\": 0 is out of range"});
  c.push_back({"ConfigBadRank",
               hfMambaWith([](json &c) { c["time_step_rank"] = "big"; }), import,
               "config.json", "expected an integer or \"auto\""});
  c.push_back({"HeadsTimesDimNotInner",
               hfMamba2With([](json &c) { c["num_heads"] = 3; }), import,
               "config.json", "num_heads * head_dim = 3 * 4 = 12 must equal d_inner = 16"});
  c.push_back({"HeadsNotMultipleOfGroups",
               hfMamba2With([](json &c) { c["n_groups"] = 3; }), import,
               "config.json", "num_heads = 4 is not a multiple of n_groups = 3"});
  c.push_back({"TimeStepLimitNotPair",
               hfMamba2With([](json &c) { c["time_step_limit"] = {1.0}; }), import,
               "config.json", "\"time_step_limit\": expected [min, max]"});
  c.push_back({"ReferenceUnknownLayer",
               [](const std::string &dir) {
                 writeHFMamba(dir, {});
                 json c = referenceConfig({}, "Mamba3");
                 writeText(at(dir, "config.json"), c.dump());
               },
               import, "config.json", "\"ssm_cfg.layer\": expected \"Mamba1\" or \"Mamba2\""});
  c.push_back({"ReferenceGatedMlp",
               [](const std::string &dir) {
                 json c = referenceConfig({}, "Mamba2");
                 c["ssm_cfg"]["d_ssm"] = 8;
                 writeText(at(dir, "config.json"), c.dump());
               },
               import, "config.json", "gated MLP"});
  c.push_back({"MissingTensor",
               hfMambaTensors({}, {}, {"backbone.layers.1.mixer.A_log"}), import,
               "model.safetensors",
               "missing tensor 'backbone.layers.1.mixer.A_log' (layer 1 A_log)"});
  c.push_back({"WrongShape",
               [](const std::string &dir) {
                 TinyModel m;
                 writeHFMamba(dir, m);
                 json c = hfMambaConfig(m);
                 c["state_size"] = 5; // tensors say 4
                 writeText(at(dir, "config.json"), c.dump());
               },
               import, "model.safetensors",
               "tensor 'backbone.layers.0.mixer.A_log' (layer 0 A_log) has shape "
               "[16, 4], expected [16, 5]"});
  c.push_back({"MixedDtypes",
               hfMambaTensors(
                   [](SafeTensorsWriter &w) {
                     w.add("backbone.layers.1.mixer.D", "BF16", {16});
                   },
                   {}, {"backbone.layers.1.mixer.D"}),
               import, "model.safetensors",
               "tensor 'backbone.layers.1.mixer.D' is BF16 but "
               "'backbone.embeddings.weight' is F32: all weights must share "
               "one dtype"});
  c.push_back({"VocabExceedsEmbedding",
               hfMambaWith([](json &c) { c["vocab_size"] = 33; }), import,
               "config.json", "vocab_size = 33 exceeds the 32 rows"});
  c.push_back({"ReferenceVocabPadding",
               [](const std::string &dir) {
                 TinyModel m;
                 m.vocab = 20; // pads to 24, the embedding has 32 rows
                 SafeTensorsWriter w;
                 addMamba1Tensors(w, m, "backbone.embedding.weight");
                 w.write(at(dir, "model.safetensors"));
                 writeText(at(dir, "config.json"), referenceConfig(m, "Mamba1").dump());
               },
               import, "config.json",
               "vocab_size = 20 padded to a multiple of 8 is 24, but the embedding"});
  c.push_back({"UntiedWithoutLmHead",
               hfMambaWith([](json &c) { c["tie_word_embeddings"] = false; }),
               import, "model.safetensors", "missing tensor 'lm_head.weight'"});
  c.push_back({"ExtraLayer",
               hfMambaWith([](json &c) { c["num_hidden_layers"] = 1; }), import,
               "config.json", "more layers than the 1 the config declares"});
  c.push_back({"Mamba2GatedMlpRows",
               [](const std::string &dir) {
                 TinyModel m;
                 SafeTensorsWriter all;
                 addMamba2Tensors(all, m, "backbone.embeddings.weight");
                 SafeTensorsWriter w;
                 json h = all.header();
                 std::vector<uint8_t> data = all.data();
                 for (const auto &item : h.items()) {
                   std::vector<int64_t> shape = item.value()["shape"];
                   if (item.key() == "backbone.layers.0.mixer.in_proj.weight")
                     shape[0] += 2 * 8; // z0 and x0 pieces of width 8
                   w.add(item.key(), "F32", shape);
                 }
                 w.write(at(dir, "model.safetensors"));
                 writeText(at(dir, "config.json"), hfMamba2Config(m).dump());
               },
               import, "model.safetensors", "look like a gated MLP"});
  return c;
}

// Test names and failure messages show the case name, not its bytes.
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class FrontendMalformed : public ::testing::TestWithParam<Case> {};

TEST_P(FrontendMalformed, ThrowsImportErrorNamingTheFile) {
  const Case &c = GetParam();
  TempDir dir;
  c.setup(dir.path());
  // "<dir>": the error must name the checkpoint directory itself.
  const std::string file = c.file == "<dir>" ? dir.path() : c.file;
  expectImportError([&] { c.action(dir.path()); }, file, c.message);
}

INSTANTIATE_TEST_SUITE_P(Corpus, FrontendMalformed, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return info.param.name;
                         });

TEST(FrontendMalformedCorpus, HasAtLeastTwentyCases) {
  EXPECT_GE(corpus().size(), 20u);
}

} // namespace
