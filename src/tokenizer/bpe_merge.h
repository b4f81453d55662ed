// Internal: the BPE merge loop shared by the GGUF byte-level BPE and HF tokenizer.json BPE models: a flat
// (left id, right id) -> (rank, merged id) table and the lowest-rank-first, leftmost-on-ties merge order.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace minerva::bpe {

struct PairTable {
  struct Slot {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    Token result = -1;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  std::vector<Slot> slots;
  size_t mask = 0;

  static uint64_t key(Token l, Token r) {
    return (uint64_t{static_cast<uint32_t>(l)} << 32) | static_cast<uint32_t>(r);
  }
  static size_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return static_cast<size_t>(k);
  }

  void reset(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    slots.assign(cap, Slot{});
    mask = cap - 1;
  }
  // First insertion wins (the lowest rank, as llama.cpp's emplace keeps the first).
  void insert(Token l, Token r, int32_t rank, Token result) {
    const uint64_t k = key(l, r);
    for (size_t i = mix(k) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == k) return;
      if (slots[i].key == kEmpty) {
        slots[i] = {k, rank, result};
        return;
      }
    }
  }
  // nullptr when the pair has no merge.
  const Slot* find(Token l, Token r) const {
    if (l < 0 || r < 0) return nullptr;
    const uint64_t k = key(l, r);
    for (size_t i = mix(k) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == k) return &slots[i];
      if (slots[i].key == kEmpty) return nullptr;
    }
  }
};

// Buffers reused across words.
struct MergeScratch {
  std::vector<Token> ids;  // input: one symbol per entry (negative ids are kept out of the output)
  std::vector<int32_t> ranks;
  std::vector<Token> results;
  struct Sym {
    Token id;
    int32_t prev;
    int32_t next;
  };
  std::vector<Sym> syms;
  std::vector<uint64_t> heap;
};

// Merges s.ids by rank (lowest first, leftmost on ties) and appends the resulting non-negative ids to `out`.
// Up to 48 symbols use a linear scan for the best pair; longer words a heap (O(n log n)).
void merge(const PairTable& pairs, MergeScratch& s, std::vector<Token>& out);

}  // namespace minerva::bpe
