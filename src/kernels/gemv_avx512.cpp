// AVX-512 VNNI GEMV for generation (1..kGemvMaxTokens tokens against every weight row), where
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

// Weight streams per thread in rows_streams (see there).
constexpr int kStreams = 3;

#include "kernels/k4_scales.inc"
#include "kernels/legacy_steps_avx512.inc"

// Prefetches the bytes `kPrefetchBytes` ahead of a step of `bytes` bytes, a line at a time.
template <int Bytes>
void prefetch_ahead(const uint8_t* p) {
  for (int off = 0; off < Bytes; off += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes + off), _MM_HINT_T0);
  }
}

// Each kernel below is a weight unit's decode and its dot with one token's activation unit:
//   kBytes / kActBytes: bytes of one weight unit / activation unit (kElems values each);
//   W: a decoded weight unit, Acc: one row's running sum for one token (start: Acc{}),
//   decode(unit, W&), dot(W, act unit, Acc&), store(Acc, y, y_stride): y[0] = the row's dot
//   product (Quad: y[t * y_stride] for its four interleaved tokens);
//   kStreamTokens: up to how many tokens rows_streams beats rows (more are compute-bound).
// rows() and rows_streams() below run every kernel the same way.

// The 32-value types, four blocks per step against BlockQ8A4 activations.
template <typename Step>
struct Legacy {
  static constexpr int kBytes = Step::kGroupBytes;
  static constexpr int kActBytes = sizeof(BlockQ8A4);
  static constexpr int64_t kElems = kQ8A4Elems;
  static constexpr int kStreamTokens = 3;
  struct W {
    __m512i lo, hi;
    __m512 dw;
  };
  struct Acc {
    __m512 v = _mm512_setzero_ps();
  };
  Step step;

  [[gnu::always_inline]] void decode(const uint8_t* wg, W& x) const { step.codes(wg, x.lo, x.hi, x.dw); }
  [[gnu::always_inline]] static void dot(const W& x, const uint8_t* act, Acc& acc) {
    const auto& a = *reinterpret_cast<const BlockQ8A4*>(act);
    __m512i p = _mm512_loadu_si512(a.corr);  // the code offset's share, from the activation layout
    p = _mm512_dpbusd_epi32(p, x.lo, _mm512_loadu_si512(a.lo));
    p = _mm512_dpbusd_epi32(p, x.hi, _mm512_loadu_si512(a.hi));
    acc.v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(x.dw, _mm512_loadu_ps(a.d)), acc.v);
  }
  static void store(const Acc& acc, float* y, size_t /*y_stride*/) { *y = _mm512_reduce_add_ps(acc.v); }
};

// Four tokens of the 32-value types against BlockQ8A4x4 activations: the dots of the step's four
// blocks with the four tokens end in lanes 4 * block + token, so one convert, multiply and
// multiply-add per step serve all four tokens (the per-token kernel pays them per token and
// is bound by the one port that does both VPDPBUSD and the convert). The price is a dword
// broadcast of the weights per VPDPBUSD (VPSHUFD, another port). Run by rows_streams as one
// "token" whose store writes four (three streams against one: Q4_0 19.2 -> 23.3, Q8_0 24.5 ->
// 29.8 GB/s, 2048-wide rows from DRAM, 2 threads).
template <typename Step>
struct Quad : Legacy<Step> {  // the same weight decode
  using typename Legacy<Step>::W;
  using typename Legacy<Step>::Acc;
  static constexpr int kActBytes = sizeof(BlockQ8A4x4);

