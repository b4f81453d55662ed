// grammar: context-free grammars over Unicode code points in GBNF syntax (llama.cpp's grammar
// format), compiled into a flat element array that the matcher walks.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace minerva::grammar {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// A set of code points: sorted, disjoint, non-adjacent inclusive ranges, plus an ASCII bitmap so
// the common case is one bit test.
struct CharSet {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  std::array<uint64_t, 2> ascii{};

  // Sorts and merges `ranges`, then fills the bitmap. Call after editing ranges.
  void normalize();
  // The complement within [0, kMaxCodePoint].
  CharSet complement() const;
  bool contains(uint32_t cp) const;
  bool intersects(uint32_t lo, uint32_t hi) const;
};

enum class ElemKind : uint8_t { Chars, Ref, End };

struct Element {
  ElemKind kind = ElemKind::End;
  uint32_t index = 0;  // Chars: into Grammar::sets; Ref: a rule id
};

// Every alternative of every rule is a run of Chars/Ref elements closed by an End element.
// No rule can reach itself without consuming a character (checked when compiling), so
// expanding references always terminates.
struct Grammar {
  std::vector<Element> elems;
  std::vector<CharSet> sets;
  std::vector<std::vector<uint32_t>> rule_alts;  // rule id -> start index in elems of each alternative
  std::vector<std::string> rule_names;           // generated rules are named "<parent>-<n>"
  uint32_t root = 0;
};

// Limits that keep hostile grammars from exhausting memory while compiling.
inline constexpr uint32_t kMaxRepetition = 10000;        // the n of x{m,n}
inline constexpr size_t kMaxElements = size_t{1} << 21;  // elements after expanding repetitions

// Parses GBNF: `name ::= alternatives` rules (a newline ends a rule, except inside parentheses
// or after `|`), "literals" and [character classes] with \n \r \t \\ \" \[ \] \xHH \uHHHH
// \UHHHHHHHH escapes, [^negated] classes, `.` (any character), rule references, ( groups ),
// postfix * + ? {m} {m,} {m,n} {,n}, and # comments. Errors give "line L, column C: ...".
// Undefined rules, a missing root rule, and left recursion are errors.
Result<std::shared_ptr<const Grammar>> parse_gbnf(std::string_view text, std::string_view root = "root");

}  // namespace minerva::grammar
