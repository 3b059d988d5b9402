#ifndef SSMC_FRONTEND_WEIGHTSTORE_H
#define SSMC_FRONTEND_WEIGHTSTORE_H

// All the weights of one checkpoint, from one or several safetensors files,
// looked up by tensor name. The files stay mmapped for the store's lifetime;
// TensorInfo::data pointers are valid until the store is destroyed.

#include "frontend/SafeTensors.h"
#include "ssmc/artifact.h"
#include "ssmc/float16.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::frontend {

class WeightStore {
public:
  WeightStore() = default;
  WeightStore(WeightStore &&) = default;
  WeightStore &operator=(WeightStore &&) = default;

  // A checkpoint directory: `model.safetensors` when present, otherwise the
  // shards listed by `model.safetensors.index.json` ({"weight_map": {tensor:
  // shard file}}), every mapped tensor checked to be in its shard.
  static WeightStore openDirectory(const std::string &dir);

  // Adds one safetensors file; a tensor name already in the store is an
  // ImportError naming `path`.
  void addFile(const std::string &path);

  // The file blamed for a missing tensor: the single file or the index.
  const std::string &source() const { return source_; }
  void setSource(std::string source) { source_ = std::move(source); }
  // The safetensors files, in the order they were added.
  std::vector<std::string> files() const;

  bool contains(const std::string &name) const { return find(name); }
  // nullptr when absent.
  const TensorInfo *find(const std::string &name) const;
  // Throws ImportError(source(), "missing tensor ...") when absent.
  const TensorInfo &get(const std::string &name) const;
  // All tensor names, sorted.
  std::vector<std::string> names() const;

  // The tensor's values as f32 (F16 and BF16 widened exactly).
  std::vector<float> toFloat(const std::string &name) const;
  // Throws ImportError naming the file and tensor of the first NaN or Inf.
  void checkFinite() const;
  // FNV-1a 64 of the tensor's raw bytes, as stored in the file.
  uint64_t checksum(const std::string &name) const;

private:
  std::string source_;
  std::vector<std::unique_ptr<SafeTensorsFile>> files_;
  std::map<std::string, const TensorInfo *> byName_;
};

// Exact widening conversions (every f16 and bf16 value is an f32 value),
// shared with the runtime (ssmc/float16.h).
using ssmc::bfloat16ToFloat;
using ssmc::halfToFloat;
// Widens `count` elements of `dtype` at `data` (any alignment) into `out`.
void convertToFloat(DType dtype, const uint8_t *data, size_t count, float *out);

// FNV-1a 64, the artifact format's checksum (ssmc/artifact.h).
using ssmc::fnv1a64;

} // namespace ssmc::frontend

#endif
