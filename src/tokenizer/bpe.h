// Internal: byte-level BPE (GPT-2 style, tokenizer.ggml.model "gpt2"): pre-tokenizer regexes selected by
// tokenizer.ggml.pre, the GPT-2 byte<->unicode mapping, and rank-ordered merges from tokenizer.ggml.merges.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace minerva::bpe {

// One row of the pre-tokenizer table: the tokenizer.ggml.pre names it serves, the regexes applied in turn
// (each splits every piece left by the previous one; matches and the gaps between them both become pieces),
// and the vocab flags llama.cpp ties to it.
struct PreTokenizerSpec {
  std::span<const std::string_view> names;
  std::span<const std::string_view> regexes;
  bool ignore_merges = false;    // a word that is a vocab entry as a whole is emitted without merging
  bool default_add_bos = false;  // add_bos when tokenizer.ggml.add_bos_token is absent
};

// The row for a tokenizer.ggml.pre value ("" means "default"); nullptr for an unknown name.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre);
std::string supported_pre_tokenizers();  // comma-separated names, for error messages

// GPT-2's reversible byte -> printable code point mapping, as UTF-8 (1 or 2 bytes).
std::string_view byte_to_unicode(uint8_t b);
// Inverse mapping applied to a token text: mapped code points become their byte, anything else is kept as is.
std::string unicode_to_bytes(std::string_view text);

struct Regexes;    // compiled PCRE2 patterns (bpe.cpp)
struct PairTable;  // (left id, right id) -> (rank, merged id)

class Model {
 public:
  Model() = default;
  // Fails for an unknown pre-tokenizer or a regex PCRE2 rejects. No merges is allowed (bytes only).
  static Result<Model> create(const Vocab& vocab);

  // Appends the tokens of one raw fragment (no special tokens in it). Never fails: bytes that are not valid
  // UTF-8 become pieces of their own (their byte token), so decode() gives the input back.
  void encode(std::string_view text, std::vector<Token>& out) const;

 private:
  std::shared_ptr<const Regexes> regexes_;
  std::shared_ptr<const PairTable> pairs_;
  Vocab vocab_;
  std::array<Token, 256> byte_ids_{};
  bool ignore_merges_ = false;
};

}  // namespace minerva::bpe
