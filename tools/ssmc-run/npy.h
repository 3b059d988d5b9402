// Writes a float32 array as a NumPy .npy file (format 1.0, '<f4', C order).
#ifndef SSMC_RUN_NPY_H
#define SSMC_RUN_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc_run {

// The header (magic, version, length, dict padded so data starts at a
// multiple of 64 bytes).
std::string npyHeader(const std::vector<int64_t> &shape);
// Returns false and sets `error` (naming the path) on failure.
bool writeNpy(const std::string &path, const float *data,
              const std::vector<int64_t> &shape, std::string &error);

} // namespace ssmc_run

#endif // SSMC_RUN_NPY_H
