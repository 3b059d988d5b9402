// The cuda backend: kernels from the artifact's cubin (or its PTX, JIT-
// compiled when the cubin is not for this GPU), GEMMs on cuBLASLt, all work
// queued on one stream of the device's primary context.
//
// Debugging: with SSMC_CUDA_SYNC=1 in the environment the backend waits for
// every kernel launch, GEMM and replay to finish before returning, so an
// asynchronous fault (an illegal address, say) is reported by the call that
// caused it, naming the kernel, instead of by a later copyToHost. Slow.
#include "../backend.h"
#include "cuda_driver.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ssmc {

namespace {

using cuda::check;

constexpr size_t kAllocationGranule = 256;
constexpr size_t kGemmWorkspaceBytes = size_t(32) << 20;
// The most rows a skinny-GEMM kernel takes from cuBLASLt (exact fp32 GEMMs).
constexpr int64_t kGemvMaxRows = 4;
// bf16 GEMMs of at most this many columns n are bound by reading a, which
// rounding it to bf16 would read and write once more: they keep f32
// operands and multiply in TF32 (measured on the H100, docs/perf.md). It
// takes Mamba's x_proj up to the 2.8b size (dt_rank + 2N <= 192).
constexpr int64_t kNarrowProductColumns = 192;
// Launches the backend makes itself (skinny GEMMs, bf16 rounding) are
// prepared once per argument list; the cache is emptied when it grows past
// this many (plans come and go with sessions and lengths).
constexpr size_t kMaxPreparedLaunches = 4096;
// cuBLASLt's bias epilogue misbehaves on bias vectors aligned to less than
// this; such biases are copied into C first (see CudaBackend::gemm).
constexpr uintptr_t kBiasEpilogueAlignment = 16;
// Grid-stride kernels cover any size, so their grids are capped here.
constexpr uint64_t kGridStrideCap[3] = {uint64_t(1) << 20, 65535, 65535};
// Elements of a skinny-GEMM kernel's 16-byte loads of `weight` (f32 or bf16).
constexpr int64_t gemvLoadWidth(DType weight) { return weight == DType::BF16 ? 8 : 4; }

CUdeviceptr devicePtr(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

// The largest power of two (up to 256) dividing the address: what cuBLASLt
// may assume about a matrix's alignment.
uint32_t alignmentOf(const void *p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a == 0)
    return 256;
  return static_cast<uint32_t>(std::min<uintptr_t>(a & (~a + 1), 256));
}

uint64_t saturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    return std::numeric_limits<uint64_t>::max();
  return a * b;
}

// One launch with its arguments bound: the parameter array points at the
// descriptor words held here, so it stays valid as long as this object.
struct BoundLaunch {
  CUfunction function = nullptr;
  std::string name;
  std::vector<int64_t> words;  // every descriptor, flattened; never resized
  std::vector<void *> params;  // one pointer per word
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;    // dynamic shared memory per block
  bool empty = false;          // a grid dimension is 0: nothing to launch
  // Launched with programmatic stream serialization: the kernel waits for
  // the one before it itself (griddepcontrol.wait), so it may start early.
  bool programmatic = false;
};

// A kernel step: its launches in order and the scratch memory they share
// (released with the step).
class CudaKernel final : public PreparedKernel {
public:
  explicit CudaKernel(Backend &backend) : backend(backend) {}
  ~CudaKernel() override {
    for (void *p : scratch)
      backend.release(p);
  }
  Backend &backend;
  std::string symbol;
  std::vector<BoundLaunch> launches;
  std::vector<void *> scratch;
};

class CudaRecording final : public Recording {
public:
  CudaRecording(const cuda::Driver &d, CUcontext ctx, CUgraphExec exec)
      : d_(d), ctx_(ctx), exec_(exec) {}
  ~CudaRecording() override {
    d_.cuCtxSetCurrent(ctx_);
    d_.cuGraphExecDestroy(exec_); // an in-flight replay still completes
  }
  CUgraphExec exec() const { return exec_; }

private:
  const cuda::Driver &d_;
  CUcontext ctx_;
  CUgraphExec exec_;
};

// What makes one cuBLASLt plan differ from another: the heuristic's choice
// depends on shapes, leading dims, pointer alignment, the epilogue and the
// arithmetic.
struct GemmKey {
  int64_t m, n, k, lda, ldb, ldc;
  uint32_t alignA, alignB, alignC;
  bool biasEpilogue;
  GemmMath math;
  bool bf16Operands;
  bool operator<(const GemmKey &o) const {
    return std::tie(m, n, k, lda, ldb, ldc, alignA, alignB, alignC, biasEpilogue, math,
                    bf16Operands) <
           std::tie(o.m, o.n, o.k, o.lda, o.ldb, o.ldc, o.alignA, o.alignB, o.alignC,
                    o.biasEpilogue, o.math, o.bf16Operands);
  }
};

// What cuBLASLt multiplies for a gemm step: a and b as the step has them
// (f32), or a's rows rounded to bf16 in the scratch and b's bf16 copy.
struct GemmOperands {
  const void *a;
  int64_t lda;
  const void *b;
  bool bf16;
};

struct GemmPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  // cuBLASLt's (column-major) operands: "A" is our b, "B" is our a.
  cublasLtMatrixLayout_t ltA = nullptr, ltB = nullptr, ltC = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool usable = false; // the heuristic found an algorithm
};

// A skinny-GEMM kernel of the image (KernelImage::gemv).
struct LoadedGemv {
  int kernel; // CudaBackend::kernels_ index
  DType weight;
  int64_t maxRows;
  int64_t stretchesPerWarp; // 0: the launch's grid
  std::string fused;        // non-empty: a fused family's (KernelImage::Gemv::fused)
};

struct LoadedKernel {
  std::string symbol;
  KernelLaunch launch;
  std::vector<CUfunction> functions; // per stage
};

