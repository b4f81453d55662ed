// Quantization (float -> blocks): quantize -> dequantize error bounds per type, exact round
// trips of values a format represents, zero and extreme blocks. Bit-identity with llama.cpp's
// quantizer is checked end to end in tests/integration/quantize_cli_test.cpp.
#include "kernels/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/quant_blocks.h"
#include "kernels/type_traits.h"

namespace minerva {

static void PrintTo(TensorType t, std::ostream* os) { *os << tensor_type_name(t); }

namespace {

using namespace quant;

std::vector<uint8_t> quantize(TensorType type, const std::vector<float>& x) {
  std::vector<uint8_t> q(quantized_row_bytes(type, static_cast<int64_t>(x.size())));
  quantize_row(type, x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> dequantize(TensorType type, const std::vector<uint8_t>& q, size_t n) {
  std::vector<float> y(n);
  type_kernels(type, Isa::Scalar)->to_float(q.data(), y.data(), static_cast<int64_t>(n));
  return y;
}

std::vector<float> gaussian(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
  double se = 0.0, sx = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    se += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    sx += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(se / sx);
}

struct ErrorBound {
  TensorType type;
  double max_rel_rmse;  // on N(0, 1) data
};

void PrintTo(const ErrorBound& b, std::ostream* os) { *os << tensor_type_name(b.type); }

class QuantizeError : public ::testing::TestWithParam<ErrorBound> {};

// Gaussian data: the error of a b-bit uniform quantizer over a block's range is about
// range / 2^b / sqrt(12); a 32-value Gaussian block spans about +-2.1 sigma, so 4 bits give
// roughly 0.08-0.12 relative RMSE, 5 bits half that, 8 bits about 0.005, 3 bits (Q3_K) about
// 0.15 and 2 bits (Q2_K, 4 levels) about 0.3; BF16's 8-bit mantissa rounds to ~0.002. The K
// types fit their scales by least squares and land a little lower. Bounds are the measured values (seed 17)
// plus ~30%.
TEST_P(QuantizeError, RelativeRmseWithinBitBudget) {
  const auto [type, bound] = GetParam();
  const auto x = gaussian(4096, 17);
  const auto y = dequantize(type, quantize(type, x), x.size());
  const double e = relative_rmse(x, y);
  std::printf("%s: relative RMSE %.4f (bound %.4f)\n", std::string(tensor_type_name(type)).c_str(), e, bound);
  EXPECT_LT(e, bound) << tensor_type_name(type);
  EXPECT_GT(e, 0.0) << "lossy types lose something";
  // Scaled data quantizes the same up to the scale (blocks store a scale, not absolute values).
  std::vector<float> x2(x);
  for (float& v : x2) v *= 0.02f;
  const double e2 = relative_rmse(x2, dequantize(type, quantize(type, x2), x2.size()));
  EXPECT_NEAR(e2, e, 0.1 * e + 1e-4) << tensor_type_name(type);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeError,
                         ::testing::Values(ErrorBound{TensorType::F16, 3e-4}, ErrorBound{TensorType::Q8_0, 0.007},
                                           ErrorBound{TensorType::Q6_K, 0.024}, ErrorBound{TensorType::Q5_K, 0.047},
                                           ErrorBound{TensorType::Q5_1, 0.05}, ErrorBound{TensorType::Q5_0, 0.056},
                                           ErrorBound{TensorType::Q4_K, 0.094}, ErrorBound{TensorType::Q4_1, 0.1},
                                           ErrorBound{TensorType::Q4_0, 0.112}, ErrorBound{TensorType::Q3_K, 0.195},
                                           ErrorBound{TensorType::Q2_K, 0.385}, ErrorBound{TensorType::BF16, 0.0021}),
                         [](const auto& info) { return std::string(tensor_type_name(info.param.type)); });

// Per element, symmetric legacy types are off by at most one step (the value of the other
// sign from the block maximum can be clamped by one level), by half a step otherwise.
TEST(Quantize, LegacyPerElementErrorBound) {
  const auto x = gaussian(1024, 5);
  {
    const auto q = quantize(TensorType::Q8_0, x);
    const auto y = dequantize(TensorType::Q8_0, q, x.size());
    for (size_t b = 0; b < x.size() / kQK; ++b) {
      BlockQ8_0 blk;
      std::memcpy(&blk, q.data() + b * sizeof blk, sizeof blk);
      const float d = std::fabs(fp16_to_fp32(blk.d));
      for (size_t j = 0; j < kQK; ++j) EXPECT_LE(std::fabs(x[b * kQK + j] - y[b * kQK + j]), 0.6f * d);
    }
  }
  {
    const auto q = quantize(TensorType::Q4_0, x);
    const auto y = dequantize(TensorType::Q4_0, q, x.size());
    for (size_t b = 0; b < x.size() / kQK; ++b) {
      BlockQ4_0 blk;
      std::memcpy(&blk, q.data() + b * sizeof blk, sizeof blk);
      const float d = std::fabs(fp16_to_fp32(blk.d));
      for (size_t j = 0; j < kQK; ++j) EXPECT_LE(std::fabs(x[b * kQK + j] - y[b * kQK + j]), 1.01f * d);
    }
  }
}

// Values a block represents exactly come back exactly, and re-quantizing a dequantized row
// gives the same blocks (the quantizer is idempotent). Not Q3_K: its per-group fit moves single
// values between levels, so a dequantized row can settle on other scales (the integer grid
// below checks its exact case).
class QuantizeRoundTrip : public ::testing::TestWithParam<TensorType> {};

TEST_P(QuantizeRoundTrip, DequantizedRowRequantizesToSameBlocks) {
  const TensorType type = GetParam();
  const auto q = quantize(type, gaussian(1024, 9));
  const auto y = dequantize(type, q, 1024);
  EXPECT_EQ(quantize(type, y), q) << tensor_type_name(type);
  EXPECT_EQ(dequantize(type, quantize(type, y), y.size()), y);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeRoundTrip,
                         ::testing::Values(TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0,
                                           TensorType::Q5_0, TensorType::Q2_K),
                         [](const auto& info) { return std::string(tensor_type_name(info.param)); });

TEST(Quantize, IntegerGridIsExact) {
  // Q4_0 with step 0.25: the levels -8..7 times 0.25 (the -8 end sets the scale).
  std::vector<float> x(kQK);
  for (int j = 0; j < kQK; ++j) x[j] = 0.25f * static_cast<float>((j % 16) - 8);
  EXPECT_EQ(dequantize(TensorType::Q4_0, quantize(TensorType::Q4_0, x), x.size()), x);
  // Q8_0: -127..127 times 2^-4.
  for (int j = 0; j < kQK; ++j) x[j] = 0.0625f * static_cast<float>(j == 0 ? -127 : j * 4 - 64);
  EXPECT_EQ(dequantize(TensorType::Q8_0, quantize(TensorType::Q8_0, x), x.size()), x);
  // Q4_1 / Q5_1: 0..15 (0..31) steps of 0.5 above a minimum of 3.
  for (int j = 0; j < kQK; ++j) x[j] = 3.0f + 0.5f * static_cast<float>(j % 16);
  EXPECT_EQ(dequantize(TensorType::Q4_1, quantize(TensorType::Q4_1, x), x.size()), x);
  for (int j = 0; j < kQK; ++j) x[j] = 3.0f + 0.5f * static_cast<float>(j);
  EXPECT_EQ(dequantize(TensorType::Q5_1, quantize(TensorType::Q5_1, x), x.size()), x);
  // Q3_K: levels -4..3 times 0.25 in every group of 16 (each group reaches -4, so every group
  // scale is 0.25, the super-block scale -1/128 and the 6-bit scales 0 - 32: all exact).
  std::vector<float> k3(kQKK);
  for (int j = 0; j < kQKK; ++j) k3[j] = 0.25f * static_cast<float>((j * 5) % 8 - 4);
  EXPECT_EQ(dequantize(TensorType::Q3_K, quantize(TensorType::Q3_K, k3), k3.size()), k3);
}

class QuantizeEdge : public ::testing::TestWithParam<TensorType> {};

TEST_P(QuantizeEdge, ZeroBlocksAreZero) {
  const TensorType type = GetParam();
  const std::vector<float> x(512, 0.0f);
  EXPECT_EQ(dequantize(type, quantize(type, x), x.size()), x);
}

TEST_P(QuantizeEdge, ExtremesStayFinite) {
  const TensorType type = GetParam();
  for (float scale : {1e-30f, 1e-6f, 1.0f, 1000.0f, 30000.0f}) {
    auto x = gaussian(512, 3, 1.0f);
    for (float& v : x) v = std::clamp(v, -2.0f, 2.0f) * scale;
    x[7] = 2.0f * scale;  // one value at the top of the range
    const auto y = dequantize(type, quantize(type, x), x.size());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_TRUE(std::isfinite(y[i])) << tensor_type_name(type) << " " << scale;
    if (scale >= 1e-3f) {  // below, block scales underflow f16 (min subnormal 6e-8)
      // Q2_K's 4 levels leave ~0.27 of this clipped Gaussian.
      EXPECT_LT(relative_rmse(x, y), type == TensorType::Q2_K ? 0.35 : 0.25) << tensor_type_name(type) << " " << scale;
    }
  }
}

TEST_P(QuantizeEdge, ConstantAndOutlierBlocks) {
  const TensorType type = GetParam();
  std::vector<float> x(512, 0.5f);
  auto y = dequantize(type, quantize(type, x), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], 0.5f, 0.5f * 0.07f) << tensor_type_name(type) << " " << i;
  // One large outlier per block: it is reproduced closely, the rest quantize to near zero.
  x = gaussian(512, 11, 0.01f);
  for (size_t i = 0; i < x.size(); i += 256) x[i + 3] = -50.0f;
  y = dequantize(type, quantize(type, x), x.size());
  for (size_t i = 0; i < x.size(); i += 256) EXPECT_NEAR(y[i + 3], -50.0f, 50.0f * 0.07f) << tensor_type_name(type);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeEdge,
                         ::testing::Values(TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0,
                                           TensorType::Q5_1, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K,
                                           TensorType::Q5_K, TensorType::Q6_K),
                         [](const auto& info) { return std::string(tensor_type_name(info.param)); });

TEST(Quantize, SupportedTypesAndRowBytes) {
  EXPECT_TRUE(quantize_supported(TensorType::Q4_K));
  EXPECT_TRUE(quantize_supported(TensorType::Q2_K));
  EXPECT_TRUE(quantize_supported(TensorType::Q3_K));
  EXPECT_TRUE(quantize_supported(TensorType::BF16));
  EXPECT_FALSE(quantize_supported(TensorType::IQ4_NL));
  EXPECT_EQ(quantize_types().size(), 13u);
  EXPECT_EQ(quantize_type_names().rfind("F32, F16, BF16, Q4_0", 0), 0u) << quantize_type_names();
  EXPECT_EQ(quantized_row_bytes(TensorType::Q4_0, 4096), 4096u / 32 * 18);
  EXPECT_EQ(quantized_row_bytes(TensorType::Q6_K, 4096), 4096u / 256 * 210);
  EXPECT_EQ(quantized_row_bytes(TensorType::Q2_K, 4096), 4096u / 256 * 84);
  EXPECT_EQ(quantized_row_bytes(TensorType::Q3_K, 4096), 4096u / 256 * 110);
  EXPECT_EQ(quantized_row_bytes(TensorType::BF16, 10), 20u);
  EXPECT_EQ(quantized_row_bytes(TensorType::F16, 10), 20u);
}

}  // namespace
}  // namespace minerva
