// Template syntax tree: expressions and statements, each with its source line:column.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/value.h"

namespace minerva::chat {

struct Pos {
  int line = 1;
  int col = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,      // literal
    kName,         // name
    kList,         // args
    kTuple,        // args
    kDict,         // args: key, value, key, value...
    kAttr,         // args[0].name
    kItem,         // args[0][args[1]]
    kSlice,        // args[0][args[1]:args[2]:args[3]] (null parts omitted)
    kCall,         // args[0](args[1..], kwargs)
    kFilter,       // args[0] | name(args[1..], kwargs)
    kTest,         // args[0] is [not] name(args[1..])
    kUnary,        // name in {"-", "+", "not"}
    kBinary,       // args[0] name args[1]
    kCompare,      // args[0] ops[0] args[1] ops[1] args[2]...
    kAnd,          // args[0] and args[1]
    kOr,           // args[0] or args[1]
    kConcat,       // args joined with ~
    kCond,         // args[1] if args[0] else args[2] (args[2] may be null)
    kPlaceholder,  // the body of a {% filter %} block
  };
  Kind kind;
  Pos pos;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
  int depth = 1;  // longest path to a leaf

  Expr(Kind k, Pos p) : kind(k), pos(p) {}
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ exprs[0] }}
    kIf,           // exprs[k] guards bodies[k]; an extra body is the else
    kFor,          // target exprs[0] in exprs[1] [if exprs[2]]; bodies[0], else bodies[1]
    kSet,          // target exprs[0] = exprs[1]
    kSetBlock,     // target exprs[0] = rendered bodies[0], filtered by exprs[1] if set
    kMacro,        // name, params/defaults, bodies[0]
    kCallBlock,    // call exprs[0] with caller(params) = bodies[0]
    kFilterBlock,  // exprs[0] (filter chain over a placeholder) applied to bodies[0]
    kWith,         // targets names = exprs, bodies[0]
    kBreak,
    kContinue,
    kDo,     // evaluate exprs[0]
    kScope,  // bodies[0] rendered in place (generation blocks)
  };
  Kind kind;
  Pos pos;
  std::string text;
  std::string name;
  std::vector<ExprPtr> exprs;
  std::vector<Body> bodies;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // one per param, null when none

  Node(Kind k, Pos p) : kind(k), pos(p) {}
};

// Lexer tokens.
struct Token {
  enum class Kind { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };
  Kind kind;
  Pos pos;
  std::string text;  // text, name, decoded string, operator
  int64_t int_value = 0;
  double float_value = 0;
};

Result<std::vector<Token>> tokenize(std::string_view source);
Result<Body> parse_tokens(const std::vector<Token>& tokens);

}  // namespace minerva::chat
