// Helpers for runtime-tests: temp dirs, a toy artifact (manifest + weights)
// that tests mutate into malformed variants, and small byte-patching tools.
#ifndef SSMC_TEST_RUNTIME_TESTUTIL_H
#define SSMC_TEST_RUNTIME_TESTUTIL_H

#include "ssmc/runtime.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rt_test {

using nlohmann::json;

struct TempDir {
  TempDir();
  ~TempDir();
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::string path;
};

// Toy model: vocab 5 padded to 8, hidden size 4, one state "h" [B, 4].
constexpr int64_t kVocab = 5, kPadded = 8, kD = 4;
float toyW(int64_t n, int64_t k);  // gemm weight [8, 4]
float toyBias(int64_t n);          // gemm bias [8]
std::vector<uint8_t> toyWeights(); // the "weights" section

// With kernels: embed/add1/accum/addto steps plus the gemm (needs host.so).
// Without: prefill and decode are a single gemm over a zero temp buffer.
json toyManifest(bool withKernels);

using Sections = std::vector<std::pair<std::string, std::vector<uint8_t>>>;
std::vector<uint8_t> buildImage(const json &manifest, const Sections &sections);
void writeFile(const std::string &path, const std::vector<uint8_t> &bytes);
// The kernel-free toy artifact's image.
std::vector<uint8_t> toyImage();

// Re-hash after a deliberate edit, so a test reaches the check it targets.
void fixTableChecksum(std::vector<uint8_t> &image);
void fixPayloadChecksum(std::vector<uint8_t> &image, int section);
uint64_t tableField(const std::vector<uint8_t> &image, int section, int offset);
void setTableField(std::vector<uint8_t> &image, int section, int offset,
                   uint64_t value);

// Loads through the C API; returns the status and the message.
ssmc_status tryLoad(const std::string &path, std::string &message,
                    bool verify = true);

} // namespace rt_test

#endif // SSMC_TEST_RUNTIME_TESTUTIL_H
