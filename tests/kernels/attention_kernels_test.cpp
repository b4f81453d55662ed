// Attention tile kernels and their exp at every ISA level the CPU runs, against the scalar
// reference (which is itself checked against a double-precision softmax in
// tests/model/attention_test.cpp) and against std::exp.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention_tile.h"
#include "kernels/cpu_features.h"
#include "kernels/fp16.h"

namespace minerva {
namespace {

// Distance in representable floats between two non-negative floats.
int64_t ulps(float a, float b) {
  return std::abs(static_cast<int64_t>(std::bit_cast<uint32_t>(a)) - static_cast<int64_t>(std::bit_cast<uint32_t>(b)));
}

float exp_ref(float x) { return static_cast<float>(std::exp(static_cast<double>(x))); }

std::vector<Isa> levels() {
  std::vector<Isa> out;
  for (Isa isa : kAllIsas) {
    if (isa != Isa::Amx && cpu_supports(isa)) out.push_back(isa);
  }
  return out;
}

// The cache writer at every level rounds exactly as fp16.h's scalar conversion: random values of
// every magnitude, the rounding edges, subnormal halves, overflow and every tail length.
TEST(AttnToF16, EqualsScalarConversionBitForBit) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.0f,      -0.0f,    1.0f,   -2.5f,    65504.0f,      65519.0f,       65520.0f,
                          -65520.0f, 1e6f,     inf,    -inf,     6.1035156e-5f, 6.0e-5f,        5.96e-8f,
                          2.98e-8f,  2.99e-8f, 1e-10f, -3.0e-6f, 1.0009765f,    1.00048828125f, 1.00146484375f};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> mant(1.0f, 2.0f);
  std::uniform_int_distribution<int> expo(-30, 17);
  for (int i = 0; i < 20000; ++i) {
    const float v = std::ldexp(mant(rng), expo(rng));
    x.push_back(i % 2 == 0 ? v : -v);
  }
  for (Isa isa : levels()) {
    const AttnKernels& k = attn_kernels(isa);
    for (int64_t n : {static_cast<int64_t>(x.size()), int64_t{1}, int64_t{7}, int64_t{9}, int64_t{17}, int64_t{33}}) {
      std::vector<uint16_t> y(static_cast<size_t>(n) + 1, 0xABCD);
      k.to_f16(x.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const auto at = static_cast<size_t>(i);
        ASSERT_EQ(y[at], fp32_to_fp16(x[at])) << isa_name(isa) << " x=" << x[at] << " n=" << n;
      }
      EXPECT_EQ(y[static_cast<size_t>(n)], 0xABCD) << isa_name(isa) << " wrote past n=" << n;
    }
    const float nan = std::nanf("");
    uint16_t h = 0;
    k.to_f16(&nan, &h, 1);
    EXPECT_TRUE(std::isnan(fp16_to_fp32(h))) << isa_name(isa);
  }
}

TEST(AttnExp, WithinTwoUlpOfStdExpOverTheWholeRange) {
  std::vector<float> x;
  for (float v = -110.0f; v <= 90.0f; v += 0.0137f) x.push_back(v);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> small(-1.0f, 1.0f);
  for (int i = 0; i < 5000; ++i) x.push_back(small(rng) * 1e-3f);
  // Around the ends: subnormal results, the last finite one, the first infinite one.
  for (float v : {-103.97f, -103.9f, -100.0f, -87.5f, -87.33f, 88.72f, 88.7228f, 88.73f, 0.0f, -0.0f}) x.push_back(v);
  for (Isa isa : levels()) {
    const AttnKernels& k = attn_kernels(isa);
    std::vector<float> y(x.size());
    k.exp(x.data(), y.data(), static_cast<int64_t>(x.size()));
    int64_t worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = exp_ref(x[i]);
      if (std::isinf(want)) {
        EXPECT_TRUE(std::isinf(y[i])) << isa_name(isa) << " x=" << x[i] << " got " << y[i];
        continue;
      }
      const int64_t u = ulps(y[i], want);
      worst = std::max(worst, u);
      ASSERT_LE(u, 2) << isa_name(isa) << " x=" << x[i] << " got " << y[i] << " want " << want;
    }
    EXPECT_LE(worst, 2) << isa_name(isa);
  }
}

