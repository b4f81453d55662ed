// Built-in methods of str/list/dict values, global functions, and iteration helpers.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>

#include "chat/interp.h"

namespace minerva::chat {

const Value* arg(const CallArgs& args, size_t index, const char* name) {
  if (index < args.pos.size()) return &args.pos[index];
  for (const auto& [k, v] : args.kw) {
    if (k == name) return &v;
  }
  return nullptr;
}

Result<std::vector<Value>> iterate(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return std::vector<Value>{};
    case Value::Kind::kList:
      if (!v.list->lazy_error.empty()) return make_error(v.list->lazy_error);
      return v.list->items;
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& kv : v.dict->items) keys.push_back(kv.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      for (auto c : utf8_chars(v.s)) chars.push_back(Value::string(std::string(c)));
      return chars;
    }
    default:
      return make_error("TypeError: '" + type_name(v) + "' object is not iterable");
  }
}

Result<size_t> length(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return size_t{0};
    case Value::Kind::kList:
      if (v.list->generator) return make_error("TypeError: object of type 'generator' has no len()");
      return v.list->items.size();
    case Value::Kind::kDict:
      return v.dict->items.size();
    case Value::Kind::kString:
      return utf8_length(v.s);
    default:
      return make_error("TypeError: object of type '" + type_name(v) + "' has no len()");
  }
}

