#ifndef SSMC_FRONTEND_SAFETENSORS_H
#define SSMC_FRONTEND_SAFETENSORS_H

// Read-only access to one .safetensors file: the file is mmapped, the JSON
// header is validated completely on open, and tensors point into the mapping.
// Every problem with the file is an ImportError naming it; nothing in the
// input can crash the reader.

#include "frontend/ModelGraph.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::frontend {

// Bytes per element, and the safetensors spelling ("F32", "F16", "BF16").
size_t dtypeSize(DType dtype);
const char *dtypeName(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr; // into the file mapping; no alignment promised
  uint64_t nbytes = 0;
  std::string file;              // path of the .safetensors file holding it
  uint64_t file_offset = 0;      // absolute offset of `data` in that file

  int64_t numel() const;
};

class SafeTensorsFile {
public:
  // Maps and validates `path`; throws ImportError(path, ...) on any problem.
  explicit SafeTensorsFile(const std::string &path);
  ~SafeTensorsFile();
  SafeTensorsFile(const SafeTensorsFile &) = delete;
  SafeTensorsFile &operator=(const SafeTensorsFile &) = delete;

  const std::string &path() const { return path_; }
  // Tensors in order of their data offsets.
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  // nullptr when the file has no tensor of that name.
  const TensorInfo *find(const std::string &name) const;
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }

private:
  std::string path_;
  void *map_ = nullptr;
  size_t mapSize_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> byName_;
  std::map<std::string, std::string> metadata_;
};

// The header parser on its own, over a whole file image in memory (the file
// reader calls it on the mapping). `file` only labels the errors. Data
// pointers point into `bytes`.
void parseSafeTensors(const uint8_t *bytes, size_t size,
                      const std::string &file, std::vector<TensorInfo> &tensors,
                      std::map<std::string, std::string> &metadata);

} // namespace ssmc::frontend

#endif
