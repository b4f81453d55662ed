#include "model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace minerva {

namespace {

// YaRN's blend between interpolated and extrapolated angles for pair i (1 below `low`, 0 above `high`).
float yarn_ramp(float low, float high, int64_t i) {
  const float y = (static_cast<float>(i) - low) / std::max(0.001f, high - low);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

// The pair index where a YaRN rotation of n_rot dims completes n_rot_turns turns over n_ctx_orig positions.
float yarn_corr_dim(int64_t n_rot, int64_t n_ctx_orig, float n_rot_turns, float base) {
  return static_cast<float>(n_rot) *
         std::log(static_cast<float>(n_ctx_orig) / (n_rot_turns * 2.0f * std::numbers::pi_v<float>)) /
         (2.0f * std::log(base));
}

}  // namespace

RopeTable make_rope_table(const HParams& hp, const RopeParams& rp, const float* factors) {
  RopeTable t;
  t.params = rp;
  t.factors = factors;
  t.n_rot = hp.n_rot;
  t.mscale = hp.rope_attn_factor;
  if (hp.rope_scaling == RopeScaling::Yarn) {
    // As llama.cpp: extrapolate the fast-turning dimensions, interpolate the slow ones, and
    // scale magnitudes by 0.1 ln(factor) + 1 overall.
    t.ext_factor = 1.0f;
    const float factor = 1.0f / hp.rope.freq_scale;
    const float mscale = factor <= 1.0f ? 1.0f : 0.1f * std::log(factor) + 1.0f;
    t.mscale *= mscale / (1.0f + 0.1f * std::log(factor));
    t.corr_low = std::max(0.0f, std::floor(yarn_corr_dim(hp.n_rot, hp.n_ctx_orig, hp.yarn_beta_fast, rp.freq_base)));
    t.corr_high = std::min(static_cast<float>(hp.n_rot - 1),
                           std::ceil(yarn_corr_dim(hp.n_rot, hp.n_ctx_orig, hp.yarn_beta_slow, rp.freq_base)));
  }
  return t;
}

void RopeTable::angles(int64_t pos, float* cos_out, float* sin_out) const {
  // theta_i = pos * base^(-2i/n_rot), built by repeated float multiplication as ggml does so
  // rounding matches the reference implementation closely.
  const float theta_scale = std::pow(params.freq_base, -2.0f / static_cast<float>(n_rot));
  auto theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const float extrap = factors != nullptr ? theta / factors[i] : theta;
    const float interp = params.freq_scale * extrap;
    float angle = interp;
    float m = mscale;
    if (ext_factor != 0.0f) {
      const float mix = yarn_ramp(corr_low, corr_high, i) * ext_factor;
      angle = interp * (1.0f - mix) + extrap * mix;
      m *= 1.0f + 0.1f * std::log(1.0f / params.freq_scale);
    }
    cos_out[i] = std::cos(angle) * m;
    sin_out[i] = std::sin(angle) * m;
    theta *= theta_scale;
  }
}

void rope_head(float* v, const float* cos_t, const float* sin_t, int64_t n_rot, RopeType type) {
  const int64_t half = n_rot / 2;
  for (int64_t i = 0; i < half; ++i) {
    const int64_t a = type == RopeType::Norm ? 2 * i : i;
    const int64_t b = type == RopeType::Norm ? 2 * i + 1 : i + half;
    const float x0 = v[a];
    const float x1 = v[b];
    v[a] = x0 * cos_t[i] - x1 * sin_t[i];
    v[b] = x0 * sin_t[i] + x1 * cos_t[i];
  }
}

}  // namespace minerva
