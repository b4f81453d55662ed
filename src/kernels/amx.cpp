// AMX-INT8 GEMM for prompt processing with the symmetric 32-value types (Q4_0, Q5_0, Q8_0).
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
#include <vector>

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

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

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
  // GCC 12 does not see ldtilecfg read the struct and drops the stores above without this.
  __asm__ volatile("" : : "r"(&c) : "memory");
  _tile_loadconfig(&c);
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

// Per (token group, block): the activation tile, offset * sum for each token, and d_x.
struct PackedActs {
  std::vector<uint8_t> tiles;  // [group][block][8][64]
  std::vector<int32_t> offs;   // [group][block][16]
  std::vector<float> dx;       // [group][block][16]
};

void pack_acts(const uint8_t* act, size_t act_stride, int64_t n_groups, int64_t nb, int shift, PackedActs& p) {
  const auto cells = static_cast<size_t>(n_groups * nb);
  p.tiles.resize(cells * 512);
  p.offs.resize(cells * kTile);
  p.dx.resize(cells * kTile);
  for (int64_t g = 0; g < n_groups; ++g) {
    for (int n = 0; n < kTile; ++n) {
      const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(g * kTile + n) * act_stride);
      for (int64_t i = 0; i < nb; ++i) {
        const auto cell = static_cast<size_t>(g * nb + i);
        uint8_t* t = p.tiles.data() + cell * 512;
        for (int k = 0; k < kQK / 4; ++k) std::memcpy(t + k * 64 + 4 * n, x[i].qs + 4 * k, 4);
        p.offs[cell * kTile + static_cast<size_t>(n)] = x[i].sum * (1 << shift);
        p.dx[cell * kTile + static_cast<size_t>(n)] = x[i].d;
      }
    }
  }
}

// acc[m] (lanes = tokens) += (c[m] - offs) * d_w[m] * d_x for one block's 16 x 16 results.
inline void scale_block(const int32_t* c, const int32_t* offs, const float* dx, const float* dw, __m512* acc) {
  const __m512i o = _mm512_loadu_si512(offs);
  const __m512 d = _mm512_loadu_ps(dx);
  for (int m = 0; m < kTile; ++m) {
    const __m512i v = _mm512_sub_epi32(_mm512_load_si512(c + m * kTile), o);
    acc[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_mul_ps(_mm512_set1_ps(dw[m]), d), acc[m]);
  }
}

template <typename Op>
void gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
          int64_t n_tok, float* y, size_t y_stride) {
  const int64_t nb = n / kQK;
  const int64_t n_groups = n_tok / kTile;
  thread_local PackedActs p;
  thread_local std::vector<uint8_t> wcodes;  // [16 rows][n]
  thread_local std::vector<float> dw;        // [block][16 rows]
  pack_acts(act, act_stride, n_groups, nb, Op::offset_shift, p);
  wcodes.resize(static_cast<size_t>(kTile * n));
  dw.resize(static_cast<size_t>(nb * kTile));
  alignas(64) int32_t c0[kTile * kTile];
  alignas(64) int32_t c1[kTile * kTile];
  configure_tiles();
  const auto stride = static_cast<size_t>(n);
  for (int64_t r0 = 0; r0 + kTile <= n_rows; r0 += kTile) {
    for (int m = 0; m < kTile; ++m) {
      const auto* b = reinterpret_cast<const typename Op::Block*>(w + static_cast<size_t>(r0 + m) * row_bytes);
      for (int64_t i = 0; i < nb; ++i) {
        Op::codes(b[i], wcodes.data() + static_cast<size_t>(m) * stride + static_cast<size_t>(i) * kQK);
        dw[static_cast<size_t>(i * kTile + m)] = half(b[i].d);
      }
    }
    for (int64_t g = 0; g < n_groups; ++g) {
      __m512 acc[kTile];
      for (auto& a : acc) a = _mm512_setzero_ps();
      const auto cell0 = static_cast<size_t>(g * nb);
      int64_t i = 0;
      for (; i + 2 <= nb; i += 2) {
        const size_t ca = cell0 + static_cast<size_t>(i), cb = ca + 1;
        _tile_loadd(1, wcodes.data() + static_cast<size_t>(i) * kQK, stride);
        _tile_loadd(2, p.tiles.data() + ca * 512, 64);
        _tile_zero(0);
        _tile_dpbusd(0, 1, 2);
        _tile_loadd(4, wcodes.data() + static_cast<size_t>(i + 1) * kQK, stride);
        _tile_loadd(5, p.tiles.data() + cb * 512, 64);
        _tile_zero(3);
        _tile_dpbusd(3, 4, 5);
        _tile_stored(0, c0, 64);
        scale_block(c0, &p.offs[ca * kTile], &p.dx[ca * kTile], &dw[static_cast<size_t>(i * kTile)], acc);
        _tile_stored(3, c1, 64);
        scale_block(c1, &p.offs[cb * kTile], &p.dx[cb * kTile], &dw[static_cast<size_t>((i + 1) * kTile)], acc);
      }
      if (i < nb) {  // an odd last block
        const size_t ca = cell0 + static_cast<size_t>(i);
        _tile_loadd(1, wcodes.data() + static_cast<size_t>(i) * kQK, stride);
        _tile_loadd(2, p.tiles.data() + ca * 512, 64);
        _tile_zero(0);
        _tile_dpbusd(0, 1, 2);
        _tile_stored(0, c0, 64);
        scale_block(c0, &p.offs[ca * kTile], &p.dx[ca * kTile], &dw[static_cast<size_t>(i * kTile)], acc);
      }
      alignas(64) float out[kTile];
      for (int m = 0; m < kTile; ++m) {
        _mm512_store_ps(out, acc[m]);
        for (int t = 0; t < kTile; ++t)
          y[static_cast<size_t>(g * kTile + t) * y_stride + static_cast<size_t>(r0 + m)] = out[t];
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
    default:
      break;
  }
  return k;
}

}  // namespace minerva::amx

#else  // not built for x86 with AMX: no variants

namespace minerva::amx {
TypeKernels kernels(TensorType /*type*/) { return TypeKernels{}; }
}  // namespace minerva::amx

#endif
