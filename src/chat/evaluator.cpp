// Evaluator: statements (output, if, for, set, macro, call, filter blocks) and scoping.
#include <string>

#include "chat/interp.h"

namespace minerva::chat {

Error undefined_error(const Value& v) {
  return make_error("UndefinedError: " + (v.s.empty() ? std::string("value is undefined") : v.s));
}

Error Interp::error(const std::string& msg, Pos p) const {
  if (msg.find(" at line ") != std::string::npos) return make_error(msg);
  return make_error(msg + " at line " + std::to_string(p.line) + ":" + std::to_string(p.col));
}

Status Interp::count_iterations(size_t n, Pos p) {
  iterations += n;
  if (iterations > opts.max_loop_iterations || n > opts.max_loop_iterations) {
    return error("loop iteration limit (" + std::to_string(opts.max_loop_iterations) + ") exceeded", p);
  }
  return Ok{};
}

Status Interp::check_size(size_t bytes, Pos p) const {
  if (bytes > opts.max_output_bytes) {
    return error("output size limit (" + std::to_string(opts.max_output_bytes) + " bytes) exceeded", p);
  }
  return Ok{};
}

Status Interp::write(std::string_view text) {
  written += text.size();
  MINERVA_CHECK(check_size(written, pos));
  out->append(text);
  return Ok{};
}

Result<std::string> Interp::capture(const Body& body) {
  std::string buf;
  std::string* saved = out;
  out = &buf;
  auto flow = exec_body(body);
  out = saved;
  if (!flow.ok()) return flow.error();
  return buf;
}

void Interp::push_scope(int parent) {
  Scope s;
  s.parent = parent == -2 ? static_cast<int>(scopes.size()) - 1 : parent;
  scopes.push_back(std::move(s));
}

Value Interp::lookup(const std::string& name) const {
  int k = static_cast<int>(scopes.size()) - 1;
  while (k >= 0) {
    const auto& vars = scopes[static_cast<size_t>(k)].vars;
    auto it = vars.find(name);
    if (it != vars.end()) return it->second;
    k = scopes[static_cast<size_t>(k)].parent;
  }
  return Value::undefined("'" + name + "' is undefined");
}

void Interp::assign(const std::string& name, Value v) { scopes.back().vars[name] = std::move(v); }

Result<Flow> Interp::exec_body(const Body& body) {
  for (const auto& node : body) {
    MINERVA_TRY(Flow flow, exec(*node));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Status Interp::exec_assign(const Expr& target, const Value& v) {
  if (target.kind == Expr::Kind::kName) {
    assign(target.name, v);
    return Ok{};
  }
  if (target.kind == Expr::Kind::kAttr) {
    Value obj = lookup(target.args[0]->name);
    if (obj.kind != Value::Kind::kNamespace) {
      return error("TemplateRuntimeError: cannot assign attribute on non-namespace object", target.pos);
    }
    bool may_cycle =
        v.kind == Value::Kind::kNamespace || (v.is_list() && v.list->has_ns) || (v.is_dict() && v.dict->has_ns);
    if (may_cycle && reaches(v, obj.dict.get())) {
      return error("TemplateRuntimeError: refusing to create a reference cycle through a namespace", target.pos);
    }
    if (nesting(v) >= kMaxNesting) return error("RecursionError: value nested too deeply", target.pos);
    obj.dict->set(Value::string(target.name), v);
    return Ok{};
  }
  // Tuple unpacking.
  if (!v.is_list()) {
    MINERVA_TRY(std::vector<Value> items, iterate(v));
    return exec_assign(target, Value::new_list(std::move(items), true));
  }
  const auto& items = v.list->items;
  if (items.size() != target.args.size()) {
    return error(std::string("ValueError: ") +
                     (items.size() > target.args.size() ? "too many values to unpack" : "not enough values to unpack") +
                     " (expected " + std::to_string(target.args.size()) + ", got " + std::to_string(items.size()) + ")",
                 target.pos);
  }
  for (size_t k = 0; k < items.size(); ++k) assign(target.args[k]->name, items[k]);
  return Ok{};
}

Value Interp::make_macro(const Node& node, Pos) {
  const Node* n = &node;
  // Macros see the globals and template-level variables; a caller() sees its call site.
  int parent = node.kind == Node::Kind::kCallBlock ? static_cast<int>(scopes.size()) - 1 : 1;
  std::string name = node.kind == Node::Kind::kCallBlock ? "caller" : node.name;
  return Value::callable(name, [n, parent, name](Interp& in, CallArgs& args) -> Result<Value> {
    if (in.call_depth >= in.opts.max_call_depth) {
      return in.error("RecursionError: maximum macro call depth exceeded in '" + name + "'", n->pos);
    }
    if (parent >= static_cast<int>(in.scopes.size())) {
      return in.error("caller() used outside of its call block", n->pos);
    }
    ++in.call_depth;
    in.push_scope(parent);
    size_t k = 0;
    Value varargs = Value::new_list({}, true);
    for (; k < args.pos.size(); ++k) {
      if (k < n->params.size()) {
        in.assign(n->params[k], args.pos[k]);
      } else {
        varargs.list->items.push_back(args.pos[k]);
      }
    }
    Value kwargs = Value::new_dict();
    for (auto& [key, v] : args.kw) {
      bool is_param = false;
      for (const auto& p : n->params) is_param = is_param || p == key;
      if (is_param || key == "caller") {
        in.assign(key, v);
      } else {
        kwargs.dict->set(Value::string(key), v);
      }
    }
    Status st = Ok{};
    for (size_t p = 0; p < n->params.size() && st.ok(); ++p) {
      if (in.scopes.back().vars.count(n->params[p]) != 0) continue;
      if (n->defaults[p]) {
        auto d = in.eval(*n->defaults[p]);
        if (!d.ok()) {
          st = d.error();
          break;
        }
        in.assign(n->params[p], std::move(d).value());
      } else {
        in.assign(n->params[p], Value::undefined("parameter '" + n->params[p] + "' was not provided"));
      }
    }
    in.assign("varargs", varargs);
    in.assign("kwargs", kwargs);
    Result<std::string> body = st.ok() ? in.capture(n->bodies[0]) : Result<std::string>(st.error());
    in.pop_scope();
    --in.call_depth;
    if (!body.ok()) return body.error();
    return Value::string(std::move(body).value());
  });
}

Result<Flow> Interp::exec_for(const Node& node) {
  MINERVA_TRY(Value seq, eval(*node.exprs[1]));
  auto items_r = iterate(seq);
  if (!items_r.ok()) return error(items_r.error().message, node.exprs[1]->pos);
  std::vector<Value> items = std::move(items_r).value();
  push_scope();
  if (node.exprs.size() > 2) {
    std::vector<Value> kept;
    for (auto& item : items) {
      Status st = exec_assign(*node.exprs[0], item);
      if (!st.ok()) {
        pop_scope();
        return st.error();
      }
      auto keep = eval(*node.exprs[2]);
      if (!keep.ok()) {
        pop_scope();
        return keep.error();
      }
      if (truthy(*keep)) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  Status counted = count_iterations(items.size(), node.pos);
  if (!counted.ok()) {
    pop_scope();
    return counted.error();
  }
  const auto n = static_cast<int64_t>(items.size());
  for (int64_t k = 0; k < n; ++k) {
    Value loop = Value::new_dict();
    auto set = [&](const char* key, Value v) { loop.dict->items.emplace_back(Value::string(key), std::move(v)); };
    set("index", Value::integer(k + 1));
    set("index0", Value::integer(k));
    set("revindex", Value::integer(n - k));
    set("revindex0", Value::integer(n - k - 1));
    set("first", Value::boolean(k == 0));
    set("last", Value::boolean(k == n - 1));
    set("length", Value::integer(n));
    set("depth", Value::integer(1));
    set("depth0", Value::integer(0));
    set("previtem", k > 0 ? items[static_cast<size_t>(k - 1)] : Value::undefined("there is no previous item"));
    set("nextitem", k + 1 < n ? items[static_cast<size_t>(k + 1)] : Value::undefined("there is no next item"));
    set("cycle", Value::callable("cycle", [k](Interp& in, CallArgs& args) -> Result<Value> {
          if (args.pos.empty()) return in.error("TypeError: no items for cycling given", in.pos);
          return args.pos[static_cast<size_t>(k) % args.pos.size()];
        }));
    Status st = exec_assign(*node.exprs[0], items[static_cast<size_t>(k)]);
    if (!st.ok()) {
      pop_scope();
      return st.error();
    }
    assign("loop", loop);
    auto flow = exec_body(node.bodies[0]);
    if (!flow.ok()) {
      pop_scope();
      return flow.error();
    }
    if (*flow == Flow::kBreak) break;
  }
  pop_scope();
  if (n == 0 && node.bodies.size() > 1) return exec_body(node.bodies[1]);
  return Flow::kNormal;
}

Result<Flow> Interp::exec(const Node& node) {
  pos = node.pos;
  switch (node.kind) {
    case Node::Kind::kText:
      MINERVA_CHECK(write(node.text));
      return Flow::kNormal;
    case Node::Kind::kOutput: {
      MINERVA_TRY(Value v, eval(*node.exprs[0]));
      if (v.is_string()) {
        MINERVA_CHECK(write(v.s));
      } else {
        MINERVA_CHECK(write(to_str(v)));
      }
      return Flow::kNormal;
    }
    case Node::Kind::kIf:
      for (size_t k = 0; k < node.bodies.size(); ++k) {
        if (k < node.exprs.size()) {
          MINERVA_TRY(Value cond, eval(*node.exprs[k]));
          if (!truthy(cond)) continue;
        }
        return exec_body(node.bodies[k]);
      }
      return Flow::kNormal;
    case Node::Kind::kFor:
      return exec_for(node);
    case Node::Kind::kSet: {
      MINERVA_TRY(Value v, eval(*node.exprs[1]));
      MINERVA_CHECK(exec_assign(*node.exprs[0], v));
      return Flow::kNormal;
    }
    case Node::Kind::kSetBlock: {
      MINERVA_TRY(std::string body, capture(node.bodies[0]));
      Value v = Value::string(std::move(body));
      if (node.exprs.size() > 1) {
        placeholder = v;
        MINERVA_TRY(v, eval(*node.exprs[1]));
      }
      MINERVA_CHECK(exec_assign(*node.exprs[0], v));
      return Flow::kNormal;
    }
    case Node::Kind::kFilterBlock: {
      MINERVA_TRY(std::string body, capture(node.bodies[0]));
      placeholder = Value::string(std::move(body));
      MINERVA_TRY(Value v, eval(*node.exprs[0]));
      MINERVA_CHECK(write(to_str(v)));
      return Flow::kNormal;
    }
    case Node::Kind::kMacro:
      assign(node.name, make_macro(node, node.pos));
      return Flow::kNormal;
    case Node::Kind::kCallBlock: {
      const Expr& call_expr = *node.exprs[0];
      MINERVA_TRY(Value fn, eval(*call_expr.args[0]));
      MINERVA_TRY(CallArgs args, eval_args(call_expr, 1));
      args.kw.emplace_back("caller", make_macro(node, node.pos));
      MINERVA_TRY(Value v, call(fn, args, call_expr.pos));
      MINERVA_CHECK(write(to_str(v)));
      return Flow::kNormal;
    }
    case Node::Kind::kWith: {
      std::vector<Value> values;
      for (const auto& e : node.exprs) {
        MINERVA_TRY(Value v, eval(*e));
        values.push_back(std::move(v));
      }
      push_scope();
      for (size_t k = 0; k < values.size(); ++k) assign(node.params[k], values[k]);
      auto flow = exec_body(node.bodies[0]);
      pop_scope();
      return flow;
    }
    case Node::Kind::kBreak:
      return Flow::kBreak;
    case Node::Kind::kContinue:
      return Flow::kContinue;
    case Node::Kind::kDo: {
      MINERVA_TRY(Value v, eval(*node.exprs[0]));
      (void)v;
      return Flow::kNormal;
    }
    case Node::Kind::kScope:
      return exec_body(node.bodies[0]);
  }
  return Flow::kNormal;
}

}  // namespace minerva::chat
