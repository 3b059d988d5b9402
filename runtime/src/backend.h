// The backend interface: the few things a target must provide to execute a
// bound schedule (load a kernel image, launch a kernel, run a GEMM, hand out
// and fill memory). The cpu backend lives in cpu/, the cuda one in cuda/.
//
// Memory handed out by a backend may live on a device: the session moves
// bytes in and out only through copyToDevice / copyToHost / zero, and reads
// results only after copyToHost (which waits for the work queued before it).
#ifndef SSMC_SRC_BACKEND_H
#define SSMC_SRC_BACKEND_H

#include "manifest.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ssmc {

class Artifact;

// c[m, n] = a[m, k] * b[n, k]^T (+ bias[n]); row-major, leading dims given.
// All pointers are backend memory (device pointers on cuda).
struct GemmCall {
  int64_t m = 0, n = 0, k = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const float *b = nullptr;
  int64_t ldb = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  const float *bias = nullptr; // may be null
  // b in bf16, when b is a weight of which the backend keeps a bf16 copy
  // (Backend::gemmWeights). b may then be null (GemmWeights::f32 false).
  const uint16_t *bBf16 = nullptr;
};

// One kernel argument: an MLIR memref descriptor as int64 words
// {allocated, aligned, offset, sizes[rank], strides[rank]}.
using Descriptor = std::vector<int64_t>;

// The descriptor of a view of `base` (offset, sizes and strides in elements).
static_assert(sizeof(void *) == sizeof(int64_t), "descriptor layout assumes 64-bit pointers");
inline Descriptor memrefDescriptor(const void *base, int64_t offset,
                                   const std::vector<int64_t> &sizes,
                                   const std::vector<int64_t> &strides) {
  const int64_t p = static_cast<int64_t>(reinterpret_cast<uintptr_t>(base));
  Descriptor d{p, p, offset};
  d.insert(d.end(), sizes.begin(), sizes.end());
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}

// A kernel step with its arguments bound, ready to launch any number of
// times (built once per plan; the descriptors never change afterwards).
class PreparedKernel {
public:
  virtual ~PreparedKernel() = default;
};

// A recorded sequence of launches and GEMMs (a CUDA graph) that replays
// with the same pointers and sizes.
class Recording {
public:
  virtual ~Recording() = default;
};

// The device copies of a weight that gemm steps multiply.
struct GemmWeights {
  // Its f32 values (GemmCall::b). Without them the weight has an f32 copy
  // only when a kernel step reads it too.
  bool f32 = true;
  // Its stored bytes when it is stored in bf16 (GemmCall::bBf16).
  bool storedBf16 = false;
  // Its values in bf16 however it is stored (rounded at load if need be).
  bool bf16 = false;
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual const char *name() const = 0;
  // Whether weights of this dtype can be computed with.
  virtual bool supportsWeightDType(DType t) const = 0;
  // Loads the artifact's kernel image for this target (`image`, described by
  // the manifest) and resolves every symbol; throws RuntimeError naming
  // `path` and the section if any step is impossible.
  virtual void loadKernels(const Artifact &artifact, const KernelImage &image,
                           const std::string &path) = 0;
  // `symbolIndex` indexes KernelImage::symbols; descriptors[i] is the i-th
  // argument. Throws RuntimeError when the arguments do not fit the kernel.
  virtual std::unique_ptr<PreparedKernel>
  prepareKernel(int symbolIndex, std::vector<Descriptor> descriptors) = 0;
  virtual void launch(PreparedKernel &kernel) = 0;
  // The prepareKernel index of the image's sampler kernel
  // (KernelImage::sampler), or -1 when it has none.
  virtual int samplerKernel() const { return -1; }
  virtual void gemm(const GemmCall &call) = 0;
  // A kernel of the image's family `family` (KernelImage::Gemv::fused),
  // prepared to stand for a gemm step's fused range (StepDesc::Fused) where
  // gemm(call) would run a skinny-GEMM kernel; null where it would not, or
  // where the arguments do not suit the kernel (the steps then run one by
  // one). `args` are the kernel's arguments but the weight, which the
  // backend puts after args[0], reading it from `call` as gemm would.
  virtual std::unique_ptr<PreparedKernel>
  prepareFusedGemv(const GemmCall &call, const std::string &family,
                   std::vector<Descriptor> args) {
    (void)call, (void)family, (void)args;
    return nullptr;
  }
  // Whether gemm(call) would run a skinny-GEMM kernel of the image rather
  // than the GEMM library (cuda; for tests and labels).
  virtual bool runsAsSkinnyGemm(const GemmCall &call) const {
    (void)call;
    return false;
  }

  // Zero-filled, at least 256-byte aligned; throws RuntimeError when out of
  // memory.
  virtual void *allocate(size_t bytes) = 0;
  virtual void release(void *p) = 0;
  // True when backend memory is ordinary host memory (the cpu backend): the
  // session may then hand out pointers to it without a copy.
  virtual bool hostAddressable() const = 0;
  virtual void copyToDevice(void *dst, const void *src, size_t bytes) = 0;
  // Waits for all queued work, then copies.
  virtual void copyToHost(void *dst, const void *src, size_t bytes) = 0;
  virtual void zero(void *dst, size_t bytes) = 0;
  // Copies between two of this backend's buffers (queued in order with the
  // work on cuda); the ranges do not overlap.
  virtual void copyWithin(void *dst, const void *src, size_t bytes) = 0;
  // The weight at `host` (`bytes` long, alive as long as the model) as the
  // kernels read it: `host` itself on the cpu, a device copy on cuda (owned
  // by the backend, freed with it).
  virtual const void *residentWeight(const void *host, size_t bytes) = 0;
  // The same for bytes that live only until this returns (a widened copy):
  // never remembered by their address, which a later buffer may reuse. On
  // a host-addressable backend it returns `host`, which the caller keeps.
  virtual const void *residentCopy(const void *host, size_t bytes) = 0;
  // Which copies of a weight of `rows` rows (the n of its products) that
  // gemm steps multiply the backend reads with `image` loaded.
  virtual GemmWeights gemmWeights(const KernelImage &image, int64_t rows) const {
    (void)image, (void)rows;
    return {};
  }

  // Records what `steps` launches into a replayable sequence; null when the
  // backend does not record (then the caller simply runs `steps` each time).
  virtual std::unique_ptr<Recording> record(const std::function<void()> &steps) {
    (void)steps;
    return nullptr;
  }
  virtual void replay(Recording &recording) { (void)recording; }
  // Waits until all queued work has finished.
  virtual void synchronize() {}
  // Runs `work` alone and returns how long the device took for it, in
  // milliseconds (queued work is finished first).
  virtual double timeMs(const std::function<void()> &work) = 0;
};

struct BackendOptions {
  int numThreads = 0; // cpu: OpenBLAS threads, 0 for the library's default
  int cudaDevice = 0; // cuda: device ordinal
};

std::unique_ptr<Backend> createCpuBackend(const BackendOptions &options);

// Throws RuntimeError(Unsupported) with the reason when CUDA cannot be used:
// this build has no CUDA backend, no driver library, no device.
std::unique_ptr<Backend> createCudaBackend(const BackendOptions &options);

// Whether createCudaBackend would succeed (a driver and at least one device).
bool cudaAvailable();

} // namespace ssmc

#endif // SSMC_SRC_BACKEND_H
