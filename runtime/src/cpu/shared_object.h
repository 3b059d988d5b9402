// Loads an in-memory ELF shared object with dlopen, without leaving files
// behind: memfd_create + dlopen("/proc/self/fd/N"), or a temporary file when
// memfd is unavailable.
#ifndef SSMC_SRC_CPU_SHARED_OBJECT_H
#define SSMC_SRC_CPU_SHARED_OBJECT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace ssmc {

class SharedObject {
public:
  // Throws RuntimeError naming `where` when the image is not a loadable
  // x86-64 ELF shared object.
  SharedObject(const uint8_t *image, size_t size, const std::string &where);
  ~SharedObject();
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;

  // nullptr when the symbol is not defined.
  void *symbol(const std::string &name) const;

private:
  void cleanup();

  void *handle_ = nullptr;
  int fd_ = -1;          // kept open while loaded: see the .cpp
  std::string tempPath_; // the fallback file, removed on destruction
};

} // namespace ssmc

#endif // SSMC_SRC_CPU_SHARED_OBJECT_H
