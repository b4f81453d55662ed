#include "grammar/token_mask.h"

#include <algorithm>

namespace minerva::grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& pieces) : n_vocab_(pieces.size()) {
  // Sorting the pieces puts every prefix before its extensions: a depth-first order.
  std::vector<int32_t> order;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!pieces[i].empty()) order.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pieces[static_cast<size_t>(a)] < pieces[static_cast<size_t>(b)];
  });
  nodes_.push_back({0, 0, 0, 0, 0});
  std::vector<uint32_t> path{0};  // node index per depth along the current branch
  std::string prev;
  for (int32_t id : order) {
    const std::string& p = pieces[static_cast<size_t>(id)];
    size_t common = 0;
    while (common < prev.size() && common < p.size() && prev[common] == p[common]) ++common;
    // Close the nodes of the previous piece below the shared prefix.
    while (path.size() > common + 1) {
      nodes_[path.back()].end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < p.size(); ++d) {
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({static_cast<uint8_t>(p[d]), static_cast<uint16_t>(std::min<size_t>(d + 1, UINT16_MAX)), 0,
                        static_cast<uint32_t>(tokens_.size()), static_cast<uint32_t>(tokens_.size())});
    }
    Node& leaf = nodes_[path.back()];
    if (leaf.tok_end != tokens_.size()) {  // tokens were added below since: cannot happen in sorted order
      leaf.tok_begin = leaf.tok_end = static_cast<uint32_t>(tokens_.size());
    }
    tokens_.push_back(id);
    ++leaf.tok_end;
    max_depth_ = std::max(max_depth_, p.size());
    prev = p;
  }
  while (!path.empty()) {
    nodes_[path.back()].end = static_cast<uint32_t>(nodes_.size());
    path.pop_back();
  }
}

const TokenMask& TokenMasker::mask(StateId s) {
  if (auto it = cache_.find(s); it != cache_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  if (cache_.size() >= kMaxCached) cache_.clear();
  TokenMask& out = cache_[s];
  out.assign((trie_->n_vocab_ + 63) / 64, 0);
  if (s < 0) return out;
  depth_state_.assign(trie_->max_depth_ + 1, kDead);
  depth_state_[0] = s;
  const auto& nodes = trie_->nodes_;
  const auto n = static_cast<uint32_t>(nodes.size());
  for (uint32_t i = 1; i < n;) {
    const TokenTrie::Node& node = nodes[i];
    const StateId next = m_->step(depth_state_[node.depth - 1u], node.byte);
    if (next == kDead) {
      i = node.end;  // no token with this prefix fits
      continue;
    }
    depth_state_[node.depth] = next;
    for (uint32_t k = node.tok_begin; k < node.tok_end; ++k) {
      const auto id = static_cast<size_t>(trie_->tokens_[k]);
      out[id >> 6] |= uint64_t{1} << (id & 63);
    }
    ++i;
  }
  return out;
}

}  // namespace minerva::grammar
