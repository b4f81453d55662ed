// AMX-INT8 kernel for a few tokens (kGemmSmallMinTokens..16) against whole 16-row weight tiles:
// the decode step of several sequences at once, short prompts and the tail of a prompt. The AVX-512 GEMV pays
// its float epilogue (convert, scale, accumulate) once per token for every four blocks of a
// row, so its cost grows with every token; here the tile unit does the integer dots and the
// float epilogue works on whole rows of (block, token) lanes. Measured (matmul_bench, one
// thread): from about six tokens on this is faster, 1.6x at eight and fifteen tokens for Q4_0.
//
// A 16-row tile goes through one four-block group at a time with the AVX-512 GEMV's steps: per
// row, `lo` holds values 0..15 of each of the four blocks (16 unsigned code bytes per block)
// and `hi` values 16..31, plus the block scales in the step's lane order (lane l: block l / 4).
// One TDPBUSD over lo and one over hi then give, per row, the dots of BPO = 16 / NP blocks with
// NP tokens (NP = tokens rounded up to 8 or 16) as 16 int32 lanes (block, token): the
// activation tile is block-diagonal, so each block's codes meet only their own activations.
// The result tile starts from the code offset's share (-offset * sum of the activations),
// loaded with a zero stride. Tile operations are software-pipelined against the float work.
// Compiled with AMX and AVX-512 enabled, like amx.cpp.
#include "kernels/amx.h"

#if defined(__AMX_TILE__) && defined(__AMX_INT8__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VL__) && defined(__F16C__)
#include <immintrin.h>

#include <cstring>

#include "kernels/amx_tile.h"
#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::amx {

namespace {
using namespace quant;

#include "kernels/legacy_steps_avx512.inc"

constexpr int kTile = 16;
constexpr int64_t kGroupElems = 4 * kQK;

// Token lanes: n_tok rounded up to 8 or 16; 16 / NP blocks share one result row.
int padded_tokens(int64_t n_tok) { return n_tok <= 8 ? 8 : kTile; }

// Packed activations, per tile operation (16 / NP blocks): the block-diagonal B tiles for lo
// and hi (4 * BPO rows of 16 lanes (block, token) x 4 bytes each), then per lane the starting
// value -offset * sum(x) (int32), d_x and, for the K types, d_x * sum(x) (floats).
size_t op_bytes(int np) { return static_cast<size_t>(2 * 4 * (kTile / np) * 64 + 3 * 64); }
size_t group_bytes(int np) { return static_cast<size_t>(np / 4) * op_bytes(np); }

int64_t groups_of(int64_t n) { return (n + kGroupElems - 1) / kGroupElems; }

size_t small_pack_bytes(int64_t n, int64_t n_tok) {
  return static_cast<size_t>(groups_of(n)) * group_bytes(padded_tokens(n_tok));
}

// Block i (32 values: lo = qs[0..15], hi = qs[16..31]) of token t into the packed operations.
struct PackedBlock {
  const int8_t* qs;
  int32_t corr;
  float dx, dsum;
};

void put_block(uint8_t* dst, int np, int64_t i, int64_t t, const PackedBlock& v) {
  const int bpo = kTile / np;
  const size_t half_bytes = static_cast<size_t>(4 * bpo * 64);
  const int b = static_cast<int>(i % bpo);
  const int lane = b * np + static_cast<int>(t);
  uint8_t* o = dst + static_cast<size_t>(i / bpo) * op_bytes(np);
  // Dword row 4b + k of the block-diagonal tile holds values 4k..4k+3 (lo) of block b.
  for (int k = 0; k < 4; ++k) {
    std::memcpy(o + static_cast<size_t>((4 * b + k) * 64 + 4 * lane), v.qs + 4 * k, 4);
    std::memcpy(o + half_bytes + static_cast<size_t>((4 * b + k) * 64 + 4 * lane), v.qs + kQK / 2 + 4 * k, 4);
  }
  std::memcpy(o + 2 * half_bytes + 4 * lane, &v.corr, 4);
  std::memcpy(o + 2 * half_bytes + 64 + 4 * lane, &v.dx, 4);
  std::memcpy(o + 2 * half_bytes + 128 + 4 * lane, &v.dsum, 4);
}

// From BlockQ8A rows, for weights whose codes carry an offset.
template <int Offset>
void small_pack(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int np = padded_tokens(n_tok);
  std::memset(dst, 0, small_pack_bytes(n, n_tok));  // missing blocks and tokens stay zero
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(t) * act_stride);
    for (int64_t i = 0; i < n / kQK; ++i) put_block(dst, np, i, t, {x[i].qs, -Offset * x[i].sum, x[i].d, 0.0f});
  }
}

