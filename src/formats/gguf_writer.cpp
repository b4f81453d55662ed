#include "formats/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

namespace minerva {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" as a little-endian u32
constexpr uint64_t kMaxI64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

Error writer_error(const std::string& what) { return make_error("GGUF writer: " + what); }

// Checks that a (possibly hand-built) value is self-consistent, then appends its encoding
// without the leading type tag (the caller writes that).
Status encode_value(GgufEncoder& e, const GgufMetaValue& v, const std::string& field, int depth) {
  switch (v.type) {
    case GgufValueType::STRING:
      e.put_string(v.str);
      return Ok{};
    case GgufValueType::ARRAY: {
      if (depth >= kGgufMaxArrayDepth) {
        return writer_error(field + ": arrays nested deeper than " + std::to_string(kGgufMaxArrayDepth) + " levels");
      }
      if (static_cast<uint32_t>(v.elem_type) > static_cast<uint32_t>(GgufValueType::F64)) {
        return writer_error(field + ": unknown element type " + std::to_string(static_cast<uint32_t>(v.elem_type)));
      }
      e.put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      e.put<uint64_t>(v.count);
      if (v.elem_type == GgufValueType::STRING) {
        if (v.strings.size() != v.count) return writer_error(field + ": count does not match the strings held");
        for (const auto& s : v.strings) e.put_string(s);
      } else if (v.elem_type == GgufValueType::ARRAY) {
        if (v.items.size() != v.count) return writer_error(field + ": count does not match the items held");
        for (size_t k = 0; k < v.items.size(); ++k) {
          const std::string item_field = field + "[" + std::to_string(k) + "]";
          if (v.items[k].type != GgufValueType::ARRAY) return writer_error(item_field + ": item is not an array");
          MINERVA_CHECK(encode_value(e, v.items[k], item_field, depth + 1));
        }
      } else {
        if (v.raw.size() != v.count * gguf_scalar_size(v.elem_type)) {
          return writer_error(field + ": " + std::to_string(v.raw.size()) + " bytes do not hold " +
                              std::to_string(v.count) + " " + std::string(gguf_value_type_name(v.elem_type)));
        }
        e.put_bytes(v.raw);
      }
      return Ok{};
    }
    default: {
      const size_t size = gguf_scalar_size(v.type);
      if (size == 0)
        return writer_error(field + ": unknown value type " + std::to_string(static_cast<uint32_t>(v.type)));
      if (v.raw.size() != size) {
        return writer_error(field + ": " + std::to_string(v.raw.size()) + " bytes do not hold one " +
                            std::string(gguf_value_type_name(v.type)));
      }
      e.put_bytes(v.raw);
      return Ok{};
    }
  }
}

uint64_t padded(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

GgufMetaValue gguf_string(std::string_view s) {
  GgufMetaValue m;
  m.type = GgufValueType::STRING;
  m.str = std::string(s);
  return m;
}

GgufMetaValue gguf_string_array(std::vector<std::string> values) {
  GgufMetaValue m;
  m.type = GgufValueType::ARRAY;
  m.elem_type = GgufValueType::STRING;
  m.count = values.size();
  m.strings = std::move(values);
  return m;
}

GgufMetaValue gguf_array_of_arrays(std::vector<GgufMetaValue> items) {
  GgufMetaValue m;
  m.type = GgufValueType::ARRAY;
  m.elem_type = GgufValueType::ARRAY;
  m.count = items.size();
  m.items = std::move(items);
  return m;
}

GgufMetaValue gguf_copy_value(const GgufValue& v) {
  GgufMetaValue m;
  m.type = v.type;
  switch (v.type) {
    case GgufValueType::U8:
      return gguf_scalar(static_cast<uint8_t>(v.u));
    case GgufValueType::I8:
      return gguf_scalar(static_cast<int8_t>(v.i));
    case GgufValueType::U16:
      return gguf_scalar(static_cast<uint16_t>(v.u));
    case GgufValueType::I16:
      return gguf_scalar(static_cast<int16_t>(v.i));
    case GgufValueType::U32:
      return gguf_scalar(static_cast<uint32_t>(v.u));
    case GgufValueType::I32:
      return gguf_scalar(static_cast<int32_t>(v.i));
    case GgufValueType::U64:
      return gguf_scalar(v.u);
    case GgufValueType::I64:
      return gguf_scalar(v.i);
    case GgufValueType::F32:
      return gguf_scalar(static_cast<float>(v.f));
    case GgufValueType::F64:
      return gguf_scalar(v.f);
    case GgufValueType::BOOL:
      return gguf_scalar(v.b);
    case GgufValueType::STRING:
      return gguf_string(v.str);
    case GgufValueType::ARRAY:
      m.elem_type = v.elem_type;
      m.count = v.count;
      if (v.elem_type == GgufValueType::STRING) {
        m.strings.assign(v.strings.begin(), v.strings.end());
      } else if (v.elem_type == GgufValueType::ARRAY) {
        m.items.reserve(v.items.size());
        for (const auto& item : v.items) m.items.push_back(gguf_copy_value(item));
      } else if (v.count > 0) {
        m.raw.assign(v.raw, v.raw + v.count * gguf_scalar_size(v.elem_type));
      }
      return m;
  }
  return m;
}

Status GgufWriter::set_version(uint32_t version) {
  if (version != 2 && version != 3) return writer_error("version " + std::to_string(version) + " is not 2 or 3");
  version_ = version;
  return Ok{};
}

Status GgufWriter::set_alignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kGgufMaxAlignment) {
    return writer_error("alignment " + std::to_string(alignment) + " is not a power of two up to 1 MiB");
  }
  set_u32("general.alignment", alignment);
  return Ok{};
}

