// Shared by the C API files: the handle structs and the exception guard that
// turns RuntimeError into a status plus the thread-local message.
#ifndef SSMC_SRC_C_API_INTERNAL_H
#define SSMC_SRC_C_API_INTERNAL_H

#include "session.h"

#include "ssmc/error.h"
#include "ssmc/runtime.h"

#include <memory>
#include <new>
#include <string>

struct ssmc_model {
  std::shared_ptr<ssmc::Model> model;
};

struct ssmc_session {
  std::unique_ptr<ssmc::Session> session;
};

namespace ssmc_capi {

// The calling thread's last failure message (c_api.cpp).
std::string &lastError();

template <typename F> ssmc_status guard(F &&f) {
  try {
    f();
    return SSMC_OK;
  } catch (const ssmc::RuntimeError &e) {
    lastError() = e.what();
    return static_cast<ssmc_status>(e.code());
  } catch (const std::bad_alloc &) {
    lastError() = "out of memory";
    return SSMC_ERROR_RUNTIME;
  } catch (const std::exception &e) {
    lastError() = std::string("internal error: ") + e.what();
    return SSMC_ERROR_RUNTIME;
  } catch (...) {
    lastError() = "internal error: unknown exception";
    return SSMC_ERROR_RUNTIME;
  }
}

inline void require(bool ok, const char *what) {
  if (!ok)
    throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                             std::string(what) + " is null");
}

} // namespace ssmc_capi

#endif // SSMC_SRC_C_API_INTERNAL_H
