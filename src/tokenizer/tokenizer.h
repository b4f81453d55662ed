// tokenizer: text <-> token ids from GGUF metadata, matching llama.cpp's llama_tokenize/llama_detokenize:
// SentencePiece-style (SPM, tokenizer.ggml.model "llama"), byte-level BPE (GPT-2 style, "gpt2", with the regex
// pre-tokenizer named by tokenizer.ggml.pre) and WordPiece ("bert"); or from a HuggingFace tokenizer.json
// (hf_*.cpp), matching HF tokenizers. GGUF UGM is not supported; see docs/TOKENIZATION.md. Non-goals: training,
// sampling-time vocab filtering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "util/error.h"

namespace minerva {

using Token = int32_t;

// GGUF tokenizer.ggml.token_type values. Undefined stands for any value outside 1..6 (llama.cpp's "undefined"
// attribute: never split out of the input as a special token, rendered as nothing).
enum class TokenAttr : uint8_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6
};

struct TokenizeOptions {
  bool add_special = true;    // BOS/EOS as the vocab's add_bos/add_eos say
  bool parse_special = true;  // text of Control/Unknown tokens becomes those tokens (UserDefined always does)
};

struct VocabData;

// The token table plus its special ids and flags. Immutable after load; copies share the data; thread-safe.
// Every accessor taking a Token is safe for any id: out-of-range ids read as an empty Undefined token.
class Vocab {
 public:
  Vocab();  // empty vocab (size 0), useful as a placeholder member

  // Reads tokenizer.ggml.* (tokens required; scores, token_type, special ids, add_* flags, pre, merges optional).
  // Errors name the file and the key. Token texts are copied: the Vocab outlives `file`.
  static Result<Vocab> from_gguf(const GgufFile& file);

  size_t size() const;
  std::string_view text(Token t) const;  // the vocab string, e.g. "▁Once", "<0x0A>", "<s>"
  float score(Token t) const;
  TokenAttr attr(Token t) const;  // after llama.cpp's overrides (EOG-looking texts become Control)
  bool valid(Token t) const { return t >= 0 && static_cast<size_t>(t) < size(); }

  // Special ids: the tokenizer.ggml.*_token_id key; -1 when it says none (0xFFFFFFFF or negative). When the
  // key is absent, llama.cpp's SPM defaults apply (bos 1, eos 2, unk 0) for model "llama", else -1.
  Token bos() const;
  Token eos() const;
  Token unk() const;
  Token eot() const;  // tokenizer.ggml.eot_token_id, else detected by text (<|eot_id|>, <|end|>, ...); -1 if none
  bool add_bos() const;
  bool add_eos() const;
  bool add_space_prefix() const;   // tokenizer.ggml.add_space_prefix; SPM default true
  bool is_eog(Token t) const;      // eos, eot, eom and EOG-looking texts, as llama.cpp's special_eog_ids
  std::string_view model() const;  // tokenizer.ggml.model, e.g. "llama"
  std::string_view name() const;   // general.name lowercased ("" when absent); llama.cpp keys token flags on it
  std::string_view pre() const;    // tokenizer.ggml.pre ("" when absent), the BPE pre-tokenizer's name
  std::span<const std::string> merges() const;  // tokenizer.ggml.merges ("left right", rank = index); BPE only

  Token find(std::string_view text) const;  // exact vocab string -> id; -1 if absent
  // <0xNN> (else the 1-char token, else unk); -1 if none of them. Byte-level BPE ("gpt2"): the token of the
  // byte's GPT-2 code point (e.g. ' ' -> "Ġ").
  Token byte_token(uint8_t byte) const;
  size_t max_token_len() const;  // longest vocab string in bytes

  // Control, UserDefined and Unknown tokens with non-empty text, longest text first (then lowest id): the
  // order in which encode() splits them out of the input, as llama.cpp does.
  std::span<const Token> special_tokens() const;
  bool strips_left(Token t) const;   // whitespace before this token's text is dropped when it is split out
  bool strips_right(Token t) const;  // whitespace after it is dropped (llama.cpp: Phi-3's special tokens)

 private:
  friend Vocab finish_vocab(std::shared_ptr<VocabData> d, const std::vector<std::string>& texts, bool byte_level);
  std::shared_ptr<const VocabData> d_;
};

struct TokenizerData;

// Encoder/decoder over a Vocab: from GGUF metadata or from a HuggingFace tokenizer.json. Const after construction;
// copies share the data; thread-safe.
class Tokenizer {
 public:
  Tokenizer();  // empty: encodes to nothing

