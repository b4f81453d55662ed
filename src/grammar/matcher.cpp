#include "grammar/matcher.h"

#include <algorithm>
#include <cstring>

namespace minerva::grammar {
namespace {
constexpr StateId kUnknown = -2;
}

Matcher::Matcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)) {
  State st;
  for (uint32_t alt : g_->rule_alts[g_->root]) expand(alt, kNone, st.stacks);
  start_ = overflowed_ ? kDead : intern_state(std::move(st));
  state_ = start_;
}

uint32_t Matcher::intern_node(uint32_t pos, uint32_t parent) {
  const uint64_t key = (uint64_t{pos} << 32) | parent;
  auto [it, inserted] = node_ids_.emplace(key, static_cast<uint32_t>(nodes_.size()));
  if (inserted) nodes_.push_back({pos, parent});
  return it->second;
}

// Resolves references and rule ends from `pos` until every path stands on a character set (a
// stack top) or has finished the root rule (kAccept). The grammar has no left recursion, so this
// terminates.
void Matcher::expand(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out) {
  // Each (position, continuation) is expanded once per call: without this, grammars with many
  // empty-matching alternatives would revisit the same items exponentially often.
  std::vector<std::pair<uint32_t, uint32_t>> work{{pos, parent}};
  seen_.clear();
  while (!work.empty()) {
    auto [p, par] = work.back();
    work.pop_back();
    if (!seen_.insert((uint64_t{p} << 32) | par).second) continue;
    if (seen_.size() > kMaxExpansion) {
      // Ambiguity that needs exponentially many stacks (e.g. nested optional pairs): give up on
      // this step rather than take unbounded time and memory.
      overflowed_ = true;
      return;
    }
    const Element e = g_->elems[p];
    if (e.kind == ElemKind::Chars) {
      out.push_back(intern_node(p, par));
    } else if (e.kind == ElemKind::End) {
      if (par == kNone) {
        out.push_back(kAccept);
      } else {
        work.emplace_back(nodes_[par].pos, nodes_[par].parent);
      }
    } else {
      // A reference in tail position continues straight with the parent, so right recursion
      // (x ::= "a" x) does not grow the stack.
      const uint32_t cont = g_->elems[p + 1].kind == ElemKind::End ? par : intern_node(p + 1, par);
      for (uint32_t alt : g_->rule_alts[e.index]) work.emplace_back(alt, cont);
    }
  }
}

StateId Matcher::intern_state(State st) {
  std::sort(st.stacks.begin(), st.stacks.end());
  st.stacks.erase(std::unique(st.stacks.begin(), st.stacks.end()), st.stacks.end());
  std::string key(st.stacks.size() * 4 + 8, '\0');
  std::memcpy(key.data(), st.stacks.data(), st.stacks.size() * 4);
  char* tail = key.data() + st.stacks.size() * 4;
  std::memcpy(tail, &st.cp, 4);
  tail[4] = static_cast<char>(st.need);
  tail[5] = static_cast<char>(st.next_lo);
  tail[6] = static_cast<char>(st.next_hi);
  auto [it, inserted] = state_ids_.emplace(std::move(key), static_cast<StateId>(states_.size()));
  if (inserted) {
    states_.push_back(std::move(st));
    trans_.emplace_back();
    trans_.back().fill(kUnknown);
  }
  return it->second;
}

bool Matcher::accepting(StateId s) const {
  if (s < 0) return false;
  const State& st = states_[static_cast<size_t>(s)];
  return st.need == 0 && !st.stacks.empty() && st.stacks.back() == kAccept;
}

bool Matcher::can_continue(StateId s) const {
  if (s < 0) return false;
  const State& st = states_[static_cast<size_t>(s)];
  return st.need > 0 || (!st.stacks.empty() && st.stacks.front() != kAccept);
}

// A partial character is viable when some stack top accepts a code point that starts with it.
bool Matcher::viable(const State& st) const {
  const int rest = 6 * (st.need - 1);
  const uint32_t base = st.cp << (6 * st.need);
  const uint32_t lo = base | (uint32_t{st.next_lo & 0x3Fu} << rest);
  const uint32_t hi = base | (uint32_t{st.next_hi & 0x3Fu} << rest) | ((1u << rest) - 1);
  for (uint32_t s : st.stacks) {
    if (s == kAccept) continue;
    if (g_->sets[g_->elems[nodes_[s].pos].index].intersects(lo, hi)) return true;
  }
  return false;
}

StateId Matcher::step(StateId s, uint8_t byte) {
  if (s < 0) return kDead;
  StateId& t = trans_[static_cast<size_t>(s)][byte];
  if (t != kUnknown) return t;
  const StateId r = compute_step(s, byte);
  trans_[static_cast<size_t>(s)][byte] = r;  // `t` may dangle: compute_step can grow trans_
  return r;
}

StateId Matcher::step(StateId s, std::string_view bytes) {
  for (char c : bytes) {
    s = step(s, static_cast<uint8_t>(c));
    if (s < 0) return kDead;
  }
  return s;
}

bool Matcher::accept(std::string_view bytes) {
  const StateId s = step(state_, bytes);
  if (s < 0) return false;
  state_ = s;
  return true;
}

StateId Matcher::compute_step(StateId s, uint8_t b) {
  State cur = states_[static_cast<size_t>(s)];  // copy: interning may reallocate states_
  State next;
  uint32_t cp = 0;
  bool complete = false;
  if (cur.need == 0) {
    if (b < 0x80) {
      cp = b;
      complete = true;
    } else if (b >= 0xC2 && b <= 0xDF) {
      next.cp = b & 0x1Fu;
      next.need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      next.cp = b & 0x0Fu;
      next.need = 2;
      if (b == 0xE0) next.next_lo = 0xA0;  // no overlong forms
      if (b == 0xED) next.next_hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      next.cp = b & 0x07u;
      next.need = 3;
      if (b == 0xF0) next.next_lo = 0x90;
      if (b == 0xF4) next.next_hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return kDead;
    }
  } else {
    if (b < cur.next_lo || b > cur.next_hi) return kDead;
    cp = (cur.cp << 6) | (b & 0x3Fu);
    if (cur.need == 1) {
      complete = true;
    } else {
      next.cp = cp;
      next.need = static_cast<uint8_t>(cur.need - 1);
    }
  }
  if (!complete) {
    next.stacks = cur.stacks;
    if (!next.stacks.empty() && next.stacks.back() == kAccept) next.stacks.pop_back();
    if (!viable(next)) return kDead;
    return intern_state(std::move(next));
  }
  for (uint32_t id : cur.stacks) {
    if (id == kAccept) continue;
    const Node n = nodes_[id];
    if (g_->sets[g_->elems[n.pos].index].contains(cp)) expand(n.pos + 1, n.parent, next.stacks);
    if (overflowed_) return kDead;
  }
  if (next.stacks.empty()) return kDead;
  return intern_state(std::move(next));
}

}  // namespace minerva::grammar
