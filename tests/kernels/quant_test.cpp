// Quantized block types: dequantization against per-element formulas written from the layout
// descriptions, hand-built blocks with known values, and dot == dequantize + f32 dot.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/dot_scalar.h"
#include "kernels/fp16.h"
#include "kernels/matmul.h"
#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"
#include "kernels/type_traits.h"

namespace minerva {

// Readable parameter values in test listings. Internal linkage: other test files may define their own.
static void PrintTo(TensorType t, std::ostream* os) { *os << tensor_type_name(t); }

namespace {

using namespace quant;

const uint16_t kOne = fp32_to_fp16(1.0f);

std::vector<float> dequantize(TensorType type, const void* blocks, int64_t n, Isa isa = Isa::Scalar) {
  std::vector<float> out(static_cast<size_t>(n));
  type_kernels(type, isa)->to_float(static_cast<const uint8_t*>(blocks), out.data(), n);
  return out;
}

TEST(Quant, Q8_0KnownBlock) {
  BlockQ8_0 b{};
  b.d = fp32_to_fp16(0.5f);
  for (int i = 0; i < kQK; ++i) b.qs[i] = static_cast<int8_t>(i - 16);
  auto y = dequantize(TensorType::Q8_0, &b, kQK);
  for (int i = 0; i < kQK; ++i) EXPECT_EQ(y[i], 0.5f * static_cast<float>(i - 16)) << i;
}

TEST(Quant, Q4_0KnownBlock) {
  BlockQ4_0 b{};
  b.d = kOne;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = dequantize(TensorType::Q4_0, &b, kQK);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j - 8)) << j;            // low nibbles: first 16 values
    EXPECT_EQ(y[j + 16], static_cast<float>(15 - j - 8)) << j;  // high nibbles: last 16
  }
}

TEST(Quant, Q4_1KnownBlock) {
  BlockQ4_1 b{};
  b.d = fp32_to_fp16(2.0f);
  b.m = fp32_to_fp16(-1.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (3 << 4));
  auto y = dequantize(TensorType::Q4_1, &b, kQK);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * static_cast<float>(j) - 1.5f);
    EXPECT_EQ(y[j + 16], 2.0f * 3.0f - 1.5f);
  }
}

TEST(Quant, Q5_0KnownBlock) {
  BlockQ5_0 b{};
  b.d = kOne;
  const uint32_t qh = 0x8000'0001u;  // fifth bit set for value 0 and value 31
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = 0xF7;  // low nibble 7, high nibble 15
  auto y = dequantize(TensorType::Q5_0, &b, kQK);
  EXPECT_EQ(y[0], 7.0f + 16 - 16);
  EXPECT_EQ(y[1], 7.0f - 16);
  EXPECT_EQ(y[16], 15.0f - 16);
  EXPECT_EQ(y[31], 15.0f + 16 - 16);
}

TEST(Quant, Q5_1KnownBlock) {
  BlockQ5_1 b{};
  b.d = kOne;
  b.m = fp32_to_fp16(0.25f);
  const uint32_t qh = 0x0001'0000u;  // value 16
  std::memcpy(b.qh, &qh, 4);
  auto y = dequantize(TensorType::Q5_1, &b, kQK);
  EXPECT_EQ(y[0], 0.25f);
  EXPECT_EQ(y[16], 16.25f);
  EXPECT_EQ(y[17], 0.25f);
}

TEST(Quant, Q4_KKnownBlock) {
  BlockQ4_K b{};
  b.d = kOne;
  b.dmin = fp32_to_fp16(0.5f);
  // Group 0: scale 3, min 2 (bytes 0 and 4). Group 5: scale 0x25 = 37, min 0x31 = 49: low
  // nibbles in byte 9, top bits in bytes 1 (scale) and 5 (min).
  b.scales[0] = 3;
  b.scales[4] = 2;
  b.scales[9] = 0x15;                            // scale low nibble 5, min low nibble 1
  b.scales[1] = static_cast<uint8_t>(2 << 6);    // scale bits 4..5 = 2
  b.scales[5] = static_cast<uint8_t>(3 << 6);    // min bits 4..5 = 3
  for (int l = 0; l < 32; ++l) b.qs[l] = 0x9A;   // group 0 low nibble 10 (group 1 high 9)
  for (int l = 64; l < 96; ++l) b.qs[l] = 0x4E;  // group 5 = high nibbles of bytes 64..95: 4
  auto y = dequantize(TensorType::Q4_K, &b, kQKK);
  EXPECT_EQ(y[0], 3.0f * 10 - 0.5f * 2);
  EXPECT_EQ(y[31], 3.0f * 10 - 0.5f * 2);
  EXPECT_EQ(y[5 * 32], 37.0f * 4 - 0.5f * 49);
  EXPECT_EQ(y[5 * 32 + 31], 37.0f * 4 - 0.5f * 49);
}

TEST(Quant, Q6_KKnownBlock) {
  BlockQ6_K b{};
  b.d = kOne;
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g - 8);
  b.ql[0] = 0x21;  // value 0 low 1, value 64 low 2
  b.qh[0] = 0xE4;  // bit pairs: value 0 -> 0, value 32 -> 1, value 64 -> 2, value 96 -> 3
  auto y = dequantize(TensorType::Q6_K, &b, kQKK);
  EXPECT_EQ(y[0], -8.0f * (1 - 32));
  EXPECT_EQ(y[32], -6.0f * ((1 << 4) - 32));
  EXPECT_EQ(y[64], -4.0f * ((2 | (2 << 4)) - 32));
  EXPECT_EQ(y[96], -2.0f * ((3 << 4) - 32));
  EXPECT_EQ(y[1], -8.0f * -32);
}

