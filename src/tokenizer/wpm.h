// Internal: WordPiece (BERT, tokenizer.ggml.model "bert"): HF BertNormalizer + BertPreTokenizer (clean control
// characters, split on whitespace/punctuation/CJK, strip accents via NFD, lowercase) and greedy longest-match
// WordPiece, as llama.cpp's llm_tokenizer_wpm does it. GGUF spells word-initial pieces with a "▁" prefix and
// continuation pieces ("##x" in HF) without one.
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace minerva::wpm {

// Words longer than this many characters become the unknown token (HF's max_input_chars_per_word).
inline constexpr size_t kMaxWordChars = 100;

// Appends the tokens of one raw fragment (no special tokens in it). Lossy by design (case, accents, spacing);
// bytes that are not valid UTF-8 are dropped like control characters.
void encode(const Vocab& vocab, std::string_view text, std::vector<Token>& out);

}  // namespace minerva::wpm
