// The reader against damaged copies of real and written files: every truncation of the real
// stories260K header, the data section cut around each tensor, and thousands of seeded random
// byte mutations. Each copy must parse or give an Error naming the file and a byte offset inside
// it; never crash or read outside the buffer (the buffers are exact-size heap copies, so
// AddressSanitizer builds catch any over-read).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_describe.h"
#include "formats/gguf_writer.h"
#include "test_paths.h"

namespace minerva::testing {
namespace {

constexpr const char* kName = "damaged.gguf";

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> bytes(in ? static_cast<size_t>(in.tellg()) : 0);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

// Every error: "<name>: <field> at byte N: <problem>" with N <= max_offset. Returns N.
uint64_t check_error(const Error& e, uint64_t max_offset) {
  const std::string& m = e.message;
  EXPECT_EQ(m.rfind(std::string(kName) + ": ", 0), 0u) << m;
  const size_t at = m.find(" at byte ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no byte offset in: " << m;
    return 0;
  }
  const uint64_t n = std::stoull(m.substr(at + 9));
  EXPECT_LE(n, max_offset) << m;
  // A field name sits between the file name and " at byte ".
  EXPECT_GT(at, std::string(kName).size() + 2) << m;
  return n;
}

// Touches everything a successful parse hands out: formats every value, reads the first and
// last byte of every tensor (which must lie inside the data section).
void walk(const GgufFile& f, const std::vector<uint8_t>& buf) {
  size_t chars = 0;
  for (const auto& kv : f.metadata()) chars += format_gguf_value(kv.value).size();
  EXPECT_GT(chars + 1, 0u);
  uint64_t sum = 0;
  for (const auto& t : f.tensors()) {
    if (t.nbytes == 0) continue;
    ASSERT_GE(t.data, buf.data() + f.data_offset());
    ASSERT_LE(t.data + t.nbytes, buf.data() + buf.size());
    sum += t.data[0] + t.data[t.nbytes - 1];
  }
  EXPECT_GE(sum, 0u);
}

class GgufCorruption : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stories_ = new std::vector<uint8_t>(read_file(shared_path("models/stories260K.gguf")));
  }
  static void TearDownTestSuite() {
    delete stories_;
    stories_ = nullptr;
  }
  static std::vector<uint8_t>* stories_;
};
std::vector<uint8_t>* GgufCorruption::stories_ = nullptr;

TEST_F(GgufCorruption, EveryHeaderPrefixOfStories260KFails) {
  const std::vector<uint8_t>& full = *stories_;
  ASSERT_FALSE(full.empty()) << "missing " << shared_path("models/stories260K.gguf");
  auto ref = GgufFile::parse(full, kName);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const uint64_t data_offset = ref->data_offset();
  ASSERT_GT(data_offset, 1000u);
  for (uint64_t len = 0; len < data_offset; ++len) {
    const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    auto r = GgufFile::parse(prefix, kName);
    ASSERT_FALSE(r.ok()) << "a " << len << "-byte prefix parsed";
    check_error(r.error(), len);
    if (HasFailure()) FAIL() << "at prefix length " << len << ": " << r.error().message;
  }
}

TEST_F(GgufCorruption, DataSectionCutAnywhereFailsUntilTheLastTensorEnds) {
  const std::vector<uint8_t>& full = *stories_;
  auto ref = GgufFile::parse(full, kName);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const uint64_t data_offset = ref->data_offset();
  uint64_t last_end = data_offset;
  std::vector<uint64_t> lengths;
  for (const auto& t : ref->tensors()) {
    const uint64_t end = data_offset + t.offset + t.nbytes;
    last_end = std::max(last_end, end);
    for (uint64_t l : {end - 1, end, end + 1}) lengths.push_back(std::min<uint64_t>(l, full.size()));
  }
  // A stride over the data section; a prime so the cuts fall at varied positions within rows.
  for (uint64_t l = data_offset; l <= full.size(); l += 8191) lengths.push_back(l);
  lengths.push_back(full.size());
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());

  for (uint64_t len : lengths) {
    const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
    auto r = GgufFile::parse(prefix, kName);
    if (len >= last_end) {
      ASSERT_TRUE(r.ok()) << len << ": " << r.error().message;
      walk(*r, prefix);
    } else {
      ASSERT_FALSE(r.ok()) << "cut at " << len << " parsed";
      EXPECT_NE(r.error().message.find("' data at byte"), std::string::npos) << r.error().message;
      check_error(r.error(), len);
    }
  }
}