// ---- Random blocks against per-element formulas ----

struct Blocks {
  std::vector<uint8_t> bytes;
  int64_t n;
};

// Random bytes with every f16 scale field replaced by a small finite value.
template <typename Block, int QK>
Blocks random_blocks(int n_blocks, uint32_t seed, void (*fix)(Block&, std::mt19937&)) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(sizeof(Block) * static_cast<size_t>(n_blocks));
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  for (int i = 0; i < n_blocks; ++i) {
    Block blk;
    std::memcpy(&blk, bytes.data() + i * sizeof(Block), sizeof(Block));
    fix(blk, rng);
    std::memcpy(bytes.data() + i * sizeof(Block), &blk, sizeof(Block));
  }
  return {bytes, static_cast<int64_t>(n_blocks) * QK};
}

uint16_t rand_scale(std::mt19937& rng) {
  return fp32_to_fp16(std::uniform_real_distribution<float>(-0.05f, 0.05f)(rng));
}

template <typename Block>
const Block& block(const Blocks& b, int64_t i) {
  return reinterpret_cast<const Block*>(b.bytes.data())[i];
}

int nibble32(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 0xF) : (qs[i - 16] >> 4); }
int bit32(const uint8_t* qh, int i) {
  uint32_t h;
  std::memcpy(&h, qh, 4);
  return static_cast<int>((h >> i) & 1u);
}

// Q3_K's 16 scales, unpacked the way ggml does it: as four 32-bit words with masks.
void q3k_scales(const uint8_t* packed, int8_t* out) {
  uint32_t aux[4];
  std::memcpy(aux, packed, 12);
  const uint32_t tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & 0x0f0f0f0fu) | (((tmp >> 4) & 0x03030303u) << 4);
  aux[3] = ((aux[1] >> 4) & 0x0f0f0f0fu) | (((tmp >> 6) & 0x03030303u) << 4);
  aux[0] = (aux[0] & 0x0f0f0f0fu) | ((tmp & 0x03030303u) << 4);
  aux[1] = (aux[1] & 0x0f0f0f0fu) | (((tmp >> 2) & 0x03030303u) << 4);
  std::memcpy(out, aux, 16);
}

