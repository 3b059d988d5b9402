// A read-only mmap of a whole file (external weights).
#ifndef SSMC_SRC_MAPPED_FILE_H
#define SSMC_SRC_MAPPED_FILE_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace ssmc {

class MappedFile {
public:
  // Throws RuntimeError(Io) naming the file.
  explicit MappedFile(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const std::string &path() const { return path_; }
  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  std::string path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace ssmc

#endif // SSMC_SRC_MAPPED_FILE_H
