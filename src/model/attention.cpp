#include "model/attention.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "kernels/type_traits.h"

namespace minerva {

namespace {

// Key positions per tile: a tile's keys and values as floats (2 * 64 * head_dim * 4 bytes,
// 32 KiB at head_dim 64) stay in L1/L2 while every query head of the group uses them.
constexpr int64_t kTile = 64;
// Output values accumulated together in registers (a multiple of every vector width).
constexpr int64_t kLanes = 16;

struct Scratch {
  std::vector<float> k, v;  // (kTile, head_dim): the tile's rows as floats (F16 caches)
  std::vector<float> p;     // (n_q, kTile): scores, then exp(score - running max)
  std::vector<float> m;     // (n_q): running max of the scores
  std::vector<double> l;    // (n_q): running sum of exp(score - m)
};

}  // namespace

const char* kv_type_name(KvType t) { return t == KvType::F16 ? "f16" : "f32"; }

size_t kv_type_size(KvType t) { return t == KvType::F16 ? 2 : 4; }

Result<KvType> parse_kv_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "f16") return KvType::F16;
  if (lower == "f32") return KvType::F32;
  return make_error("KV cache type '" + std::string(name) + "' is not supported (choose f16 or f32)");
}

void attend_group(const AttentionShape& shape, const float* q, int64_t n_q, const KvRows& kv, int64_t first,
                  int64_t last, float* out) {
  thread_local Scratch sc;
  const int64_t hd = shape.head_dim;
  const auto nq = static_cast<size_t>(n_q);
  sc.p.resize(nq * kTile);
  sc.m.assign(nq, -INFINITY);
  sc.l.assign(nq, 0.0);
  const bool f16 = kv.type == KvType::F16;
  if (f16) {
    sc.k.resize(static_cast<size_t>(kTile * hd));
    sc.v.resize(static_cast<size_t>(kTile * hd));
  }
  // Scores are dotted in F32 (keys widened once per tile, shared by the group); the cache's
  // F16 rounding is the only difference from an F32 cache.
  const DotRowFn dot = type_kernels(TensorType::F32)->dot;
  const DequantizeRowFn widen = type_kernels(TensorType::F16)->to_float;
  const float cap = shape.softcap;
  // With a soft-cap, scores are cap * tanh(q.k * scale / cap): fold 1/cap into the scale.
  const float scale = cap > 0.0f ? shape.scale / cap : shape.scale;
  std::fill(out, out + n_q * hd, 0.0f);

  for (int64_t p0 = first; p0 < last; p0 += kTile) {
    const int64_t n = std::min(kTile, last - p0);
    const float* krows = nullptr;
    const float* vrows = nullptr;
    int64_t stride = hd;  // floats between consecutive rows of krows / vrows
    if (f16) {
      for (int64_t j = 0; j < n; ++j) {
        const size_t at = static_cast<size_t>(p0 + j) * kv.row_bytes;
        widen(kv.k + at, &sc.k[static_cast<size_t>(j * hd)], hd);
        widen(kv.v + at, &sc.v[static_cast<size_t>(j * hd)], hd);
      }
      krows = sc.k.data();
      vrows = sc.v.data();
    } else {
      krows = reinterpret_cast<const float*>(kv.k + static_cast<size_t>(p0) * kv.row_bytes);
      vrows = reinterpret_cast<const float*>(kv.v + static_cast<size_t>(p0) * kv.row_bytes);
      stride = static_cast<int64_t>(kv.row_bytes / sizeof(float));
    }
    // Scores, key row outermost so each row is read from memory once for the whole group.
    for (int64_t j = 0; j < n; ++j) {
      const auto* krow = reinterpret_cast<const uint8_t*>(krows + j * stride);
      for (int64_t g = 0; g < n_q; ++g) {
        float s = dot(krow, q + g * hd, hd) * scale;
        if (cap > 0.0f) s = cap * std::tanh(s);
        sc.p[static_cast<size_t>(g * kTile + j)] = s;
      }
    }
    // Online softmax: raise the running max, rescale what was accumulated under the old one.
    for (int64_t g = 0; g < n_q; ++g) {
      float* pg = &sc.p[static_cast<size_t>(g * kTile)];
      const auto gi = static_cast<size_t>(g);
      const float m_new = std::max(sc.m[gi], *std::max_element(pg, pg + n));
      const float corr = std::exp(sc.m[gi] - m_new);  // 0 on the first tile (m = -inf)
      float sum = 0.0f;
      for (int64_t j = 0; j < n; ++j) {
        pg[j] = std::exp(pg[j] - m_new);
        sum += pg[j];
      }
      sc.l[gi] = sc.l[gi] * corr + sum;
      sc.m[gi] = m_new;
      if (corr != 1.0f) {
        float* o = out + g * hd;
        for (int64_t d = 0; d < hd; ++d) o[d] *= corr;
      }
    }
    // out += p . V, kLanes outputs at a time held in registers across the tile (the tile's
    // values, read from memory once, are re-read from cache by the group's other heads).
    for (int64_t g = 0; g < n_q; ++g) {
      const float* pg = &sc.p[static_cast<size_t>(g * kTile)];
      float* o = out + g * hd;
      int64_t d0 = 0;
      for (; d0 + kLanes <= hd; d0 += kLanes) {
        float acc[kLanes];
        for (int64_t i = 0; i < kLanes; ++i) acc[i] = o[d0 + i];
        for (int64_t j = 0; j < n; ++j) {
          const float w = pg[j];
          const float* vr = vrows + j * stride + d0;
          for (int64_t i = 0; i < kLanes; ++i) acc[i] += w * vr[i];
        }
        for (int64_t i = 0; i < kLanes; ++i) o[d0 + i] = acc[i];
      }
      for (; d0 < hd; ++d0) {
        float a = o[d0];
        for (int64_t j = 0; j < n; ++j) a += pg[j] * vrows[j * stride + d0];
        o[d0] = a;
      }
    }
  }
  for (int64_t g = 0; g < n_q; ++g) {
    const auto inv = static_cast<float>(1.0 / sc.l[static_cast<size_t>(g)]);
    float* o = out + g * hd;
    for (int64_t d = 0; d < hd; ++d) o[d] *= inv;
  }
}

}  // namespace minerva