// Value i of block b, straight from the layout description.
float element(TensorType type, const Blocks& bl, int64_t idx) {
  switch (type) {
    case TensorType::Q8_0: {
      const auto& b = block<BlockQ8_0>(bl, idx / kQK);
      return fp16_to_fp32(b.d) * b.qs[idx % kQK];
    }
    case TensorType::Q4_0: {
      const auto& b = block<BlockQ4_0>(bl, idx / kQK);
      return fp16_to_fp32(b.d) * static_cast<float>(nibble32(b.qs, idx % kQK) - 8);
    }
    case TensorType::Q4_1: {
      const auto& b = block<BlockQ4_1>(bl, idx / kQK);
      return fp16_to_fp32(b.d) * static_cast<float>(nibble32(b.qs, idx % kQK)) + fp16_to_fp32(b.m);
    }
    case TensorType::Q5_0: {
      const auto& b = block<BlockQ5_0>(bl, idx / kQK);
      const int i = static_cast<int>(idx % kQK);
      return fp16_to_fp32(b.d) * static_cast<float>((nibble32(b.qs, i) | (bit32(b.qh, i) << 4)) - 16);
    }
    case TensorType::Q5_1: {
      const auto& b = block<BlockQ5_1>(bl, idx / kQK);
      const int i = static_cast<int>(idx % kQK);
      return fp16_to_fp32(b.d) * static_cast<float>(nibble32(b.qs, i) | (bit32(b.qh, i) << 4)) + fp16_to_fp32(b.m);
    }
    case TensorType::Q2_K: {
      const auto& b = block<BlockQ2_K>(bl, idx / kQKK);
      const int i = static_cast<int>(idx % kQKK), h = i / 128, s = (i % 128) / 32, l = i % 32;
      const int q = (b.qs[32 * h + l] >> (2 * s)) & 3;
      const uint8_t sc = b.scales[i / 16];
      return fp16_to_fp32(b.d) * static_cast<float>(sc & 0xF) * static_cast<float>(q) -
             fp16_to_fp32(b.dmin) * static_cast<float>(sc >> 4);
    }
    case TensorType::Q3_K: {
      const auto& b = block<BlockQ3_K>(bl, idx / kQKK);
      const int i = static_cast<int>(idx % kQKK), h = i / 128, s = (i % 128) / 32, l = i % 32;
      const int lo = (b.qs[32 * h + l] >> (2 * s)) & 3;
      const int hbit = (b.hmask[l] >> (4 * h + s)) & 1;
      int8_t sc[16];
      q3k_scales(b.scales, sc);
      const int group = i / 16;
      return fp16_to_fp32(b.d) * static_cast<float>(sc[group] - 32) * static_cast<float>(lo - (hbit ? 0 : 4));
    }
    case TensorType::Q4_K:
    case TensorType::Q5_K: {
      const bool five = type == TensorType::Q5_K;
      const uint8_t* raw = bl.bytes.data() + (idx / kQKK) * (five ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
      uint16_t d, dmin;
      std::memcpy(&d, raw, 2);
      std::memcpy(&dmin, raw + 2, 2);
      const uint8_t* scales = raw + 4;
      const uint8_t* qh = raw + 16;
      const uint8_t* qs = five ? raw + 48 : raw + 16;
      const int i = static_cast<int>(idx % kQKK), g = i / 32, l = i % 32;
      const uint8_t byte = qs[32 * (g / 2) + l];
      int q = (g % 2 == 0) ? (byte & 0xF) : (byte >> 4);
      if (five) q |= ((qh[l] >> g) & 1) << 4;
      uint8_t sc, mn;
      unpack_scale_min_k4(g, scales, &sc, &mn);
      return fp16_to_fp32(d) * static_cast<float>(sc) * static_cast<float>(q) -
             fp16_to_fp32(dmin) * static_cast<float>(mn);
    }
    case TensorType::Q6_K: {
      const auto& b = block<BlockQ6_K>(bl, idx / kQKK);
      const int i = static_cast<int>(idx % kQKK), h = i / 128, k = (i % 128) / 32, l = i % 32;
      const uint8_t src = b.ql[64 * h + l + (k % 2) * 32];
      const int lo = k < 2 ? (src & 0xF) : (src >> 4);
      const int hi = (b.qh[32 * h + l] >> (2 * k)) & 3;
      const int group = i / 16;
      return fp16_to_fp32(b.d) * static_cast<float>(b.scales[group]) * static_cast<float>((lo | (hi << 4)) - 32);
    }
    default:
      return NAN;
  }
}

Blocks make_random(TensorType type, int n_blocks, uint32_t seed) {
  switch (type) {
    case TensorType::Q8_0:
      return random_blocks<BlockQ8_0, kQK>(n_blocks, seed, [](BlockQ8_0& b, std::mt19937& r) { b.d = rand_scale(r); });
    case TensorType::Q4_0:
      return random_blocks<BlockQ4_0, kQK>(n_blocks, seed, [](BlockQ4_0& b, std::mt19937& r) { b.d = rand_scale(r); });
    case TensorType::Q4_1:
      return random_blocks<BlockQ4_1, kQK>(n_blocks, seed, [](BlockQ4_1& b, std::mt19937& r) {
        b.d = rand_scale(r);
        b.m = rand_scale(r);
      });
    case TensorType::Q5_0:
      return random_blocks<BlockQ5_0, kQK>(n_blocks, seed, [](BlockQ5_0& b, std::mt19937& r) { b.d = rand_scale(r); });
    case TensorType::Q5_1:
      return random_blocks<BlockQ5_1, kQK>(n_blocks, seed, [](BlockQ5_1& b, std::mt19937& r) {
        b.d = rand_scale(r);
        b.m = rand_scale(r);
      });
    case TensorType::Q2_K:
      return random_blocks<BlockQ2_K, kQKK>(n_blocks, seed, [](BlockQ2_K& b, std::mt19937& r) {
        b.d = rand_scale(r);
        b.dmin = rand_scale(r);
      });
    case TensorType::Q3_K:
      return random_blocks<BlockQ3_K, kQKK>(n_blocks, seed, [](BlockQ3_K& b, std::mt19937& r) { b.d = rand_scale(r); });
    case TensorType::Q4_K:
      return random_blocks<BlockQ4_K, kQKK>(n_blocks, seed, [](BlockQ4_K& b, std::mt19937& r) {
        b.d = rand_scale(r);
        b.dmin = rand_scale(r);
      });
    case TensorType::Q5_K:
      return random_blocks<BlockQ5_K, kQKK>(n_blocks, seed, [](BlockQ5_K& b, std::mt19937& r) {
        b.d = rand_scale(r);
        b.dmin = rand_scale(r);
      });
    case TensorType::Q6_K:
      return random_blocks<BlockQ6_K, kQKK>(n_blocks, seed, [](BlockQ6_K& b, std::mt19937& r) { b.d = rand_scale(r); });
    case TensorType::F16: {
      std::mt19937 rng(seed);
      std::normal_distribution<float> dist(0.0f, 1.0f);
      std::vector<uint16_t> h(static_cast<size_t>(n_blocks) * 32);
      for (auto& v : h) v = fp32_to_fp16(dist(rng));
      std::vector<uint8_t> bytes(h.size() * 2);
      std::memcpy(bytes.data(), h.data(), bytes.size());
      return {bytes, static_cast<int64_t>(h.size())};
    }
    case TensorType::BF16:
    case TensorType::F32: {
      std::mt19937 rng(seed);
      std::normal_distribution<float> dist(0.0f, 1.0f);
      std::vector<float> f(static_cast<size_t>(n_blocks) * 32);
      for (auto& v : f) v = dist(rng);
      if (type == TensorType::F32) {
        std::vector<uint8_t> bytes(f.size() * 4);
        std::memcpy(bytes.data(), f.data(), bytes.size());
        return {bytes, static_cast<int64_t>(f.size())};
      }
      std::vector<uint8_t> bytes(f.size() * 2);
      for (size_t i = 0; i < f.size(); ++i) {
        const auto top = static_cast<uint16_t>(std::bit_cast<uint32_t>(f[i]) >> 16);
        std::memcpy(bytes.data() + 2 * i, &top, 2);
      }
      return {bytes, static_cast<int64_t>(f.size())};
    }
    default:
      return {};
  }
}

const TensorType kQuantTypes[] = {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1,
                                  TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K,
                                  TensorType::Q5_K, TensorType::Q6_K};

class QuantLayoutTest : public ::testing::TestWithParam<TensorType> {};

class QuantTypeTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(QuantLayoutTest, DequantizeMatchesLayoutFormula) {
  const TensorType type = GetParam();
  const Blocks b = make_random(type, 8, 7);
  auto y = dequantize(type, b.bytes.data(), b.n);
  for (int64_t i = 0; i < b.n; ++i) ASSERT_EQ(y[i], element(type, b, i)) << tensor_type_name(type) << " value " << i;
}

// dot() must equal dequantize followed by a float dot, at every ISA level the CPU has.
TEST_P(QuantTypeTest, DotMatchesDequantizeThenDot) {
  const TensorType type = GetParam();
  const Blocks b = make_random(type, 12, 11);
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(b.n));
  for (auto& v : x) v = dist(rng);
  const auto w = dequantize(type, b.bytes.data(), b.n);
  double want = 0, scale = 0;
  for (int64_t i = 0; i < b.n; ++i) {
    want += static_cast<double>(w[i]) * x[i];
    scale += std::abs(static_cast<double>(w[i]) * x[i]);
  }
  for (Isa isa : kAllIsas) {
    const TypeKernels* k = type_kernels(type, isa);
    if (k == nullptr) continue;  // CPU lacks this level
    const float got = k->dot(b.bytes.data(), x.data(), b.n);
    EXPECT_NEAR(got, want, 1e-5 * scale + 1e-30) << tensor_type_name(type) << " " << isa_name(isa);
    // Vector dequantization agrees with the scalar one to the last bit (no fused multiply-adds).
    const auto wv = dequantize(type, b.bytes.data(), b.n, isa);
    for (int64_t i = 0; i < b.n; ++i) ASSERT_EQ(wv[i], w[i]) << isa_name(isa) << " value " << i;
  }
  // The scalar reference keeps dot_f32's summation order, so it agrees exactly.
  EXPECT_EQ(type_kernels(type, Isa::Scalar)->dot(b.bytes.data(), x.data(), b.n),
            scalar::dot_f32(w.data(), x.data(), b.n));
}

