#include "kernels/dot_scalar.h"

#include "kernels/fp16.h"

namespace minerva::scalar {

namespace {
// Eight independent partial sums: lets the compiler keep several FMAs in flight and
// vectorise without -ffast-math, and bounds rounding-error growth on long rows.
template <typename Load>
float dot_generic(const float* b, int64_t n, Load load) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += load(i + k) * b[i + k];
  }
  for (; i < n; ++i) acc[0] += load(i) * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}
}  // namespace

float dot_f32(const float* a, const float* b, int64_t n) {
  return dot_generic(b, n, [a](int64_t i) { return a[i]; });
}

float dot_f16(const uint16_t* a, const float* b, int64_t n) {
  return dot_generic(b, n, [a](int64_t i) { return fp16_to_fp32(a[i]); });
}

float dot_bf16(const uint16_t* a, const float* b, int64_t n) {
  return dot_generic(b, n, [a](int64_t i) { return bf16_to_fp32(a[i]); });
}

void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}

}  // namespace minerva::scalar
