// Values: construction, Python truthiness, str()/repr(), ==, ordering and JSON conversion.
#include "chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace minerva::chat {

Value Value::undefined(std::string reason) {
  Value v;
  v.s = std::move(reason);
  return v;
}
Value Value::none() {
  Value v;
  v.kind = Kind::kNone;
  return v;
}
Value Value::boolean(bool x) {
  Value v;
  v.kind = Kind::kBool;
  v.b = x;
  return v;
}
Value Value::integer(int64_t x) {
  Value v;
  v.kind = Kind::kInt;
  v.i = x;
  return v;
}
Value Value::number(double x) {
  Value v;
  v.kind = Kind::kFloat;
  v.f = x;
  return v;
}
Value Value::string(std::string x) {
  Value v;
  v.kind = Kind::kString;
  v.s = std::move(x);
  return v;
}
Value Value::markup(std::string x) {
  Value v = string(std::move(x));
  v.b = true;
  return v;
}
Value Value::new_list(std::vector<Value> items, bool tuple) {
  Value v;
  v.kind = Kind::kList;
  v.list = std::make_shared<ListData>();
  v.list->items = std::move(items);
  v.list->tuple = tuple;
  for (const auto& item : v.list->items) note_child(v.list->depth, v.list->has_ns, item);
  return v;
}
Value Value::generator(std::vector<Value> items) {
  Value v = new_list(std::move(items));
  v.list->generator = true;
  return v;
}
Value Value::new_dict() {
  Value v;
  v.kind = Kind::kDict;
  v.dict = std::make_shared<DictData>();
  return v;
}
Value Value::new_namespace() {
  Value v = new_dict();
  v.kind = Kind::kNamespace;
  return v;
}
Value Value::callable(std::string name, NativeFn fn) {
  Value v;
  v.kind = Kind::kCallable;
  v.fn = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

bool Value::is_generator() const { return kind == Kind::kList && list->generator; }

double Value::as_double() const {
  switch (kind) {
    case Kind::kFloat:
      return f;
    case Kind::kInt:
      return static_cast<double>(i);
    case Kind::kBool:
      return b ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

const Value* DictData::find(const Value& key) const {
  for (const auto& [k, v] : items) {
    if (equals(k, key)) return &v;
  }
  return nullptr;
}

const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k.kind == Value::Kind::kString && k.s == key) return &v;
  }
  return nullptr;
}

void DictData::set(const Value& key, Value value) {
  note_child(depth, has_ns, value);
  for (auto& [k, v] : items) {
    if (equals(k, key)) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(key, std::move(value));
}

int nesting(const Value& v) {
  if (v.kind == Value::Kind::kList) return v.list->depth;
  if (v.kind == Value::Kind::kDict || v.kind == Value::Kind::kNamespace) return v.dict->depth;
  return 0;
}

void note_child(int& depth, bool& has_ns, const Value& child) {
  depth = std::max(depth, nesting(child) + 1);
  if (child.kind == Value::Kind::kNamespace) has_ns = true;
  if (child.kind == Value::Kind::kList) has_ns = has_ns || child.list->has_ns;
  if (child.kind == Value::Kind::kDict || child.kind == Value::Kind::kNamespace) has_ns = has_ns || child.dict->has_ns;
}

bool reaches(const Value& v, const void* target, int depth) {
  if (depth > kMaxNesting) return true;
  if (v.kind == Value::Kind::kList) {
    if (v.list.get() == target) return true;
    for (const auto& item : v.list->items) {
      if (item.kind >= Value::Kind::kList && reaches(item, target, depth + 1)) return true;
    }
  } else if (v.kind == Value::Kind::kDict || v.kind == Value::Kind::kNamespace) {
    if (v.dict.get() == target) return true;
    for (const auto& kv : v.dict->items) {
      if (kv.second.kind >= Value::Kind::kList && reaches(kv.second, target, depth + 1)) return true;
    }
  }
  return false;
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kInt:
      return v.i != 0;
    case Value::Kind::kFloat:
      return v.f != 0.0;
    case Value::Kind::kString:
      return !v.s.empty();
    case Value::Kind::kList:
      return v.list->generator || !v.list->items.empty();
    case Value::Kind::kDict:
      return !v.dict->items.empty();
    case Value::Kind::kCallable:
    case Value::Kind::kNamespace:
      return true;
  }
  return false;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]d[.ddd]e[+-]XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t epos = sci.find('e');
  int exp = std::atoi(sci.c_str() + epos + 1);
  std::string digits;
  for (size_t k = 0; k < epos; ++k) {
    if (sci[k] != '.') digits += sci[k];
  }
  std::string out = neg ? "-" : "";
  if (exp >= 16 || exp < -4) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof(e), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += e;
  } else if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp) - 1, '0') + digits;
  } else {
    size_t int_len = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_len) {
      out += digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return out;
}

