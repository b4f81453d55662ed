// AMX-INT8 GEMM for prompt processing: the symmetric 32-value types (Q4_0, Q5_0, Q8_0) and the
// K types Q4_K, Q5_K, Q6_K (see gemm_k).
// This file alone is compiled with -mamx-tile -mamx-int8 (plus AVX-512); like avx2.cpp it keeps
// everything in an anonymous namespace. One TDPBUSD multiplies a 16-row x 32-value weight tile
// (codes as unsigned bytes: Q4_0/Q5_0 nibbles, Q8_0 as q ^ 0x80) by the matching block of 16
// activation rows, giving the 16 x 16 integer block dots; each is then corrected for the code
// offset (offset * sum(x)) and scaled by d_w * d_x in AVX-512 float, since every 32-value block
// has its own scales. Two tile sets alternate so the tile unit works while floats are scaled.
#include "kernels/amx.h"

#if defined(__AMX_TILE__) && defined(__AMX_INT8__) && defined(__AVX512F__) && defined(__F16C__)
#include <immintrin.h>

#include <cstring>

#include "kernels/amx_tile.h"
#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::amx {

namespace {
using namespace quant;

constexpr int kTile = 16;  // rows of weights and of activations per tile

float half(uint16_t h) { return _cvtsh_ss(h); }

// Tiles 0/3: 16 x 16 int32 results; 1/4: 16 weight rows x 32 code bytes; 2/5: activations, 8
// rows of (16 tokens x 4 consecutive bytes), the layout TDPBUSD wants for its second operand.
void configure_tiles() {
  TileConfig c;
  for (int t : {0, 3}) {
    c.rows[t] = kTile;
    c.colsb[t] = kTile * 4;
  }
  for (int t : {1, 4}) {
    c.rows[t] = kTile;
    c.colsb[t] = kQK;
  }
  for (int t : {2, 5}) {
    c.rows[t] = kQK / 4;
    c.colsb[t] = kTile * 4;
  }
  load_tile_config(c);
}

// out[0..16) = low nibbles of qs[0..16), out[16..32) = the high nibbles.
void nibbles(const uint8_t* qs, uint8_t* out) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
}

// Unsigned codes of one block (32 bytes, value order) and the code offset as a left shift.
struct Q4_0U {
  using Block = BlockQ4_0;
  static constexpr int offset_shift = 3;  // codes - 8
  static void codes(const Block& b, uint8_t* out) { nibbles(b.qs, out); }
};
struct Q5_0U {
  using Block = BlockQ5_0;
  static constexpr int offset_shift = 4;  // codes - 16
  static void codes(const Block& b, uint8_t* out) {
    uint32_t h;
    std::memcpy(&h, b.qh, 4);
    nibbles(b.qs, out);
    for (int j = 0; j < kQK; ++j) out[j] = static_cast<uint8_t>(out[j] | (((h >> j) & 1u) << 4));
  }
};
struct Q8_0U {
  using Block = BlockQ8_0;
  static constexpr int offset_shift = 7;  // (q ^ 0x80) - 128
  static void codes(const Block& b, uint8_t* out) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80))));
  }
};

// Packed activations, per (token group, block) cell: the activation tile (8 rows of 16 tokens
// x 4 bytes), each token's code sum (int32) and d_x (float).
constexpr size_t kCellTile = 512;
constexpr size_t kCellBytes = kCellTile + 2 * kTile * 4;

size_t pack_bytes(int64_t n, int64_t n_tok) {
  return static_cast<size_t>(n_tok / kTile) * static_cast<size_t>(n / kQK) * kCellBytes;
}

void pack(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  for (int64_t g = 0; g < n_tok / kTile; ++g) {
    for (int t = 0; t < kTile; ++t) {
      const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(g * kTile + t) * act_stride);
      for (int64_t i = 0; i < nb; ++i) {
        uint8_t* cell = dst + static_cast<size_t>(g * nb + i) * kCellBytes;
        for (int k = 0; k < kQK / 4; ++k) std::memcpy(cell + k * 64 + 4 * t, x[i].qs + 4 * k, 4);
        std::memcpy(cell + kCellTile + 4 * t, &x[i].sum, 4);
        std::memcpy(cell + kCellTile + 4 * kTile + 4 * t, &x[i].d, 4);
      }
    }
  }
}

