// GgufWriter: every value type and tensor layout survives write -> GgufFile::parse unchanged,
// the layout is llama.cpp's, and the writer refuses to produce what the reader would reject.
#include "formats/gguf_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf.h"

namespace minerva::testing {
namespace {

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

std::vector<uint8_t> serialize_or_die(const GgufWriter& w) {
  auto r = w.serialize();
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : std::vector<uint8_t>{};
}

bool has_error(const Status& s, const std::string& part) {
  return !s.ok() && s.error().message.find(part) != std::string::npos;
}

// The message of serialize()'s error, or "" when it succeeded.
std::string serialize_error(const GgufWriter& w) {
  auto r = w.serialize();
  return r.ok() ? std::string() : r.error().message;
}

// Keys with values of every type: scalars at their limits, arrays of each scalar type, string
// arrays with awkward strings, nested arrays of mixed element types.
GgufWriter writer_with_every_type() {
  GgufWriter w;
  w.set_u8("t.u8", std::numeric_limits<uint8_t>::max());
  w.set_i8("t.i8", std::numeric_limits<int8_t>::min());
  w.set_u16("t.u16", std::numeric_limits<uint16_t>::max());
  w.set_i16("t.i16", std::numeric_limits<int16_t>::min());
  w.set_u32("t.u32", std::numeric_limits<uint32_t>::max());
  w.set_i32("t.i32", std::numeric_limits<int32_t>::min());
  w.set_u64("t.u64", std::numeric_limits<uint64_t>::max());
  w.set_i64("t.i64", std::numeric_limits<int64_t>::min());
  w.set_f32("t.f32", 1e-5f);
  w.set_f64("t.f64", -0.1);
  w.set_f32("t.f32_nan", std::numeric_limits<float>::quiet_NaN());
  w.set_f64("t.f64_inf", -std::numeric_limits<double>::infinity());
  w.set_bool("t.bool_true", true);
  w.set_bool("t.bool_false", false);
  w.set_string("t.string", "h\xc3\xa9llo \xe2\x96\x81world");
  w.set_string("t.empty_string", "");
  w.set_string("t.nul", std::string("a\0b", 3));
  const uint8_t u8s[] = {0, 1, 255};
  const int8_t i8s[] = {-128, 0, 127};
  const uint16_t u16s[] = {0, 65535};
  const int16_t i16s[] = {-32768, 32767};
  const uint32_t u32s[] = {0, 4294967295u};
  const int32_t i32s[] = {-1, 0, 1, 2048};
  const uint64_t u64s[] = {0, ~uint64_t{0}};
  const int64_t i64s[] = {std::numeric_limits<int64_t>::min(), 42};
  const float f32s[] = {0.5f, -1e30f, 1e-30f};
  const double f64s[] = {1.0 / 3.0, 1e300};
  const bool bools[] = {true, false, false, true};
  w.set_array<uint8_t>("a.u8", u8s);
  w.set_array<int8_t>("a.i8", i8s);
  w.set_array<uint16_t>("a.u16", u16s);
  w.set_array<int16_t>("a.i16", i16s);
  w.set_array<uint32_t>("a.u32", u32s);
  w.set_array<int32_t>("a.i32", i32s);
  w.set_array<uint64_t>("a.u64", u64s);
  w.set_array<int64_t>("a.i64", i64s);
  w.set_array<float>("a.f32", f32s);
  w.set_array<double>("a.f64", f64s);
  w.set_array<bool>("a.bool", bools);
  w.set_array<float>("a.empty", {});
  w.set_string_array("a.strings", {"<unk>", "<s>", "</s>", "", "\xe2\x96\x81the", std::string(300, 'x')});
  w.set_string_array("a.no_strings", {});
  w.set("a.nested", gguf_array_of_arrays({gguf_array<int32_t>(i32s), gguf_string_array({"p", "q"}),
                                          gguf_array_of_arrays({gguf_array<bool>(bools), gguf_array<float>({})}),
                                          gguf_array_of_arrays({})}));
  return w;
}

TEST(GgufWriter, EveryValueTypeRoundTrips) {
  GgufWriter w = writer_with_every_type();
  const std::vector<uint8_t> bytes = serialize_or_die(w);
  auto f = GgufFile::parse(bytes, "every-type.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->tensors().size(), 0u);

  // Same keys in the same order, each equal to what was set, byte for byte (NaN included).
  GgufWriter again;
  again.copy_metadata(*f);
  ASSERT_EQ(f->metadata().size(), 32u);
  for (const auto& kv : f->metadata()) {
    const GgufMetaValue* want = w.find(kv.key);
    ASSERT_NE(want, nullptr) << kv.key;
    EXPECT_TRUE(gguf_copy_value(kv.value) == *want) << kv.key;
  }
  EXPECT_EQ(serialize_or_die(again), bytes);

  // And through the reader's typed view.
  EXPECT_EQ(f->get_uint("t.u64").value(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(f->find("t.i64")->i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(f->find("t.i8")->i, -128);
  EXPECT_FLOAT_EQ(static_cast<float>(f->get_float("t.f32").value()), 1e-5f);
  EXPECT_DOUBLE_EQ(f->get_float("t.f64").value(), -0.1);
  EXPECT_TRUE(std::isnan(f->find("t.f32_nan")->f));
  EXPECT_TRUE(f->get_bool("t.bool_true").value());
  EXPECT_FALSE(f->get_bool("t.bool_false").value());
  EXPECT_EQ(f->get_string("t.string").value(), "h\xc3\xa9llo \xe2\x96\x81world");
  EXPECT_EQ(f->get_string("t.nul").value(), std::string_view("a\0b", 3));
  EXPECT_EQ(f->get_string("t.empty_string").value(), "");
  const GgufValue* i32 = f->get_array("a.i32", GgufValueType::I32).value();
  ASSERT_EQ(i32->count, 4u);
  EXPECT_EQ(i32->scalar_at<int32_t>(3), 2048);
  EXPECT_EQ(f->get_array("a.u64", GgufValueType::U64).value()->scalar_at<uint64_t>(1), ~uint64_t{0});
  EXPECT_DOUBLE_EQ(f->get_array("a.f64", GgufValueType::F64).value()->number_at(0), 1.0 / 3.0);
  EXPECT_EQ(f->get_array("a.bool", GgufValueType::BOOL).value()->number_at(3), 1.0);
  const GgufValue* strings = f->get_array("a.strings", GgufValueType::STRING).value();
  ASSERT_EQ(strings->strings.size(), 6u);
  EXPECT_EQ(strings->strings[2], "</s>");
  EXPECT_EQ(strings->strings[5].size(), 300u);
  const GgufValue* nested = f->get_array("a.nested", GgufValueType::ARRAY).value();
  ASSERT_EQ(nested->items.size(), 4u);
  EXPECT_EQ(nested->items[1].elem_type, GgufValueType::STRING);
  EXPECT_EQ(nested->items[1].strings[1], "q");
  ASSERT_EQ(nested->items[2].items.size(), 2u);
  EXPECT_EQ(nested->items[2].items[0].elem_type, GgufValueType::BOOL);
  EXPECT_EQ(nested->items[2].items[1].count, 0u);
  EXPECT_EQ(nested->items[3].count, 0u);
}

TEST(GgufWriter, TensorsRoundTripInLlamaCppLayout) {
  GgufWriter w;
  w.set_string("general.architecture", "test");
  struct Spec {
    const char* name;
    TensorType type;
    std::vector<int64_t> ne;
    size_t bytes;
  };
  const std::vector<Spec> specs = {
      {"f32.1d", TensorType::F32, {7}, 28},  // not a multiple of the alignment
      {"f16.2d", TensorType::F16, {8, 3}, 48},
      {"q4_0.3d", TensorType::Q4_0, {64, 2, 3}, 18 * 2 * 2 * 3},
      {"q4_k.4d", TensorType::Q4_K, {256, 1, 2, 2}, 144 * 4},
      {"q8_0", TensorType::Q8_0, {32, 5}, 34 * 5},
      {"empty", TensorType::F32, {0, 4}, 0},
      {"i8", TensorType::I8, {3}, 3},
  };
  std::vector<std::vector<uint8_t>> datas;
  for (size_t k = 0; k < specs.size(); ++k) {
    datas.push_back(random_bytes(specs[k].bytes, k));
    ASSERT_TRUE(w.add_tensor(specs[k].name, specs[k].type, specs[k].ne, datas.back()).ok()) << specs[k].name;
  }
  const std::vector<uint8_t> bytes = serialize_or_die(w);
  auto f = GgufFile::parse(bytes, "tensors.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_EQ(f->tensors().size(), specs.size());
  EXPECT_EQ(f->data_offset() % 32, 0u);
  uint64_t expected_offset = 0;
  for (size_t k = 0; k < specs.size(); ++k) {
    const TensorView& t = f->tensors()[k];  // in the order added
    SCOPED_TRACE(specs[k].name);
    EXPECT_EQ(t.name, specs[k].name);
    EXPECT_EQ(t.type, specs[k].type);
    ASSERT_EQ(t.n_dims, specs[k].ne.size());
    for (size_t d = 0; d < specs[k].ne.size(); ++d) EXPECT_EQ(t.ne[d], specs[k].ne[d]);
    EXPECT_EQ(t.nbytes, specs[k].bytes);
    EXPECT_EQ(t.offset, expected_offset);  // each tensor's data padded to the alignment
    expected_offset += (specs[k].bytes + 31) / 32 * 32;
    EXPECT_EQ(std::vector<uint8_t>(t.data, t.data + t.nbytes), datas[k]);
  }
  EXPECT_EQ(bytes.size(), f->data_offset() + expected_offset);  // the last tensor is padded too
  // Padding is zeros.
  for (uint64_t b = f->data_offset() + 28; b < f->data_offset() + 32; ++b) EXPECT_EQ(bytes[b], 0);
}

TEST(GgufWriter, Version2) {
  GgufWriter w;
  ASSERT_TRUE(w.set_version(2).ok());
  w.set_u32("k", 1);
  ASSERT_TRUE(w.add_tensor("t", TensorType::F32, {4}, random_bytes(16, 1)).ok());
  const std::vector<uint8_t> bytes = serialize_or_die(w);
  EXPECT_EQ(bytes[4], 2);
  auto f = GgufFile::parse(bytes, "v2.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->get_uint("k").value(), 1u);
  EXPECT_TRUE(has_error(w.set_version(1), "version 1 is not 2 or 3"));
  EXPECT_TRUE(has_error(w.set_version(4), "version 4"));
  EXPECT_EQ(w.version(), 2u);
}

TEST(GgufWriter, Alignment) {
  for (uint32_t a : {1u, 8u, 64u, 4096u}) {
    SCOPED_TRACE(a);
    GgufWriter w;
    ASSERT_TRUE(w.set_alignment(a).ok());
    ASSERT_TRUE(w.add_tensor("a", TensorType::F32, {3}, random_bytes(12, 2)).ok());
    ASSERT_TRUE(w.add_tensor("b", TensorType::F32, {5}, random_bytes(20, 3)).ok());
    const std::vector<uint8_t> bytes = serialize_or_die(w);
    auto f = GgufFile::parse(bytes, "aligned.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->alignment(), a);
    EXPECT_EQ(f->data_offset() % a, 0u);
    EXPECT_EQ(f->find_tensor("b")->offset, (12 + a - 1) / a * a);
  }
  GgufWriter w;
  EXPECT_TRUE(has_error(w.set_alignment(0), "alignment 0 is not a power of two"));
  EXPECT_TRUE(has_error(w.set_alignment(48), "alignment 48"));
  EXPECT_TRUE(has_error(w.set_alignment(2u << 20), "up to 1 MiB"));
  EXPECT_EQ(w.find("general.alignment"), nullptr);
  // A general.alignment set by hand (or copied) is checked when serialising.
  w.set_u32("general.alignment", 3);
  EXPECT_NE(serialize_error(w).find("general.alignment 3 is not a power of two"), std::string::npos);
  w.set_string("general.alignment", "32");
  EXPECT_NE(serialize_error(w).find("general.alignment is not a u32"), std::string::npos);
}

TEST(GgufWriter, SetReplacesInPlaceAndRemove) {
  GgufWriter w;
  w.set_u32("a", 1);
  w.set_u32("b", 2);
  w.set_string("a", "now a string");
  ASSERT_TRUE(w.remove("b"));
  EXPECT_FALSE(w.remove("b"));
  w.set_u32("c", 3);
  const std::vector<uint8_t> bytes = serialize_or_die(w);
  auto g = GgufFile::parse(bytes, "set.gguf");
  ASSERT_TRUE(g.ok()) << g.error().message;
  ASSERT_EQ(g->metadata().size(), 2u);
  EXPECT_EQ(g->metadata()[0].key, "a");
  EXPECT_EQ(g->get_string("a").value(), "now a string");
  EXPECT_EQ(g->metadata()[1].key, "c");
}

TEST(GgufWriter, RefusesBadTensors) {
  const std::span<const uint8_t> none;
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("ok", TensorType::F32, {2}, random_bytes(8, 0)).ok());
  EXPECT_TRUE(has_error(w.add_tensor("ok", TensorType::F32, {2}, random_bytes(8, 0)), "duplicate tensor name"));
  EXPECT_TRUE(has_error(w.add_tensor("", TensorType::F32, {2}, random_bytes(8, 0)), "empty tensor name"));
  EXPECT_TRUE(has_error(w.add_tensor("size", TensorType::F32, {2}, random_bytes(9, 0)), "data is 9 bytes, expected 8"));
  EXPECT_TRUE(has_error(w.add_tensor("q", TensorType::Q4_0, {33}, random_bytes(18, 0)), "not a multiple of the Q4_0"));
  EXPECT_TRUE(has_error(w.add_tensor("d0", TensorType::F32, {}, none), "0 dims"));
  EXPECT_TRUE(has_error(w.add_tensor("d5", TensorType::F32, {1, 1, 1, 1, 1}, random_bytes(4, 0)), "5 dims"));
  EXPECT_TRUE(has_error(w.add_tensor("neg", TensorType::F32, {-1}, none), "negative dimension"));
  EXPECT_TRUE(has_error(w.add_tensor("big", TensorType::F32, {int64_t{1} << 32, int64_t{1} << 32}, none), "overflows"));
  EXPECT_TRUE(has_error(w.add_tensor("bytes", TensorType::F64, {int64_t{1} << 62}, none), "byte size overflows"));
  EXPECT_TRUE(has_error(w.add_tensor("type", static_cast<TensorType>(4), {32}, none), "unknown tensor type 4"));
  // Nothing refused was added.
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = GgufFile::parse(*bytes, "refused.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->tensors().size(), 1u);
}

TEST(GgufWriter, RefusesInconsistentHandBuiltValues) {
  {
    GgufWriter w;
    GgufMetaValue v = gguf_scalar<uint32_t>(1);
    v.raw.pop_back();
    w.set("short", v);
    EXPECT_TRUE(serialize_error(w).find("metadata 'short': 3 bytes do not hold one u32") != std::string::npos);
  }
  {
    GgufWriter w;
    GgufMetaValue v = gguf_string_array({"a", "b"});
    v.count = 3;
    w.set("strings", v);
    EXPECT_TRUE(serialize_error(w).find("count does not match") != std::string::npos);
  }
  {
    GgufWriter w;
    GgufMetaValue v = gguf_array_of_arrays({gguf_scalar<uint8_t>(1)});
    w.set("items", v);
    EXPECT_TRUE(serialize_error(w).find("metadata 'items'[0]: item is not an array") != std::string::npos);
  }
  {
    GgufWriter w;
    w.set_u32("", 1);
    EXPECT_TRUE(serialize_error(w).find("empty metadata key") != std::string::npos);
  }
  {
    // The reader allows 8 levels of arrays; the writer will not write a 9th.
    GgufMetaValue v = gguf_array<uint8_t>({});
    for (int d = 1; d < kGgufMaxArrayDepth; ++d) v = gguf_array_of_arrays({v});
    GgufWriter w;
    w.set("deep", v);
    const std::vector<uint8_t> bytes = serialize_or_die(w);
    EXPECT_TRUE(GgufFile::parse(bytes, "deep.gguf").ok());
    w.set("deep", gguf_array_of_arrays({v}));
    EXPECT_TRUE(serialize_error(w).find("nested deeper than 8") != std::string::npos);
  }
}

TEST(GgufWriter, WriteFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("minerva-writer-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  GgufWriter w = writer_with_every_type();
  ASSERT_TRUE(w.add_tensor("a", TensorType::F32, {3}, random_bytes(12, 5)).ok());
  ASSERT_TRUE(w.add_tensor("b", TensorType::Q8_0, {32, 2}, random_bytes(68, 6)).ok());
  const std::string path = (dir / "out.gguf").string();
  Status s = w.write_file(path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->tensors().size(), 2u);
  // The file holds exactly what serialize() returns.
  const std::vector<uint8_t> bytes = serialize_or_die(w);
  ASSERT_EQ(f->file_size(), bytes.size());
  auto mapped = GgufFile::parse(bytes, "mem");
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(std::vector<uint8_t>(f->tensors()[1].data, f->tensors()[1].data + 68),
            std::vector<uint8_t>(mapped->tensors()[1].data, mapped->tensors()[1].data + 68));

  const std::string bad = (dir / "no-such-dir" / "out.gguf").string();
  Status e = w.write_file(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find(bad), std::string::npos) << e.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minerva::testing
