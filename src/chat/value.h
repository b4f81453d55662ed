// Jinja runtime values: a small variant with Python semantics (truthiness, str/repr, ==, <).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace minerva::chat {

class Interp;
struct Value;

// Positional and keyword arguments of a call.
struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

using NativeFn = std::function<Result<Value>(Interp&, CallArgs&)>;

struct Callable {
  std::string name;
  NativeFn fn;
};

struct ListData;
struct DictData;

struct Value {
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kCallable, kNamespace };

  Kind kind = Kind::kUndefined;
  bool b = false;  // bool payload; for strings: "safe" (Jinja2 Markup)
  int64_t i = 0;
  double f = 0;
  std::string s;  // string payload; for undefined the reason ("'x' is undefined")
  std::shared_ptr<ListData> list;
  std::shared_ptr<DictData> dict;  // dicts and namespaces
  std::shared_ptr<Callable> fn;

  static Value undefined(std::string reason = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value number(double v);
  static Value string(std::string v);
  static Value markup(std::string v);  // a Markup string: `+` with it escapes plain strings
  static Value new_list(std::vector<Value> items = {}, bool tuple = false);
  static Value generator(std::vector<Value> items);
  static Value new_dict();
  static Value new_namespace();
  static Value callable(std::string name, NativeFn fn);

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_none() const { return kind == Kind::kNone; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_markup() const { return kind == Kind::kString && b; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_generator() const;
  bool is_dict() const { return kind == Kind::kDict; }
  bool is_mapping() const { return kind == Kind::kDict || kind == Kind::kNamespace; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  bool is_integral() const { return kind == Kind::kInt || kind == Kind::kBool; }
  double as_double() const;
  int64_t as_int() const { return kind == Kind::kBool ? (b ? 1 : 0) : i; }
};

// Containers remember their nesting depth and whether a namespace sits inside them, so that
// runaway nesting and reference cycles can be refused cheaply.
struct ListData {
  std::vector<Value> items;
  bool tuple = false;
  bool generator = false;  // a lazy Jinja2 filter result: always true, no len(), not JSON
  std::string lazy_error;  // for a generator over a non-iterable: raised when iterated
  int depth = 1;
  bool has_ns = false;
};

// An insertion-ordered dict; keys compare with Python ==.
struct DictData {
  std::vector<std::pair<Value, Value>> items;
  int depth = 1;
  bool has_ns = false;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  void set(const Value& key, Value value);
};

// Nesting depth limit for containers built or converted at run time.
inline constexpr int kMaxNesting = 512;

// Updates a container's depth/has_ns bookkeeping for a new child.
void note_child(int& depth, bool& has_ns, const Value& child);
int nesting(const Value& v);  // 0 for scalars
// Whether `v` reaches the container `target` (a ListData or DictData); true when too deep to tell.
bool reaches(const Value& v, const void* target, int depth = 0);

bool truthy(const Value& v);
// Python str(): strings as they are, containers as repr.
std::string to_str(const Value& v);
std::string repr(const Value& v);
std::string type_name(const Value& v);  // Python type names: 'str', 'list', 'dict', 'NoneType', ...
std::string format_float(double d);     // Python repr of a float
bool equals(const Value& a, const Value& b, int depth = 0);
// Python ordering for <, >; error for unorderable types.
Result<int> compare(const Value& a, const Value& b, int depth = 0);

Result<Value> from_json(const nlohmann::ordered_json& j, int depth = 0);

struct JsonOptions {
  int indent = -1;  // < 0: single line
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
// Python json.dumps.
Result<std::string> to_json(const Value& v, const JsonOptions& opts);

// HTML escaping as markupsafe.escape: & < > " '.
std::string html_escape(const std::string& s);

// UTF-8 helpers: strings index and measure in code points, as Python's str does.
std::vector<std::string_view> utf8_chars(std::string_view s);
size_t utf8_length(std::string_view s);
void append_utf8(std::string& out, uint32_t cp);

}  // namespace minerva::chat
