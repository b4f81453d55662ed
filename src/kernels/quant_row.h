// Row-level drivers shared by the scalar quantized kernels: a type supplies only "decode one
// block to floats"; these loop over a row's blocks.
#pragma once

#include <cstdint>

namespace minerva::scalar::detail {

// Decode: void(const Block&, float* out) writing Block's QK values.
template <typename Block, int QK, typename Decode>
void dequantize_blocks(const uint8_t* src, float* dst, int64_t n, Decode decode) {
  const auto* b = reinterpret_cast<const Block*>(src);
  for (int64_t i = 0; i < n / QK; ++i) decode(b[i], dst + i * QK);
}

// Decodes each block into a stack buffer and accumulates into eight partial sums indexed by
// position mod 8, exactly as dot_f32 does over a float row.
template <typename Block, int QK, typename Decode>
float dot_blocks(const uint8_t* row, const float* x, int64_t n, Decode decode) {
  static_assert(QK % 8 == 0);
  const auto* b = reinterpret_cast<const Block*>(row);
  float buf[QK];
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n / QK; ++i) {
    decode(b[i], buf);
    const float* xb = x + i * QK;
    for (int j = 0; j < QK; j += 8) {
      for (int k = 0; k < 8; ++k) acc[k] += buf[j + k] * xb[j + k];
    }
  }
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace minerva::scalar::detail