TEST(AttnExp, SpecialValuesAndEveryTailLength) {
  const float inf = std::numeric_limits<float>::infinity();
  for (Isa isa : levels()) {
    const AttnKernels& k = attn_kernels(isa);
    std::vector<float> x = {-inf, -1e30f, -104.0f, -200.0f, inf, 1e30f, 0.0f, std::nanf("")};
    std::vector<float> y(x.size());
    k.exp(x.data(), y.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(y[0], 0.0f) << isa_name(isa);
    EXPECT_EQ(y[1], 0.0f) << isa_name(isa);
    EXPECT_EQ(y[2], 0.0f) << isa_name(isa);
    EXPECT_EQ(y[3], 0.0f) << isa_name(isa);
    EXPECT_EQ(y[4], inf) << isa_name(isa);
    EXPECT_EQ(y[5], inf) << isa_name(isa);
    EXPECT_EQ(y[6], 1.0f) << isa_name(isa);
    EXPECT_TRUE(std::isnan(y[7])) << isa_name(isa);
    // Lengths that end mid-register: every element written, nothing past n touched.
    for (int64_t n = 1; n <= 37; ++n) {
      std::vector<float> in(static_cast<size_t>(n) + 1), out(static_cast<size_t>(n) + 1, -5.0f);
      for (int64_t i = 0; i < n; ++i) in[static_cast<size_t>(i)] = -0.25f * static_cast<float>(i);
      k.exp(in.data(), out.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_LE(ulps(out[static_cast<size_t>(i)], exp_ref(in[static_cast<size_t>(i)])), 2) << isa_name(isa) << n;
      }
      EXPECT_EQ(out[static_cast<size_t>(n)], -5.0f) << isa_name(isa) << " wrote past n=" << n;
    }
  }
}

struct Case {
  int64_t head_dim;
  int64_t n_q;
  int64_t first;  // positions [first, last) of a cache with `last` rows
  int64_t last;
  bool f16;
};

std::string case_name(const Case& c) {
  return "hd" + std::to_string(c.head_dim) + " nq" + std::to_string(c.n_q) + " [" + std::to_string(c.first) + "," +
         std::to_string(c.last) + ") " + (c.f16 ? "f16" : "f32");
}

// A cache of rows holding three heads of `head_dim` elements, the tested head in the middle.
struct Data {
  std::vector<float> q;
  std::vector<uint8_t> k, v;
  size_t row_bytes = 0;
  size_t head_off = 0;
};

Data make_data(const Case& c, std::mt19937& rng) {
  Data d;
  std::normal_distribution<float> dist(0.0f, 1.5f);
  const size_t elem = c.f16 ? 2 : 4;
  d.row_bytes = static_cast<size_t>(3 * c.head_dim) * elem;
  d.head_off = static_cast<size_t>(c.head_dim) * elem;
  d.k.resize(static_cast<size_t>(c.last) * d.row_bytes);
  d.v.resize(d.k.size());
  for (size_t i = 0; i < d.k.size(); i += elem) {
    const float kx = dist(rng), vx = dist(rng);
    if (c.f16) {
      const uint16_t kh = fp32_to_fp16(kx), vh = fp32_to_fp16(vx);
      std::memcpy(&d.k[i], &kh, 2);
      std::memcpy(&d.v[i], &vh, 2);
    } else {
      std::memcpy(&d.k[i], &kx, 4);
      std::memcpy(&d.v[i], &vx, 4);
    }
  }
  std::normal_distribution<float> qdist(0.0f, 2.0f);  // scores spread over several units
  d.q.resize(static_cast<size_t>(c.n_q * c.head_dim));
  for (float& x : d.q) x = qdist(rng);
  return d;
}

AttnTile tile_at(const Case& c, const Data& d, int64_t p0) {
  AttnTile t;
  t.q = d.q.data();
  t.n_q = c.n_q;
  t.head_dim = c.head_dim;
  t.k = d.k.data() + static_cast<size_t>(p0) * d.row_bytes + d.head_off;
  t.v = d.v.data() + static_cast<size_t>(p0) * d.row_bytes + d.head_off;
  t.row_bytes = d.row_bytes;
  t.n = std::min(kAttnTile, c.last - p0);
  t.f16 = c.f16;
  t.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  // Rows 5 positions on are prefetched as the model's driver does (it goes ~2 KB ahead), so the
  // kernels' prefetching runs here too; it must not change a result.
  constexpr int64_t kAhead = 5;
  t.n_ahead = std::clamp<int64_t>(c.last - p0 - kAhead, 0, t.n);
  t.k_ahead = t.n_ahead > 0 ? t.k + kAhead * d.row_bytes : nullptr;
  t.v_ahead = t.n_ahead > 0 ? t.v + kAhead * d.row_bytes : nullptr;
  return t;
}

// The whole attention over [first, last) the way model/attention.cpp drives the kernels.
std::vector<float> attend(const AttnKernels& k, const Case& c, const Data& d) {
  const auto nq = static_cast<size_t>(c.n_q);
  std::vector<float> s(nq * kAttnTile), m(nq, -INFINITY), l(nq, 0.0f), out(nq * static_cast<size_t>(c.head_dim), 0.0f);
  for (int64_t p0 = c.first; p0 < c.last; p0 += kAttnTile) {
    const AttnTile t = tile_at(c, d, p0);
    k.scores(t, s.data());
    k.update(t, s.data(), m.data(), l.data(), out.data());
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] /= l[i / static_cast<size_t>(c.head_dim)];
  return out;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  const int64_t dims[] = {64, 80, 128, 40, 36, 8, 3};
  const int64_t nqs[] = {1, 2, 3, 4, 5, 6, 7, 8, 12};
  const int64_t spans[][2] = {{0, 1}, {0, 63}, {0, 64}, {0, 65}, {0, 200}, {37, 301}, {290, 301}, {100, 164}};
  size_t i = 0;
  for (int64_t hd : dims) {
    for (int64_t nq : nqs) {
      // Every head_dim meets every group size; spans and cache types rotate through.
      const auto& sp = spans[i % std::size(spans)];
      out.push_back({hd, nq, sp[0], sp[1], i % 2 == 0});
      out.push_back({hd, nq, spans[(i + 3) % std::size(spans)][0], spans[(i + 3) % std::size(spans)][1], i % 2 != 0});
      ++i;
    }
  }
  return out;
}

TEST(AttnKernels, ScoresMatchScalarReference) {
  const AttnKernels& ref = attn_kernels(Isa::Scalar);
  for (const Case& c : cases()) {
    std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 1000 + c.n_q * 10 + c.last));
    const Data d = make_data(c, rng);
    const auto size = static_cast<size_t>(c.n_q * kAttnTile);
    for (Isa isa : levels()) {
      const AttnKernels& k = attn_kernels(isa);
      for (int64_t p0 = c.first; p0 < c.last; p0 += kAttnTile) {
        const AttnTile t = tile_at(c, d, p0);
        std::vector<float> want(size), got(size);
        ref.scores(t, want.data());
        k.scores(t, got.data());
        for (int64_t g = 0; g < c.n_q; ++g) {
          for (int64_t j = 0; j < t.n; ++j) {
            const auto at = static_cast<size_t>(g * kAttnTile + j);
            // Sums of head_dim products of size ~3: float rounding in any order stays far below this.
            ASSERT_NEAR(got[at], want[at], 2e-5f * static_cast<float>(c.head_dim))
                << isa_name(isa) << " " << case_name(c) << " head " << g << " row " << p0 + j;
          }
        }
      }
    }
  }
}

