#include "WeightPacker.h"

#include "ssmc/artifact.h"

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

} // namespace

PackedWeights packWeights(const nlohmann::json &scheduleWeights,
                          const frontend::WeightStore &store, bool external) {
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
    if (external && transform.empty() && info.dtype == frontend::DType::F32) {
      entry["file"] = std::filesystem::absolute(info.file).string();
      entry["offset"] = info.file_offset;
      entry["nbytes"] = info.nbytes;
      entry["checksum"] = checksumToHex(store.checksum(name));
    } else {
      std::vector<float> values = store.toFloat(name);
      applyTransform(transform, values);
      size_t offset = (packed.section.size() + kAlignment - 1) / kAlignment * kAlignment;
      size_t bytes = values.size() * sizeof(float);
      packed.section.resize(offset + bytes);
      std::memcpy(packed.section.data() + offset, values.data(), bytes);
      entry["section"] = "weights";
      entry["offset"] = offset;
      entry["nbytes"] = bytes;
    }
    packed.table.push_back(entry);
  }
  return packed;
}

} // namespace ssmc::compile
