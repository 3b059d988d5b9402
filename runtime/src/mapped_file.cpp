// MappedFile: open + fstat + mmap with errors that name the file.
#include "mapped_file.h"

#include "ssmc/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssmc {

MappedFile::MappedFile(const std::string &path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw RuntimeError(ErrorCode::Io, path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw RuntimeError(ErrorCode::Io, path + ": not a readable regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void *m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw RuntimeError(ErrorCode::Io, path + ": cannot mmap: " + std::strerror(e));
    }
    data_ = static_cast<const uint8_t *>(m);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}

} // namespace ssmc
