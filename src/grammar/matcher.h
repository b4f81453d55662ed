// grammar: a byte-level matcher for a Grammar, built lazily into a DFA.
//
// The grammar is a pushdown automaton over code points: its configurations are sets of stacks
// (positions in the element array plus where to continue when the rule ends). Stacks are
// interned as persistent linked lists, and every distinct (set of stacks, partial UTF-8
// character) becomes a numbered state, so repeated work (the same state meeting the same byte
// again, which is most of what a token-mask walk does) is one table lookup.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "grammar/grammar.h"

namespace minerva::grammar {

using StateId = int32_t;
inline constexpr StateId kDead = -1;

// Not thread-safe: one per sequence.
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> g);

  StateId start() const { return start_; }
  // The state after `byte`, or kDead when no continuation of the grammar has it.
  StateId step(StateId s, uint8_t byte);
  StateId step(StateId s, std::string_view bytes);
  // The output so far is a complete sentence (the root rule matched, no partial character).
  bool accepting(StateId s) const;
  // Some continuation with more characters exists.
  bool can_continue(StateId s) const;

  // The current state of the sequence this matcher follows.
  StateId state() const { return state_; }
  // Advances the current state; false (and no change) when the bytes are not allowed.
  bool accept(std::string_view bytes);
  void set_state(StateId s) { state_ = s; }

  size_t n_states() const { return states_.size(); }
  // Some step needed more than kMaxExpansion parse items (a pathologically ambiguous grammar);
  // that step was treated as rejected. A start state that overflows is kDead.
  bool overflowed() const { return overflowed_; }
  static constexpr size_t kMaxExpansion = size_t{1} << 16;
  const Grammar& grammar() const { return *g_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;    // no parent: the root rule's end
  static constexpr uint32_t kAccept = UINT32_MAX;  // in a state's stack list: the root rule is complete

  struct Node {
    uint32_t pos;     // element to match next (always Chars for a stack top)
    uint32_t parent;  // node to continue with when this rule ends, or kNone
  };
  struct State {
    std::vector<uint32_t> stacks;  // sorted node ids (kAccept last when present)
    uint32_t cp = 0;               // partial character: bits so far
    uint8_t need = 0;              // continuation bytes still expected
    uint8_t next_lo = 0x80, next_hi = 0xBF;
  };

  uint32_t intern_node(uint32_t pos, uint32_t parent);
  void expand(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out);
  StateId intern_state(State st);
  StateId compute_step(StateId s, uint8_t byte);
  bool viable(const State& st) const;

  std::shared_ptr<const Grammar> g_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<State> states_;
  std::unordered_map<std::string, StateId> state_ids_;
  std::vector<std::array<StateId, 256>> trans_;  // kUnknown until computed
  std::unordered_set<uint64_t> seen_;            // expand()'s visited items
  bool overflowed_ = false;
  StateId start_ = kDead;
  StateId state_ = kDead;
};

}  // namespace minerva::grammar
