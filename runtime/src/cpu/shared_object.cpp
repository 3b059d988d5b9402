// SharedObject: memfd/temp-file backed dlopen of a kernel image.
#include "shared_object.h"

#include "ssmc/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace ssmc {

namespace {

[[noreturn]] void fail(const std::string &where, const std::string &what,
                       ErrorCode code = ErrorCode::BadArtifact) {
  throw RuntimeError(code, where + ": " + what);
}

bool writeAll(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

} // namespace

SharedObject::SharedObject(const uint8_t *image, size_t size,
                           const std::string &where) {
  // Cheap sanity checks first, so garbage never reaches the dynamic loader.
  if (size < 64 || std::memcmp(image, "\x7f" "ELF", 4) != 0)
    fail(where, "kernel image is not an ELF file");
  if (image[4] != 2 || image[5] != 1)
    fail(where, "kernel image is not a 64-bit little-endian ELF file");
  uint16_t type = image[16] | (image[17] << 8);
  uint16_t machine = image[18] | (image[19] << 8);
  if (type != 3 /*ET_DYN*/)
    fail(where, "kernel image is not an ELF shared object");
  if (machine != 62 /*EM_X86_64*/)
    fail(where, "kernel image is not for x86-64 (e_machine " +
                    std::to_string(machine) + ")",
         ErrorCode::Unsupported);

  std::string path;
  fd_ = static_cast<int>(::memfd_create("ssmc-host.so", MFD_CLOEXEC));
  if (fd_ >= 0) {
    // The fd stays open until dlclose: glibc matches already-loaded objects
    // by path, and a recycled fd number would alias another model's image.
    path = "/proc/self/fd/" + std::to_string(fd_);
  } else {
    const char *dir = std::getenv("TMPDIR");
    tempPath_ = std::string(dir && *dir ? dir : "/tmp") + "/ssmc-host-XXXXXX.so";
    fd_ = ::mkstemps(tempPath_.data(), 3);
    if (fd_ < 0)
      fail(where, std::string("cannot create a temporary file for the kernel image: ") +
                      std::strerror(errno),
           ErrorCode::Runtime);
    path = tempPath_;
  }
  if (!writeAll(fd_, image, size)) {
    int e = errno;
    cleanup();
    fail(where, std::string("cannot write the kernel image: ") + std::strerror(e),
         ErrorCode::Runtime);
  }
  handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char *e = ::dlerror();
    std::string msg = std::string("cannot load the kernel image: ") + (e ? e : "dlopen failed");
    cleanup();
    fail(where, msg);
  }
}

SharedObject::~SharedObject() { cleanup(); }

void SharedObject::cleanup() {
  if (handle_)
    ::dlclose(handle_);
  handle_ = nullptr;
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  if (!tempPath_.empty())
    ::unlink(tempPath_.c_str());
  tempPath_.clear();
}

void *SharedObject::symbol(const std::string &name) const {
  return ::dlsym(handle_, name.c_str());
}

} // namespace ssmc
