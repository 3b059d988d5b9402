// See ssmc/float16.h.
#include "ssmc/float16.h"

#include <cstring>

namespace ssmc {

namespace {

float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

uint16_t load16(const uint8_t *p) { return uint16_t(p[0] | p[1] << 8); }

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
float bfloat16ToFloat(uint16_t b) { return bitsToFloat(static_cast<uint32_t>(b) << 16); }

uint16_t floatToBfloat16(float value) {
  uint32_t bits = floatToBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN
    return uint16_t((bits >> 16) | 0x40u);
  // Round to nearest even on the 16 dropped bits (overflow reaches Inf).
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatToBits(value);
  uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) // NaN
    return uint16_t(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  if (abs >= 0x477ff000u) // rounds to >= 65520: Inf (Inf itself included)
    return uint16_t(sign | 0x7c00u);
  if (abs >= 0x38800000u) { // normal half (>= 2^-14)
    uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return uint16_t(sign | ((rounded - 0x38000000u) >> 13));
  }
  if (abs < 0x33000000u) // below half the smallest subnormal (2^-25): zero
    return sign;
  // Subnormal half: the value in units of 2^-24, rounded to nearest even.
  uint32_t exponent = abs >> 23;
  uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
  // value = mantissa * 2^(exponent - 150); in units of 2^-24 that is
  // mantissa * 2^(exponent - 126), a right shift by 14..24.
  uint32_t shift = 126 - exponent;
  uint32_t q = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (q & 1u)))
    ++q;
  return uint16_t(sign | q);
}

void halfsToFloats(const uint8_t *data, size_t count, float *out) {
  for (size_t i = 0; i < count; ++i)
    out[i] = halfToFloat(load16(data + 2 * i));
}

void bfloat16sToFloats(const uint8_t *data, size_t count, float *out) {
  for (size_t i = 0; i < count; ++i)
    out[i] = bfloat16ToFloat(load16(data + 2 * i));
}

} // namespace ssmc
