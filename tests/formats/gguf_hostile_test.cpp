// Crafted malformed GGUF headers: each must be refused with an error naming the file, the field
// and the byte offset of the bad field, never a crash, a hang or a huge allocation.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "gguf_craft.h"

namespace minerva::testing {
namespace {

constexpr uint64_t k2p60 = uint64_t{1} << 60;
constexpr uint64_t k2p63 = uint64_t{1} << 63;
constexpr uint32_t kF32 = 0;
constexpr uint32_t kQ4_0 = 2;
constexpr uint32_t kF64 = 28;

// The header's fixed fields: magic 0..3, version 4..7, tensor count 8..15, metadata count 16..23.
constexpr uint64_t kFirstEntry = 24;

std::vector<uint8_t> with_magic(const char magic[4]) {
  GgufCraft c;
  std::memcpy(c.bytes().data(), magic, 4);
  return c.bytes();
}

TEST(GgufHostile, EmptyInput) { expect_parse_error({}, {"magic" + at_byte(0), "truncated"}); }

TEST(GgufHostile, BadMagic) {
  expect_parse_error(with_magic("GGUX"), {"magic" + at_byte(0), "not a GGUF file", "'GGUX'"});
  expect_parse_error(with_magic("\x89PNG"), {"magic" + at_byte(0), "not a GGUF file"});
}

TEST(GgufHostile, LegacyGgmlMagics) {
  // Pre-GGUF llama.cpp files stored their magic as a little-endian u32, so 'ggml' reads "lmgg".
  for (const char* magic : {"lmgg", "fmgg", "tjgg", "algg", "nsgg"}) {
    SCOPED_TRACE(magic);
    expect_parse_error(with_magic(magic), {"magic" + at_byte(0), "legacy GGML", magic});
  }
}

TEST(GgufHostile, Version1) {
  GgufCraft c(0, 0, 1);
  expect_parse_error(c.bytes(), {"version" + at_byte(4), "version 1"});
}

TEST(GgufHostile, Version4) {
  GgufCraft c(0, 0, 4);
  expect_parse_error(c.bytes(), {"version" + at_byte(4), "unsupported GGUF version 4"});
}

TEST(GgufHostile, BigEndianVersion) {
  for (uint32_t v : {2u, 3u}) {
    GgufCraft c(0, 0, __builtin_bswap32(v));
    expect_parse_error(c.bytes(), {"version" + at_byte(4), "big-endian"});
  }
}

TEST(GgufHostile, MinimalFileParses) {
  // The baseline the other cases break: no tensors, no metadata.
  GgufCraft c;
  auto f = parse_crafted(c.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->data_offset(), 24u);
}

TEST(GgufHostile, TensorCountHuge) {
  GgufCraft c(k2p60, 0);
  expect_parse_error(c.bytes(), {"tensor count" + at_byte(8), "cannot fit"});
}

TEST(GgufHostile, MetadataCountHuge) {
  GgufCraft c(0, k2p60);
  expect_parse_error(c.bytes(), {"metadata count" + at_byte(16), "cannot fit"});
}

TEST(GgufHostile, MetadataCountBeyondEntries) {
  GgufCraft c(0, 2);
  c.kv<uint32_t>("a", 1);
  c.zeros(20);  // room enough to pass the count check; the second entry's key length reads 0
  expect_parse_error(c.bytes(), {"metadata entry 1 key" + at_byte(kFirstEntry + 17), "empty key"});
}

TEST(GgufHostile, ArrayCountHuge) {
  GgufCraft c(0, 1);
  c.key("a.b", GgufValueType::ARRAY);
  const uint64_t elem_at = c.pos();
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::U32));
  c.e.put<uint64_t>(k2p60);
  c.zeros(64);
  EXPECT_EQ(elem_at, kFirstEntry + 8 + 3 + 4);
  expect_parse_error(c.bytes(), {"metadata 'a.b' element count" + at_byte(elem_at + 4), "cannot fit"});
}

TEST(GgufHostile, StringArrayCountHuge) {
  GgufCraft c(0, 1);
  c.key("s", GgufValueType::ARRAY);
  const uint64_t count_at = c.pos() + 4;
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::STRING));
  c.e.put<uint64_t>(k2p60);
  expect_parse_error(c.bytes(), {"metadata 's' element count" + at_byte(count_at), "cannot fit"});
}

