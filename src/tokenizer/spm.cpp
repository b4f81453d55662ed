// SPM segmentation: llama.cpp's llm_tokenizer_spm algorithm (score-ordered bigram merges over a linked list of
// symbols), written for long inputs: symbols are offsets into the text, lookups are views, no per-merge copies.
#include "tokenizer/spm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tokenizer/utf8.h"

namespace minerva::spm {
namespace {

// A run of the text; merged-away symbols keep len 0. prev/next link the live symbols.
struct Symbol {
  uint32_t start;
  uint32_t len;
  int32_t prev;
  int32_t next;
};

// A candidate merge of two adjacent symbols into the vocab entry of that text. `size` detects stale entries:
// once either side has changed, left.len + right.len no longer equals it (or one side is 0).
struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  uint32_t size;
};

// Max-heap order (std::push_heap/pop_heap): highest score first, then leftmost.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

// Symbol offsets are 32-bit; longer inputs are cut (at a character boundary) into chunks this big.
constexpr size_t kMaxChunk = size_t{1} << 30;

// The bytes of a symbol (1-4) packed little-endian. Distinct symbols get distinct keys: a longer symbol's last
// byte is a continuation byte (>= 0x80), so its key cannot equal a shorter one's; ~0 is never produced.
uint32_t symbol_key(const char* p, size_t len) {
  uint32_t k = 0;
  std::memcpy(&k, p, len);
  return k;
}

uint64_t pair_key(uint32_t left, uint32_t right) { return (uint64_t{left} << 32) | right; }

// Merges the symbols of one piece (linked in order, offsets into `text`) and appends their tokens.
void merge_piece(const Vocab& vocab, std::string_view text, std::vector<Symbol>& sym, std::vector<Bigram>& heap,
                 std::vector<Token>& out) {
  sym.back().next = -1;
  heap.clear();
  const size_t max_len = vocab.max_token_len();
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const uint32_t size = sym[static_cast<size_t>(left)].len + sym[static_cast<size_t>(right)].len;
    if (size > max_len) return;  // cannot be a vocab entry; skips the hash lookup
    const Token t = vocab.find(text.substr(sym[static_cast<size_t>(left)].start, size));
    if (t < 0) return;
    heap.push_back({vocab.score(t), left, right, size});
    std::push_heap(heap.begin(), heap.end(), BigramOrder{});
  };

  for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramOrder{});
    const Bigram b = heap.back();
    heap.pop_back();
    Symbol& left = sym[static_cast<size_t>(b.left)];
    Symbol& right = sym[static_cast<size_t>(b.right)];
    if (left.len == 0 || right.len == 0 || left.len + right.len != b.size) continue;
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) sym[static_cast<size_t>(right.next)].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }

  // Merged symbols are vocab entries by construction; a leftover single character missing from the vocab
  // falls back to one byte token per byte (unk when the vocab has no byte tokens; dropped without unk).
  for (int32_t i = 0; i != -1; i = sym[static_cast<size_t>(i)].next) {
    const Symbol& s = sym[static_cast<size_t>(i)];
    const std::string_view piece = text.substr(s.start, s.len);
    if (const Token t = vocab.find(piece); t >= 0) {
      out.push_back(t);
      continue;
    }
    for (char c : piece) {
      if (const Token t = vocab.byte_token(static_cast<uint8_t>(c)); t >= 0) out.push_back(t);
    }
  }
}

void encode_chunk(const Vocab& vocab, const KeySet& inner_pairs, std::string_view text, std::vector<Token>& out) {
  std::vector<Symbol> sym;
  std::vector<Bigram> heap;
  uint32_t prev_key = 0;
  for (size_t off = 0; off < text.size();) {
    const size_t len = utf8::char_len(text.data() + off, text.size() - off);
    const uint32_t key = symbol_key(text.data() + off, len);
    if (!sym.empty() && !inner_pairs.contains(pair_key(prev_key, key))) {
      merge_piece(vocab, text, sym, heap, out);  // no vocab entry spans this boundary
      sym.clear();
    }
    const auto i = static_cast<int32_t>(sym.size());
    sym.push_back({static_cast<uint32_t>(off), static_cast<uint32_t>(len), i - 1, i + 1});
    prev_key = key;
    off += len;
  }
  if (!sym.empty()) merge_piece(vocab, text, sym, heap, out);
}

}  // namespace

std::string escape_whitespace(std::string_view text, bool prefix_space) {
  static constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK
  std::string out;
  out.reserve(text.size() + (prefix_space ? kSpace.size() : 0) + 16);
  if (prefix_space) out.append(kSpace);
  for (char c : text) {
    if (c == ' ') {
      out.append(kSpace);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Model::Model(const Vocab& vocab) {
  std::vector<uint64_t> pairs;
  for (size_t t = 0; t < vocab.size(); ++t) {
    const std::string_view text = vocab.text(static_cast<Token>(t));
    uint32_t prev = 0;
    for (size_t off = 0; off < text.size();) {
      const size_t len = utf8::char_len(text.data() + off, text.size() - off);
      const uint32_t key = symbol_key(text.data() + off, len);
      if (off > 0) pairs.push_back(pair_key(prev, key));
      prev = key;
      off += len;
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  inner_pairs_ = KeySet(pairs);
}

void Model::encode(const Vocab& vocab, std::string_view text, std::vector<Token>& out) const {
  while (text.size() > kMaxChunk) {
    size_t cut = kMaxChunk;
    while (cut > 0 && utf8::is_continuation(static_cast<uint8_t>(text[cut]))) --cut;
    if (cut == 0) cut = kMaxChunk;
    encode_chunk(vocab, inner_pairs_, text.substr(0, cut), out);
    text.remove_prefix(cut);
  }
  encode_chunk(vocab, inner_pairs_, text, out);
}

}  // namespace minerva::spm
