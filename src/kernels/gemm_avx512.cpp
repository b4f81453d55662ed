// AVX-512 VNNI GEMM for prompt processing on CPUs without AMX (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K).
// The GEMV's layout puts four 32-value blocks in a register, so every 128 values cost a float
// conversion, a scale multiply and an FMA per token. Here a register holds one 4-byte slice of
// sixteen blocks: eight VPDPBUSD in a row leave each block's whole integer dot in its own lane,
// and the float work falls to three operations per 512 values per token (four with a K type's
// mins). Weights are gathered into that transposed form once per block of 64 rows (into the
// caller's scratch), activations once per matmul by the pack step; 16 tokens share each weight
// load. Like avx512.cpp, this file is compiled with AVX-512 enabled and keeps everything in an
// anonymous namespace.
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

constexpr int kLanes = 16;   // 32-value blocks (or K-type groups) per transposed cell
constexpr int kTokens = 16;  // tokens per pass over a row block's weights (kGemmTile)
constexpr int kSlices = 8;   // 4-byte slices of a 32-value block (Q6_K's 16-value groups: 4)
constexpr int kRows = 64;    // weight rows prepared together (in L2), reused by every token block

// Packed activations: [token][cell], a cell covering 16 blocks of 32 values. Slice j holds
// bytes 4j..4j+3 of each block's codes (block b at 4b); then per lane either the dot's
// starting value (int32: minus the code offset times the block's code sum, for weights with an
// offset) or d_x times the code sum (float, for weights with a min), and d_x. Blocks past the
// row's end are zero. 640 bytes, so 16 tokens' cells of a 2048-wide row stay in L1.
// With S slices per lane (8; Q6_K's 16-value groups: 4) the per-lane fields follow the slices.
constexpr size_t corr_at(int s) { return 64 * static_cast<size_t>(s); }  // also d_x * sum
constexpr size_t dx_at(int s) { return 64 * static_cast<size_t>(s) + 64; }
constexpr size_t cell_bytes(int s) { return 64 * static_cast<size_t>(s) + 128; }
constexpr size_t kCorr = corr_at(kSlices), kDsum = corr_at(kSlices), kDx = dx_at(kSlices), kCell = cell_bytes(kSlices);

size_t cells_of(int64_t n) { return static_cast<size_t>((n / kQK + kLanes - 1) / kLanes); }

size_t pack_bytes(int64_t n, int64_t n_tok) { return static_cast<size_t>(n_tok) * cells_of(n) * kCell; }

void put_f32(uint8_t* cell, size_t at, int b, float v) { __builtin_memcpy(cell + at + 4 * b, &v, 4); }

// From BlockQ8A rows, for weights whose codes carry an offset of 2^OffsetShift.
template <int OffsetShift>
void pack(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  const size_t cells = cells_of(n);
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(t) * act_stride);
    uint8_t* row = dst + static_cast<size_t>(t) * cells * kCell;
    __builtin_memset(row, 0, cells * kCell);
    for (int64_t i = 0; i < nb; ++i) {
      uint8_t* cell = row + static_cast<size_t>(i / kLanes) * kCell;
      const auto b = static_cast<int>(i % kLanes);
      for (int j = 0; j < kSlices; ++j) __builtin_memcpy(cell + 64 * j + 4 * b, x[i].qs + 4 * j, 4);
      const int32_t corr = -x[i].sum * (1 << OffsetShift);
      __builtin_memcpy(cell + kCorr + 4 * b, &corr, 4);
      put_f32(cell, kDx, b, x[i].d);
    }
  }
}

// From BlockQ8_K rows: the 32-value groups of the super-blocks are the blocks.
void pack_k(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  const size_t cells = cells_of(n);
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * act_stride);
    uint8_t* row = dst + static_cast<size_t>(t) * cells * kCell;
    __builtin_memset(row, 0, cells * kCell);
    for (int64_t i = 0; i < nb; ++i) {
      const BlockQ8_K& sb = x[i / 8];
      const auto g = static_cast<int>(i % 8);
      uint8_t* cell = row + static_cast<size_t>(i / kLanes) * kCell;
      const auto b = static_cast<int>(i % kLanes);
      for (int j = 0; j < kSlices; ++j) __builtin_memcpy(cell + 64 * j + 4 * b, sb.qs + 32 * g + 4 * j, 4);
      put_f32(cell, kDx, b, sb.d);
      put_f32(cell, kDsum, b, sb.d * static_cast<float>(sb.bsums[2 * g] + sb.bsums[2 * g + 1]));
    }
  }
}

