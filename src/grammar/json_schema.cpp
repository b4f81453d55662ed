#include "grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "grammar/grammar.h"
#include "grammar/pattern.h"

namespace minerva::grammar {
namespace {

using json = nlohmann::ordered_json;

// Keywords that only annotate: they never change which documents are valid.
const std::set<std::string> kAnnotations = {"title",   "description", "examples", "default",   "$schema",
                                            "$id",     "$comment",    "readOnly", "writeOnly", "deprecated",
                                            "$anchor", "strict",      "name",     "$defs",     "definitions"};

const std::set<std::string> kSupported = {"type",
                                          "properties",
                                          "required",
                                          "additionalProperties",
                                          "enum",
                                          "const",
                                          "items",
                                          "prefixItems",
                                          "minItems",
                                          "maxItems",
                                          "anyOf",
                                          "oneOf",
                                          "allOf",
                                          "$ref",
                                          "minLength",
                                          "maxLength",
                                          "pattern",
                                          "format",
                                          "minimum",
                                          "maximum",
                                          "exclusiveMinimum",
                                          "exclusiveMaximum"};

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Error schema_error(const std::string& ptr, const std::string& what) {
  return make_error("JSON schema at '" + (ptr.empty() ? std::string("/") : ptr) + "': " + what);
}

Error unsupported(const std::string& ptr, const std::string& keyword, const std::string& why = "") {
  return make_error("unsupported JSON Schema keyword '" + keyword + "' at '" + ptr + "/" + escape_pointer(keyword) +
                    "'" + (why.empty() ? std::string() : " (" + why + ")"));
}

// Shared rules. Whitespace is bounded so a model cannot pad forever; numbers are bounded in
// length (16 integer digits, 15 fraction digits, 2 exponent digits) so every number is finite in
// double precision and generation cannot run away inside one.
const std::map<std::string, std::string> kPrimitives = {
    {"ws", R"(( " " | "\n" [ \t]{0,20} )?)"},
    {"json-char",
     R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" ( [0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} ) ))"},
    {"json-string", R"("\"" json-char* "\"")"},
    {"json-int", R"("-"? ( "0" | [1-9] [0-9]{0,15} ))"},
    {"json-frac", R"(( "." [0-9]{1,15} )?)"},
    {"json-number", R"(json-int json-frac ( [eE] [-+]? [0-9]{1,2} )?)"},
    {"json-boolean", R"("true" | "false")"},
    {"json-null", R"("null")"},
    {"json-value", R"(json-object | json-array | json-string | json-number | json-boolean | json-null)"},
    {"json-object",
     R"("{" ws ( json-string ws ":" ws json-value ws ( "," ws json-string ws ":" ws json-value ws )* )? "}")"},
    {"json-array", R"("[" ws ( json-value ws ( "," ws json-value ws )* )? "]")"},
};

const std::map<std::string, std::vector<std::string>> kPrimitiveDeps = {
    {"json-string", {"json-char"}},
    {"json-number", {"json-int", "json-frac"}},
    {"json-value", {"json-object", "json-array", "json-string", "json-number", "json-boolean", "json-null"}},
    {"json-object", {"ws", "json-string", "json-value"}},
    {"json-array", {"ws", "json-value"}},
};

// Formats: RFC 3339 full-date with real calendar days (Feb 29 only in leap years), full-time
// with a time zone, RFC 4122 UUIDs, and a conservative e-mail address shape.
const std::map<std::string, std::string> kFormats = {{"date", "fmt-date"},
                                                     {"time", "fmt-time"},
                                                     {"date-time", "fmt-date-time"},
                                                     {"uuid", "fmt-uuid"},
                                                     {"email", "fmt-email"}};

const std::map<std::string, std::string> kFormatRules = {
    {"fmt-date",
     R"(fmt-year "-" ( ( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ( "04" | "06" | "09" | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) ) | fmt-leap-year "-02-29")"},
    {"fmt-year", R"([0-9]{4})"},
    {"fmt-leap-year",
     R"([0-9] [0-9] ( [02468] [48] | [2468] "0" | [13579] [26] ) | ( [02468] [048] | [13579] [26] ) "00")"},
    {"fmt-time",
     R"(( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ))"},
    {"fmt-date-time", R"(fmt-date "T" fmt-time)"},
    {"fmt-uuid", R"([0-9a-f]{8} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{12})"},
    {"fmt-email", R"([a-zA-Z0-9_+-]{1,32} ( "." [a-zA-Z0-9_+-]{1,16} ){0,3} "@" ( fmt-label "." ){1,3} [a-zA-Z]{2,8})"},
    {"fmt-label", R"([a-zA-Z0-9] ( [a-zA-Z0-9-]{0,20} [a-zA-Z0-9] )?)"},
};

const std::map<std::string, std::vector<std::string>> kFormatDeps = {
    {"fmt-date", {"fmt-year", "fmt-leap-year"}},
    {"fmt-date-time", {"fmt-date", "fmt-time"}},
    {"fmt-email", {"fmt-label"}},
};

std::string digits_class(char lo, char hi) {
  if (lo == hi) return std::string("\"") + lo + "\"";
  return std::string("[") + lo + "-" + hi + "]";
}

// Decimal strings of equal length with a <= b, no sign: every string between them.
std::string same_length_range(const std::string& a, const std::string& b) {
  if (a == b) return "\"" + a + "\"";
  if (a.size() == 1) return digits_class(a[0], b[0]);
  const std::string ra = a.substr(1), rb = b.substr(1);
  if (a[0] == b[0]) return std::string("\"") + a[0] + "\" " + "( " + same_length_range(ra, rb) + " )";
  const std::string nines(ra.size(), '9'), zeros(ra.size(), '0');
  if (ra == zeros && rb == nines) return digits_class(a[0], b[0]) + " [0-9]{" + std::to_string(ra.size()) + "}";
  std::vector<std::string> alts;
  alts.push_back(std::string("\"") + a[0] + "\" ( " + same_length_range(ra, nines) + " )");
  if (a[0] + 1 <= b[0] - 1) {
    alts.push_back(digits_class(static_cast<char>(a[0] + 1), static_cast<char>(b[0] - 1)) + " [0-9]{" +
                   std::to_string(ra.size()) + "}");
  }
  alts.push_back(std::string("\"") + b[0] + "\" ( " + same_length_range(zeros, rb) + " )");
  std::string out;
  for (const auto& s : alts) out += (out.empty() ? "" : " | ") + s;
  return out;
}

constexpr int kMaxIntDigits = 16;

// Unsigned decimal integers (no leading zeros) in [lo, hi]; hi < 0 means unbounded (up to 16 digits).
std::string uint_range(int64_t lo, int64_t hi) {
  std::vector<std::string> alts;
  const std::string los = std::to_string(lo);
  const int max_digits = hi < 0 ? kMaxIntDigits : static_cast<int>(std::to_string(hi).size());
  for (int d = static_cast<int>(los.size()); d <= max_digits; ++d) {
    std::string a = d == static_cast<int>(los.size()) ? los : "1" + std::string(static_cast<size_t>(d - 1), '0');
    std::string b = std::string(static_cast<size_t>(d), '9');
    if (hi >= 0 && d == max_digits) b = std::to_string(hi);
    if (d == 1 && a == "0" && b != "0") {
      alts.push_back(digits_class('0', b[0]));
      continue;
    }
    alts.push_back(same_length_range(a, b));
  }
  std::string out;
  for (const auto& s : alts) out += (out.empty() ? "( " : " | ") + s;
  return out + " )";
}

}  // namespace

std::string gbnf_literal(const std::string& bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string SchemaConverter::add_rule(const std::string& name, const std::string& body) {
  std::string n = name;
  for (int i = 2; rules_.count(n) != 0 && rules_[n] != body; ++i) n = name + "-" + std::to_string(i);
  rules_[n] = body;
  return n;
}

std::string SchemaConverter::primitive(const std::string& name) {
  if (rules_.count(name) != 0) return name;
  if (auto it = kPrimitives.find(name); it != kPrimitives.end()) {
    rules_[name] = it->second;
    if (auto d = kPrimitiveDeps.find(name); d != kPrimitiveDeps.end()) {
      for (const auto& dep : d->second) primitive(dep);
    }
  } else if (auto f = kFormatRules.find(name); f != kFormatRules.end()) {
    rules_[name] = f->second;
    if (auto d = kFormatDeps.find(name); d != kFormatDeps.end()) {
      for (const auto& dep : d->second) primitive(dep);
    }
  }
  return name;
}

std::string SchemaConverter::rule_name_for(const std::string& ptr) {
  std::string n = "s";
  for (char c : ptr) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    n += ok ? c : '-';
  }
  std::string name = n;
  for (int i = 2; rules_.count(name) != 0; ++i) name = n + "-" + std::to_string(i);
  rules_[name] = "";  // reserved
  return name;
}

std::string SchemaConverter::gbnf() const {
  std::string out;
  for (const auto& [name, body] : rules_) {
    out += name;
    out += " ::= ";
    out += body;
    out += '\n';
  }
  return out;
}

Result<std::string> SchemaConverter::add(const json& schema, const std::string& pointer_prefix) {
  doc_ = &schema;
  prefix_ = pointer_prefix;
  auto r = visit(schema, pointer_prefix);
  doc_ = nullptr;
  return r;
}

Result<json> SchemaConverter::resolve_ref(const std::string& ref, const std::string& ptr) const {
  if (ref.empty() || ref[0] != '#') {
    return schema_error(ptr + "/$ref", "only local references ('#/...') are supported, got '" + ref + "'");
  }
  try {
    const std::string p = ref.substr(1);
    const json::json_pointer jp(p);
    if (!doc_->contains(jp)) return schema_error(ptr + "/$ref", "reference '" + ref + "' points to nothing");
    return doc_->at(jp);
  } catch (const json::exception&) {
    return schema_error(ptr + "/$ref", "'" + ref + "' is not a valid JSON pointer");
  }
}

Result<json> SchemaConverter::merge_all_of(const json& s, const std::string& ptr) const {
  const json& all = s["allOf"];
  if (!all.is_array() || all.empty()) return schema_error(ptr + "/allOf", "must be a non-empty array");
  json merged = s;
  merged.erase("allOf");
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string p = ptr + "/allOf/" + std::to_string(i);
    json sub = all[i];
    for (int depth = 0; sub.is_object() && sub.contains("$ref"); ++depth) {
      if (depth > 32) return schema_error(p, "$ref chain too long");
      MINERVA_TRY(sub, resolve_ref(sub["$ref"].get<std::string>(), p));
    }
    if (!sub.is_object()) return schema_error(p, "allOf members must be schema objects");
    for (auto& [key, value] : sub.items()) {
      if (kAnnotations.count(key) != 0) continue;
      if (key == "properties") {
        if (!value.is_object()) return schema_error(p + "/properties", "must be an object");
        for (auto& [k, v] : value.items()) {
          if (merged["properties"].contains(k)) {
            return unsupported(p, "allOf", "property '" + k + "' is constrained by more than one member");
          }
          merged["properties"][k] = v;
        }
      } else if (key == "required") {
        for (const auto& r : value) merged["required"].push_back(r);
      } else if (key == "type") {
        if (merged.contains("type") && merged["type"] != value) {
          return unsupported(p, "allOf", "members with different types");
        }
        merged["type"] = value;
      } else if (key == "additionalProperties") {
        if (merged.contains(key) && merged[key] != value) {
          return unsupported(p, "allOf", "members with different additionalProperties");
        }
        merged[key] = value;
      } else {
        return unsupported(p, key, "inside allOf only type, properties, required and additionalProperties merge");
      }
    }
  }
  return merged;
}

