#include "formats/gguf.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace minerva {

static_assert(std::endian::native == std::endian::little, "GGUF reader assumes a little-endian host");

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint32_t kMaxDims = kGgufMaxDims;
constexpr int kMaxArrayDepth = kGgufMaxArrayDepth;
constexpr uint64_t kMaxAlignment = kGgufMaxAlignment;
constexpr uint64_t kReserveCap = 1u << 16;  // most entries reserved before any is parsed

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::F64); }

// Smallest encoding of one element, used to reject counts the remaining bytes cannot hold.
uint64_t min_encoded_size(GgufValueType t) {
  if (t == GgufValueType::STRING) return 8;     // u64 length
  if (t == GgufValueType::ARRAY) return 4 + 8;  // type + count
  return gguf_scalar_size(t);
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8:
      return "u8";
    case GgufValueType::I8:
      return "i8";
    case GgufValueType::U16:
      return "u16";
    case GgufValueType::I16:
      return "i16";
    case GgufValueType::U32:
      return "u32";
    case GgufValueType::I32:
      return "i32";
    case GgufValueType::F32:
      return "f32";
    case GgufValueType::BOOL:
      return "bool";
    case GgufValueType::STRING:
      return "string";
    case GgufValueType::ARRAY:
      return "array";
    case GgufValueType::U64:
      return "u64";
    case GgufValueType::I64:
      return "i64";
    case GgufValueType::F64:
      return "f64";
  }
  return "unknown";
}

size_t gguf_scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8:
    case GgufValueType::I8:
    case GgufValueType::BOOL:
      return 1;
    case GgufValueType::U16:
    case GgufValueType::I16:
      return 2;
    case GgufValueType::U32:
    case GgufValueType::I32:
    case GgufValueType::F32:
      return 4;
    case GgufValueType::U64:
    case GgufValueType::I64:
    case GgufValueType::F64:
      return 8;
    case GgufValueType::STRING:
    case GgufValueType::ARRAY:
      return 0;
  }
  return 0;
}

bool gguf_is_integer_type(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8:
    case GgufValueType::I8:
    case GgufValueType::U16:
    case GgufValueType::I16:
    case GgufValueType::U32:
    case GgufValueType::I32:
    case GgufValueType::U64:
    case GgufValueType::I64:
      return true;
    default:
      return false;
  }
}

bool GgufValue::is_integer() const { return gguf_is_integer_type(type); }

double GgufValue::number_at(uint64_t idx) const {
  switch (elem_type) {
    case GgufValueType::U8:
      return scalar_at<uint8_t>(idx);
    case GgufValueType::I8:
      return scalar_at<int8_t>(idx);
    case GgufValueType::U16:
      return scalar_at<uint16_t>(idx);
    case GgufValueType::I16:
      return scalar_at<int16_t>(idx);
    case GgufValueType::U32:
      return scalar_at<uint32_t>(idx);
    case GgufValueType::I32:
      return scalar_at<int32_t>(idx);
    case GgufValueType::F32:
      return scalar_at<float>(idx);
    case GgufValueType::BOOL:
      return scalar_at<uint8_t>(idx) != 0 ? 1.0 : 0.0;
    case GgufValueType::U64:
      return static_cast<double>(scalar_at<uint64_t>(idx));
    case GgufValueType::I64:
      return static_cast<double>(scalar_at<int64_t>(idx));
    case GgufValueType::F64:
      return scalar_at<double>(idx);
    default:
      return 0.0;
  }
}

