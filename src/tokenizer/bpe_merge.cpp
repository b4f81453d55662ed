// The BPE merge loop (see bpe_merge.h).
#include "tokenizer/bpe_merge.h"

#include <algorithm>
#include <climits>
#include <functional>

namespace minerva::bpe {
namespace {

constexpr int32_t kNoRank = INT32_MAX;

void merge_small(const PairTable& pairs, MergeScratch& s, std::vector<Token>& out) {
  auto& ids = s.ids;
  auto& ranks = s.ranks;
  auto& results = s.results;
  const size_t n = ids.size();
  ranks.resize(n - 1);
  results.resize(n - 1);
  auto set = [&](size_t i) {
    const PairTable::Slot* p = pairs.find(ids[i], ids[i + 1]);
    ranks[i] = p != nullptr ? p->rank : kNoRank;
    results[i] = p != nullptr ? p->result : -1;
  };
  for (size_t i = 0; i + 1 < n; ++i) set(i);
  while (!ranks.empty()) {
    size_t best = 0;
    for (size_t i = 1; i < ranks.size(); ++i) {
      if (ranks[i] < ranks[best]) best = i;
    }
    if (ranks[best] == kNoRank) break;
    ids[best] = results[best];
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    ranks.erase(ranks.begin() + static_cast<std::ptrdiff_t>(best));
    results.erase(results.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) set(best - 1);
    if (best < ranks.size()) set(best);
  }
  for (Token t : ids) {
    if (t >= 0) out.push_back(t);
  }
}

void merge_large(const PairTable& pairs, MergeScratch& s, std::vector<Token>& out) {
  auto& syms = s.syms;
  auto& heap = s.heap;
  const auto n = static_cast<int32_t>(s.ids.size());
  syms.resize(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    syms[static_cast<size_t>(i)] = {s.ids[static_cast<size_t>(i)], i - 1, i + 1 < n ? i + 1 : -1};
  }
  // Candidates are (rank << 32 | left) in a min-heap: lowest rank first, then leftmost. 8 bytes each keeps a
  // megabyte-long word's heap in cache; a popped entry is re-validated against the current neighbours instead.
  // Ranks are unique per pair, so "the pair at left now has this rank" means it is the pair that was pushed.
  auto key = [](int32_t rank, int32_t left) {
    return (uint64_t{static_cast<uint32_t>(rank)} << 32) | static_cast<uint32_t>(left);
  };
  auto rank_at = [&](int32_t l) -> const PairTable::Slot* {
    const int32_t r = syms[static_cast<size_t>(l)].next;
    return r < 0 ? nullptr : pairs.find(syms[static_cast<size_t>(l)].id, syms[static_cast<size_t>(r)].id);
  };
  const std::greater<uint64_t> order;
  auto push = [&](int32_t l) {
    if (l < 0) return;
    if (const PairTable::Slot* p = rank_at(l); p != nullptr) {
      heap.push_back(key(p->rank, l));
      std::push_heap(heap.begin(), heap.end(), order);
    }
  };
  heap.clear();
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (const PairTable::Slot* p = rank_at(i); p != nullptr) heap.push_back(key(p->rank, i));
  }
  std::make_heap(heap.begin(), heap.end(), order);
  constexpr Token kDead = INT32_MIN;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), order);
    const uint64_t k = heap.back();
    heap.pop_back();
    const auto left = static_cast<int32_t>(static_cast<uint32_t>(k));
    auto& l = syms[static_cast<size_t>(left)];
    if (l.id == kDead) continue;
    const PairTable::Slot* p = rank_at(left);
    if (p == nullptr || static_cast<uint32_t>(p->rank) != static_cast<uint32_t>(k >> 32)) continue;  // stale
    auto& r = syms[static_cast<size_t>(l.next)];
    l.id = p->result;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = left;
    r.id = kDead;
    push(l.prev);
    push(left);
  }
  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    const Token t = syms[static_cast<size_t>(i)].id;
    if (t >= 0) out.push_back(t);
  }
}

}  // namespace

void merge(const PairTable& pairs, MergeScratch& s, std::vector<Token>& out) {
  if (s.ids.empty()) return;
  if (s.ids.size() <= 48) {
    merge_small(pairs, s, out);
  } else {
    merge_large(pairs, s, out);
  }
}

}  // namespace minerva::bpe
