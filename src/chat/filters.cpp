// Jinja filters: `x | trim`, `x | tojson(indent=2)`, `xs | selectattr('a', 'equalto', 1)`, ...
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "chat/interp.h"

namespace minerva::chat {
namespace {

using FilterFn = Result<Value> (*)(Interp&, const Value&, CallArgs&);

bool flag(const CallArgs& args, size_t index, const char* name, bool def = false) {
  const Value* v = arg(args, index, name);
  return v == nullptr ? def : truthy(*v);
}

Status require_defined(const Value& v) {
  if (v.is_undefined()) return undefined_error(v);
  return Ok{};
}

// Jinja2's generator filters fail only when iterated: a non-iterable input gives a broken generator.
Value lazy_failure(const Error& e) {
  Value g = Value::generator({});
  g.list->lazy_error = e.message;
  return g;
}

// Jinja's attribute lookup for filters: "a.b.0" walks dicts and lists.
Value get_path(const Value& v, const Value& attr) {
  if (attr.is_integral()) {
    if (v.is_list()) {
      auto k = attr.as_int();
      auto n = static_cast<int64_t>(v.list->items.size());
      if (k < 0) k += n;
      if (k >= 0 && k < n) return v.list->items[static_cast<size_t>(k)];
    }
    return Value::undefined("no element " + to_str(attr));
  }
  Value cur = v;
  std::string path = to_str(attr);
  size_t b = 0;
  while (true) {
    size_t e = path.find('.', b);
    std::string part = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (cur.is_mapping()) {
      const Value* found = cur.dict->find(std::string_view(part));
      cur = found != nullptr ? *found : Value::undefined("'dict object' has no attribute '" + part + "'");
    } else if (cur.is_list() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t k = std::stoul(part);
      cur = k < cur.list->items.size() ? cur.list->items[k] : Value::undefined("no element " + part);
    } else {
      return Value::undefined("'" + type_name(cur) + " object' has no attribute '" + part + "'");
    }
    if (e == std::string::npos) return cur;
    b = e + 1;
  }
}

Result<Value> f_tojson(Interp&, const Value& v, CallArgs& args) {
  JsonOptions o;
  if (const Value* indent = arg(args, 0, "indent"); indent != nullptr && !indent->is_none()) {
    if (!indent->is_integral()) return make_error("TypeError: tojson indent must be an integer");
    o.indent = static_cast<int>(std::clamp<int64_t>(indent->as_int(), 0, 64));
  }
  if (const Value* ea = arg(args, SIZE_MAX, "ensure_ascii")) o.ensure_ascii = truthy(*ea);
  if (const Value* sk = arg(args, SIZE_MAX, "sort_keys")) o.sort_keys = truthy(*sk);
  if (const Value* sep = arg(args, SIZE_MAX, "separators"); sep != nullptr && sep->is_list()) {
    if (sep->list->items.size() == 2 && sep->list->items[0].is_string() && sep->list->items[1].is_string()) {
      o.item_sep = sep->list->items[0].s;
      o.key_sep = sep->list->items[1].s;
    }
  }
  MINERVA_TRY(std::string s, to_json(v, o));
  return Value::string(std::move(s));
}

Result<Value> f_trim(Interp&, const Value& v, CallArgs& args) {
  std::string s = to_str(v);
  const Value* chars = arg(args, 0, "chars");
  auto drop = [&](char c) {
    if (chars == nullptr || chars->is_none())
      return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
    return chars->is_string() && chars->s.find(c) != std::string::npos;
  };
  size_t b = 0;
  size_t e = s.size();
  while (b < e && drop(s[b])) ++b;
  while (e > b && drop(s[e - 1])) --e;
  return Value::string(s.substr(b, e - b));
}

Result<Value> f_length(Interp&, const Value& v, CallArgs&) {
  if (v.kind == Value::Kind::kNamespace) return Value::integer(static_cast<int64_t>(v.dict->items.size()));
  MINERVA_TRY(size_t n, length(v));
  return Value::integer(static_cast<int64_t>(n));
}

Result<Value> f_string(Interp&, const Value& v, CallArgs&) { return Value::string(to_str(v)); }

Result<Value> f_int(Interp&, const Value& v, CallArgs& args) {
  MINERVA_CHECK(require_defined(v));
  const Value* def = arg(args, 0, "default");
  Value fallback = def != nullptr ? *def : Value::integer(0);
  if (v.is_integral()) return Value::integer(v.as_int());
  if (v.kind == Value::Kind::kFloat) {
    if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return fallback;
    return Value::integer(static_cast<int64_t>(v.f));
  }
  if (v.is_string()) {
    std::string s = v.s;
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    const Value* base_v = arg(args, 1, "base");
    int base = base_v != nullptr && base_v->is_integral() ? static_cast<int>(base_v->as_int()) : 10;
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(s.c_str(), &end, base);
    while (end != nullptr && *end != '\0' && std::isspace(static_cast<unsigned char>(*end)) != 0) ++end;
    if (errno == 0 && end != s.c_str() && end != nullptr && *end == '\0') return Value::integer(x);
    char* fend = nullptr;
    double d = std::strtod(s.c_str(), &fend);
    while (fend != nullptr && *fend != '\0' && std::isspace(static_cast<unsigned char>(*fend)) != 0) ++fend;
    if (fend != s.c_str() && fend != nullptr && *fend == '\0' && std::isfinite(d) && std::fabs(d) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(d));
    }
  }
  return fallback;
}

Result<Value> f_float(Interp&, const Value& v, CallArgs& args) {
  MINERVA_CHECK(require_defined(v));
  const Value* def = arg(args, 0, "default");
  Value fallback = def != nullptr ? *def : Value::number(0.0);
  if (v.is_number()) return Value::number(v.as_double());
  if (v.is_string()) {
    char* end = nullptr;
    double d = std::strtod(v.s.c_str(), &end);
    while (end != nullptr && *end != '\0' && std::isspace(static_cast<unsigned char>(*end)) != 0) ++end;
    if (end != v.s.c_str() && end != nullptr && *end == '\0') return Value::number(d);
  }
  return fallback;
}

Result<Value> f_list(Interp&, const Value& v, CallArgs&) {
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  return Value::new_list(std::move(items));
}

Result<Value> f_join(Interp&, const Value& v, CallArgs& args) {
  const Value* sep = arg(args, 0, "d");
  const Value* attr = arg(args, 1, "attribute");
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  std::string out;
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0 && sep != nullptr) out += to_str(*sep);
    out += to_str(attr != nullptr ? get_path(items[k], *attr) : items[k]);
  }
  return Value::string(std::move(out));
}

