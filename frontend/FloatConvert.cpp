// Widening a checkpoint tensor's f32/f16/bf16 elements to f32 (the element
// conversions themselves are ssmc/float16.h, shared with the runtime).

#include "frontend/WeightStore.h"

#include <cstring>

namespace ssmc::frontend {

void convertToFloat(DType dtype, const uint8_t *data, size_t count, float *out) {
  switch (dtype) {
  case DType::F32:
    // Little-endian bytes assembled by hand: correct on any host, any alignment.
    for (size_t i = 0; i < count; ++i) {
      const uint8_t *p = data + 4 * i;
      uint32_t bits = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                      uint32_t(p[3]) << 24;
      std::memcpy(out + i, &bits, sizeof bits);
    }
    break;
  case DType::F16:
    halfsToFloats(data, count, out);
    break;
  case DType::BF16:
    bfloat16sToFloats(data, count, out);
    break;
  }
}

} // namespace ssmc::frontend