// From BlockQ8_K rows: the 32-value groups of the super-blocks are the blocks.
void small_pack_k(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int np = padded_tokens(n_tok);
  std::memset(dst, 0, small_pack_bytes(n, n_tok));
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * act_stride);
    for (int64_t i = 0; i < n / kQK; ++i) {
      const BlockQ8_K& sb = x[i / 8];
      const auto g = static_cast<int>(i % 8);
      const auto sum = static_cast<float>(sb.bsums[2 * g] + sb.bsums[2 * g + 1]);
      put_block(dst, np, i, t, {sb.qs + 32 * g, 0, sb.d, sb.d * sum});
    }
  }
}

// Tiles 0 / 3: results, 16 rows x 16 int32 lanes; 1 / 4: lo / hi codes of BPO blocks, 16 rows x
// 16 * BPO bytes; 2 / 5: their block-diagonal activations, 4 * BPO rows x 64 bytes.
void configure(int np) {
  const int bpo = kTile / np;
  TileConfig c;
  for (int t : {0, 3}) {
    c.rows[t] = kTile;
    c.colsb[t] = 64;
  }
  for (int t : {1, 4}) {
    c.rows[t] = kTile;
    c.colsb[t] = static_cast<uint16_t>(16 * bpo);
  }
  for (int t : {2, 5}) {
    c.rows[t] = static_cast<uint8_t>(4 * bpo);
    c.colsb[t] = 64;
  }
  load_tile_config(c);
}

// One block's unsigned codes into lo / hi (16 bytes each) and its scale, for the blocks a
// four-block step does not cover.
void tail_q4_0(const uint8_t* p, uint8_t* lo, uint8_t* hi, float* d) {
  const auto& b = *reinterpret_cast<const BlockQ4_0*>(p);
  for (int j = 0; j < kQK / 2; ++j) {
    lo[j] = static_cast<uint8_t>(b.qs[j] & 0xF);
    hi[j] = static_cast<uint8_t>(b.qs[j] >> 4);
  }
  *d = _cvtsh_ss(b.d);
}

void tail_q5_0(const uint8_t* p, uint8_t* lo, uint8_t* hi, float* d) {
  const auto& b = *reinterpret_cast<const BlockQ5_0*>(p);
  uint32_t h;
  std::memcpy(&h, b.qh, 4);
  for (int j = 0; j < kQK / 2; ++j) {
    lo[j] = static_cast<uint8_t>((b.qs[j] & 0xF) | (((h >> j) & 1u) << 4));
    hi[j] = static_cast<uint8_t>((b.qs[j] >> 4) | (((h >> (j + 16)) & 1u) << 4));
  }
  *d = _cvtsh_ss(b.d);
}

void tail_q8_0(const uint8_t* p, uint8_t* lo, uint8_t* hi, float* d) {
  const auto& b = *reinterpret_cast<const BlockQ8_0*>(p);
  for (int j = 0; j < kQK / 2; ++j) {
    lo[j] = static_cast<uint8_t>(b.qs[j] ^ 0x80);
    hi[j] = static_cast<uint8_t>(b.qs[j + kQK / 2] ^ 0x80);
  }
  *d = _cvtsh_ss(b.d);
}

template <typename StepT, int BlockBytes, void (*Tail)(const uint8_t*, uint8_t*, uint8_t*, float*)>
struct Small {
  using Step = StepT;
  static constexpr bool kHasMin = false;
  static constexpr int kBlockBytes = BlockBytes;
  static void tail(const uint8_t* p, uint8_t* lo, uint8_t* hi, float* d) { Tail(p, lo, hi, d); }
};
using Q4_0Small = Small<Q4_0Step, sizeof(BlockQ4_0), tail_q4_0>;
using Q5_0Small = Small<Q5_0Step, sizeof(BlockQ5_0), tail_q5_0>;
using Q8_0Small = Small<Q8_0Step, sizeof(BlockQ8_0), tail_q8_0>;