Result<std::string> SchemaConverter::visit(const json& s, const std::string& ptr) {
  if (s.is_boolean()) {
    if (s.get<bool>()) return primitive("json-value");
    return schema_error(ptr, "the schema 'false' accepts nothing");
  }
  if (!s.is_object())
    return schema_error(ptr, "a schema must be an object or a boolean, got " + std::string(s.type_name()));
  for (auto& [key, value] : s.items()) {
    if (kAnnotations.count(key) == 0 && kSupported.count(key) == 0) return unsupported(ptr, key);
  }
  if (auto it = s.find("$ref"); it != s.end()) {
    if (!it->is_string()) return schema_error(ptr + "/$ref", "must be a string");
    for (auto& [key, value] : s.items()) {
      if (key != "$ref" && kAnnotations.count(key) == 0) {
        return unsupported(ptr, key, "keywords beside $ref are not combined with it");
      }
    }
    const std::string ref = it->get<std::string>();
    const std::string key = prefix_ + ref;
    if (auto r = ref_rules_.find(key); r != ref_rules_.end()) return r->second;
    MINERVA_TRY(json target, resolve_ref(ref, ptr));
    const std::string name = rule_name_for(prefix_ + ref.substr(1));
    ref_rules_[key] = name;  // before visiting: recursive references find it
    MINERVA_TRY(std::string body, visit(target, prefix_ + ref.substr(1)));
    rules_[name] = body;
    return name;
  }
  if (s.contains("allOf")) {
    MINERVA_TRY(json merged, merge_all_of(s, ptr));
    return visit(merged, ptr);
  }
  if (auto it = s.find("const"); it != s.end()) return gbnf_literal(it->dump());
  if (auto it = s.find("enum"); it != s.end()) {
    if (!it->is_array() || it->empty()) return schema_error(ptr + "/enum", "must be a non-empty array");
    std::string out;
    for (const auto& v : *it) out += (out.empty() ? "( " : " | ") + gbnf_literal(v.dump());
    return out + " )";
  }
  for (const char* kw : {"anyOf", "oneOf"}) {
    auto it = s.find(kw);
    if (it == s.end()) continue;
    if (!it->is_array() || it->empty()) return schema_error(ptr + "/" + kw, "must be a non-empty array");
    for (auto& [key, value] : s.items()) {
      if (key != kw && kAnnotations.count(key) == 0 && key != "type") {
        return unsupported(ptr, key, std::string("keywords beside ") + kw + " are not combined with it");
      }
    }
    std::string out;
    for (size_t i = 0; i < it->size(); ++i) {
      MINERVA_TRY(std::string alt, visit((*it)[i], ptr + "/" + kw + "/" + std::to_string(i)));
      out += (out.empty() ? "( " : " | ") + alt;
    }
    const std::string name = rule_name_for(ptr);
    rules_[name] = out + " )";
    return name;
  }
  if (auto it = s.find("type"); it != s.end()) {
    if (it->is_string()) return visit_type(s, ptr, it->get<std::string>());
    if (!it->is_array() || it->empty()) return schema_error(ptr + "/type", "must be a string or a non-empty array");
    std::string out;
    for (const auto& t : *it) {
      if (!t.is_string()) return schema_error(ptr + "/type", "must contain only strings");
      MINERVA_TRY(std::string alt, visit_type(s, ptr, t.get<std::string>()));
      out += (out.empty() ? "( " : " | ") + alt;
    }
    return out + " )";
  }
  // No type: infer it from the keywords used, else any value.
  if (s.contains("properties") || s.contains("additionalProperties") || s.contains("required")) {
    return visit_type(s, ptr, "object");
  }
  if (s.contains("items") || s.contains("prefixItems") || s.contains("minItems") || s.contains("maxItems")) {
    return visit_type(s, ptr, "array");
  }
  if (s.contains("minLength") || s.contains("maxLength") || s.contains("pattern") || s.contains("format")) {
    return visit_type(s, ptr, "string");
  }
  if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
      s.contains("exclusiveMaximum")) {
    return visit_type(s, ptr, "number");
  }
  return primitive("json-value");
}

