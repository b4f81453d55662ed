// Expression evaluation: names, literals, attribute/item access, slicing, calls, operators.
#include <climits>
#include <cmath>
#include <string>

#include "chat/interp.h"

namespace minerva::chat {
namespace {

bool is_dict_method(const std::string& name) {
  return name == "items" || name == "keys" || name == "values" || name == "get" || name == "pop" || name == "update" ||
         name == "copy" || name == "setdefault" || name == "clear";
}

std::string object_name(const Value& v) {
  if (v.is_none()) return "'None'";
  return "'" + type_name(v) + " object'";
}

// Python slice bounds for a sequence of length n.
Result<std::vector<size_t>> slice_indices(int64_t n, const Value* start, const Value* stop, const Value* step) {
  int64_t s = 1;
  if (step != nullptr && !step->is_none()) {
    if (!step->is_integral()) return make_error("TypeError: slice indices must be integers or None");
    s = step->as_int();
    if (s == 0) return make_error("ValueError: slice step cannot be zero");
  }
  auto bound = [&](const Value* v, int64_t def, int64_t lo, int64_t hi) -> Result<int64_t> {
    if (v == nullptr || v->is_none()) return def;
    if (!v->is_integral()) return make_error("TypeError: slice indices must be integers or None");
    int64_t x = v->as_int();
    if (x < 0) x = x < -n ? lo : x + n;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    return x;
  };
  std::vector<size_t> out;
  if (s > 0) {
    MINERVA_TRY(int64_t b, bound(start, 0, 0, n));
    MINERVA_TRY(int64_t e, bound(stop, n, 0, n));
    for (int64_t k = b; k < e; k += s) out.push_back(static_cast<size_t>(k));
  } else {
    MINERVA_TRY(int64_t b, bound(start, n - 1, -1, n - 1));
    MINERVA_TRY(int64_t e, bound(stop, -1, -1, n - 1));
    for (int64_t k = b; k > e; k += s) out.push_back(static_cast<size_t>(k));
  }
  return out;
}

}  // namespace

Result<CallArgs> Interp::eval_args(const Expr& e, size_t first) {
  CallArgs args;
  for (size_t k = first; k < e.args.size(); ++k) {
    MINERVA_TRY(Value v, eval(*e.args[k]));
    args.pos.push_back(std::move(v));
  }
  for (const auto& [name, expr] : e.kwargs) {
    MINERVA_TRY(Value v, eval(*expr));
    args.kw.emplace_back(name, std::move(v));
  }
  return args;
}

Result<Value> Interp::call(const Value& fn, CallArgs& args, Pos p) {
  if (fn.is_undefined()) return error(undefined_error(fn).message, p);
  if (fn.kind != Value::Kind::kCallable) {
    return error("TypeError: '" + type_name(fn) + "' object is not callable", p);
  }
  if (call_depth >= opts.max_call_depth) return error("RecursionError: maximum call depth exceeded", p);
  Pos saved = pos;
  pos = p;
  ++call_depth;
  auto r = fn.fn->fn(*this, args);
  --call_depth;
  pos = saved;
  if (!r.ok()) return error(r.error().message, p);
  return r;
}

Result<Value> Interp::eval_attr(const Value& obj, const std::string& name, Pos p) {
  if (obj.is_undefined()) return error(undefined_error(obj).message, p);
  if (obj.kind == Value::Kind::kNamespace) {
    if (const Value* v = obj.dict->find(std::string_view(name))) return *v;
    return Value::undefined("'Namespace' object has no attribute '" + name + "'");
  }
  bool found = false;
  if (!obj.is_dict() || is_dict_method(name)) {
    MINERVA_TRY(Value m, get_method(*this, obj, name, &found));
    if (found) return m;
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.dict->find(std::string_view(name))) return *v;
  }
  return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

Result<Value> Interp::eval_item(const Value& obj, const Value& key, Pos p) {
  if (obj.is_undefined()) return error(undefined_error(obj).message, p);
  if (obj.is_generator()) return Value::undefined("'generator object' has no attribute " + repr(key));
  if (obj.is_mapping()) {
    if (const Value* v = obj.dict->find(key)) return *v;
    if (key.is_string() && obj.is_dict() && is_dict_method(key.s)) return eval_attr(obj, key.s, p);
    return Value::undefined(object_name(obj) + " has no attribute " + repr(key));
  }
  if ((obj.is_list() || obj.is_string()) && key.is_integral()) {
    int64_t k = key.as_int();
    if (obj.is_list()) {
      auto n = static_cast<int64_t>(obj.list->items.size());
      if (k < 0) k += n;
      if (k < 0 || k >= n)
        return Value::undefined(object_name(obj) + " has no element " + std::to_string(key.as_int()));
      return obj.list->items[static_cast<size_t>(k)];
    }
    auto chars = utf8_chars(obj.s);
    auto n = static_cast<int64_t>(chars.size());
    if (k < 0) k += n;
    if (k < 0 || k >= n) return Value::undefined(object_name(obj) + " has no element " + std::to_string(key.as_int()));
    Value r = Value::string(std::string(chars[static_cast<size_t>(k)]));
    r.b = obj.b;
    return r;
  }
  if (key.is_string()) return eval_attr(obj, key.s, p);
  return Value::undefined(object_name(obj) + " has no attribute " + repr(key));
}

Result<Value> Interp::eval_slice(const Expr& e) {
  MINERVA_TRY(Value obj, eval(*e.args[0]));
  if (obj.is_undefined()) return error(undefined_error(obj).message, e.pos);
  Value parts[3];
  for (int k = 0; k < 3; ++k) {
    if (e.args[static_cast<size_t>(k) + 1]) {
      MINERVA_TRY(parts[k], eval(*e.args[static_cast<size_t>(k) + 1]));
    } else {
      parts[k] = Value::none();
    }
  }
  if (obj.is_generator()) return Value::undefined("'generator' object is not subscriptable");
  if (obj.is_list()) {
    auto idx = slice_indices(static_cast<int64_t>(obj.list->items.size()), &parts[0], &parts[1], &parts[2]);
    if (!idx.ok()) return error(idx.error().message, e.pos);
    std::vector<Value> out;
    for (size_t k : *idx) out.push_back(obj.list->items[k]);
    return Value::new_list(std::move(out), obj.list->tuple);
  }
  if (obj.is_string()) {
    auto chars = utf8_chars(obj.s);
    auto idx = slice_indices(static_cast<int64_t>(chars.size()), &parts[0], &parts[1], &parts[2]);
    if (!idx.ok()) return error(idx.error().message, e.pos);
    std::string out;
    for (size_t k : *idx) out += chars[k];
    Value r = Value::string(std::move(out));
    r.b = obj.b;
    return r;
  }
  return error("TypeError: '" + type_name(obj) + "' object is not subscriptable", e.pos);
}

Result<Value> Interp::eval_binary(const std::string& op, const Value& a, const Value& b, Pos p) {
  if (a.is_undefined()) return error(undefined_error(a).message, p);
  if (b.is_undefined()) return error(undefined_error(b).message, p);
  auto unsupported = [&]() {
    return error(
        "TypeError: unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'", p);
  };
  bool ints = a.is_integral() && b.is_integral();
  bool nums = a.is_number() && b.is_number();
  if (op == "+") {
    if (ints) {
      int64_t r = 0;
      if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) return error("OverflowError: integer overflow", p);
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      MINERVA_CHECK(check_size(a.s.size() + b.s.size(), p));
      if (a.is_markup() || b.is_markup()) {
        // markupsafe: Markup + str escapes the plain str.
        return Value::markup((a.is_markup() ? a.s : html_escape(a.s)) + (b.is_markup() ? b.s : html_escape(b.s)));
      }
      return Value::string(a.s + b.s);
    }
    if (a.is_list() && b.is_list() && a.list->tuple == b.list->tuple && !a.is_generator() && !b.is_generator()) {
      std::vector<Value> items = a.list->items;
      items.insert(items.end(), b.list->items.begin(), b.list->items.end());
      return Value::new_list(std::move(items), a.list->tuple);
    }
    if (a.is_string() || a.is_list()) {
      return error(
          "TypeError: can only concatenate " + type_name(a) + " (not \"" + type_name(b) + "\") to " + type_name(a), p);
    }
    return unsupported();
  }
  if (op == "-") {
    if (ints) {
      int64_t r = 0;
      if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) return error("OverflowError: integer overflow", p);
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() - b.as_double());
    return unsupported();
  }
  if (op == "*") {
    if (ints) {
      int64_t r = 0;
      if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) return error("OverflowError: integer overflow", p);
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() * b.as_double());
    const Value* seq = a.is_integral() ? &b : &a;
    const Value* count = a.is_integral() ? &a : &b;
    if (count->is_integral() && (seq->is_string() || seq->is_list())) {
      int64_t n = std::max<int64_t>(0, count->as_int());
      size_t unit = seq->is_string() ? seq->s.size() : seq->list->items.size() * sizeof(Value);
      if (unit > 0 && static_cast<uint64_t>(n) > opts.max_output_bytes / unit) {
        return error("output size limit (" + std::to_string(opts.max_output_bytes) + " bytes) exceeded", p);
      }
      if (seq->is_string()) {
        std::string out;
        for (int64_t k = 0; k < n; ++k) out += seq->s;
        Value r = Value::string(std::move(out));
        r.b = seq->b;
        return r;
      }
      std::vector<Value> items;
      for (int64_t k = 0; k < n; ++k) items.insert(items.end(), seq->list->items.begin(), seq->list->items.end());
      return Value::new_list(std::move(items), seq->list->tuple);
    }
    return unsupported();
  }
  if (!nums) {
    if (op == "%" && a.is_string()) {
      auto r = percent_format(a.s, b);
      if (!r.ok()) return error(r.error().message, p);
      MINERVA_CHECK(check_size(r->size(), p));
      return Value::string(std::move(r).value());
    }
    return unsupported();
  }
  if (op == "/") {
    if (b.as_double() == 0) return error("ZeroDivisionError: division by zero", p);
    return Value::number(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (ints) {
      int64_t x = a.as_int();
      int64_t y = b.as_int();
      if (y == 0) return error("ZeroDivisionError: integer division or modulo by zero", p);
      if (x == INT64_MIN && y == -1) return error("OverflowError: integer overflow", p);
      int64_t q = x / y;
      int64_t r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) {
        --q;
        r += y;
      }
      return Value::integer(op == "//" ? q : r);
    }
    double x = a.as_double();
    double y = b.as_double();
    if (y == 0) return error("ZeroDivisionError: float division by zero", p);
    if (op == "//") return Value::number(std::floor(x / y));
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value::number(r);
  }
  if (op == "**") {
    if (ints && b.as_int() >= 0) {
      int64_t base = a.as_int();
      int64_t e = b.as_int();
      int64_t r = 1;
      while (e > 0) {
        if ((e & 1) != 0 && __builtin_mul_overflow(r, base, &r)) return error("OverflowError: integer overflow", p);
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) return error("OverflowError: integer overflow", p);
      }
      return Value::integer(r);
    }
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  return unsupported();
}