class CudaBackend final : public Backend {
public:
  explicit CudaBackend(const BackendOptions &options)
      : d_(cuda::driver()), lt_(cuda::blasLt()) {
    int count = 0;
    check(d_.cuDeviceGetCount(&count), "cuDeviceGetCount", "",
          ErrorCode::Unsupported);
    if (count < 1)
      throw RuntimeError(ErrorCode::Unsupported, "cuda: no CUDA device");
    if (options.cudaDevice < 0 || options.cudaDevice >= count)
      throw RuntimeError(ErrorCode::Unsupported,
                         "cuda device " + std::to_string(options.cudaDevice) +
                             " does not exist (" + std::to_string(count) +
                             (count == 1 ? " device)" : " devices)"));
    check(d_.cuDeviceGet(&device_, options.cudaDevice), "cuDeviceGet");
    check(d_.cuDevicePrimaryCtxRetain(&ctx_, device_),
          "cuDevicePrimaryCtxRetain");
    try {
      check(d_.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
      ccMajor_ = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
      ccMinor_ = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
      maxGrid_[0] = uint64_t(attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X));
      maxGrid_[1] = uint64_t(attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y));
      maxGrid_[2] = uint64_t(attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z));
      multiprocessors_ = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
      check(d_.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
      workspace_ = rawAllocate(kGemmWorkspaceBytes, "the GEMM workspace");
      check(lt_.cublasLtCreate(&blas_), "cublasLtCreate");
      const char *sync = std::getenv("SSMC_CUDA_SYNC");
      syncEveryStep_ = sync && std::strcmp(sync, "1") == 0;
      const char *gemv = std::getenv("SSMC_CUDA_GEMV");
      gemvEnabled_ = !(gemv && std::strcmp(gemv, "0") == 0);
      const char *fusedGemv = std::getenv("SSMC_CUDA_FUSED_GEMV");
      fusedGemvEnabled_ = !(fusedGemv && std::strcmp(fusedGemv, "0") == 0);
      const char *pdl = std::getenv("SSMC_CUDA_PDL");
      programmaticAllowed_ = ccMajor_ >= 9 && d_.cuLaunchKernelEx &&
                             !(pdl && std::strcmp(pdl, "0") == 0);
    } catch (...) {
      releaseEverything();
      throw;
    }
  }

  ~CudaBackend() override { releaseEverything(); }

  const char *name() const override { return "cuda"; }

  // f32 compute only for now: the kernels and the GEMM path are f32.
  bool supportsWeightDType(DType t) const override { return t == DType::F32; }

  void loadKernels(const Artifact &artifact, const KernelImage &image,
                   const std::string &path) override {
    auto scope = enter();
    const std::string where = path + ": section '" + image.section + "'";
    if (image.launches.size() != image.symbols.size())
      throw RuntimeError(ErrorCode::BadArtifact,
                         where + ": " + std::to_string(image.symbols.size()) +
                             " kernel symbols but " +
                             std::to_string(image.launches.size()) +
                             " launch descriptions");
    const ArtifactSection *cubin = artifact.find(image.section);
    if (!cubin)
      throw RuntimeError(ErrorCode::BadArtifact,
                         path + ": the kernel image section '" + image.section +
                             "' is missing");
    const ArtifactSection *ptx = nullptr;
    if (!image.fallbackSection.empty()) {
      ptx = artifact.find(image.fallbackSection);
      if (!ptx)
        throw RuntimeError(ErrorCode::BadArtifact,
                           path + ": the PTX section '" + image.fallbackSection +
                               "' is missing");
    }
    CUmodule module = loadModule(*cubin, ptx, path);
    modules_.push_back(module); // unloaded with the backend, whatever follows

    // A symbol's kernel, each of its stages' functions resolved.
    auto load = [&](const std::string &symbol, const KernelLaunch &launch) {
      LoadedKernel k;
      k.symbol = symbol;
      k.launch = launch;
      for (const LaunchDesc &stage : k.launch.stages) {
        const std::string &name = stage.function.empty() ? k.symbol : stage.function;
        CUfunction f = nullptr;
        CUresult r = d_.cuModuleGetFunction(&f, module, name.c_str());
        if (r == CUDA_ERROR_NOT_FOUND)
          throw RuntimeError(ErrorCode::BadArtifact,
                             where + ": kernel symbol \"" + name +
                                 "\" is not defined in the kernel image");
        check(r, "cuModuleGetFunction", where + ": kernel " + name);
        k.functions.push_back(f);
      }
      return k;
    };
    std::vector<LoadedKernel> kernels;
    for (size_t i = 0; i < image.symbols.size(); ++i)
      kernels.push_back(load(image.symbols[i], image.launches[i]));
    samplerIndex_ = -1;
    if (image.sampler && image.samplerRowSettings) {
      samplerIndex_ = static_cast<int>(kernels.size());
      kernels.push_back(load(image.sampler->function, *image.sampler));
    }
    roundBf16_ = -1;
    if (image.roundBf16) {
      roundBf16_ = static_cast<int>(kernels.size());
      kernels.push_back(load(image.roundBf16->function, *image.roundBf16));
    }
    prepared_.clear(); // kernel indices change
    gemvs_.clear();
    for (const KernelImage::Gemv &g : image.gemv) {
      gemvs_.push_back({static_cast<int>(kernels.size()), g.weight, g.maxRows,
                        g.stretchesPerWarp, g.fused});
      kernels.push_back(load(g.launch.function, g.launch));
    }
    // The smallest tile that holds m is found by walking them in order.
    std::sort(gemvs_.begin(), gemvs_.end(),
              [](const LoadedGemv &x, const LoadedGemv &y) { return x.maxRows < y.maxRows; });
    kernels_ = std::move(kernels);
    gemmMath_ = image.gemmMath;
    programmatic_ = programmaticAllowed_ && image.gridDependencyWait;
  }

  int samplerKernel() const override { return samplerIndex_; }

  std::unique_ptr<PreparedKernel>
  prepareKernel(int symbolIndex, std::vector<Descriptor> descriptors) override {
    auto scope = enter();
    if (symbolIndex < 0 || size_t(symbolIndex) >= kernels_.size())
      throw RuntimeError(ErrorCode::Runtime,
                         "cuda: kernel index " + std::to_string(symbolIndex) +
                             " is out of range (" +
                             std::to_string(kernels_.size()) + " kernels loaded)");
    const LoadedKernel &k = kernels_[size_t(symbolIndex)];
    const std::string what = "cuda: kernel " + k.symbol;
    auto bad = [&](const std::string &why) {
      return RuntimeError(ErrorCode::BadArtifact, what + ": " + why);
    };
    for (size_t i = 0; i < descriptors.size(); ++i) {
      const Descriptor &desc = descriptors[i];
      if (desc.size() < 3 || (desc.size() - 3) % 2 != 0)
        throw bad("argument " + std::to_string(i) +
                  " is not a memref descriptor (" + std::to_string(desc.size()) +
                  " words)");
    }
    auto prepared = std::make_unique<CudaKernel>(*this);
    prepared->symbol = k.symbol;

    // Scratch buffers: contiguous f32, sized from the step's arguments.
    std::vector<Descriptor> scratch;
    for (const ScratchDesc &sd : k.launch.scratch) {
      Descriptor d(3 + 2 * sd.shape.size());
      uint64_t elements = 1;
      for (size_t i = 0; i < sd.shape.size(); ++i) {
        d[3 + i] = int64_t(extent(sd.shape[i], descriptors, bad, "scratch buffer"));
        elements = saturatingMul(elements, uint64_t(d[3 + i]));
      }
      for (size_t i = sd.shape.size(), stride = 1; i-- > 0;) {
        d[3 + sd.shape.size() + i] = int64_t(stride);
        stride = size_t(saturatingMul(stride, uint64_t(d[3 + i])));
      }
      if (elements > (uint64_t(1) << 40))
        throw bad("a scratch buffer of " + std::to_string(elements) + " elements");
      void *p = allocate(size_t(elements) * sizeof(float));
      prepared->scratch.push_back(p);
      d[0] = d[1] = int64_t(reinterpret_cast<uintptr_t>(p));
      scratch.push_back(std::move(d));
    }
    for (size_t i = 0; i < k.launch.stages.size(); ++i)
      prepared->launches.push_back(
          bindLaunch(k.launch.stages[i], k.functions[i], descriptors, scratch, what, bad));
    return prepared;
  }

  // ceil(product of the step's argument sizes / div).
  template <typename Bad>
  uint64_t extent(const GridDim &g, const std::vector<Descriptor> &descriptors,
                  const Bad &bad, const std::string &what) {
    if (g.div < 1)
      throw bad(what + " divides by " + std::to_string(g.div));
    uint64_t product = 1;
    for (const GridDim::Factor &f : g.product) {
      if (f.arg < 0 || size_t(f.arg) >= descriptors.size())
        throw bad(what + " uses argument " + std::to_string(f.arg) + " of " +
                  std::to_string(descriptors.size()));
      const Descriptor &desc = descriptors[size_t(f.arg)];
      const size_t rank = (desc.size() - 3) / 2;
      if (f.dim < 0 || size_t(f.dim) >= rank)
        throw bad(what + " uses dimension " + std::to_string(f.dim) + " of argument " +
                  std::to_string(f.arg) + ", which has rank " + std::to_string(rank));
      const int64_t size = desc[3 + size_t(f.dim)];
      if (size < 0)
        throw bad("argument " + std::to_string(f.arg) + " has size " +
                  std::to_string(size) + " in dimension " + std::to_string(f.dim));
      product = saturatingMul(product, uint64_t(size));
    }
    const uint64_t div = uint64_t(g.div);
    return product / div + (product % div != 0);
  }

  // One launch of a step: its argument list (step arguments and scratch
  // buffers), grid and block.
  template <typename Bad>
  BoundLaunch bindLaunch(const LaunchDesc &l, CUfunction function,
                         const std::vector<Descriptor> &step,
                         const std::vector<Descriptor> &scratch, const std::string &what,
                         const Bad &bad) {
    std::vector<const Descriptor *> args;
    if (l.args.empty()) {
      for (const Descriptor &d : step)
        args.push_back(&d);
    }
    for (int a : l.args) {
      if (a >= 0 ? size_t(a) >= step.size() : size_t(-1 - a) >= scratch.size())
        throw bad("a launch argument refers to " +
                  (a >= 0 ? "argument " + std::to_string(a)
                          : "scratch buffer " + std::to_string(-1 - a)) +
                  ", which does not exist");
      args.push_back(a >= 0 ? &step[size_t(a)] : &scratch[size_t(-1 - a)]);
    }
    size_t totalWords = 0;
    for (const Descriptor *d : args)
      totalWords += d->size();
    // A kernel compiled for unit innermost strides would silently misread
    // any other view.
    for (int arg : l.unitInnerStride) {
      if (size_t(arg) >= step.size())
        throw bad("unit_inner_stride names argument " + std::to_string(arg) + " of " +
                  std::to_string(step.size()));
      const Descriptor &desc = step[size_t(arg)];
      size_t rank = (desc.size() - 3) / 2;
      if (rank > 0 && desc.back() != 1)
        throw bad("argument " + std::to_string(arg) + " has innermost stride " +
                  std::to_string(desc.back()) + "; the kernel needs 1");
    }
    if (!lastParameterFits(function, totalWords))
      throw bad("the parameters of " + (l.function.empty() ? "the kernel" : l.function) +
                " do not match its " + std::to_string(args.size()) + " arguments (" +
                std::to_string(totalWords) + " descriptor words of 8 bytes)");

    BoundLaunch b;
    b.function = function;
    b.name = l.function.empty() ? what.substr(std::string("cuda: kernel ").size()) : l.function;
    uint64_t grid[3];
    for (int d = 0; d < 3; ++d)
      grid[d] = extent(l.grid[d], step, bad, "grid dimension " + std::to_string(d));
    for (int d = 0; d < 3; ++d) {
      const int64_t n = l.block[d];
      if (n < 1 || n > std::numeric_limits<int32_t>::max())
        throw bad("block dimension " + std::to_string(d) + " is " + std::to_string(n));
      b.block[d] = unsigned(n);
    }
    b.empty = grid[0] == 0 || grid[1] == 0 || grid[2] == 0;
    b.programmatic = programmatic_;
    if (l.gridStride) {
      for (int d = 0; d < 3; ++d)
        grid[d] = std::min({grid[d], kGridStrideCap[d], maxGrid_[d]});
    } else if (!b.empty &&
               (grid[0] > maxGrid_[0] || grid[1] > maxGrid_[1] || grid[2] > maxGrid_[2])) {
      throw RuntimeError(
          ErrorCode::Unsupported,
          what + ": the sizes need a grid of (" + std::to_string(grid[0]) + ", " +
              std::to_string(grid[1]) + ", " + std::to_string(grid[2]) +
              ") blocks, more than this device allows (" + std::to_string(maxGrid_[0]) +
              ", " + std::to_string(maxGrid_[1]) + ", " + std::to_string(maxGrid_[2]) + ")");
    }
    for (int d = 0; d < 3; ++d)
      b.grid[d] = unsigned(grid[d]);
    // A kernel must ask for dynamic shared memory that takes its total
    // beyond the default 48 KB; asking always is simplest.
    b.sharedBytes = unsigned(l.sharedBytes);
    if (l.sharedBytes > 0)
      cuda::check(d_.cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                        int(l.sharedBytes)),
                  "cuFuncSetAttribute",
                  what + ": " + b.name + " asks for " + std::to_string(l.sharedBytes) +
                      " bytes of shared memory per block",
                  ErrorCode::Unsupported);

    // MLIR's NVVM lowering (without bare pointers) passes every descriptor
    // word as its own kernel parameter, argument after argument.
    b.words.reserve(totalWords);
    for (const Descriptor *d : args)
      b.words.insert(b.words.end(), d->begin(), d->end());
    b.params.reserve(totalWords);
    for (int64_t &w : b.words)
      b.params.push_back(&w);
    return b;
  }

  void launch(PreparedKernel &kernel) override {
    auto &k = static_cast<CudaKernel &>(kernel);
    auto scope = enter();
    for (BoundLaunch &l : k.launches) {
      if (l.empty)
        continue;
      CUresult r = l.programmatic ? launchProgrammatic(l)
                                  : d_.cuLaunchKernel(l.function, l.grid[0], l.grid[1],
                                                      l.grid[2], l.block[0], l.block[1],
                                                      l.block[2], l.sharedBytes, stream_,
                                                      l.params.data(), /*extra=*/nullptr);
      if (r != CUDA_SUCCESS)
        cuda::fail(r, l.programmatic ? "cuLaunchKernelEx" : "cuLaunchKernel",
                   "kernel " + l.name);
      if (syncEveryStep_ && !capturing_)
        check(d_.cuStreamSynchronize(stream_), "cuStreamSynchronize",
              "after kernel " + l.name);
    }
  }

  // A single row or column has no meaningful leading dimension: at least
  // its length.
  static GemmCall withVectorLeadingDims(GemmCall g) {
    if (g.m == 1) {
      g.lda = std::max(g.lda, g.k);
      g.ldc = std::max(g.ldc, g.n);
    }
    if (g.n == 1)
      g.ldb = std::max(g.ldb, g.k);
    return g;
  }

  // Row-major c[m, n] = a[m, k] * b[n, k]^T (+ bias) is, column-major,
  // C' (n x m, ld ldc) = B'^T * A', where B' (k x n, ld ldb) is b read
  // column-major and A' (k x m, ld lda) is a: cuBLASLt's "A" is our b with
  // TRANSA = T, its "B" our a with TRANSB = N, and the bias (one value per
  // row of C') is the BIAS epilogue.
  void gemm(const GemmCall &call) override {
    if (call.m < 0 || call.n < 0 || call.k < 0)
      throw RuntimeError(ErrorCode::InvalidArgument,
                         "cuda: " + gemmText(call) + ": negative size");
    if (call.m == 0 || call.n == 0)
      return;
    GemmCall g = withVectorLeadingDims(call);
    if ((g.k > 0 && (g.lda < g.k || g.ldb < g.k)) || g.ldc < g.n)
      throw RuntimeError(ErrorCode::InvalidArgument,
                         "cuda: " + gemmText(g) +
                             ": a leading dimension is smaller than its row");
    auto scope = enter();
    if (const LoadedGemv *skinny = gemvFor(g)) {
      runGemv(*skinny, g);
      return;
    }
    // bf16 GEMMs multiply a weight's bf16 copy by the activations rounded,
    // but for narrow products with an f32 copy (TF32 below).
    GemmOperands ops{g.a, g.lda, g.b, false};
    const bool narrow = g.n <= kNarrowProductColumns && g.b;
    if (gemmMath_ == GemmMath::BF16 && g.bBf16 && g.k > 0 && !narrow)
      ops = {roundToBf16(g), g.k, g.bBf16, true};
    if (!ops.b && g.k > 0)
      throw RuntimeError(ErrorCode::Runtime,
                         "cuda: " + gemmText(g) + ": the weight has no f32 copy on the device");

    // The bias goes through cuBLASLt's epilogue when it can; otherwise it is
    // copied into every row of c first and the product added (beta = 1).
    bool biasEpilogue = g.bias && g.k > 0 &&
                        reinterpret_cast<uintptr_t>(g.bias) % kBiasEpilogueAlignment == 0;
    const GemmPlan *plan = nullptr;
    if (g.k > 0) {
      plan = &planFor(g, ops, biasEpilogue);
      if (!plan->usable && biasEpilogue) {
        biasEpilogue = false;
        plan = &planFor(g, ops, false);
      }
      if (!plan->usable)
        throw RuntimeError(ErrorCode::Unsupported,
                           "cuda: " + gemmText(g) + ": cuBLASLt has no algorithm for it");
    }
    if (g.bias && !biasEpilogue)
      fillRowsWithBias(g);

    if (g.k == 0) { // c = 0 (+ bias)
      if (!g.bias) {
        CUresult r = d_.cuMemsetD2D32Async(devicePtr(g.c), size_t(g.ldc) * sizeof(float),
                                           0u, size_t(g.n), size_t(g.m), stream_);
        if (r != CUDA_SUCCESS)
          cuda::fail(r, "cuMemsetD2D32Async", gemmText(g));
      }
    } else {
      cublasStatus_t s = CUBLAS_STATUS_SUCCESS;
      if (biasEpilogue)
        s = lt_.cublasLtMatmulDescSetAttribute(
            plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &g.bias, sizeof(g.bias));
      if (s != CUBLAS_STATUS_SUCCESS)
        cuda::fail(s, "cublasLtMatmulDescSetAttribute", gemmText(g));
      const float alpha = 1.0f;
      const float beta = g.bias && !biasEpilogue ? 1.0f : 0.0f;
      s = lt_.cublasLtMatmul(blas_, plan->desc, &alpha, ops.b, plan->ltA, ops.a,
                             plan->ltB, &beta, g.c, plan->ltC, g.c, plan->ltC,
                             &plan->algo, reinterpret_cast<void *>(workspace_),
                             kGemmWorkspaceBytes, stream_);
      if (s != CUBLAS_STATUS_SUCCESS)
        cuda::fail(s, "cublasLtMatmul", gemmText(g));
    }
    if (syncEveryStep_ && !capturing_)
      check(d_.cuStreamSynchronize(stream_), "cuStreamSynchronize",
            "after " + gemmText(g));
  }

  void *allocate(size_t bytes) override {
    auto scope = enter();
    const size_t rounded = roundedSize(bytes);
    CUdeviceptr p = rawAllocate(rounded, std::to_string(bytes) + " bytes");
    CUresult r = d_.cuMemsetD8Async(p, 0, rounded, stream_);
    if (r != CUDA_SUCCESS) {
      d_.cuMemFree(p);
      cuda::fail(r, "cuMemsetD8Async",
                 "zeroing " + std::to_string(bytes) + " new bytes");
    }
    live_.insert(p);
    return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
  }

  // Never throws: called from destructors. Errors of the queued work show
  // up at the next checked call.
  void release(void *p) override {
    if (!p)
      return;
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (live_.erase(devicePtr(p)) == 0)
      return; // not ours (or released twice)
    d_.cuCtxSetCurrent(ctx_);
    d_.cuStreamSynchronize(stream_); // queued work may still use it
    d_.cuMemFree(devicePtr(p));
  }

  bool hostAddressable() const override { return false; }

  void copyToDevice(void *dst, const void *src, size_t bytes) override {
    if (bytes == 0)
      return;
    auto scope = enter();
    CUresult r = d_.cuMemcpyHtoDAsync(devicePtr(dst), src, bytes, stream_);
    if (r != CUDA_SUCCESS)
      cuda::fail(r, "cuMemcpyHtoDAsync",
                 "copying " + std::to_string(bytes) + " bytes to the device");
  }

  void copyToHost(void *dst, const void *src, size_t bytes) override {
    auto scope = enter();
    CUresult r = bytes == 0 ? CUDA_SUCCESS
                            : d_.cuMemcpyDtoHAsync(dst, devicePtr(src), bytes, stream_);
    if (r != CUDA_SUCCESS)
      cuda::fail(r, "cuMemcpyDtoHAsync",
                 "copying " + std::to_string(bytes) + " bytes to the host");
    synchronize();
  }

  void synchronize() override {
    auto scope = enter();
    CUresult r = d_.cuStreamSynchronize(stream_);
    if (r != CUDA_SUCCESS)
      throw RuntimeError(
          ErrorCode::Runtime,
          cuda::errorText(r, "cuStreamSynchronize",
                          "waiting for the queued work") +
              (syncEveryStep_ ? ""
                              : " (run with SSMC_CUDA_SYNC=1 to find the "
                                "kernel or GEMM that failed)"));
  }

  void zero(void *dst, size_t bytes) override {
    if (bytes == 0)
      return;
    auto scope = enter();
    CUresult r = d_.cuMemsetD8Async(devicePtr(dst), 0, bytes, stream_);
    if (r != CUDA_SUCCESS)
      cuda::fail(r, "cuMemsetD8Async", "zeroing " + std::to_string(bytes) + " bytes");
  }

  void copyWithin(void *dst, const void *src, size_t bytes) override {
    if (bytes == 0)
      return;
    auto scope = enter();
    CUresult r = d_.cuMemcpyDtoDAsync(devicePtr(dst), devicePtr(src), bytes, stream_);
    if (r != CUDA_SUCCESS)
      cuda::fail(r, "cuMemcpyDtoDAsync",
                 "copying " + std::to_string(bytes) + " bytes on the device");
  }

  const void *residentWeight(const void *host, size_t bytes) override {
    auto scope = enter();
    auto it = weights_.find(host);
    if (it != weights_.end() && it->second.bytes >= bytes)
      return reinterpret_cast<const void *>(static_cast<uintptr_t>(it->second.ptr));
    CUdeviceptr p = copyWeight(host, bytes);
    // A larger view of the same host bytes replaces the smaller copy (kept
    // alive: kernels may already point at it).
    if (it != weights_.end())
      retired_.push_back(it->second.ptr);
    weights_[host] = {p, bytes};
    return reinterpret_cast<const void *>(static_cast<uintptr_t>(p));
  }

  const void *residentCopy(const void *host, size_t bytes) override {
    auto scope = enter();
    CUdeviceptr p = copyWeight(host, bytes);
    retired_.push_back(p); // freed with the backend
    return reinterpret_cast<const void *>(static_cast<uintptr_t>(p));
  }

  // A device copy of `bytes` at `host`; the host bytes may go once it
  // returns (pageable memory is staged before the call returns).
  CUdeviceptr copyWeight(const void *host, size_t bytes) {
    CUdeviceptr p = rawAllocate(roundedSize(bytes),
                                "a " + std::to_string(bytes) + "-byte weight");
    if (bytes != 0) {
      CUresult r = d_.cuMemcpyHtoDAsync(p, host, bytes, stream_);
      if (r != CUDA_SUCCESS) {
        d_.cuMemFree(p);
        cuda::fail(r, "cuMemcpyHtoDAsync",
                   "copying a " + std::to_string(bytes) + "-byte weight");
      }
    }
    return p;
  }

  std::unique_ptr<Recording> record(const std::function<void()> &steps) override {
    auto scope = enter(); // held throughout: no other thread's work leaks in
    check(d_.cuStreamBeginCapture(stream_, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
          "cuStreamBeginCapture", "recording a CUDA graph");
    capturing_ = true;
    CUgraph graph = nullptr;
    try {
      steps();
    } catch (...) {
      capturing_ = false;
      if (d_.cuStreamEndCapture(stream_, &graph) == CUDA_SUCCESS && graph)
        d_.cuGraphDestroy(graph);
      throw;
    }
    capturing_ = false;
    CUresult r = d_.cuStreamEndCapture(stream_, &graph);
    if (r != CUDA_SUCCESS) {
      if (graph)
        d_.cuGraphDestroy(graph);
      cuda::fail(r, "cuStreamEndCapture", "recording a CUDA graph");
    }
    CUgraphExec exec = nullptr;
    r = d_.cuGraphInstantiate(&exec, graph, 0);
    d_.cuGraphDestroy(graph); // the executable graph does not need it
    check(r, "cuGraphInstantiate", "recording a CUDA graph");
    return std::make_unique<CudaRecording>(d_, ctx_, exec);
  }

  // Events around the work on the stream: device time, without the host's
  // launch overhead between steps.
  double timeMs(const std::function<void()> &work) override {
    auto scope = enter();
    synchronize();
    CUevent start = nullptr, stop = nullptr;
    check(d_.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate", "timing");
    CUresult r = d_.cuEventCreate(&stop, CU_EVENT_DEFAULT);
    if (r != CUDA_SUCCESS) {
      d_.cuEventDestroy(start);
      check(r, "cuEventCreate", "timing");
    }
    float ms = 0;
    try {
      check(d_.cuEventRecord(start, stream_), "cuEventRecord", "timing");
      work();
      check(d_.cuEventRecord(stop, stream_), "cuEventRecord", "timing");
      check(d_.cuEventSynchronize(stop), "cuEventSynchronize", "timing");
      check(d_.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime", "timing");
    } catch (...) {
      d_.cuEventDestroy(start);
      d_.cuEventDestroy(stop);
      throw;
    }
    d_.cuEventDestroy(start);
    d_.cuEventDestroy(stop);
    return ms;
  }

  void replay(Recording &recording) override {
    auto scope = enter();
    check(d_.cuGraphLaunch(static_cast<CudaRecording &>(recording).exec(), stream_),
          "cuGraphLaunch", "replaying a recorded CUDA graph");
    if (syncEveryStep_)
      check(d_.cuStreamSynchronize(stream_), "cuStreamSynchronize",
            "after replaying a recorded CUDA graph");
  }

private:
  struct DeviceWeight {
    CUdeviceptr ptr;
    size_t bytes;
  };

  // Sessions of one model may run on several threads: the lock keeps their
  // work off the stream while it is being captured, and guards the caches.
  // The context is made current per call because the caller's thread may not
  // be the one that created the backend.
  std::unique_lock<std::recursive_mutex> enter() {
    std::unique_lock<std::recursive_mutex> lock(mutex_);
    check(d_.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
    return lock;
  }

  int attribute(CUdevice_attribute a) {
    int value = 0;
    check(d_.cuDeviceGetAttribute(&value, a, device_), "cuDeviceGetAttribute");
    return value;
  }

  static size_t roundedSize(size_t bytes) {
    if (bytes > std::numeric_limits<size_t>::max() - kAllocationGranule)
      return std::numeric_limits<size_t>::max(); // cuMemAlloc will refuse
    return bytes == 0 ? kAllocationGranule
                      : (bytes + kAllocationGranule - 1) / kAllocationGranule *
                            kAllocationGranule;
  }

  CUdeviceptr rawAllocate(size_t bytes, const std::string &what) {
    CUdeviceptr p = 0;
    CUresult r = d_.cuMemAlloc(&p, bytes);
    if (r == CUDA_ERROR_OUT_OF_MEMORY)
      throw RuntimeError(ErrorCode::Runtime,
                         "cuda: out of device memory allocating " + what);
    check(r, "cuMemAlloc", "allocating " + what);
    return p;
  }

  std::string sm() const {
    return "sm_" + std::to_string(ccMajor_) + std::to_string(ccMinor_);
  }

  // The cubin when it loads on this device, else the JIT-compiled PTX.
  CUmodule loadModule(const ArtifactSection &cubin, const ArtifactSection *ptx,
                      const std::string &path) {
    CUmodule module = nullptr;
    // cuModuleLoadData takes anything that is not an ELF image (or a fat
    // binary) for NUL-terminated PTX text, and a section is not NUL-
    // terminated: only those two, which carry their own sizes, are passed.
    static const unsigned char kElf[4] = {0x7f, 'E', 'L', 'F'};
    static const unsigned char kFatbin[4] = {0x50, 0xed, 0x55, 0xba};
    const bool isBinary = cubin.size >= 64 && (std::memcmp(cubin.data, kElf, 4) == 0 ||
                                               std::memcmp(cubin.data, kFatbin, 4) == 0);
    CUresult r = CUDA_ERROR_INVALID_IMAGE;
    if (isBinary)
      r = d_.cuModuleLoadData(&module, cubin.data);
    if (r == CUDA_SUCCESS)
      return module;
    const std::string cubinWhy =
        "section '" + cubin.name + "': " +
        (isBinary ? "cuModuleLoadData failed: " + cuda::describe(r)
                  : std::string("not a cubin (no ELF header)"));
    if (!ptx)
      throw RuntimeError(codeForLoadFailure(r),
                         path + ": the kernels do not load on this device (" +
                             sm() + "): " + cubinWhy +
                             "; the artifact has no PTX to fall back on");

    std::fprintf(stderr,
                 "ssmc: %s: the cubin in section '%s' does not load on this "
                 "device (%s): JIT-compiling the PTX\n",
                 path.c_str(), cubin.name.c_str(), sm().c_str());
    const std::string text(reinterpret_cast<const char *>(ptx->data),
                           size_t(ptx->size));
    std::vector<char> log(64 * 1024, '\0');
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                              CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log.data(),
                      reinterpret_cast<void *>(static_cast<uintptr_t>(log.size() - 1))};
    CUresult jit = d_.cuModuleLoadDataEx(&module, text.c_str(), 2, options, values);
    if (jit == CUDA_SUCCESS)
      return module;
    std::string jitLog(log.data(), strnlen(log.data(), log.size()));
    while (!jitLog.empty() && (jitLog.back() == '\n' || jitLog.back() == ' '))
      jitLog.pop_back();
    throw RuntimeError(codeForLoadFailure(jit),
                       path + ": the kernels do not load on this device (" +
                           sm() + "): " + cubinWhy + "; section '" + ptx->name +
                           "' (PTX): cuModuleLoadDataEx failed: " +
                           cuda::describe(jit) +
                           (jitLog.empty() ? "" : "; JIT log: " + jitLog));
  }

  // Failures that mean "not for this GPU or driver" rather than breakage.
  static ErrorCode codeForLoadFailure(CUresult r) {
    switch (r) {
    case CUDA_ERROR_NO_BINARY_FOR_GPU:
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
    case CUDA_ERROR_INVALID_PTX: // also: .target newer than this GPU
    case CUDA_ERROR_INVALID_IMAGE:
    case CUDA_ERROR_JIT_COMPILER_NOT_FOUND:
    case CUDA_ERROR_JIT_COMPILATION_DISABLED:
    case CUDA_ERROR_NOT_SUPPORTED:
      return ErrorCode::Unsupported;
    default:
      return ErrorCode::Runtime;
    }
  }

  // Whether the kernel has an 8-byte parameter `words - 1` at byte 8 *
  // (words - 1), as `words` descriptor words need (true when this driver
  // cannot say). Only that one parameter is asked for: probing past the last
  // one is an API error, which compute-sanitizer reports.
  bool lastParameterFits(CUfunction f, size_t words) {
    if (!d_.cuFuncGetParamInfo || words == 0)
      return true;
    size_t offset = 0, size = 0;
    CUresult r = d_.cuFuncGetParamInfo(f, words - 1, &offset, &size);
    if (r == CUDA_ERROR_INVALID_VALUE)
      return false;
    return r != CUDA_SUCCESS || (offset == 8 * (words - 1) && size == 8);
  }

  bool runsAsSkinnyGemm(const GemmCall &call) const override {
    return call.m > 0 && call.n > 0 && gemvFor(call) != nullptr;
  }

  // bf16 GEMMs read bf16 copies only, but for narrow products (see
  // gemm), which keep f32 for cuBLASLt too. Otherwise the one-row kernel
  // reads bf16-stored weights as stored.
  GemmWeights gemmWeights(const KernelImage &image, int64_t rows) const override {
    GemmWeights copies;
    if (image.gemmMath == GemmMath::BF16) {
      copies.bf16 = true;
      copies.f32 = rows <= kNarrowProductColumns;
      return copies;
    }
    copies.storedBf16 = gemvEnabled_ && std::any_of(image.gemv.begin(), image.gemv.end(),
                                                    [](const KernelImage::Gemv &g) {
                                                      return g.weight == DType::BF16;
                                                    });
    return copies;
  }

  // The skinny-GEMM kernel for `g`: the smallest tile that holds its rows,
  // reading b in bf16 when it has that copy, when the operands suit the
  // kernels' 16-byte loads (passes/gpu/GemvKernel.h) and where they beat
  // cuBLASLt on the H100 (docs/perf.md): a single row always, up to
  // kGemvMaxRows rows of f32 weights when the GEMMs are exact fp32 (TF32's
  // tensor cores win there); null for cuBLASLt.
  const LoadedGemv *gemvFor(const GemmCall &g) const {
    if (!gemvEnabled_ || g.k == 0)
      return nullptr;
    auto aligned = [](const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
    auto fits = [&](DType weight) {
      const int64_t width = gemvLoadWidth(weight);
      const void *b = weight == DType::BF16 ? static_cast<const void *>(g.bBf16) : g.b;
      return b && g.k % width == 0 && g.lda % 4 == 0 && g.ldb % width == 0 && aligned(g.a) &&
             aligned(b);
    };
    for (DType weight : {DType::BF16, DType::F32}) {
      const int64_t most = weight == DType::F32 && gemmMath_ == GemmMath::F32 ? kGemvMaxRows : 1;
      if (g.m > most || !fits(weight))
        continue;
      for (const LoadedGemv &v : gemvs_)
        if (v.fused.empty() && v.weight == weight && g.m <= v.maxRows)
          return &v;
    }
    return nullptr;
  }

  std::unique_ptr<PreparedKernel> prepareFusedGemv(const GemmCall &call,
                                                   const std::string &family,
                                                   std::vector<Descriptor> args) override {
    auto scope = enter();
    const GemmCall g = withVectorLeadingDims(call); // as gemm() reads it
    const LoadedGemv *plain = fusedGemvEnabled_ && !args.empty() ? gemvFor(g) : nullptr;
    if (!plain)
      return nullptr;
    const LoadedGemv *v = nullptr;
    for (const LoadedGemv &candidate : gemvs_)
      if (!v && candidate.fused == family && candidate.weight == plain->weight &&
          g.m <= candidate.maxRows)
        v = &candidate;
    if (!v)
      return nullptr;
    // The block stages its tile's rows of the norm's output in shared
    // memory: rows * k floats, within what the kernel was built to take.
    const LaunchDesc &stage = kernels_[size_t(v->kernel)].launch.stages.front();
    const int64_t stageBytes = v->maxRows * g.k * int64_t(sizeof(float));
    if (stageBytes > stage.sharedBytes)
      return nullptr;
    const void *b = v->weight == DType::BF16 ? static_cast<const void *>(g.bBf16) : g.b;
    args.insert(args.begin() + 1, memrefDescriptor(b, 0, {g.n, g.k}, {g.ldb, 1}));
    // The vector loads and stores need 16-byte aligned rows of f32 (the
    // weight's were checked for the plain kernel).
    for (int a : stage.unitInnerStride) {
      if (size_t(a) >= args.size())
        return nullptr;
      const Descriptor &d = args[size_t(a)];
      const size_t rank = (d.size() - 3) / 2;
      bool aligned = a == 1 || (d[1] + d[2] * 4) % 16 == 0;
      for (size_t i = 0; a != 1 && i + 1 < rank; ++i)
        aligned = aligned && (d[3 + rank + i] * 4) % 16 == 0;
      if (!aligned)
        return nullptr;
    }
    std::unique_ptr<PreparedKernel> prepared = prepareKernel(v->kernel, std::move(args));
    BoundLaunch &l = static_cast<CudaKernel &>(*prepared).launches.front();
    l.sharedBytes = unsigned(stageBytes);
    // Every block stages the rows again: no more blocks than run at once.
    int perMultiprocessor = 0;
    check(d_.cuOccupancyMaxActiveBlocksPerMultiprocessor(&perMultiprocessor, l.function,
                                                         int(l.block[0]), size_t(stageBytes)),
          "cuOccupancyMaxActiveBlocksPerMultiprocessor", "kernel " + l.name);
    const unsigned resident = unsigned(std::max(1, perMultiprocessor * multiprocessors_));
    if (unsigned blocks = gemvBlocks(*v, g))
      l.grid[0] = std::min(blocks, resident);
    return prepared;
  }

  void runGemv(const LoadedGemv &v, const GemmCall &g) {
    const void *b = v.weight == DType::BF16 ? static_cast<const void *>(g.bBf16) : g.b;
    // The kernel reads "no bias" from a bias of size 0.
    launchCached(v.kernel,
                 {memrefDescriptor(g.a, 0, {g.m, g.k}, {g.lda, 1}),
                  memrefDescriptor(b, 0, {g.n, g.k}, {g.ldb, 1}),
                  memrefDescriptor(g.bias ? g.bias : g.c, 0, {g.bias ? g.n : 0}, {1}),
                  memrefDescriptor(g.c, 0, {g.m, g.n}, {g.ldc, 1})},
                 gemvBlocks(v, g));
  }

  // A block per group of rows the kernel gives a block (GemvKernel.h): S
  // warps share a row, S the smallest power of two up to the block's warps
  // with ceil(k / stretch) <= S * P, so a block takes warps / S rows. (The
  // launch's grid, a product of sizes, cannot round S up.) 0: the launch's
  // grid.
  unsigned gemvBlocks(const LoadedGemv &v, const GemmCall &g) const {
    if (v.stretchesPerWarp < 1)
      return 0;
    const int64_t warps = kernels_[size_t(v.kernel)].launch.stages.front().block[0] / 32;
    const int64_t stretch = 32 * gemvLoadWidth(v.weight); // a warp's loads, 16 bytes a lane
    const int64_t rowStretches = (g.k + stretch - 1) / stretch;
    int64_t split = 1;
    while (split < warps && rowStretches > split * v.stretchesPerWarp)
      split *= 2;
    const int64_t rows = std::max<int64_t>(1, warps / split);
    return unsigned(std::min<int64_t>((g.n + rows - 1) / rows, maxGrid_[0]));
  }

  // g's rows of a rounded to bf16 (the image's round_bf16 kernel) into the
  // scratch, [m, k] with leading dim k. The scratch only grows, and only
  // outside a recording: a plan's first run is never recorded
  // (Session::execute), so by then it has made the scratch large enough.
  // A replaced scratch is kept: recorded graphs may still use it.
  const void *roundToBf16(const GemmCall &g) {
    const size_t bytes = size_t(g.m) * size_t(g.k) * sizeof(uint16_t);
    if (bytes > roundScratchBytes_) {
      if (capturing_)
        throw RuntimeError(ErrorCode::Runtime,
                           "cuda: " + gemmText(g) +
                               ": its bf16 activations need more scratch while a CUDA graph "
                               "is recorded");
      const size_t grown = std::max(bytes, 2 * roundScratchBytes_);
      CUdeviceptr p = rawAllocate(roundedSize(grown), "the bf16 activations of " + gemmText(g));
      if (roundScratch_)
        retired_.push_back(roundScratch_);
      roundScratch_ = p, roundScratchBytes_ = grown;
    }
    void *rounded = reinterpret_cast<void *>(static_cast<uintptr_t>(roundScratch_));
    launchCached(roundBf16_, {memrefDescriptor(g.a, 0, {g.m, g.k}, {g.lda, 1}),
                              memrefDescriptor(rounded, 0, {g.m, g.k}, {g.k, 1})});
    return rounded;
  }

  // `l` allowed to overlap the end of the kernel before it in the stream:
  // its blocks may be scheduled once that kernel's blocks have all started
  // (decode's kernels signal it right after their own wait) and wait for it to
  // finish before touching memory. After a copy, or a cuBLASLt kernel that
  // signals nothing, it starts about as an ordinary launch would.
  CUresult launchProgrammatic(BoundLaunch &l) {
    CUlaunchAttribute overlap{};
    overlap.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    overlap.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{};
    config.gridDimX = l.grid[0];
    config.gridDimY = l.grid[1];
    config.gridDimZ = l.grid[2];
    config.blockDimX = l.block[0];
    config.blockDimY = l.block[1];
    config.blockDimZ = l.block[2];
    config.sharedMemBytes = l.sharedBytes;
    config.hStream = stream_;
    config.attrs = &overlap;
    config.numAttrs = 1;
    return d_.cuLaunchKernelEx(&config, l.function, l.params.data(), /*extra=*/nullptr);
  }

  // Launches kernel `index` on `args`, prepared once per argument list.
  // `blocks` > 0 replaces the grid's x extent (a one-stage, grid-stride
  // kernel, where any grid is correct).
  void launchCached(int index, std::vector<Descriptor> args, unsigned blocks = 0) {
    std::vector<int64_t> key{index, blocks};
    for (const Descriptor &d : args) {
      key.push_back(int64_t(d.size()));
      key.insert(key.end(), d.begin(), d.end());
    }
    auto found = prepared_.find(key);
    if (found == prepared_.end()) {
      if (prepared_.size() >= kMaxPreparedLaunches)
        prepared_.clear();
      std::unique_ptr<PreparedKernel> prepared = prepareKernel(index, std::move(args));
      if (blocks > 0)
        static_cast<CudaKernel &>(*prepared).launches.front().grid[0] = blocks;
      found = prepared_.emplace(std::move(key), std::move(prepared)).first;
    }
    launch(*found->second);
  }

  static std::string gemmText(const GemmCall &g) {
    return "gemm m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) +
           " k=" + std::to_string(g.k) + " lda=" + std::to_string(g.lda) +
           " ldb=" + std::to_string(g.ldb) + " ldc=" + std::to_string(g.ldc) +
           (g.bias ? " with bias" : "");
  }

  // Every row of c becomes the bias, in log2(m) + 1 copies (each doubling
  // the filled rows): for a bias cuBLASLt's epilogue cannot take, and k = 0.
  void fillRowsWithBias(const GemmCall &g) {
    const size_t pitch = size_t(g.ldc) * sizeof(float);
    CUDA_MEMCPY2D copy{};
    copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.WidthInBytes = size_t(g.n) * sizeof(float);
    copy.srcDevice = devicePtr(g.bias);
    copy.srcPitch = copy.WidthInBytes;
    copy.dstDevice = devicePtr(g.c);
    copy.dstPitch = pitch;
    copy.Height = 1;
    check(d_.cuMemcpy2DAsync(&copy, stream_), "cuMemcpy2DAsync", gemmText(g));
    for (int64_t filled = 1; filled < g.m;) {
      const int64_t rows = std::min(filled, g.m - filled);
      copy.srcDevice = devicePtr(g.c);
      copy.srcPitch = pitch;
      copy.dstDevice = devicePtr(g.c) + size_t(filled) * pitch;
      copy.Height = size_t(rows);
      check(d_.cuMemcpy2DAsync(&copy, stream_), "cuMemcpy2DAsync", gemmText(g));
      filled += rows;
    }
  }

  // The cached plan for this shape, made (and its algorithm chosen) once;
  // not usable when cuBLASLt has no algorithm for it.
  const GemmPlan &planFor(const GemmCall &g, const GemmOperands &ops, bool biasEpilogue) {
    const GemmKey key{g.m, g.n, g.k, ops.lda, g.ldb, g.ldc,
                      alignmentOf(ops.b), alignmentOf(ops.a), alignmentOf(g.c),
                      biasEpilogue, gemmMath_, ops.bf16};
    auto found = gemmPlans_.find(key);
    if (found != gemmPlans_.end())
      return found->second;

    const std::string what = gemmText(g);
    GemmPlan plan;
    cublasLtMatmulPreference_t preference = nullptr;
    try {
      // bf16 operands accumulate in fp32; f32 operands of bf16 GEMMs
      // (narrow products, b not a weight) multiply in TF32.
      const cublasComputeType_t compute =
          ops.bf16                     ? CUBLAS_COMPUTE_32F
          : gemmMath_ == GemmMath::F32 ? CUBLAS_COMPUTE_32F
                                       : CUBLAS_COMPUTE_32F_FAST_TF32;
      const cudaDataType_t operand = ops.bf16 ? CUDA_R_16BF : CUDA_R_32F;
      check(lt_.cublasLtMatmulDescCreate(&plan.desc, compute, CUDA_R_32F),
            "cublasLtMatmulDescCreate", what);
      const int32_t transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
      const uint32_t epilogue =
          biasEpilogue ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
      check(lt_.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                               &transA, sizeof(transA)),
            "cublasLtMatmulDescSetAttribute", what);
      check(lt_.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB,
                                               &transB, sizeof(transB)),
            "cublasLtMatmulDescSetAttribute", what);
      check(lt_.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                               &epilogue, sizeof(epilogue)),
            "cublasLtMatmulDescSetAttribute", what);
      check(lt_.cublasLtMatrixLayoutCreate(&plan.ltA, operand, uint64_t(g.k),
                                           uint64_t(g.n), g.ldb),
            "cublasLtMatrixLayoutCreate", what);
      check(lt_.cublasLtMatrixLayoutCreate(&plan.ltB, operand, uint64_t(g.k),
                                           uint64_t(g.m), ops.lda),
            "cublasLtMatrixLayoutCreate", what);
      check(lt_.cublasLtMatrixLayoutCreate(&plan.ltC, CUDA_R_32F, uint64_t(g.n),
                                           uint64_t(g.m), g.ldc),
            "cublasLtMatrixLayoutCreate", what);

      check(lt_.cublasLtMatmulPreferenceCreate(&preference),
            "cublasLtMatmulPreferenceCreate", what);
      const uint64_t workspace = kGemmWorkspaceBytes;
      setPreference(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                    &workspace, sizeof(workspace), what);
      // The heuristic assumes 256-byte aligned operands unless told.
      const uint32_t align[4] = {key.alignA, key.alignB, key.alignC, key.alignC};
      setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                    &align[0], sizeof(uint32_t), what);
      setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                    &align[1], sizeof(uint32_t), what);
      setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    &align[2], sizeof(uint32_t), what);
      setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                    &align[3], sizeof(uint32_t), what);

      cublasLtMatmulHeuristicResult_t result{};
      int returned = 0;
      cublasStatus_t s = lt_.cublasLtMatmulAlgoGetHeuristic(
          blas_, plan.desc, plan.ltA, plan.ltB, plan.ltC, plan.ltC, preference,
          1, &result, &returned);
      if (s != CUBLAS_STATUS_NOT_SUPPORTED)
        check(s, "cublasLtMatmulAlgoGetHeuristic", what);
      lt_.cublasLtMatmulPreferenceDestroy(preference);
      preference = nullptr;
      if (s == CUBLAS_STATUS_SUCCESS && returned > 0 &&
          result.state == CUBLAS_STATUS_SUCCESS) {
        plan.algo = result.algo;
        plan.usable = true;
      } else {
        destroyPlan(plan); // remembered as unusable: not asked again
      }
    } catch (...) {
      if (preference)
        lt_.cublasLtMatmulPreferenceDestroy(preference);
      destroyPlan(plan);
      throw;
    }
    return gemmPlans_.emplace(key, plan).first->second;
  }

  void setPreference(cublasLtMatmulPreference_t p,
                     cublasLtMatmulPreferenceAttributes_t attribute,
                     const void *value, size_t size, const std::string &what) {
    check(lt_.cublasLtMatmulPreferenceSetAttribute(p, attribute, value, size),
          "cublasLtMatmulPreferenceSetAttribute", what);
  }

  void destroyPlan(GemmPlan &plan) noexcept {
    if (plan.ltA)
      lt_.cublasLtMatrixLayoutDestroy(plan.ltA);
    if (plan.ltB)
      lt_.cublasLtMatrixLayoutDestroy(plan.ltB);
    if (plan.ltC)
      lt_.cublasLtMatrixLayoutDestroy(plan.ltC);
    if (plan.desc)
      lt_.cublasLtMatmulDescDestroy(plan.desc);
    plan = GemmPlan{};
  }

  // Used by the destructor and by a failing constructor; ignores errors (a
  // faulted context fails them all, and there is nobody left to tell).
  void releaseEverything() noexcept {
    if (!ctx_)
      return;
    d_.cuCtxSetCurrent(ctx_);
    if (stream_)
      d_.cuStreamSynchronize(stream_);
    for (auto &entry : gemmPlans_)
      destroyPlan(entry.second);
    gemmPlans_.clear();
    if (blas_)
      lt_.cublasLtDestroy(blas_);
    blas_ = nullptr;
    if (workspace_)
      d_.cuMemFree(workspace_);
    workspace_ = 0;
    for (auto &entry : weights_)
      d_.cuMemFree(entry.second.ptr);
    weights_.clear();
    for (CUdeviceptr p : retired_)
      d_.cuMemFree(p);
    retired_.clear();
    if (roundScratch_)
      d_.cuMemFree(roundScratch_);
    roundScratch_ = 0, roundScratchBytes_ = 0;
    for (CUdeviceptr p : live_) // what the caller never released
      d_.cuMemFree(p);
    live_.clear();
    prepared_.clear();
    kernels_.clear();
    for (CUmodule m : modules_)
      d_.cuModuleUnload(m);
    modules_.clear();
    if (stream_)
      d_.cuStreamDestroy(stream_);
    stream_ = nullptr;
    d_.cuDevicePrimaryCtxRelease(device_);
    ctx_ = nullptr;
  }

  const cuda::Driver &d_;
  const cuda::BlasLt &lt_;
  std::recursive_mutex mutex_;
  CUdevice device_ = 0;
  CUcontext ctx_ = nullptr; // retained primary context
  int ccMajor_ = 0, ccMinor_ = 0;
  uint64_t maxGrid_[3] = {0, 0, 0};
  int multiprocessors_ = 0;
  CUstream stream_ = nullptr;
  cublasLtHandle_t blas_ = nullptr;
  CUdeviceptr workspace_ = 0;
  bool syncEveryStep_ = false;
  bool capturing_ = false;
  std::vector<CUmodule> modules_;
  std::vector<LoadedKernel> kernels_;
  int samplerIndex_ = -1; // kernels_ index of the sampler kernel
  std::vector<LoadedGemv> gemvs_; // by maxRows
  bool gemvEnabled_ = true; // SSMC_CUDA_GEMV=0 turns them off (A/B timing)
  // SSMC_CUDA_FUSED_GEMV=0 runs the steps a fused one stands for instead
  // (A/B timing).
  bool fusedGemvEnabled_ = true;
  // Programmatic dependent launch: the device and driver have it and
  // SSMC_CUDA_PDL=0 does not turn it off (A/B timing); used for the
  // kernels of an image that wait on their grid dependencies.
  bool programmaticAllowed_ = false;
  bool programmatic_ = false;
  std::map<GemmKey, GemmPlan> gemmPlans_;
  GemmMath gemmMath_ = GemmMath::F32; // the loaded image's
  std::unordered_set<CUdeviceptr> live_; // allocate()d, not yet released
  std::unordered_map<const void *, DeviceWeight> weights_; // by host address
  // Device memory new work no longer gets but recorded graphs may still
  // use: weight copies not (or no longer) in weights_ (transient sources,
  // replaced smaller copies) and replaced scratch; freed with the backend.
  std::vector<CUdeviceptr> retired_;
  int roundBf16_ = -1; // kernels_ index of the bf16 rounding kernel
  CUdeviceptr roundScratch_ = 0; // bf16 activations of the current GEMM
  size_t roundScratchBytes_ = 0;
  std::map<std::vector<int64_t>, std::unique_ptr<PreparedKernel>> prepared_; // launchCached
};

} // namespace

std::unique_ptr<Backend> createCudaBackend(const BackendOptions &options) {
  return std::make_unique<CudaBackend>(options);
}

bool cudaAvailable() {
  try {
    const cuda::Driver &d = cuda::driver();
    cuda::blasLt();
    int count = 0;
    return d.cuDeviceGetCount(&count) == CUDA_SUCCESS && count > 0;
  } catch (const RuntimeError &) {
    return false;
  }
}

} // namespace ssmc