TEST(GgufHostile, StringLengthHuge) {
  GgufCraft c(0, 1);
  c.key("k", GgufValueType::STRING);
  const uint64_t len_at = c.pos();
  c.e.put<uint64_t>(k2p63);
  c.zeros(16);
  expect_parse_error(c.bytes(), {"metadata 'k'" + at_byte(len_at), "string length 9223372036854775808"});
}

TEST(GgufHostile, KeyLengthHuge) {
  GgufCraft c(0, 1);
  c.e.put<uint64_t>(k2p63);
  c.zeros(16);
  expect_parse_error(c.bytes(), {"metadata entry 0 key" + at_byte(kFirstEntry), "exceeds"});
}

TEST(GgufHostile, StringInArrayLengthHuge) {
  GgufCraft c(0, 1);
  c.key("s", GgufValueType::ARRAY);
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::STRING));
  c.e.put<uint64_t>(2);
  c.e.put_string("ok");
  const uint64_t second_at = c.pos();
  c.e.put<uint64_t>(~uint64_t{0});
  expect_parse_error(c.bytes(), {"metadata 's'[1]" + at_byte(second_at), "string length"});
}

TEST(GgufHostile, ArraysNested100Deep) {
  GgufCraft c(0, 1);
  c.key("deep", GgufValueType::ARRAY);
  const uint64_t value_at = c.pos();
  for (int d = 0; d < 100; ++d) {
    c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::ARRAY));
    c.e.put<uint64_t>(1);
  }
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::U8));
  c.e.put<uint64_t>(0);
  // Levels 0..7 are read; the 9th array (level 8) starts 8 * 12 bytes further.
  std::string field = "metadata 'deep'";
  for (int d = 0; d < kGgufMaxArrayDepth; ++d) field += "[0]";
  expect_parse_error(c.bytes(), {field + at_byte(value_at + 12 * kGgufMaxArrayDepth), "nested deeper than 8 levels"});
}

TEST(GgufHostile, ArraysNestedAtTheLimitParse) {
  GgufCraft c(0, 1);
  c.key("deep", GgufValueType::ARRAY);
  for (int d = 0; d < kGgufMaxArrayDepth - 1; ++d) {
    c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::ARRAY));
    c.e.put<uint64_t>(1);
  }
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::I32));
  c.e.put<uint64_t>(1);
  c.e.put<int32_t>(-7);
  auto f = parse_crafted(c.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufValue* v = f->find("deep");
  for (int d = 0; d < kGgufMaxArrayDepth - 1; ++d) {
    ASSERT_EQ(v->type, GgufValueType::ARRAY);
    ASSERT_EQ(v->items.size(), 1u);
    v = &v->items[0];
  }
  EXPECT_EQ(v->elem_type, GgufValueType::I32);
  EXPECT_EQ(v->scalar_at<int32_t>(0), -7);
}

TEST(GgufHostile, BadBool) {
  GgufCraft c(0, 1);
  c.key("b", GgufValueType::BOOL);
  const uint64_t value_at = c.pos();
  c.e.put<uint8_t>(2);
  expect_parse_error(c.bytes(), {"metadata 'b'" + at_byte(value_at), "bool value 2"});
}

TEST(GgufHostile, BadBoolInArray) {
  GgufCraft c(0, 1);
  c.key("ba", GgufValueType::ARRAY);
  c.e.put<uint32_t>(static_cast<uint32_t>(GgufValueType::BOOL));
  c.e.put<uint64_t>(3);
  const uint64_t items_at = c.pos();
  c.e.put<uint8_t>(1);
  c.e.put<uint8_t>(0);
  c.e.put<uint8_t>(0xff);
  expect_parse_error(c.bytes(), {"metadata 'ba'[2]" + at_byte(items_at + 2), "bool value 255"});
}

TEST(GgufHostile, UnknownValueType) {
  GgufCraft c(0, 1);
  const uint64_t at = c.key("k", 13u);
  c.zeros(8);
  expect_parse_error(c.bytes(), {"metadata 'k' type" + at_byte(at + 9), "unknown value type 13"});
}

TEST(GgufHostile, UnknownArrayElementType) {
  GgufCraft c(0, 1);
  c.key("k", GgufValueType::ARRAY);
  const uint64_t elem_at = c.pos();
  c.e.put<uint32_t>(99);
  c.e.put<uint64_t>(0);
  expect_parse_error(c.bytes(), {"metadata 'k' element type" + at_byte(elem_at), "unknown value type 99"});
}

