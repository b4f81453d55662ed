// grammar: which tokens of a vocabulary may come next under a grammar.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/matcher.h"

namespace minerva::grammar {

// The vocabulary's token byte strings as a trie in depth-first order, so a mask walk is one
// forward pass that skips whole subtrees when a prefix is rejected. Immutable; share it between
// sequences of the same vocabulary.
class TokenTrie {
 public:
  // pieces[id] = the bytes token `id` adds to the output. Empty pieces (control tokens and the
  // like) are left out: such tokens are never allowed by a mask.
  explicit TokenTrie(const std::vector<std::string>& pieces);

  size_t n_vocab() const { return n_vocab_; }

 private:
  friend class TokenMasker;
  struct Node {
    uint8_t byte;
    uint16_t depth;      // root = 0
    uint32_t end;        // index one past this node's subtree
    uint32_t tok_begin;  // tokens whose piece ends here: tokens_[tok_begin, tok_end)
    uint32_t tok_end;
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> tokens_;
  size_t n_vocab_ = 0;
  size_t max_depth_ = 0;
};

// A bit per token: bit set = allowed.
using TokenMask = std::vector<uint64_t>;
inline bool mask_test(const TokenMask& m, size_t id) { return (m[id >> 6] >> (id & 63)) & 1; }

// Computes allowed-token masks for states of one matcher, caching them per state. Not
// thread-safe: one per sequence, with its matcher.
class TokenMasker {
 public:
  TokenMasker(const TokenTrie& trie, Matcher& matcher) : trie_(&trie), m_(&matcher) {}

  // The tokens whose whole piece keeps the output inside the grammar from `s` (end-of-generation
  // tokens are not in the trie: allow them when m.accepting(s)).
  const TokenMask& mask(StateId s);

  size_t cache_hits() const { return hits_; }
  size_t cache_misses() const { return misses_; }

 private:
  static constexpr size_t kMaxCached = 1024;  // masks kept (each n_vocab/8 bytes)
  const TokenTrie* trie_;
  Matcher* m_;
  std::unordered_map<StateId, TokenMask> cache_;
  std::vector<StateId> depth_state_;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace minerva::grammar
