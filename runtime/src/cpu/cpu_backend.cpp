// The cpu backend: kernels from the artifact's host.so, GEMMs on OpenBLAS.
#include "../backend.h"
#include "shared_object.h"

#include "ssmc/error.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace ssmc {

namespace {

using KernelFn = void (*)(void **);

class CpuBackend final : public Backend {
public:
  explicit CpuBackend(const BackendOptions &options) {
    if (options.numThreads > 0)
      openblas_set_num_threads(options.numThreads);
  }

  const char *name() const override { return "cpu"; }

  // f32 compute only for now: the kernels and the GEMM path are f32.
  bool supportsWeightDType(DType t) const override { return t == DType::F32; }

  void loadKernels(const uint8_t *image, size_t size,
                   const std::vector<std::string> &symbols,
                   const std::string &where) override {
    so_ = std::make_unique<SharedObject>(image, size, where);
    kernels_.clear();
    for (const std::string &s : symbols) {
      void *f = so_->symbol(s);
      if (!f)
        throw RuntimeError(ErrorCode::BadArtifact,
                           where + ": kernel symbol \"" + s +
                               "\" is not defined in the kernel image");
      kernels_.push_back(reinterpret_cast<KernelFn>(f));
    }
  }

  void launch(int symbolIndex, void **args) override {
    kernels_[static_cast<size_t>(symbolIndex)](args);
  }

  void gemm(const GemmCall &g) override {
    if (g.m == 0 || g.n == 0)
      return;
    // b is stored [n, k]: C = A * B^T.
    if (g.m == 1) // a decode step at batch 1: a matrix-vector product
      cblas_sgemv(CblasRowMajor, CblasNoTrans, int(g.n), int(g.k), 1.0f, g.b,
                  int(g.ldb), g.a, 1, 0.0f, g.c, 1);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(g.m), int(g.n),
                  int(g.k), 1.0f, g.a, int(g.lda), g.b, int(g.ldb), 0.0f, g.c,
                  int(g.ldc));
    if (g.bias)
      for (int64_t i = 0; i < g.m; ++i) {
        float *row = g.c + i * g.ldc;
        for (int64_t j = 0; j < g.n; ++j)
          row[j] += g.bias[j];
      }
  }

  void *allocate(size_t bytes) override {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p)
      throw RuntimeError(ErrorCode::Runtime,
                         "out of memory allocating " + std::to_string(bytes) +
                             " bytes");
    std::memset(p, 0, rounded);
    return p;
  }

  void release(void *p) override { std::free(p); }

private:
  std::unique_ptr<SharedObject> so_;
  std::vector<KernelFn> kernels_;
};

} // namespace

std::unique_ptr<Backend> createCpuBackend(const BackendOptions &options) {
  return std::make_unique<CpuBackend>(options);
}

} // namespace ssmc