namespace {

bool py_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

Result<std::string> str_arg(const CallArgs& args, size_t index, const char* name, const std::string& method) {
  const Value* v = arg(args, index, name);
  if (v == nullptr) return make_error("TypeError: " + method + "() missing argument '" + name + "'");
  if (!v->is_string()) {
    return make_error("TypeError: " + method + "() argument must be str, not " + type_name(*v));
  }
  return v->s;
}

std::string strip(const std::string& s, const Value* chars, bool left, bool right) {
  auto drop = [&](char c) {
    if (chars == nullptr || chars->is_none()) return py_space(c);
    return chars->is_string() && chars->s.find(c) != std::string::npos;
  };
  size_t b = 0;
  size_t e = s.size();
  if (left) {
    while (b < e && drop(s[b])) ++b;
  }
  if (right) {
    while (e > b && drop(s[e - 1])) --e;
  }
  return s.substr(b, e - b);
}

Result<Value> split(const std::string& s, const Value* sep, const Value* maxsplit_v) {
  int64_t maxsplit = maxsplit_v != nullptr && maxsplit_v->is_integral() ? maxsplit_v->as_int() : -1;
  std::vector<Value> out;
  if (sep == nullptr || sep->is_none()) {
    size_t k = 0;
    while (true) {
      while (k < s.size() && py_space(s[k])) ++k;
      if (k >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(Value::string(s.substr(k)));  // Python keeps the remainder's trailing space
        break;
      }
      size_t b = k;
      while (k < s.size() && !py_space(s[k])) ++k;
      out.push_back(Value::string(s.substr(b, k - b)));
    }
    return Value::new_list(std::move(out));
  }
  if (!sep->is_string()) return make_error("TypeError: must be str or None, not " + type_name(*sep));
  if (sep->s.empty()) return make_error("ValueError: empty separator");
  size_t b = 0;
  while (true) {
    size_t k = s.find(sep->s, b);
    if (k == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) {
      out.push_back(Value::string(s.substr(b)));
      break;
    }
    out.push_back(Value::string(s.substr(b, k - b)));
    b = k + sep->s.size();
  }
  return Value::new_list(std::move(out));
}

// str.rsplit: like split, but at most `maxsplit` splits from the right.
Result<Value> rsplit(const std::string& s, const Value* sep, const Value* maxsplit_v) {
  int64_t maxsplit = maxsplit_v != nullptr && maxsplit_v->is_integral() ? maxsplit_v->as_int() : -1;
  if (maxsplit < 0) return split(s, sep, maxsplit_v);
  std::vector<Value> out;
  if (sep == nullptr || sep->is_none()) {
    size_t e = s.size();
    while (true) {
      while (e > 0 && py_space(s[e - 1])) --e;
      if (e == 0) break;
      if (static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(Value::string(s.substr(0, e)));  // Python keeps the remainder's leading space
        break;
      }
      size_t b = e;
      while (b > 0 && !py_space(s[b - 1])) --b;
      out.push_back(Value::string(s.substr(b, e - b)));
      e = b;
    }
  } else {
    if (!sep->is_string()) return make_error("TypeError: must be str or None, not " + type_name(*sep));
    if (sep->s.empty()) return make_error("ValueError: empty separator");
    size_t e = s.size();
    while (true) {
      size_t k = e >= sep->s.size() ? s.rfind(sep->s, e - sep->s.size()) : std::string::npos;
      if (k == std::string::npos || static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(Value::string(s.substr(0, e)));
        break;
      }
      out.push_back(Value::string(s.substr(k + sep->s.size(), e - k - sep->s.size())));
      e = k;
    }
  }
  std::reverse(out.begin(), out.end());
  return Value::new_list(std::move(out));
}

Result<bool> affix(const std::string& s, const Value* v, bool start, const std::string& method) {
  if (v == nullptr) return make_error("TypeError: " + method + "() takes at least 1 argument (0 given)");
  auto test = [&](const std::string& p) {
    if (p.size() > s.size()) return false;
    return start ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0;
  };
  if (v->is_string()) return test(v->s);
  if (v->is_list() && v->list->tuple) {
    for (const auto& p : v->list->items) {
      if (p.is_string() && test(p.s)) return true;
    }
    return false;
  }
  return make_error("TypeError: " + method + " first arg must be str or a tuple of str, not " + type_name(*v));
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` between every character (and at both ends).
    auto chars = utf8_chars(s);
    int64_t n = 0;
    for (auto c : chars) {
      if (count < 0 || n < count) {
        out += to;
        ++n;
      }
      out += c;
    }
    if (count < 0 || n < count) out += to;
    return out;
  }
  size_t b = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    size_t k = s.find(from, b);
    if (k == std::string::npos) break;
    out.append(s, b, k - b);
    out += to;
    b = k + from.size();
    ++n;
  }
  out.append(s, b, std::string::npos);
  return out;
}

Result<Value> str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if (c == '{' && k + 1 < fmt.size() && fmt[k + 1] == '{') {
      out += '{';
      ++k;
    } else if (c == '}' && k + 1 < fmt.size() && fmt[k + 1] == '}') {
      out += '}';
      ++k;
    } else if (c == '{') {
      size_t e = fmt.find('}', k);
      if (e == std::string::npos) return make_error("ValueError: Single '{' encountered in format string");
      std::string field = fmt.substr(k + 1, e - k - 1);
      if (field.find(':') != std::string::npos || field.find('!') != std::string::npos) {
        return make_error("ValueError: format specs are not supported");
      }
      const Value* v = nullptr;
      if (field.empty()) {
        v = auto_index < args.pos.size() ? &args.pos[auto_index] : nullptr;
        ++auto_index;
      } else if (std::isdigit(static_cast<unsigned char>(field[0])) != 0) {
        size_t idx = std::stoul(field);
        v = idx < args.pos.size() ? &args.pos[idx] : nullptr;
      } else {
        v = arg(args, SIZE_MAX, field.c_str());
      }
      if (v == nullptr) return make_error("IndexError: Replacement index out of range for format()");
      out += to_str(*v);
      k = e;
    } else {
      out += c;
    }
  }
  return Value::string(std::move(out));
}

}  // namespace

namespace {

Result<Value> string_method(const std::string& s, const std::string& name, CallArgs& args) {
  if (name == "strip") return Value::string(strip(s, arg(args, 0, "chars"), true, true));
  if (name == "lstrip") return Value::string(strip(s, arg(args, 0, "chars"), true, false));
  if (name == "rstrip") return Value::string(strip(s, arg(args, 0, "chars"), false, true));
  if (name == "split") return split(s, arg(args, 0, "sep"), arg(args, 1, "maxsplit"));
  if (name == "rsplit") return rsplit(s, arg(args, 0, "sep"), arg(args, 1, "maxsplit"));
  if (name == "splitlines") {
    std::vector<Value> lines;
    size_t b = 0;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] != '\n' && s[k] != '\r') continue;
      lines.push_back(Value::string(s.substr(b, k - b)));
      if (s[k] == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
      b = k + 1;
    }
    if (b < s.size()) lines.push_back(Value::string(s.substr(b)));
    return Value::new_list(std::move(lines));
  }
  if (name == "startswith" || name == "endswith") {
    MINERVA_TRY(bool r, affix(s, arg(args, 0, "prefix"), name == "startswith", name));
    return Value::boolean(r);
  }
  if (name == "upper") return Value::string(py_upper(s));
  if (name == "lower") return Value::string(py_lower(s));
  if (name == "title") return Value::string(py_title(s));
  if (name == "capitalize") return Value::string(py_capitalize(s));
  if (name == "replace") {
    MINERVA_TRY(std::string from, str_arg(args, 0, "old", name));
    MINERVA_TRY(std::string to, str_arg(args, 1, "new", name));
    const Value* count = arg(args, 2, "count");
    return Value::string(replace_all(s, from, to, count != nullptr && count->is_integral() ? count->as_int() : -1));
  }
  if (name == "format") return str_format(s, args);
  if (name == "count" || name == "find" || name == "index" || name == "rfind") {
    MINERVA_TRY(std::string sub, str_arg(args, 0, "sub", name));
    if (name == "count") {
      if (sub.empty()) return Value::integer(static_cast<int64_t>(utf8_length(s) + 1));
      int64_t n = 0;
      for (size_t k = s.find(sub); k != std::string::npos; k = s.find(sub, k + sub.size())) ++n;
      return Value::integer(n);
    }
    size_t k = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (k == std::string::npos) {
      if (name == "index") return make_error("ValueError: substring not found");
      return Value::integer(-1);
    }
    return Value::integer(static_cast<int64_t>(utf8_length(s.substr(0, k))));
  }
  if (name == "join") {
    const Value* items = arg(args, 0, "iterable");
    if (items == nullptr) return make_error("TypeError: join() takes exactly one argument");
    MINERVA_TRY(std::vector<Value> parts, iterate(*items));
    std::string out;
    for (size_t k = 0; k < parts.size(); ++k) {
      if (!parts[k].is_string()) return make_error("TypeError: sequence item " + std::to_string(k) + ": expected str");
      if (k > 0) out += s;
      out += parts[k].s;
    }
    return Value::string(std::move(out));
  }
  if (name == "islower") return Value::boolean(py_islower(s));
  if (name == "isupper") return Value::boolean(py_isupper(s));
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace") {
    if (s.empty()) return Value::boolean(false);
    bool all = true;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (name == "isdigit") all = all && std::isdigit(u) != 0;
      if (name == "isalpha") all = all && std::isalpha(u) != 0;
      if (name == "isalnum") all = all && std::isalnum(u) != 0;
      if (name == "isspace") all = all && py_space(c);
    }
    return Value::boolean(all);
  }
  return make_error("no method");
}

Result<Value> list_method(const Value& obj, const std::string& name, CallArgs& args) {
  auto& items = obj.list->items;
  if (name == "append") {
    if (obj.list->tuple) return make_error("AttributeError: 'tuple' object has no attribute 'append'");
    const Value* v = arg(args, 0, "object");
    if (v == nullptr) return make_error("TypeError: append() takes exactly one argument (0 given)");
    if (reaches(*v, obj.list.get())) return make_error("ValueError: refusing to create a reference cycle");
    note_child(obj.list->depth, obj.list->has_ns, *v);
    items.push_back(*v);
    return Value::none();
  }
  if (name == "extend") {
    const Value* v = arg(args, 0, "iterable");
    if (v == nullptr) return make_error("TypeError: extend() takes exactly one argument (0 given)");
    MINERVA_TRY(std::vector<Value> more, iterate(*v));
    for (const auto& m : more) {
      if (reaches(m, obj.list.get())) return make_error("ValueError: refusing to create a reference cycle");
      note_child(obj.list->depth, obj.list->has_ns, m);
    }
    items.insert(items.end(), more.begin(), more.end());
    return Value::none();
  }
  if (name == "pop") {
    if (items.empty()) return make_error("IndexError: pop from empty list");
    const Value* v = arg(args, 0, "index");
    auto n = static_cast<int64_t>(items.size());
    int64_t k = v != nullptr && v->is_integral() ? v->as_int() : n - 1;
    if (k < 0) k += n;
    if (k < 0 || k >= n) return make_error("IndexError: pop index out of range");
    Value out = items[static_cast<size_t>(k)];
    items.erase(items.begin() + k);
    return out;
  }
  if (name == "insert") {
    const Value* at = arg(args, 0, "index");
    const Value* v = arg(args, 1, "object");
    if (at == nullptr || v == nullptr || !at->is_integral()) return make_error("TypeError: insert() takes 2 arguments");
    auto n = static_cast<int64_t>(items.size());
    int64_t k = at->as_int();
    if (k < 0) k = std::max<int64_t>(0, k + n);
    k = std::min(k, n);
    if (reaches(*v, obj.list.get())) return make_error("ValueError: refusing to create a reference cycle");
    note_child(obj.list->depth, obj.list->has_ns, *v);
    items.insert(items.begin() + k, *v);
    return Value::none();
  }
  if (name == "count" || name == "index") {
    const Value* v = arg(args, 0, "value");
    if (v == nullptr) return make_error("TypeError: " + name + "() takes exactly one argument (0 given)");
    int64_t n = 0;
    for (size_t k = 0; k < items.size(); ++k) {
      if (!equals(items[k], *v)) continue;
      if (name == "index") return Value::integer(static_cast<int64_t>(k));
      ++n;
    }
    if (name == "index") return make_error("ValueError: " + repr(*v) + " is not in list");
    return Value::integer(n);
  }
  return make_error("no method");
}

Result<Value> dict_method(const Value& obj, const std::string& name, CallArgs& args) {
  auto& items = obj.dict->items;
  if (name == "items" || name == "keys" || name == "values") {
    std::vector<Value> out;
    for (const auto& [k, v] : items) {
      if (name == "items") {
        out.push_back(Value::new_list({k, v}, true));
      } else {
        out.push_back(name == "keys" ? k : v);
      }
    }
    return Value::new_list(std::move(out));
  }
  if (name == "get" || name == "pop" || name == "setdefault") {
    const Value* key = arg(args, 0, "key");
    if (key == nullptr) return make_error("TypeError: " + name + "() takes at least 1 argument");
    const Value* def = arg(args, 1, "default");
    for (auto it = items.begin(); it != items.end(); ++it) {
      if (!equals(it->first, *key)) continue;
      Value out = it->second;
      if (name == "pop") items.erase(it);
      return out;
    }
    if (name == "pop" && def == nullptr) return make_error("KeyError: " + repr(*key));
    Value out = def != nullptr ? *def : Value::none();
    if (name == "setdefault") {
      if (reaches(out, obj.dict.get())) return make_error("ValueError: refusing to create a reference cycle");
      obj.dict->set(*key, out);
    }
    return out;
  }
  if (name == "update") {
    std::vector<std::pair<Value, Value>> adds;
    if (const Value* other = arg(args, 0, "other"); other != nullptr && other->is_mapping()) adds = other->dict->items;
    for (const auto& [k, v] : args.kw) adds.emplace_back(Value::string(k), v);
    for (const auto& [k, v] : adds) {
      if (reaches(v, obj.dict.get())) return make_error("ValueError: refusing to create a reference cycle");
    }
    for (const auto& [k, v] : adds) obj.dict->set(k, v);
    return Value::none();
  }
  if (name == "copy") {
    Value out = Value::new_dict();
    out.dict->items = items;
    return out;
  }
  if (name == "clear") {
    items.clear();
    return Value::none();
  }
  return make_error("no method");
}

bool has_method(const Value& obj, const std::string& name) {
  static const char* kStr[] = {"strip",   "lstrip",  "rstrip",     "split",     "startswith", "endswith", "upper",
                               "lower",   "title",   "capitalize", "replace",   "format",     "count",    "find",
                               "index",   "rfind",   "join",       "isdigit",   "isalpha",    "isalnum",  "isspace",
                               "islower", "isupper", "rsplit",     "splitlines"};
  static const char* kList[] = {"append", "extend", "pop", "insert", "count", "index"};
  static const char* kDict[] = {"items", "keys", "values", "get", "pop", "setdefault", "update", "copy", "clear"};
  auto in = [&](const auto& names) {
    return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
  };
  if (obj.is_string()) return in(kStr);
  if (obj.is_list()) return in(kList);
  if (obj.is_dict()) return in(kDict);
  return false;
}

}  // namespace

Result<Value> get_method(Interp& in, const Value& obj, const std::string& name, bool* found) {
  (void)in;
  *found = has_method(obj, name);
  if (!*found) return Value::none();
  return Value::callable(name, [obj, name](Interp&, CallArgs& args) -> Result<Value> {
    static const char* kWrapped[] = {"replace", "strip", "lstrip", "rstrip", "split",     "join",
                                     "format",  "upper", "lower",  "title",  "capitalize"};
    bool wrapped = std::any_of(std::begin(kWrapped), std::end(kWrapped), [&](const char* n) { return name == n; });
    if (obj.is_markup() && wrapped) {
      // Markup methods escape their string arguments and return Markup.
      for (auto& a : args.pos) {
        if (a.is_string() && !a.is_markup()) a = Value::markup(html_escape(a.s));
      }
      for (auto& kv : args.kw) {
        if (kv.second.is_string() && !kv.second.is_markup()) kv.second = Value::markup(html_escape(kv.second.s));
      }
      MINERVA_TRY(Value r, string_method(obj.s, name, args));
      if (r.is_string()) r.b = true;
      if (r.is_list()) {
        for (auto& item : r.list->items) {
          if (item.is_string()) item.b = true;
        }
      }
      return r;
    }
    if (obj.is_string()) return string_method(obj.s, name, args);
    if (obj.is_list()) return list_method(obj, name, args);
    return dict_method(obj, name, args);
  });
}

void install_globals(Interp& in) {
  auto& g = in.scopes[0].vars;
  g["range"] = Value::callable("range", [](Interp& it, CallArgs& args) -> Result<Value> {
    int64_t start = 0;
    int64_t stop = 0;
    int64_t step = 1;
    for (const auto& a : args.pos) {
      if (!a.is_integral())
        return make_error("TypeError: '" + type_name(a) + "' object cannot be interpreted as an integer");
    }
    if (args.pos.size() == 1) {
      stop = args.pos[0].as_int();
    } else if (args.pos.size() == 2 || args.pos.size() == 3) {
      start = args.pos[0].as_int();
      stop = args.pos[1].as_int();
      if (args.pos.size() == 3) step = args.pos[2].as_int();
    } else {
      return make_error("TypeError: range expected 1 to 3 arguments");
    }
    if (step == 0) return make_error("ValueError: range() arg 3 must not be zero");
    __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
    __int128 count = span <= 0 ? 0
                               : (span + (step > 0 ? step : -static_cast<__int128>(step)) - 1) /
                                     (step > 0 ? step : -static_cast<__int128>(step));
    if (count > static_cast<__int128>(it.opts.max_loop_iterations)) {
      return make_error("range too large (" + std::to_string(static_cast<int64_t>(count)) +
                        " items; the loop iteration limit is " + std::to_string(it.opts.max_loop_iterations) + ")");
    }
    std::vector<Value> out;
    int64_t v = start;
    for (__int128 k = 0; k < count; ++k, v += step) out.push_back(Value::integer(v));
    return Value::new_list(std::move(out));
  });
  g["dict"] = Value::callable("dict", [](Interp&, CallArgs& args) -> Result<Value> {
    Value d = Value::new_dict();
    if (!args.pos.empty()) {
      const Value& src = args.pos[0];
      if (src.is_mapping()) {
        d.dict->items = src.dict->items;
      } else {
        MINERVA_TRY(std::vector<Value> pairs, iterate(src));
        for (const auto& p : pairs) {
          if (!p.is_list() || p.list->items.size() != 2) {
            return make_error("ValueError: dictionary update sequence element has wrong length");
          }
          d.dict->set(p.list->items[0], p.list->items[1]);
        }
      }
    }
    for (const auto& [k, v] : args.kw) d.dict->set(Value::string(k), v);
    return d;
  });
  g["namespace"] = Value::callable("namespace", [](Interp&, CallArgs& args) -> Result<Value> {
    Value ns = Value::new_namespace();
    for (const auto& a : args.pos) {
      if (a.is_mapping()) {
        for (const auto& [k, v] : a.dict->items) ns.dict->set(k, v);
      }
    }
    for (const auto& [k, v] : args.kw) ns.dict->set(Value::string(k), v);
    return ns;
  });
  g["raise_exception"] = Value::callable("raise_exception", [](Interp&, CallArgs& args) -> Result<Value> {
    const Value* msg = arg(args, 0, "message");
    return make_error("TemplateError: " + (msg != nullptr ? to_str(*msg) : std::string()));
  });
  g["strftime_now"] = Value::callable("strftime_now", [](Interp& it, CallArgs& args) -> Result<Value> {
    const Value* fmt = arg(args, 0, "format");
    if (fmt == nullptr || !fmt->is_string()) return make_error("TypeError: strftime_now() needs a format string");
    std::tm tm{};
    if (it.opts.now) {
      tm = *it.opts.now;
    } else {
      std::time_t t = std::time(nullptr);
      localtime_r(&t, &tm);
    }
    if (fmt->s.empty()) return Value::string("");
    std::string buf(fmt->s.size() * 16 + 64, '\0');
    size_t n = std::strftime(buf.data(), buf.size(), fmt->s.c_str(), &tm);
    buf.resize(n);
    return Value::string(buf);
  });
}

}  // namespace minerva::chat