  [[gnu::always_inline]] static void dot(const W& w, const uint8_t* act, Acc& acc) {
    const auto& x = *reinterpret_cast<const BlockQ8A4x4*>(act);
    // Two dependency chains (low and high halves) of four VPDPBUSD each.
    __m512i p = _mm512_loadu_si512(x.corr);
    __m512i q = _mm512_setzero_si512();
    p = _mm512_dpbusd_epi32(p, _mm512_shuffle_epi32(w.lo, _MM_PERM_AAAA), _mm512_loadu_si512(x.x[0]));
    q = _mm512_dpbusd_epi32(q, _mm512_shuffle_epi32(w.hi, _MM_PERM_AAAA), _mm512_loadu_si512(x.x[4]));
    p = _mm512_dpbusd_epi32(p, _mm512_shuffle_epi32(w.lo, _MM_PERM_BBBB), _mm512_loadu_si512(x.x[1]));
    q = _mm512_dpbusd_epi32(q, _mm512_shuffle_epi32(w.hi, _MM_PERM_BBBB), _mm512_loadu_si512(x.x[5]));
    p = _mm512_dpbusd_epi32(p, _mm512_shuffle_epi32(w.lo, _MM_PERM_CCCC), _mm512_loadu_si512(x.x[2]));
    q = _mm512_dpbusd_epi32(q, _mm512_shuffle_epi32(w.hi, _MM_PERM_CCCC), _mm512_loadu_si512(x.x[6]));
    p = _mm512_dpbusd_epi32(p, _mm512_shuffle_epi32(w.lo, _MM_PERM_DDDD), _mm512_loadu_si512(x.x[3]));
    q = _mm512_dpbusd_epi32(q, _mm512_shuffle_epi32(w.hi, _MM_PERM_DDDD), _mm512_loadu_si512(x.x[7]));
    const __m512 v = _mm512_cvtepi32_ps(_mm512_add_epi32(p, q));
    acc.v = _mm512_fmadd_ps(v, _mm512_mul_ps(w.dw, _mm512_loadu_ps(x.d)), acc.v);
  }
  static void store(const Acc& acc, float* y, size_t y_stride) {
    // Token t: the sum of lanes t, 4 + t, 8 + t, 12 + t.
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc.v), _mm512_extractf32x8_ps(acc.v, 1));
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    alignas(16) float out[4];
    _mm_store_ps(out, s4);
    for (int t = 0; t < 4; ++t) y[static_cast<size_t>(t) * y_stride] = out[t];
  }
};

// Four tokens' BlockQ8A4 rows into BlockQ8A4x4 groups.
void pack_quad(int64_t n, const uint8_t* act, size_t act_stride, uint8_t* dst) {
  auto* out = reinterpret_cast<BlockQ8A4x4*>(dst);
  for (int64_t g = 0; g < n / kQ8A4Elems; ++g) {
    BlockQ8A4x4& o = out[g];
    for (int t = 0; t < 4; ++t) {
      const auto& a = reinterpret_cast<const BlockQ8A4*>(act + static_cast<size_t>(t) * act_stride)[g];
      for (int b = 0; b < 4; ++b) {
        const int lane = 4 * b + t;
        for (int k = 0; k < 4; ++k) {
          __builtin_memcpy(o.x[k] + 4 * lane, a.lo + 16 * b + 4 * k, 4);
          __builtin_memcpy(o.x[4 + k] + 4 * lane, a.hi + 16 * b + 4 * k, 4);
        }
        o.corr[lane] = a.corr[4 * b] + a.corr[4 * b + 1] + a.corr[4 * b + 2] + a.corr[4 * b + 3];
        o.d[lane] = a.d[4 * b];
      }
    }
  }
}

// Stores v to f and hides the address from the compiler, so lanes read back through it are
// broadcast from memory: load-port work, where a broadcast from a register takes the shuffle
// port, which the K-quant decodes keep busy (Q4_K in L2, one thread: +10 %).
[[gnu::always_inline]] inline const float* spill(__m128 v, float* f) {
  _mm_store_ps(f, v);
  asm("" : "+r"(f));
  return f;
}

// sum over the 256 values of a K block of code * activation * (int16 group scale), in 16 int32
// lanes: q[k] / s[k] hold values 64k..64k+63 and their scales (u8 x s8 pair products stay
// within int16: codes are at most 63).
__m512i scaled_dot256(const __m512i* q, const __m512i* s, const int8_t* x) {
  __m512i isum = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) {
    const __m512i p = _mm512_maddubs_epi16(q[k], _mm512_loadu_si512(x + 64 * k));
    isum = _mm512_dpwssd_epi32(isum, p, s[k]);  // VNNI: the scale multiply and the add in one
  }
  return isum;
}

