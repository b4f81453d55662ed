// AVX-512 VNNI GEMM for prompt processing on CPUs without AMX (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K).
// A register holds one 4-byte slice of one block in each of 16 weight rows (lane = row): eight
// VPDPBUSD against a token's slices, broadcast from memory, leave each row's whole integer block
// dot in its own lane, and the float work is three operations per block, 16 rows and token (four
// with a K type's mins). The 16 lanes of a token's accumulator are 16 consecutive outputs, so
// nothing is summed across lanes and each token's result is one 64-byte store. (An earlier layout
// put 16 blocks of one row in a register; it paid a transposing add tree per row and token group
// and ran at about half this speed.) Weights of a 16-row tile are gathered into that form once
// (into the caller's scratch) and reused by every 16-token group; activations are re-laid once per
// matmul by the pack step. Like avx512.cpp, this file is compiled with AVX-512 enabled and keeps
// everything in an anonymous namespace.
#include "kernels/gemm_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && \
    defined(__F16C__)
#include <immintrin.h>

#include <cstddef>

#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::avx512 {

namespace {
using namespace quant;

constexpr int kLanes = 16;   // weight rows per tile: a register's 32-bit lanes
constexpr int kTokens = 16;  // tokens per pass over a tile's weights (kGemmTile)

// Packed activations: [group of 16 tokens][block][token] entries, so the 16 tokens that meet a
// block's weights lie together. An entry is the dot's starting value (int32: minus the code
// offset times the block's code sum, for weights with an offset) or d_x times the code sum (float,
// for weights with a min), then d_x, then the block's codes: 40 bytes for 32-value blocks (24 for
// Q6_K's 16-value groups, whose codes the 8-slice layout below takes as 4 slices).
constexpr size_t act_bytes(int slices) { return 8 + 4 * static_cast<size_t>(slices); }

template <int Slices>
size_t pack_bytes(int64_t n, int64_t n_tok) {
  return static_cast<size_t>(n_tok) * static_cast<size_t>(n / (4 * Slices)) * act_bytes(Slices);
}

// The entry of token t and block i in a packed range of nb blocks per token.
template <int Slices>
uint8_t* entry_of(uint8_t* dst, int64_t nb, int64_t t, int64_t i) {
  return dst + static_cast<size_t>(((t / kTokens) * nb + i) * kTokens + t % kTokens) * act_bytes(Slices);
}

void put(uint8_t* entry, int32_t start, float d, const int8_t* qs, size_t n_codes) {
  __builtin_memcpy(entry, &start, 4);
  __builtin_memcpy(entry + 4, &d, 4);
  __builtin_memcpy(entry + 8, qs, n_codes);
}

// From BlockQ8A rows, for weights whose codes carry an offset of 2^OffsetShift.
template <int OffsetShift>
void pack(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(t) * act_stride);
    for (int64_t i = 0; i < nb; ++i)
      put(entry_of<8>(dst, nb, t, i), -x[i].sum * (1 << OffsetShift), x[i].d, x[i].qs, kQK);
  }
}

// From BlockQ8_K rows: the 32-value groups of the super-blocks are the blocks; the start field
// holds d_x times the group's code sum (a float) for the min term.
void pack_k(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * act_stride);
    for (int64_t i = 0; i < nb; ++i) {
      const BlockQ8_K& sb = x[i / 8];
      const auto g = static_cast<int>(i % 8);
      const float dsum = sb.d * static_cast<float>(sb.bsums[2 * g] + sb.bsums[2 * g + 1]);
      int32_t bits = 0;
      __builtin_memcpy(&bits, &dsum, 4);
      put(entry_of<8>(dst, nb, t, i), bits, sb.d, sb.qs + kQK * g, kQK);
    }
  }
}

// From BlockQ8_K rows for Q6_K: its 16-value groups are the blocks, with the -32 code offset's
// share as the starting value.
void pack_k16(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t ng = n / 16;
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * act_stride);
    for (int64_t i = 0; i < ng; ++i) {
      const BlockQ8_K& sb = x[i / 16];
      const auto g = static_cast<int>(i % 16);
      put(entry_of<4>(dst, ng, t, i), -32 * sb.bsums[g], sb.d, sb.qs + 16 * g, 16);
    }
  }
}