INSTANTIATE_TEST_SUITE_P(Types, QuantTypeTest,
                         ::testing::ValuesIn(supported_tensor_types().begin(), supported_tensor_types().end()),
                         [](const auto& info) { return std::string(tensor_type_name(info.param)); });

// The activations a type's matmul really multiplies: x itself for the float path, x rounded
// through the type's 8-bit activation blocks for the integer path.
std::vector<float> effective_activations(const TypeKernels& k, const std::vector<float>& x) {
  if (k.qdot == nullptr) return x;
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(static_cast<size_t>(n / k.act_block_elems) * k.act_block_bytes);
  k.quantize_act(x.data(), q.data(), n);
  std::vector<float> out(x.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t blk = i / k.act_block_elems, l = i % k.act_block_elems;
    const uint8_t* p = q.data() + static_cast<size_t>(blk) * k.act_block_bytes;
    if (k.act_block_elems == kQKK) {
      const auto* b = reinterpret_cast<const BlockQ8_K*>(p);
      out[static_cast<size_t>(i)] = b->d * static_cast<float>(b->qs[l]);
    } else {
      const auto* b = reinterpret_cast<const BlockQ8A*>(p);
      out[static_cast<size_t>(i)] = b->d * static_cast<float>(b->qs[l]);
    }
  }
  return out;
}

// matmul over quantized rows, one token and several (the tiled path), at every ISA level:
// equal to a double-precision product of the dequantized weights with the activations the
// kernels use (8-bit rounded for the integer path), which themselves stay within 8-bit
// rounding of the float activations.
TEST_P(QuantTypeTest, MatmulMatchesDequantizedReference) {
  const TensorType type = GetParam();
  const int64_t rows = 5;
  const Blocks b = make_random(type, 8 * static_cast<int>(rows), 3);
  const int64_t cols = b.n / rows;
  const auto w = dequantize(type, b.bytes.data(), b.n);
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  ThreadPool pool(2);
  for (int64_t n_tok : {1, 3, 9}) {
    std::vector<float> x(static_cast<size_t>(cols * n_tok)), y(static_cast<size_t>(rows * n_tok));
    for (auto& v : x) v = dist(rng);
    MatrixView m{type, cols, rows, b.bytes.size() / static_cast<size_t>(rows), b.bytes.data()};
    matmul(m, x.data(), n_tok, y.data(), pool);
    const TypeKernels* k = type_kernels(type);
    std::vector<float> xe(x.size());
    for (int64_t t = 0; t < n_tok; ++t) {
      std::vector<float> row(x.begin() + t * cols, x.begin() + (t + 1) * cols);
      const auto e = effective_activations(*k, row);
      for (int64_t c = 0; c < cols; ++c) {
        ASSERT_NEAR(e[c], row[c], std::abs(row[c]) / 100 + 4.0 / 127) << "activation " << c;  // 8-bit rounding
        xe[t * cols + c] = e[c];
      }
    }
    for (int64_t t = 0; t < n_tok; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        double want = 0, scale = 0;
        for (int64_t c = 0; c < cols; ++c) {
          const double p = static_cast<double>(w[r * cols + c]) * xe[t * cols + c];
          want += p;
          scale += std::abs(p);
        }
        EXPECT_NEAR(y[t * rows + r], want, 1e-5 * scale + 1e-30) << "tokens " << n_tok << " row " << r;
      }
    }
  }
}

