// The tiled online-softmax attention against a straightforward one (scores for the whole row,
// softmax, weighted sum, in double) on random data, with windows, soft-caps and group sizes.
#include "model/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/fp16.h"

namespace minerva {
namespace {

struct Case {
  int64_t head_dim;
  int64_t n_q;    // query heads sharing the KV head
  int64_t first;  // visible key positions [first, last)
  int64_t last;
  float softcap;
  KvType type;
};

// The cache as attend_group reads it: n_kv_heads heads per row, the tested one in the middle,
// so row strides and head offsets are exercised.
struct Cache {
  int64_t n_heads = 3;
  int64_t head = 1;
  std::vector<uint8_t> k, v;
  std::vector<float> kf, vf;  // the tested head's keys / values as stored (after F16 rounding)
};

Cache make_cache(const Case& c, std::mt19937& rng) {
  Cache cache;
  std::normal_distribution<float> dist(0.0f, 1.5f);
  const size_t elem = kv_type_size(c.type);
  const int64_t row = cache.n_heads * c.head_dim;
  cache.k.resize(static_cast<size_t>(c.last * row) * elem);
  cache.v.resize(cache.k.size());
  cache.kf.resize(static_cast<size_t>(c.last * c.head_dim));
  cache.vf.resize(cache.kf.size());
  for (int64_t p = 0; p < c.last; ++p) {
    for (int64_t i = 0; i < row; ++i) {
      const float kx = dist(rng), vx = dist(rng);
      const size_t at = static_cast<size_t>(p * row + i);
      float ks = kx, vs = vx;
      if (c.type == KvType::F16) {
        const uint16_t kh = fp32_to_fp16(kx), vh = fp32_to_fp16(vx);
        std::memcpy(&cache.k[at * 2], &kh, 2);
        std::memcpy(&cache.v[at * 2], &vh, 2);
        ks = fp16_to_fp32(kh);
        vs = fp16_to_fp32(vh);
      } else {
        std::memcpy(&cache.k[at * 4], &kx, 4);
        std::memcpy(&cache.v[at * 4], &vx, 4);
      }
      if (i / c.head_dim == cache.head) {
        cache.kf[static_cast<size_t>(p * c.head_dim + i % c.head_dim)] = ks;
        cache.vf[static_cast<size_t>(p * c.head_dim + i % c.head_dim)] = vs;
      }
    }
  }
  return cache;
}

// Softmax over the whole visible row at once, in double.
std::vector<double> reference(const Case& c, const Cache& cache, const std::vector<float>& q, float scale) {
  const int64_t hd = c.head_dim;
  std::vector<double> out(static_cast<size_t>(c.n_q * hd), 0.0);
  for (int64_t g = 0; g < c.n_q; ++g) {
    std::vector<double> s(static_cast<size_t>(c.last - c.first));
    double mx = -INFINITY;
    for (int64_t p = c.first; p < c.last; ++p) {
      double d = 0;
      for (int64_t i = 0; i < hd; ++i) {
        d += static_cast<double>(q[static_cast<size_t>(g * hd + i)]) * cache.kf[static_cast<size_t>(p * hd + i)];
      }
      d *= scale;
      if (c.softcap > 0) d = c.softcap * std::tanh(d / c.softcap);
      s[static_cast<size_t>(p - c.first)] = d;
      mx = std::max(mx, d);
    }
    double sum = 0;
    for (double& x : s) sum += (x = std::exp(x - mx));
    for (int64_t p = c.first; p < c.last; ++p) {
      const double w = s[static_cast<size_t>(p - c.first)] / sum;
      for (int64_t i = 0; i < hd; ++i) {
        out[static_cast<size_t>(g * hd + i)] += w * cache.vf[static_cast<size_t>(p * hd + i)];
      }
    }
  }
  return out;
}

class AttentionTest : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionTest, TiledMatchesWholeRowSoftmax) {
  const Case& c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.last * 7 + c.n_q));
  const Cache cache = make_cache(c, rng);
  // Queries large enough that scores spread over several units (and past small soft-caps), so
  // the running max really moves between tiles.
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> q(static_cast<size_t>(c.n_q * c.head_dim));
  for (float& x : q) x = dist(rng);
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  const AttentionShape shape{c.head_dim, scale, c.softcap};
  const size_t elem = kv_type_size(c.type);
  const size_t row_bytes = static_cast<size_t>(cache.n_heads * c.head_dim) * elem;
  const size_t head_off = static_cast<size_t>(cache.head * c.head_dim) * elem;
  const KvRows rows{cache.k.data() + head_off, cache.v.data() + head_off, row_bytes, c.type};
  const auto want = reference(c, cache, q, scale);
  // The kernels of the active ISA level; the model_reference_isa_* tests rerun this at each.
  std::vector<float> out(q.size(), NAN);
  attend_group(shape, q.data(), c.n_q, rows, c.first, c.last, out.data());
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_NEAR(out[i], want[i], 2e-5 * (1.0 + std::abs(want[i]))) << isa_name(active_isa()) << " element " << i;
  }
}

// Lengths around the 64-position tile, windows starting mid-tile, soft-caps weak and strong,
// groups of 1 (MHA), 4 and 8 (GQA), head sizes 64, 128 and an odd 40.
const Case kCases[] = {
    {64, 1, 0, 1, 0.0f, KvType::F32},     {64, 4, 0, 63, 0.0f, KvType::F16},     {64, 4, 0, 64, 0.0f, KvType::F32},
    {64, 4, 0, 65, 0.0f, KvType::F16},    {64, 8, 0, 300, 0.0f, KvType::F16},    {64, 8, 0, 300, 0.0f, KvType::F32},
    {128, 2, 37, 301, 0.0f, KvType::F16}, {128, 2, 290, 301, 0.0f, KvType::F32}, {40, 3, 5, 140, 0.0f, KvType::F16},
    {64, 4, 0, 200, 50.0f, KvType::F16},  {64, 4, 0, 200, 1.0f, KvType::F32},    {64, 4, 100, 200, 0.3f, KvType::F16},
};

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest, ::testing::ValuesIn(kCases), [](const auto& info) {
  const Case& c = info.param;
  return "hd" + std::to_string(c.head_dim) + "_g" + std::to_string(c.n_q) + "_" + std::to_string(c.first) + "to" +
         std::to_string(c.last) + "_cap" + std::to_string(static_cast<int>(c.softcap * 10)) + "_" +
         kv_type_name(c.type);
});

TEST(KvType, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_kv_type("f16").value(), KvType::F16);
  EXPECT_EQ(parse_kv_type("F32").value(), KvType::F32);
  auto bad = parse_kv_type("q8_0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'q8_0'"), std::string::npos) << bad.error().message;
  EXPECT_EQ(kv_type_size(KvType::F16), 2u);
  EXPECT_EQ(kv_type_size(KvType::F32), 4u);
}

}  // namespace
}  // namespace minerva
