// AVX-512 VNNI GEMM for prompt processing on CPUs without AMX (Q4_0, Q8_0). The GEMV's layout
// puts four 32-value blocks in a register, so every 128 values cost a float conversion, a
// scale multiply and an FMA per token. Here a register holds one 4-byte slice of sixteen
// blocks: eight VPDPBUSD in a row leave each block's whole integer dot in its own lane, and the
// float work falls to three operations per 512 values per token. Weights are gathered into that
// transposed form once per row and token block (4 or 8 gathers per 16 blocks, shared by 16
// tokens); activations are transposed once per matmul by the pack step. Like avx512.cpp, this
// file is compiled with AVX-512 enabled and keeps everything in an anonymous namespace.
#include "kernels/gemm_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && \
    defined(__F16C__)
#include <immintrin.h>

#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::avx512 {

namespace {
using namespace quant;

constexpr int kLanes = 16;      // blocks per transposed group
constexpr int kTokens = 16;     // tokens per pass over the weights (kGemmTile)
constexpr int kSlices = 8;      // 4-byte slices of a 32-value block
constexpr int64_t kCell = 640;  // one token's group: 8 x 64 code bytes, 16 corrections, 16 scales

// Packed activations: [token][group] cells; in a cell, slice j holds bytes 4j..4j+3 of each of
// the group's 16 blocks (block b at 4b), then corr[16] = -offset * sum(block b's codes) (the
// dot's starting value for weights with a code offset) and d[16]. Blocks past the row's end
// are zero.
size_t groups_of(int64_t n) { return static_cast<size_t>((n / kQK + kLanes - 1) / kLanes); }

size_t pack_bytes(int64_t n, int64_t n_tok) { return static_cast<size_t>(n_tok) * groups_of(n) * kCell; }

template <int OffsetShift>
void pack(int64_t n, const uint8_t* act, size_t act_stride, int64_t n_tok, uint8_t* dst) {
  const int64_t nb = n / kQK;
  const size_t groups = groups_of(n);
  for (int64_t t = 0; t < n_tok; ++t) {
    const auto* x = reinterpret_cast<const BlockQ8A*>(act + static_cast<size_t>(t) * act_stride);
    uint8_t* row = dst + static_cast<size_t>(t) * groups * kCell;
    __builtin_memset(row, 0, groups * kCell);
    for (int64_t i = 0; i < nb; ++i) {
      uint8_t* cell = row + static_cast<size_t>(i / kLanes) * kCell;
      const auto b = static_cast<int>(i % kLanes);
      for (int j = 0; j < kSlices; ++j) __builtin_memcpy(cell + 64 * j + 4 * b, x[i].qs + 4 * j, 4);
      const int32_t corr = -x[i].sum * (1 << OffsetShift);
      __builtin_memcpy(cell + 512 + 4 * b, &corr, 4);
      __builtin_memcpy(cell + 576 + 4 * b, &x[i].d, 4);
    }
  }
}

// The weights of one row's group in transposed form: w[j] lane b = codes 4j..4j+3 of block b
// (unsigned), dw lane b = block b's scale; lanes past the row's blocks (mask) are zero.
struct Q4_0Cols {
  static constexpr int kOffsetShift = 3;
  static void load(const uint8_t* g, __mmask16 mask, __m512i* w, __m512& dw) {
    const __m512i base = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(sizeof(BlockQ4_0)));
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int k = 0; k < 4; ++k) {
      const __m512i q = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask,
                                                    _mm512_add_epi32(base, _mm512_set1_epi32(2 + 4 * k)), g, 1);
      w[k] = _mm512_and_si512(q, m4);                            // values 4k..4k+3: low nibbles
      w[k + 4] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);  // values 16 + 4k..: high nibbles
    }
    const __m512i d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, base, g, 1);
    dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d));  // the low 16 bits of each gathered dword
  }
};

struct Q8_0Cols {
  static constexpr int kOffsetShift = 7;
  static void load(const uint8_t* g, __mmask16 mask, __m512i* w, __m512& dw) {
    const __m512i base = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(sizeof(BlockQ8_0)));
    // Signed codes made unsigned (q + 128); zero lanes stay zero, their activations are zero.
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int j = 0; j < kSlices; ++j) {
      const __m512i q = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask,
                                                    _mm512_add_epi32(base, _mm512_set1_epi32(2 + 4 * j)), g, 1);
      w[j] = _mm512_mask_xor_epi32(q, mask, q, flip);
    }
    const __m512i d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, base, g, 1);
    dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d));
  }
};

// y[t * y_stride + r] for rows r < n_rows and tokens t < n_tok (a multiple of 16).
template <typename Cols>
void gemm(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* packed, int64_t n_tok,
          uint8_t* /*scratch*/, float* y, size_t y_stride) {
  const int64_t nb = n / kQK;
  const auto groups = static_cast<int64_t>(groups_of(n));
  const size_t block_bytes = row_bytes / static_cast<size_t>(nb);
  const size_t token_stride = static_cast<size_t>(groups) * kCell;
  for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
    const uint8_t* acts = packed + static_cast<size_t>(t0) * token_stride;
    for (int64_t r = 0; r < n_rows; ++r) {
      const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
      __m512 acc[kTokens];
      for (auto& a : acc) a = _mm512_setzero_ps();
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t left = nb - g * kLanes;
        const auto mask = static_cast<__mmask16>(left >= kLanes ? 0xFFFF : (1u << left) - 1);
        __m512i wq[kSlices];
        __m512 dw;
        Cols::load(row + static_cast<size_t>(g * kLanes) * block_bytes, mask, wq, dw);
        for (int t = 0; t < kTokens; ++t) {
          const uint8_t* cell = acts + static_cast<size_t>(t) * token_stride + static_cast<size_t>(g) * kCell;
          __m512i p = _mm512_loadu_si512(cell + 512);
          for (int j = 0; j < kSlices; ++j) p = _mm512_dpbusd_epi32(p, wq[j], _mm512_loadu_si512(cell + 64 * j));
          acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dw, _mm512_loadu_ps(cell + 576)), acc[t]);
        }
      }
      for (int t = 0; t < kTokens; ++t) {
        y[static_cast<size_t>(t0 + t) * y_stride + static_cast<size_t>(r)] = _mm512_reduce_add_ps(acc[t]);
      }
    }
  }
}

}  // namespace

void add_gemm(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
      k.gemm = gemm<Q4_0Cols>;
      k.gemm_pack = pack<Q4_0Cols::kOffsetShift>;
      k.gemm_pack_bytes = pack_bytes;
      return;
    case TensorType::Q8_0:
      k.gemm = gemm<Q8_0Cols>;
      k.gemm_pack = pack<Q8_0Cols::kOffsetShift>;
      k.gemm_pack_bytes = pack_bytes;
      return;
    default:
      return;
  }
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no GEMM at this level

namespace minerva::avx512 {
void add_gemm(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
