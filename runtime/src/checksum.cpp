// FNV-1a 64, the checksum of the artifact format (docs/artifact-format.md).
#include "ssmc/artifact.h"

#include <cstdio>

namespace ssmc {

uint64_t fnv1a64(const void *data, size_t size, uint64_t hash) {
  const auto *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string checksumToHex(uint64_t checksum) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(checksum));
  return buf;
}

} // namespace ssmc