// Q4_K: the 32-value groups are the blocks, with scale d * sc and min term dmin * mn. Four groups
// (half a super-block) come from 64 code bytes: groups 4q and 4q + 2 are the low nibbles of bytes
// 0..31 and 32..63, groups 4q + 1 and 4q + 3 the high nibbles.
struct Q4_KSmall {
  struct Step {};
  static constexpr bool kHasMin = true;
  static void unpack(const uint8_t* row, int64_t g, uint8_t* lo, uint8_t* hi, float* d, float* m) {
    const auto& b = reinterpret_cast<const BlockQ4_K*>(row)[g / 2];
    const int q = static_cast<int>(g % 2);
    const __m512i z = _mm512_loadu_si512(b.qs + 64 * q);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i low = _mm512_and_si512(z, m4), high = _mm512_and_si512(_mm512_srli_epi16(z, 4), m4);
    // 128-bit lanes: low = (g4q v0-15, g4q v16-31, g4q+2 v0-15, g4q+2 v16-31), high likewise.
    _mm512_store_si512(lo, _mm512_permutex2var_epi64(low, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), high));
    _mm512_store_si512(hi, _mm512_permutex2var_epi64(low, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), high));
    // The four groups' 6-bit scales and mins (layout in quant_blocks.h), four bytes at a time,
    // each repeated in four lanes.
    uint32_t u[3];
    std::memcpy(u, b.scales, sizeof(u));
    const uint32_t sc = q == 0 ? u[0] & 0x3f3f3f3fu : (u[2] & 0x0f0f0f0fu) | ((u[0] >> 2) & 0x30303030u);
    const uint32_t mn = q == 0 ? u[1] & 0x3f3f3f3fu : ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 2) & 0x30303030u);
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    auto lanes = [&](uint32_t bytes, uint16_t h) {
      const __m128 v = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(static_cast<int>(bytes))));
      return _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_mul_ps(v, _mm_set1_ps(_cvtsh_ss(h)))));
    };
    _mm512_store_ps(d, lanes(sc, b.d));
    _mm512_store_ps(m, lanes(mn, b.dmin));
  }
};

// Scratch for one four-block group of a 16-row tile: lo and hi codes ([row][64 bytes]) and the
// scales ([row][16 floats], the step's lane order); two of them alternate.
struct GroupSlot {
  alignas(64) uint8_t lo[kTile * 64];
  alignas(64) uint8_t hi[kTile * 64];
  alignas(64) float d[kTile * 16];
  alignas(64) float m[kTile * 16];  // min terms (K types)
};

// Group g of 16 rows into the slot; blocks past the row's nb become zero codes and scales.
// Each row's group is prefetched into L2 for the next tile, 16 rows on: with 16 rows read at
// once, neither the hardware prefetcher nor a short distance keeps up.
template <typename Op>
void unpack_k(const uint8_t* w, size_t row_bytes, int64_t g, GroupSlot& s) {  // rows of whole super-blocks
  for (int m = 0; m < kTile; ++m) {
    const uint8_t* row = w + static_cast<size_t>(m) * row_bytes;
    if (g % 2 == 0) {
      const uint8_t* sb = row + static_cast<size_t>(g / 2) * sizeof(BlockQ4_K);
      for (size_t off = 0; off < sizeof(BlockQ4_K); off += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(sb + kTile * row_bytes + off), _MM_HINT_T1);
      }
    }
    Op::unpack(row, g, s.lo + 64 * m, s.hi + 64 * m, s.d + 16 * m, s.m + 16 * m);
  }
}

