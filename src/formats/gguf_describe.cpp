#include "formats/gguf_describe.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <map>

namespace minerva {
namespace {

std::string format_array_item(const GgufValue& v, uint64_t k, const GgufValueFormat& fmt) {
  switch (v.elem_type) {
    case GgufValueType::STRING:
      return quote_gguf_string(v.strings[k], fmt.max_string_bytes);
    case GgufValueType::ARRAY:
      return format_gguf_value(v.items[k], fmt);
    case GgufValueType::BOOL:
      return v.scalar_at<uint8_t>(k) != 0 ? "true" : "false";
    case GgufValueType::F32:
      return format_float(v.scalar_at<float>(k));
    case GgufValueType::F64:
      return format_double(v.scalar_at<double>(k));
    case GgufValueType::U64:
      return std::to_string(v.scalar_at<uint64_t>(k));
    case GgufValueType::I64:
      return std::to_string(v.scalar_at<int64_t>(k));
    case GgufValueType::U32:
      return std::to_string(v.scalar_at<uint32_t>(k));
    case GgufValueType::I32:
      return std::to_string(v.scalar_at<int32_t>(k));
    case GgufValueType::U16:
      return std::to_string(v.scalar_at<uint16_t>(k));
    case GgufValueType::I16:
      return std::to_string(v.scalar_at<int16_t>(k));
    case GgufValueType::U8:
      return std::to_string(v.scalar_at<uint8_t>(k));
    case GgufValueType::I8:
      return std::to_string(v.scalar_at<int8_t>(k));
  }
  return "?";
}

// Valid UTF-8 lead/continuation structure is not checked: only where a cut may fall.
bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string quote_gguf_string(std::string_view s, size_t max_bytes) {
  size_t shown = s.size();
  if (shown > max_bytes) {
    shown = max_bytes;
    while (shown > 0 && is_utf8_continuation(s[shown])) --shown;  // do not split a character
  }
  std::string out = "\"";
  for (size_t k = 0; k < shown; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (shown < s.size()) return out + "...\" (" + std::to_string(s.size()) + " bytes)";
  return out + "\"";
}

std::string format_float(float v) {
  std::array<char, 64> buf;
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

std::string format_double(double v) {
  std::array<char, 64> buf;
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

std::string format_gguf_value(const GgufValue& v, const GgufValueFormat& fmt) {
  switch (v.type) {
    case GgufValueType::U8:
    case GgufValueType::U16:
    case GgufValueType::U32:
    case GgufValueType::U64:
      return std::to_string(v.u);
    case GgufValueType::I8:
    case GgufValueType::I16:
    case GgufValueType::I32:
    case GgufValueType::I64:
      return std::to_string(v.i);
    case GgufValueType::F32:
      return format_float(static_cast<float>(v.f));
    case GgufValueType::F64:
      return format_double(v.f);
    case GgufValueType::BOOL:
      return v.b ? "true" : "false";
    case GgufValueType::STRING:
      return quote_gguf_string(v.str, fmt.max_string_bytes);
    case GgufValueType::ARRAY:
      break;
  }
  std::string out = "[" + std::to_string(v.count) + " ";
  if (v.elem_type == GgufValueType::STRING) {
    out += v.count == 1 ? "string" : "strings";
  } else if (v.elem_type == GgufValueType::ARRAY) {
    out += v.count == 1 ? "array" : "arrays";
  } else {
    out += gguf_value_type_name(v.elem_type);
  }
  if (v.count == 0) return out + "]";
  const uint64_t shown = v.count <= fmt.max_array_items ? v.count : fmt.head_items;
  out += ": ";
  for (uint64_t k = 0; k < shown; ++k) {
    if (k > 0) out += ", ";
    out += format_array_item(v, k, fmt);
  }
  if (shown < v.count) out += shown > 0 ? ", ..." : "...";
  return out + "]";
}

std::string format_byte_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[unit]);
  return buf;
}

std::string format_count(uint64_t n) {
  static constexpr const char* kSuffixes[] = {"", "K", "M", "B", "T", "Q", "Qi"};
  if (n < 1000) return std::to_string(n);
  double v = static_cast<double>(n);
  size_t s = 0;
  while (v >= 1000.0 && s + 1 < std::size(kSuffixes)) {
    v /= 1000.0;
    ++s;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10.0 ? "%.2f%s" : (v < 100.0 ? "%.1f%s" : "%.0f%s"), v, kSuffixes[s]);
  return buf;
}

std::optional<std::string_view> llama_file_type_name(uint64_t ftype) {
  // llama.h's llama_ftype; gaps are types llama.cpp has removed.
  static constexpr std::pair<uint64_t, std::string_view> kNames[] = {
      {0, "ALL_F32"}, {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},       {4, "Q4_1_SOME_F16"}, {7, "Q8_0"},
      {8, "Q5_0"},    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"},    {12, "Q3_K_M"},       {13, "Q3_K_L"},
      {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},    {18, "Q6_K"},         {19, "IQ2_XXS"},
      {20, "IQ2_XS"}, {21, "Q2_K_S"}, {22, "IQ3_XS"}, {23, "IQ3_XXS"},   {24, "IQ1_S"},        {25, "IQ4_NL"},
      {26, "IQ3_S"},  {27, "IQ3_M"},  {28, "IQ2_S"},  {29, "IQ2_M"},     {30, "IQ4_XS"},       {31, "IQ1_M"},
      {32, "BF16"},   {36, "TQ1_0"},  {37, "TQ2_0"},  {38, "MXFP4_MOE"},
  };
  for (const auto& [id, name] : kNames) {
    if (id == ftype) return name;
  }
  return std::nullopt;
}

GgufModelFacts gguf_model_facts(const GgufFile& f) {
  GgufModelFacts facts;
  if (const GgufValue* a = f.find("general.architecture"); a != nullptr && a->type == GgufValueType::STRING) {
    facts.architecture = a->str;
  }
  const std::string arch(facts.architecture);
  if (!arch.empty()) {
    facts.context_length = f.find(arch + ".context_length");
    facts.embedding_length = f.find(arch + ".embedding_length");
    facts.block_count = f.find(arch + ".block_count");
    facts.head_count = f.find(arch + ".attention.head_count");
    facts.head_count_kv = f.find(arch + ".attention.head_count_kv");
  }
  if (const GgufValue* t = f.find("tokenizer.ggml.tokens"); t != nullptr && t->type == GgufValueType::ARRAY) {
    facts.vocab_size = t->count;
  }
  facts.file_type = f.find("general.file_type");
  std::map<uint32_t, uint64_t> by_type;
  for (const auto& t : f.tensors()) {
    facts.parameter_count += t.n_elements;
    ++by_type[static_cast<uint32_t>(t.type)];
  }
  for (const auto& [type, count] : by_type) facts.tensor_types.emplace_back(static_cast<TensorType>(type), count);
  return facts;
}

std::string format_tensor_type_counts(const std::vector<std::pair<TensorType, uint64_t>>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const auto& [type, n] : counts) {
    if (!out.empty()) out += ", ";
    out += std::string(tensor_type_name(type)) + ": " + std::to_string(n);
  }
  return out;
}

}  // namespace minerva
