// The CUDA driver API and cuBLASLt, opened with dlopen when a cuda backend is
// first asked for. The runtime never links libcuda or libcublasLt, so it
// loads and runs (on the cpu) on machines with no GPU and no driver.
//
// cuda.h #defines many entry points to versioned symbols (cuMemAlloc ->
// cuMemAlloc_v2, cuGraphInstantiate -> cuGraphInstantiateWithFlags). The
// tables below use the same macros: a member declared as cuMemAlloc is really
// named cuMemAlloc_v2, its type is that of ::cuMemAlloc_v2, and it is looked
// up as "cuMemAlloc_v2"; callers write driver.cuMemAlloc(...) and get the
// same expansion, so the header decides every name and signature.
#ifndef SSMC_SRC_CUDA_CUDA_DRIVER_H
#define SSMC_SRC_CUDA_CUDA_DRIVER_H

#include "ssmc/error.h"

#include <cublasLt.h>
#include <cuda.h>

#include <string>

namespace ssmc {
namespace cuda {

#define SSMC_CUDA_DRIVER_FUNCTIONS(X)                                          \
  X(cuInit)                                                                    \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuDeviceGetCount)                                                          \
  X(cuDeviceGet)                                                               \
  X(cuDeviceGetAttribute)                                                      \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuDevicePrimaryCtxRelease)                                                 \
  X(cuCtxSetCurrent)                                                           \
  X(cuStreamCreate)                                                            \
  X(cuStreamDestroy)                                                           \
  X(cuStreamSynchronize)                                                       \
  X(cuModuleLoadData)                                                          \
  X(cuModuleLoadDataEx)                                                        \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuFuncSetAttribute)                                                        \
  X(cuLaunchKernel)                                                            \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemcpyHtoDAsync)                                                         \
  X(cuMemcpyDtoHAsync)                                                         \
  X(cuMemcpyDtoDAsync)                                                         \
  X(cuMemcpy2DAsync)                                                           \
  X(cuMemsetD8Async)                                                           \
  X(cuMemsetD2D32Async)                                                        \
  X(cuStreamBeginCapture)                                                      \
  X(cuStreamEndCapture)                                                        \
  X(cuGraphInstantiate)                                                        \
  X(cuGraphLaunch)                                                             \
  X(cuGraphExecDestroy)                                                        \
  X(cuGraphDestroy)                                                            \
  X(cuEventCreate)                                                             \
  X(cuEventDestroy)                                                            \
  X(cuEventRecord)                                                             \
  X(cuEventSynchronize)                                                        \
  X(cuEventElapsedTime)                                                        \
  X(cuOccupancyMaxActiveBlocksPerMultiprocessor)

// Newer than some drivers we still run on: null when the driver lacks them.
#define SSMC_CUDA_OPTIONAL_DRIVER_FUNCTIONS(X)                                 \
  X(cuFuncGetParamInfo) /* 12.4: lets us check a kernel's parameter count */ \
  X(cuLaunchKernelEx)   /* 12.0: programmatic dependent launch */

#define SSMC_CUBLASLT_FUNCTIONS(X)                                             \
  X(cublasLtCreate)                                                            \
  X(cublasLtDestroy)                                                           \
  X(cublasLtGetStatusName)                                                     \
  X(cublasLtGetStatusString)                                                   \
  X(cublasLtMatmulDescCreate)                                                  \
  X(cublasLtMatmulDescDestroy)                                                 \
  X(cublasLtMatmulDescSetAttribute)                                            \
  X(cublasLtMatrixLayoutCreate)                                                \
  X(cublasLtMatrixLayoutDestroy)                                               \
  X(cublasLtMatmulPreferenceCreate)                                            \
  X(cublasLtMatmulPreferenceDestroy)                                           \
  X(cublasLtMatmulPreferenceSetAttribute)                                      \
  X(cublasLtMatmulAlgoGetHeuristic)                                            \
  X(cublasLtMatmul)

#define SSMC_CUDA_DECLARE_POINTER(fn) decltype(&::fn) fn = nullptr;

struct Driver {
  SSMC_CUDA_DRIVER_FUNCTIONS(SSMC_CUDA_DECLARE_POINTER)
  SSMC_CUDA_OPTIONAL_DRIVER_FUNCTIONS(SSMC_CUDA_DECLARE_POINTER)
};

struct BlasLt {
  SSMC_CUBLASLT_FUNCTIONS(SSMC_CUDA_DECLARE_POINTER)
};

#undef SSMC_CUDA_DECLARE_POINTER

// The process-wide driver, opened and cuInit'ed once (never closed: the
// pointers stay valid until exit). Throws RuntimeError(Unsupported) with a
// message starting "cuda: " when there is no driver or cuInit fails.
const Driver &driver();
// The process-wide cuBLASLt ("libcublasLt.so.13", else "libcublasLt.so").
// Throws RuntimeError(Unsupported) when it cannot be opened.
const BlasLt &blasLt();

// The symbol dlsym looks up for an entry point, after cuda.h's renaming
// (for the report in a message and for tests).
#define SSMC_CUDA_STRINGIZE_EXPANDED(name) SSMC_CUDA_STRINGIZE(name)
#define SSMC_CUDA_STRINGIZE(name) #name

// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
std::string describe(CUresult result);
// "cuda: <context>: <call> failed: CUDA_ERROR_X (description)"; the context
// (e.g. "kernel ssmc_k3") is left out when empty.
std::string errorText(CUresult result, const char *call,
                      const std::string &context = {});
[[noreturn]] void fail(CUresult result, const char *call,
                       const std::string &context = {},
                       ErrorCode code = ErrorCode::Runtime);
inline void check(CUresult result, const char *call,
                  const std::string &context = {},
                  ErrorCode code = ErrorCode::Runtime) {
  if (result != CUDA_SUCCESS)
    fail(result, call, context, code);
}

// The same for cuBLASLt statuses: "cuda: <context>: <call> failed:
// CUBLAS_STATUS_X (description)".
std::string describe(cublasStatus_t status);
[[noreturn]] void fail(cublasStatus_t status, const char *call,
                       const std::string &context = {},
                       ErrorCode code = ErrorCode::Runtime);
inline void check(cublasStatus_t status, const char *call,
                  const std::string &context = {},
                  ErrorCode code = ErrorCode::Runtime) {
  if (status != CUBLAS_STATUS_SUCCESS)
    fail(status, call, context, code);
}

} // namespace cuda
} // namespace ssmc

#endif // SSMC_SRC_CUDA_CUDA_DRIVER_H