namespace {

std::string repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char q = has_single && !has_double ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == q || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += q;
  return out;
}

void repr_into(const Value& v, std::string& out, int depth) {
  if (depth > kMaxNesting) {
    out += "...";
    return;
  }
  switch (v.kind) {
    case Value::Kind::kString:
      out += repr_string(v.s);
      return;
    case Value::Kind::kList: {
      if (v.list->generator) {
        out += "<generator object>";
        return;
      }
      const auto& items = v.list->items;
      out += v.list->tuple ? '(' : '[';
      for (size_t k = 0; k < items.size(); ++k) {
        if (k > 0) out += ", ";
        repr_into(items[k], out, depth + 1);
      }
      if (v.list->tuple && items.size() == 1) out += ',';
      out += v.list->tuple ? ')' : ']';
      return;
    }
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      if (v.kind == Value::Kind::kNamespace) out += "<Namespace ";
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.dict->items) {
        if (!first) out += ", ";
        first = false;
        repr_into(k, out, depth + 1);
        out += ": ";
        repr_into(val, out, depth + 1);
      }
      out += '}';
      if (v.kind == Value::Kind::kNamespace) out += '>';
      return;
    }
    case Value::Kind::kUndefined:
      out += "Undefined";
      return;
    default:
      out += to_str(v);
  }
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.b ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(v.i);
    case Value::Kind::kFloat:
      return format_float(v.f);
    case Value::Kind::kString:
      return v.s;
    case Value::Kind::kCallable:
      return "<function " + v.fn->name + ">";
    default:
      return repr(v);
  }
}

std::string repr(const Value& v) {
  std::string out;
  repr_into(v, out, 0);
  return out;
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kNone:
      return "NoneType";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kList:
      return v.list->generator ? "generator" : (v.list->tuple ? "tuple" : "list");
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kCallable:
      return "function";
    case Value::Kind::kNamespace:
      return "Namespace";
  }
  return "object";
}

