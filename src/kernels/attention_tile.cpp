// The scalar reference attention kernels and the run-time choice between ISA levels.
// Every level computes e^x the same way (so levels differ only in summation order):
// n = round(x / ln 2) by the 1.5 * 2^23 trick, r = x - n ln 2 in two parts (Cody-Waite;
// |r| <= ln2 / 2), e^r by its degree-7 Taylor polynomial (truncation ~5e-9 relative), and
// 2^n applied as two factors 2^(n/2) * 2^(n - n/2) so results down to the subnormals round
// once and x is clamped to [-104, 89] without overflowing the exponent field.
#include "kernels/attention_tile.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "kernels/cpu_features.h"
#include "kernels/fp16.h"

namespace minerva {

namespace scalar {
namespace {

float exp1(float x) {
  if (std::isnan(x)) return x;
  x = std::clamp(x, -104.0f, 89.0f);
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer (ties even)
  const float n = (x * 1.44269504088896341f + kMagic) - kMagic;
  float r = x - n * 0.693145751953125f;  // ln 2's upper bits: n * this is exact
  r = r - n * 1.42860682030941723212e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const auto i = static_cast<int32_t>(n);
  const int32_t i1 = i / 2;  // |i| <= 151, both halves stay in the normal exponent range
  const int32_t i2 = i - i1;
  const float s1 = std::bit_cast<float>(static_cast<uint32_t>(i1 + 127) << 23);
  const float s2 = std::bit_cast<float>(static_cast<uint32_t>(i2 + 127) << 23);
  return p * s1 * s2;
}

void exp_row(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp1(x[i]);
}

float element(const AttnTile& t, const uint8_t* row, int64_t d) {
  if (t.f16) return fp16_to_fp32(reinterpret_cast<const uint16_t*>(row)[d]);
  return reinterpret_cast<const float*>(row)[d];
}

void scores(const AttnTile& t, float* s) {
  for (int64_t g = 0; g < t.n_q; ++g) {
    const float* q = t.q + g * t.head_dim;
    for (int64_t j = 0; j < t.n; ++j) {
      const uint8_t* row = t.k + static_cast<size_t>(j) * t.row_bytes;
      float acc = 0.0f;
      for (int64_t d = 0; d < t.head_dim; ++d) acc += q[d] * element(t, row, d);
      s[g * kAttnTile + j] = acc * t.scale;
    }
  }
}

void update(const AttnTile& t, float* s, float* m, float* l, float* out) {
  const int64_t hd = t.head_dim;
  for (int64_t g = 0; g < t.n_q; ++g) {
    float* sg = s + g * kAttnTile;
    float* o = out + g * hd;
    const float m_new = std::max(m[g], *std::max_element(sg, sg + t.n));
    const float corr = exp1(m[g] - m_new);  // 0 on the first tile (m = -inf)
    float sum = 0.0f;
    for (int64_t j = 0; j < t.n; ++j) {
      sg[j] = exp1(sg[j] - m_new);
      sum += sg[j];
    }
    l[g] = l[g] * corr + sum;
    m[g] = m_new;
    for (int64_t d = 0; d < hd; ++d) o[d] *= corr;
    for (int64_t j = 0; j < t.n; ++j) {
      const uint8_t* row = t.v + static_cast<size_t>(j) * t.row_bytes;
      for (int64_t d = 0; d < hd; ++d) o[d] += sg[j] * element(t, row, d);
    }
  }
}

}  // namespace

void to_f16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

AttnKernels attn_kernels() { return AttnKernels{scores, update, exp_row, to_f16}; }

}  // namespace scalar

namespace {

// Each member from the highest level up to `isa` that has it, else the level below.
AttnKernels build(Isa isa) {
  AttnKernels k = scalar::attn_kernels();
  auto take = [&k](const AttnKernels& v) {
    if (v.scores != nullptr) k.scores = v.scores;
    if (v.update != nullptr) k.update = v.update;
    if (v.exp != nullptr) k.exp = v.exp;
    if (v.to_f16 != nullptr) k.to_f16 = v.to_f16;
  };
  if (isa >= Isa::Avx2 && cpu_supports(Isa::Avx2)) take(avx2::attn_kernels());
  if (isa >= Isa::Avx512 && cpu_supports(Isa::Avx512)) take(avx512::attn_kernels());
  return k;
}

}  // namespace

const AttnKernels& attn_kernels(Isa isa) {
  static const AttnKernels tables[] = {build(Isa::Scalar), build(Isa::Avx2), build(Isa::Avx512), build(Isa::Amx)};
  return tables[static_cast<int>(isa)];
}

const AttnKernels& attn_kernels() {
  static const AttnKernels& k = attn_kernels(active_isa());
  return k;
}

}  // namespace minerva