  // Errors for an unsupported tokenizer.ggml.model (naming it and the supported ones) and for bad metadata.
  static Result<Tokenizer> from_gguf(const GgufFile& file);
  static Result<Tokenizer> from_vocab(Vocab vocab);

  // HuggingFace tokenizer.json (+ tokenizer_config.json text, "" when absent). Errors name the JSON path
  // (e.g. 'pre_tokenizer.pretokenizers[0].pattern.Regex').
  static Result<Tokenizer> from_hf_json(std::string_view tokenizer_json, std::string_view config_json = {});
  // A tokenizer.json file, or a directory holding tokenizer.json; tokenizer_config.json beside it is read
  // when present.
  static Result<Tokenizer> from_hf(const std::string& path);
  // A GGUF file (by its magic), a directory or a tokenizer.json: whichever `path` is.
  static Result<Tokenizer> from_path(const std::string& path);

  bool is_hf() const;                      // built from tokenizer.json
  std::string_view chat_template() const;  // tokenizer_config.json chat_template ("" otherwise)
  // tokenizer_config.json clean_up_tokenization_spaces: transformers removes spaces before punctuation when
  // decoding. decode() never does (it must agree with streaming); apply hf_clean_up_spaces() to match.
  bool clean_up_spaces() const;

  const Vocab& vocab() const;

  // Never fails: bytes that are not valid UTF-8 become byte tokens like any character missing from the vocab
  // (WordPiece drops them, as it drops control characters; tokenizer.json pipelines see U+FFFD instead, as
  // Python's errors="replace" gives). tokenizer.json: add_special runs the post-processor; added tokens always
  // match, special ones only with parse_special (HF's split_special_tokens=False).
  std::vector<Token> encode(std::string_view text, TokenizeOptions opts) const;

  // Raw bytes of one token (BPE: Normal texts map back through the GPT-2 byte table, Byte tokens render "").
  // SPM/WPM: <0xNN> byte tokens give that byte, "▁" becomes " " in Normal tokens, Control and
  // Unknown tokens give "" unless render_special, UserDefined their text as is, Unused/Undefined and
  // out-of-range ids "". A piece may be part of a multi-byte character.
  std::string token_to_piece(Token t, bool render_special = false) const;

  // Concatenated pieces, like llama_detokenize(remove_special=false, unparse_special=render_special): with
  // add_space_prefix, one leading space of the FIRST token's piece is dropped (a leading BOS, rendered as
  // nothing, uses up that strip, so " Once" after BOS keeps its space). Out-of-range ids are skipped.
  // tokenizer.json: the decoder's output (render_special = !skip_special_tokens), except that bytes are kept as
  // they are (no U+FFFD) and Strip's end trimming is not applied; the first rendered token starts the output.
  std::string decode(std::span<const Token> tokens, bool render_special = false) const;

  // Appends token t's piece to `out`; first: t starts the output (GGUF with add_space_prefix drops one leading
  // ' '; tokenizer.json decoders strip what they strip at the start). Returns whether t used up "first"
  // (GGUF: always; tokenizer.json: when it rendered). Shared by decode() and StreamingDetokenizer so both agree
  // byte for byte.
  bool append_piece(std::string& out, Token t, bool render_special, bool first) const;

 private:
  std::shared_ptr<const TokenizerData> d_;
};

// Streaming-safe detokenizer: push() returns the bytes that are now complete UTF-8; a piece ending inside a
// multi-byte character is held until the character completes (or finish() flushes what is left). The
// concatenation of every push() and finish() equals Tokenizer::decode() of the same tokens. Bytes that can
// never become valid UTF-8 are passed through, not held. One instance per sequence (not thread-safe);
// `tok` must outlive it.
class StreamingDetokenizer {
 public:
  // continues_text: the tokens follow text already shown (a prompt), so the first piece keeps
  // its leading space; decode() semantics (strip it) otherwise.
  explicit StreamingDetokenizer(const Tokenizer& tok, bool render_special = false, bool continues_text = false);
  std::string push(Token t);
  std::string finish();

 private:
  const Tokenizer* tok_;
  bool render_special_;
  bool first_ = true;
  std::string pending_;
};

// transformers' clean_up_tokenization_spaces: " ." -> ".", " n't" -> "n't", ... (for clean_up_spaces()).
std::string hf_clean_up_spaces(std::string_view text);

}  // namespace minerva