// Activation rows that stress the 8-bit quantizers: zeros, huge and tiny magnitudes, a lone
// spike, all-equal values, plus ordinary random rows.
std::vector<std::vector<float>> activation_cases(int64_t n) {
  std::mt19937 rng(17);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<std::vector<float>> cases;
  auto add = [&](auto f) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = f(i);
    cases.push_back(std::move(x));
  };
  add([&](int64_t) { return dist(rng); });
  add([&](int64_t) { return dist(rng) * 1e3f; });
  add([](int64_t) { return 0.0f; });
  add([&](int64_t i) { return (i % 2 ? 1.0f : -1.0f) * 1e34f * std::abs(dist(rng)); });
  add([&](int64_t) { return dist(rng) * 1e-38f; });  // subnormal range
  add([](int64_t i) { return i % 37 == 5 ? -1e6f : 0.0f; });
  add([](int64_t) { return -2.5f; });
  return cases;
}

// Every ISA level's integer dot equals the scalar reference (up to float summation order) for
// 1..kQDotMaxRows activation rows, and the scalar reference equals the double-precision dot of
// the dequantized weights with the dequantized activation blocks.
TEST_P(QuantTypeTest, IntegerDotMatchesScalarReferenceAtEveryLevel) {
  // Scale products of subnormal activations lose relative precision; below this nothing counts.
  constexpr double kSubnormalNoise = 1e-38;
  const TensorType type = GetParam();
  const TypeKernels* ref = type_kernels(type, Isa::Scalar);
  if (ref->qdot == nullptr) GTEST_SKIP() << "float type: no integer dot";
  const Blocks b = make_random(type, 16, 23);
  const int64_t n = b.n;
  const auto w = dequantize(type, b.bytes.data(), n);
  const auto cases = activation_cases(n);
  const size_t act_row = static_cast<size_t>(n / ref->act_block_elems) * ref->act_block_bytes;
  std::vector<uint8_t> act(act_row * cases.size());
  std::vector<double> want(cases.size()), scale(cases.size());
  for (size_t c = 0; c < cases.size(); ++c) {
    ref->quantize_act(cases[c].data(), act.data() + c * act_row, n);
    const auto xe = effective_activations(*ref, cases[c]);
    for (int64_t i = 0; i < n; ++i) {
      want[c] += static_cast<double>(w[i]) * xe[i];
      scale[c] += std::abs(static_cast<double>(w[i]) * xe[i]);
    }
  }
  for (size_t c0 = 0; c0 < cases.size(); ++c0) {
    for (int na = 1; na <= kQDotMaxRows && c0 + na <= cases.size(); ++na) {
      float ref_out[kQDotMaxRows];
      ref->qdot(n, b.bytes.data(), act.data() + c0 * act_row, act_row, na, ref_out);
      for (int j = 0; j < na; ++j) {
        EXPECT_NEAR(ref_out[j], want[c0 + j], 1e-5 * scale[c0 + j] + kSubnormalNoise) << "scalar, case " << c0 + j;
      }
      for (Isa isa : kAllIsas) {
        const TypeKernels* k = type_kernels(type, isa);
        if (k == nullptr || k->qdot == nullptr) continue;  // CPU lacks the level, or it uses the float path
        ASSERT_EQ(k->act_block_bytes, ref->act_block_bytes);
        float out[kQDotMaxRows];
        k->qdot(n, b.bytes.data(), act.data() + c0 * act_row, act_row, na, out);
        for (int j = 0; j < na; ++j) {
          EXPECT_NEAR(out[j], ref_out[j], 1e-5 * scale[c0 + j] + kSubnormalNoise)
              << isa_name(isa) << " case " << c0 + j << " of " << na;
        }
      }
    }
  }
}