Result<std::string> SchemaConverter::visit_type(const json& s, const std::string& ptr, const std::string& type) {
  if (type == "object") return visit_object(s, ptr);
  if (type == "array") return visit_array(s, ptr);
  if (type == "string") return visit_string(s, ptr);
  if (type == "integer") return visit_number(s, ptr, true);
  if (type == "number") return visit_number(s, ptr, false);
  if (type == "boolean") return primitive("json-boolean");
  if (type == "null") return primitive("json-null");
  return schema_error(ptr + "/type", "unknown type '" + type + "'");
}

Result<std::string> SchemaConverter::visit_object(const json& s, const std::string& ptr) {
  primitive("ws");
  std::vector<std::string> names;
  std::vector<std::string> values;
  std::set<std::string> required;
  if (auto r = s.find("required"); r != s.end()) {
    if (!r->is_array()) return schema_error(ptr + "/required", "must be an array of strings");
    for (const auto& k : *r) {
      if (!k.is_string()) return schema_error(ptr + "/required", "must be an array of strings");
      required.insert(k.get<std::string>());
    }
  }
  if (auto p = s.find("properties"); p != s.end()) {
    if (!p->is_object()) return schema_error(ptr + "/properties", "must be an object");
    for (auto& [k, v] : p->items()) {
      MINERVA_TRY(std::string value, visit(v, ptr + "/properties/" + escape_pointer(k)));
      names.push_back(k);
      values.push_back(value);
    }
  }
  for (const auto& r : required) {
    if (std::find(names.begin(), names.end(), r) == names.end()) {
      // A required key without a declared schema: any value will do.
      names.push_back(r);
      values.push_back(primitive("json-value"));
    }
  }
  const std::string base = rule_name_for(ptr);
  if (names.empty()) {
    auto ap = s.find("additionalProperties");
    if (ap != s.end() && ap->is_boolean() && !ap->get<bool>()) {
      rules_[base] = R"("{" ws "}")";
      return base;
    }
    std::string value = primitive("json-value");
    if (ap != s.end() && !ap->is_boolean()) {
      MINERVA_TRY(value, visit(*ap, ptr + "/additionalProperties"));
    }
    primitive("json-string");
    const std::string kv = "json-string ws \":\" ws " + value + " ws";
    rules_[base] = "\"{\" ws ( " + kv + " ( \",\" ws " + kv + " )* )? \"}\"";
    return base;
  }
  // Properties in declaration order; optional ones may be left out. first-i: the rest starting
  // at property i with nothing written yet; rest-i: the same after at least one property.
  const size_t n = names.size();
  std::vector<std::string> kv(n);
  for (size_t i = 0; i < n; ++i) kv[i] = gbnf_literal(json(names[i]).dump()) + " ws \":\" ws " + values[i] + " ws";
  std::string next_rest = "";
  std::string next_first = "";
  for (size_t k = n; k-- > 0;) {
    const bool req = required.count(names[k]) != 0;
    const std::string rest_name = base + "-r" + std::to_string(k);
    const std::string first_name = base + "-f" + std::to_string(k);
    const std::string tail = next_rest.empty() ? "" : " " + next_rest;
    rules_[rest_name] = req ? "\",\" ws " + kv[k] + tail : "( \",\" ws " + kv[k] + " )?" + tail;
    rules_[first_name] =
        req ? kv[k] + tail : kv[k] + tail + " | " + (next_first.empty() ? std::string("\"\"") : next_first);
    next_rest = rest_name;
    next_first = first_name;
  }
  rules_[base] = "\"{\" ws " + next_first + " \"}\"";
  return base;
}