Result<bool> Interp::eval_compare(const std::string& op, const Value& a, const Value& b, Pos p) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in" || op == "notin") {
    bool found = false;
    if (b.is_string()) {
      if (a.is_undefined()) return error(undefined_error(a).message, p);
      if (!a.is_string()) {
        return error("TypeError: 'in <string>' requires string as left operand, not " + type_name(a), p);
      }
      found = b.s.find(a.s) != std::string::npos;
    } else if (b.is_list()) {
      for (const auto& item : b.list->items) found = found || equals(item, a);
    } else if (b.is_mapping()) {
      found = b.dict->find(a) != nullptr;
    } else if (!b.is_undefined()) {
      return error("TypeError: argument of type '" + type_name(b) + "' is not iterable", p);
    }
    return op == "in" ? found : !found;
  }
  if (a.is_undefined()) return error(undefined_error(a).message, p);
  if (b.is_undefined()) return error(undefined_error(b).message, p);
  auto c = compare(a, b);
  if (!c.ok()) {
    std::string msg = c.error().message;
    auto at = msg.find("'<'");
    if (at != std::string::npos) msg.replace(at, 3, "'" + op + "'");
    return error(msg, p);
  }
  if (op == "<") return *c < 0;
  if (op == ">") return *c > 0;
  if (op == "<=") return *c <= 0;
  return *c >= 0;
}

