// Jinja tests: `x is defined`, `x is string`, `x is divisibleby 3`, ...
#include <cctype>
#include <cmath>
#include <string>

#include "chat/interp.h"

namespace minerva::chat {

Result<bool> apply_test(Interp& in, const std::string& name, const Value& v, CallArgs& args) {
  (void)in;
  const Value* other = arg(args, 0, "value");
  using K = Value::Kind;
  static const char* kNoArg[] = {"defined", "undefined", "none",     "string",   "number",  "integer",
                                 "float",   "mapping",   "iterable", "sequence", "boolean", "true",
                                 "false",   "callable",  "lower",    "upper",    "even",    "odd"};
  for (const char* n : kNoArg) {
    if (name == n && (!args.pos.empty() || !args.kw.empty())) {
      return make_error("TypeError: test_" + name + "() takes 1 positional argument but " +
                        std::to_string(args.pos.size() + args.kw.size() + 1) + " were given");
    }
  }
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.kind == K::kInt || v.kind == K::kFloat || v.kind == K::kBool;
  if (name == "integer") return v.kind == K::kInt;
  if (name == "float") return v.kind == K::kFloat;
  if (name == "boolean") return v.kind == K::kBool;
  if (name == "true") return v.kind == K::kBool && v.b;
  if (name == "false") return v.kind == K::kBool && !v.b;
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "sequence") return (v.is_list() && !v.is_generator()) || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "callable") return v.kind == K::kCallable;
  if (name == "lower") return py_islower(to_str(v));  // Jinja2: str(value).islower()
  if (name == "upper") return py_isupper(to_str(v));
  if (name == "even" || name == "odd" || name == "divisibleby") {
    // Jinja2: value % 2 == 0, value % 2 == 1, value % num == 0 (floats allowed).
    if (v.is_undefined()) return undefined_error(v);
    const Value* divisor = name == "divisibleby" ? other : nullptr;
    if (name == "divisibleby" && (divisor == nullptr || !divisor->is_number())) {
      return make_error("TypeError: divisibleby needs a number");
    }
    if (!v.is_number()) return make_error("TypeError: test '" + name + "' needs a number, not " + type_name(v));
    double d = divisor != nullptr ? divisor->as_double() : 2.0;
    if (d == 0) return make_error("ZeroDivisionError: integer division or modulo by zero");
    double r = 0;
    if (v.is_integral() && (divisor == nullptr || divisor->is_integral())) {
      int64_t y = divisor != nullptr ? divisor->as_int() : 2;
      int64_t m = y == -1 ? 0 : v.as_int() % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      r = static_cast<double>(m);
    } else {
      r = std::fmod(v.as_double(), d);
      if (r != 0 && ((r < 0) != (d < 0))) r += d;
    }
    return name == "odd" ? r == 1 : r == 0;
  }
  if (other == nullptr) {
    return make_error("TypeError: test '" + name + "' needs an argument");
  }
  if (name == "sameas") {
    if (v.kind != other->kind) return false;
    switch (v.kind) {
      case K::kNone:
      case K::kUndefined:
        return true;
      case K::kBool:
        return v.b == other->b;
      case K::kInt:
        return v.i == other->i;
      case K::kList:
        return v.list == other->list;
      case K::kDict:
      case K::kNamespace:
        return v.dict == other->dict;
      default:
        return equals(v, *other);
    }
  }
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, *other);
  if (name == "ne" || name == "!=") return !equals(v, *other);
  if (name == "in") {
    if (other->is_string()) return v.is_string() && other->s.find(v.s) != std::string::npos;
    if (other->is_list()) {
      for (const auto& item : other->list->items) {
        if (equals(item, v)) return true;
      }
      return false;
    }
    if (other->is_mapping()) return other->dict->find(v) != nullptr;
    return make_error("TypeError: argument of type '" + type_name(*other) + "' is not iterable");
  }
  if (name == "lt" || name == "lessthan" || name == "gt" || name == "greaterthan" || name == "le" || name == "ge") {
    if (v.is_undefined()) return undefined_error(v);
    MINERVA_TRY(int c, compare(v, *other));
    if (name == "lt" || name == "lessthan") return c < 0;
    if (name == "gt" || name == "greaterthan") return c > 0;
    if (name == "le") return c <= 0;
    return c >= 0;
  }
  return make_error("TemplateAssertionError: no test named '" + name + "'");
}

}  // namespace minerva::chat
