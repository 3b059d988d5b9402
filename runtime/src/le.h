// Little-endian loads/stores for the artifact header and table (the format is
// little-endian whatever the host is).
#ifndef SSMC_SRC_LE_H
#define SSMC_SRC_LE_H

#include <cstdint>

namespace ssmc::le {

inline uint64_t load(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
inline uint32_t load32(const uint8_t *p) {
  return static_cast<uint32_t>(load(p, 4));
}
inline uint64_t load64(const uint8_t *p) { return load(p, 8); }

inline void store(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8)
    p[i] = static_cast<uint8_t>(v & 0xff);
}

} // namespace ssmc::le

#endif // SSMC_SRC_LE_H