// acc[m] (lanes = tokens) += (c[m] - offset * sum) * d_w[m] * d_x for one block's 16 x 16
// results; `cell` is the block's packed activation cell.
inline void scale_block(const int32_t* c, const uint8_t* cell, int shift, const float* dw, __m512* acc) {
  const __m512i o = _mm512_sll_epi32(_mm512_loadu_si512(cell + kCellTile), _mm_cvtsi32_si128(shift));
  const __m512 d = _mm512_loadu_ps(cell + kCellTile + 4 * kTile);
  for (int m = 0; m < kTile; ++m) {
    const __m512i v = _mm512_sub_epi32(_mm512_load_si512(c + m * kTile), o);
    acc[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_mul_ps(_mm512_set1_ps(dw[m]), d), acc[m]);
  }
}

// y[(t0 + t) * y_stride + r0 + m] = acc[m][t]: one 16-row x 16-token result block, transposed in
// registers so each token's 16 results go out as one 64-byte store (256 scalar stores to 16
// token rows were ~10 % of prefill).
void store_tile(const __m512* acc, float* y, size_t y_stride, int64_t t0, int64_t r0) {
  auto pd = [](__m512 v) { return _mm512_castps_pd(v); };
  auto ps = [](__m512d v) { return _mm512_castpd_ps(v); };
  __m512 t[kTile], u[kTile];
  for (int i = 0; i < kTile; i += 2) {
    t[i] = _mm512_unpacklo_ps(acc[i], acc[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(acc[i], acc[i + 1]);
  }
  // u[4q + c], 128-bit lane L: rows 4q..4q+3 of token 4L + c.
  for (int q = 0; q < kTile; q += 4) {
    u[q] = ps(_mm512_unpacklo_pd(pd(t[q]), pd(t[q + 2])));
    u[q + 1] = ps(_mm512_unpackhi_pd(pd(t[q]), pd(t[q + 2])));
    u[q + 2] = ps(_mm512_unpacklo_pd(pd(t[q + 1]), pd(t[q + 3])));
    u[q + 3] = ps(_mm512_unpackhi_pd(pd(t[q + 1]), pd(t[q + 3])));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 p0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), q0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    const __m512 p1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
    const __m512 q1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    const __m512 out[4] = {_mm512_shuffle_f32x4(p0, p1, 0x88), _mm512_shuffle_f32x4(p0, p1, 0xDD),
                           _mm512_shuffle_f32x4(q0, q1, 0x88), _mm512_shuffle_f32x4(q0, q1, 0xDD)};
    for (int l = 0; l < 4; ++l) {  // token 4l + c
      _mm512_storeu_ps(y + static_cast<size_t>(t0 + 4 * l + c) * y_stride + static_cast<size_t>(r0), out[l]);
    }
  }
}

// Row tiles unpacked together: each token group's packed activations are then reused from
// cache by all of them instead of streaming from L3 once per 16 rows (~512 KB of codes).
int64_t row_tiles_per_pass(int64_t n) {
  const int64_t r = (512 * 1024) / (kTile * n);
  return r < 1 ? 1 : (r > kGemmRowTiles ? kGemmRowTiles : r);
}

template <typename Op>
void gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
          uint8_t* scratch, float* y, size_t y_stride) {
  const int64_t nb = n / kQK;
  const int64_t n_groups = n_tok / kTile;
  // Per row tile: codes [16 rows][n], then d_w [block][16 rows].
  const size_t tile_bytes = kGemmScratchPerValue * static_cast<size_t>(n);
  const int64_t per_pass = row_tiles_per_pass(n);
  alignas(64) int32_t c0[kTile * kTile];
  alignas(64) int32_t c1[kTile * kTile];
  configure_tiles();
  const auto stride = static_cast<size_t>(n);
  for (int64_t p0 = 0; p0 + kTile <= n_rows; p0 += per_pass * kTile) {
    const int64_t left = (n_rows - p0) / kTile;
    const int64_t n_tiles = left < per_pass ? left : per_pass;
    for (int64_t rt = 0; rt < n_tiles; ++rt) {
      uint8_t* wcodes = scratch + static_cast<size_t>(rt) * tile_bytes;
      auto* dw = reinterpret_cast<float*>(wcodes + static_cast<size_t>(kTile * n));
      for (int m = 0; m < kTile; ++m) {
        const auto* b =
            reinterpret_cast<const typename Op::Block*>(w + static_cast<size_t>(p0 + rt * kTile + m) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
          Op::codes(b[i], wcodes + static_cast<size_t>(m) * stride + static_cast<size_t>(i) * kQK);
          dw[static_cast<size_t>(i * kTile + m)] = half(b[i].d);
        }
      }
    }
    for (int64_t g = 0; g < n_groups; ++g) {
      for (int64_t rt = 0; rt < n_tiles; ++rt) {
        const uint8_t* wcodes = scratch + static_cast<size_t>(rt) * tile_bytes;
        const auto* dw = reinterpret_cast<const float*>(wcodes + static_cast<size_t>(kTile * n));
        const int64_t r0 = p0 + rt * kTile;
        __m512 acc[kTile];
        for (auto& a : acc) a = _mm512_setzero_ps();
        const auto cell0 = static_cast<size_t>(g * nb);
        // Software pipeline: block i goes to the tile unit (tile sets 0-2 and 3-5 alternating)
        // before the floats of block i - 1 are scaled.
        for (int64_t i = 0; i <= nb; ++i) {
          if (i < nb) {
            const size_t cell = cell0 + static_cast<size_t>(i);
            if (i % 2 == 0) {
              _tile_loadd(1, wcodes + static_cast<size_t>(i) * kQK, stride);
              _tile_loadd(2, packed + cell * kCellBytes, 64);
              _tile_zero(0);
              _tile_dpbusd(0, 1, 2);
              _tile_stored(0, c0, 64);
            } else {
              _tile_loadd(4, wcodes + static_cast<size_t>(i) * kQK, stride);
              _tile_loadd(5, packed + cell * kCellBytes, 64);
              _tile_zero(3);
              _tile_dpbusd(3, 4, 5);
              _tile_stored(3, c1, 64);
            }
          }
          if (i > 0) {
            const int64_t v = i - 1;
            scale_block(v % 2 == 0 ? c0 : c1, packed + (cell0 + static_cast<size_t>(v)) * kCellBytes, Op::offset_shift,
                        &dw[static_cast<size_t>(v * kTile)], acc);
          }
        }
        store_tile(acc, y, y_stride, g * kTile, r0);
      }
    }
  }
  _tile_release();
}

