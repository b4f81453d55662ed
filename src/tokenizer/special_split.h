// Internal: cutting the text of special tokens out of the input before segmentation, as llama.cpp's
// tokenizer_st_partition does.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace minerva {

// A piece of the input: either raw text [begin, end) to segment (token < 0), or a special token.
struct Fragment {
  size_t begin = 0;
  size_t end = 0;
  Token token = -1;
};

// Finds special-token text in one pass over the input and then reproduces llama.cpp's result exactly:
// llama.cpp takes the special tokens longest first and, for each, splits every remaining raw fragment at its
// non-overlapping leftmost occurrences (dropping adjacent whitespace for tokens with strip flags). Doing the
// same on a list of candidate matches avoids its one-scan-per-special-token cost on large vocabs.
class SpecialSplitter {
 public:
  SpecialSplitter() = default;
  explicit SpecialSplitter(const Vocab& vocab);

  // With parse_special false only UserDefined tokens are split out (llama.cpp: Control and Unknown text
  // stays plain text; user-defined tokens are always pre-split). Empty text gives no fragments.
  std::vector<Fragment> split(const Vocab& vocab, std::string_view text, bool parse_special) const;

 private:
  // Candidates by the first byte of their text, as ranks into vocab.special_tokens() (ascending rank).
  // [0]: UserDefined only (parse_special false); [1]: all special tokens.
  std::array<std::array<std::vector<uint32_t>, 256>, 2> by_first_byte_;
};

}  // namespace minerva
