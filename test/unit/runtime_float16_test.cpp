// f16 / bf16 narrowing (ssmc/float16.h), used by ssmc-compile --dtype: every
// 16-bit value survives widening and narrowing back, and rounding is to
// nearest even at the edges that matter (ties, subnormals, overflow, NaN).
#include "ssmc/float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace {

float bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

TEST(Float16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = ssmc::halfToFloat(uint16_t(h));
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(ssmc::halfToFloat(ssmc::floatToHalf(f)))) << std::hex << h;
    else
      EXPECT_EQ(ssmc::floatToHalf(f), h) << std::hex << h;
  }
}

TEST(Float16, EveryBfloat16RoundTrips) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = ssmc::bfloat16ToFloat(uint16_t(b));
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(ssmc::bfloat16ToFloat(ssmc::floatToBfloat16(f)))) << std::hex << b;
    else
      EXPECT_EQ(ssmc::floatToBfloat16(f), b) << std::hex << b;
  }
}

TEST(Float16, HalfRoundsToNearestEven) {
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even 1.
  EXPECT_EQ(ssmc::floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 lies halfway between odd 0x3c01 and even 0x3c02.
  EXPECT_EQ(ssmc::floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(ssmc::floatToHalf(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  EXPECT_EQ(ssmc::floatToHalf(65504.0f), 0x7bff);                // largest finite
  EXPECT_EQ(ssmc::floatToHalf(65519.0f), 0x7bff);                // still rounds down
  EXPECT_EQ(ssmc::floatToHalf(65520.0f), 0x7c00);                // rounds to Inf
  EXPECT_EQ(ssmc::floatToHalf(-1e10f), 0xfc00);
  EXPECT_EQ(ssmc::floatToHalf(std::ldexp(1.0f, -24)), 0x0001);   // smallest subnormal
  EXPECT_EQ(ssmc::floatToHalf(std::ldexp(1.0f, -25)), 0x0000);   // its half: tie to 0
  EXPECT_EQ(ssmc::floatToHalf(std::ldexp(3.0f, -26)), 0x0001);   // above the half
  EXPECT_EQ(ssmc::floatToHalf(std::ldexp(3.0f, -25)), 0x0002);   // 1.5 units: tie to 2
  EXPECT_EQ(ssmc::floatToHalf(-0.0f), 0x8000);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(ssmc::halfToFloat(ssmc::floatToHalf(nan))));
}

TEST(Float16, Bfloat16RoundsToNearestEven) {
  EXPECT_EQ(ssmc::floatToBfloat16(bits(0x3f808000)), 0x3f80); // tie, even below
  EXPECT_EQ(ssmc::floatToBfloat16(bits(0x3f818000)), 0x3f82); // tie, even above
  EXPECT_EQ(ssmc::floatToBfloat16(bits(0x3f808001)), 0x3f81); // past the tie
  EXPECT_EQ(ssmc::floatToBfloat16(bits(0x7f7fffff)), 0x7f80); // FLT_MAX rounds to Inf
  // A NaN whose payload sits in the dropped bits stays a NaN.
  EXPECT_TRUE(std::isnan(ssmc::bfloat16ToFloat(ssmc::floatToBfloat16(bits(0x7f800001)))));
}

} // namespace