std::string TensorView::shape_string() const {
  std::string s = "[";
  for (uint32_t d = 0; d < n_dims; ++d) {
    if (d) s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

// Reads the header with bounds checks on every access. Each failure becomes an Error
// "<file>: <field> at byte <offset>: <problem>".
class GgufParser {
 public:
  GgufParser(GgufFile& out, std::span<const uint8_t> bytes) : out_(out), b_(bytes) {}

  Status run();

 private:
  Error fail(const std::string& field, uint64_t at, const std::string& problem) const {
    return make_error(out_.name_ + ": " + field + " at byte " + std::to_string(at) + ": " + problem);
  }
  uint64_t remaining() const { return b_.size() - pos_; }

  Error truncated(const std::string& field, size_t need) const {
    return fail(
        field, pos_,
        "truncated (need " + std::to_string(need) + " bytes, file has " + std::to_string(remaining()) + " left)");
  }
  // "field" or "field[index]"; built only when an error needs it (a vocab has 10^5 strings).
  static std::string element(const std::string& field, int64_t index) {
    return index < 0 ? field : field + "[" + std::to_string(index) + "]";
  }

  // Reads a T at pos_. The field's name is `field` + `suffix`, joined only on failure: building
  // names eagerly cost more than the parsing itself.
  template <typename T>
  Result<T> read(const std::string& field, const char* suffix = "") {
    if (remaining() < sizeof(T)) return truncated(field + suffix, sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A u64 length and that many bytes; `index` >= 0 names element `index` of `field`.
  Result<std::string_view> read_string(const std::string& field, int64_t index = -1) {
    const uint64_t at = pos_;
    if (remaining() < sizeof(uint64_t)) return truncated(element(field, index) + " length", sizeof(uint64_t));
    uint64_t len;
    std::memcpy(&len, b_.data() + pos_, sizeof len);
    pos_ += sizeof len;
    if (len > remaining()) {
      return fail(element(field, index), at,
                  "string length " + std::to_string(len) + " exceeds the " + std::to_string(remaining()) +
                      " bytes left in the file");
    }
    std::string_view s(reinterpret_cast<const char*>(b_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  // read_string without a Result: a vocabulary has 10^5 strings, and building and destroying a
  // Result per element was most of the parse time in debug and sanitizer builds. On false pos_
  // is unchanged, so read_string() can then say what is wrong.
  bool try_read_string(std::string_view& out) {
    uint64_t len;
    if (remaining() < sizeof len) return false;
    std::memcpy(&len, b_.data() + pos_, sizeof len);
    if (len > remaining() - sizeof len) return false;
    out = std::string_view(reinterpret_cast<const char*>(b_.data() + pos_ + sizeof len), len);
    pos_ += sizeof len + len;
    return true;
  }

  Status read_value(GgufValue& v, GgufValueType type, const std::string& field, int depth);
  Status read_kv(uint64_t index);
  Status read_tensor_info(uint64_t index);
  Status check_tensors();

  GgufFile& out_;
  std::span<const uint8_t> b_;
  uint64_t pos_ = 0;
  std::vector<uint64_t> offset_field_at_;  // per tensor: where its offset field is, for error messages
};

Status GgufParser::read_value(GgufValue& v, GgufValueType type, const std::string& field, int depth) {
  v.type = type;
  uint64_t at = pos_;
  switch (type) {
    case GgufValueType::U8: {
      MINERVA_TRY(uint8_t x, read<uint8_t>(field));
      v.u = x, v.i = x;
      break;
    }
    case GgufValueType::I8: {
      MINERVA_TRY(int8_t x, read<int8_t>(field));
      const int64_t wide = static_cast<int64_t>(x);  // NOLINT(bugprone-signed-char-misuse): a number, sign-extended
      v.i = wide, v.u = static_cast<uint64_t>(wide);
      break;
    }
    case GgufValueType::U16: {
      MINERVA_TRY(uint16_t x, read<uint16_t>(field));
      v.u = x, v.i = x;
      break;
    }
    case GgufValueType::I16: {
      MINERVA_TRY(int16_t x, read<int16_t>(field));
      v.i = x, v.u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::U32: {
      MINERVA_TRY(uint32_t x, read<uint32_t>(field));
      v.u = x, v.i = x;
      break;
    }
    case GgufValueType::I32: {
      MINERVA_TRY(int32_t x, read<int32_t>(field));
      v.i = x, v.u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::U64: {
      MINERVA_TRY(uint64_t x, read<uint64_t>(field));
      v.u = x;
      v.int_fits_i64 = x <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      v.i = static_cast<int64_t>(x);
      break;
    }
    case GgufValueType::I64: {
      MINERVA_TRY(int64_t x, read<int64_t>(field));
      v.i = x, v.u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::F32: {
      MINERVA_TRY(float x, read<float>(field));
      v.f = x;
      break;
    }
    case GgufValueType::F64: {
      MINERVA_TRY(double x, read<double>(field));
      v.f = x;
      break;
    }
    case GgufValueType::BOOL: {
      MINERVA_TRY(uint8_t x, read<uint8_t>(field));
      if (x > 1) return fail(field, at, "bool value " + std::to_string(x) + " is neither 0 nor 1");
      v.b = x != 0;
      v.u = v.i = x;
      break;
    }
    case GgufValueType::STRING: {
      MINERVA_TRY(v.str, read_string(field));
      break;
    }
    case GgufValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) {
        return fail(field, at, "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
      }
      MINERVA_TRY(uint32_t et, read<uint32_t>(field, " element type"));
      if (!known_value_type(et)) {
        return fail(field + " element type", at, "unknown value type " + std::to_string(et));
      }
      v.elem_type = static_cast<GgufValueType>(et);
      uint64_t count_at = pos_;
      MINERVA_TRY(v.count, read<uint64_t>(field, " element count"));
      uint64_t min_size = min_encoded_size(v.elem_type);
      if (v.count > remaining() / min_size) {
        return fail(field + " element count", count_at,
                    "count " + std::to_string(v.count) + " of " + std::string(gguf_value_type_name(v.elem_type)) +
                        " cannot fit in the " + std::to_string(remaining()) + " bytes left");
      }
      if (v.elem_type == GgufValueType::STRING) {
        v.strings.reserve(std::min<uint64_t>(v.count, kReserveCap));
        for (uint64_t k = 0; k < v.count; ++k) {
          if (!try_read_string(v.strings.emplace_back())) return read_string(field, static_cast<int64_t>(k)).error();
        }
      } else if (v.elem_type == GgufValueType::ARRAY) {
        v.items.reserve(std::min<uint64_t>(v.count, kReserveCap));
        for (uint64_t k = 0; k < v.count; ++k) {
          v.items.emplace_back();
          MINERVA_CHECK(
              read_value(v.items.back(), GgufValueType::ARRAY, field + "[" + std::to_string(k) + "]", depth + 1));
        }
      } else {
        v.raw = b_.data() + pos_;
        pos_ += v.count * min_size;  // fits: checked against remaining() above
        if (v.elem_type == GgufValueType::BOOL) {
          for (uint64_t k = 0; k < v.count; ++k) {
            if (v.raw[k] > 1) {
              return fail(field + "[" + std::to_string(k) + "]", (v.raw - b_.data()) + k,
                          "bool value " + std::to_string(v.raw[k]) + " is neither 0 nor 1");
            }
          }
        }
      }
      break;
    }
  }
  return Ok{};
}

Status GgufParser::read_kv(uint64_t index) {
  std::string field = "metadata entry " + std::to_string(index);
  uint64_t at = pos_;
  MINERVA_TRY(std::string_view key, read_string(field + " key"));
  if (key.empty()) return fail(field + " key", at, "empty key");
  field = "metadata '" + std::string(key) + "'";
  if (out_.kv_index_.count(key) != 0) return fail(field, at, "duplicate key");
  uint64_t type_at = pos_;
  MINERVA_TRY(uint32_t type, read<uint32_t>(field, " type"));
  if (!known_value_type(type)) return fail(field + " type", type_at, "unknown value type " + std::to_string(type));
  GgufKeyValue kv;
  kv.key = key;
  kv.offset = at;
  MINERVA_CHECK(read_value(kv.value, static_cast<GgufValueType>(type), field, 0));
  out_.kv_index_.emplace(key, out_.kv_.size());
  out_.kv_.push_back(std::move(kv));
  return Ok{};
}

Status GgufParser::read_tensor_info(uint64_t index) {
  std::string field = "tensor info " + std::to_string(index);
  uint64_t at = pos_;
  TensorView t;
  MINERVA_TRY(t.name, read_string(field + " name"));
  if (t.name.empty()) return fail(field + " name", at, "empty tensor name");
  field = "tensor '" + std::string(t.name) + "'";
  if (out_.tensor_index_.count(t.name) != 0) return fail(field, at, "duplicate tensor name");
  uint64_t dims_at = pos_;
  MINERVA_TRY(t.n_dims, read<uint32_t>(field, " n_dims"));
  if (t.n_dims == 0 || t.n_dims > kMaxDims) {
    return fail(field + " n_dims", dims_at,
                "dimension count " + std::to_string(t.n_dims) + " not in 1.." + std::to_string(kMaxDims));
  }
  // The product of the non-zero dims must fit in 63 bits, not just the element count: with a zero
  // dim the count is 0 but rows() would still multiply the others.
  constexpr uint64_t kMaxI64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t n = 1;
  uint64_t n_nonzero = 1;
  static constexpr const char* kNe[kMaxDims] = {" ne[0]", " ne[1]", " ne[2]", " ne[3]"};
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    uint64_t dim_at = pos_;
    MINERVA_TRY(uint64_t dim, read<uint64_t>(field, kNe[d]));
    if (dim > kMaxI64) return fail(field + kNe[d], dim_at, "dimension " + std::to_string(dim) + " is negative");
    if (dim != 0 && n_nonzero > kMaxI64 / dim) {
      return fail(field + kNe[d], dim_at, "element count overflows 63 bits");
    }
    if (dim != 0) n_nonzero *= dim;
    n *= dim;
    t.ne[d] = static_cast<int64_t>(dim);
  }
  t.n_elements = n;
  uint64_t type_at = pos_;
  MINERVA_TRY(uint32_t type, read<uint32_t>(field, " type"));
  auto info = tensor_type_info(type);
  if (!info) return fail(field + " type", type_at, "unknown tensor type id " + std::to_string(type));
  t.type = info->type;
  if (t.ne[0] % info->block_elems != 0) {
    return fail(field + " ne[0]", dims_at + 4,
                "row length " + std::to_string(t.ne[0]) + " is not a multiple of the " + std::string(info->name) +
                    " block size " + std::to_string(info->block_elems));
  }
  // n < 2^63 but up to 8 bytes per element: the byte size itself can overflow.
  const uint64_t blocks = n / info->block_elems;
  if (blocks > kMaxI64 / info->block_bytes) {
    return fail(field + " type", type_at,
                std::to_string(n) + " elements of " + std::string(info->name) + " overflow a 63-bit byte size");
  }
  t.nbytes = blocks * info->block_bytes;
  uint64_t off_at = pos_;
  MINERVA_TRY(t.offset, read<uint64_t>(field, " offset"));
  if (t.offset % out_.alignment_ != 0) {
    return fail(field + " offset", off_at,
                "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                    std::to_string(out_.alignment_));
  }
  out_.tensor_index_.emplace(t.name, out_.tensors_.size());
  out_.tensors_.push_back(t);
  offset_field_at_.push_back(off_at);
  return Ok{};
}

Status GgufParser::check_tensors() {
  const uint64_t data_size = b_.size() - out_.data_offset_;
  std::vector<size_t> order(out_.tensors_.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t c) { return out_.tensors_[a].offset < out_.tensors_[c].offset; });
  uint64_t prev_end = 0;
  const TensorView* prev = nullptr;
  for (size_t k : order) {
    TensorView& t = out_.tensors_[k];
    const auto field = [&t] { return "tensor '" + std::string(t.name) + "' data"; };
    if (t.offset > data_size) {
      // Reported at the offset field: data_offset + offset may not even be representable.
      return fail("tensor '" + std::string(t.name) + "' offset", offset_field_at_[k],
                  "data offset " + std::to_string(t.offset) + " is past the end of the file (data section is " +
                      std::to_string(data_size) + " bytes)");
    }
    if (t.nbytes > data_size - t.offset) {
      return fail(field(), out_.data_offset_ + t.offset,
                  std::to_string(t.nbytes) + " bytes at data offset " + std::to_string(t.offset) +
                      " run past the end of the file (data section is " + std::to_string(data_size) + " bytes)");
    }
    if (prev != nullptr && t.nbytes > 0 && t.offset < prev_end) {
      return fail(field(), out_.data_offset_ + t.offset,
                  "overlaps tensor '" + std::string(prev->name) + "' (which ends at data offset " +
                      std::to_string(prev_end) + ")");
    }
    t.data = b_.data() + out_.data_offset_ + t.offset;
    if (t.nbytes > 0) {
      prev_end = t.offset + t.nbytes;
      prev = &t;
    }
  }
  return Ok{};
}

Status GgufParser::run() {
  MINERVA_TRY(uint32_t magic, read<uint32_t>("magic"));
  if (magic != kMagic) {
    std::string shown;
    for (int k = 0; k < 4; ++k) {
      char c = static_cast<char>((magic >> (8 * k)) & 0xff);
      shown += (c >= 32 && c < 127) ? c : '?';
    }
    // Legacy llama.cpp formats, written before GGUF (magics 'ggml', 'ggmf', 'ggjt', 'ggla', 'ggsn').
    if (magic == 0x67676d6c || magic == 0x67676d66 || magic == 0x67676a74 || magic == 0x67676c61 ||
        magic == 0x6767736e) {
      return fail("magic", 0, "legacy GGML file (magic '" + shown + "'); convert it to GGUF with llama.cpp");
    }
    return fail("magic", 0, "not a GGUF file (magic '" + shown + "', expected 'GGUF')");
  }
  MINERVA_TRY(out_.version_, read<uint32_t>("version"));
  if (out_.version_ == 1) return fail("version", 4, "GGUF version 1 is not supported (re-convert the model)");
  if (out_.version_ != 2 && out_.version_ != 3) {
    uint32_t swapped = __builtin_bswap32(out_.version_);
    if (swapped == 2 || swapped == 3) return fail("version", 4, "big-endian GGUF files are not supported");
    return fail("version", 4, "unsupported GGUF version " + std::to_string(out_.version_) + " (supported: 2, 3)");
  }
  MINERVA_TRY(uint64_t n_tensors, read<uint64_t>("tensor count"));
  MINERVA_TRY(uint64_t n_kv, read<uint64_t>("metadata count"));
  // A key/value pair needs at least 8+1 (key) + 4 (type) + 1 (value) bytes; a tensor info 8+1+4+8+4+8.
  if (n_kv > remaining() / 14) {
    return fail("metadata count", 16,
                "count " + std::to_string(n_kv) + " cannot fit in a " + std::to_string(b_.size()) + "-byte file");
  }
  if (n_tensors > remaining() / 33) {
    return fail("tensor count", 8,
                "count " + std::to_string(n_tensors) + " cannot fit in a " + std::to_string(b_.size()) + "-byte file");
  }
  // Counts are only bounded by the file size; reserving that much up front would let a corrupt
  // count in a multi-GB file allocate tens of GB, so grow as entries actually parse.
  out_.kv_.reserve(std::min<uint64_t>(n_kv, kReserveCap));
  for (uint64_t k = 0; k < n_kv; ++k) MINERVA_CHECK(read_kv(k));

  if (const GgufValue* a = out_.find("general.alignment")) {
    const auto& kv = out_.kv_[out_.kv_index_.at("general.alignment")];
    if (a->type != GgufValueType::U32) {
      return fail("metadata 'general.alignment'", kv.offset,
                  "type is " + std::string(gguf_value_type_name(a->type)) + ", expected u32");
    }
    if (a->u == 0 || (a->u & (a->u - 1)) != 0 || a->u > kMaxAlignment) {
      return fail("metadata 'general.alignment'", kv.offset,
                  "alignment " + std::to_string(a->u) + " is not a power of two up to 1 MiB");
    }
    out_.alignment_ = static_cast<uint32_t>(a->u);
  }

  out_.tensors_.reserve(std::min<uint64_t>(n_tensors, kReserveCap));
  offset_field_at_.reserve(std::min<uint64_t>(n_tensors, kReserveCap));
  for (uint64_t k = 0; k < n_tensors; ++k) MINERVA_CHECK(read_tensor_info(k));

  uint64_t header_end = pos_;
  uint64_t data_offset = (header_end + out_.alignment_ - 1) / out_.alignment_ * out_.alignment_;
  if (data_offset > b_.size()) {
    if (n_tensors > 0) {
      return fail(
          "data section", header_end,
          "truncated: the file ends before the aligned start of tensor data at byte " + std::to_string(data_offset));
    }
    data_offset = b_.size();  // vocab-only files may end right after the header
  }
  out_.data_offset_ = data_offset;
  return check_tensors();
}

Result<GgufFile> GgufFile::parse(std::span<const uint8_t> bytes, const std::string& name) {
  GgufFile f;
  f.bytes_ = bytes;
  f.name_ = name;
  GgufParser parser(f, bytes);
  MINERVA_CHECK(parser.run());
  return f;
}

Result<GgufFile> GgufFile::open(const std::string& path) {
  MINERVA_TRY(MappedFile map, MappedFile::open(path));
  MINERVA_TRY(GgufFile f, parse(map.bytes(), path));
  f.map_ = std::move(map);  // views stay valid: the mapping itself does not move
  return f;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

const TensorView* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Error missing(const GgufFile& f, std::string_view key) {
  return make_error(f.path() + ": metadata key '" + std::string(key) + "' is missing");
}
Error wrong_type(const GgufFile& f, std::string_view key, const GgufValue& v, const char* expected) {
  return make_error(f.path() + ": metadata '" + std::string(key) + "' has type " +
                    std::string(gguf_value_type_name(v.type)) + ", expected " + expected);
}
}  // namespace

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key);
  if (v->type != GgufValueType::STRING) return wrong_type(*this, key, *v, "string");
  return v->str;
}

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_integer()) return wrong_type(*this, key, *v, "an integer");
  if (v->type != GgufValueType::U64 && v->i < 0) {
    return make_error(path() + ": metadata '" + std::string(key) + "' is negative (" + std::to_string(v->i) + ")");
  }
  return v->u;
}

Result<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key);
  if (v->is_float()) return v->f;
  if (v->is_integer()) return v->type == GgufValueType::U64 ? static_cast<double>(v->u) : static_cast<double>(v->i);
  return wrong_type(*this, key, *v, "a number");
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key);
  if (v->type != GgufValueType::BOOL) return wrong_type(*this, key, *v, "bool");
  return v->b;
}

Result<const GgufValue*> GgufFile::get_array(std::string_view key, GgufValueType elem) const {
  const GgufValue* v = find(key);
  if (!v) return missing(*this, key);
  if (v->type != GgufValueType::ARRAY || v->elem_type != elem) {
    return make_error(path() + ": metadata '" + std::string(key) + "' is not an array of " +
                      std::string(gguf_value_type_name(elem)));
  }
  return v;
}

}  // namespace minerva
