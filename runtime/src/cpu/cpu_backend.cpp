// The cpu backend: kernels from the artifact's host.so, GEMMs on OpenBLAS.
#include "../backend.h"
#include "shared_object.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <cblas.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ssmc {

namespace {

using KernelFn = void (*)(void **);

// The C interface of an MLIR kernel takes one pointer per memref descriptor.
struct CpuKernel final : PreparedKernel {
  KernelFn fn = nullptr;
  std::vector<Descriptor> descriptors;
  std::vector<void *> args;
};

class CpuBackend final : public Backend {
public:
  explicit CpuBackend(const BackendOptions &options) {
    if (options.numThreads > 0)
      openblas_set_num_threads(options.numThreads);
  }

  const char *name() const override { return "cpu"; }

  // f32 compute only for now: the kernels and the GEMM path are f32.
  bool supportsWeightDType(DType t) const override { return t == DType::F32; }

  void loadKernels(const Artifact &artifact, const KernelImage &image,
                   const std::string &path) override {
    const ArtifactSection *section = artifact.find(image.section);
    const std::string where = path + ": section '" + image.section + "'";
    so_ = std::make_unique<SharedObject>(section->data, section->size, where);
    kernels_.clear();
    for (const std::string &s : image.symbols) {
      void *f = so_->symbol(s);
      if (!f)
        throw RuntimeError(ErrorCode::BadArtifact,
                           where + ": kernel symbol \"" + s +
                               "\" is not defined in the kernel image");
      kernels_.push_back(reinterpret_cast<KernelFn>(f));
    }
  }

  std::unique_ptr<PreparedKernel>
  prepareKernel(int symbolIndex, std::vector<Descriptor> descriptors) override {
    auto k = std::make_unique<CpuKernel>();
    k->fn = kernels_[static_cast<size_t>(symbolIndex)];
    k->descriptors = std::move(descriptors);
    for (Descriptor &d : k->descriptors)
      k->args.push_back(d.data());
    return k;
  }

  void launch(PreparedKernel &kernel) override {
    auto &k = static_cast<CpuKernel &>(kernel);
    k.fn(k.args.data());
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
    size_t rounded = (bytes + 255) / 256 * 256;
    void *p = std::aligned_alloc(256, rounded ? rounded : 256);
    if (!p)
      throw RuntimeError(ErrorCode::Runtime,
                         "out of memory allocating " + std::to_string(bytes) +
                             " bytes");
    std::memset(p, 0, rounded ? rounded : 256);
    return p;
  }

  void release(void *p) override { std::free(p); }

  bool hostAddressable() const override { return true; }
  void copyToDevice(void *dst, const void *src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void copyToHost(void *dst, const void *src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void zero(void *dst, size_t bytes) override { std::memset(dst, 0, bytes); }
  void copyWithin(void *dst, const void *src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  const void *residentWeight(const void *host, size_t) override { return host; }
  const void *residentCopy(const void *host, size_t) override { return host; }

  double timeMs(const std::function<void()> &work) override {
    auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  }

private:
  std::unique_ptr<SharedObject> so_;
  std::vector<KernelFn> kernels_;
};

} // namespace

std::unique_ptr<Backend> createCpuBackend(const BackendOptions &options) {
  return std::make_unique<CpuBackend>(options);
}

} // namespace ssmc