Result<std::string> SchemaConverter::visit_array(const json& s, const std::string& ptr) {
  primitive("ws");
  int64_t min_items = 0, max_items = -1;
  if (auto it = s.find("minItems"); it != s.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return schema_error(ptr + "/minItems", "must be >= 0");
    min_items = it->get<int64_t>();
  }
  if (auto it = s.find("maxItems"); it != s.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return schema_error(ptr + "/maxItems", "must be >= 0");
    max_items = it->get<int64_t>();
  }
  if (max_items >= 0 && max_items < min_items) return schema_error(ptr, "maxItems is smaller than minItems");
  if (min_items > kMaxRepetition || max_items > static_cast<int64_t>(kMaxRepetition)) {
    return schema_error(ptr, "minItems/maxItems above " + std::to_string(kMaxRepetition) + " are not supported");
  }
  std::vector<std::string> prefix;
  if (auto it = s.find("prefixItems"); it != s.end()) {
    if (!it->is_array()) return schema_error(ptr + "/prefixItems", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      MINERVA_TRY(std::string v, visit((*it)[i], ptr + "/prefixItems/" + std::to_string(i)));
      prefix.push_back(v);
    }
  }
  std::string item;  // empty: no items after the prefix
  auto items = s.find("items");
  if (items == s.end() || (items->is_boolean() && items->get<bool>())) {
    item = primitive("json-value");
  } else if (items->is_boolean()) {
    item.clear();
  } else {
    MINERVA_TRY(item, visit(*items, ptr + "/items"));
  }
  const auto np = static_cast<int64_t>(prefix.size());
  if (item.empty()) {
    max_items = max_items < 0 ? np : std::min(max_items, np);
    if (min_items > max_items) return schema_error(ptr, "minItems cannot be met with items: false");
  }
  const std::string base = rule_name_for(ptr);
  // Element k (0-based) is prefix[k] or item; elements past min_items are optional, nested so a
  // later one needs the earlier ones.
  auto elem = [&](int64_t k) { return k < np ? prefix[static_cast<size_t>(k)] : item; };
  const int64_t fixed = max_items < 0 ? std::max(min_items, np) : std::min(max_items, std::max(min_items, np));
  // Tail after `fixed` elements: up to (max_items - fixed) more items, or unbounded.
  std::string tail;
  if (max_items < 0) {
    tail = item.empty() ? "" : "( \",\" ws " + item + " ws )*";
  } else if (max_items > fixed) {
    tail = "( \",\" ws " + item + " ws ){0," + std::to_string(max_items - fixed) + "}";
  }
  // Optional elements between min_items and fixed (prefix items beyond minItems).
  std::string body;
  if (fixed == 0) {
    // Everything optional: "[" ( e0 ( "," e1 ( ... )? )? )? "]"
    if (max_items > 0) tail = "( \",\" ws " + item + " ws ){0," + std::to_string(max_items - 1) + "}";
    std::string inner = tail.empty() ? "" : " " + tail;
    if (item.empty() || max_items == 0) {
      rules_[base] = "\"[\" ws \"]\"";
      return base;
    }
    body = "\"[\" ws ( " + item + " ws" + inner + " )? \"]\"";
    rules_[base] = body;
    return base;
  }
  std::string nested = tail;  // elements fixed-1 .. min_items are optional, from the inside out
  for (int64_t k = fixed - 1; k >= std::max<int64_t>(min_items, 1); --k) {
    std::string wrapped = "( \",\" ws ";
    wrapped += elem(k);
    wrapped += " ws";
    if (!nested.empty()) {
      wrapped += ' ';
      wrapped += nested;
    }
    wrapped += " )?";
    nested = std::move(wrapped);
  }
  std::string required_part;
  const int64_t nreq = std::max<int64_t>(min_items, 1);
  for (int64_t k = 0; k < nreq; ++k) {
    if (k > 0) required_part += " \",\" ws ";
    required_part += elem(k);
    required_part += " ws";
  }
  const std::string all = required_part + (nested.empty() ? "" : " " + nested);
  rules_[base] = min_items == 0 ? "\"[\" ws ( " + all + " )? \"]\"" : "\"[\" ws " + all + " \"]\"";
  return base;
}