// Q4_K against BlockQ8_KG: each 64 code bytes, split into low and high nibbles, give two
// registers of codes (groups 0 | 2 and 1 | 3, then 4 | 6 and 5 | 7), which the activation's group
// order matches; u8 x s8 pair products (at most 2 * 15 * 127, no saturation) are weighted by the
// 6-bit group scales in one VPDPWSSD, and the mins meet the activation's group sums.
struct Q4K {
  static constexpr int kBytes = sizeof(BlockQ4_K);
  static constexpr int kActBytes = sizeof(BlockQ8_KG);
  static constexpr int64_t kElems = kQKK;
  static constexpr int kStreamTokens = 3;
  struct W {
    __m512i q[4], s[4];
    __m128i mins;
    __m128 dd;  // d, dmin
  };
  struct Acc {
    __m512 v = _mm512_setzero_ps();
    __m128 m = _mm_setzero_ps();
  };
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  // Byte shuffles picking the int16 scales of register k's two groups (low and high 256 bits)
  // from the eight scales repeated in every 128-bit lane.
  __m512i pick[4];

  Q4K() {
    static constexpr int kLow[4] = {0, 1, 4, 5};  // register k: groups kLow[k] and kLow[k] + 2
    for (int k = 0; k < 4; ++k) {
      const int g = kLow[k];
      const auto lo = static_cast<int16_t>((2 * g) | ((2 * g + 1) << 8));
      const auto hi = static_cast<int16_t>((2 * g + 4) | ((2 * g + 5) << 8));
      pick[k] = _mm512_inserti64x4(_mm512_set1_epi16(lo), _mm256_set1_epi16(hi), 1);
    }
  }

  [[gnu::always_inline]] void decode(const uint8_t* unit, W& x) const {
    const auto& b = *reinterpret_cast<const BlockQ4_K*>(unit);
    // d and dmin in lanes 0 and 1 from one conversion of the block's first 8 bytes.
    x.dd = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(unit)));
    const auto [sc, mn] = k4_scales_mins(b.scales);
    const __m512i sc16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sc))));
    x.mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(mn)));
    for (int h = 0; h < 2; ++h) {
      const __m512i raw = _mm512_loadu_si512(b.qs + 64 * h);
      x.q[2 * h] = _mm512_and_si512(raw, m4);
      x.q[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4);
    }
    for (int k = 0; k < 4; ++k) x.s[k] = _mm512_shuffle_epi8(sc16, pick[k]);
  }
  [[gnu::always_inline]] static void dot(const W& x, const uint8_t* act, Acc& acc) {
    const auto& a = *reinterpret_cast<const BlockQ8_KG*>(act);
    const __m512i isum = scaled_dot256(x.q, x.s, a.qs);
    const __m128i msum = _mm_madd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.gsums)), x.mins);
    alignas(16) float f[4];
    const float* dd = spill(_mm_mul_ps(x.dd, _mm_set1_ps(a.d)), f);  // d * a.d, dmin * a.d
    acc.v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(dd[0]), acc.v);
    acc.m = _mm_fmadd_ps(_mm_cvtepi32_ps(msum), _mm_set1_ps(dd[1]), acc.m);
  }
  static void store(const Acc& acc, float* y, size_t /*y_stride*/) {
    *y = _mm512_reduce_add_ps(acc.v) - _mm512_reduce_add_ps(_mm512_zextps128_ps512(acc.m));
  }
};