// The whole-tile GEMM kernels (AMX) and matmul's split between them and the qdot tiles (rows
// and tokens left over from 16 x 16 tiles) agree with the scalar integer dot for every pair.
TEST_P(QuantTypeTest, GemmAndMatmulTilesMatchScalarIntegerDot) {
  const TensorType type = GetParam();
  const TypeKernels* ref = type_kernels(type, Isa::Scalar);
  if (ref->qdot == nullptr) GTEST_SKIP() << "float type: no integer dot";
  const int64_t rows = 40;
  for (int blocks_per_row : {3, 8}) {
    if (ref->act_block_elems == kQKK && blocks_per_row == 3) continue;
    const Blocks b = make_random(type, blocks_per_row * static_cast<int>(rows), 31);
    const int64_t cols = b.n / rows;
    const size_t row_bytes = b.bytes.size() / static_cast<size_t>(rows);
    const int64_t n_tok = 37;
    std::mt19937 rng(4);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(cols * n_tok));
    for (auto& v : x) v = dist(rng);
    const size_t act_row = static_cast<size_t>(cols / ref->act_block_elems) * ref->act_block_bytes;
    std::vector<uint8_t> act(act_row * static_cast<size_t>(n_tok));
    for (int64_t t = 0; t < n_tok; ++t) ref->quantize_act(&x[t * cols], act.data() + t * act_row, cols);
    std::vector<float> want(static_cast<size_t>(rows * n_tok)), scale(want.size());
    for (int64_t r = 0; r < rows; ++r) {
      const auto wr = dequantize(type, b.bytes.data() + r * row_bytes, cols);
      for (int64_t t = 0; t < n_tok; ++t) {
        ref->qdot(cols, b.bytes.data() + r * row_bytes, act.data() + t * act_row, act_row, 1, &want[t * rows + r]);
        for (int64_t c = 0; c < cols; ++c) scale[t * rows + r] += std::abs(wr[c] * x[t * cols + c]) * 1.01f;
      }
    }
    for (Isa isa : kAllIsas) {
      const TypeKernels* k = type_kernels(type, isa);
      if (k == nullptr || k->gemm == nullptr) continue;
      std::vector<float> y(want.size(), -1.0f);
      std::vector<uint8_t> packed(k->gemm_pack_bytes(cols, 32)), scratch(kGemmScratchPerValue * kGemmRowTiles * cols);
      k->gemm_pack(cols, act.data(), act_row, 16, packed.data());  // two halves, as matmul packs in parallel
      k->gemm_pack(cols, act.data() + 16 * act_row, act_row, 16, packed.data() + k->gemm_pack_bytes(cols, 16));
      k->gemm(cols, b.bytes.data(), row_bytes, 32, packed.data(), 32, scratch.data(), y.data(),
              static_cast<size_t>(rows));
      for (int64_t t = 0; t < 32; ++t) {
        for (int64_t r = 0; r < 32; ++r) {
          ASSERT_NEAR(y[t * rows + r], want[t * rows + r], 1e-5 * scale[t * rows + r])
              << isa_name(isa) << " row " << r << " token " << t;
        }
      }
    }
    // The small-batch GEMM (AMX) for fewer tokens than a tile, on whole 16-row tiles.
    for (Isa isa : kAllIsas) {
      const TypeKernels* k = type_kernels(type, isa);
      if (k == nullptr || k->gemm_small == nullptr) continue;
      for (int64_t small : {1, 6, 8, 9, 15, 16}) {
        std::vector<float> y(want.size(), -1.0f);
        std::vector<uint8_t> packed(k->gemm_small_pack_bytes(cols, small));
        std::vector<uint8_t> scratch(kGemmScratchPerValue * kGemmRowTiles * cols);
        k->gemm_small_pack(cols, act.data() + 3 * act_row, act_row, small, packed.data());
        k->gemm_small(cols, b.bytes.data(), row_bytes, 32, packed.data(), small, scratch.data(), y.data(),
                      static_cast<size_t>(rows));
        for (int64_t t = 0; t < n_tok; ++t) {
          for (int64_t r = 0; r < rows; ++r) {
            const size_t i = static_cast<size_t>(t * rows + r);
            if (t >= small || r >= 32) {
              ASSERT_EQ(y[i], -1.0f) << isa_name(isa) << " wrote outside its tiles: row " << r << " token " << t;
              continue;
            }
            const size_t ref_i = static_cast<size_t>((t + 3) * rows + r);
            ASSERT_NEAR(y[i], want[ref_i], 1e-5 * scale[ref_i])
                << isa_name(isa) << " small batch of " << small << ", row " << r << " token " << t;
          }
        }
      }
    }
    // matmul at the active level: GEMM tiles where it has them, qdot for the rest (a type whose
    // level has a vector float dot but no vector integer one takes the float path instead).
    // 37 tokens: two whole tiles and a GEMV tail; 4: the four-token GEMV; 8, 16, 20 and 24: the
    // small-batch GEMM alone, twice, or with a four-token GEMV tail.
    if (type_kernels(type)->qdot == nullptr) continue;
    ThreadPool pool(2);
    MatrixView m{type, cols, rows, row_bytes, b.bytes.data()};
    for (int64_t nt : {n_tok, int64_t{4}, int64_t{8}, int64_t{16}, int64_t{20}, int64_t{24}}) {
      std::vector<float> y(static_cast<size_t>(rows * nt));
      matmul(m, x.data(), nt, y.data(), pool);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], want[i], 1e-5 * scale[i]) << "matmul of " << nt << " tokens, element " << i;
      }
    }
  }
}

// matmul on a matrix large enough that every kernel's rows are split into several chunks run by
// the pool's worker threads, for every token count a decode step or prompt tail can have (the
// per-thread buffers of each path must reach the workers), against the scalar integer dot.
TEST_P(QuantTypeTest, MatmulInWorkerChunksMatchesScalarIntegerDot) {
  const TensorType type = GetParam();
  const TypeKernels* ref = type_kernels(type, Isa::Scalar);
  if (ref->qdot == nullptr || type_kernels(type)->qdot == nullptr) GTEST_SKIP() << "no integer dot";
  const int64_t rows = 4096, cols = 256;  // matmul's chunks are >= 64 KB of weights: ~9 of them
  const Blocks b = make_random(type, static_cast<int>(rows * cols / ref->act_block_elems), 57);
  const size_t row_bytes = b.bytes.size() / static_cast<size_t>(rows);
  const auto w = dequantize(type, b.bytes.data(), b.n);
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  constexpr int64_t kMaxTok = 17;
  std::vector<float> x(static_cast<size_t>(cols * kMaxTok));
  for (auto& v : x) v = dist(rng);
  const size_t act_row = static_cast<size_t>(cols / ref->act_block_elems) * ref->act_block_bytes;
  std::vector<uint8_t> act(act_row * kMaxTok);
  for (int64_t t = 0; t < kMaxTok; ++t) ref->quantize_act(&x[t * cols], act.data() + t * act_row, cols);
  ThreadPool pool(3);
  MatrixView m{type, cols, rows, row_bytes, b.bytes.data()};
  for (int64_t nt : {1, 2, 3, 4, 5, 6, 8, 9, 15, 16, 17}) {
    std::vector<float> y(static_cast<size_t>(rows * nt), -1.0f);
    matmul(m, x.data(), nt, y.data(), pool);
    for (int64_t t = 0; t < nt; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        float want = 0;
        ref->qdot(cols, b.bytes.data() + r * row_bytes, act.data() + t * act_row, act_row, 1, &want);
        double scale = 0;
        for (int64_t c = 0; c < cols; ++c) scale += std::abs(w[r * cols + c] * x[t * cols + c]) * 1.01;
        ASSERT_NEAR(y[t * rows + r], want, 1e-5 * scale) << nt << " tokens, row " << r << " token " << t;
      }
    }
  }
}

