#include "frontend/WeightStore.h"

#include "frontend/JsonUtil.h"

#include <algorithm>
#include <filesystem>

namespace ssmc::frontend {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quote(const std::string &s) { return "'" + s + "'"; }

// A shard must be a file inside the checkpoint directory.
bool isPlainRelative(const std::string &shard) {
  fs::path p(shard);
  if (shard.empty() || p.is_absolute())
    return false;
  for (const fs::path &part : p)
    if (part == "..")
      return false;
  return true;
}

// Bit patterns with an all-ones exponent are Inf or NaN in every dtype.
bool isNonFinite(DType dtype, const uint8_t *p) {
  switch (dtype) {
  case DType::F32:
    return (p[3] & 0x7f) == 0x7f && (p[2] & 0x80) == 0x80;
  case DType::F16:
    return (p[1] & 0x7c) == 0x7c;
  case DType::BF16:
    return (p[1] & 0x7f) == 0x7f && (p[0] & 0x80) == 0x80;
  }
  return false;
}

} // namespace

WeightStore WeightStore::openDirectory(const std::string &dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw ImportError(dir, "checkpoint directory does not exist");
  if (!fs::is_directory(dir, ec))
    throw ImportError(dir, "not a directory");

  WeightStore store;
  const std::string single = (fs::path(dir) / "model.safetensors").string();
  const std::string indexPath =
      (fs::path(dir) / "model.safetensors.index.json").string();
  if (fs::exists(single, ec)) { // what transformers prefers too
    store.addFile(single);
    store.source_ = single;
    return store;
  }
  if (!fs::exists(indexPath, ec))
    throw ImportError(dir, "no model.safetensors or "
                           "model.safetensors.index.json in the directory");

  json index = readJsonFile(indexPath);
  if (!index.is_object())
    throw ImportError(indexPath, "must be a JSON object");
  JsonReader reader(index, indexPath);
  const json &map = reader.at("weight_map");
  if (!map.is_object())
    reader.fail("weight_map", "expected an object of tensor -> shard file");
  if (map.empty())
    reader.fail("weight_map", "is empty");

  std::vector<std::string> shards; // in order of first mention
  for (const auto &item : map.items()) {
    if (!item.value().is_string())
      reader.fail("weight_map", "entry for tensor " + quote(item.key()) +
                                    " must be a file name string");
    const std::string shard = item.value().get<std::string>();
    if (!isPlainRelative(shard))
      reader.fail("weight_map", "shard " + quote(shard) + " for tensor " +
                                    quote(item.key()) +
                                    " must be a relative path inside the "
                                    "checkpoint directory");
    if (std::find(shards.begin(), shards.end(), shard) == shards.end()) {
      if (!fs::is_regular_file(fs::path(dir) / shard, ec))
        throw ImportError(indexPath, "weight_map names shard " +
                                         quote(shard) + " (for tensor " +
                                         quote(item.key()) +
                                         "), which does not exist");
      shards.push_back(shard);
    }
  }
  for (const std::string &shard : shards)
    store.addFile((fs::path(dir) / shard).string());
  for (const auto &item : map.items()) {
    const std::string shard = item.value().get<std::string>();
    const std::string shardPath = (fs::path(dir) / shard).string();
    const TensorInfo *t = store.find(item.key());
    if (!t || t->file != shardPath)
      throw ImportError(indexPath, "weight_map puts tensor " +
                                       quote(item.key()) + " in shard " +
                                       quote(shard) +
                                       ", but that shard has no such tensor");
  }
  store.source_ = indexPath;
  return store;
}

void WeightStore::addFile(const std::string &path) {
  auto file = std::make_unique<SafeTensorsFile>(path);
  for (const TensorInfo &t : file->tensors()) {
    auto it = byName_.find(t.name);
    if (it != byName_.end())
      throw ImportError(path, "tensor " + quote(t.name) +
                                  " is also in " + it->second->file);
  }
  for (const TensorInfo &t : file->tensors())
    byName_[t.name] = &t; // stable: the file object is never moved
  if (source_.empty())
    source_ = path;
  files_.push_back(std::move(file));
}

std::vector<std::string> WeightStore::files() const {
  std::vector<std::string> out;
  for (const auto &f : files_)
    out.push_back(f->path());
  return out;
}

const TensorInfo *WeightStore::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

const TensorInfo &WeightStore::get(const std::string &name) const {
  const TensorInfo *t = find(name);
  if (!t)
    throw ImportError(source_, "missing tensor " + quote(name));
  return *t;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  for (const auto &entry : byName_)
    out.push_back(entry.first);
  return out;
}

std::vector<float> WeightStore::toFloat(const std::string &name) const {
  const TensorInfo &t = get(name);
  std::vector<float> out(static_cast<size_t>(t.numel()));
  convertToFloat(t.dtype, t.data, out.size(), out.data());
  return out;
}

void WeightStore::checkFinite() const {
  for (const auto &file : files_)
    for (const TensorInfo &t : file->tensors()) {
      const size_t elem = dtypeSize(t.dtype);
      const size_t count = static_cast<size_t>(t.numel());
      for (size_t i = 0; i < count; ++i)
        if (isNonFinite(t.dtype, t.data + i * elem)) {
          float v = 0;
          convertToFloat(t.dtype, t.data + i * elem, 1, &v);
          throw ImportError(t.file, "tensor " + quote(t.name) + " has " +
                                        (v != v ? "NaN" : "Inf") +
                                        " at element " + std::to_string(i));
        }
    }
}

uint64_t WeightStore::checksum(const std::string &name) const {
  const TensorInfo &t = get(name);
  return fnv1a64(t.data, t.nbytes);
}

} // namespace ssmc::frontend
