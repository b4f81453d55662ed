// formats: a GGUF writer. Builds a file in llama.cpp's layout (header, metadata, tensor infos,
// zero padding to the alignment, then each tensor's data padded to the alignment; a file without
// tensors ends right after its metadata, as gguf-py writes vocab-only files), so that re-writing
// a file llama.cpp or gguf-py wrote gives the same bytes. Used by tests and by tools that write
// models (a quantizer). Non-goal: streaming tensors that do not fit in memory.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "formats/gguf.h"
#include "formats/tensor_type.h"
#include "util/error.h"

namespace minerva {

static_assert(std::endian::native == std::endian::little, "GGUF writer assumes a little-endian host");

// The GGUF value type of a C++ scalar: uint8_t -> U8, ..., float -> F32, double -> F64, bool -> BOOL.
template <typename T>
constexpr GgufValueType gguf_value_type_of() {
  using std::is_same_v;
  constexpr GgufValueType t = is_same_v<T, bool>       ? GgufValueType::BOOL
                              : is_same_v<T, uint8_t>  ? GgufValueType::U8
                              : is_same_v<T, int8_t>   ? GgufValueType::I8
                              : is_same_v<T, uint16_t> ? GgufValueType::U16
                              : is_same_v<T, int16_t>  ? GgufValueType::I16
                              : is_same_v<T, uint32_t> ? GgufValueType::U32
                              : is_same_v<T, int32_t>  ? GgufValueType::I32
                              : is_same_v<T, uint64_t> ? GgufValueType::U64
                              : is_same_v<T, int64_t>  ? GgufValueType::I64
                              : is_same_v<T, float>    ? GgufValueType::F32
                              : is_same_v<T, double>   ? GgufValueType::F64
                                                       : GgufValueType::ARRAY;  // i.e. none
  static_assert(t != GgufValueType::ARRAY, "no GGUF value type for this C++ type");
  return t;
}

// Appends GGUF's little-endian primitives to a byte buffer. The writer is built on it; tests use
// it directly to craft malformed headers that the writer refuses to produce.
struct GgufEncoder {
  std::vector<uint8_t> bytes;

  uint64_t size() const { return bytes.size(); }
  template <typename T>
  void put(T v) {
    static_assert(std::is_arithmetic_v<T>);
    if constexpr (std::is_same_v<T, bool>) {
      bytes.push_back(v ? 1 : 0);
    } else {
      uint8_t b[sizeof(T)];
      std::memcpy(b, &v, sizeof(T));
      bytes.insert(bytes.end(), b, b + sizeof(T));
    }
  }
  void put_bytes(std::span<const uint8_t> b) { bytes.insert(bytes.end(), b.begin(), b.end()); }
  void put_string(std::string_view s) {  // u64 length, then the bytes (no terminator)
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void pad_to(uint64_t alignment) { bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, 0); }
};

// An owned metadata value: the writer's counterpart of GgufValue. Build one with the gguf_*
// functions below rather than by hand; the writer checks a hand-built one before writing it.
struct GgufMetaValue {
  GgufValueType type = GgufValueType::U8;
  std::vector<uint8_t> raw;                     // scalars and scalar arrays: little-endian bytes
  std::string str;                              // STRING
  GgufValueType elem_type = GgufValueType::U8;  // ARRAY
  uint64_t count = 0;                           // ARRAY: number of elements
  std::vector<std::string> strings;             // ARRAY of STRING
  std::vector<GgufMetaValue> items;             // ARRAY of ARRAY: each item is itself an ARRAY