// matmul_many gives each part exactly what matmul gives it alone, at decode and prompt token
// counts: as one job when every part takes the GEMV (the chunks then straddle part boundaries:
// 2000 + 700 + 1500 rows on 3 threads), also with a Q8_0 part among another type's (two
// activation layouts in one job), one matmul each otherwise.
TEST_P(QuantTypeTest, MatmulManyEqualsMatmulPerPart) {
  const TensorType type = GetParam();
  const TypeKernels* ref = type_kernels(type, Isa::Scalar);
  if (ref->qdot == nullptr) GTEST_SKIP() << "float type: no integer dot";
  const int64_t cols = 256;
  const int64_t part_rows[] = {2000, 700, 1500};
  std::vector<Blocks> blocks;
  std::vector<MatrixView> views;
  for (int i = 0; i < 3; ++i) {
    blocks.push_back(make_random(type, static_cast<int>(part_rows[i] * cols / ref->act_block_elems), 60 + i));
  }
  for (int i = 0; i < 3; ++i) {
    const size_t row_bytes = blocks[i].bytes.size() / static_cast<size_t>(part_rows[i]);
    views.push_back(MatrixView{type, cols, part_rows[i], row_bytes, blocks[i].bytes.data()});
  }
  // A Q8_0 part among others: a second type in the job (any type but Q8_0 itself).
  const Blocks other = make_random(TensorType::Q8_0, static_cast<int>(300 * cols / kQK), 70);
  const MatrixView other_view{TensorType::Q8_0, cols, 300, other.bytes.size() / 300, other.bytes.data()};
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(cols * 20));
  for (auto& v : x) v = dist(rng);
  ThreadPool pool(3);
  for (bool mixed : {false, true}) {
    std::vector<const MatrixView*> ws = {&views[0], &views[1], &views[2]};
    if (mixed) ws[1] = &other_view;
    for (int64_t nt : {1, 3, 4, 8, 20}) {
      std::vector<std::vector<float>> want(3), got(3);
      std::vector<MatmulPart> parts;
      for (size_t i = 0; i < 3; ++i) {
        want[i].assign(static_cast<size_t>(ws[i]->rows * nt), -1.0f);
        got[i].assign(want[i].size(), -2.0f);
        matmul(*ws[i], x.data(), nt, want[i].data(), pool);
        parts.push_back({ws[i], got[i].data()});
      }
      matmul_many(parts, x.data(), nt, pool);
      for (size_t i = 0; i < 3; ++i) {
        for (size_t j = 0; j < want[i].size(); ++j) {
          ASSERT_EQ(got[i][j], want[i][j]) << (mixed ? "mixed, " : "") << nt << " tokens, part " << i << " value " << j;
        }
      }
    }
  }
}

// The decode GEMV (AVX-512) on its own activation layout equals the scalar integer dot for
// every row of a matrix and 1..kGemvMaxTokens tokens, over the stress activation rows.
TEST_P(QuantTypeTest, GemvMatchesScalarIntegerDot) {
  constexpr double kSubnormalNoise = 1e-38;
  const TensorType type = GetParam();
  const TypeKernels* ref = type_kernels(type, Isa::Scalar);
  if (ref->qdot == nullptr) GTEST_SKIP() << "float type: no integer dot";
  bool any = false;
  for (Isa isa : kAllIsas) {
    const TypeKernels* k = type_kernels(type, isa);
    if (k == nullptr || k->gemv == nullptr) continue;
    any = true;
    const int64_t rows = 7, cols = 3 * k->gemv_group_elems;
    const Blocks b = make_random(type, static_cast<int>(cols / ref->act_block_elems * rows), 41);
    const size_t row_bytes = b.bytes.size() / static_cast<size_t>(rows);
    const auto w = dequantize(type, b.bytes.data(), b.n);
    const auto cases = activation_cases(cols);
    const size_t act_row = static_cast<size_t>(cols / k->gemv_group_elems) * k->gemv_group_bytes;
    const size_t ref_row = static_cast<size_t>(cols / ref->act_block_elems) * ref->act_block_bytes;
    for (size_t c0 = 0; c0 < cases.size(); ++c0) {
      for (int na = 1; na <= kGemvMaxTokens; ++na) {  // cases taken cyclically from c0
        std::vector<uint8_t> act(act_row * static_cast<size_t>(na)), ref_act(ref_row * static_cast<size_t>(na));
        auto x = [&](int t) -> const std::vector<float>& {
          return cases[(c0 + static_cast<size_t>(t)) % cases.size()];
        };
        for (int t = 0; t < na; ++t) {
          k->gemv_quantize_act(x(t).data(), act.data() + t * act_row, cols);
          ref->quantize_act(x(t).data(), ref_act.data() + t * ref_row, cols);
        }
        std::vector<float> y(static_cast<size_t>(rows * na), -1.0f);
        k->gemv(cols, b.bytes.data(), row_bytes, rows, act.data(), act_row, na, y.data(), static_cast<size_t>(rows));
        // The four-token kernel, on the same rows, where the level has one.
        std::vector<float> y4(y.size(), -1.0f);
        const bool quad = na == 4 && k->gemv4 != nullptr;
        if (quad) {
          std::vector<uint8_t> packed(static_cast<size_t>(cols / k->gemv_group_elems) * k->gemv4_group_bytes);
          k->gemv4_pack(cols, act.data(), act_row, packed.data());
          k->gemv4(cols, b.bytes.data(), row_bytes, rows, packed.data(), 0, 4, y4.data(), static_cast<size_t>(rows));
        }
        for (int t = 0; t < na; ++t) {
          for (int64_t r = 0; r < rows; ++r) {
            float want = 0;
            ref->qdot(cols, b.bytes.data() + r * row_bytes, ref_act.data() + t * ref_row, ref_row, 1, &want);
            double scale = 0;
            for (int64_t c = 0; c < cols; ++c) scale += std::abs(w[r * cols + c] * x(t)[c]) * 1.01;
            ASSERT_NEAR(y[t * rows + r], want, 1e-5 * scale + kSubnormalNoise)
                << isa_name(isa) << " case " << c0 + t << " of " << na << " row " << r;
            if (quad) {
              ASSERT_NEAR(y4[t * rows + r], want, 1e-5 * scale + kSubnormalNoise)
                  << isa_name(isa) << " four-token kernel, case " << c0 + t << " row " << r;
            }
          }
        }
      }
    }
  }
  if (!any) GTEST_SKIP() << "no GEMV for this type at any level this CPU runs";
}