// From BlockQ8_K rows for Q6_K: a cell is one super-block, its 16-value groups the lanes (four
// slices each), with the -32 code offset's share in the starting value.
constexpr int kSlices16 = 4;

size_t pack_bytes_k16(int64_t n, int64_t n_tok) {
  return static_cast<size_t>(n_tok) * static_cast<size_t>(n / kQKK) * cell_bytes(kSlices16);
}

void pack_k16(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQKK;
  constexpr size_t kBytes = cell_bytes(kSlices16);
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8_K*>(act + static_cast<size_t>(t) * act_stride);
    uint8_t* row = dst + static_cast<size_t>(t * nb) * kBytes;
    for (int64_t i = 0; i < nb; ++i) {
      uint8_t* cell = row + static_cast<size_t>(i) * kBytes;
      for (int b = 0; b < kLanes; ++b) {
        for (int j = 0; j < kSlices16; ++j) __builtin_memcpy(cell + 64 * j + 4 * b, x[i].qs + 16 * b + 4 * j, 4);
        const int32_t corr = -32 * x[i].bsums[b];
        __builtin_memcpy(cell + corr_at(kSlices16) + 4 * b, &corr, 4);
        put_f32(cell, dx_at(kSlices16), b, x[i].d);
      }
    }
  }
}

// A row's cell of weights in transposed form, prepared once per row block: slice j lane b =
// the (unsigned) codes 4j..4j+3 of block b, then per lane the block's scale and min term.
constexpr size_t kScale = 512, kMin = 576;

__m512i lane_index() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

__m512i gather(__mmask16 mask, __m512i offsets, const uint8_t* base) {
  return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, offsets, base, 1);
}

__mmask16 lanes_left(int64_t left) { return static_cast<__mmask16>(left >= kLanes ? 0xFFFF : (1u << left) - 1); }

// Cell c of a row of 32-value blocks: which lanes hold blocks, where the cell starts, and each
// lane's byte offset from there (block b at b * sizeof(Block)).
struct Cell {
  __mmask16 mask;
  const uint8_t* base;
  __m512i offsets;
};

template <typename Block>
Cell cell_of(const uint8_t* row, int64_t nb, int64_t c) {
  return {lanes_left(nb - c * kLanes), row + static_cast<size_t>(c * kLanes) * sizeof(Block),
          _mm512_mullo_epi32(lane_index(), _mm512_set1_epi32(sizeof(Block)))};
}

struct Q4_0Cols {
  static constexpr bool kHasMin = false;
  static constexpr int kSlices = 8;
  static int64_t cells(int64_t n) { return static_cast<int64_t>(cells_of(n)); }
  static void prepare(const uint8_t* row, int64_t nb, int64_t c, uint8_t* e) {
    const auto [mask, g, base] = cell_of<BlockQ4_0>(row, nb, c);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int k = 0; k < 4; ++k) {
      const __m512i q = gather(mask, _mm512_add_epi32(base, _mm512_set1_epi32(2 + 4 * k)), g);
      _mm512_storeu_si512(e + 64 * k, _mm512_and_si512(q, m4));                              // values 4k..: low nibbles
      _mm512_storeu_si512(e + 64 * (k + 4), _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));  // 16 + 4k..: high
    }
    // The low 16 bits of the dword at each block's start are its f16 scale.
    _mm512_storeu_ps(e + kScale, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(mask, base, g))));
  }
};

// Q5_0: Q4_0's nibbles plus bit v of qh as bit 4 of value v; slice j takes bits 4j..4j+3,
// spread one per byte by a multiply (bit i lands at 8i: the shifted copies never overlap).
struct Q5_0Cols {
  static constexpr bool kHasMin = false;
  static constexpr int kSlices = 8;
  static int64_t cells(int64_t n) { return static_cast<int64_t>(cells_of(n)); }
  static void prepare(const uint8_t* row, int64_t nb, int64_t c, uint8_t* e) {
    const auto [mask, g, base] = cell_of<BlockQ5_0>(row, nb, c);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i qh = gather(mask, _mm512_add_epi32(base, _mm512_set1_epi32(offsetof(BlockQ5_0, qh))), g);
    for (int j = 0; j < kSlices; ++j) {
      const __m512i q =
          gather(mask, _mm512_add_epi32(base, _mm512_set1_epi32(offsetof(BlockQ5_0, qs) + 4 * (j % 4))), g);
      const __m512i nib = j < 4 ? _mm512_and_si512(q, m4) : _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
      const __m512i bits = _mm512_and_si512(_mm512_srli_epi32(qh, 4 * j), _mm512_set1_epi32(0xF));
      const __m512i spread =
          _mm512_and_si512(_mm512_mullo_epi32(bits, _mm512_set1_epi32(0x00204081)), _mm512_set1_epi32(0x01010101));
      _mm512_storeu_si512(e + 64 * j, _mm512_or_si512(nib, _mm512_slli_epi32(spread, 4)));
    }
    _mm512_storeu_ps(e + kScale, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(mask, base, g))));
  }
};

