/* f16 and bf16 <-> f32, shared by the compiler (weight import and packing)
 * and the runtime (widening stored weights at load). Bit-exact, no tables. */
#ifndef SSMC_FLOAT16_H
#define SSMC_FLOAT16_H

#include <cstddef>
#include <cstdint>

namespace ssmc {

// Exact widening: every f16 and bf16 value is an f32 value.
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

// Narrowing, rounded to nearest even; overflow goes to infinity, NaN stays
// NaN (quiet), f16 keeps subnormals.
uint16_t floatToHalf(float value);
uint16_t floatToBfloat16(float value);

// Widens `count` little-endian 16-bit values (any alignment) into `out`.
void halfsToFloats(const uint8_t *data, size_t count, float *out);
void bfloat16sToFloats(const uint8_t *data, size_t count, float *out);

} // namespace ssmc

#endif // SSMC_FLOAT16_H