void GgufWriter::set(std::string_view key, GgufMetaValue value) {
  for (auto& kv : kv_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kv_.emplace_back(std::string(key), std::move(value));
}

bool GgufWriter::remove(std::string_view key) {
  for (auto it = kv_.begin(); it != kv_.end(); ++it) {
    if (it->first == key) {
      kv_.erase(it);
      return true;
    }
  }
  return false;
}

const GgufMetaValue* GgufWriter::find(std::string_view key) const {
  for (const auto& kv : kv_) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

void GgufWriter::copy_metadata(const GgufFile& src) {
  for (const auto& kv : src.metadata()) set(kv.key, gguf_copy_value(kv.value));
}

Status GgufWriter::check_tensor(std::string_view name, TensorType type, const std::vector<int64_t>& ne,
                                uint64_t size) const {
  const std::string field = "tensor '" + std::string(name) + "'";
  if (name.empty()) return writer_error("empty tensor name");
  for (const auto& t : tensors_) {
    if (t.name == name) return writer_error(field + ": duplicate tensor name");
  }
  auto info = tensor_type_info(static_cast<uint32_t>(type));
  if (!info) return writer_error(field + ": unknown tensor type " + std::to_string(static_cast<uint32_t>(type)));
  if (ne.empty() || ne.size() > kGgufMaxDims) {
    return writer_error(field + ": " + std::to_string(ne.size()) + " dims, expected 1.." +
                        std::to_string(kGgufMaxDims));
  }
  // Same limits as the reader: the product of the non-zero dims and the byte size fit in 63 bits.
  uint64_t n = 1;
  uint64_t n_nonzero = 1;
  for (int64_t d : ne) {
    if (d < 0) return writer_error(field + ": negative dimension " + std::to_string(d));
    const auto ud = static_cast<uint64_t>(d);
    if (ud != 0 && n_nonzero > kMaxI64 / ud) return writer_error(field + ": element count overflows 63 bits");
    if (ud != 0) n_nonzero *= ud;
    n *= ud;
  }
  if (ne[0] % info->block_elems != 0) {
    return writer_error(field + ": row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                        std::string(info->name) + " block size " + std::to_string(info->block_elems));
  }
  const uint64_t blocks = n / info->block_elems;
  if (blocks > kMaxI64 / info->block_bytes) return writer_error(field + ": byte size overflows 63 bits");
  if (size != blocks * info->block_bytes) {
    return writer_error(field + ": data is " + std::to_string(size) + " bytes, expected " +
                        std::to_string(blocks * info->block_bytes) + " for " + std::string(info->name));
  }
  return Ok{};
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne,
                              std::span<const uint8_t> data) {
  MINERVA_CHECK(check_tensor(name, type, ne, data.size()));
  tensors_.push_back(Tensor{std::string(name), type, std::move(ne), std::vector<uint8_t>(data.begin(), data.end())});
  return Ok{};
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne,
                              std::vector<uint8_t>&& data) {
  MINERVA_CHECK(check_tensor(name, type, ne, data.size()));
  tensors_.push_back(Tensor{std::string(name), type, std::move(ne), std::move(data)});
  return Ok{};
}

Result<std::vector<uint8_t>> GgufWriter::encode_header(uint32_t& alignment, std::vector<uint64_t>& offsets) const {
  alignment = kGgufDefaultAlignment;
  if (const GgufMetaValue* a = find("general.alignment")) {
    if (a->type != GgufValueType::U32 || a->raw.size() != 4) return writer_error("general.alignment is not a u32");
    uint32_t v;
    std::memcpy(&v, a->raw.data(), 4);
    if (v == 0 || (v & (v - 1)) != 0 || v > kGgufMaxAlignment) {
      return writer_error("general.alignment " + std::to_string(v) + " is not a power of two up to 1 MiB");
    }
    alignment = v;
  }

  GgufEncoder e;
  e.put<uint32_t>(kMagic);
  e.put<uint32_t>(version_);
  e.put<uint64_t>(tensors_.size());
  e.put<uint64_t>(kv_.size());
  for (const auto& [key, value] : kv_) {
    if (key.empty()) return writer_error("empty metadata key");
    e.put_string(key);
    e.put<uint32_t>(static_cast<uint32_t>(value.type));
    MINERVA_CHECK(encode_value(e, value, "metadata '" + key + "'", 0));
  }
  // llama.cpp's layout: each tensor's data starts aligned and is padded to the alignment.
  offsets.clear();
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    e.put_string(t.name);
    e.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) e.put<uint64_t>(static_cast<uint64_t>(d));
    e.put<uint32_t>(static_cast<uint32_t>(t.type));
    e.put<uint64_t>(offset);
    offsets.push_back(offset);
    offset += padded(t.data.size(), alignment);
  }
  // Without tensors there is no data section to align; gguf-py writes vocab-only files that way.
  if (!tensors_.empty()) e.pad_to(alignment);
  return std::move(e.bytes);
}

Result<std::vector<uint8_t>> GgufWriter::serialize() const {
  uint32_t alignment = 0;
  std::vector<uint64_t> offsets;
  MINERVA_TRY(std::vector<uint8_t> out, encode_header(alignment, offsets));
  const uint64_t data_start = out.size();
  for (size_t k = 0; k < tensors_.size(); ++k) {
    out.resize(data_start + offsets[k], 0);
    out.insert(out.end(), tensors_[k].data.begin(), tensors_[k].data.end());
  }
  out.resize(data_start + padded(out.size() - data_start, alignment), 0);  // the last tensor is padded too
  return out;
}

Status GgufWriter::write_file(const std::string& path) const {
  uint32_t alignment = 0;
  std::vector<uint64_t> offsets;
  auto header = encode_header(alignment, offsets);
  if (!header.ok()) return header.error().with_context("writing " + path);

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return make_error("writing " + path + ": cannot create " + tmp + ": " + std::strerror(errno));
  static const uint8_t kZeros[256] = {};
  auto write_zeros = [&](uint64_t n) {
    bool ok = true;
    for (; n > 0 && ok; n -= std::min<uint64_t>(n, sizeof kZeros)) {
      ok = std::fwrite(kZeros, 1, std::min<uint64_t>(n, sizeof kZeros), f) == std::min<uint64_t>(n, sizeof kZeros);
    }
    return ok;
  };
  bool ok = std::fwrite(header->data(), 1, header->size(), f) == header->size();
  uint64_t written = 0;  // bytes of the data section so far
  for (size_t k = 0; k < tensors_.size() && ok; ++k) {
    const auto& data = tensors_[k].data;
    ok = write_zeros(offsets[k] - written) && std::fwrite(data.data(), 1, data.size(), f) == data.size();
    written = offsets[k] + data.size();
  }
  ok = ok && write_zeros(padded(written, alignment) - written);
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return make_error("writing " + path + ": write to " + tmp + " failed: " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rerr = errno;
    std::remove(tmp.c_str());
    return make_error("writing " + path + ": cannot rename " + tmp + ": " + std::strerror(rerr));
  }
  return Ok{};
}

}  // namespace minerva
