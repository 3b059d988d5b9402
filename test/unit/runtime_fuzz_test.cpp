// Fuzz-style robustness: truncations and random byte flips (fixed seed) must
// only ever produce RuntimeError, never a crash or another exception.
#include "runtime_TestUtil.h"

#include "bind.h"
#include "manifest.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <random>

using namespace rt_test;

namespace {

// Reads, parses and binds (B = 2, L = 3) the image. Returns true if accepted.
bool readAll(const std::vector<uint8_t> &image, bool verify) {
  ssmc::ArtifactReadOptions o;
  o.verifyPayloadChecksums = verify;
  try {
    auto a = ssmc::Artifact::fromBytes(image, "fuzz.ssmc", o);
    ssmc::Manifest m = ssmc::parseManifest(*a);
    if (m.prefill)
      ssmc::bindEntry(m, *m.prefill, {2, 3}, "fuzz.ssmc");
    if (m.decode)
      ssmc::bindEntry(m, *m.decode, {2, 0}, "fuzz.ssmc");
    return true;
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_EQ(std::string(e.what()).rfind("fuzz.ssmc: ", 0), 0u) << e.what();
    return false;
  }
}

TEST(RuntimeFuzz, EveryTruncationIsRejected) {
  const auto img = toyImage();
  ASSERT_TRUE(readAll(img, true));
  for (size_t n = 0; n < img.size(); ++n)
    EXPECT_FALSE(readAll(std::vector<uint8_t>(img.begin(), img.begin() + n), true))
        << "accepted a file truncated to " << n << " bytes";
}

TEST(RuntimeFuzz, RandomFlipsAnywhere) {
  const auto img = toyImage();
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    auto bad = img;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    readAll(bad, iter % 2 == 0);
  }
}

// Flips inside the manifest with checksums repaired: reaches the JSON and
// manifest checks rather than stopping at the checksum.
TEST(RuntimeFuzz, ManifestFlipsWithRepairedChecksums) {
  const auto img = toyImage();
  const uint64_t off = tableField(img, 0, 32), size = tableField(img, 0, 40);
  std::mt19937 rng(99);
  const char interesting[] = "{}[]\",:-0123456789BLe*. ";
  int accepted = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    auto bad = img;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      uint8_t &b = bad[off + rng() % size];
      b = rng() % 2 ? static_cast<uint8_t>(interesting[rng() % (sizeof interesting - 1)])
                    : static_cast<uint8_t>(rng());
    }
    fixPayloadChecksum(bad, 0);
    accepted += readAll(bad, true);
  }
  // Some flips are harmless (inside "producer"), most are not.
  EXPECT_LT(accepted, 4000);
}

// Table flips with the table checksum repaired: offsets/sizes/names garbage.
TEST(RuntimeFuzz, TableFlipsWithRepairedChecksum) {
  const auto img = toyImage();
  std::mt19937 rng(7);
  for (int iter = 0; iter < 3000; ++iter) {
    auto bad = img;
    size_t at = 24 + rng() % (2 * 64);
    bad[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    fixTableChecksum(bad);
    readAll(bad, iter % 3 != 0);
  }
}

// A few hundred mutated files through the whole C API load path.
TEST(RuntimeFuzz, CApiLoadNeverCrashes) {
  TempDir dir;
  const auto img = toyImage();
  const uint64_t off = tableField(img, 0, 32), size = tableField(img, 0, 40);
  std::mt19937 rng(4321);
  for (int iter = 0; iter < 300; ++iter) {
    auto bad = img;
    bad[off + rng() % size] = static_cast<uint8_t>(rng());
    fixPayloadChecksum(bad, 0);
    writeFile(dir.file("f.ssmc"), bad);
    std::string msg;
    ssmc_status s = tryLoad(dir.file("f.ssmc"), msg);
    if (s != SSMC_OK) {
      EXPECT_FALSE(msg.empty());
    }
    EXPECT_NE(s, SSMC_ERROR_RUNTIME) << msg; // no "internal error" escapes
  }
}

} // namespace
