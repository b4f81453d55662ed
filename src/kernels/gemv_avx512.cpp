// AVX-512 VNNI GEMV for generation (1..kQDotMaxRows tokens against every weight row), where
// the weights stream from memory once per token and the kernel must keep up with DRAM. It
// works on four 32-value weight blocks per step against BlockQ8A4 activations (see
// quant_blocks.h): the four blocks' codes are gathered into one 64-byte register with a
// single word permute over two overlapping loads (no load reaches past the four blocks), their
// four f16 scales with another, and the code offset enters as the dot's starting value, so a
// step is two VPDPBUSD and one float multiply-add per token. Like avx512.cpp, this file is
// compiled with AVX-512 enabled and keeps everything in an anonymous namespace.
#include "kernels/gemv_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && \
    defined(__F16C__)
#include <immintrin.h>

#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"

// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its
// -Wmaybe-uninitialized / -Wuninitialized report at every use (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace minerva::avx512 {

namespace {
using namespace quant;

// How far ahead of the current step the weight stream is prefetched: the hardware prefetcher
// alone leaves a core well short of its share of DRAM bandwidth on these short-step loops.
constexpr int kPrefetchBytes = 2048;

// 32 word indices for a permute (a plain array: no std templates in this file).
struct WordIdx {
  uint16_t w[32];
};

// Word indices for _mm512_permutex2var_epi16 over (z0 = 64 bytes at the group, z1 = 64 bytes
// at group + 8): output words 8b..8b+7 = the 16 code bytes of Q4_0 block b (bytes 2 + 18b ..).
WordIdx q4_0_code_words() {
  WordIdx idx{};
  for (int b = 0; b < 4; ++b) {
    for (int m = 0; m < 8; ++m) {
      const int word = 1 + 9 * b + m;  // in bytes-from-group-start / 2
      idx.w[8 * b + m] = static_cast<uint16_t>(word < 32 ? word : 32 + (word - 4));
    }
  }
  return idx;
}

// Output words 4b..4b+3 (b < 4) = the f16 scale of block b, for blocks `stride` bytes apart
// whose scales sit at the start of each block; (z0 at the group, z1 at group + z1_offset).
WordIdx scale_words(int stride, int z1_offset) {
  WordIdx idx{};
  for (int k = 0; k < 16; ++k) {
    const int byte = stride * (k / 4);
    idx.w[k] = static_cast<uint16_t>(byte < 64 ? byte / 2 : 32 + (byte - z1_offset) / 2);
  }
  return idx;
}

__m512i load_words(const WordIdx& idx) { return _mm512_loadu_si512(idx.w); }

// The 16 per-lane scales d_w(block l / 4) of a group as floats, from the permuted f16 words.
__m512 scales16(__m512i words) { return _mm512_cvtph_ps(_mm512_castsi512_si256(words)); }

// One type's step: codes(group) gives the unsigned low-half and high-half code registers and
// the block scales; kOffsetShift is log2 of the code offset (q - 2^shift is the value).
struct Q4_0Step {
  static constexpr int kGroupBytes = 4 * static_cast<int>(sizeof(BlockQ4_0));
  static constexpr int kOffsetShift = 3;
  __m512i code_idx = load_words(q4_0_code_words());
  __m512i scale_idx = load_words(scale_words(sizeof(BlockQ4_0), 8));

  void codes(const uint8_t* g, __m512i& lo, __m512i& hi, __m512& dw) const {
    const __m512i z0 = _mm512_loadu_si512(g);
    const __m512i z1 = _mm512_loadu_si512(g + 8);
    const __m512i q = _mm512_permutex2var_epi16(z0, code_idx, z1);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    lo = _mm512_and_si512(q, m4);
    hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    dw = scales16(_mm512_permutexvar_epi16(scale_idx, z0));
  }
};

// Q8_0: 34-byte blocks of signed codes, made unsigned by flipping the top bit (q + 128).
struct Q8_0Step {
  static constexpr int kGroupBytes = 4 * static_cast<int>(sizeof(BlockQ8_0));
  static constexpr int kOffsetShift = 7;
  __m512i scale_idx = load_words(scale_words(sizeof(BlockQ8_0), 64));

  static __m512i pair(const uint8_t* a, const uint8_t* b) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  }

  void codes(const uint8_t* g, __m512i& lo, __m512i& hi, __m512& dw) const {
    constexpr int kB = sizeof(BlockQ8_0);
    const __m512i a = pair(g + 2, g + kB + 2);               // blocks 0, 1: 128-bit lanes lo, hi, lo, hi
    const __m512i b = pair(g + 2 * kB + 2, g + 3 * kB + 2);  // blocks 2, 3
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    lo = _mm512_xor_si512(_mm512_shuffle_i64x2(a, b, 0x88), flip);
    hi = _mm512_xor_si512(_mm512_shuffle_i64x2(a, b, 0xDD), flip);
    const __m512i z0 = _mm512_loadu_si512(g);
    const __m512i z1 = _mm512_loadu_si512(g + 64);
    dw = scales16(_mm512_permutex2var_epi16(z0, scale_idx, z1));
  }
};

template <typename Step, int NT>
void gemv_rows(const Step& step, int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act,
               size_t act_stride, float* y, size_t y_stride) {
  const int64_t groups = n / kQ8A4Elems;
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t* wg = row + g * Step::kGroupBytes;
      _mm_prefetch(reinterpret_cast<const char*>(wg + kPrefetchBytes), _MM_HINT_T0);
      __m512i lo, hi;
      __m512 dw;
      step.codes(wg, lo, hi, dw);
      for (int t = 0; t < NT; ++t) {
        const auto& a = reinterpret_cast<const BlockQ8A4*>(act + static_cast<size_t>(t) * act_stride)[g];
        __m512i p = _mm512_slli_epi32(_mm512_loadu_si512(a.neg_sum), Step::kOffsetShift);
        p = _mm512_dpbusd_epi32(p, lo, _mm512_loadu_si512(a.lo));
        p = _mm512_dpbusd_epi32(p, hi, _mm512_loadu_si512(a.hi));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dw, _mm512_loadu_ps(a.d)), acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t)
      y[static_cast<size_t>(t) * y_stride + static_cast<size_t>(r)] = _mm512_reduce_add_ps(acc[t]);
  }
}

template <typename Step>
void gemv(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
          int n_tok, float* y, size_t y_stride) {
  static_assert(kQDotMaxRows == 4);
  const Step step;
  switch (n_tok) {
    case 1:
      return gemv_rows<Step, 1>(step, n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
    case 2:
      return gemv_rows<Step, 2>(step, n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
    case 3:
      return gemv_rows<Step, 3>(step, n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
    default:
      return gemv_rows<Step, 4>(step, n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
  }
}

}  // namespace

void add_gemv(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
      k.gemv = gemv<Q4_0Step>;
      break;
    case TensorType::Q8_0:
      k.gemv = gemv<Q8_0Step>;
      break;
    default:
      return;
  }
  k.gemv_quantize_act = scalar::quantize_act_q8a4;
  k.gemv_group_elems = kQ8A4Elems;
  k.gemv_group_bytes = sizeof(BlockQ8A4);
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no GEMV, matmul keeps the qdot tiles

namespace minerva::avx512 {
void add_gemv(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
