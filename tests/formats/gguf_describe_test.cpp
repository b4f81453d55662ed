// Human-readable descriptions: value formatting, sizes and counts, and the model facts of the
// real stories260K file and of written files.
#include "formats/gguf_describe.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "test_paths.h"

namespace minerva::testing {
namespace {

// Writes `w`, parses it, and returns the formatted value of `key`.
std::string formatted(const GgufWriter& w, const std::string& key, const GgufValueFormat& fmt = {}) {
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  auto f = GgufFile::parse(*bytes, "fmt.gguf");
  EXPECT_TRUE(f.ok()) << f.error().message;
  const GgufValue* v = f->find(key);
  EXPECT_NE(v, nullptr) << key;
  return v != nullptr ? format_gguf_value(*v, fmt) : "";
}

TEST(GgufDescribe, Scalars) {
  GgufWriter w;
  w.set_u32("u32", 2048);
  w.set_i8("i8", -5);
  w.set_u64("u64", ~uint64_t{0});
  w.set_i64("i64", INT64_MIN);
  w.set_f32("f32", 1e-5f);
  w.set_f64("f64", 0.1);
  w.set_bool("yes", true);
  w.set_bool("no", false);
  EXPECT_EQ(formatted(w, "u32"), "2048");
  EXPECT_EQ(formatted(w, "i8"), "-5");
  EXPECT_EQ(formatted(w, "u64"), "18446744073709551615");
  EXPECT_EQ(formatted(w, "i64"), "-9223372036854775808");
  EXPECT_EQ(formatted(w, "f32"), "1e-05");  // the float's shortest form, not 9.99999974738e-06
  EXPECT_EQ(formatted(w, "f64"), "0.1");
  EXPECT_EQ(formatted(w, "yes"), "true");
  EXPECT_EQ(formatted(w, "no"), "false");
}

TEST(GgufDescribe, Strings) {
  EXPECT_EQ(quote_gguf_string("llama", 80), "\"llama\"");
  EXPECT_EQ(quote_gguf_string("a\"b\\c\nd\te\x01", 80), "\"a\\\"b\\\\c\\nd\\te\\x01\"");
  EXPECT_EQ(quote_gguf_string("\xe2\x96\x81the", 80), "\"\xe2\x96\x81the\"");  // UTF-8 kept as is
  EXPECT_EQ(quote_gguf_string(std::string(100, 'x'), 10), "\"xxxxxxxxxx...\" (100 bytes)");
  // A cut never splits a UTF-8 character: "é" is 2 bytes, so 3 bytes keep "aé" and 2 keep "a".
  EXPECT_EQ(quote_gguf_string("a\xc3\xa9zzzz", 3), "\"a\xc3\xa9...\" (7 bytes)");
  EXPECT_EQ(quote_gguf_string("a\xc3\xa9zzzz", 2), "\"a...\" (7 bytes)");
  EXPECT_EQ(quote_gguf_string("", 10), "\"\"");
}

TEST(GgufDescribe, Arrays) {
  GgufWriter w;
  w.set_string_array("tokens", {"<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f"});
  w.set_string_array("few", {"x", "y"});
  w.set_string_array("one", {"only"});
  const int32_t ints[] = {1, -2, 3};
  w.set_array<int32_t>("ints", ints);
  const float floats[] = {0.5f, 1e-5f};
  w.set_array<float>("floats", floats);
  const bool bools[] = {true, false};
  w.set_array<bool>("bools", bools);
  w.set_array<uint8_t>("empty", {});
  w.set("nested", gguf_array_of_arrays({gguf_array<int32_t>(ints), gguf_string_array({"q"})}));
  EXPECT_EQ(formatted(w, "tokens"), "[9 strings: \"<unk>\", \"<s>\", \"</s>\", ...]");
  EXPECT_EQ(formatted(w, "few"), "[2 strings: \"x\", \"y\"]");
  EXPECT_EQ(formatted(w, "one"), "[1 string: \"only\"]");
  EXPECT_EQ(formatted(w, "ints"), "[3 i32: 1, -2, 3]");
  EXPECT_EQ(formatted(w, "floats"), "[2 f32: 0.5, 1e-05]");
  EXPECT_EQ(formatted(w, "bools"), "[2 bool: true, false]");
  EXPECT_EQ(formatted(w, "empty"), "[0 u8]");
  EXPECT_EQ(formatted(w, "nested"), "[2 arrays: [3 i32: 1, -2, 3], [1 string: \"q\"]]");
  GgufValueFormat all;
  all.max_array_items = 100;
  EXPECT_EQ(formatted(w, "tokens", all),
            "[9 strings: \"<unk>\", \"<s>\", \"</s>\", \"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]");
  GgufValueFormat none;
  none.max_array_items = 0;
  none.head_items = 0;
  EXPECT_EQ(formatted(w, "ints", none), "[3 i32: ...]");
}

TEST(GgufDescribe, SizesAndCounts) {
  EXPECT_EQ(format_byte_size(0), "0 B");
  EXPECT_EQ(format_byte_size(1023), "1023 B");
  EXPECT_EQ(format_byte_size(1024), "1.00 KiB");
  EXPECT_EQ(format_byte_size(1185376), "1.13 MiB");
  EXPECT_EQ(format_byte_size(uint64_t{7} << 30), "7.00 GiB");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(292800), "293K");
  EXPECT_EQ(format_count(1836288), "1.84M");
  EXPECT_EQ(format_count(6738415616), "6.74B");
  EXPECT_EQ(format_count(70553706496), "70.6B");
  EXPECT_EQ(format_float(0.1f), "0.1");
  EXPECT_EQ(format_double(1e300), "1e+300");
}

TEST(GgufDescribe, FileTypeNames) {
  EXPECT_EQ(llama_file_type_name(0).value(), "ALL_F32");
  EXPECT_EQ(llama_file_type_name(15).value(), "Q4_K_M");
  EXPECT_EQ(llama_file_type_name(32).value(), "BF16");
  EXPECT_FALSE(llama_file_type_name(5).has_value());  // Q4_2, removed from llama.cpp
  EXPECT_FALSE(llama_file_type_name(1000).has_value());
}

TEST(GgufDescribe, Stories260KFacts) {
  auto f = GgufFile::open(shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufModelFacts facts = gguf_model_facts(*f);
  EXPECT_EQ(facts.architecture, "llama");
  // 2 * 512 * 64 (embeddings, output) + 64 (output norm) + 5 layers of
  // (64*64*2 + 64*32*2 + 3*64*172 + 2*64).
  EXPECT_EQ(facts.parameter_count, 2u * 512 * 64 + 64 + 5u * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 172 + 2 * 64));
  ASSERT_NE(facts.context_length, nullptr);
  EXPECT_EQ(facts.context_length->u, 2048u);
  EXPECT_EQ(facts.embedding_length->u, 64u);
  EXPECT_EQ(facts.block_count->u, 5u);
  EXPECT_EQ(facts.head_count->u, 8u);
  EXPECT_EQ(facts.head_count_kv->u, 4u);
  EXPECT_EQ(facts.vocab_size.value(), 512u);
  EXPECT_EQ(facts.file_type, nullptr);
  EXPECT_EQ(format_tensor_type_counts(facts.tensor_types), "F32: 48");
  EXPECT_EQ(format_gguf_value(*f->find("tokenizer.ggml.tokens")), "[512 strings: \"<unk>\", \"<s>\", \"</s>\", ...]");
}

TEST(GgufDescribe, QuantizedFacts) {
  auto f = GgufFile::open(shared_path("models/synth/llama-q4_k_m.gguf"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufModelFacts facts = gguf_model_facts(*f);
  EXPECT_EQ(format_tensor_type_counts(facts.tensor_types), "F32: 5, Q4_K: 13, Q6_K: 3");
  ASSERT_NE(facts.file_type, nullptr);
  EXPECT_EQ(llama_file_type_name(facts.file_type->u).value(), "Q4_K_M");
}

TEST(GgufDescribe, FactsOfAnEmptyFile) {
  GgufWriter w;
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = GgufFile::parse(*bytes, "empty.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufModelFacts facts = gguf_model_facts(*f);
  EXPECT_TRUE(facts.architecture.empty());
  EXPECT_EQ(facts.parameter_count, 0u);
  EXPECT_EQ(facts.context_length, nullptr);
  EXPECT_FALSE(facts.vocab_size.has_value());
  EXPECT_EQ(format_tensor_type_counts(facts.tensor_types), "none");
}

}  // namespace
}  // namespace minerva::testing
