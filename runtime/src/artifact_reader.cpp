// Artifact: maps a `.ssmc` file and validates the container before anything
// else looks at it. Every check names the file; nothing is trusted unchecked.
#include "le.h"
#include "section_name.h"
#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssmc {

namespace {
[[noreturn]] void fail(const std::string &path, const std::string &what,
                       ErrorCode code = ErrorCode::BadArtifact) {
  throw RuntimeError(code, path + ": " + what);
}
std::string hex(uint64_t v) { return "0x" + checksumToHex(v); }
} // namespace

std::unique_ptr<Artifact> Artifact::open(const std::string &path,
                                         const ArtifactReadOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail(path, std::string("cannot open: ") + std::strerror(errno),
         ErrorCode::Io);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(e), ErrorCode::Io);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file", ErrorCode::Io);
  }
  a->size_ = static_cast<size_t>(st.st_size);
  if (a->size_ > 0) {
    void *m = ::mmap(nullptr, a->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      fail(path, std::string("cannot mmap: ") + std::strerror(e),
           ErrorCode::Io);
    }
    a->mapping_ = m;
    a->base_ = static_cast<const uint8_t *>(m);
  }
  ::close(fd); // the mapping keeps the file alive
  a->parse(options);
  return a;
}

std::unique_ptr<Artifact>
Artifact::fromBytes(std::vector<uint8_t> bytes, const std::string &displayName,
                    const ArtifactReadOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->path_ = displayName;
  a->owned_ = std::move(bytes);
  a->base_ = a->owned_.data();
  a->size_ = a->owned_.size();
  a->parse(options);
  return a;
}

Artifact::~Artifact() {
  if (mapping_)
    ::munmap(mapping_, size_);
}

const ArtifactSection *Artifact::find(std::string_view name) const {
  for (const ArtifactSection &s : sections_)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string_view Artifact::manifestText() const {
  const ArtifactSection *m = find("manifest");
  return {reinterpret_cast<const char *>(m->data), m->size};
}

void Artifact::parse(const ArtifactReadOptions &options) {
  const std::string &p = path_;
  if (size_ < 24)
    fail(p, "file is " + std::to_string(size_) +
                " bytes, too short for the 24-byte header (truncated?)");
  if (std::memcmp(base_, "SSMCART", 8) != 0)
    fail(p, "bad magic: not an ssmc artifact");
  version_ = le::load32(base_ + 8);
  if (version_ != kArtifactVersion)
    fail(p, "unsupported format version " + std::to_string(version_) +
                " (this reader knows version " +
                std::to_string(kArtifactVersion) + ")",
         ErrorCode::Unsupported);
  uint32_t n = le::load32(base_ + 12);
  if (n < 1 || n > kMaxSections)
    fail(p, "section count " + std::to_string(n) + " is outside [1, " +
                std::to_string(kMaxSections) + "]");
  uint64_t tableEnd = 24 + uint64_t(n) * 64;
  if (tableEnd > size_)
    fail(p, "section table of " + std::to_string(n) +
                " entries runs past the end of the file (truncated?)");
  uint64_t want = le::load64(base_ + 16);
  uint64_t got = fnv1a64(base_ + 24, uint64_t(n) * 64);
  if (want != got)
    fail(p, "section table checksum mismatch (header says " + hex(want) +
                ", table hashes to " + hex(got) + ")");

  std::set<std::string> names;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t *e = base_ + 24 + uint64_t(i) * 64;
    const std::string where = "section " + std::to_string(i);
    const uint8_t *nul = std::find(e, e + kSectionNameBytes, uint8_t(0));
    if (nul == e + kSectionNameBytes)
      fail(p, where + ": name is not NUL-terminated");
    ArtifactSection s;
    s.name.assign(reinterpret_cast<const char *>(e),
                  static_cast<size_t>(nul - e));
    std::string why;
    if (!validSectionName(s.name, why))
      fail(p, where + ": bad name: " + why);
    if (std::any_of(nul, e + kSectionNameBytes,
                    [](uint8_t c) { return c != 0; }))
      fail(p, where + " ('" + s.name + "'): name padding is not zero");
    const std::string w = "section '" + s.name + "'";
    if (!names.insert(s.name).second)
      fail(p, "duplicate " + w);
    s.offset = le::load64(e + 32);
    s.size = le::load64(e + 40);
    s.checksum = le::load64(e + 48);
    if (le::load64(e + 56) != 0)
      fail(p, w + ": reserved field is not zero");
    if (s.offset % kSectionAlignment != 0)
      fail(p, w + ": offset " + std::to_string(s.offset) +
                  " is not a multiple of 64");
    if (s.offset < tableEnd)
      fail(p, w + ": payload at offset " + std::to_string(s.offset) +
                  " overlaps the header or section table");
    if (s.offset > size_ || s.size > size_ - s.offset)
      fail(p, w + ": payload [" + std::to_string(s.offset) + ", +" +
                  std::to_string(s.size) + ") lies outside the file of " +
                  std::to_string(size_) + " bytes (truncated?)");
    s.data = base_ + s.offset;
    sections_.push_back(std::move(s));
  }

  // Overlap: sort non-empty payloads by offset, neighbours must not touch.
  std::vector<const ArtifactSection *> order;
  for (const ArtifactSection &s : sections_)
    if (s.size > 0)
      order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](auto *a, auto *b) { return a->offset < b->offset; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i - 1]->offset + order[i - 1]->size > order[i]->offset)
      fail(p, "sections '" + order[i - 1]->name + "' and '" + order[i]->name +
                  "' overlap");

  if (options.verifyPayloadChecksums)
    for (const ArtifactSection &s : sections_) {
      uint64_t h = fnv1a64(s.data, s.size);
      if (h != s.checksum)
        fail(p, "section '" + s.name + "': payload checksum mismatch (table says " +
                    hex(s.checksum) + ", payload hashes to " + hex(h) + ")");
    }

  if (!find("manifest"))
    fail(p, "required section 'manifest' is missing");
  try {
    nlohmann::json parsed = nlohmann::json::parse(manifestText());
    (void)parsed;
  } catch (const nlohmann::json::exception &e) {
    fail(p, std::string("manifest is not well-formed JSON: ") + e.what());
  }
}

} // namespace ssmc
