// JSON field access for tokenizer.json: every failure names the JSON path and what was found there.
#include "tokenizer/hf.h"

namespace minerva::hf {

Error field_error(const std::string& path, const std::string& problem) {
  return make_error("'" + (path.empty() ? std::string("(root)") : path) + "' " + problem);
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unexpected value";
  }
}

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

const json* find(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

Result<const json*> require(const json& obj, std::string_view key, const std::string& path) {
  if (!obj.is_object()) return field_error(path, "is " + type_name(obj) + ", expected an object");
  const json* v = find(obj, key);
  if (v == nullptr) return field_error(join_path(path, key), "is missing");
  return v;
}

Result<std::string> get_string(const json& obj, std::string_view key, const std::string& path) {
  MINERVA_TRY(const json* v, require(obj, key, path));
  if (!v->is_string()) return field_error(join_path(path, key), "is " + type_name(*v) + ", expected a string");
  return v->get<std::string>();
}

Result<std::string> get_string_or(const json& obj, std::string_view key, const std::string& path,
                                  std::string fallback) {
  const json* v = find(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return field_error(join_path(path, key), "is " + type_name(*v) + ", expected a string");
  return v->get<std::string>();
}

Result<bool> get_bool_or(const json& obj, std::string_view key, const std::string& path, bool fallback) {
  const json* v = find(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return field_error(join_path(path, key), "is " + type_name(*v) + ", expected a boolean");
  return v->get<bool>();
}

Result<int64_t> get_int_or(const json& obj, std::string_view key, const std::string& path, int64_t fallback) {
  const json* v = find(obj, key);
  if (v == nullptr) return fallback;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return field_error(join_path(path, key), "is too large");
    return static_cast<int64_t>(u);
  }
  if (!v->is_number_integer()) {
    return field_error(join_path(path, key), "is " + type_name(*v) + ", expected an integer");
  }
  return v->get<int64_t>();
}

Result<std::string> get_type(const json& obj, const std::string& path) {
  if (!obj.is_object()) return field_error(path, "is " + type_name(obj) + ", expected an object");
  return get_string(obj, "type", path);
}

}  // namespace minerva::hf
