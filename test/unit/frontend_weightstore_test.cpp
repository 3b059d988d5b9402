// WeightStore: single and sharded checkpoints, conversions, checksums, and
// the finite-value check.

#include "frontend/WeightStore.h"
#include "frontend_TestUtil.h"

#include <cmath>

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

namespace {

// Reference decodings by arithmetic, independent of the bit tricks.
double halfReference(uint16_t h) {
  int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return sign ? -v : v;
}
double bfloatReference(uint16_t b) {
  int sign = b >> 15, e = (b >> 7) & 0xff, m = b & 0x7f;
  double v = e == 0 ? std::ldexp(m, -133) : std::ldexp(128 + m, e - 134);
  return sign ? -v : v;
}

} // namespace

TEST(FrontendConvert, HalfKnownValues) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));   // smallest normal
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));   // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(halfToFloat(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x7c00), INFINITY);
  EXPECT_EQ(halfToFloat(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7c01)));
}

TEST(FrontendConvert, HalfExhaustive) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1f) == 0x1f)
      continue; // Inf/NaN covered above
    ASSERT_EQ(static_cast<double>(halfToFloat(uint16_t(h))),
              halfReference(uint16_t(h)))
        << "f16 bits 0x" << std::hex << h;
  }
}

TEST(FrontendConvert, BFloat16KnownValues) {
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xc000), -2.0f);
  EXPECT_EQ(bfloat16ToFloat(0x4049), 3.140625f);
  EXPECT_EQ(bfloat16ToFloat(0x0001), std::ldexp(1.0f, -133));
  EXPECT_EQ(bfloat16ToFloat(0x7f7f), std::ldexp(255.0f, 120));
  EXPECT_EQ(bfloat16ToFloat(0x7f80), INFINITY);
  EXPECT_EQ(bfloat16ToFloat(0xff80), -INFINITY);
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(0x7fc0)));
}

TEST(FrontendConvert, BFloat16Exhaustive) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    if (((b >> 7) & 0xff) == 0xff)
      continue;
    ASSERT_EQ(static_cast<double>(bfloat16ToFloat(uint16_t(b))),
              bfloatReference(uint16_t(b)))
        << "bf16 bits 0x" << std::hex << b;
  }
}

TEST(FrontendConvert, Fnv1a64KnownVectors) {
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar", 6), 0x85944171f73967e8ull);
}

TEST(FrontendWeightStore, ToFloatConvertsEachDType) {
  TempDir dir;
  SafeTensorsWriter w;
  w.add("f32", "F32", {3}, f32Bytes({1.5f, -0.0f, 3e-40f}))
      .add("f16", "F16", {4}, u16Bytes({0x3c00, 0xc000, 0x0001, 0x7bff}))
      .add("bf16", "BF16", {2, 2}, u16Bytes({0x3f80, 0xc000, 0x4049, 0x0001}));
  w.write(dir.file("model.safetensors"));
  WeightStore store = WeightStore::openDirectory(dir.path());
  EXPECT_EQ(store.source(), dir.file("model.safetensors"));
  EXPECT_EQ(store.files(), std::vector<std::string>{dir.file("model.safetensors")});
  EXPECT_EQ(store.names(), (std::vector<std::string>{"bf16", "f16", "f32"}));

  EXPECT_EQ(store.toFloat("f32"), (std::vector<float>{1.5f, -0.0f, 3e-40f}));
  EXPECT_EQ(store.toFloat("f16"),
            (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f}));
  EXPECT_EQ(store.toFloat("bf16"), (std::vector<float>{1.0f, -2.0f, 3.140625f,
                                                       std::ldexp(1.0f, -133)}));
  store.checkFinite(); // no throw

  const TensorInfo &t = store.get("f16");
  EXPECT_EQ(store.checksum("f16"), fnv1a64(t.data, t.nbytes));
  std::vector<uint8_t> raw = u16Bytes({0x3c00, 0xc000, 0x0001, 0x7bff});
  EXPECT_EQ(store.checksum("f16"), fnv1a64(raw.data(), raw.size()));
}

TEST(FrontendWeightStore, ShardedIndex) {
  TempDir dir;
  SafeTensorsWriter a, b;
  a.add("x", "F32", {2}).add("y", "F32", {3});
  b.add("z", "F32", {4});
  a.write(dir.file("model-00001-of-00002.safetensors"));
  b.write(dir.file("model-00002-of-00002.safetensors"));
  json index = {{"metadata", {{"total_size", 36}}},
                {"weight_map",
                 {{"x", "model-00001-of-00002.safetensors"},
                  {"y", "model-00001-of-00002.safetensors"},
                  {"z", "model-00002-of-00002.safetensors"}}}};
  writeText(dir.file("model.safetensors.index.json"), index.dump());

  WeightStore store = WeightStore::openDirectory(dir.path());
  EXPECT_EQ(store.source(), dir.file("model.safetensors.index.json"));
  EXPECT_EQ(store.files().size(), 2u);
  EXPECT_EQ(store.get("z").file, dir.file("model-00002-of-00002.safetensors"));
  EXPECT_EQ(store.get("x").file, dir.file("model-00001-of-00002.safetensors"));
  EXPECT_EQ(store.toFloat("z").size(), 4u);
  EXPECT_EQ(store.find("w"), nullptr);
  expectImportError([&] { store.get("w"); }, "model.safetensors.index.json",
                    "missing tensor 'w'");
}

TEST(FrontendWeightStore, DuplicateTensorAcrossFiles) {
  TempDir dir;
  SafeTensorsWriter a;
  a.add("x", "F32", {2});
  a.write(dir.file("a.safetensors"));
  a.write(dir.file("b.safetensors"));
  WeightStore store;
  store.addFile(dir.file("a.safetensors"));
  expectImportError([&] { store.addFile(dir.file("b.safetensors")); },
                    "b.safetensors", "tensor 'x' is also in");
}

TEST(FrontendWeightStore, CheckFiniteFindsInfInHalf) {
  TempDir dir;
  SafeTensorsWriter w;
  w.add("ok", "BF16", {2}).add("bad", "F16", {3}, u16Bytes({0, 0x3c00, 0xfc00}));
  w.write(dir.file("model.safetensors"));
  WeightStore store = WeightStore::openDirectory(dir.path());
  expectImportError([&] { store.checkFinite(); }, "model.safetensors",
                    "tensor 'bad' has Inf at element 2");
}