// Q6_K against BlockQ8_K: 64 low-bit bytes hold 128 values' low nibbles, 32 high-bit bytes
// (broadcast to both halves, shifted per half) their top two bits, giving registers of 64
// consecutive codes 0..63; pair products reach 2 * 63 * 127 (no saturation); the 16 signed
// group scales come per register from one word permute, and the -32 offset from the sums.
struct Q6K {
  static constexpr int kBytes = sizeof(BlockQ6_K);
  static constexpr int kActBytes = sizeof(BlockQ8_K);
  static constexpr int64_t kElems = kQKK;
  static constexpr int kStreamTokens = 8;
  struct W {
    __m512i q[4], s[4];
    __m256i sc16;
    __m128 d;  // the block's d in lane 3
  };
  struct Acc {
    __m512 v = _mm512_setzero_ps();
  };
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  const __m512i shift_lo = _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2);
  const __m512i shift_hi = _mm512_setr_epi64(4, 4, 4, 4, 6, 6, 6, 6);
  // Register k covers groups 4k..4k+3, eight int16 products each.
  __m512i scale_idx[4];

  Q6K() {
    for (int k = 0; k < 4; ++k) {
      WordIdx idx{};
      for (int l = 0; l < 32; ++l) idx.w[l] = static_cast<uint16_t>(4 * k + l / 8);
      scale_idx[k] = load_words(idx);
    }
  }

  [[gnu::always_inline]] void decode(const uint8_t* unit, W& x) const {
    const auto& b = *reinterpret_cast<const BlockQ6_K*>(unit);
    x.sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    for (int h = 0; h < 2; ++h) {
      const __m512i l = _mm512_loadu_si512(b.ql + 64 * h);
      const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h)));
      const __m512i top0 = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi64(hb, shift_lo), 4), m30);
      const __m512i top1 = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi64(hb, shift_hi), 4), m30);
      x.q[2 * h] = _mm512_or_si512(_mm512_and_si512(l, m4), top0);
      x.q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), top1);
    }
    for (int k = 0; k < 4; ++k) x.s[k] = _mm512_permutexvar_epi16(scale_idx[k], _mm512_castsi256_si512(x.sc16));
    // d is the last of the four halves in the block's last 8 bytes (no read past the block).
    x.d = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 10)));
  }
  [[gnu::always_inline]] static void dot(const W& x, const uint8_t* act, Acc& acc) {
    const auto& a = *reinterpret_cast<const BlockQ8_K*>(act);
    __m512i isum = scaled_dot256(x.q, x.s, a.qs);
    const __m256i offset =
        _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), x.sc16), 5);
    isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(offset));
    alignas(16) float f[4];
    const float* d = spill(_mm_mul_ps(x.d, _mm_set1_ps(a.d)), f);
    acc.v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d[3]), acc.v);
  }
  static void store(const Acc& acc, float* y, size_t /*y_stride*/) { *y = _mm512_reduce_add_ps(acc.v); }
};

// NT tokens against n_rows rows, a row at a time: each weight unit is decoded once for all tokens.
template <typename Kernel, int NT>
void rows(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
          float* y, size_t y_stride) {
  const Kernel kernel;
  const int64_t units = n / Kernel::kElems;
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    typename Kernel::Acc acc[NT];
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t* unit = row + u * Kernel::kBytes;
      prefetch_ahead<Kernel::kBytes>(unit);
      typename Kernel::W x;
      kernel.decode(unit, x);
      for (int t = 0; t < NT; ++t) {
        Kernel::dot(x, act + static_cast<size_t>(t) * act_stride + static_cast<size_t>(u) * Kernel::kActBytes, acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) Kernel::store(acc[t], y + static_cast<size_t>(t) * y_stride + r, y_stride);
  }
}

// NT tokens against kStreams rows at once, a unit of each in turn, from kStreams equal parts
// of the rows (row r of every part): that many weight streams in flight per thread. One
// stream's prefetches leave a core short of its share of DRAM bandwidth while it also
// computes. Model-shaped GEMV sequence, 2 threads, one stream -> two: Q4_0 24.7 -> 29,
// Q8_0 21.8 -> 30, Q4_K 24.8 -> 29 GB/s (a plain prefetched read: 29-33); tg128 of llama1b
// Q4_0 with 1 / 2 / 3 / 4 streams: 39.5 / 44.8 / 48.1 / 46.9 t/s. Several tokens (concurrent
// sequences), 2048-wide rows from DRAM, 2 threads, one stream -> three: 2 tokens Q4_0 25 -> 31,
// Q8_0 28 -> 32, Q4_K 25.5 -> 30, Q6_K 28 -> 33 GB/s; 3 tokens +17-20 % (Q4_K +3 %); 4-8
// tokens only Q6_K gains (4: +15 %, 8: +4 %; Q4_K 4: -4 %), hence kStreamTokens.
template <typename Kernel, int NT>
void rows_streams(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
                  float* y, size_t y_stride) {
  const Kernel kernel;
  const int64_t units = n / Kernel::kElems;
  const int64_t part = n_rows / kStreams;
  for (int64_t r = 0; r < part; ++r) {
    const uint8_t* row[kStreams];
    for (int k = 0; k < kStreams; ++k) row[k] = w + static_cast<size_t>(k * part + r) * row_bytes;
    typename Kernel::Acc acc[kStreams][NT];
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t* a = act + static_cast<size_t>(u) * Kernel::kActBytes;
#pragma GCC unroll 4
      for (int k = 0; k < kStreams; ++k) {  // unrolled, so the sums stay in registers
        const uint8_t* unit = row[k] + u * Kernel::kBytes;
        prefetch_ahead<Kernel::kBytes>(unit);
        typename Kernel::W x;
        kernel.decode(unit, x);
        for (int t = 0; t < NT; ++t) Kernel::dot(x, a + static_cast<size_t>(t) * act_stride, acc[k][t]);
      }
    }
    for (int k = 0; k < kStreams; ++k) {
      for (int t = 0; t < NT; ++t) {
        Kernel::store(acc[k][t], y + static_cast<size_t>(t) * y_stride + k * part + r, y_stride);
      }
    }
  }
  const int64_t done = kStreams * part;
  rows<Kernel, NT>(n, w + static_cast<size_t>(done) * row_bytes, row_bytes, n_rows - done, act, act_stride, y + done,
                   y_stride);
}