bool equals(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) return false;
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.s == b.s;
    case Value::Kind::kList: {
      if (a.list == b.list) return true;
      if (a.list->generator || b.list->generator) return false;
      if (a.list->tuple != b.list->tuple || a.list->items.size() != b.list->items.size()) return false;
      for (size_t k = 0; k < a.list->items.size(); ++k) {
        if (!equals(a.list->items[k], b.list->items[k], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.dict == b.dict) return true;
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& [k, v] : a.dict->items) {
        const Value* other = b.dict->find(k);
        if (other == nullptr || !equals(v, *other, depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kNamespace:
      return a.dict == b.dict;
    case Value::Kind::kCallable:
      return a.fn == b.fn;
    default:
      return false;
  }
}

Result<int> compare(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) return make_error("RecursionError: values nested too deeply to compare");
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
    }
    double x = a.as_double();
    double y = b.as_double();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) return a.s < b.s ? -1 : (a.s > b.s ? 1 : 0);
  if (a.is_list() && b.is_list() && !a.list->generator && !b.list->generator && a.list->tuple == b.list->tuple) {
    const auto& x = a.list->items;
    const auto& y = b.list->items;
    for (size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (equals(x[k], y[k], depth + 1)) continue;
      return compare(x[k], y[k], depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return make_error("TypeError: '<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) +
                    "'");
}

Result<Value> from_json(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxNesting) return make_error("input nested too deeply");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::integer(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value::number(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value::string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      Value out = Value::new_list();
      for (const auto& e : j) {
        MINERVA_TRY(Value v, from_json(e, depth + 1));
        note_child(out.list->depth, out.list->has_ns, v);
        out.list->items.push_back(std::move(v));
      }
      return out;
    }
    case nlohmann::ordered_json::value_t::object: {
      Value out = Value::new_dict();
      for (const auto& [k, e] : j.items()) {
        MINERVA_TRY(Value v, from_json(e, depth + 1));
        note_child(out.dict->depth, out.dict->has_ns, v);
        out.dict->items.emplace_back(Value::string(k), std::move(v));
      }
      return out;
    }
    default:
      return make_error("unsupported JSON value in template context");
  }
}

namespace {

void json_string(const std::string& s, std::string& out, bool ensure_ascii) {
  out += '"';
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    auto u = static_cast<unsigned char>(c);
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", u);
          out += buf;
        } else if (u >= 0x80 && ensure_ascii) {
          // Decode one UTF-8 sequence and write \uXXXX (surrogate pairs above the BMP).
          uint32_t cp = 0;
          int extra = u >= 0xf0 ? 3 : (u >= 0xe0 ? 2 : (u >= 0xc0 ? 1 : 0));
          cp = u & (0x3f >> extra);
          for (int n = 0; n < extra && k + 1 < s.size(); ++n) cp = (cp << 6) | (s[++k] & 0x3f);
          char buf[16];
          if (cp >= 0x10000) {
            cp -= 0x10000;
            std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
          } else {
            std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
          }
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

Status json_into(const Value& v, const JsonOptions& o, std::string& out, int depth) {
  if (depth > kMaxNesting) return make_error("ValueError: value nested too deeply for tojson");
  auto newline = [&](int d) {
    if (o.indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(o.indent) * static_cast<size_t>(d), ' ');
  };
  const std::string item_sep = o.indent >= 0 && o.item_sep == ", " ? "," : o.item_sep;
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return make_error("TypeError: Object of type Undefined is not JSON serializable");
    case Value::Kind::kNone:
      out += "null";
      return Ok{};
    case Value::Kind::kBool:
      out += v.b ? "true" : "false";
      return Ok{};
    case Value::Kind::kInt:
      out += std::to_string(v.i);
      return Ok{};
    case Value::Kind::kFloat:
      if (std::isnan(v.f)) {
        out += "NaN";
      } else if (std::isinf(v.f)) {
        out += v.f < 0 ? "-Infinity" : "Infinity";
      } else {
        out += format_float(v.f);
      }
      return Ok{};
    case Value::Kind::kString:
      json_string(v.s, out, o.ensure_ascii);
      return Ok{};
    case Value::Kind::kList: {
      if (v.list->generator) return make_error("TypeError: Object of type generator is not JSON serializable");
      if (v.list->items.empty()) {
        out += "[]";
        return Ok{};
      }
      out += '[';
      bool first = true;
      for (const auto& e : v.list->items) {
        if (!first) out += item_sep;
        first = false;
        newline(depth + 1);
        MINERVA_CHECK(json_into(e, o, out, depth + 1));
      }
      newline(depth);
      out += ']';
      return Ok{};
    }
    case Value::Kind::kDict: {
      if (v.dict->items.empty()) {
        out += "{}";
        return Ok{};
      }
      std::vector<const std::pair<Value, Value>*> items;
      for (const auto& kv : v.dict->items) items.push_back(&kv);
      if (o.sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](const auto* a, const auto* b) {
          auto c = compare(a->first, b->first);
          return c.ok() && *c < 0;
        });
      }
      out += '{';
      bool first = true;
      for (const auto* kv : items) {
        if (!first) out += item_sep;
        first = false;
        newline(depth + 1);
        const Value& k = kv->first;
        if (k.is_string()) {
          json_string(k.s, out, o.ensure_ascii);
        } else if (k.kind == Value::Kind::kNone) {
          out += "\"null\"";
        } else if (k.kind == Value::Kind::kBool) {
          out += k.b ? "\"true\"" : "\"false\"";
        } else if (k.is_number()) {
          out += '"' + to_str(k) + '"';
        } else {
          return make_error("TypeError: keys must be str, int, float, bool or None, not " + type_name(k));
        }
        out += o.key_sep;
        MINERVA_CHECK(json_into(kv->second, o, out, depth + 1));
      }
      newline(depth);
      out += '}';
      return Ok{};
    }
    default:
      return make_error("TypeError: Object of type " + type_name(v) + " is not JSON serializable");
  }
}

}  // namespace

Result<std::string> to_json(const Value& v, const JsonOptions& opts) {
  std::string out;
  MINERVA_CHECK(json_into(v, opts, out, 0));
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  size_t k = 0;
  while (k < s.size()) {
    auto u = static_cast<unsigned char>(s[k]);
    size_t n = u >= 0xf0 ? 4 : (u >= 0xe0 ? 3 : (u >= 0xc0 ? 2 : 1));
    n = std::min(n, s.size() - k);
    out.push_back(s.substr(k, n));
    k += n;
  }
  return out;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace minerva::chat