Result<Value> f_default(Interp&, const Value& v, CallArgs& args) {
  const Value* def = arg(args, 0, "default_value");
  bool boolean = flag(args, 1, "boolean");
  if (v.is_undefined() || (boolean && !truthy(v))) return def != nullptr ? *def : Value::string("");
  return v;
}

Result<Value> f_first(Interp&, const Value& v, CallArgs&) {
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> f_last(Interp&, const Value& v, CallArgs&) {
  if (v.is_generator()) return make_error("TypeError: 'generator' object is not reversible");
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> f_map(Interp& in, const Value& v, CallArgs& args) {
  if (!truthy(v)) return Value::generator({});  // Jinja: `if value:` before iterating
  auto items_r = iterate(v);
  if (!items_r.ok()) return lazy_failure(items_r.error());
  std::vector<Value> items = std::move(items_r).value();
  std::vector<Value> out;
  if (const Value* attr = arg(args, SIZE_MAX, "attribute")) {
    const Value* def = arg(args, SIZE_MAX, "default");
    for (const auto& item : items) {
      Value got = get_path(item, *attr);
      out.push_back(got.is_undefined() && def != nullptr ? *def : got);
    }
    return Value::generator(std::move(out));
  }
  if (args.pos.empty() || !args.pos[0].is_string()) return make_error("TypeError: map() needs a filter name");
  std::string name = args.pos[0].s;
  CallArgs rest;
  rest.pos.assign(args.pos.begin() + 1, args.pos.end());
  rest.kw = args.kw;
  for (const auto& item : items) {
    CallArgs a = rest;
    MINERVA_TRY(Value r, apply_filter(in, name, item, a));
    out.push_back(std::move(r));
  }
  return Value::generator(std::move(out));
}

Result<Value> select_impl(Interp& in, const Value& v, CallArgs& args, bool by_attr, bool keep) {
  if (!truthy(v)) return Value::generator({});  // Jinja: `if value:` before iterating
  auto items_r = iterate(v);
  if (!items_r.ok()) return lazy_failure(items_r.error());
  std::vector<Value> items = std::move(items_r).value();
  size_t first = by_attr ? 1 : 0;
  if (by_attr && args.pos.empty()) return make_error("TypeError: selectattr() needs an attribute");
  std::string test = args.pos.size() > first && args.pos[first].is_string() ? args.pos[first].s : "";
  CallArgs rest;
  if (args.pos.size() > first + 1) rest.pos.assign(args.pos.begin() + static_cast<long>(first) + 1, args.pos.end());
  std::vector<Value> out;
  for (const auto& item : items) {
    Value subject = by_attr ? get_path(item, args.pos[0]) : item;
    bool ok = false;
    if (test.empty()) {
      ok = truthy(subject);
    } else {
      CallArgs a = rest;
      MINERVA_TRY(ok, apply_test(in, test, subject, a));
    }
    if (ok == keep) out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Result<Value> f_select(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, true); }
Result<Value> f_reject(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, false); }
Result<Value> f_selectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, true); }
Result<Value> f_rejectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, false); }

Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.s));
  return v;
}

