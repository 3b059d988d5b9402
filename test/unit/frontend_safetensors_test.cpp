// SafeTensorsFile on well-formed files: tensor info, offsets, metadata.

#include "frontend/SafeTensors.h"
#include "frontend_TestUtil.h"

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

TEST(FrontendSafeTensors, ReadsTensorInfo) {
  TempDir dir;
  SafeTensorsWriter w;
  w.add("a", "F32", {2, 3}, f32Bytes({1, 2, 3, 4, 5, 6}))
      .add("b", "BF16", {4})
      .add("scalar", "F16", {})
      .add("empty", "F32", {0, 5}, {})
      .metadata("format", "pt");
  const std::string path = dir.file("x.safetensors");
  w.write(path);

  SafeTensorsFile file(path);
  EXPECT_EQ(file.path(), path);
  ASSERT_EQ(file.tensors().size(), 4u);
  EXPECT_EQ(file.metadata().at("format"), "pt");

  const TensorInfo *a = file.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numel(), 6);
  EXPECT_EQ(a->nbytes, 24u);
  EXPECT_EQ(a->file, path);

  // Absolute offsets: 8 bytes of length + the header, then the data.
  const std::vector<uint8_t> bytes = readBytes(path);
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | bytes[i];
  EXPECT_EQ(a->file_offset, 8 + headerLen);
  EXPECT_EQ(std::memcmp(a->data, bytes.data() + a->file_offset, 24), 0);

  const TensorInfo *b = file.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::BF16);
  EXPECT_EQ(b->file_offset, a->file_offset + 24);
  EXPECT_EQ(b->nbytes, 8u);

  const TensorInfo *scalar = file.find("scalar");
  ASSERT_NE(scalar, nullptr);
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->numel(), 1);
  EXPECT_EQ(scalar->nbytes, 2u);

  const TensorInfo *empty = file.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_EQ(empty->nbytes, 0u);
  EXPECT_EQ(file.find("nope"), nullptr);
}

TEST(FrontendSafeTensors, TensorsComeSortedByOffset) {
  // Header keys in a different order than the data.
  std::vector<uint8_t> data = f32Bytes({1, 2, 3});
  std::string header = R"({"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  TempDir dir;
  writeBytes(dir.file("x.safetensors"), SafeTensorsWriter::assemble(header, data));
  SafeTensorsFile file(dir.file("x.safetensors"));
  ASSERT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.tensors()[0].name, "z");
  EXPECT_EQ(file.tensors()[1].name, "a");
}

TEST(FrontendSafeTensors, AllowsGapsAndEmptyHeaderObject) {
  TempDir dir;
  std::vector<uint8_t> data(16, 0);
  std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  writeBytes(dir.file("gap.safetensors"), SafeTensorsWriter::assemble(header, data));
  EXPECT_NO_THROW(SafeTensorsFile(dir.file("gap.safetensors")));
  writeBytes(dir.file("none.safetensors"), SafeTensorsWriter::assemble("{}", {}));
  SafeTensorsFile none(dir.file("none.safetensors"));
  EXPECT_TRUE(none.tensors().empty());
}

TEST(FrontendSafeTensors, ParsesFromMemory) {
  SafeTensorsWriter w;
  w.add("t", "F16", {3});
  std::vector<uint8_t> bytes = w.bytes();
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  parseSafeTensors(bytes.data(), bytes.size(), "mem", tensors, metadata);
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].data, bytes.data() + tensors[0].file_offset);
  EXPECT_EQ(tensors[0].file, "mem");
}

TEST(FrontendSafeTensors, DTypeNamesAndSizes) {
  EXPECT_STREQ(dtypeName(DType::F32), "F32");
  EXPECT_STREQ(dtypeName(DType::F16), "F16");
  EXPECT_STREQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
}
