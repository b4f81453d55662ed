// Byte layouts of ggml's quantized blocks, as stored in GGUF files. Every block starts on a
// 2-byte boundary in a file (block sizes are even and tensor data is 32-byte aligned), so
// the f16 fields can be read in place. Values are little-endian, as ggml writes them.
#pragma once

#include <cstdint>

namespace minerva::quant {

inline constexpr int kQK = 32;    // values per block of the "legacy" types (Q4_0 .. Q8_0)
inline constexpr int kQKK = 256;  // values per K-quant super-block

// Q8_0, 32 values: x[i] = d * qs[i]. 34 bytes.
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQK];
};

// Q4_0, 32 values: x[j] = d * (lo nibble of qs[j] - 8), x[j + 16] = d * (hi nibble - 8). 18 bytes.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};

// Q4_1, 32 values: like Q4_0 but unsigned nibbles with an offset: x = d * q + m. 20 bytes.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};

// Q5_0, 32 values: 5-bit q = nibble | (bit j of qh, a little-endian u32) << 4, x = d * (q - 16).
// Nibbles are arranged as in Q4_0; value j + 16 takes bit j + 16 of qh. 22 bytes.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

// Q5_1, 32 values: 5-bit q as in Q5_0, x = d * q + m. 24 bytes.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

// Q2_K, 256 values in 16 groups of 16: x = d * (scales[g] & 15) * q - dmin * (scales[g] >> 4),
// q 2 bits. qs holds two 128-value halves of 32 bytes; in a half, bit pair s (0..3) of byte
// l is value 32 * s + l. 84 bytes.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint16_t d;
  uint16_t dmin;
};

// Q3_K, 256 values in 16 groups of 16: x = d * (scale[g] - 32) * (q - 4 * !hbit), with the
// low 2 bits of q laid out as in Q2_K and bit k of hmask[l] the high bit of value 32 * k + l.
// The 16 6-bit scales are packed into 12 bytes (see unpack_scale_k3). 110 bytes.
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint16_t d;
};

// Q4_K, 256 values in 8 groups of 32: x = d * sc[g] * q - dmin * mn[g], 6-bit sc/mn packed
// in 12 bytes (see unpack_scale_min_k4). Each 32-byte run of qs holds groups 2i (low nibbles)
// and 2i + 1 (high nibbles). 144 bytes.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};

// Q5_K, 256 values: Q4_K plus a fifth bit: bit g of qh[l] is the high bit of value 32 * g + l.
// 176 bytes.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};

// Q6_K, 256 values in 16 groups of 16: x = d * scales[g] * (q - 32), q 6 bits = 4 low bits in
// ql + 2 high bits in qh. Per 128-value half: ql[l] / ql[l + 32] low nibbles are values l /
// l + 32, their high nibbles values l + 64 / l + 96; qh[l] bit pairs 0..3 go to l, l + 32,
// l + 64, l + 96. 210 bytes.
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};

// Q8_K, ggml's activation format for dots with the K types (never stored in files): 256
// values x[i] = d * qs[i], qs in [-127, 127], and the sum of each 16-value group. 292 bytes.
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

// One BlockQ8_K re-laid for the AVX-512 Q4_K decode GEMV (internal, never stored): its 32-value
// groups in the order 0, 2, 1, 3, 4, 6, 5, 7, so a 64-byte load of Q4_K codes split into low and
// high nibbles meets 64 consecutive activation bytes, and the sum of each group's codes (group
// order) for the mins. 276 bytes.
struct BlockQ8_KG {
  float d;
  int8_t qs[kQKK];
  int16_t gsums[8];
};

// Minerva's activation block for dots with the 32-value types (internal, never stored):
// x[i] = d * qs[i] with qs in [-127, 127] as in ggml's Q8_0 (but d a float, so no overflow), plus
// the sum of qs, so offsets (Q4_0's -8, Q4_1's min) cost one multiply per block. 40 bytes.
struct BlockQ8A {
  float d;
  int32_t sum;
  int8_t qs[kQK];
};

// Four BlockQ8A blocks (128 values) re-laid for the AVX-512 decode GEMV, which works on four
// weight blocks per step: lo holds values 0..15 of each block (block b at bytes 16b..16b+15),
// hi values 16..31, so the low and high nibbles of four Q4_0 blocks meet their activations
// without shuffles. 32-bit lane l (block l / 4, byte quad l % 4) of a dot over lo and hi
// covers qs[4(l%4) .. +3] and qs[16 + 4(l%4) .. +3]; corr[l] is minus their sum times the code
// offset of the weight type the layout is made for (8 for Q4_0, 16 for Q5_0, 128 for Q8_0 as
// unsigned codes): the dot's starting value; d[l] is the block's scale. 256 bytes.
struct BlockQ8A4 {
  int8_t lo[64];
  int8_t hi[64];
  int32_t corr[16];
  float d[16];
};
inline constexpr int kQ8A4Elems = 4 * kQK;

// The BlockQ8A4 of four tokens, interleaved for the four-token decode GEMV, which keeps the
// dots of four blocks x four tokens in the 32-bit lanes l = 4 * block + token: x[k] holds at
// lane l the token's four values 4k..4k+3 of the block (k < 4) or 16 + 4(k - 4)..+3 (k >= 4);
// corr[l] is the code-offset share of the block's whole dot, d[l] the block's scale. 640 bytes.
struct BlockQ8A4x4 {
  int8_t x[8][64];
  int32_t corr[16];
  float d[16];
};

static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292 && sizeof(BlockQ8A) == 40 && sizeof(BlockQ8A4) == 256);
static_assert(sizeof(BlockQ8A4x4) == 640);

// The 6-bit (scale, min) pair of group j (0..7) of a Q4_K / Q5_K block: groups 0..3 sit in the
// low 6 bits of bytes j and j + 4; groups 4..7 take a nibble of byte j + 4 and the top 2 bits
// of bytes j - 4 and j.
inline void unpack_scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* mn) {
  if (j < 4) {
    *sc = q[j] & 63;
    *mn = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *mn = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// The 6-bit scale of group s (0..15) of a Q3_K block, before subtracting 32: low nibble from
// byte s (s < 8, low half) or byte s - 8 (high half), top 2 bits from byte 8 + s % 4.
inline int unpack_scale_k3(int s, const uint8_t* q) {
  const int lo = s < 8 ? (q[s] & 0xF) : (q[s - 8] >> 4);
  const int hi = (q[8 + (s % 4)] >> (2 * (s / 4))) & 3;
  return lo | (hi << 4);
}

}  // namespace minerva::quant