Result<std::string> SchemaConverter::visit_string(const json& s, const std::string& ptr) {
  primitive("json-char");
  const bool has_len = s.contains("minLength") || s.contains("maxLength");
  if (auto f = s.find("format"); f != s.end()) {
    if (!f->is_string()) return schema_error(ptr + "/format", "must be a string");
    auto it = kFormats.find(f->get<std::string>());
    if (it == kFormats.end()) {
      return make_error("unsupported JSON Schema format '" + f->get<std::string>() + "' at '" + ptr +
                        "/format' (supported: date, time, date-time, uuid, email)");
    }
    if (has_len || s.contains("pattern")) return unsupported(ptr, "format", "combined with a length or pattern");
    return "\"\\\"\" " + primitive(it->second) + " \"\\\"\"";
  }
  if (auto p = s.find("pattern"); p != s.end()) {
    if (!p->is_string()) return schema_error(ptr + "/pattern", "must be a string");
    if (has_len) return unsupported(ptr, "pattern", "combined with minLength/maxLength");
    auto expr = pattern_to_gbnf(p->get<std::string>());
    if (!expr) return schema_error(ptr + "/pattern", expr.error().message);
    const std::string name = rule_name_for(ptr);
    rules_[name] = "\"\\\"\" ( " + expr.value() + " ) \"\\\"\"";
    return name;
  }
  int64_t lo = 0, hi = -1;
  if (auto it = s.find("minLength"); it != s.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return schema_error(ptr + "/minLength", "must be >= 0");
    lo = it->get<int64_t>();
  }
  if (auto it = s.find("maxLength"); it != s.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return schema_error(ptr + "/maxLength", "must be >= 0");
    hi = it->get<int64_t>();
  }
  if (hi >= 0 && hi < lo) return schema_error(ptr, "maxLength is smaller than minLength");
  if (lo > kMaxRepetition || hi > static_cast<int64_t>(kMaxRepetition)) {
    return schema_error(ptr, "minLength/maxLength above " + std::to_string(kMaxRepetition) + " are not supported");
  }
  if (lo == 0 && hi < 0) return primitive("json-string");
  const std::string reps =
      hi < 0 ? "{" + std::to_string(lo) + ",}" : "{" + std::to_string(lo) + "," + std::to_string(hi) + "}";
  return "\"\\\"\" json-char" + reps + " \"\\\"\"";
}

