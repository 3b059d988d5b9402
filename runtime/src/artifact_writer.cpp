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

static uint64_t alignUp(uint64_t v) {
  return (v + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

ArtifactWriter::ArtifactWriter() : sections_(1) { sections_[0].name = "manifest"; }

void ArtifactWriter::addSection(std::string name, std::vector<uint8_t> bytes) {
  const uint64_t size = bytes.size();
  sections_.push_back({std::move(name), size, std::move(bytes), nullptr});
}

void ArtifactWriter::addSection(std::string name, const void *data,
                                size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  addSection(std::move(name), std::vector<uint8_t>(p, p + size));
}

void ArtifactWriter::addStreamedSection(std::string name, uint64_t size, Producer produce) {
  sections_.push_back({std::move(name), size, {}, std::move(produce)});
}

void ArtifactWriter::setManifest(std::string json) {
  sections_[0].bytes.assign(json.begin(), json.end());
  sections_[0].size = json.size();
  hasManifest_ = true;
}

bool ArtifactWriter::validate(std::string &error) const {
  if (!hasManifest_) {
    error = "artifact has no manifest (call setManifest)";
    return false;
  }
  const std::vector<uint8_t> &manifest = sections_[0].bytes;
  if (!nlohmann::json::accept(manifest.begin(), manifest.end())) {
    error = "manifest is not well-formed JSON";
    return false;
  }
  if (sections_.size() > kMaxSections) {
    error = "too many sections: " + std::to_string(sections_.size()) + " (at most " +
            std::to_string(kMaxSections) + ")";
    return false;
  }
  std::set<std::string> seen;
  for (const Pending &s : sections_) {
    std::string why;
    if (!validSectionName(s.name, why)) {
      error = "section name '" + s.name + "': " + why;
      return false;
    }
    if (!seen.insert(s.name).second) {
      error = "duplicate section name '" + s.name + "'";
      return false;
    }
  }
  return true;
}

std::vector<uint8_t> ArtifactWriter::head() const {
  const uint64_t n = sections_.size();
  std::vector<uint8_t> head(alignUp(24 + n * 64), 0);
  std::memcpy(head.data(), "SSMCART", 8); // includes the terminating zero
  le::store(&head[8], kArtifactVersion, 4);
  le::store(&head[12], n, 4);
  uint64_t cursor = head.size();
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t *e = &head[24 + i * 64];
    std::memcpy(e, sections_[i].name.data(), sections_[i].name.size());
    le::store(e + 32, cursor, 8);
    le::store(e + 40, sections_[i].size, 8);
    cursor = alignUp(cursor + sections_[i].size);
  }
  return head;
}

bool ArtifactWriter::emit(std::vector<uint8_t> &head, const Sink &sink,
                          std::string &error) const {
  static const uint8_t zeros[kSectionAlignment] = {};
  if (!sink(head.data(), head.size())) {
    error = "write failed";
    return false;
  }
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Pending &s = sections_[i];
    uint64_t hash = kFnvOffsetBasis, produced = 0;
    bool overrun = false;
    const Sink counted = [&](const void *data, size_t size) {
      produced += size;
      if (produced > s.size) {
        overrun = true;
        return false;
      }
      hash = fnv1a64(data, size, hash);
      return sink(data, size);
    };
    const bool ok = s.produce ? s.produce(counted) : counted(s.bytes.data(), s.bytes.size());
    if (overrun || (ok && produced != s.size)) {
      const std::string amount = overrun ? "more than" : std::to_string(produced) + " of";
      error = "section '" + s.name + "' produced " + amount + " its " + std::to_string(s.size) +
              " bytes";
      return false;
    }
    if (!ok) {
      error = "section '" + s.name + "': write failed";
      return false;
    }
    const uint64_t pad = alignUp(s.size) - s.size;
    if (i + 1 < sections_.size() && pad && !sink(zeros, pad)) {
      error = "write failed";
      return false;
    }
    le::store(&head[24 + i * 64 + 48], hash, 8);
  }
  le::store(&head[16], fnv1a64(&head[24], sections_.size() * 64), 8);
  return true;
}

bool ArtifactWriter::serialize(std::vector<uint8_t> &out, std::string &error) const {
  if (!validate(error))
    return false;
  std::vector<uint8_t> table = head();
  out.clear();
  const Sink append = [&](const void *data, size_t size) {
    const auto *p = static_cast<const uint8_t *>(data);
    out.insert(out.end(), p, p + size);
    return true;
  };
  if (!emit(table, append, error))
    return false;
  std::memcpy(out.data(), table.data(), table.size());
  return true;
}

bool ArtifactWriter::write(const std::string &path, std::string &error) const {
  if (!validate(error)) {
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
  // The table goes in last: its checksums are known once the sections are out.
  std::vector<uint8_t> table = head();
  int writeErrno = 0;
  // An empty section's data may be null, which fwrite must not see.
  const Sink put = [&](const void *data, size_t size) {
    if (size == 0 || std::fwrite(data, 1, size, f) == size)
      return true;
    writeErrno = errno;
    return false;
  };
  std::string why;
  bool ok = emit(table, put, why) && std::fseek(f, 0, SEEK_SET) == 0 &&
            put(table.data(), table.size());
  if (!ok && why.empty())
    why = "write failed";
  if (!ok && writeErrno)
    why += std::string(": ") + std::strerror(writeErrno);
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    why = std::string("write failed: ") + std::strerror(errno);
  }
  if (!ok) {
    error = tmp + ": " + why;
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