// Every level's activation quantizers write the scalar ones' bytes exactly, including rows
// with NaN, infinities and scales that overflow or underflow.
TEST(Quant, ActivationQuantizersMatchScalarBytes) {
  const int64_t n = 512;
  auto cases = activation_cases(n);
  auto add = [&](auto f) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = f(i);
    cases.push_back(std::move(x));
  };
  add([](int64_t i) { return i % 41 == 3 ? NAN : static_cast<float>(i % 7) - 3.0f; });
  add([](int64_t i) { return i % 97 == 0 ? INFINITY : (i % 89 == 0 ? -INFINITY : 1.0f); });
  add([](int64_t i) { return static_cast<float>(i % 5) * 1e-40f; });           // scale 1/d overflows
  add([](int64_t i) { return i % 2 ? 3.0f : -3.0f; });                         // ties for the largest magnitude
  add([](int64_t i) { return static_cast<float>(i % 255) - 127.0f + 0.5f; });  // halfway codes
  for (TensorType type : {TensorType::Q4_0, TensorType::Q5_0, TensorType::Q8_0, TensorType::Q4_K}) {
    const TypeKernels* ref = type_kernels(type, Isa::Scalar);
    for (Isa isa : kAllIsas) {
      const TypeKernels* k = type_kernels(type, isa);
      if (k == nullptr || k->quantize_act == nullptr) continue;
      for (size_t c = 0; c < cases.size(); ++c) {
        const size_t bytes = static_cast<size_t>(n / ref->act_block_elems) * ref->act_block_bytes;
        std::vector<uint8_t> want(bytes), got(bytes, 0xAB);
        ref->quantize_act(cases[c].data(), want.data(), n);
        k->quantize_act(cases[c].data(), got.data(), n);
        EXPECT_EQ(got, want) << tensor_type_name(type) << " " << isa_name(isa) << " case " << c;
        if (k->gemv_quantize_act == nullptr) continue;
        const size_t gbytes = static_cast<size_t>(n / k->gemv_group_elems) * k->gemv_group_bytes;
        std::vector<uint8_t> gwant(gbytes), ggot(gbytes, 0xAB);
        const QuantizeActFn scalar_gemv = type == TensorType::Q4_K   ? scalar::quantize_act_q8kg
                                          : type == TensorType::Q4_0 ? scalar::quantize_act_q8a4_off8
                                          : type == TensorType::Q5_0 ? scalar::quantize_act_q8a4_off16
                                                                     : scalar::quantize_act_q8a4_off128;
        scalar_gemv(cases[c].data(), gwant.data(), n);
        k->gemv_quantize_act(cases[c].data(), ggot.data(), n);
        EXPECT_EQ(ggot, gwant) << tensor_type_name(type) << " " << isa_name(isa) << " GEMV layout, case " << c;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantLayoutTest, ::testing::ValuesIn(kQuantTypes),
                         [](const auto& info) { return std::string(tensor_type_name(info.param)); });

TEST(Quant, SupportedListCoversTheTableAndNames) {
  EXPECT_EQ(supported_tensor_types().size(), 13u);
  for (TensorType t : supported_tensor_types()) EXPECT_NE(type_kernels(t, Isa::Scalar), nullptr);
  EXPECT_EQ(type_kernels(TensorType::IQ2_XXS, Isa::Scalar), nullptr);
  EXPECT_EQ(type_kernels(TensorType::Q8_K, Isa::Scalar), nullptr);
  EXPECT_NE(supported_tensor_type_names().find("Q4_K"), std::string::npos);
}

}  // namespace
}  // namespace minerva
