#include "frontend/SafeTensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssmc::frontend {

using nlohmann::json;

namespace {

// A header bigger than this is corrupt, not a model (the spec caps it too).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

// The dtypes safetensors defines that we know by name but cannot compute in.
const std::set<std::string> kKnownUnsupported = {
    "F64", "I64", "I32", "I16", "I8",  "U64",     "U32",     "U16",
    "U8",  "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
    "F4",  "C64"};

std::string quote(const std::string &s) { return "'" + s + "'"; }

DType parseDType(const json &value, const std::string &file,
                 const std::string &tensor) {
  if (!value.is_string())
    throw ImportError(file, "tensor " + quote(tensor) +
                                ": \"dtype\" must be a string");
  const std::string &s = value.get_ref<const std::string &>();
  if (s == "F32")
    return DType::F32;
  if (s == "F16")
    return DType::F16;
  if (s == "BF16")
    return DType::BF16;
  if (kKnownUnsupported.count(s))
    throw ImportError(file, "tensor " + quote(tensor) + ": dtype " + s +
                                " is not supported (expected F32, F16 or BF16)");
  throw ImportError(file, "tensor " + quote(tensor) + ": unknown dtype " +
                              quote(s.substr(0, 32)) +
                              " (expected F32, F16 or BF16)");
}

// Reads a JSON value that must be a non-negative integer.
bool asUnsigned(const json &v, uint64_t &out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

TensorInfo parseEntry(const std::string &name, const json &entry,
                      const std::string &file, uint64_t dataSize) {
  const std::string where = "tensor " + quote(name);
  if (!entry.is_object())
    throw ImportError(file, where + ": entry must be a JSON object");
  for (const auto &item : entry.items())
    if (item.key() != "dtype" && item.key() != "shape" &&
        item.key() != "data_offsets")
      throw ImportError(file, where + ": unexpected key " + quote(item.key()));
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key))
      throw ImportError(file, where + ": missing \"" + key + "\"");

  TensorInfo t;
  t.name = name;
  t.file = file;
  t.dtype = parseDType(entry["dtype"], file, name);

  const json &shape = entry["shape"];
  if (!shape.is_array())
    throw ImportError(file, where + ": \"shape\" must be an array");
  uint64_t numel = 1;
  for (const json &dim : shape) {
    uint64_t d = 0;
    if (!asUnsigned(dim, d) || d > static_cast<uint64_t>(INT64_MAX))
      throw ImportError(file, where + ": shape entries must be non-negative "
                                      "integers, got " +
                                      // dump() recurses: only primitives
                                      (dim.is_primitive()
                                           ? dim.dump().substr(0, 32)
                                           : std::string(dim.type_name())));
    t.shape.push_back(static_cast<int64_t>(d));
    if (__builtin_mul_overflow(numel, d, &numel) ||
        numel > static_cast<uint64_t>(INT64_MAX))
      throw ImportError(file, where + ": element count overflows");
  }
  uint64_t expectedBytes = 0;
  if (__builtin_mul_overflow(numel, dtypeSize(t.dtype), &expectedBytes))
    throw ImportError(file, where + ": byte size overflows");

  const json &offsets = entry["data_offsets"];
  uint64_t begin = 0, end = 0;
  if (!offsets.is_array() || offsets.size() != 2 ||
      !asUnsigned(offsets[0], begin) || !asUnsigned(offsets[1], end))
    throw ImportError(file, where + ": \"data_offsets\" must be [begin, end] "
                                    "with non-negative integers");
  if (end < begin)
    throw ImportError(file, where + ": data_offsets end " +
                                std::to_string(end) + " < begin " +
                                std::to_string(begin));
  if (end > dataSize)
    throw ImportError(file, where + ": data_offsets [" + std::to_string(begin) +
                                ", " + std::to_string(end) +
                                ") run past the data area of " +
                                std::to_string(dataSize) + " bytes");
  if (end - begin != expectedBytes)
    throw ImportError(file, where + ": data_offsets span " +
                                std::to_string(end - begin) +
                                " bytes but dtype and shape need " +
                                std::to_string(expectedBytes));
  t.nbytes = expectedBytes;
  t.file_offset = begin; // relative for now; made absolute by the caller
  return t;
}

void parseMetadata(const json &value, const std::string &file,
                   std::map<std::string, std::string> &metadata) {
  if (!value.is_object())
    throw ImportError(file, "\"__metadata__\" must be an object of strings");
  for (const auto &item : value.items()) {
    if (!item.value().is_string())
      throw ImportError(file, "\"__metadata__\" value for " +
                                  quote(item.key()) + " must be a string");
    metadata[item.key()] = item.value().get<std::string>();
  }
}

