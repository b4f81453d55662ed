// Test helper: hand-built GGUF v3 bytes with metadata only (no tensors), for vocab tests and hostile metadata.
// Layout: "GGUF", u32 version, u64 n_tensors, u64 n_kv, then per key: u64 len + bytes, u32 type, value;
// arrays are u32 element type + u64 count + elements.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace minerva::testing {

class GgufBytes {
 public:
  GgufBytes& str(std::string_view key, std::string_view v) {
    begin(key, 8);
    put_str(v);
    return *this;
  }
  GgufBytes& u32(std::string_view key, uint32_t v) {
    begin(key, 4);
    put(v);
    return *this;
  }
  GgufBytes& i32(std::string_view key, int32_t v) {
    begin(key, 5);
    put(v);
    return *this;
  }
  GgufBytes& f32(std::string_view key, float v) {
    begin(key, 6);
    put(v);
    return *this;
  }
  GgufBytes& boolean(std::string_view key, bool v) {
    begin(key, 7);
    put(static_cast<uint8_t>(v ? 1 : 0));
    return *this;
  }
  GgufBytes& str_array(std::string_view key, const std::vector<std::string>& v) {
    begin_array(key, 8, v.size());
    for (const auto& s : v) put_str(s);
    return *this;
  }
  GgufBytes& f32_array(std::string_view key, const std::vector<float>& v) {
    begin_array(key, 6, v.size());
    for (float x : v) put(x);
    return *this;
  }
  GgufBytes& i32_array(std::string_view key, const std::vector<int32_t>& v) {
    begin_array(key, 5, v.size());
    for (int32_t x : v) put(x);
    return *this;
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    append(out, uint32_t{3});
    append(out, uint64_t{0});
    append(out, n_kv_);
    out.insert(out.end(), body_.begin(), body_.end());
    return out;
  }

 private:
  template <typename T>
  static void append(std::vector<uint8_t>& out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
  }
  template <typename T>
  void put(T v) {
    append(body_, v);
  }
  void put_str(std::string_view s) {
    put(static_cast<uint64_t>(s.size()));
    body_.insert(body_.end(), s.begin(), s.end());
  }
  void begin(std::string_view key, uint32_t type) {
    ++n_kv_;
    put_str(key);
    put(type);
  }
  void begin_array(std::string_view key, uint32_t elem_type, size_t count) {
    begin(key, 9);
    put(elem_type);
    put(static_cast<uint64_t>(count));
  }

  std::vector<uint8_t> body_;
  uint64_t n_kv_ = 0;
};

}  // namespace minerva::testing
