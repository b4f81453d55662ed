// Test helper: builds GGUF headers byte by byte (including malformed ones the writer refuses to
// produce) and remembers where each field starts, so tests can assert the byte offsets the
// reader reports in its errors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace minerva::testing {

inline constexpr const char* kCraftName = "crafted.gguf";

struct CraftedTensor {
  uint64_t start = 0;  // the name's length field
  uint64_t n_dims_at = 0;
  uint64_t ne_at = 0;  // ne[0]; ne[d] is at ne_at + 8 * d
  uint64_t type_at = 0;
  uint64_t offset_at = 0;
};

struct GgufCraft {
  GgufEncoder e;

  // Magic, version and the two counts; the counts are whatever the test claims, not checked.
  explicit GgufCraft(uint64_t n_tensors = 0, uint64_t n_kv = 0, uint32_t version = 3) {
    e.put<uint32_t>(0x46554747);
    e.put<uint32_t>(version);
    e.put<uint64_t>(n_tensors);
    e.put<uint64_t>(n_kv);
  }

  uint64_t pos() const { return e.size(); }

  // Key and type tag; returns where the key starts. The value is up to the caller.
  uint64_t key(std::string_view k, GgufValueType type) { return key(k, static_cast<uint32_t>(type)); }
  uint64_t key(std::string_view k, uint32_t type) {
    const uint64_t at = pos();
    e.put_string(k);
    e.put<uint32_t>(type);
    return at;
  }
  template <typename T>
  uint64_t kv(std::string_view k, T v) {
    const uint64_t at = key(k, gguf_value_type_of<T>());
    e.put(v);
    return at;
  }
  uint64_t kv_string(std::string_view k, std::string_view v) {
    const uint64_t at = key(k, GgufValueType::STRING);
    e.put_string(v);
    return at;
  }

  CraftedTensor tensor(std::string_view name, std::initializer_list<uint64_t> ne, uint32_t type, uint64_t offset) {
    return tensor(name, static_cast<uint32_t>(ne.size()), ne, type, offset);
  }
  // n_dims may disagree with ne.size() to craft bad dimension counts.
  CraftedTensor tensor(std::string_view name, uint32_t n_dims, std::initializer_list<uint64_t> ne, uint32_t type,
                       uint64_t offset) {
    CraftedTensor t;
    t.start = pos();
    e.put_string(name);
    t.n_dims_at = pos();
    e.put<uint32_t>(n_dims);
    t.ne_at = pos();
    for (uint64_t d : ne) e.put<uint64_t>(d);
    t.type_at = pos();
    e.put<uint32_t>(type);
    t.offset_at = pos();
    e.put<uint64_t>(offset);
    return t;
  }

  void align(uint64_t alignment = kGgufDefaultAlignment) { e.pad_to(alignment); }
  void zeros(uint64_t n) { e.bytes.resize(e.bytes.size() + n, 0); }
  std::vector<uint8_t>& bytes() { return e.bytes; }
};

inline Result<GgufFile> parse_crafted(const std::vector<uint8_t>& bytes) { return GgufFile::parse(bytes, kCraftName); }

// Expects the parse to fail with a message that starts with the file name and contains every
// one of `parts` (typically the field, "at byte N" and the problem).
inline void expect_parse_error(const std::vector<uint8_t>& bytes, std::initializer_list<std::string> parts) {
  auto r = parse_crafted(bytes);
  ASSERT_FALSE(r.ok()) << "parsed, but expected an error containing '" << *parts.begin() << "'";
  const std::string& msg = r.error().message;
  EXPECT_EQ(msg.rfind(std::string(kCraftName) + ": ", 0), 0u) << msg;
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
}

inline std::string at_byte(uint64_t n) { return " at byte " + std::to_string(n) + ":"; }

}  // namespace minerva::testing
