// Internal: SentencePiece-style segmentation of one text fragment (no special tokens in it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/text_index.h"
#include "tokenizer/tokenizer.h"

namespace minerva::spm {

// "a b" -> "a▁b": SPM vocabs spell the space as U+2581. `prefix_space` prepends one (the dummy prefix).
std::string escape_whitespace(std::string_view text, bool prefix_space);

// The segmentation algorithm of llama.cpp's SPM tokenizer: start from one symbol per UTF-8 character (a byte
// that is not part of a well-formed character is a symbol of its own), repeatedly merge the adjacent pair
// whose concatenation is the highest-scoring vocab entry (ties: leftmost), then emit each symbol's id, or its
// bytes' <0xNN> tokens when the symbol is not in the vocab.
//
// Speed: two adjacent symbols can only ever end up in one token if that pair of characters occurs inside
// some vocab entry. The model records those pairs, so encode() cuts the text wherever no entry spans the
// boundary (in practice before each "▁word") and merges each piece with a small heap: the same result as one
// global merge queue, without its cache misses on megabyte inputs. O(n log w) for n bytes, pieces of w.
class Model {
 public:
  Model() = default;
  explicit Model(const Vocab& vocab);

  // Appends the tokens of an escaped fragment. `vocab` must be the one the model was built from.
  void encode(const Vocab& vocab, std::string_view text, std::vector<Token>& out) const;

 private:
  KeySet inner_pairs_;  // pair_key() of adjacent symbols inside any vocab entry
};

}  // namespace minerva::spm