Result<Value> f_unique(Interp&, const Value& v, CallArgs& args) {
  bool cs = flag(args, 0, "case_sensitive");
  const Value* attr = arg(args, 1, "attribute");
  auto items_r = iterate(v);
  if (!items_r.ok()) return lazy_failure(items_r.error());
  std::vector<Value> items = std::move(items_r).value();
  std::vector<Value> seen;
  std::vector<Value> out;
  for (const auto& item : items) {
    Value key = sort_key(attr != nullptr ? get_path(item, *attr) : item, cs);
    bool dup = std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); });
    if (dup) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Status sort_values(std::vector<Value>& items, const std::function<Value(const Value&)>& key, bool reverse) {
  Status status = Ok{};
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    auto c = compare(key(a), key(b));
    if (!c.ok()) {
      if (status.ok()) status = c.error();
      return false;
    }
    return reverse ? *c > 0 : *c < 0;
  });
  return status;
}

Result<Value> f_sort(Interp&, const Value& v, CallArgs& args) {
  bool reverse = flag(args, 0, "reverse");
  bool cs = flag(args, 1, "case_sensitive");
  const Value* attr = arg(args, 2, "attribute");
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  MINERVA_CHECK(sort_values(
      items, [&](const Value& x) { return sort_key(attr != nullptr ? get_path(x, *attr) : x, cs); }, reverse));
  return Value::new_list(std::move(items));
}

Result<Value> f_items(Interp&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::generator({});
  if (!v.is_mapping()) return lazy_failure(make_error("TypeError: Can only get item pairs from a mapping."));
  std::vector<Value> out;
  for (const auto& [k, x] : v.dict->items) out.push_back(Value::new_list({k, x}, true));
  return Value::generator(std::move(out));
}

Result<Value> f_dictsort(Interp& in, const Value& v, CallArgs& args) {
  bool cs = flag(args, 0, "case_sensitive");
  const Value* by = arg(args, 1, "by");
  bool by_value = by != nullptr && by->is_string() && by->s == "value";
  bool reverse = flag(args, 2, "reverse");
  if (!v.is_mapping()) return make_error("AttributeError: dictsort needs a mapping, not " + type_name(v));
  CallArgs none;
  MINERVA_TRY(Value pairs, f_items(in, v, none));
  pairs.list->generator = false;
  MINERVA_CHECK(sort_values(
      pairs.list->items, [&](const Value& p) { return sort_key(p.list->items[by_value ? 1 : 0], cs); }, reverse));
  return pairs;
}

Result<Value> f_upper(Interp&, const Value& v, CallArgs&) { return Value::string(py_upper(to_str(v))); }
Result<Value> f_lower(Interp&, const Value& v, CallArgs&) { return Value::string(py_lower(to_str(v))); }

Result<Value> f_capitalize(Interp&, const Value& v, CallArgs&) { return Value::string(py_capitalize(to_str(v))); }

Result<Value> f_title(Interp&, const Value& v, CallArgs&) { return Value::string(jinja_title(to_str(v))); }

