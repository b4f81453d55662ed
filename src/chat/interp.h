// The evaluator's state, shared by statements, expressions, filters, tests and builtins.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "chat/ast.h"
#include "chat/template.h"
#include "chat/value.h"

namespace minerva::chat {

enum class Flow { kNormal, kBreak, kContinue };

class Interp {
 public:
  explicit Interp(const RenderOptions& options) : opts(options) {}

  // Statements.
  Result<Flow> exec_body(const Body& body);
  Result<Flow> exec(const Node& node);
  // Expressions.
  Result<Value> eval(const Expr& e);
  Result<Value> call(const Value& fn, CallArgs& args, Pos pos);

  // Output.
  Status write(std::string_view text);
  Result<std::string> capture(const Body& body);

  // Variables.
  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value v);
  // A new innermost scope whose lookups continue in scope `parent` (default: the current one).
  void push_scope(int parent = -2);
  void pop_scope() { scopes.pop_back(); }

  Error error(const std::string& msg, Pos pos) const;
  Status count_iterations(size_t n, Pos pos);
  Status check_size(size_t bytes, Pos pos) const;

  const RenderOptions& opts;
  struct Scope {
    std::unordered_map<std::string, Value> vars;
    int parent = -1;
  };
  std::vector<Scope> scopes;  // [0]: globals and context, [1]: template level, then loops and macros
  std::string* out = nullptr;
  size_t written = 0;
  size_t iterations = 0;
  int call_depth = 0;
  int eval_depth = 0;  // nested expression evaluations, across macro calls
  static constexpr int kMaxEvalDepth = 1000;
  Value placeholder;  // the body of the current {% filter %} / {% set %} block
  Pos pos;            // position of the expression being evaluated, for errors in builtins

 private:
  Result<Flow> exec_for(const Node& node);
  Result<Value> eval_inner(const Expr& e);
  Status exec_assign(const Expr& target, const Value& v);
  Value make_macro(const Node& node, Pos pos);
  Result<Value> eval_attr(const Value& obj, const std::string& name, Pos pos);
  Result<Value> eval_item(const Value& obj, const Value& key, Pos pos);
  Result<Value> eval_slice(const Expr& e);
  Result<Value> eval_binary(const std::string& op, const Value& a, const Value& b, Pos pos);
  Result<bool> eval_compare(const std::string& op, const Value& a, const Value& b, Pos pos);
  Result<CallArgs> eval_args(const Expr& e, size_t first);
};

// Undefined that raises when used: the Jinja2 error for it.
Error undefined_error(const Value& v);

// filters.cpp
Result<Value> apply_filter(Interp& in, const std::string& name, const Value& v, CallArgs& args);
// jinja_tests.cpp
Result<bool> apply_test(Interp& in, const std::string& name, const Value& v, CallArgs& args);
// builtins.cpp: methods on str/list/dict values and global functions.
Result<Value> get_method(Interp& in, const Value& obj, const std::string& name, bool* found);
void install_globals(Interp& in);
// format.cpp: Python `fmt % args` (args a tuple, a mapping or one value).
Result<std::string> percent_format(const std::string& fmt, const Value& args);
// case.cpp: Python's str case methods for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
std::string py_upper(const std::string& s);
std::string py_lower(const std::string& s);
std::string py_title(const std::string& s);       // str.title()
std::string py_capitalize(const std::string& s);  // str.capitalize()
std::string jinja_title(const std::string& s);    // the `title` filter: words start after space - ( { [ <
bool py_islower(const std::string& s);
bool py_isupper(const std::string& s);

// Argument helpers for builtins: positional index or keyword name, else a default.
const Value* arg(const CallArgs& args, size_t index, const char* name);
Result<std::vector<Value>> iterate(const Value& v);  // Python iter(): list items, dict keys, string chars
Result<size_t> length(const Value& v);

}  // namespace minerva::chat
