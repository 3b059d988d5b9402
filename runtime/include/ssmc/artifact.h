// Reading and writing `.ssmc` artifacts (docs/artifact-format.md).
//
// The writer is used by the compiler, which is built without exceptions, so
// it reports failures through a return value. The reader validates the whole
// container (header, section table, payloads, manifest JSON syntax) and throws
// ssmc::RuntimeError naming the file and the problem.
#ifndef SSMC_ARTIFACT_H
#define SSMC_ARTIFACT_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc {

constexpr uint32_t kArtifactVersion = 1;
constexpr uint32_t kMaxSections = 64;
constexpr uint64_t kSectionAlignment = 64;
constexpr size_t kSectionNameBytes = 32;
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;

// FNV-1a 64 over `size` bytes, continuing from `hash` (chainable).
uint64_t fnv1a64(const void *data, size_t size,
                 uint64_t hash = kFnvOffsetBasis);
// The manifest's spelling of a checksum: 16 lowercase hex digits.
std::string checksumToHex(uint64_t checksum);

class ArtifactWriter {
public:
  // Receives a section's bytes in order; returns false to stop (write error).
  using Sink = std::function<bool(const void *data, size_t size)>;
  // Produces exactly the section's declared size through the sink; returns
  // false when the sink did (or on its own failure).
  using Producer = std::function<bool(const Sink &sink)>;

  ArtifactWriter();
  // Sections are written in the order added, after the manifest. Names are
  // validated by write(), so these never fail.
  void addSection(std::string name, std::vector<uint8_t> bytes);
  void addSection(std::string name, const void *data, size_t size);
  // A section of `size` bytes produced while the file is written, so that
  // gigabytes of weights never sit in memory as one image.
  void addStreamedSection(std::string name, uint64_t size, Producer produce);
  void setManifest(std::string json);

  // The whole file image. Returns false and sets `error` when the sections or
  // the manifest are invalid (bad/duplicate name, too many, not JSON) or a
  // producer failed or produced the wrong size.
  bool serialize(std::vector<uint8_t> &out, std::string &error) const;
  // Writes `path` (via a temporary file renamed into place), streaming the
  // sections and then the table with their checksums.
  bool write(const std::string &path, std::string &error) const;

private:
  struct Pending {
    std::string name;
    uint64_t size = 0;
    std::vector<uint8_t> bytes; // when not streamed
    Producer produce;           // when streamed
  };
  bool validate(std::string &error) const;
  // Header and table, padded to the first section; checksums left zero.
  std::vector<uint8_t> head() const;
  // Sends the head, then every section with its padding; fills the table's
  // checksums in `head` as it goes.
  bool emit(std::vector<uint8_t> &head, const Sink &sink, std::string &error) const;

  std::vector<Pending> sections_; // sections_[0] is the manifest
  bool hasManifest_ = false;
};

struct ArtifactSection {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t checksum = 0;
  const uint8_t *data = nullptr; // points into the mapped file
};

struct ArtifactReadOptions {
  // Payload checksums cost one pass over every byte (weights included);
  // the header and table checksums are always verified.
  bool verifyPayloadChecksums = true;
};

class Artifact {
public:
  // Maps `path` read-only and validates it. Throws RuntimeError.
  static std::unique_ptr<Artifact> open(const std::string &path,
                                        const ArtifactReadOptions &options = {});
  // Validates an in-memory image (copied); `displayName` is used in errors.
  static std::unique_ptr<Artifact>
  fromBytes(std::vector<uint8_t> bytes, const std::string &displayName,
            const ArtifactReadOptions &options = {});
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const std::string &path() const { return path_; }
  uint32_t version() const { return version_; }
  const std::vector<ArtifactSection> &sections() const { return sections_; }
  // nullptr when there is no such section.
  const ArtifactSection *find(std::string_view name) const;
  std::string_view manifestText() const;

private:
  Artifact() = default;
  void parse(const ArtifactReadOptions &options);

  std::string path_;
  const uint8_t *base_ = nullptr;
  size_t size_ = 0;
  void *mapping_ = nullptr; // non-null when base_ is an mmap
  std::vector<uint8_t> owned_; // the image for fromBytes()
  uint32_t version_ = 0;
  std::vector<ArtifactSection> sections_;
};

} // namespace ssmc

#endif // SSMC_ARTIFACT_H