TEST(AttnKernels, UpdateMatchesScalarReferenceOnEqualScores) {
  const AttnKernels& ref = attn_kernels(Isa::Scalar);
  for (const Case& c : cases()) {
    std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 999 + c.n_q * 11 + c.last));
    const Data d = make_data(c, rng);
    const auto nq = static_cast<size_t>(c.n_q);
    const auto hd = static_cast<size_t>(c.head_dim);
    for (Isa isa : levels()) {
      const AttnKernels& k = attn_kernels(isa);
      // Two tiles: the second raises or keeps the running max, so the rescaling runs too.
      std::vector<float> m_ref(nq, -INFINITY), l_ref(nq, 0.0f), o_ref(nq * hd, 0.0f);
      std::vector<float> m_got = m_ref, l_got = l_ref, o_got = o_ref;
      for (int64_t p0 = c.first; p0 < c.last && p0 < c.first + 2 * kAttnTile; p0 += kAttnTile) {
        const AttnTile t = tile_at(c, d, p0);
        std::vector<float> s_ref(nq * kAttnTile);
        ref.scores(t, s_ref.data());
        std::vector<float> s_got = s_ref;
        ref.update(t, s_ref.data(), m_ref.data(), l_ref.data(), o_ref.data());
        k.update(t, s_got.data(), m_got.data(), l_got.data(), o_got.data());
        for (size_t g = 0; g < nq; ++g) {
          ASSERT_EQ(m_got[g], m_ref[g]) << isa_name(isa) << " " << case_name(c);
          ASSERT_NEAR(l_got[g], l_ref[g], 1e-5f * l_ref[g]) << isa_name(isa) << " " << case_name(c);
          for (int64_t j = 0; j < t.n; ++j) {
            const auto at = g * kAttnTile + static_cast<size_t>(j);
            ASSERT_LE(ulps(s_got[at], s_ref[at]), 2) << isa_name(isa) << " " << case_name(c) << " p row " << j;
          }
        }
        for (size_t i = 0; i < o_ref.size(); ++i) {
          ASSERT_NEAR(o_got[i], o_ref[i], 1e-5f * (l_ref[i / hd] + std::abs(o_ref[i])))
              << isa_name(isa) << " " << case_name(c) << " out " << i;
        }
      }
    }
  }
}

TEST(AttnKernels, WholeAttentionMatchesScalarReference) {
  const AttnKernels& ref = attn_kernels(Isa::Scalar);
  for (const Case& c : cases()) {
    std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 998 + c.n_q * 12 + c.last));
    const Data d = make_data(c, rng);
    const std::vector<float> want = attend(ref, c, d);
    for (Isa isa : levels()) {
      const std::vector<float> got = attend(attn_kernels(isa), c, d);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 2e-5f * (1.0f + std::abs(want[i])))
            << isa_name(isa) << " " << case_name(c) << " out " << i;
      }
    }
  }
}

}  // namespace
}  // namespace minerva
