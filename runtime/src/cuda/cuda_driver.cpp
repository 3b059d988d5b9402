// Opening the CUDA driver and cuBLASLt at run time, and the error messages
// of their failures.
#include "cuda_driver.h"

#include <dlfcn.h>

namespace ssmc {
namespace cuda {

namespace {

// dlerror() after a failed dlopen/dlsym, or a fallback.
std::string lastDlError(const char *fallback) {
  const char *e = dlerror();
  return e ? e : fallback;
}

std::string describeWith(const Driver &d, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName)
    d.cuGetErrorName(result, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(result, &text);
  std::string s = name ? name : "CUDA error " + std::to_string(int(result));
  if (text)
    s += std::string(" (") + text + ")";
  return s;
}

template <typename Fn>
bool bindSymbol(void *library, const char *symbol, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  return fn != nullptr;
}

struct LoadedDriver {
  Driver driver;
  std::string error; // empty when usable
};

LoadedDriver loadDriver() {
  LoadedDriver loaded;
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    loaded.error = "cuda: no CUDA driver: " + lastDlError("libcuda.so.1 not found");
    return loaded;
  }
  Driver &d = loaded.driver;
#define SSMC_BIND_REQUIRED(fn)                                                 \
  if (loaded.error.empty() &&                                                  \
      !bindSymbol(library, SSMC_CUDA_STRINGIZE_EXPANDED(fn), d.fn))            \
    loaded.error = "cuda: the CUDA driver is too old: it lacks " +             \
                   std::string(SSMC_CUDA_STRINGIZE_EXPANDED(fn)) + " (" +      \
                   lastDlError("not found") + ")";
#define SSMC_BIND_OPTIONAL(fn)                                                 \
  bindSymbol(library, SSMC_CUDA_STRINGIZE_EXPANDED(fn), d.fn);
  SSMC_CUDA_DRIVER_FUNCTIONS(SSMC_BIND_REQUIRED)
  SSMC_CUDA_OPTIONAL_DRIVER_FUNCTIONS(SSMC_BIND_OPTIONAL)
#undef SSMC_BIND_OPTIONAL
  if (!loaded.error.empty())
    return loaded;
  // cuGetErrorName works without a successful cuInit (e.g. with the
  // toolkit's stub libcuda, which fails it with CUDA_ERROR_STUB_LIBRARY).
  CUresult r = d.cuInit(0);
  if (r != CUDA_SUCCESS)
    loaded.error = "cuda: cuInit failed: " + describeWith(d, r);
  return loaded;
}

struct LoadedBlasLt {
  BlasLt blasLt;
  std::string error;
};

LoadedBlasLt loadBlasLt() {
  LoadedBlasLt loaded;
  std::string why;
  void *library = nullptr;
  for (const char *name : {"libcublasLt.so.13", "libcublasLt.so"}) {
    library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library)
      break;
    why += (why.empty() ? "" : "; ") + lastDlError(name);
  }
  if (!library) {
    loaded.error = "cuda: no cuBLASLt library: " + why;
    return loaded;
  }
  BlasLt &d = loaded.blasLt;
  SSMC_CUBLASLT_FUNCTIONS(SSMC_BIND_REQUIRED)
#undef SSMC_BIND_REQUIRED
  return loaded;
}

// Loaded once per process and never closed, so the pointers stay valid
// until exit (backends destroyed from static destructors included).
const LoadedDriver &loadedDriver() {
  static const LoadedDriver loaded = loadDriver();
  return loaded;
}

} // namespace

const Driver &driver() {
  const LoadedDriver &loaded = loadedDriver();
  if (!loaded.error.empty())
    throw RuntimeError(ErrorCode::Unsupported, loaded.error);
  return loaded.driver;
}

const BlasLt &blasLt() {
  static const LoadedBlasLt loaded = loadBlasLt();
  if (!loaded.error.empty())
    throw RuntimeError(ErrorCode::Unsupported, loaded.error);
  return loaded.blasLt;
}

std::string describe(CUresult result) {
  return describeWith(loadedDriver().driver, result);
}

std::string errorText(CUresult result, const char *call,
                      const std::string &context) {
  return "cuda: " + (context.empty() ? "" : context + ": ") + call +
         " failed: " + describe(result);
}

void fail(CUresult result, const char *call, const std::string &context,
          ErrorCode code) {
  throw RuntimeError(code, errorText(result, call, context));
}

std::string describe(cublasStatus_t status) {
  // Only reached after blasLt() succeeded, so the table is complete.
  const BlasLt &lt = blasLt();
  const char *name = lt.cublasLtGetStatusName(status);
  const char *text = lt.cublasLtGetStatusString(status);
  std::string s = name ? name : "cuBLAS status " + std::to_string(int(status));
  if (text)
    s += std::string(" (") + text + ")";
  return s;
}

void fail(cublasStatus_t status, const char *call, const std::string &context,
          ErrorCode code) {
  throw RuntimeError(code, "cuda: " + (context.empty() ? "" : context + ": ") +
                               call + " failed: " + describe(status));
}

} // namespace cuda
} // namespace ssmc
