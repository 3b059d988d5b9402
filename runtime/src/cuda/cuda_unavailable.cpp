// The cuda backend of a build made without the CUDA headers: asking for it
// says so, and CUDA is never available.
#include "../backend.h"

#include "ssmc/error.h"

namespace ssmc {

std::unique_ptr<Backend> createCudaBackend(const BackendOptions &options) {
  (void)options;
  throw RuntimeError(ErrorCode::Unsupported,
                     "this ssmc runtime was built without CUDA support");
}

bool cudaAvailable() { return false; }

} // namespace ssmc