Result<std::string> SchemaConverter::visit_number(const json& s, const std::string& ptr, bool integer) {
  constexpr double kLimit = 1e15;
  std::optional<int64_t> lo, hi;
  for (const char* kw : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
    auto it = s.find(kw);
    if (it == s.end()) continue;
    if (!it->is_number()) return schema_error(ptr + "/" + kw, "must be a number");
    const double v = it->get<double>();
    const std::string k = kw;
    const bool is_min = k == "minimum" || k == "exclusiveMinimum";
    const bool exclusive = k[0] == 'e';
    if (std::fabs(v) > kLimit) return unsupported(ptr, kw, "bounds beyond 1e15");
    int64_t b = 0;
    if (integer) {
      b = static_cast<int64_t>(is_min ? std::ceil(v) : std::floor(v));
      if (exclusive && static_cast<double>(b) == v) b += is_min ? 1 : -1;
    } else {
      if (exclusive) return unsupported(ptr, kw, "exclusive bounds on non-integer numbers");
      if (v != std::floor(v)) return unsupported(ptr, kw, "non-integer bounds on numbers");
      b = static_cast<int64_t>(v);
    }
    if (is_min) {
      lo = lo ? std::max(*lo, b) : b;
    } else {
      hi = hi ? std::min(*hi, b) : b;
    }
  }
  if (lo && hi && *lo > *hi) return schema_error(ptr, "no number satisfies minimum/maximum");
  if (!lo && !hi) return integer ? primitive("json-int") : primitive("json-number");
  const std::string frac = integer ? "" : " " + primitive("json-frac");
  // Non-negative side [a, b] (b < 0: unbounded): integer part in [a, b-1] with any fraction, or b exactly.
  auto side = [&](int64_t a, int64_t b) -> std::string {
    if (integer) return uint_range(a, b);
    if (b < 0) return uint_range(a, -1) + frac;
    if (a == b) return "\"" + std::to_string(b) + "\"";
    return "( " + uint_range(a, b - 1) + frac + " | \"" + std::to_string(b) + "\" )";
  };
  std::vector<std::string> alts;
  if (!hi || *hi >= 0) alts.push_back(side(lo ? std::max<int64_t>(*lo, 0) : 0, hi ? *hi : -1));
  if (!lo || *lo < 0) {
    const int64_t a = hi && *hi < 0 ? -*hi : (integer ? 1 : 0);
    alts.push_back("\"-\" " + side(a, lo ? -*lo : -1));
  }
  std::string out;
  for (const auto& a : alts) out += (out.empty() ? "( " : " | ") + a;
  const std::string name = rule_name_for(ptr);
  rules_[name] = out + " )";
  return name;
}

Result<std::string> schema_to_gbnf(const json& schema) {
  SchemaConverter c;
  MINERVA_TRY(std::string root, c.add(schema));
  c.add_rule("root", root);
  return c.gbnf();
}

std::string json_object_gbnf() {
  SchemaConverter c;
  auto r = c.add(json{{"type", "object"}});
  c.add_rule("root", r.value());
  return c.gbnf();
}

}  // namespace minerva::grammar
