// ArtifactWriter: lays out header, table and 64-byte aligned payloads.
// Never throws (the compiler that calls it is built without exceptions).
#include "le.h"
#include "section_name.h"
#include "ssmc/artifact.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <set>
#include <unistd.h>

namespace ssmc {

void ArtifactWriter::addSection(std::string name, std::vector<uint8_t> bytes) {
  sections_.push_back({std::move(name), std::move(bytes)});
}

void ArtifactWriter::addSection(std::string name, const void *data,
                                size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  addSection(std::move(name), std::vector<uint8_t>(p, p + size));
}

void ArtifactWriter::setManifest(std::string json) {
  manifest_ = std::move(json);
  hasManifest_ = true;
}

static uint64_t alignUp(uint64_t v) {
  return (v + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

bool ArtifactWriter::serialize(std::vector<uint8_t> &out,
                               std::string &error) const {
  if (!hasManifest_) {
    error = "artifact has no manifest (call setManifest)";
    return false;
  }
  if (!nlohmann::json::accept(manifest_)) {
    error = "manifest is not well-formed JSON";
    return false;
  }
  // The manifest goes first; views of all sections in file order.
  std::vector<std::pair<const std::string *, const std::vector<uint8_t> *>>
      all;
  const std::string manifestName = "manifest";
  std::vector<uint8_t> manifestBytes(manifest_.begin(), manifest_.end());
  all.push_back({&manifestName, &manifestBytes});
  for (const Pending &s : sections_)
    all.push_back({&s.name, &s.bytes});
  if (all.size() > kMaxSections) {
    error = "too many sections: " + std::to_string(all.size()) + " (at most " +
            std::to_string(kMaxSections) + ")";
    return false;
  }
  std::set<std::string> seen;
  for (auto &[name, bytes] : all) {
    std::string why;
    if (!validSectionName(*name, why)) {
      error = "section name '" + *name + "': " + why;
      return false;
    }
    if (!seen.insert(*name).second) {
      error = "duplicate section name '" + *name + "'";
      return false;
    }
  }

  const uint64_t n = all.size();
  const uint64_t tableEnd = 24 + n * 64;
  uint64_t cursor = alignUp(tableEnd);
  std::vector<uint64_t> offsets;
  for (auto &entry : all) {
    offsets.push_back(cursor);
    cursor = alignUp(cursor + entry.second->size());
  }
  uint64_t fileSize = offsets.back() + all.back().second->size();
  out.assign(fileSize, 0);

  std::memcpy(out.data(), "SSMCART", 8); // includes the terminating zero
  le::store(&out[8], kArtifactVersion, 4);
  le::store(&out[12], n, 4);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t *e = &out[24 + i * 64];
    const std::string &name = *all[i].first;
    const std::vector<uint8_t> &bytes = *all[i].second;
    std::memcpy(e, name.data(), name.size());
    le::store(e + 32, offsets[i], 8);
    le::store(e + 40, bytes.size(), 8);
    le::store(e + 48, fnv1a64(bytes.data(), bytes.size()), 8);
    if (!bytes.empty())
      std::memcpy(&out[offsets[i]], bytes.data(), bytes.size());
  }
  le::store(&out[16], fnv1a64(&out[24], n * 64), 8);
  return true;
}

bool ArtifactWriter::write(const std::string &path, std::string &error) const {
  std::vector<uint8_t> image;
  if (!serialize(image, error)) {
    error = path + ": " + error;
    return false;
  }
  // Write beside the target and rename, so a reader never sees half a file.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    error = tmp + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(image.data(), 1, image.size(), f) == image.size();
  int writeErrno = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    error = tmp + ": write failed: " + std::strerror(writeErrno);
    std::remove(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot rename temporary file into place: " +
            std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

} // namespace ssmc
