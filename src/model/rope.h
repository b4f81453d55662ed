// Rotary position embeddings as llama.cpp's ggml_rope_ext computes them: per-pair angles with
// frequency factors, linear scaling, YaRN and a magnitude factor, and the NORM/NEOX rotation.
#pragma once

#include <cstdint>

#include "model/hparams.h"

namespace minerva {

// Rotary angles for one rotation setting, fixed for a context's lifetime (LongRoPE's factor
// choice depends on the context size): cos/sin already carry the magnitude scale (mscale).
struct RopeTable {
  RopeParams params;
  const float* factors = nullptr;  // [n_rot / 2] frequency divisors, or null
  int64_t n_rot = 0;
  float mscale = 1.0f;
  float ext_factor = 0.0f;  // YaRN: 1 blends extrapolation in; 0 = plain (scaled) rotation
  float corr_low = 0.0f, corr_high = 0.0f;

  // cos/sin of the n_rot/2 pair angles at position `pos`.
  void angles(int64_t pos, float* cos_out, float* sin_out) const;
};

// The rotation a layer with `rp` uses (global or windowed), as llama.cpp's ggml_rope_ext computes it.
RopeTable make_rope_table(const HParams& hp, const RopeParams& rp, const float* factors);

// Rotates the pairs of one head in place; cos/sin hold the n_rot/2 angles of its position.
void rope_head(float* v, const float* cos_t, const float* sin_t, int64_t n_rot, RopeType type);

}  // namespace minerva