struct Q8_0Cols {
  static constexpr bool kHasMin = false;
  static constexpr int kSlices = 8;
  static int64_t cells(int64_t n) { return static_cast<int64_t>(cells_of(n)); }
  static void prepare(const uint8_t* row, int64_t nb, int64_t c, uint8_t* e) {
    const auto [mask, g, base] = cell_of<BlockQ8_0>(row, nb, c);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));  // signed codes + 128
    for (int j = 0; j < kSlices; ++j) {
      const __m512i q = gather(mask, _mm512_add_epi32(base, _mm512_set1_epi32(2 + 4 * j)), g);
      _mm512_storeu_si512(e + 64 * j, _mm512_mask_xor_epi32(q, mask, q, flip));
    }
    _mm512_storeu_ps(e + kScale, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(mask, base, g))));
  }
};

// Q4_K: lane b = group b % 8 of super-block b / 8 (codes at qs + 32 * (g / 2), low nibbles
// for even g, high for odd), a Q4_1-like block with scale d * sc and min term dmin * mn.
struct Q4_KCols {
  static constexpr bool kHasMin = true;
  static constexpr int kSlices = 8;
  static int64_t cells(int64_t n) { return static_cast<int64_t>(cells_of(n)); }
  static void prepare(const uint8_t* row, int64_t nb, int64_t c, uint8_t* e) {
    const int64_t left = nb - c * kLanes;
    const __mmask16 mask = lanes_left(left);
    const auto* sb = reinterpret_cast<const BlockQ4_K*>(row) + 2 * c;
    const __m512i lane = lane_index();
    const __m512i grp = _mm512_and_si512(lane, _mm512_set1_epi32(7));
    const __m512i offs = _mm512_add_epi32(
        _mm512_mullo_epi32(_mm512_srli_epi32(lane, 3), _mm512_set1_epi32(sizeof(BlockQ4_K))),
        _mm512_add_epi32(_mm512_set1_epi32(offsetof(BlockQ4_K, qs)), _mm512_slli_epi32(_mm512_srli_epi32(grp, 1), 5)));
    const __m512i shift = _mm512_slli_epi32(_mm512_and_si512(grp, _mm512_set1_epi32(1)), 2);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const auto* base = reinterpret_cast<const uint8_t*>(sb);
    for (int j = 0; j < kSlices; ++j) {
      const __m512i q = gather(mask, _mm512_add_epi32(offs, _mm512_set1_epi32(4 * j)), base);
      _mm512_storeu_si512(e + 64 * j, _mm512_and_si512(_mm512_srlv_epi32(q, shift), m4));
    }
    alignas(64) float scale[16] = {}, min[16] = {};
    for (int h = 0; h < 2 && left > 8 * h; ++h) {
      const uint8_t* q = sb[h].scales;
      const float d = _cvtsh_ss(sb[h].d), dmin = _cvtsh_ss(sb[h].dmin);
      for (int j = 0; j < 8; ++j) {
        const int sc = j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        const int mn = j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        scale[8 * h + j] = d * static_cast<float>(sc);
        min[8 * h + j] = dmin * static_cast<float>(mn);
      }
    }
    _mm512_storeu_ps(e + kScale, _mm512_load_ps(scale));
    _mm512_storeu_ps(e + kMin, _mm512_load_ps(min));
  }
};

