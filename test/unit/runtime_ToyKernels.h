// The toy kernels of the end-to-end tests (memref-descriptor ABI), compiled
// with `cc` at test time into the host.so of the toy artifact.
#ifndef SSMC_TEST_RUNTIME_TOYKERNELS_H
#define SSMC_TEST_RUNTIME_TOYKERNELS_H

#include "runtime_TestUtil.h"

#include "ssmc/runtime.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include <cstdint>
#include <string>
#include <vector>

namespace rt_test {

std::vector<uint8_t> readBytes(const std::string &path);
// Builds host.so with cc; empty when no C compiler is available.
std::vector<uint8_t> compileKernels(const TempDir &dir);
// Writes dir/toy.ssmc (toyManifest(true) + kernels); returns its path, or ""
// when no C compiler is available.
std::string writeToyArtifact(const TempDir &dir);

// A test with the toy artifact loaded as model_ (skipped, saying why, when no
// C compiler is available).
class ToyModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    path_ = writeToyArtifact(dir_);
    if (path_.empty())
      GTEST_SKIP() << "no working C compiler (cc): cannot build the toy kernels";
    model_ = std::make_unique<ssmc::Model>(path_);
  }
  // The toy model's one state tensor h ([B, kD] f32), every sequence.
  static std::vector<float> state(const ssmc::Session &s) {
    auto bytes = s.readState("h");
    std::vector<float> h(bytes.size() / sizeof(float));
    std::memcpy(h.data(), bytes.data(), bytes.size());
    return h;
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<ssmc::Model> model_;
};

} // namespace rt_test

#endif // SSMC_TEST_RUNTIME_TOYKERNELS_H
