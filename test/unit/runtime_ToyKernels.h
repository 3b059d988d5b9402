// The toy kernels of the end-to-end tests (memref-descriptor ABI), compiled
// with `cc` at test time into the host.so of the toy artifact.
#ifndef SSMC_TEST_RUNTIME_TOYKERNELS_H
#define SSMC_TEST_RUNTIME_TOYKERNELS_H

#include "runtime_TestUtil.h"

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

} // namespace rt_test

#endif // SSMC_TEST_RUNTIME_TOYKERNELS_H
