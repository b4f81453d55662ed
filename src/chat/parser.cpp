// Parser: tokens to an AST with Jinja2's grammar and operator precedence.
#include <algorithm>
#include <string>

#include "chat/ast.h"

namespace minerva::chat {
namespace {

constexpr int kMaxParseDepth = 200;

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<Body> parse_template() {
    std::string stop;
    MINERVA_TRY(Body body, parse_body({}, &stop));
    return body;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return t_[std::min(p_ + ahead, t_.size() - 1)]; }
  const Token& next() {
    const Token& tok = t_[p_];
    if (p_ + 1 < t_.size()) ++p_;
    return tok;
  }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kOp && peek(ahead).text == op;
  }
  bool is_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kName && peek(ahead).text == name;
  }
  Error err(const Token& tok, const std::string& msg) const {
    return make_error("TemplateSyntaxError: " + msg + " at line " + std::to_string(tok.pos.line) + ":" +
                      std::to_string(tok.pos.col));
  }
  Status expect_op(const char* op) {
    if (!is_op(op)) return err(peek(), std::string("expected '") + op + "'" + got());
    next();
    return Ok{};
  }
  Status expect_block_end() {
    if (peek().kind != Token::Kind::kBlockEnd) return err(peek(), "expected end of statement block" + got());
    next();
    return Ok{};
  }
  std::string got() const {
    const Token& tok = peek();
    switch (tok.kind) {
      case Token::Kind::kEof:
        return ", got end of template";
      case Token::Kind::kBlockEnd:
        return ", got '%}'";
      case Token::Kind::kVarEnd:
        return ", got '}}'";
      default:
        return ", got '" + tok.text + "'";
    }
  }
  Result<std::string> expect_name() {
    if (peek().kind != Token::Kind::kName) return err(peek(), "expected a name" + got());
    return next().text;
  }

  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    int& depth;
  };
  // Records an expression's depth from its children and refuses trees too deep to evaluate.
  Status seal(Expr& e) const {
    int d = 0;
    for (const auto& a : e.args) {
      if (a) d = std::max(d, a->depth);
    }
    for (const auto& kv : e.kwargs) d = std::max(d, kv.second->depth);
    e.depth = d + 1;
    if (e.depth > kMaxParseDepth) return err(peek(), "expression nested too deeply");
    return Ok{};
  }

  Status check_depth() const {
    if (depth_ > kMaxParseDepth) return err(peek(), "template nested too deeply");
    return Ok{};
  }

  // Parses nodes until a block tag whose keyword is in `stops`; leaves the parser just after
  // that keyword and stores it in *stop. With no stops, parses to the end.
  Result<Body> parse_body(const std::vector<std::string>& stops, std::string* stop) {
    DepthGuard guard(depth_);
    MINERVA_CHECK(check_depth());
    Body body;
    while (true) {
      const Token& tok = peek();
      if (tok.kind == Token::Kind::kEof) {
        if (!stops.empty()) return err(tok, "unexpected end of template, expected '" + stops.back() + "'");
        return body;
      }
      if (tok.kind == Token::Kind::kText) {
        auto node = std::make_unique<Node>(Node::Kind::kText, tok.pos);
        node->text = tok.text;
        body.push_back(std::move(node));
        next();
      } else if (tok.kind == Token::Kind::kVarBegin) {
        next();
        auto node = std::make_unique<Node>(Node::Kind::kOutput, tok.pos);
        MINERVA_TRY(ExprPtr e, parse_expr());
        node->exprs.push_back(std::move(e));
        if (peek().kind != Token::Kind::kVarEnd) return err(peek(), "expected '}}'" + got());
        next();
        body.push_back(std::move(node));
      } else if (tok.kind == Token::Kind::kBlockBegin) {
        const Token& kw = peek(1);
        if (kw.kind != Token::Kind::kName) return err(kw, "expected a statement name" + got());
        for (const auto& s : stops) {
          if (kw.text == s) {
            next();
            next();
            *stop = s;
            return body;
          }
        }
        next();
        MINERVA_TRY(NodePtr node, parse_statement());
        if (node) body.push_back(std::move(node));
      } else {
        return err(tok, "unexpected token" + got());
      }
    }
  }

  Result<NodePtr> parse_statement() {
    const Token& kw = next();
    const std::string& k = kw.text;
    if (k == "if") return parse_if(kw);
    if (k == "for") return parse_for(kw);
    if (k == "set") return parse_set(kw);
    if (k == "macro") return parse_macro(kw);
    if (k == "call") return parse_call_block(kw);
    if (k == "filter") return parse_filter_block(kw);
    if (k == "with") return parse_with(kw);
    if (k == "break" || k == "continue") {
      if (loop_depth_ == 0) return err(kw, "'" + k + "' outside of a loop");
      MINERVA_CHECK(expect_block_end());
      return std::make_unique<Node>(k == "break" ? Node::Kind::kBreak : Node::Kind::kContinue, kw.pos);
    }
    if (k == "do") {
      auto node = std::make_unique<Node>(Node::Kind::kDo, kw.pos);
      MINERVA_TRY(ExprPtr e, parse_expr());
      node->exprs.push_back(std::move(e));
      MINERVA_CHECK(expect_block_end());
      return node;
    }
    if (k == "generation") {
      MINERVA_CHECK(expect_block_end());
      auto node = std::make_unique<Node>(Node::Kind::kScope, kw.pos);
      std::string stop;
      MINERVA_TRY(Body body, parse_body({"endgeneration"}, &stop));
      MINERVA_CHECK(expect_block_end());
      node->bodies.push_back(std::move(body));
      return node;
    }
    return err(kw, "unknown tag '" + k + "'");
  }

  Result<NodePtr> parse_if(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kIf, kw.pos);
    while (true) {
      MINERVA_TRY(ExprPtr cond, parse_tuple_or_expr(/*no_cond=*/true));  // Jinja: no inline if here
      MINERVA_CHECK(expect_block_end());
      node->exprs.push_back(std::move(cond));
      std::string stop;
      MINERVA_TRY(Body body, parse_body({"elif", "else", "endif"}, &stop));
      node->bodies.push_back(std::move(body));
      if (stop == "elif") continue;
      if (stop == "else") {
        MINERVA_CHECK(expect_block_end());
        MINERVA_TRY(Body else_body, parse_body({"endif"}, &stop));
        node->bodies.push_back(std::move(else_body));
      }
      MINERVA_CHECK(expect_block_end());
      return node;
    }
  }

  Result<ExprPtr> parse_assign_target() {
    Pos p = peek().pos;
    MINERVA_TRY(std::string first, expect_name());
    if (is_op(".")) {
      next();
      MINERVA_TRY(std::string attr, expect_name());
      auto obj = std::make_unique<Expr>(Expr::Kind::kName, p);
      obj->name = first;
      auto e = std::make_unique<Expr>(Expr::Kind::kAttr, p);
      e->name = attr;
      e->args.push_back(std::move(obj));
      return e;
    }
    auto name = std::make_unique<Expr>(Expr::Kind::kName, p);
    name->name = first;
    if (!is_op(",")) return name;
    auto tuple = std::make_unique<Expr>(Expr::Kind::kTuple, p);
    tuple->args.push_back(std::move(name));
    while (is_op(",")) {
      next();
      if (peek().kind != Token::Kind::kName || is_name("in")) break;
      auto n = std::make_unique<Expr>(Expr::Kind::kName, peek().pos);
      n->name = next().text;
      tuple->args.push_back(std::move(n));
    }
    return tuple;
  }

  Result<NodePtr> parse_for(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kFor, kw.pos);
    bool paren = is_op("(");
    if (paren) next();
    MINERVA_TRY(ExprPtr target, parse_assign_target());
    if (target->kind == Expr::Kind::kAttr) return err(kw, "cannot assign to an attribute in a for loop");
    if (paren) MINERVA_CHECK(expect_op(")"));
    if (!is_name("in")) return err(peek(), "expected 'in'" + got());
    next();
    MINERVA_TRY(ExprPtr iter, parse_tuple_or_expr(/*no_cond=*/true));
    node->exprs.push_back(std::move(target));
    node->exprs.push_back(std::move(iter));
    if (is_name("if")) {
      next();
      MINERVA_TRY(ExprPtr filter, parse_expr());
      node->exprs.push_back(std::move(filter));
    }
    if (is_name("recursive")) return err(peek(), "recursive for loops are not supported");
    MINERVA_CHECK(expect_block_end());
    ++loop_depth_;
    std::string stop;
    auto body = parse_body({"else", "endfor"}, &stop);
    --loop_depth_;
    if (!body.ok()) return body.error();
    node->bodies.push_back(std::move(body).value());
    if (stop == "else") {
      MINERVA_CHECK(expect_block_end());
      int saved = loop_depth_;
      loop_depth_ = 0;
      auto else_body = parse_body({"endfor"}, &stop);
      loop_depth_ = saved;
      if (!else_body.ok()) return else_body.error();
      node->bodies.push_back(std::move(else_body).value());
    }
    MINERVA_CHECK(expect_block_end());
    return node;
  }

  Result<NodePtr> parse_set(const Token& kw) {
    MINERVA_TRY(ExprPtr target, parse_assign_target());
    if (is_op("=")) {
      next();
      auto node = std::make_unique<Node>(Node::Kind::kSet, kw.pos);
      MINERVA_TRY(ExprPtr value, parse_tuple_or_expr());
      node->exprs.push_back(std::move(target));
      node->exprs.push_back(std::move(value));
      MINERVA_CHECK(expect_block_end());
      return node;
    }
    auto node = std::make_unique<Node>(Node::Kind::kSetBlock, kw.pos);
    node->exprs.push_back(std::move(target));
    if (is_op("|")) {
      auto placeholder = std::make_unique<Expr>(Expr::Kind::kPlaceholder, kw.pos);
      MINERVA_TRY(ExprPtr filters, parse_filters(std::move(placeholder)));
      node->exprs.push_back(std::move(filters));
    }
    MINERVA_CHECK(expect_block_end());
    std::string stop;
    MINERVA_TRY(Body body, parse_body({"endset"}, &stop));
    MINERVA_CHECK(expect_block_end());
    node->bodies.push_back(std::move(body));
    return node;
  }

  Status parse_params(Node& node) {
    MINERVA_CHECK(expect_op("("));
    while (!is_op(")")) {
      if (!node.params.empty()) MINERVA_CHECK(expect_op(","));
      if (is_op(")")) break;
      MINERVA_TRY(std::string name, expect_name());
      node.params.push_back(name);
      if (is_op("=")) {
        next();
        MINERVA_TRY(ExprPtr def, parse_expr());
        node.defaults.push_back(std::move(def));
      } else {
        node.defaults.push_back(nullptr);
      }
    }
    next();
    return Ok{};
  }

  Result<NodePtr> parse_macro(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kMacro, kw.pos);
    MINERVA_TRY(node->name, expect_name());
    MINERVA_CHECK(parse_params(*node));
    MINERVA_CHECK(expect_block_end());
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string stop;
    auto body = parse_body({"endmacro"}, &stop);
    loop_depth_ = saved;
    if (!body.ok()) return body.error();
    if (peek().kind == Token::Kind::kName) next();  // {% endmacro name %}
    MINERVA_CHECK(expect_block_end());
    node->bodies.push_back(std::move(body).value());
    return node;
  }

  Result<NodePtr> parse_call_block(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kCallBlock, kw.pos);
    if (is_op("(")) MINERVA_CHECK(parse_params(*node));
    MINERVA_TRY(ExprPtr call, parse_expr());
    if (call->kind != Expr::Kind::kCall) return err(kw, "expected a call in {% call %}");
    node->exprs.push_back(std::move(call));
    MINERVA_CHECK(expect_block_end());
    std::string stop;
    MINERVA_TRY(Body body, parse_body({"endcall"}, &stop));
    MINERVA_CHECK(expect_block_end());
    node->bodies.push_back(std::move(body));
    return node;
  }

  Result<NodePtr> parse_filter_block(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kFilterBlock, kw.pos);
    auto placeholder = std::make_unique<Expr>(Expr::Kind::kPlaceholder, kw.pos);
    MINERVA_TRY(ExprPtr chain, parse_filter_chain(std::move(placeholder), /*first_has_pipe=*/false));
    node->exprs.push_back(std::move(chain));
    MINERVA_CHECK(expect_block_end());
    std::string stop;
    MINERVA_TRY(Body body, parse_body({"endfilter"}, &stop));
    MINERVA_CHECK(expect_block_end());
    node->bodies.push_back(std::move(body));
    return node;
  }

  Result<NodePtr> parse_with(const Token& kw) {
    auto node = std::make_unique<Node>(Node::Kind::kWith, kw.pos);
    while (peek().kind != Token::Kind::kBlockEnd) {
      if (!node->params.empty()) MINERVA_CHECK(expect_op(","));
      MINERVA_TRY(std::string name, expect_name());
      MINERVA_CHECK(expect_op("="));
      MINERVA_TRY(ExprPtr value, parse_expr());
      node->params.push_back(name);
      node->exprs.push_back(std::move(value));
    }
    next();
    std::string stop;
    MINERVA_TRY(Body body, parse_body({"endwith"}, &stop));
    MINERVA_CHECK(expect_block_end());
    node->bodies.push_back(std::move(body));
    return node;
  }

  // ---- expressions ----

  Result<ExprPtr> parse_tuple_or_expr(bool no_cond = false) {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr first, no_cond ? parse_or() : parse_expr());
    if (!is_op(",")) return first;
    auto tuple = std::make_unique<Expr>(Expr::Kind::kTuple, p);
    tuple->args.push_back(std::move(first));
    while (is_op(",")) {
      next();
      if (peek().kind == Token::Kind::kBlockEnd || peek().kind == Token::Kind::kVarEnd || is_name("if")) break;
      MINERVA_TRY(ExprPtr e, no_cond ? parse_or() : parse_expr());
      tuple->args.push_back(std::move(e));
    }
    MINERVA_CHECK(seal(*tuple));
    return tuple;
  }

  Result<ExprPtr> parse_expr() {
    DepthGuard guard(depth_);
    MINERVA_CHECK(check_depth());
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_or());
    while (is_name("if")) {
      next();
      auto cond = std::make_unique<Expr>(Expr::Kind::kCond, p);
      MINERVA_TRY(ExprPtr test, parse_or());
      cond->args.push_back(std::move(test));
      cond->args.push_back(std::move(e));
      if (is_name("else")) {
        next();
        MINERVA_TRY(ExprPtr other, parse_expr());
        cond->args.push_back(std::move(other));
      } else {
        cond->args.push_back(nullptr);
      }
      e = std::move(cond);
      MINERVA_CHECK(seal(*e));
    }
    return e;
  }

  Result<ExprPtr> binary(Expr::Kind kind, Pos p, ExprPtr a, ExprPtr b, std::string op = {}) {
    auto e = std::make_unique<Expr>(kind, p);
    e->name = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    MINERVA_CHECK(seal(*e));
    return e;
  }

  Result<ExprPtr> parse_or() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_and());
    while (is_name("or")) {
      next();
      MINERVA_TRY(ExprPtr r, parse_and());
      MINERVA_TRY(e, binary(Expr::Kind::kOr, p, std::move(e), std::move(r)));
    }
    return e;
  }

  Result<ExprPtr> parse_and() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_not());
    while (is_name("and")) {
      next();
      MINERVA_TRY(ExprPtr r, parse_not());
      MINERVA_TRY(e, binary(Expr::Kind::kAnd, p, std::move(e), std::move(r)));
    }
    return e;
  }

  Result<ExprPtr> parse_not() {
    if (is_name("not")) {
      DepthGuard guard(depth_);
      MINERVA_CHECK(check_depth());
      Pos p = next().pos;
      MINERVA_TRY(ExprPtr inner, parse_not());
      auto e = std::make_unique<Expr>(Expr::Kind::kUnary, p);
      e->name = "not";
      e->args.push_back(std::move(inner));
      MINERVA_CHECK(seal(*e));
      return e;
    }
    return parse_compare();
  }

  Result<ExprPtr> parse_compare() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr first, parse_math1());
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (peek().kind == Token::Kind::kOp && (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
                                              peek().text == ">" || peek().text == "<=" || peek().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = std::make_unique<Expr>(Expr::Kind::kCompare, p);
        cmp->args.push_back(std::move(first));
      }
      MINERVA_TRY(ExprPtr r, parse_math1());
      cmp->ops.push_back(op);
      cmp->args.push_back(std::move(r));
    }
    if (!cmp) return first;
    MINERVA_CHECK(seal(*cmp));
    return cmp;
  }

  Result<ExprPtr> parse_math1() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_concat());
    while (is_op("+") || is_op("-")) {
      std::string op = next().text;
      MINERVA_TRY(ExprPtr r, parse_concat());
      MINERVA_TRY(e, binary(Expr::Kind::kBinary, p, std::move(e), std::move(r), op));
    }
    return e;
  }

  Result<ExprPtr> parse_concat() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_math2());
    if (!is_op("~")) return e;
    auto cat = std::make_unique<Expr>(Expr::Kind::kConcat, p);
    cat->args.push_back(std::move(e));
    while (is_op("~")) {
      next();
      MINERVA_TRY(ExprPtr r, parse_math2());
      cat->args.push_back(std::move(r));
    }
    MINERVA_CHECK(seal(*cat));
    return cat;
  }

  Result<ExprPtr> parse_math2() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_pow());
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = next().text;
      MINERVA_TRY(ExprPtr r, parse_pow());
      MINERVA_TRY(e, binary(Expr::Kind::kBinary, p, std::move(e), std::move(r), op));
    }
    return e;
  }

  Result<ExprPtr> parse_pow() {
    Pos p = peek().pos;
    MINERVA_TRY(ExprPtr e, parse_unary(true));
    while (is_op("**")) {
      next();
      MINERVA_TRY(ExprPtr r, parse_unary(true));
      MINERVA_TRY(e, binary(Expr::Kind::kBinary, p, std::move(e), std::move(r), "**"));
    }
    return e;
  }

  Result<ExprPtr> parse_unary(bool with_filter) {
    DepthGuard guard(depth_);
    MINERVA_CHECK(check_depth());
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token& tok = next();
      MINERVA_TRY(ExprPtr inner, parse_unary(false));
      e = std::make_unique<Expr>(Expr::Kind::kUnary, tok.pos);
      e->name = tok.text;
      e->args.push_back(std::move(inner));
      MINERVA_CHECK(seal(*e));
    } else {
      MINERVA_TRY(e, parse_primary());
    }
    MINERVA_TRY(e, parse_postfix(std::move(e)));
    if (with_filter) return parse_filters(std::move(e));
    return e;
  }

  Result<ExprPtr> parse_primary() {
    const Token& tok = peek();
    switch (tok.kind) {
      case Token::Kind::kName: {
        next();
        auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, tok.pos);
        const std::string& n = tok.text;
        if (n == "true" || n == "True") {
          e->literal = Value::boolean(true);
        } else if (n == "false" || n == "False") {
          e->literal = Value::boolean(false);
        } else if (n == "none" || n == "None") {
          e->literal = Value::none();
        } else {
          e->kind = Expr::Kind::kName;
          e->name = n;
        }
        return e;
      }
      case Token::Kind::kString: {
        std::string s;
        while (peek().kind == Token::Kind::kString) s += next().text;
        auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, tok.pos);
        e->literal = Value::string(std::move(s));
        return e;
      }
      case Token::Kind::kInt:
      case Token::Kind::kFloat: {
        next();
        auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, tok.pos);
        e->literal = tok.kind == Token::Kind::kInt ? Value::integer(tok.int_value) : Value::number(tok.float_value);
        return e;
      }
      case Token::Kind::kOp:
        if (tok.text == "(") {
          next();
          if (is_op(")")) {
            next();
            return std::make_unique<Expr>(Expr::Kind::kTuple, tok.pos);
          }
          MINERVA_TRY(ExprPtr e, parse_expr());
          if (is_op(",")) {
            auto tuple = std::make_unique<Expr>(Expr::Kind::kTuple, tok.pos);
            tuple->args.push_back(std::move(e));
            while (is_op(",")) {
              next();
              if (is_op(")")) break;
              MINERVA_TRY(ExprPtr item, parse_expr());
              tuple->args.push_back(std::move(item));
            }
            e = std::move(tuple);
            MINERVA_CHECK(seal(*e));
          }
          MINERVA_CHECK(expect_op(")"));
          return e;
        }
        if (tok.text == "[") {
          next();
          auto list = std::make_unique<Expr>(Expr::Kind::kList, tok.pos);
          while (!is_op("]")) {
            if (!list->args.empty()) MINERVA_CHECK(expect_op(","));
            if (is_op("]")) break;
            MINERVA_TRY(ExprPtr item, parse_expr());
            list->args.push_back(std::move(item));
          }
          next();
          MINERVA_CHECK(seal(*list));
          return list;
        }
        if (tok.text == "{") {
          next();
          auto dict = std::make_unique<Expr>(Expr::Kind::kDict, tok.pos);
          while (!is_op("}")) {
            if (!dict->args.empty()) MINERVA_CHECK(expect_op(","));
            if (is_op("}")) break;
            MINERVA_TRY(ExprPtr key, parse_expr());
            MINERVA_CHECK(expect_op(":"));
            MINERVA_TRY(ExprPtr value, parse_expr());
            dict->args.push_back(std::move(key));
            dict->args.push_back(std::move(value));
          }
          next();
          MINERVA_CHECK(seal(*dict));
          return dict;
        }
        break;
      default:
        break;
    }
    return err(tok, "unexpected token" + got());
  }

  Status parse_call_args(Expr& call) {
    MINERVA_CHECK(expect_op("("));
    bool first = true;
    while (!is_op(")")) {
      if (!first) MINERVA_CHECK(expect_op(","));
      first = false;
      if (is_op(")")) break;
      if (peek().kind == Token::Kind::kName && is_op("=", 1)) {
        std::string name = next().text;
        next();
        MINERVA_TRY(ExprPtr value, parse_expr());
        call.kwargs.emplace_back(name, std::move(value));
      } else {
        if (!call.kwargs.empty()) return err(peek(), "positional argument after keyword argument");
        MINERVA_TRY(ExprPtr value, parse_expr());
        call.args.push_back(std::move(value));
      }
    }
    next();
    return Ok{};
  }

  Result<ExprPtr> parse_postfix(ExprPtr e) {
    int chain = 0;
    while (true) {
      if (++chain > kMaxParseDepth) return err(peek(), "expression too long");
      const Token& tok = peek();
      if (is_op(".")) {
        next();
        if (peek().kind == Token::Kind::kInt) {
          auto item = std::make_unique<Expr>(Expr::Kind::kItem, tok.pos);
          auto idx = std::make_unique<Expr>(Expr::Kind::kLiteral, peek().pos);
          idx->literal = Value::integer(next().int_value);
          item->args.push_back(std::move(e));
          item->args.push_back(std::move(idx));
          e = std::move(item);
          MINERVA_CHECK(seal(*e));
          continue;
        }
        MINERVA_TRY(std::string name, expect_name());
        auto attr = std::make_unique<Expr>(Expr::Kind::kAttr, tok.pos);
        attr->name = name;
        attr->args.push_back(std::move(e));
        e = std::move(attr);
        MINERVA_CHECK(seal(*e));
      } else if (is_op("[")) {
        next();
        ExprPtr parts[3];
        bool slice = false;
        for (int k = 0; k < 3; ++k) {
          if (!is_op(":") && !is_op("]")) {
            MINERVA_TRY(parts[k], parse_expr());
          }
          if (k < 2 && is_op(":")) {
            next();
            slice = true;
          } else {
            break;
          }
        }
        if (!slice && (is_op(",") || !parts[0])) {
          // Jinja2: x[a, b] subscripts with the tuple (a, b); x[] with ().
          auto key = std::make_unique<Expr>(Expr::Kind::kTuple, tok.pos);
          if (parts[0]) key->args.push_back(std::move(parts[0]));
          while (is_op(",")) {
            next();
            if (is_op("]")) break;
            MINERVA_TRY(ExprPtr more, parse_expr());
            key->args.push_back(std::move(more));
          }
          if (key->args.size() == 1 && !is_op("]")) return err(peek(), "expected ']'" + got());
          MINERVA_CHECK(seal(*key));
          parts[0] = std::move(key);
        }
        MINERVA_CHECK(expect_op("]"));
        auto item = std::make_unique<Expr>(slice ? Expr::Kind::kSlice : Expr::Kind::kItem, tok.pos);
        item->args.push_back(std::move(e));
        item->args.push_back(std::move(parts[0]));
        if (slice) {
          item->args.push_back(std::move(parts[1]));
          item->args.push_back(std::move(parts[2]));
        }
        e = std::move(item);
        MINERVA_CHECK(seal(*e));
      } else if (is_op("(")) {
        auto call = std::make_unique<Expr>(Expr::Kind::kCall, tok.pos);
        call->args.push_back(std::move(e));
        MINERVA_CHECK(parse_call_args(*call));
        e = std::move(call);
        MINERVA_CHECK(seal(*e));
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> parse_filter_chain(ExprPtr e, bool first_has_pipe) {
    bool need_pipe = first_has_pipe;
    int chain = 0;
    while (!need_pipe || is_op("|")) {
      if (++chain > kMaxParseDepth) return err(peek(), "expression too long");
      if (need_pipe) next();
      need_pipe = true;
      Pos p = peek().pos;
      MINERVA_TRY(std::string name, expect_name());
      while (is_op(".")) {
        next();
        MINERVA_TRY(std::string part, expect_name());
        name += "." + part;
      }
      auto f = std::make_unique<Expr>(Expr::Kind::kFilter, p);
      f->name = name;
      f->args.push_back(std::move(e));
      if (is_op("(")) MINERVA_CHECK(parse_call_args(*f));
      e = std::move(f);
      MINERVA_CHECK(seal(*e));
    }
    return e;
  }

  Result<ExprPtr> parse_filters(ExprPtr e) {
    int chain = 0;
    while (true) {
      if (++chain > kMaxParseDepth) return err(peek(), "expression too long");
      if (is_op("|")) {
        MINERVA_TRY(e, parse_filter_chain(std::move(e), true));
      } else if (is_name("is")) {
        Pos p = next().pos;
        auto t = std::make_unique<Expr>(Expr::Kind::kTest, p);
        if (is_name("not")) {
          next();
          t->negated = true;
        }
        MINERVA_TRY(t->name, expect_name());
        t->args.push_back(std::move(e));
        if (is_op("(")) {
          MINERVA_CHECK(parse_call_args(*t));
        } else if ((peek().kind == Token::Kind::kName && !is_name("else") && !is_name("or") && !is_name("and")) ||
                   peek().kind == Token::Kind::kString || peek().kind == Token::Kind::kInt ||
                   peek().kind == Token::Kind::kFloat || is_op("[") || is_op("{")) {
          // As Jinja2: one primary argument, even a keyword like `in` (then a syntax error follows).
          if (is_name("is")) return err(peek(), "You cannot chain multiple tests with is");
          MINERVA_TRY(ExprPtr arg, parse_primary());
          MINERVA_TRY(arg, parse_postfix(std::move(arg)));
          t->args.push_back(std::move(arg));
        }
        e = std::move(t);
        MINERVA_CHECK(seal(*e));
      } else if (is_op("(")) {
        MINERVA_TRY(e, parse_postfix(std::move(e)));
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t p_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<Body> parse_tokens(const std::vector<Token>& tokens) { return Parser(tokens).parse_template(); }

}  // namespace minerva::chat