Result<Value> Interp::eval(const Expr& e) {
  if (eval_depth >= kMaxEvalDepth) return error("RecursionError: evaluation nested too deeply", e.pos);
  ++eval_depth;
  auto r = eval_inner(e);
  --eval_depth;
  if (r.ok() && nesting(*r) > kMaxNesting) return error("RecursionError: value nested too deeply", e.pos);
  return r;
}

Result<Value> Interp::eval_inner(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kName:
      return lookup(e.name);
    case Expr::Kind::kPlaceholder:
      return placeholder;
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      std::vector<Value> items;
      for (const auto& a : e.args) {
        MINERVA_TRY(Value v, eval(*a));
        items.push_back(std::move(v));
      }
      return Value::new_list(std::move(items), e.kind == Expr::Kind::kTuple);
    }
    case Expr::Kind::kDict: {
      Value d = Value::new_dict();
      for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
        MINERVA_TRY(Value key, eval(*e.args[k]));
        MINERVA_TRY(Value v, eval(*e.args[k + 1]));
        if (key.is_list() && !key.list->tuple) return error("TypeError: unhashable type: 'list'", e.pos);
        if (key.is_dict()) return error("TypeError: unhashable type: 'dict'", e.pos);
        d.dict->set(key, std::move(v));
      }
      return d;
    }
    case Expr::Kind::kAttr: {
      MINERVA_TRY(Value obj, eval(*e.args[0]));
      return eval_attr(obj, e.name, e.pos);
    }
    case Expr::Kind::kItem: {
      MINERVA_TRY(Value obj, eval(*e.args[0]));
      MINERVA_TRY(Value key, eval(*e.args[1]));
      return eval_item(obj, key, e.pos);
    }
    case Expr::Kind::kSlice:
      return eval_slice(e);
    case Expr::Kind::kCall: {
      MINERVA_TRY(Value fn, eval(*e.args[0]));
      MINERVA_TRY(CallArgs args, eval_args(e, 1));
      return call(fn, args, e.pos);
    }
    case Expr::Kind::kFilter: {
      MINERVA_TRY(Value v, eval(*e.args[0]));
      MINERVA_TRY(CallArgs args, eval_args(e, 1));
      Pos saved = pos;
      pos = e.pos;
      auto r = apply_filter(*this, e.name, v, args);
      pos = saved;
      if (!r.ok()) return error(r.error().message, e.pos);
      return r;
    }
    case Expr::Kind::kTest: {
      MINERVA_TRY(Value v, eval(*e.args[0]));
      MINERVA_TRY(CallArgs args, eval_args(e, 1));
      auto r = apply_test(*this, e.name, v, args);
      if (!r.ok()) return error(r.error().message, e.pos);
      return Value::boolean(e.negated ? !*r : *r);
    }
    case Expr::Kind::kUnary: {
      MINERVA_TRY(Value v, eval(*e.args[0]));
      if (e.name == "not") return Value::boolean(!truthy(v));
      if (v.is_undefined()) return error(undefined_error(v).message, e.pos);
      if (!v.is_number()) {
        return error("TypeError: bad operand type for unary " + e.name + ": '" + type_name(v) + "'", e.pos);
      }
      if (e.name == "+") return v.is_integral() ? Value::integer(v.as_int()) : v;
      if (v.is_integral()) {
        if (v.as_int() == INT64_MIN) return error("OverflowError: integer overflow", e.pos);
        return Value::integer(-v.as_int());
      }
      return Value::number(-v.f);
    }
    case Expr::Kind::kBinary: {
      MINERVA_TRY(Value a, eval(*e.args[0]));
      MINERVA_TRY(Value b, eval(*e.args[1]));
      return eval_binary(e.name, a, b, e.pos);
    }
    case Expr::Kind::kCompare: {
      MINERVA_TRY(Value left, eval(*e.args[0]));
      for (size_t k = 0; k < e.ops.size(); ++k) {
        MINERVA_TRY(Value right, eval(*e.args[k + 1]));
        MINERVA_TRY(bool ok, eval_compare(e.ops[k], left, right, e.pos));
        if (!ok) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case Expr::Kind::kAnd: {
      MINERVA_TRY(Value a, eval(*e.args[0]));
      if (!truthy(a)) return a;
      return eval(*e.args[1]);
    }
    case Expr::Kind::kOr: {
      MINERVA_TRY(Value a, eval(*e.args[0]));
      if (truthy(a)) return a;
      return eval(*e.args[1]);
    }
    case Expr::Kind::kConcat: {
      std::string s;
      for (const auto& a : e.args) {
        MINERVA_TRY(Value v, eval(*a));
        s += to_str(v);
        MINERVA_CHECK(check_size(s.size(), e.pos));
      }
      return Value::string(std::move(s));
    }
    case Expr::Kind::kCond: {
      MINERVA_TRY(Value c, eval(*e.args[0]));
      if (truthy(c)) return eval(*e.args[1]);
      if (e.args[2]) return eval(*e.args[2]);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
    }
  }
  return error("internal error: unknown expression", e.pos);
}

}  // namespace minerva::chat