// A tile's weights, re-laid once per tile into the scratch: per block, slice j lane r = the
// (unsigned) codes 4j..4j+3 of that block in row r, then per lane the row's scale for the block
// and, for the K types with a min, its min term. prepare() fills the entries of one unit (a
// block; a K type's whole super-block, whose scales are decoded together) from gathers with
// lane r at r * row_bytes.
constexpr size_t entry_bytes(int slices, bool has_min) {
  return 64 * static_cast<size_t>(slices) + (has_min ? 128 : 64);
}

__m512i row_offsets(size_t row_bytes) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int>(row_bytes)));
}

// Each row's dword at byte `at` of the unit that starts at `base` in row 0.
__m512i gather(__m512i rows, const uint8_t* base, size_t at) {
  return _mm512_i32gather_epi32(_mm512_add_epi32(rows, _mm512_set1_epi32(static_cast<int>(at))), base, 1);
}

// Byte m (0..3) of each lane, zero-extended.
__m512i byte_of(__m512i v, int m) { return _mm512_and_si512(_mm512_srli_epi32(v, 8 * m), _mm512_set1_epi32(0xFF)); }

// The f16 in the low half of each lane as a float.
__m512 f16_low(__m512i v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)); }

void store(uint8_t* e, int j, __m512i v) { _mm512_storeu_si512(e + 64 * j, v); }

struct Q4_0Rows {
  static constexpr int kSlices = 8, kGroups = 1;
  static constexpr bool kHasMin = false;
  static void prepare(const uint8_t* tile, __m512i rows, int64_t u, uint8_t* e) {
    const uint8_t* base = tile + static_cast<size_t>(u) * sizeof(BlockQ4_0);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int k = 0; k < 4; ++k) {
      const __m512i q = gather(rows, base, offsetof(BlockQ4_0, qs) + 4 * k);
      store(e, k, _mm512_and_si512(q, m4));                            // values 4k..: low nibbles
      store(e, k + 4, _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));  // 16 + 4k..: high
    }
    _mm512_storeu_ps(e + 512, f16_low(gather(rows, base, 0)));  // d, then the first codes
  }
};

// Q5_0: Q4_0's nibbles plus bit v of qh as bit 4 of value v; slice j takes bits 4j..4j+3,
// spread one per byte by a multiply (bit i lands at 8i: the shifted copies never overlap).
struct Q5_0Rows {
  static constexpr int kSlices = 8, kGroups = 1;
  static constexpr bool kHasMin = false;
  static void prepare(const uint8_t* tile, __m512i rows, int64_t u, uint8_t* e) {
    const uint8_t* base = tile + static_cast<size_t>(u) * sizeof(BlockQ5_0);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i qh = gather(rows, base, offsetof(BlockQ5_0, qh));
    for (int j = 0; j < kSlices; ++j) {
      const __m512i q = gather(rows, base, offsetof(BlockQ5_0, qs) + 4 * (j % 4));
      const __m512i nib = j < 4 ? _mm512_and_si512(q, m4) : _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
      const __m512i bits = _mm512_and_si512(_mm512_srli_epi32(qh, 4 * j), _mm512_set1_epi32(0xF));
      const __m512i spread =
          _mm512_and_si512(_mm512_mullo_epi32(bits, _mm512_set1_epi32(0x00204081)), _mm512_set1_epi32(0x01010101));
      store(e, j, _mm512_or_si512(nib, _mm512_slli_epi32(spread, 4)));
    }
    _mm512_storeu_ps(e + 512, f16_low(gather(rows, base, 0)));
  }
};

struct Q8_0Rows {
  static constexpr int kSlices = 8, kGroups = 1;
  static constexpr bool kHasMin = false;
  static void prepare(const uint8_t* tile, __m512i rows, int64_t u, uint8_t* e) {
    const uint8_t* base = tile + static_cast<size_t>(u) * sizeof(BlockQ8_0);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));  // signed codes + 128
    for (int j = 0; j < kSlices; ++j) store(e, j, _mm512_xor_si512(gather(rows, base, 2 + 4 * j), flip));
    _mm512_storeu_ps(e + 512, f16_low(gather(rows, base, 0)));
  }
};