template <typename Op>
void unpack(const uint8_t* w, size_t row_bytes, int64_t nb, int64_t g, const typename Op::Step& step, GroupSlot& s) {
  const size_t next_tile = kTile * row_bytes;
  constexpr int kGroupBytes = 4 * Op::kBlockBytes;
  const uint8_t* p = w + g * kGroupBytes;
  if (4 * g + 4 <= nb) {
    for (int m = 0; m < kTile; ++m, p += row_bytes) {
      for (int off = 0; off < kGroupBytes; off += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(p + next_tile + off), _MM_HINT_T1);
      }
      __m512i l, h;
      __m512 d;
      step.codes(p, l, h, d);
      _mm512_store_si512(s.lo + 64 * m, l);
      _mm512_store_si512(s.hi + 64 * m, h);
      _mm512_store_ps(s.d + 16 * m, d);
    }
    return;
  }
  std::memset(&s, 0, sizeof(s));
  for (int m = 0; m < kTile; ++m, p += row_bytes) {
    for (int b = 0; 4 * g + b < nb; ++b) {
      float d;
      Op::tail(p + b * Op::kBlockBytes, s.lo + 64 * m + 16 * b, s.hi + 64 * m + 16 * b, &d);
      for (int l = 0; l < 4; ++l) s.d[16 * m + 4 * b + l] = d;
    }
  }
}

// Tile operation `op` of a group into result tile C: it starts from the offset share, then the
// lo and hi dots; the result rows go to `res`. (GCC's tile intrinsics paste the tile number
// into the assembly, so it must be a literal: one function per result tile.)
#define MINERVA_AMX_TILE_OP(NAME, C)                                                                    \
  inline void NAME(const uint8_t* op, size_t half_bytes, const GroupSlot& s, int a_off, int32_t* res) { \
    _tile_loadd(C, op + 2 * half_bytes, 0); /* every row starts from the same offset share */           \
    _tile_loadd(1, s.lo + a_off, 64);                                                                   \
    _tile_loadd(2, op, 64);                                                                             \
    _tile_dpbusd(C, 1, 2);                                                                              \
    _tile_loadd(4, s.hi + a_off, 64);                                                                   \
    _tile_loadd(5, op + half_bytes, 64);                                                                \
    _tile_dpbusd(C, 4, 5);                                                                              \
    _tile_stored(C, res, 64);                                                                           \
  }
MINERVA_AMX_TILE_OP(tile_op0, 0)
MINERVA_AMX_TILE_OP(tile_op3, 3)
#undef MINERVA_AMX_TILE_OP

// acc[m] += res[m] * d_w * d_x (minus min * d_x * sum(x) for the K types) for the 16 rows of
// one tile operation (lanes (block, token)).
template <bool kHasMin>
inline void scale_op(const int32_t* res, const GroupSlot& s, __m512i sel, const uint8_t* op, size_t half_bytes,
                     __m512* acc) {
  const __m512 dx = _mm512_loadu_ps(op + 2 * half_bytes + 64);
  for (int m = 0; m < kTile; ++m) {
    const __m512 dw = _mm512_permutexvar_ps(sel, _mm512_load_ps(s.d + 16 * m));
    const __m512 v = _mm512_cvtepi32_ps(_mm512_load_si512(res + kTile * m));
    acc[m] = _mm512_fmadd_ps(v, _mm512_mul_ps(dw, dx), acc[m]);
    if constexpr (kHasMin) {
      const __m512 mn = _mm512_permutexvar_ps(sel, _mm512_load_ps(s.m + 16 * m));
      acc[m] = _mm512_fnmadd_ps(mn, _mm512_loadu_ps(op + 2 * half_bytes + 128), acc[m]);
    }
  }
}