// nlohmann keeps the last of duplicate keys silently; a duplicated tensor
// name means a corrupt header, so the parse callback rejects it.
json parseHeaderJson(const char *begin, const char *end,
                     const std::string &file) {
  std::set<std::string> keysAt[3]; // depth 1: tensors, depth 2: their fields
  auto callback = [&](int depth, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::object_start && depth + 1 < 3)
      keysAt[depth + 1].clear();
    if (event == json::parse_event_t::key && depth < 3 && depth > 0) {
      std::string key = parsed.get<std::string>();
      if (!keysAt[depth].insert(key).second)
        throw ImportError(file, "header has duplicate key " + quote(key));
    }
    return true;
  };
  try {
    return json::parse(begin, end, callback);
  } catch (const json::exception &e) {
    throw ImportError(file, std::string("header is not valid JSON: ") +
                                e.what());
  }
}

} // namespace

size_t dtypeSize(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  }
  return "?";
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d; // cannot overflow: checked when the header was parsed
  return n;
}

void parseSafeTensors(const uint8_t *bytes, size_t size,
                      const std::string &file, std::vector<TensorInfo> &tensors,
                      std::map<std::string, std::string> &metadata) {
  tensors.clear();
  metadata.clear();
  if (size < 8)
    throw ImportError(file, "file is " + std::to_string(size) +
                                " bytes, too short for the 8-byte header "
                                "length");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | bytes[i]; // little-endian on any host
  if (headerLen > kMaxHeaderBytes)
    throw ImportError(file, "header length " + std::to_string(headerLen) +
                                " exceeds the 100 MB limit (corrupt file?)");
  if (headerLen > size - 8)
    throw ImportError(file, "header length " + std::to_string(headerLen) +
                                " runs past the end of the file (" +
                                std::to_string(size) + " bytes): truncated?");
  if (headerLen == 0)
    throw ImportError(file, "header is empty");

  const char *text = reinterpret_cast<const char *>(bytes + 8);
  json header = parseHeaderJson(text, text + headerLen, file);
  if (!header.is_object())
    throw ImportError(file, std::string("header must be a JSON object, got ") +
                                header.type_name());

  const uint64_t dataStart = 8 + headerLen;
  const uint64_t dataSize = size - dataStart;
  for (const auto &item : header.items()) {
    if (item.key() == "__metadata__") {
      parseMetadata(item.value(), file, metadata);
      continue;
    }
    if (item.key().empty())
      throw ImportError(file, "header has a tensor with an empty name");
    tensors.push_back(parseEntry(item.key(), item.value(), file, dataSize));
  }

  // Tensors may leave gaps but must not share bytes (empty ones share none).
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorInfo &a, const TensorInfo &b) {
              return a.file_offset != b.file_offset
                         ? a.file_offset < b.file_offset
                         : a.nbytes < b.nbytes;
            });
  const TensorInfo *previous = nullptr;
  for (const TensorInfo &t : tensors) {
    if (t.nbytes == 0)
      continue;
    if (previous && t.file_offset < previous->file_offset + previous->nbytes)
      throw ImportError(file, "tensors " + quote(previous->name) + " and " +
                                  quote(t.name) + " overlap in the data area");
    previous = &t;
  }
  for (TensorInfo &t : tensors) {
    t.data = bytes + dataStart + t.file_offset;
    t.file_offset += dataStart;
  }
}

SafeTensorsFile::SafeTensorsFile(const std::string &path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw ImportError(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ImportError(path, "not a regular file");
  }
  mapSize_ = static_cast<size_t>(st.st_size);
  if (mapSize_ > 0) {
    void *m = ::mmap(nullptr, mapSize_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw ImportError(path, std::string("cannot mmap: ") +
                                  std::strerror(err));
    }
    map_ = m;
  }
  ::close(fd); // the mapping stays valid without the descriptor
  try {
    static const uint8_t empty[1] = {0};
    const uint8_t *bytes = map_ ? static_cast<const uint8_t *>(map_) : empty;
    parseSafeTensors(bytes, mapSize_, path, tensors_, metadata_);
  } catch (...) {
    if (map_)
      ::munmap(map_, mapSize_);
    map_ = nullptr;
    throw;
  }
  for (size_t i = 0; i < tensors_.size(); ++i)
    byName_[tensors_[i].name] = i;
}

SafeTensorsFile::~SafeTensorsFile() {
  if (map_)
    ::munmap(map_, mapSize_);
}

const TensorInfo *SafeTensorsFile::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

} // namespace ssmc::frontend