// Q4_K: group g of the super-block is a Q4_1-like block with scale d * sc and min term
// dmin * mn; its codes are the low (even g) or high (odd g) nibbles of qs[32 * (g / 2) ..].
struct Q4_KRows {
  static constexpr int kSlices = 8, kGroups = 8;
  static constexpr bool kHasMin = true;
  static void prepare(const uint8_t* tile, __m512i rows, int64_t u, uint8_t* e) {
    constexpr size_t kEntry = entry_bytes(kSlices, kHasMin);
    const uint8_t* base = tile + static_cast<size_t>(u) * sizeof(BlockQ4_K);
    const __m512i dd = gather(rows, base, 0);
    const __m512 d = f16_low(dd), dmin = f16_low(_mm512_srli_epi32(dd, 16));
    const __m512i q0 = gather(rows, base, 4), q1 = gather(rows, base, 8), q2 = gather(rows, base, 12);
    const __m512i m6 = _mm512_set1_epi32(63), m4 = _mm512_set1_epi32(0xF);
    for (int g = 0; g < kGroups; ++g) {  // the 6-bit pairs as in unpack_scale_min_k4
      const int m = g % 4;
      const __m512i sc = g < 4 ? _mm512_and_si512(byte_of(q0, m), m6)
                               : _mm512_or_si512(_mm512_and_si512(byte_of(q2, m), m4),
                                                 _mm512_slli_epi32(_mm512_srli_epi32(byte_of(q0, m), 6), 4));
      const __m512i mn = g < 4 ? _mm512_and_si512(byte_of(q1, m), m6)
                               : _mm512_or_si512(_mm512_srli_epi32(byte_of(q2, m), 4),
                                                 _mm512_slli_epi32(_mm512_srli_epi32(byte_of(q1, m), 6), 4));
      _mm512_storeu_ps(e + g * kEntry + 512, _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc)));
      _mm512_storeu_ps(e + g * kEntry + 576, _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(mn)));
    }
    const __m512i n4 = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; ++p) {
      for (int j = 0; j < kSlices; ++j) {
        const __m512i q = gather(rows, base, offsetof(BlockQ4_K, qs) + 32 * p + 4 * j);
        store(e + 2 * p * kEntry, j, _mm512_and_si512(q, n4));
        store(e + (2 * p + 1) * kEntry, j, _mm512_and_si512(_mm512_srli_epi16(q, 4), n4));
      }
    }
  }
};

// Q6_K: group b (16 values) of the super-block, h = b / 8, i = b % 8: low 4 bits from ql bytes
// 64h + 16(i % 4) + .. (high nibbles for i >= 4), top 2 bits at 2 * (i / 2) of qh bytes
// 128 + 32h + 16(i % 2) + ..; scale d * sc[b].
struct Q6_KRows {
  static constexpr int kSlices = 4, kGroups = 16;
  static constexpr bool kHasMin = false;
  static void prepare(const uint8_t* tile, __m512i rows, int64_t u, uint8_t* e) {
    constexpr size_t kEntry = entry_bytes(kSlices, kHasMin);
    const uint8_t* base = tile + static_cast<size_t>(u) * sizeof(BlockQ6_K);
    const __m512i n4 = _mm512_set1_epi8(0x0F), n2 = _mm512_set1_epi8(0x03);
    for (int h = 0; h < 2; ++h) {
      for (int j = 0; j < kSlices; ++j) {
        __m512i hi[2];
        for (int i2 = 0; i2 < 2; ++i2) hi[i2] = gather(rows, base, offsetof(BlockQ6_K, qh) + 32 * h + 16 * i2 + 4 * j);
        for (int i = 0; i < 4; ++i) {
          const __m512i lo = gather(rows, base, 64 * h + 16 * i + 4 * j);
          for (int up = 0; up < 2; ++up) {  // group i (low nibbles) and i + 4 (high)
            const int in8 = i + 4 * up;
            const __m512i l4 = _mm512_and_si512(up == 0 ? lo : _mm512_srli_epi16(lo, 4), n4);
            const __m512i h2 = _mm512_and_si512(_mm512_srli_epi16(hi[in8 % 2], 2 * (in8 / 2)), n2);
            store(e + (8 * h + in8) * kEntry, j, _mm512_or_si512(l4, _mm512_slli_epi16(h2, 4)));
          }
        }
      }
    }
    // d is the last two bytes: take the dword that ends there, not one past the block.
    const __m512 d = f16_low(_mm512_srli_epi32(gather(rows, base, offsetof(BlockQ6_K, d) - 2), 16));
    for (int k = 0; k < 4; ++k) {
      const __m512i sc4 = gather(rows, base, offsetof(BlockQ6_K, scales) + 4 * k);
      for (int m = 0; m < 4; ++m) {  // sign-extend byte m
        const __m512i sc = _mm512_srai_epi32(_mm512_slli_epi32(sc4, 24 - 8 * m), 24);
        _mm512_storeu_ps(e + (4 * k + m) * kEntry + 64 * kSlices, _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc)));
      }
    }
  }
};