// ---- K types against Q8_K activations ----
// Each 256-value block is cut into groups of G values (32 for Q4_K/Q5_K, 16 for Q6_K) with their
// own integer scale: one TDPBUSD per group gives the 16 x 16 group dots C_g, and per block
// sum_g (s_g * C_g - m_g * bsum_g) is scaled once by d_x, with s_g / m_g the weight's float
// group scale and min term (Q6_K: its -32 code offset, 32 * s_g).

// Tiles as configure_tiles(), for G-value groups.
void configure_tiles_k(int group) {
  TileConfig c;
  for (int t : {0, 3}) {
    c.rows[t] = kTile;
    c.colsb[t] = kTile * 4;
  }
  for (int t : {1, 4}) {
    c.rows[t] = kTile;
    c.colsb[t] = static_cast<uint16_t>(group);
  }
  for (int t : {2, 5}) {
    c.rows[t] = static_cast<uint8_t>(group / 4);
    c.colsb[t] = kTile * 4;
  }
  load_tile_config(c);
}

void scales_mins_k4(const uint8_t* q, int* sc, int* mn) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = q[j] & 63;
    mn[j] = q[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    mn[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// codes: 256 unsigned codes in value order; s, m: per-group scale and min term.
struct Q4_KU {
  using Block = BlockQ4_K;
  static constexpr int group = 32;
  static void decode(const Block& b, uint8_t* codes, float* s, float* m) {
    int sc[8], mn[8];
    scales_mins_k4(b.scales, sc, mn);
    const float d = half(b.d), dmin = half(b.dmin);
    for (int g = 0; g < 8; ++g) {
      s[g] = d * static_cast<float>(sc[g]);
      m[g] = dmin * static_cast<float>(mn[g]);
    }
    for (int g = 0; g < 8; g += 2) nibbles64(b.qs + 16 * g, codes + 32 * g);
  }
  // Low nibbles of 32 bytes are one group, high nibbles the next.
  static void nibbles64(const uint8_t* q, uint8_t* out) {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_and_si256(raw, m4));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4));
  }
};
struct Q5_KU {
  using Block = BlockQ5_K;
  static constexpr int group = 32;
  static void decode(const Block& b, uint8_t* codes, float* s, float* m) {
    int sc[8], mn[8];
    scales_mins_k4(b.scales, sc, mn);
    const float d = half(b.d), dmin = half(b.dmin);
    for (int g = 0; g < 8; ++g) {
      s[g] = d * static_cast<float>(sc[g]);
      m[g] = dmin * static_cast<float>(mn[g]);
    }
    for (int g = 0; g < 8; g += 2) Q4_KU::nibbles64(b.qs + 16 * g, codes + 32 * g);
    for (int g = 0; g < 8; ++g) {
      for (int l = 0; l < 32; ++l)
        codes[32 * g + l] = static_cast<uint8_t>(codes[32 * g + l] | (((b.qh[l] >> g) & 1) << 4));
    }
  }
};
struct Q6_KU {
  using Block = BlockQ6_K;
  static constexpr int group = 16;
  static void decode(const Block& b, uint8_t* codes, float* s, float* m) {
    const float d = half(b.d);
    for (int g = 0; g < 16; ++g) {
      s[g] = d * static_cast<float>(b.scales[g]);
      m[g] = 32.0f * s[g];  // codes carry +32
    }
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b.ql + 64 * h;
      const uint8_t* qh = b.qh + 32 * h;
      uint8_t* q = codes + 128 * h;
      for (int l = 0; l < 32; ++l) {
        q[l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
        q[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
        q[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
        q[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
      }
    }
  }
};

// Packed K activations, per (token group, block) cell: the 256 values as 64 rows of (16 tokens
// x 4 bytes), each G-value group's activation sums as floats ([256 / G][16]), and d_x ([16]).
constexpr size_t kCellTileK = 4096;
constexpr size_t cell_bytes_k(int group) { return kCellTileK + static_cast<size_t>(kQKK / group + 1) * kTile * 4; }

template <int G>
size_t pack_bytes_k(int64_t n, int64_t n_tok) {
  return static_cast<size_t>(n_tok / kTile) * static_cast<size_t>(n / kQKK) * cell_bytes_k(G);
}

template <int G>
void pack_k(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  constexpr int kGroups = kQKK / G;
  const int64_t nb = n / kQKK;
  for (int64_t tg = 0; tg < n_tok / kTile; ++tg) {
    for (int t = 0; t < kTile; ++t) {
      const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(tg * kTile + t) * act_stride);
      for (int64_t i = 0; i < nb; ++i) {
        uint8_t* cell = dst + static_cast<size_t>(tg * nb + i) * cell_bytes_k(G);
        for (int k = 0; k < kQKK / 4; ++k) std::memcpy(cell + k * 64 + 4 * t, x[i].qs + 4 * k, 4);
        for (int g = 0; g < kGroups; ++g) {
          int sum = 0;
          for (int j = g * G / 16; j < (g + 1) * G / 16; ++j) sum += x[i].bsums[j];
          const auto f = static_cast<float>(sum);
          std::memcpy(cell + kCellTileK + static_cast<size_t>(g * kTile + t) * 4, &f, 4);
        }
        std::memcpy(cell + kCellTileK + static_cast<size_t>(kGroups * kTile + t) * 4, &x[i].d, 4);
      }
    }
  }
}

// blk[m] (lanes = tokens) += s[m] * C[m] - m_[m] * bsum for one group's 16 x 16 results.
inline void scale_group(const int32_t* c, const float* bsum, const float* s, const float* mterm, __m512* blk) {
  const __m512 bs = _mm512_loadu_ps(bsum);
  for (int m = 0; m < kTile; ++m) {
    const __m512 v = _mm512_cvtepi32_ps(_mm512_load_si512(c + m * kTile));
    blk[m] = _mm512_fnmadd_ps(bs, _mm512_set1_ps(mterm[m]), _mm512_fmadd_ps(v, _mm512_set1_ps(s[m]), blk[m]));
  }
}

template <typename Op>
void gemm_k(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
            uint8_t* scratch, float* y, size_t y_stride) {
  constexpr int G = Op::group;
  constexpr int NG = kQKK / G;
  constexpr size_t kCell = cell_bytes_k(G);
  const int64_t nb = n / kQKK;
  const int64_t n_groups = n_tok / kTile;
  // Per row tile: codes [16 rows][n], then the float scales and min terms [block][group][16 rows].
  const size_t tile_bytes = kGemmScratchPerValue * static_cast<size_t>(n);
  const int64_t per_pass = row_tiles_per_pass(n);
  alignas(64) int32_t c0[kTile * kTile];
  alignas(64) int32_t c1[kTile * kTile];
  configure_tiles_k(G);
  const auto stride = static_cast<size_t>(n);
  for (int64_t p0 = 0; p0 + kTile <= n_rows; p0 += per_pass * kTile) {
    const int64_t left = (n_rows - p0) / kTile;
    const int64_t n_tiles = left < per_pass ? left : per_pass;
    for (int64_t rt = 0; rt < n_tiles; ++rt) {
      uint8_t* wcodes = scratch + static_cast<size_t>(rt) * tile_bytes;
      auto* ws = reinterpret_cast<float*>(wcodes + static_cast<size_t>(kTile * n));
      float* wm = ws + static_cast<size_t>(nb * NG * kTile);
      for (int m = 0; m < kTile; ++m) {
        const auto* b =
            reinterpret_cast<const typename Op::Block*>(w + static_cast<size_t>(p0 + rt * kTile + m) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
          float s[NG], mt[NG];
          Op::decode(b[i], wcodes + static_cast<size_t>(m) * stride + static_cast<size_t>(i) * kQKK, s, mt);
          for (int g = 0; g < NG; ++g) {
            ws[static_cast<size_t>((i * NG + g) * kTile + m)] = s[g];
            wm[static_cast<size_t>((i * NG + g) * kTile + m)] = mt[g];
          }
        }
      }
    }
    for (int64_t tg = 0; tg < n_groups; ++tg) {
      for (int64_t rt = 0; rt < n_tiles; ++rt) {
        const uint8_t* wcodes = scratch + static_cast<size_t>(rt) * tile_bytes;
        const auto* ws = reinterpret_cast<const float*>(wcodes + static_cast<size_t>(kTile * n));
        const float* wm = ws + static_cast<size_t>(nb * NG * kTile);
        __m512 acc[kTile];
        for (auto& a : acc) a = _mm512_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
          const auto cell = static_cast<size_t>(tg * nb + i);
          const uint8_t* at = packed + cell * kCell;
          const uint8_t* wt = wcodes + static_cast<size_t>(i) * kQKK;
          const auto* bs = reinterpret_cast<const float*>(at + kCellTileK);
          const size_t sc0 = static_cast<size_t>(i * NG) * kTile;
          __m512 blk[kTile];
          for (auto& v : blk) v = _mm512_setzero_ps();
          for (int g = 0; g < NG; g += 2) {
            _tile_loadd(1, wt + g * G, stride);
            _tile_loadd(2, at + g * G * 16, 64);
            _tile_zero(0);
            _tile_dpbusd(0, 1, 2);
            _tile_loadd(4, wt + (g + 1) * G, stride);
            _tile_loadd(5, at + (g + 1) * G * 16, 64);
            _tile_zero(3);
            _tile_dpbusd(3, 4, 5);
            _tile_stored(0, c0, 64);
            scale_group(c0, bs + g * kTile, &ws[sc0 + static_cast<size_t>(g) * kTile],
                        &wm[sc0 + static_cast<size_t>(g) * kTile], blk);
            _tile_stored(3, c1, 64);
            scale_group(c1, bs + (g + 1) * kTile, &ws[sc0 + static_cast<size_t>(g + 1) * kTile],
                        &wm[sc0 + static_cast<size_t>(g + 1) * kTile], blk);
          }
          const __m512 dx = _mm512_loadu_ps(bs + NG * kTile);
          for (int m = 0; m < kTile; ++m) acc[m] = _mm512_fmadd_ps(blk[m], dx, acc[m]);
        }
        store_tile(acc, y, y_stride, tg * kTile, p0 + rt * kTile);
      }
    }
  }
  _tile_release();
}

}  // namespace

