// ssmc runtime errors: one exception type carrying a status code and a
// message that names the file (or object) and the problem.
#ifndef SSMC_ERROR_H
#define SSMC_ERROR_H

#include <stdexcept>
#include <string>

namespace ssmc {

// Values match the C API's ssmc_status (runtime.h).
enum class ErrorCode : int {
  InvalidArgument = 1, // the caller passed something wrong (null, bad batch)
  Io = 2,              // a file could not be opened, read or mapped
  BadArtifact = 3,     // the artifact or its manifest is malformed
  Unsupported = 4,     // well-formed, but this build/backend cannot run it
  BadInput = 5,        // token ids out of range and similar input data
  Runtime = 6,         // failure while executing (allocation, kernel load)
};

class RuntimeError : public std::runtime_error {
public:
  RuntimeError(ErrorCode code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

private:
  ErrorCode code_;
};

} // namespace ssmc

#endif // SSMC_ERROR_H
