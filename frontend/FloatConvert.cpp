// Widening f16/bf16 -> f32 and the FNV-1a checksum: small, exact, no tables.

#include "frontend/WeightStore.h"

#include <cstring>

namespace ssmc::frontend {

namespace {
float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
} // namespace

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) // Inf / NaN: keep the payload
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) // normal: rebias 15 -> 127
    return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return bitsToFloat(sign); // +-0
  // Subnormal half: value = mantissa * 2^-24, normal in f32. Shift the
  // leading one up to bit 10 and lower the exponent once per shift.
  uint32_t e = 113; // 127 - 15 + 1
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --e;
  }
  return bitsToFloat(sign | (e << 23) | ((mantissa & 0x3ffu) << 13));
}

// bf16 is the top half of an f32.
float bfloat16ToFloat(uint16_t b) {
  return bitsToFloat(static_cast<uint32_t>(b) << 16);
}

void convertToFloat(DType dtype, const uint8_t *data, size_t count,
                    float *out) {
  // Little-endian bytes assembled by hand: correct on any host, any alignment.
  for (size_t i = 0; i < count; ++i) {
    switch (dtype) {
    case DType::F32: {
      const uint8_t *p = data + 4 * i;
      uint32_t bits = uint32_t(p[0]) | uint32_t(p[1]) << 8 |
                      uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
      out[i] = bitsToFloat(bits);
      break;
    }
    case DType::F16:
      out[i] = halfToFloat(uint16_t(data[2 * i] | data[2 * i + 1] << 8));
      break;
    case DType::BF16:
      out[i] = bfloat16ToFloat(uint16_t(data[2 * i] | data[2 * i + 1] << 8));
      break;
    }
  }
}

uint64_t fnv1a64(const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

} // namespace ssmc::frontend
