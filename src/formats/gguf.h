// formats: model file readers. GGUF (v2, v3) is memory-mapped; tensors are zero-copy views.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/tensor_type.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace minerva {

// Limits the reader enforces (and the writer respects, so it never writes what the reader refuses).
constexpr uint32_t kGgufDefaultAlignment = 32;    // when general.alignment is absent
constexpr uint32_t kGgufMaxAlignment = 1u << 20;  // larger is hostile, not a real layout
constexpr int kGgufMaxArrayDepth = 8;             // nesting levels of ARRAY values, top level included
constexpr uint32_t kGgufMaxDims = 4;              // GGML_MAX_DIMS

enum class GgufValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

std::string_view gguf_value_type_name(GgufValueType t);
// U8..I64: the integer value types (not BOOL).
bool gguf_is_integer_type(GgufValueType t);
// Bytes of one scalar of type t; 0 for STRING and ARRAY.
size_t gguf_scalar_size(GgufValueType t);

// One metadata value. Strings are views into the mapped file. Arrays of scalars keep a
// pointer to their little-endian bytes in the file (read with scalar_at); arrays of
// strings hold views; nested arrays hold child values.
struct GgufValue {
  GgufValueType type = GgufValueType::U8;
  // Scalars: integers widened to i64/u64 (both filled when representable), floats to f64.
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0.0;
  bool b = false;
  bool int_fits_i64 = true;  // false for a U64 above INT64_MAX
  std::string_view str;
  // Arrays.
  GgufValueType elem_type = GgufValueType::U8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;           // scalar arrays: count * elem size bytes
  std::vector<std::string_view> strings;  // STRING arrays
  std::vector<GgufValue> items;           // ARRAY arrays

  bool is_integer() const;
  bool is_float() const { return type == GgufValueType::F32 || type == GgufValueType::F64; }
  // Element i of a scalar array converted to double (integers, floats, bools).
  double number_at(uint64_t idx) const;
  // Element i of a scalar array of exactly type T (caller checks elem_type).
  template <typename T>
  T scalar_at(uint64_t idx) const {
    T v;
    std::memcpy(&v, raw + idx * sizeof(T), sizeof(T));
    return v;
  }
};

struct GgufKeyValue {
  std::string_view key;
  GgufValue value;
  uint64_t offset = 0;  // byte offset of the key in the file
};

// A tensor described by the header; `data` points into the mapped file.
struct TensorView {
  std::string_view name;
  TensorType type = TensorType::F32;
  uint32_t n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ggml order: ne[0] is the contiguous (row) dim
  uint64_t offset = 0;                    // relative to the data section
  uint64_t nbytes = 0;
  uint64_t n_elements = 0;
  const uint8_t* data = nullptr;

  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  uint64_t row_bytes() const { return nbytes / static_cast<uint64_t>(rows() == 0 ? 1 : rows()); }
  std::string shape_string() const;  // "[64, 512]"
};

// A parsed, fully validated GGUF file. Immutable after open(); safe to share across threads.
class GgufFile {
 public:
  // Maps and validates `path`. Every error names the file, the field and the byte offset.
  static Result<GgufFile> open(const std::string& path);
  // Parses bytes owned by the caller (kept alive for the GgufFile's lifetime); `name`
  // stands in for the path in error messages. Used by tests and fuzzers.
  static Result<GgufFile> parse(std::span<const uint8_t> bytes, const std::string& name);

  const std::string& path() const { return name_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  // The file's mapping (empty when constructed by parse()).
  const MappedFile& mapping() const { return map_; }

  const std::vector<GgufKeyValue>& metadata() const { return kv_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }

  const GgufValue* find(std::string_view key) const;
  const TensorView* find_tensor(std::string_view name) const;

  // Typed getters. A missing key or a value of the wrong type is an error naming the key.
  Result<std::string_view> get_string(std::string_view key) const;
  Result<uint64_t> get_uint(std::string_view key) const;  // any non-negative integer
  Result<double> get_float(std::string_view key) const;   // f32, f64 or an integer
  Result<bool> get_bool(std::string_view key) const;
  Result<const GgufValue*> get_array(std::string_view key, GgufValueType elem) const;

 private:
  MappedFile map_;  // empty when constructed by parse()
  std::span<const uint8_t> bytes_;
  std::string name_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kv_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;

  friend class GgufParser;
};

}  // namespace minerva