Result<Value> f_replace(Interp& in, const Value& v, CallArgs& args) {
  Value s = Value::string(to_str(v));
  bool found = false;
  MINERVA_TRY(Value m, get_method(in, s, "replace", &found));
  CallArgs a;
  for (size_t k = 0; k < 3; ++k) {
    static const char* kNames[] = {"old", "new", "count"};
    if (const Value* x = arg(args, k, kNames[k]))
      a.pos.push_back(x->is_string() || k == 2 ? *x : Value::string(to_str(*x)));
  }
  return m.fn->fn(in, a);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= '\x1c' && c <= '\x1e')) {
      if (c == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

Result<Value> f_indent(Interp&, const Value& v, CallArgs& args) {
  MINERVA_CHECK(require_defined(v));
  if (v.is_list()) return make_error("AttributeError: '" + type_name(v) + "' object has no attribute 'splitlines'");
  if (!v.is_string()) {
    return make_error("TypeError: unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
  }
  const Value* width = arg(args, 0, "width");
  std::string ind = width == nullptr ? "    " : (width->is_string() ? width->s : std::string());
  if (width != nullptr && width->is_integral())
    ind.assign(static_cast<size_t>(std::clamp<int64_t>(width->as_int(), 0, 256)), ' ');
  bool first = flag(args, 1, "first");
  bool blank = flag(args, 2, "blank");
  std::vector<std::string> lines = split_lines(to_str(v) + "\n");
  std::string out;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k > 0) {
      out += '\n';
      if (blank || !lines[k].empty()) out += ind;
    }
    out += lines[k];
  }
  if (first) out = ind + out;
  return Value::string(out);
}

Result<Value> f_round(Interp&, const Value& v, CallArgs& args) {
  MINERVA_CHECK(require_defined(v));
  if (!v.is_number()) return make_error("TypeError: round() needs a number");
  const Value* prec = arg(args, 0, "precision");
  const Value* method = arg(args, 1, "method");
  int64_t p = prec != nullptr && prec->is_integral() ? std::clamp<int64_t>(prec->as_int(), -300, 300) : 0;
  std::string m = method != nullptr && method->is_string() ? method->s : "common";
  double scale = std::pow(10.0, static_cast<double>(p));
  double x = v.as_double() * scale;
  if (m == "ceil") {
    x = std::ceil(x);
  } else if (m == "floor") {
    x = std::floor(x);
  } else {
    x = std::nearbyint(x);
  }
  if (m == "common" && v.is_integral()) return Value::integer(v.as_int());
  return Value::number(x / scale);
}

Result<Value> f_abs(Interp&, const Value& v, CallArgs&) {
  MINERVA_CHECK(require_defined(v));
  if (v.is_integral()) {
    if (v.as_int() == INT64_MIN) return make_error("OverflowError: integer overflow");
    return Value::integer(std::llabs(v.as_int()));
  }
  if (v.kind == Value::Kind::kFloat) return Value::number(std::fabs(v.f));
  return make_error("TypeError: bad operand type for abs(): '" + type_name(v) + "'");
}

Result<Value> f_safe(Interp&, const Value& v, CallArgs&) { return Value::markup(to_str(v)); }
Result<Value> f_escape(Interp&, const Value& v, CallArgs&) {
  if (v.is_markup()) return v;
  return Value::markup(html_escape(to_str(v)));
}
Result<Value> f_forceescape(Interp&, const Value& v, CallArgs&) { return Value::markup(html_escape(to_str(v))); }

Result<Value> f_wordcount(Interp&, const Value& v, CallArgs&) {
  std::string s = to_str(v);
  int64_t n = 0;
  bool in_word = false;
  for (char c : s) {
    bool w = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || static_cast<unsigned char>(c) >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Result<Value> f_batch(Interp&, const Value& v, CallArgs& args) {
  const Value* size = arg(args, 0, "linecount");
  if (size == nullptr || !size->is_integral() || size->as_int() <= 0)
    return make_error("TypeError: batch() needs a positive size");
  const Value* fill = arg(args, 1, "fill_with");
  auto items_r = iterate(v);
  if (!items_r.ok()) return lazy_failure(items_r.error());
  std::vector<Value> items = std::move(items_r).value();
  auto n = static_cast<size_t>(size->as_int());
  std::vector<Value> out;
  for (size_t k = 0; k < items.size(); k += n) {
    std::vector<Value> row(items.begin() + static_cast<long>(k),
                           items.begin() + static_cast<long>(std::min(k + n, items.size())));
    while (fill != nullptr && !fill->is_none() && row.size() < n) row.push_back(*fill);
    out.push_back(Value::new_list(std::move(row)));
  }
  return Value::generator(std::move(out));
}

Result<Value> f_reverse(Interp&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto chars = utf8_chars(v.s);
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
    return Value::string(out);
  }
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  std::reverse(items.begin(), items.end());
  return Value::generator(std::move(items));  // Python: a list_reverseiterator
}

Result<Value> f_sum(Interp& in, const Value& v, CallArgs& args) {
  const Value* attr = arg(args, 0, "attribute");
  const Value* start = arg(args, 1, "start");
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  Value total = start != nullptr ? *start : Value::integer(0);
  for (const auto& item : items) {
    Value x = attr != nullptr ? get_path(item, *attr) : item;
    if (!x.is_number() || !total.is_number()) return make_error("TypeError: sum() needs numbers");
    if (x.is_integral() && total.is_integral()) {
      int64_t r = 0;
      if (__builtin_add_overflow(total.as_int(), x.as_int(), &r)) return make_error("OverflowError: integer overflow");
      total = Value::integer(r);
    } else {
      total = Value::number(total.as_double() + x.as_double());
    }
  }
  (void)in;
  return total;
}

Result<Value> minmax(const Value& v, CallArgs& args, bool want_max) {
  bool cs = flag(args, 0, "case_sensitive");
  const Value* attr = arg(args, 1, "attribute");
  MINERVA_TRY(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  for (size_t k = 1; k < items.size(); ++k) {
    auto key = [&](size_t i) { return sort_key(attr != nullptr ? get_path(items[i], *attr) : items[i], cs); };
    MINERVA_TRY(int c, compare(key(k), key(best)));
    if (want_max ? c > 0 : c < 0) best = k;
  }
  return items[best];
}
Result<Value> f_max(Interp&, const Value& v, CallArgs& args) { return minmax(v, args, true); }
Result<Value> f_min(Interp&, const Value& v, CallArgs& args) { return minmax(v, args, false); }

Result<Value> f_attr(Interp&, const Value& v, CallArgs& args) {
  const Value* name = arg(args, 0, "name");
  if (name == nullptr || !v.is_mapping()) return Value::undefined("no such attribute");
  const Value* found = v.dict->find(*name);
  return found != nullptr ? *found : Value::undefined("no such attribute");
}

Result<Value> f_center(Interp&, const Value& v, CallArgs& args) {
  std::string s = to_str(v);
  const Value* w = arg(args, 0, "width");
  size_t width = w != nullptr && w->is_integral() ? static_cast<size_t>(std::clamp<int64_t>(w->as_int(), 0, 4096)) : 80;
  size_t len = utf8_length(s);
  if (len >= width) return Value::string(s);
  size_t total = width - len;
  size_t left = total / 2 + (total & width & 1);
  return Value::string(std::string(left, ' ') + s + std::string(total - left, ' '));
}

Result<Value> f_format(Interp&, const Value& v, CallArgs& args) {
  Value packed = Value::new_list(args.pos, true);
  if (!args.kw.empty()) {
    packed = Value::new_dict();
    for (const auto& [k, x] : args.kw) packed.dict->set(Value::string(k), x);
  }
  MINERVA_TRY(std::string s, percent_format(to_str(v), packed));
  return Value::string(std::move(s));
}

struct FilterEntry {
  const char* name;
  FilterFn fn;
};

const FilterEntry kFilters[] = {
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"length", f_length},
    {"count", f_length},
    {"string", f_string},
    {"int", f_int},
    {"float", f_float},
    {"list", f_list},
    {"join", f_join},
    {"default", f_default},
    {"d", f_default},
    {"first", f_first},
    {"last", f_last},
    {"map", f_map},
    {"select", f_select},
    {"reject", f_reject},
    {"selectattr", f_selectattr},
    {"rejectattr", f_rejectattr},
    {"unique", f_unique},
    {"sort", f_sort},
    {"dictsort", f_dictsort},
    {"items", f_items},
    {"capitalize", f_capitalize},
    {"upper", f_upper},
    {"lower", f_lower},
    {"title", f_title},
    {"replace", f_replace},
    {"indent", f_indent},
    {"round", f_round},
    {"abs", f_abs},
    {"safe", f_safe},
    {"e", f_escape},
    {"escape", f_escape},
    {"forceescape", f_forceescape},
    {"wordcount", f_wordcount},
    {"batch", f_batch},
    {"reverse", f_reverse},
    {"sum", f_sum},
    {"max", f_max},
    {"min", f_min},
    {"attr", f_attr},
    {"center", f_center},
    {"format", f_format},
};

}  // namespace

Result<Value> apply_filter(Interp& in, const std::string& name, const Value& v, CallArgs& args) {
  for (const auto& f : kFilters) {
    if (name != f.name) continue;
    MINERVA_TRY(Value r, f.fn(in, v, args));
    // Filters built on str methods keep a Markup input Markup.
    static const char* kKeepMarkup[] = {"trim", "upper", "lower", "capitalize", "title", "string", "indent", "center"};
    if (v.is_markup() && r.is_string()) {
      for (const char* k : kKeepMarkup) {
        if (name == k) r.b = true;
      }
    }
    return r;
  }
  return make_error("TemplateAssertionError: No filter named '" + name + "'.");
}

}  // namespace minerva::chat
