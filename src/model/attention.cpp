#include "model/attention.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "kernels/attention_tile.h"

namespace minerva {

namespace {

struct Scratch {
  std::vector<float> s;  // (n_q, kAttnTile): a tile's scores, then exp(score - running max)
  std::vector<float> m;  // (n_q): running max of the scores
  std::vector<float> l;  // (n_q): running sum of exp(score - m)
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
  sc.s.resize(nq * kAttnTile);
  sc.m.assign(nq, -INFINITY);
  sc.l.assign(nq, 0.0f);
  std::fill(out, out + n_q * hd, 0.0f);
  const AttnKernels& kernels = attn_kernels();
  const float cap = shape.softcap;
  AttnTile tile;
  tile.q = q;
  tile.n_q = n_q;
  tile.head_dim = hd;
  tile.row_bytes = kv.row_bytes;
  tile.f16 = kv.type == KvType::F16;
  // With a soft-cap, scores are cap * tanh(q.k * scale / cap): fold 1/cap into the scale.
  tile.scale = cap > 0.0f ? shape.scale / cap : shape.scale;
  // The kernels prefetch the rows `ahead` positions on (~2 KB) as they go, spread between
  // the arithmetic. With the hardware prefetchers alone (they stop at 4 KB pages) a thread
  // followed a head's keys and values at ~7 GB/s; a whole tile fetched ahead in one burst at
  // the tile's start stalled on full fill buffers (attention_bench at depth 4096: burst 15-16
  // ms, spread 12.5-13 ms). One thread still reads ~8-9 GB/s here: the latency of the misses
  // it can have in flight bounds it, not the memory's bandwidth.
  const int64_t ahead = std::clamp<int64_t>(2048 / static_cast<int64_t>(kv.row_bytes), 1, kAttnTile);
  for (int64_t p0 = first; p0 < last; p0 += kAttnTile) {
    const size_t at = static_cast<size_t>(p0) * kv.row_bytes;
    tile.k = kv.k + at;
    tile.v = kv.v + at;
    tile.n = std::min(kAttnTile, last - p0);
    tile.n_ahead = std::clamp<int64_t>(last - p0 - ahead, 0, tile.n);
    tile.k_ahead = tile.n_ahead > 0 ? tile.k + ahead * kv.row_bytes : nullptr;
    tile.v_ahead = tile.n_ahead > 0 ? tile.v + ahead * kv.row_bytes : nullptr;
    kernels.scores(tile, sc.s.data());
    if (cap > 0.0f) {
      for (int64_t g = 0; g < n_q; ++g) {
        float* sg = &sc.s[static_cast<size_t>(g * kAttnTile)];
        for (int64_t j = 0; j < tile.n; ++j) sg[j] = cap * std::tanh(sg[j]);
      }
    }
    kernels.update(tile, sc.s.data(), sc.m.data(), sc.l.data(), out);
  }
  for (int64_t g = 0; g < n_q; ++g) {
    const float inv = 1.0f / sc.l[static_cast<size_t>(g)];
    float* o = out + g * hd;
    for (int64_t d = 0; d < hd; ++d) o[d] *= inv;
  }
}

}  // namespace minerva