template <typename Op, int NP>
void small_gemm_np(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
                   float* y, size_t y_stride) {
  constexpr int kBpo = kTile / NP;  // blocks per tile operation
  constexpr int kOps = NP / 4;      // tile operations per four-block group
  const int64_t nb = n / kQK;
  const int64_t ng = groups_of(n);
  const size_t ob = op_bytes(NP);
  const size_t half_bytes = static_cast<size_t>(4 * kBpo * 64);
  GroupSlot slots[2];  // 12 KB on the stack: the unpacked weights never leave L1
  const typename Op::Step step;
  // Lane (block b, token t) of operation p takes the scale of block p * BPO + b, which the
  // step put in lanes 4 (p * BPO + b) .. + 3.
  __m512i sel[kOps];
  for (int p = 0; p < kOps; ++p) {
    alignas(64) int32_t idx[kTile];
    for (int l = 0; l < kTile; ++l) idx[l] = 4 * (p * kBpo + l / NP);
    sel[p] = _mm512_load_si512(idx);
  }
  alignas(64) int32_t res[2][kTile * kTile];
  configure(NP);
  const int64_t n_ops = ng * kOps;
  for (int64_t r0 = 0; r0 + kTile <= n_rows; r0 += kTile) {
    const uint8_t* wt = w + static_cast<size_t>(r0) * row_bytes;
    __m512 acc[kTile];
    for (auto& a : acc) a = _mm512_setzero_ps();
    // Software pipeline: operation u is issued to the tile unit before the floats of u - 1 are
    // scaled, with result tiles 0 and 3 alternating.
    for (int64_t u = 0; u <= n_ops; ++u) {
      if (u < n_ops) {
        const int64_t g = u / kOps;
        const int p = static_cast<int>(u % kOps);
        GroupSlot& slot = slots[g % 2];
        if (p == 0) {
          if constexpr (Op::kHasMin) {
            unpack_k<Op>(wt, row_bytes, g, slot);
          } else {
            unpack<Op>(wt, row_bytes, nb, g, step, slot);
          }
        }
        const uint8_t* op = packed + static_cast<size_t>(u) * ob;
        if (u % 2 == 0) {
          tile_op0(op, half_bytes, slot, 16 * kBpo * p, res[0]);
        } else {
          tile_op3(op, half_bytes, slot, 16 * kBpo * p, res[1]);
        }
      }
      if (u > 0) {
        const int64_t v = u - 1;
        scale_op<Op::kHasMin>(res[v % 2], slots[(v / kOps) % 2], sel[v % kOps], packed + static_cast<size_t>(v) * ob,
                              half_bytes, acc);
      }
    }
    // Row m, token t: the sum over the BPO lanes (b, t).
    alignas(64) float out[kTile * kTile];
    for (int m = 0; m < kTile; ++m) _mm512_store_ps(out + kTile * m, acc[m]);
    for (int64_t t = 0; t < n_tok; ++t) {
      for (int m = 0; m < kTile; ++m) {
        float sum = 0.0f;
        for (int b = 0; b < kBpo; ++b) sum += out[kTile * m + b * NP + t];
        y[static_cast<size_t>(t) * y_stride + static_cast<size_t>(r0 + m)] = sum;
      }
    }
  }
  _tile_release();
}

template <typename Op>
void small_gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
                uint8_t* /*scratch*/, float* y, size_t y_stride) {
  switch (padded_tokens(n_tok)) {
    case 8:
      small_gemm_np<Op, 8>(n, w, row_bytes, n_rows, packed, n_tok, y, y_stride);
      return;
    default:
      small_gemm_np<Op, kTile>(n, w, row_bytes, n_rows, packed, n_tok, y, y_stride);
      return;
  }
}

}  // namespace

void add_small_gemm(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
      k.gemm_small = small_gemm<Q4_0Small>;
      break;
    case TensorType::Q5_0:
      k.gemm_small = small_gemm<Q5_0Small>;
      break;
    case TensorType::Q8_0:
      k.gemm_small = small_gemm<Q8_0Small>;
      break;
    case TensorType::Q4_K:
      k.gemm_small = small_gemm<Q4_KSmall>;
      k.gemm_small_pack = small_pack_k;
      k.gemm_small_pack_bytes = small_pack_bytes;
      return;
    default:
      return;
  }
  k.gemm_small_pack = type == TensorType::Q4_0   ? small_pack<Q4_0Step::kOffset>
                      : type == TensorType::Q5_0 ? small_pack<Q5_0Step::kOffset>
                                                 : small_pack<Q8_0Step::kOffset>;
  k.gemm_small_pack_bytes = small_pack_bytes;
}

}  // namespace minerva::amx

#else  // not built for x86 with AMX: no variants

namespace minerva::amx {
void add_small_gemm(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::amx

#endif