TEST(GgufHostile, EmptyKey) {
  GgufCraft c(0, 1);
  c.kv<uint32_t>("", 1);
  expect_parse_error(c.bytes(), {"metadata entry 0 key" + at_byte(kFirstEntry), "empty key"});
}

TEST(GgufHostile, DuplicateKey) {
  GgufCraft c(0, 2);
  c.kv<uint32_t>("general.x", 1);
  const uint64_t second = c.kv<uint32_t>("general.x", 2);
  expect_parse_error(c.bytes(), {"metadata 'general.x'" + at_byte(second), "duplicate key"});
}

TEST(GgufHostile, AlignmentZeroAndThree) {
  for (uint32_t a : {0u, 3u, 48u, 1u << 21}) {
    SCOPED_TRACE(a);
    GgufCraft c(0, 1);
    const uint64_t at = c.kv<uint32_t>("general.alignment", a);
    expect_parse_error(c.bytes(), {"metadata 'general.alignment'" + at_byte(at),
                                   "alignment " + std::to_string(a) + " is not a power of two"});
  }
}

TEST(GgufHostile, AlignmentWrongType) {
  {
    GgufCraft c(0, 1);
    const uint64_t at = c.kv<uint64_t>("general.alignment", 32);
    expect_parse_error(c.bytes(), {"metadata 'general.alignment'" + at_byte(at), "type is u64, expected u32"});
  }
  {
    GgufCraft c(0, 1);
    const uint64_t at = c.kv_string("general.alignment", "32");
    expect_parse_error(c.bytes(), {"metadata 'general.alignment'" + at_byte(at), "type is string, expected u32"});
  }
}

TEST(GgufHostile, AlignmentIsHonoured) {
  GgufCraft c(1, 1);
  c.kv<uint32_t>("general.alignment", 64);
  c.tensor("t", {16}, kF32, 0);
  c.align(64);
  c.zeros(64);
  auto f = parse_crafted(c.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset(), 128u);
}

TEST(GgufHostile, TensorDataPastEof) {
  GgufCraft c(1, 0);
  c.tensor("t", {8}, kF32, 0);  // 32 bytes
  c.align();
  const uint64_t data_at = c.pos();
  c.zeros(16);
  expect_parse_error(c.bytes(), {"tensor 't' data" + at_byte(data_at), "32 bytes", "run past the end"});
}

TEST(GgufHostile, TensorOffsetFarPastEof) {
  // data_offset + offset would wrap around 2^64: reported at the offset field instead.
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {8}, kF32, ~uint64_t{31});
  c.align();
  expect_parse_error(c.bytes(), {"tensor 't' offset" + at_byte(t.offset_at), "past the end of the file"});
}

TEST(GgufHostile, TensorOffsetMisaligned) {
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {8}, kF32, 4);
  c.align();
  c.zeros(64);
  expect_parse_error(c.bytes(), {"tensor 't' offset" + at_byte(t.offset_at), "not a multiple of the alignment 32"});
}

TEST(GgufHostile, TensorsOverlap) {
  GgufCraft c(2, 0);
  c.tensor("a", {16}, kF32, 0);  // bytes 0..63
  c.tensor("b", {8}, kF32, 32);
  c.align();
  const uint64_t data_at = c.pos();
  c.zeros(128);
  expect_parse_error(c.bytes(), {"tensor 'b' data" + at_byte(data_at + 32), "overlaps tensor 'a'"});
}

TEST(GgufHostile, ZeroSizedTensorInsideAnotherIsFine) {
  GgufCraft c(2, 0);
  c.tensor("a", {16}, kF32, 0);
  c.tensor("empty", {0, 4}, kF32, 32);
  c.align();
  c.zeros(64);
  auto f = parse_crafted(c.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->find_tensor("empty")->nbytes, 0u);
}

TEST(GgufHostile, DimsProductOverflows) {
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {uint64_t{1} << 32, uint64_t{1} << 32}, kF32, 0);
  expect_parse_error(c.bytes(), {"tensor 't' ne[1]" + at_byte(t.ne_at + 8), "overflows 63 bits"});
}

TEST(GgufHostile, DimsProductOverflowsBehindAZeroDim) {
  // Zero elements, but rows() = ne[1] * ne[2] * ne[3] would overflow.
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {0, uint64_t{1} << 40, uint64_t{1} << 40}, kF32, 0);
  expect_parse_error(c.bytes(), {"tensor 't' ne[2]" + at_byte(t.ne_at + 16), "overflows 63 bits"});
}