// Q6_K: lane b = group b (16 values) of the super-block; codes 0..63 from ql (low nibbles of
// bytes 64h + 16(b % 4) + .., high nibbles where b % 8 >= 4) and qh (2 bits at 2 * ((b % 8) / 2)
// of bytes 128 + 32h + 16(b % 2) + ..), h = b / 8; scale d * sc[b].
struct Q6_KCols {
  static constexpr bool kHasMin = false;
  static constexpr int kSlices = kSlices16;
  static int64_t cells(int64_t n) { return n / kQKK; }
  static void prepare(const uint8_t* row, int64_t /*nb*/, int64_t c, uint8_t* e) {
    const auto* sb = reinterpret_cast<const BlockQ6_K*>(row) + c;
    const auto* base = reinterpret_cast<const uint8_t*>(sb);
    const __m512i lane = lane_index();
    const __m512i half = _mm512_srli_epi32(lane, 3), in8 = _mm512_and_si512(lane, _mm512_set1_epi32(7));
    const __m512i lo_off = _mm512_add_epi32(_mm512_slli_epi32(half, 6),
                                            _mm512_slli_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(3)), 4));
    const __m512i hi_off =
        _mm512_add_epi32(_mm512_set1_epi32(offsetof(BlockQ6_K, qh)),
                         _mm512_add_epi32(_mm512_slli_epi32(half, 5),
                                          _mm512_slli_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(1)), 4)));
    const __m512i lo_shift = _mm512_slli_epi32(_mm512_srli_epi32(in8, 2), 2);
    const __m512i hi_shift = _mm512_slli_epi32(_mm512_srli_epi32(in8, 1), 1);
    for (int j = 0; j < kSlices; ++j) {
      const __m512i at = _mm512_set1_epi32(4 * j);
      const __m512i lo = _mm512_and_si512(
          _mm512_srlv_epi32(gather(0xFFFF, _mm512_add_epi32(lo_off, at), base), lo_shift), _mm512_set1_epi8(0x0F));
      const __m512i hi = _mm512_and_si512(
          _mm512_srlv_epi32(gather(0xFFFF, _mm512_add_epi32(hi_off, at), base), hi_shift), _mm512_set1_epi8(0x03));
      _mm512_storeu_si512(e + 64 * j, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)));
    }
    const __m512 sc =
        _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sb->scales))));
    _mm512_storeu_ps(e + 64 * kSlices, _mm512_mul_ps(sc, _mm512_set1_ps(_cvtsh_ss(sb->d))));
  }
};

// Lane t of the result = the sum of a[t]'s sixteen lanes: a transposing add tree (45 operations
// for all sixteen, against ~10 per register for separate reductions).
[[gnu::always_inline]] inline __m512 sum_each(const __m512* a) {
  __m512 b[8], c[4];
  for (int i = 0; i < 8; ++i) {  // per 128-bit lane: two partials each of a[2i], a[2i + 1]
    b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  }
  for (int j = 0; j < 4; ++j) {  // per 128-bit lane: a[4j .. 4j + 3]'s sums over that lane
    const __m512d lo = _mm512_castps_pd(b[2 * j]), hi = _mm512_castps_pd(b[2 * j + 1]);
    c[j] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(lo, hi)), _mm512_castpd_ps(_mm512_unpackhi_pd(lo, hi)));
  }
  // Add the four 128-bit lanes of each c[j], ending with c[j]'s four sums in 128-bit lane j.
  const __m512 f0 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xDD));
  const __m512 f1 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], 0x88), _mm512_shuffle_f32x4(c[2], c[3], 0xDD));
  return _mm512_add_ps(_mm512_shuffle_f32x4(f0, f1, 0x88), _mm512_shuffle_f32x4(f0, f1, 0xDD));
}

// Cells per pass over the columns: 16 tokens' activations for 4 cells (2048 values of the 8-slice
// types, 40 KB) stay in L1 while every row of the block passes; longer rows were bound by L2 (one
// activation load per VPDPBUSD). Q6_K (4-slice cells) measured best with 4 as well.
constexpr int64_t kChunkCells = 4;