// Mutates 1..4 bytes of the first `region` bytes (or plants a boundary u64 there), parses, checks
// the outcome, and restores. Returns how many mutants parsed.
int mutate_and_parse(std::vector<uint8_t>& buf, uint64_t region, int iterations, uint64_t seed) {
  std::mt19937_64 rng(seed);
  static constexpr uint64_t kBoundaries[] = {
      0, 1, 0xff, 0xffffffffull, 0x100000000ull, uint64_t{1} << 60, uint64_t{1} << 63, ~uint64_t{0}};
  int parsed = 0;
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::pair<uint64_t, uint8_t>> saved;
    auto set_byte = [&](uint64_t at, uint8_t v) {
      saved.emplace_back(at, buf[at]);
      buf[at] = v;
    };
    if (rng() % 8 == 0 && region >= 8) {
      const uint64_t at = rng() % (region - 7);
      const uint64_t v = kBoundaries[rng() % std::size(kBoundaries)];
      for (int b = 0; b < 8; ++b) set_byte(at + b, static_cast<uint8_t>(v >> (8 * b)));
    } else {
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k) {
        const uint64_t at = rng() % region;
        switch (rng() % 3) {
          case 0:
            set_byte(at, buf[at] ^ static_cast<uint8_t>(1u << (rng() % 8)));
            break;
          case 1:
            set_byte(at, static_cast<uint8_t>(rng()));
            break;
          default:
            set_byte(at, (rng() & 1) ? 0xff : 0x00);
            break;
        }
      }
    }
    auto r = GgufFile::parse(buf, kName);
    if (r.ok()) {
      ++parsed;
      walk(*r, buf);
    } else {
      check_error(r.error(), buf.size());
    }
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) buf[it->first] = it->second;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "mutant " << i << " of seed " << seed;
      break;
    }
  }
  return parsed;
}

TEST_F(GgufCorruption, RandomMutationsOfTheStories260KHeader) {
  std::vector<uint8_t> buf = *stories_;
  auto ref = GgufFile::parse(buf, kName);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const int parsed = mutate_and_parse(buf, ref->data_offset(), 3000, 20240601);
  // Many flips land in token text or float scores and still parse; most others must not.
  EXPECT_GT(parsed, 0);
  EXPECT_LT(parsed, 3000);
  EXPECT_EQ(buf, *stories_);  // restored after each mutant
}

TEST(GgufCorruptionWritten, RandomMutationsOfAFileWithEveryValueType) {
  GgufWriter w;
  ASSERT_TRUE(w.set_alignment(64).ok());
  w.set_u8("u8", 200);
  w.set_i8("i8", -100);
  w.set_u16("u16", 60000);
  w.set_i16("i16", -30000);
  w.set_u32("u32", 4000000000u);
  w.set_i32("i32", -2000000000);
  w.set_u64("u64", ~uint64_t{0});
  w.set_i64("i64", -1);
  w.set_f32("f32", 1e-5f);
  w.set_f64("f64", 3.14159);
  w.set_bool("bool", true);
  w.set_string("str", "hello\nworld");
  const bool bools[] = {true, false, true};
  w.set_array<bool>("bools", bools);
  const float floats[] = {1.5f, -2.0f, 0.0f};
  w.set_array<float>("floats", floats);
  w.set_string_array("strings", {"a", "", "ccc"});
  const int32_t ints[] = {1, 2, 3};
  w.set("nested", gguf_array_of_arrays({gguf_array<int32_t>(ints), gguf_string_array({"x"}),
                                        gguf_array_of_arrays({gguf_array<int32_t>({})})}));
  std::vector<uint8_t> data(4 * 32 * 2, 7);
  ASSERT_TRUE(w.add_tensor("w", TensorType::F32, {32, 2}, data).ok());
  std::vector<uint8_t> q(18 * 2, 1);
  ASSERT_TRUE(w.add_tensor("q", TensorType::Q4_0, {64}, q).ok());
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  std::vector<uint8_t> buf = *bytes;
  auto ref = GgufFile::parse(buf, kName);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const int parsed = mutate_and_parse(buf, ref->data_offset(), 4000, 7);
  EXPECT_LT(parsed, 4000);
}

}  // namespace
}  // namespace minerva::testing
