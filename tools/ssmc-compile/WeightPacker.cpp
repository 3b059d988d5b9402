#include "WeightPacker.h"

#include "ssmc/artifact.h"
#include "ssmc/float16.h"

#include <cmath>
#include <cstring>
#include <filesystem>

namespace ssmc::compile {

namespace {

constexpr size_t kAlignment = 64;

void applyTransform(const std::string &transform, std::vector<float> &values) {
  if (transform == "neg_exp")
    for (float &v : values)
      v = -std::exp(v);
}

// The stored dtype of one tensor under `storage` (see WeightPacker.h).
frontend::DType storedAs(StorageDType storage, const frontend::TensorInfo &info,
                         bool transformed, size_t rank) {
  if (transformed)
    return frontend::DType::F32;
  switch (storage) {
  case StorageDType::F32: return frontend::DType::F32;
  case StorageDType::Auto: return info.dtype;
  case StorageDType::F16: return rank >= 2 ? frontend::DType::F16 : frontend::DType::F32;
  case StorageDType::BF16: return rank >= 2 ? frontend::DType::BF16 : frontend::DType::F32;
  }
  return frontend::DType::F32;
}

const char *dtypeKey(frontend::DType t) {
  return t == frontend::DType::F16 ? "f16" : t == frontend::DType::BF16 ? "bf16" : "f32";
}

// `values` in `dtype`, little-endian, appended at a 64-byte aligned offset.
size_t append(std::vector<uint8_t> &section, const std::vector<float> &values,
              frontend::DType dtype) {
  size_t offset = (section.size() + kAlignment - 1) / kAlignment * kAlignment;
  if (dtype == frontend::DType::F32) {
    section.resize(offset + values.size() * sizeof(float));
    std::memcpy(section.data() + offset, values.data(), values.size() * sizeof(float));
    return offset;
  }
  section.resize(offset + values.size() * 2);
  uint8_t *out = section.data() + offset;
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t v = dtype == frontend::DType::F16 ? floatToHalf(values[i])
                                               : floatToBfloat16(values[i]);
    out[2 * i] = uint8_t(v & 0xff);
    out[2 * i + 1] = uint8_t(v >> 8);
  }
  return offset;
}

} // namespace

PackedWeights packWeights(const nlohmann::json &scheduleWeights,
                          const frontend::WeightStore &store, bool external,
                          StorageDType storage) {
  PackedWeights packed;
  for (const nlohmann::json &w : scheduleWeights) {
    const std::string key = w.at("key"), name = w.at("name");
    const std::string transform = w.value("transform", "");
    const frontend::TensorInfo &info = store.get(name);
    int64_t want = 1;
    for (int64_t d : w.at("shape"))
      want *= d;
    int64_t have = 1;
    for (int64_t d : info.shape)
      have *= d;
    if (want != have)
      throw frontend::ImportError(info.file, "tensor '" + name + "' has " +
                                                 std::to_string(have) +
                                                 " elements, the model needs " +
                                                 std::to_string(want));
    nlohmann::json entry{{"name", key}, {"dtype", "f32"}, {"shape", w.at("shape")}};
    frontend::DType stored = storedAs(storage, info, !transform.empty(), w.at("shape").size());
    if (stored != frontend::DType::F32)
      entry["storage"] = dtypeKey(stored);
    if (external && transform.empty() && info.dtype == stored) {
      entry["file"] = std::filesystem::absolute(info.file).string();
      entry["offset"] = info.file_offset;
      entry["nbytes"] = info.nbytes;
      entry["checksum"] = checksumToHex(store.checksum(name));
    } else {
      std::vector<float> values = store.toFloat(name);
      applyTransform(transform, values);
      size_t offset = append(packed.section, values, stored);
      entry["section"] = "weights";
      entry["offset"] = offset;
      entry["nbytes"] = packed.section.size() - offset;
    }
    packed.table.push_back(entry);
  }
  return packed;
}

} // namespace ssmc::compile