// y[t * y_stride + r] for rows r < n_rows and tokens t < n_tok (a multiple of 16).
template <typename Cols>
void gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
          uint8_t* scratch, float* y, size_t y_stride) {
  constexpr int S = Cols::kSlices;
  constexpr size_t kCellB = cell_bytes(S), kEntryB = 64 * static_cast<size_t>(S) + 128;
  constexpr size_t kScaleAt = 64 * static_cast<size_t>(S), kMinAt = kScaleAt + 64;
  const int64_t nb = n / kQK;
  const int64_t cells = Cols::cells(n);
  const size_t token_stride = static_cast<size_t>(cells) * kCellB;
  // Rows per pass: kRows, or fewer where the caller's scratch (kGemmScratchPerValue *
  // kGemmRowTiles * n bytes) cannot hold them (short rows round up to whole 16-lane cells).
  const auto fit = static_cast<int64_t>(kGemmScratchPerValue * kGemmRowTiles * static_cast<size_t>(n) /
                                        (static_cast<size_t>(cells) * kEntryB));
  const int64_t per_pass = fit < 1 ? 1 : (fit < kRows ? fit : kRows);
  for (int64_t r0 = 0; r0 < n_rows; r0 += per_pass) {
    const int64_t nr = n_rows - r0 < per_pass ? n_rows - r0 : per_pass;
    for (int64_t r = 0; r < nr; ++r) {
      for (int64_t c = 0; c < cells; ++c) {
        Cols::prepare(w + static_cast<size_t>(r0 + r) * row_bytes, nb, c,
                      scratch + static_cast<size_t>(r * cells + c) * kEntryB);
      }
    }
    for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
      const uint8_t* acts = packed + static_cast<size_t>(t0) * token_stride;
      alignas(64) float ysum[kRows * kTokens] = {};  // [row][token], summed over the column chunks
      for (int64_t c0 = 0; c0 < cells; c0 += kChunkCells) {
        const int64_t c1 = c0 + kChunkCells < cells ? c0 + kChunkCells : cells;
        for (int64_t r = 0; r < nr; ++r) {
          __m512 acc[kTokens];
          for (auto& a : acc) a = _mm512_setzero_ps();
          for (int64_t c = c0; c < c1; ++c) {
            const uint8_t* e = scratch + static_cast<size_t>(r * cells + c) * kEntryB;
            __m512i wq[S];
            for (int j = 0; j < S; ++j) wq[j] = _mm512_loadu_si512(e + 64 * j);
            const __m512 ws = _mm512_loadu_ps(e + kScaleAt);
#pragma GCC unroll 16  // keeps acc[] in registers
            for (int t = 0; t < kTokens; ++t) {
              const uint8_t* cell = acts + static_cast<size_t>(t) * token_stride + static_cast<size_t>(c) * kCellB;
              // Weights with a min start from zero and subtract min * d_x * sum below; the others
              // start from the code offset's share.
              __m512i p = Cols::kHasMin ? _mm512_setzero_si512() : _mm512_loadu_si512(cell + corr_at(S));
              for (int j = 0; j < S; ++j) p = _mm512_dpbusd_epi32(p, wq[j], _mm512_loadu_si512(cell + 64 * j));
              acc[t] =
                  _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(ws, _mm512_loadu_ps(cell + dx_at(S))), acc[t]);
              if constexpr (Cols::kHasMin) {
                acc[t] = _mm512_fnmadd_ps(_mm512_loadu_ps(e + kMinAt), _mm512_loadu_ps(cell + corr_at(S)), acc[t]);
              }
            }
          }
          const __m512 sums = sum_each(acc);
          float* ys = ysum + r * kTokens;
          _mm512_store_ps(ys, _mm512_add_ps(_mm512_load_ps(ys), sums));
        }
      }
      for (int64_t r = 0; r < nr; ++r) {
        for (int t = 0; t < kTokens; ++t) {
          y[static_cast<size_t>(t0 + t) * y_stride + static_cast<size_t>(r0 + r)] = ysum[r * kTokens + t];
        }
      }
    }
  }
}

}  // namespace

void add_gemm(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
      k.gemm = gemm<Q4_0Cols>;
      k.gemm_pack = pack<3>;  // codes - 8
      break;
    case TensorType::Q5_0:
      k.gemm = gemm<Q5_0Cols>;
      k.gemm_pack = pack<4>;  // codes - 16
      break;
    case TensorType::Q8_0:
      k.gemm = gemm<Q8_0Cols>;
      k.gemm_pack = pack<7>;  // (codes + 128) - 128
      break;
    case TensorType::Q4_K:
      k.gemm = gemm<Q4_KCols>;
      k.gemm_pack = pack_k;
      break;
    case TensorType::Q6_K:
      k.gemm = gemm<Q6_KCols>;
      k.gemm_pack = pack_k16;
      k.gemm_pack_bytes = pack_bytes_k16;
      return;
    default:
      return;
  }
  k.gemm_pack_bytes = pack_bytes;
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no GEMM at this level

namespace minerva::avx512 {
void add_gemm(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
