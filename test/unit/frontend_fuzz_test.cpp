// Robustness: every truncation of a valid file and random byte flips in its
// header must end in ImportError or success, never a crash or another error.

#include "frontend/SafeTensors.h"
#include "frontend_TestUtil.h"

#include <random>

using namespace ssmc::frontend;
using namespace ssmc::frontend::testing;

namespace {

std::vector<uint8_t> validFile() {
  SafeTensorsWriter w;
  w.add("backbone.embeddings.weight", "F32", {4, 3})
      .add("b", "BF16", {2, 2})
      .add("c", "F16", {5})
      .add("empty", "F32", {0})
      .metadata("format", "pt");
  return w.bytes();
}

// Parses `bytes` as a file; returns false for ImportError. Any other
// exception fails the test.
bool parses(const std::vector<uint8_t> &bytes, const std::string &path) {
  writeBytes(path, bytes);
  try {
    SafeTensorsFile file(path);
    for (const TensorInfo &t : file.tensors()) // touch every byte it claims
      for (uint64_t i = 0; i < t.nbytes; ++i)
        (void)*(volatile const uint8_t *)(t.data + i);
    return true;
  } catch (const ImportError &e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_GT(std::string(e.what()).size(), 0u);
    return false;
  }
}

} // namespace

TEST(FrontendFuzz, EveryTruncationIsAnImportError) {
  TempDir dir;
  const std::vector<uint8_t> bytes = validFile();
  const std::string path = dir.file("t.safetensors");
  ASSERT_TRUE(parses(bytes, path));
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    ASSERT_NO_FATAL_FAILURE(EXPECT_FALSE(parses(cut, path)) << "length " << n);
  }
}

TEST(FrontendFuzz, RandomHeaderByteFlips) {
  TempDir dir;
  const std::vector<uint8_t> bytes = validFile();
  const std::string path = dir.file("f.safetensors");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | bytes[i];
  std::mt19937_64 rng(12345);
  int rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<uint8_t> mutated = bytes;
    const int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      // Mostly inside the JSON, sometimes the length prefix.
      size_t pos = rng() % 8 == 0 ? rng() % 8 : 8 + rng() % headerLen;
      mutated[pos] = rng() % 2 ? uint8_t(rng()) : uint8_t(mutated[pos] ^ (1u << (rng() % 8)));
    }
    if (!parses(mutated, path))
      ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

TEST(FrontendFuzz, RandomDigitEditsInOffsets) {
  // Targeted: replace digits in the header with other digits, which keeps the
  // JSON valid and stresses the offset, shape and overlap checks.
  TempDir dir;
  const std::vector<uint8_t> bytes = validFile();
  const std::string path = dir.file("d.safetensors");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | bytes[i];
  std::vector<size_t> digits;
  for (size_t i = 8; i < 8 + headerLen; ++i)
    if (bytes[i] >= '0' && bytes[i] <= '9')
      digits.push_back(i);
  ASSERT_FALSE(digits.empty());
  std::mt19937_64 rng(777);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<uint8_t> mutated = bytes;
    size_t pos = digits[rng() % digits.size()];
    mutated[pos] = uint8_t('0' + rng() % 10);
    parses(mutated, path);
  }
}

TEST(FrontendFuzz, DeeplyNestedHeaderDoesNotOverflowTheStack) {
  TempDir dir;
  const size_t depth = 200000;
  std::string nested(depth, '[');
  nested += std::string(depth, ']');
  for (const std::string &header :
       {nested, "{\"a\":" + nested + "}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + nested + "],\"data_offsets\":[0,4]}}"}) {
    const std::string path = dir.file("deep.safetensors");
    writeBytes(path, SafeTensorsWriter::assemble(header, std::vector<uint8_t>(4)));
    EXPECT_FALSE(parses(readBytes(path), path));
  }
}
