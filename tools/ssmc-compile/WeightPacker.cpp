#include "WeightPacker.h"

#include "ssmc/artifact.h"
#include "ssmc/float16.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace ssmc::compile {

namespace {

constexpr size_t kAlignment = 64;

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

size_t alignUp(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// One weight bound for the `weights` section.
struct Embedded {
  const frontend::TensorInfo *info;
  std::string transform;
  frontend::DType stored;
  size_t offset;
};

// Elements converted at a time: the section streams out through a buffer of
// this size instead of being built in memory (a 1.4b model is 5.5 GB).
constexpr size_t kChunkElements = size_t(1) << 20;

// Elements [begin, begin + count) of `e` in its stored dtype, at `out`.
void convert(const Embedded &e, size_t begin, size_t count, std::vector<float> &values,
             uint8_t *out) {
  const uint8_t *from = e.info->data + begin * frontend::dtypeSize(e.info->dtype);
  float *f = e.stored == frontend::DType::F32 ? reinterpret_cast<float *>(out) : values.data();
  frontend::convertToFloat(e.info->dtype, from, count, f);
  if (e.transform == "neg_exp")
    for (size_t i = 0; i < count; ++i)
      f[i] = -std::exp(f[i]);
  if (e.stored == frontend::DType::F32)
    return;
  for (size_t i = 0; i < count; ++i) {
    uint16_t v = e.stored == frontend::DType::F16 ? floatToHalf(f[i]) : floatToBfloat16(f[i]);
    out[2 * i] = uint8_t(v & 0xff);
    out[2 * i + 1] = uint8_t(v >> 8);
  }
}

bool stream(const std::vector<Embedded> &embedded, const ArtifactWriter::Sink &sink) {
  static const uint8_t zeros[kAlignment] = {};
  std::vector<float> values(kChunkElements);
  std::vector<uint8_t> bytes(kChunkElements * sizeof(float));
  size_t at = 0;
  for (const Embedded &e : embedded) {
    if (!sink(zeros, e.offset - at))
      return false;
    const size_t count = static_cast<size_t>(e.info->numel());
    const size_t elementBytes = frontend::dtypeSize(e.stored);
    for (size_t begin = 0; begin < count; begin += kChunkElements) {
      const size_t n = std::min(kChunkElements, count - begin);
      convert(e, begin, n, values, bytes.data());
      if (!sink(bytes.data(), n * elementBytes))
        return false;
    }
    at = e.offset + count * elementBytes;
  }
  return true;
}

} // namespace

PackedWeights packWeights(const nlohmann::json &scheduleWeights,
                          const frontend::WeightStore &store, bool external,
                          StorageDType storage) {
  PackedWeights packed;
  std::vector<Embedded> embedded;
  size_t sectionSize = 0;
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
      const size_t offset = alignUp(sectionSize);
      const size_t nbytes = static_cast<size_t>(have) * frontend::dtypeSize(stored);
      embedded.push_back({&info, transform, stored, offset});
      sectionSize = offset + nbytes;
      entry["section"] = "weights";
      entry["offset"] = offset;
      entry["nbytes"] = nbytes;
    }
    packed.table.push_back(entry);
  }
  packed.sectionSize = sectionSize;
  packed.writeSection = [embedded = std::move(embedded)](const ArtifactWriter::Sink &sink) {
    return stream(embedded, sink);
  };
  return packed;
}

} // namespace ssmc::compile
