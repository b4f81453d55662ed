#include "kernels/fp16.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/type_traits.h"

namespace minerva {
namespace {

TEST(Fp16, KnownValues) {
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(fp16_to_fp32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7c00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7e00)));
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // rounds up to inf
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // ties to even: 0
  EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(fp32_to_fp16(std::nanf("")) & 0x7c00, 0x7c00);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), h) << std::hex << h;
  }
}

// Round-to-nearest-even between every pair of neighbouring halves.
TEST(Fp16, MidpointsRoundToEven) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    float lo = fp16_to_fp32(static_cast<uint16_t>(h));
    float hi = fp16_to_fp32(static_cast<uint16_t>(h + 1));
    float mid = (lo + hi) / 2;  // exact in float
    uint16_t want = (h % 2 == 0) ? static_cast<uint16_t>(h) : static_cast<uint16_t>(h + 1);
    ASSERT_EQ(fp32_to_fp16(mid), want) << std::hex << h;
  }
}

// float -> bf16 rounds to nearest, ties to even, like ggml's conversion (which `minerva
// quantize ... BF16` must reproduce bit for bit): every bf16 value round-trips, each midpoint
// between neighbours goes to the even one and anything off the midpoint to the nearer one.
TEST(Bf16, RoundsToNearestEven) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = bf16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_bf16(f), h) << std::hex << h;
  }
  for (uint32_t h = 0; h < 0x7f7f; ++h) {  // positive finite neighbours (the sign bit is copied)
    const uint32_t lo = h << 16;
    const uint32_t mid = lo | 0x8000u;
    const uint16_t even = (h % 2 == 0) ? static_cast<uint16_t>(h) : static_cast<uint16_t>(h + 1);
    ASSERT_EQ(fp32_to_bf16(std::bit_cast<float>(mid)), even) << std::hex << h;
    ASSERT_EQ(fp32_to_bf16(std::bit_cast<float>(mid - 1)), h) << std::hex << h;
    ASSERT_EQ(fp32_to_bf16(std::bit_cast<float>(mid + 1)), h + 1) << std::hex << h;
    ASSERT_EQ(fp32_to_bf16(-std::bit_cast<float>(mid)), even | 0x8000u) << std::hex << h;
  }
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(fp32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  // NaN stays NaN and is made quiet, even a signalling NaN whose payload sits in the low bits
  // that rounding would otherwise carry into the exponent.
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7f800001u)), 0x7fc0);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0xffffffffu)), 0xffff);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7fc00000u)), 0x7fc0);
}

// The F16 row conversion (the KV cache's values are widened with it) at every ISA level the CPU
// has equals the scalar reference bit for bit on every half (subnormals, +-max, inf, NaN), in
// row lengths that leave SIMD tails.
TEST(Fp16, RowConversionMatchesScalarAtEveryLevel) {
  std::vector<uint16_t> all(65536);
  for (uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<uint16_t>(h);
  std::vector<uint8_t> bytes(all.size() * 2);
  std::memcpy(bytes.data(), all.data(), bytes.size());
  for (Isa isa : kAllIsas) {
    const TypeKernels* k = type_kernels(TensorType::F16, isa);
    if (k == nullptr) continue;  // CPU lacks this level
    for (int64_t n : {int64_t{65536}, int64_t{13}, int64_t{7}}) {
      std::vector<float> got(static_cast<size_t>(n), -1.0f);
      k->to_float(bytes.data() + 2 * (65536 - n), got.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = all[static_cast<size_t>(65536 - n + i)];
        const float want = fp16_to_fp32(h);
        if (std::isnan(want)) {
          ASSERT_TRUE(std::isnan(got[static_cast<size_t>(i)])) << isa_name(isa) << std::hex << " half " << h;
        } else {
          ASSERT_EQ(std::bit_cast<uint32_t>(got[static_cast<size_t>(i)]), std::bit_cast<uint32_t>(want))
              << isa_name(isa) << std::hex << " half " << h;
        }
      }
    }
  }
}

}  // namespace
}  // namespace minerva