// The four-token GEMV (TypeKernels::gemv4) on pack_quad's activations.
template <typename Step>
void rows_quad(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t /*act_stride*/,
               int /*n_tok*/, float* y, size_t y_stride) {
  rows_streams<Quad<Step>, 1>(n, w, row_bytes, n_rows, act, 0, y, y_stride);
}

template <typename Kernel, int NT>
void gemv_n(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
            float* y, size_t y_stride) {
  if constexpr (NT <= Kernel::kStreamTokens) {
    rows_streams<Kernel, NT>(n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
  } else {
    rows<Kernel, NT>(n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
  }
}

template <typename Kernel>
void gemv(int64_t n, const uint8_t* w, size_t row_bytes, int64_t n_rows, const uint8_t* act, size_t act_stride,
          int n_tok, float* y, size_t y_stride) {
  using Fn = void (*)(int64_t, const uint8_t*, size_t, int64_t, const uint8_t*, size_t, float*, size_t);
  static constexpr Fn kByTokens[] = {gemv_n<Kernel, 1>, gemv_n<Kernel, 2>, gemv_n<Kernel, 3>, gemv_n<Kernel, 4>,
                                     gemv_n<Kernel, 5>, gemv_n<Kernel, 6>, gemv_n<Kernel, 7>, gemv_n<Kernel, 8>};
  static_assert(sizeof(kByTokens) / sizeof(kByTokens[0]) == kGemvMaxTokens);
  kByTokens[n_tok - 1](n, w, row_bytes, n_rows, act, act_stride, y, y_stride);
}

}  // namespace

void add_gemv(TensorType type, TypeKernels& k) {
  switch (type) {
    case TensorType::Q4_0:
    case TensorType::Q5_0:
    case TensorType::Q8_0:
      k.gemv = type == TensorType::Q4_0   ? gemv<Legacy<Q4_0Step>>
               : type == TensorType::Q5_0 ? gemv<Legacy<Q5_0Step>>
                                          : gemv<Legacy<Q8_0Step>>;
      k.gemv_quantize_act = type == TensorType::Q4_0   ? Q4_0Step::kActQuantize
                            : type == TensorType::Q5_0 ? Q5_0Step::kActQuantize
                                                       : Q8_0Step::kActQuantize;
      k.gemv_group_elems = kQ8A4Elems;
      k.gemv_group_bytes = sizeof(BlockQ8A4);
      k.gemv4 = type == TensorType::Q4_0   ? rows_quad<Q4_0Step>
                : type == TensorType::Q5_0 ? rows_quad<Q5_0Step>
                                           : rows_quad<Q8_0Step>;
      k.gemv4_pack = pack_quad;
      k.gemv4_group_bytes = sizeof(BlockQ8A4x4);
      return;
    case TensorType::Q4_K:
      k.gemv = gemv<Q4K>;
      k.gemv_quantize_act = scalar::quantize_act_q8kg;
      k.gemv_group_elems = kQKK;
      k.gemv_group_bytes = sizeof(BlockQ8_KG);
      return;
    case TensorType::Q6_K:
      k.gemv = gemv<Q6K>;
      k.gemv_quantize_act = scalar::quantize_act_q8k;
      k.gemv_group_elems = kQKK;
      k.gemv_group_bytes = sizeof(BlockQ8_K);
      return;
    default:
      return;
  }
}

}  // namespace minerva::avx512

#else  // not built for x86 with AVX-512: no GEMV, matmul keeps the qdot tiles

namespace minerva::avx512 {
void add_gemv(TensorType /*type*/, TypeKernels& /*k*/) {}
}  // namespace minerva::avx512

#endif