  bool operator==(const GgufMetaValue&) const = default;
};

template <typename T>
GgufMetaValue gguf_scalar(T v) {
  GgufEncoder e;
  e.put(v);
  GgufMetaValue m;
  m.type = gguf_value_type_of<T>();
  m.raw = std::move(e.bytes);
  return m;
}
GgufMetaValue gguf_string(std::string_view s);
template <typename T>
GgufMetaValue gguf_array(std::span<const T> values) {
  GgufEncoder e;
  for (const T& v : values) e.put(v);
  GgufMetaValue m;
  m.type = GgufValueType::ARRAY;
  m.elem_type = gguf_value_type_of<T>();
  m.count = values.size();
  m.raw = std::move(e.bytes);
  return m;
}
GgufMetaValue gguf_string_array(std::vector<std::string> values);
// An array whose elements are arrays (each made with gguf_array, gguf_string_array or this).
GgufMetaValue gguf_array_of_arrays(std::vector<GgufMetaValue> items);
// A deep copy of a value read from a file.
GgufMetaValue gguf_copy_value(const GgufValue& v);

// Builds a GGUF file. Not thread-safe; cheap until serialize()/write_file().
class GgufWriter {
 public:
  // 3 by default. Version 2 has the same layout; only the number differs.
  Status set_version(uint32_t version);
  uint32_t version() const { return version_; }
  // A power of two up to kGgufMaxAlignment, stored as the u32 key general.alignment (which is
  // where serialize() reads it from, so copied metadata carries its alignment along).
  Status set_alignment(uint32_t alignment);

  // Sets `key`, replacing an earlier value in place so that a copied file keeps its key order.
  void set(std::string_view key, GgufMetaValue value);
  void set_u8(std::string_view key, uint8_t v) { set(key, gguf_scalar(v)); }
  void set_i8(std::string_view key, int8_t v) { set(key, gguf_scalar(v)); }
  void set_u16(std::string_view key, uint16_t v) { set(key, gguf_scalar(v)); }
  void set_i16(std::string_view key, int16_t v) { set(key, gguf_scalar(v)); }
  void set_u32(std::string_view key, uint32_t v) { set(key, gguf_scalar(v)); }
  void set_i32(std::string_view key, int32_t v) { set(key, gguf_scalar(v)); }
  void set_u64(std::string_view key, uint64_t v) { set(key, gguf_scalar(v)); }
  void set_i64(std::string_view key, int64_t v) { set(key, gguf_scalar(v)); }
  void set_f32(std::string_view key, float v) { set(key, gguf_scalar(v)); }
  void set_f64(std::string_view key, double v) { set(key, gguf_scalar(v)); }
  void set_bool(std::string_view key, bool v) { set(key, gguf_scalar(v)); }
  void set_string(std::string_view key, std::string_view v) { set(key, gguf_string(v)); }
  template <typename T>
  void set_array(std::string_view key, std::span<const T> values) {
    set(key, gguf_array(values));
  }
  void set_string_array(std::string_view key, std::vector<std::string> values) {
    set(key, gguf_string_array(std::move(values)));
  }
  bool remove(std::string_view key);  // false when absent
  const GgufMetaValue* find(std::string_view key) const;
  // Copies every metadata entry of `src` (general.alignment included), in its order.
  void copy_metadata(const GgufFile& src);

  // Adds a tensor; `ne` is in ggml order (ne[0] is the row length), 1..4 dims. The data must be
  // exactly the tensor's size for its type and shape. Tensors are written in the order added.
  Status add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne, std::span<const uint8_t> data);
  Status add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne, std::vector<uint8_t>&& data);

  // The whole file. Errors: an inconsistent hand-built value, an empty key, a bad general.alignment.
  Result<std::vector<uint8_t>> serialize() const;
  // Writes the file through `<path>.tmp` and a rename, so a failed write leaves no partial file.
  Status write_file(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  Status check_tensor(std::string_view name, TensorType type, const std::vector<int64_t>& ne, uint64_t size) const;
  // Header and tensor infos, padded to the alignment; tensor i's data then starts at offsets[i].
  Result<std::vector<uint8_t>> encode_header(uint32_t& alignment, std::vector<uint64_t>& offsets) const;

  uint32_t version_ = 3;
  std::vector<std::pair<std::string, GgufMetaValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace minerva
