// Internal: the HuggingFace tokenizer.json pipeline (normalizer -> pre-tokenizer -> model -> post-processor,
// decoder for the way back), built from the JSON once and then immutable. Each stage is a closure made from its
// JSON object; an unknown "type" or a malformed field is an error naming the JSON path.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pcre_regex.h"
#include "tokenizer/text_index.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace minerva::hf {

using json = nlohmann::json;

// ---- JSON access with paths (hf_json.cpp) ---------------------------------------------------------------------

Error field_error(const std::string& path, const std::string& problem);
std::string type_name(const json& j);
std::string join_path(const std::string& path, std::string_view key);
// obj[key]: nullptr when absent or null; an error when obj is not an object.
const json* find(const json& obj, std::string_view key);
Result<const json*> require(const json& obj, std::string_view key, const std::string& path);
Result<std::string> get_string(const json& obj, std::string_view key, const std::string& path);
Result<std::string> get_string_or(const json& obj, std::string_view key, const std::string& path, std::string fallback);
Result<bool> get_bool_or(const json& obj, std::string_view key, const std::string& path, bool fallback);
Result<int64_t> get_int_or(const json& obj, std::string_view key, const std::string& path, int64_t fallback);
// The "type" of a component object.
Result<std::string> get_type(const json& obj, const std::string& path);

// ---- Unicode helpers (hf_normalizers.cpp) ----------------------------------------------------------------------

// Decodes one code point at s[i] (valid UTF-8 assumed, as after sanitize()); advances i.
int32_t next_cp(std::string_view s, size_t& i);
void append_cp(std::string& out, int32_t cp);
// Invalid UTF-8 sequences become U+FFFD (one per maximal invalid subpart), as Python's decode(errors="replace").
std::string sanitize_utf8(std::string_view s);
bool is_whitespace(int32_t cp);   // Rust char::is_whitespace
bool is_punctuation(int32_t cp);  // ASCII punctuation or Unicode P*
bool is_alphanumeric(int32_t cp);
bool is_numeric(int32_t cp);

// A literal string or a regex (HF {"String": ...} / {"Regex": ...}).
struct Pattern {
  std::string literal;
  Regex regex;  // used when valid()
  // Next non-empty match at or after `start`.
  bool find(std::string_view s, size_t start, size_t* begin, size_t* end) const;
};
Result<Pattern> make_pattern(const json& obj, const std::string& path);

// ---- Stages -----------------------------------------------------------------------------------------------------

using Normalizer = std::function<void(std::string&)>;  // empty function: no normalizer
Result<Normalizer> make_normalizer(const json& j, const std::string& path);

// A pre-token. at_start: it begins at offset 0 of the whole input (Metaspace prepend_scheme "first").
struct Piece {
  std::string text;
  bool at_start = false;
};
using PreTokenizer = std::function<void(std::vector<Piece>&)>;
Result<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& path);

// SplitDelimiterBehavior. Splits `p` at the matches of `find` and appends the resulting non-empty pieces.
enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
Result<Behavior> parse_behavior(const json& obj, const std::string& path);
void split_piece(const Piece& p, const std::function<bool(std::string_view, size_t, size_t*, size_t*)>& find,
                 Behavior behavior, bool invert, std::vector<Piece>& out);

// Token text -> id over the model's own vocab (added tokens are not part of it).
struct TokenTable {
  std::string arena;
  std::vector<uint32_t> offsets;  // text of entry k: arena[offsets[k], offsets[k + 1])
  std::vector<Token> ids;
  TextIndex index;  // text -> entry k
  Token find(std::string_view s) const {
    const int32_t k = index.find(s);
    return k < 0 ? -1 : ids[static_cast<size_t>(k)];
  }
  void build(const std::vector<std::pair<std::string, Token>>& entries);
};