TypeKernels kernels(TensorType type) {
  TypeKernels k;
  switch (type) {
    case TensorType::Q4_0:
      k.gemm = gemm<Q4_0U>;
      break;
    case TensorType::Q5_0:
      k.gemm = gemm<Q5_0U>;
      break;
    case TensorType::Q8_0:
      k.gemm = gemm<Q8_0U>;
      break;
    case TensorType::Q4_K:
      k.gemm = gemm_k<Q4_KU>;
      break;
    case TensorType::Q5_K:
      k.gemm = gemm_k<Q5_KU>;
      break;
    case TensorType::Q6_K:
      k.gemm = gemm_k<Q6_KU>;
      k.gemm_pack = pack_k<Q6_KU::group>;
      k.gemm_pack_bytes = pack_bytes_k<Q6_KU::group>;
      return k;
    default:
      return k;
  }
  add_small_gemm(type, k);
  // The 32-value types share one packing, Q4_K and Q5_K another (32-value groups).
  const bool k_type = type == TensorType::Q4_K || type == TensorType::Q5_K;
  k.gemm_pack = k_type ? pack_k<Q4_KU::group> : pack;
  k.gemm_pack_bytes = k_type ? pack_bytes_k<Q4_KU::group> : pack_bytes;
  return k;
}

}  // namespace minerva::amx

#else  // not built for x86 with AMX: no variants

namespace minerva::amx {
TypeKernels kernels(TensorType /*type*/) { return TypeKernels{}; }
}  // namespace minerva::amx

#endif
