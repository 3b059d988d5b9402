// The backend interface: the few things a target must provide to execute a
// bound schedule (load a kernel image, launch a kernel, run a GEMM, hand out
// memory). The cpu backend lives in cpu/; a cuda one would sit beside it.
#ifndef SSMC_SRC_BACKEND_H
#define SSMC_SRC_BACKEND_H

#include "manifest.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ssmc {

// c[m, n] = a[m, k] * b[n, k]^T (+ bias[n]); row-major, leading dims given.
struct GemmCall {
  int64_t m = 0, n = 0, k = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const float *b = nullptr;
  int64_t ldb = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  const float *bias = nullptr; // may be null
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual const char *name() const = 0;
  // Whether weights of this dtype can be computed with.
  virtual bool supportsWeightDType(DType t) const = 0;
  // Loads the target's kernel image and resolves every symbol; throws
  // RuntimeError naming `where` (file + section) if any step is impossible.
  virtual void loadKernels(const uint8_t *image, size_t size,
                           const std::vector<std::string> &symbols,
                           const std::string &where) = 0;
  // args[i] points to the memref descriptor of the i-th view.
  virtual void launch(int symbolIndex, void **args) = 0;
  virtual void gemm(const GemmCall &call) = 0;
  // Zero-filled, 64-byte aligned; throws RuntimeError when out of memory.
  virtual void *allocate(size_t bytes) = 0;
  virtual void release(void *p) = 0;
};

struct BackendOptions {
  int numThreads = 0; // 0: the library's default
};

std::unique_ptr<Backend> createCpuBackend(const BackendOptions &options);

} // namespace ssmc

#endif // SSMC_SRC_BACKEND_H