// The model: id <-> text for its vocab and the segmentation of one pre-token.
struct Model {
  std::string type;                                  // "BPE", "WordPiece", "Unigram", "WordLevel"
  std::vector<std::pair<std::string, Token>> vocab;  // (text, id); ids unique
  std::vector<float> scores;                         // Unigram: score per vocab entry (same order)
  Token unk = -1;
  bool byte_fallback = false;  // BPE/Unigram: <0xNN> tokens for characters missing from the vocab
  std::string continuing_subword_prefix, end_of_word_suffix;          // BPE; WordPiece "##"
  std::function<void(std::string_view, std::vector<Token>&)> encode;  // set by finish()
};
// Parses the "model" object. Ids must lie in [0, kMaxId).
inline constexpr int64_t kMaxId = int64_t{1} << 24;
Result<std::shared_ptr<Model>> make_model(const json& j, const std::string& path);

// Adds the special tokens of the post-processor to one encoded sequence (add_special_tokens=true). Ids are
// checked against n_ids.
using PostProcessor = std::function<void(std::vector<Token>&)>;
Result<PostProcessor> make_post_processor(const json& j, const std::string& path, size_t n_ids);

// decode_chain over token strings. first: the list starts the output (Metaspace/WordPiece/Strip treat the first
// token specially); raw: keep bytes that are not valid UTF-8 (streaming pieces) instead of U+FFFD; fused: an
// earlier Fuse/ByteLevel joined the list, so it is the whole output and Strip's start applies only when first.
struct DecodeState {
  bool first = true;
  bool raw = false;
  bool fused = false;
};
using Decoder = std::function<void(std::vector<std::string>&, DecodeState&)>;  // empty: join the tokens
Result<Decoder> make_decoder(const json& j, const std::string& path);
// The decoder-level cleanup transformers applies when clean_up_tokenization_spaces is true.
std::string clean_up_tokenization_spaces(std::string_view s);

}  // namespace minerva::hf

namespace minerva::hf {

// An added_tokens entry of tokenizer.json.
struct AddedToken {
  std::string content;
  Token id = -1;
  bool special = false, lstrip = false, rstrip = false, normalized = false, single_word = false;
};

// Leftmost-longest matching of added-token texts (a byte trie), with HF's lstrip/rstrip/single_word rules.
class AddedMatcher {
 public:
  struct Segment {
    size_t begin, end;
    Token token;  // -1: plain text
  };
  void add(std::string_view text, size_t index);  // index into `tokens`
  void set_tokens(const std::vector<AddedToken>* tokens) { tokens_ = tokens; }
  bool empty() const { return terminal_.size() <= 1; }
  // Splits s into text and token segments (segments cover s; empty text segments are left out).
  // skip_special: special tokens are not matched (HF split_special_tokens).
  void split(std::string_view s, bool skip_special, std::vector<Segment>& out) const;

 private:
  int32_t child(int32_t node, uint8_t b) const;
  std::unordered_map<uint64_t, int32_t> children_;  // (node << 8 | byte) -> node
  std::vector<int32_t> terminal_{-1};               // node -> token index, or -1
  std::array<bool, 256> first_{};                   // bytes that start some text
  const std::vector<AddedToken>* tokens_ = nullptr;
};

// Everything encode/decode needs, built once by load().
struct Pipeline {
  std::shared_ptr<Model> model;
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  PostProcessor post_processor;
  Decoder decoder;
  std::vector<AddedToken> added;
  AddedMatcher raw_matcher, normalized_matcher;
  std::vector<std::string> texts;  // token id -> text (added tokens override the model's)
  std::vector<uint8_t> is_added;   // token id -> 1 for added tokens (decoded verbatim)
  bool clean_up_spaces = false;    // tokenizer_config.json clean_up_tokenization_spaces
  std::string chat_template;

  void encode(std::string_view text, bool add_special, bool parse_special, std::vector<Token>& out) const;
  // What token t renders as; first: it starts the output (the decoder may strip a leading space).
  std::string piece(Token t, bool first) const;
};

struct Loaded {
  std::shared_ptr<const Pipeline> pipeline;
  Vocab vocab;
};
// tokenizer.json text plus tokenizer_config.json text ("" when there is none). Errors name the JSON path.
Result<Loaded> load(std::string_view tokenizer_json, std::string_view config_json);

}  // namespace minerva::hf