int32_t load_i32(const uint8_t* p) {
  int32_t v = 0;
  __builtin_memcpy(&v, p, 4);
  return v;
}

float load_f32(const uint8_t* p) {
  float v = 0;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// y[t * y_stride + r] for rows r < n_rows (a multiple of 16) and tokens t < n_tok (a multiple of
// 16). Per 16-row tile: its weights into the scratch once, then every 16-token group over them
// with the 16 tokens' accumulators in registers; lane r of token t's is output row r.
template <typename Rows>
void gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
          uint8_t* scratch, float* y, size_t y_stride) {
  constexpr int S = Rows::kSlices;
  constexpr size_t kEntry = entry_bytes(S, Rows::kHasMin), kAct = act_bytes(S);
  const int64_t nb = n / (4 * S);  // blocks (groups) per row
  const __m512i rows = row_offsets(row_bytes);
  for (int64_t r0 = 0; r0 < n_rows; r0 += kLanes) {
    const uint8_t* tile = w + static_cast<size_t>(r0) * row_bytes;
    for (int64_t u = 0; u < nb / Rows::kGroups; ++u) {
      Rows::prepare(tile, rows, u, scratch + static_cast<size_t>(u * Rows::kGroups) * kEntry);
    }
    for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
      const uint8_t* acts = packed + static_cast<size_t>(t0 * nb) * kAct;
      __m512 acc[kTokens];
      for (auto& a : acc) a = _mm512_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* e = scratch + static_cast<size_t>(b) * kEntry;
        __m512i wq[S];
        for (int j = 0; j < S; ++j) wq[j] = _mm512_loadu_si512(e + 64 * j);
        const __m512 ws = _mm512_loadu_ps(e + 64 * S);
        const uint8_t* a = acts + static_cast<size_t>(b) * kTokens * kAct;
#pragma GCC unroll 16  // keeps acc[] in registers
        for (int t = 0; t < kTokens; ++t) {
          const uint8_t* x = a + static_cast<size_t>(t) * kAct;
          // Weights with a min start from zero and subtract min * d_x * sum below; the others
          // start from the code offset's share.
          __m512i p = Rows::kHasMin ? _mm512_setzero_si512() : _mm512_set1_epi32(load_i32(x));
          for (int j = 0; j < S; ++j) p = _mm512_dpbusd_epi32(p, wq[j], _mm512_set1_epi32(load_i32(x + 8 + 4 * j)));
          acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(ws, _mm512_set1_ps(load_f32(x + 4))), acc[t]);
          if constexpr (Rows::kHasMin) {
            acc[t] = _mm512_fnmadd_ps(_mm512_loadu_ps(e + 64 * S + 64), _mm512_set1_ps(load_f32(x)), acc[t]);
          }
        }
      }
      for (int t = 0; t < kTokens; ++t) _mm512_storeu_ps(y + static_cast<size_t>(t0 + t) * y_stride + r0, acc[t]);
    }
  }
}

}  // namespace

void add_gemm(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
      k.gemm = gemm<Q4_0Rows>;
      k.gemm_pack = pack<3>;  // codes - 8
      break;
    case TensorType::Q5_0:
      k.gemm = gemm<Q5_0Rows>;
      k.gemm_pack = pack<4>;  // codes - 16
      break;
    case TensorType::Q8_0:
      k.gemm = gemm<Q8_0Rows>;
      k.gemm_pack = pack<7>;  // (codes + 128) - 128
      break;
    case TensorType::Q4_K:
      k.gemm = gemm<Q4_KRows>;
      k.gemm_pack = pack_k;
      break;
    case TensorType::Q6_K:
      k.gemm = gemm<Q6_KRows>;
      k.gemm_pack = pack_k16;
      k.gemm_pack_bytes = pack_bytes<4>;
      return;
    default:
      return;
  }
  k.gemm_pack_bytes = pack_bytes<8>;
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no GEMM at this level

namespace minerva::avx512 {
void add_gemm(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