TEST(GgufHostile, ByteSizeOverflows) {
  // 2^62 elements fit in 63 bits, but 2^62 * 8 bytes of F64 do not (this used to wrap to 0 bytes).
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {uint64_t{1} << 62}, kF64, 0);
  c.align();
  expect_parse_error(c.bytes(), {"tensor 't' type" + at_byte(t.type_at), "overflow"});
}

TEST(GgufHostile, NegativeDim) {
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {4, k2p63}, kF32, 0);
  expect_parse_error(c.bytes(), {"tensor 't' ne[1]" + at_byte(t.ne_at + 8), "is negative"});
}

TEST(GgufHostile, NDimsZeroAndFive) {
  for (uint32_t n : {0u, 5u}) {
    SCOPED_TRACE(n);
    GgufCraft c(1, 0);
    const CraftedTensor t = c.tensor("t", n, {1, 1, 1, 1, 1}, kF32, 0);
    expect_parse_error(c.bytes(), {"tensor 't' n_dims" + at_byte(t.n_dims_at),
                                   "dimension count " + std::to_string(n) + " not in 1..4"});
  }
}

TEST(GgufHostile, UnknownTensorType) {
  for (uint32_t type : {4u, 5u, 31u, 40u, 1000u, 0xffffffffu}) {
    SCOPED_TRACE(type);
    GgufCraft c(1, 0);
    const CraftedTensor t = c.tensor("t", {32}, type, 0);
    c.align();
    c.zeros(256);
    expect_parse_error(c.bytes(), {"tensor 't' type" + at_byte(t.type_at), "unknown tensor type id"});
  }
}

TEST(GgufHostile, RowNotAMultipleOfBlockSize) {
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("t", {33, 2}, kQ4_0, 0);
  expect_parse_error(
      c.bytes(), {"tensor 't' ne[0]" + at_byte(t.ne_at), "row length 33", "not a multiple of the Q4_0 block size 32"});
}

TEST(GgufHostile, EmptyTensorName) {
  GgufCraft c(1, 0);
  const CraftedTensor t = c.tensor("", {8}, kF32, 0);
  c.zeros(8);  // a tensor info is at least 33 bytes; this one's empty name makes it 32
  expect_parse_error(c.bytes(), {"tensor info 0 name" + at_byte(t.start), "empty tensor name"});
}

TEST(GgufHostile, DuplicateTensorName) {
  GgufCraft c(2, 0);
  c.tensor("w", {8}, kF32, 0);
  const CraftedTensor second = c.tensor("w", {8}, kF32, 32);
  c.align();
  c.zeros(64);
  expect_parse_error(c.bytes(), {"tensor 'w'" + at_byte(second.start), "duplicate tensor name"});
}

TEST(GgufHostile, DataSectionTruncated) {
  GgufCraft c(1, 0);
  c.tensor("t", {8}, kF32, 0);
  const uint64_t header_end = c.pos();  // 57: not a multiple of 32, and the file ends here
  expect_parse_error(c.bytes(), {"data section" + at_byte(header_end), "truncated"});
}

TEST(GgufHostile, VocabOnlyFileMayEndRightAfterTheHeader) {
  GgufCraft c(0, 1);
  c.kv_string("general.architecture", "llama");  // 24 + 28 + 4 + 13 = 69 bytes: unaligned end
  auto f = parse_crafted(c.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->data_offset(), f->file_size());
}

TEST(GgufHostile, TruncatedInsideScalar) {
  GgufCraft c(0, 1);
  c.key("k", GgufValueType::U64);
  const uint64_t value_at = c.pos();
  c.e.put<uint32_t>(7);
  // 4 of the 8 bytes are present; the metadata count check passes (one entry needs >= 14 bytes).
  expect_parse_error(c.bytes(), {"metadata 'k'" + at_byte(value_at), "truncated (need 8 bytes"});
}

TEST(GgufHostile, ErrorsAlwaysNameTheFile) {
  // The same bytes under two names: the message carries whichever name the caller gave.
  GgufCraft c(0, 0, 9);
  auto a = GgufFile::parse(c.bytes(), "/models/x.gguf");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message.rfind("/models/x.gguf: version at byte 4: ", 0), 0u) << a.error().message;
}

}  // namespace
}  // namespace minerva::testing
