// Vocab: loading tokenizer.ggml.* metadata, plus the per-token fix-ups llama.cpp applies at load time (EOG
// detection by text, Phi-3's right-strip flags) so that tokenization matches it.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab_data.h"

namespace minerva {
namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// Texts llama.cpp takes as the end-of-turn token when tokenizer.ggml.eot_token_id is absent, in the order we
// try them (llama.cpp walks a hash map, so with several present its pick is arbitrary; we take the first).
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>",      "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>",      "_<EOT>",  "[EOT]",         "<end_of_utterance>",
};

// Texts that end generation in llama.cpp (its special_eog_ids) whatever their token_type says; such tokens
// are also forced to Control, which hides them in decode() and stops parse_special=false from splitting them.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
};

Error meta_error(const GgufFile& f, std::string_view key, const std::string& problem) {
  return make_error(f.path() + ": metadata '" + std::string(key) + "' " + problem);
}

// A special token id. Absent key -> `fallback`; 0xFFFFFFFF or a negative value (how converters write "none")
// -> -1; any other id outside the vocab is an error rather than a later out-of-bounds read.
Result<Token> read_token_id(const GgufFile& f, std::string_view key, size_t n_tokens, Token fallback) {
  const GgufValue* v = f.find(key);
  if (v == nullptr) return fallback;
  if (!v->is_integer()) {
    return meta_error(f, key, "has type " + std::string(gguf_value_type_name(v->type)) + ", expected an integer");
  }
  if (!v->int_fits_i64 || v->i < 0 || v->u == 0xFFFFFFFFu) return Token{-1};
  if (v->u >= n_tokens) {
    return meta_error(
        f, key, "is " + std::to_string(v->u) + ", out of range for a vocab of " + std::to_string(n_tokens) + " tokens");
  }
  return static_cast<Token>(v->u);
}

Result<bool> read_flag(const GgufFile& f, std::string_view key, bool fallback) {
  if (f.find(key) == nullptr) return fallback;
  return f.get_bool(key);
}

Status read_scores(const GgufFile& f, size_t n, VocabData& d) {
  d.scores.assign(n, 0.0f);
  const GgufValue* v = f.find(kScoresKey);
  if (v == nullptr) return Ok{};  // llama.cpp allows it: every score 0
  if (v->type != GgufValueType::ARRAY || (v->elem_type != GgufValueType::F32 && v->elem_type != GgufValueType::F64)) {
    return meta_error(f, kScoresKey, "is not an array of float32");
  }
  if (v->count != n) {
    return meta_error(
        f, kScoresKey,
        "has " + std::to_string(v->count) + " entries, but " + std::string(kTokensKey) + " has " + std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    const float s = static_cast<float>(v->number_at(i));
    // NaN would break the merge queue's ordering; such a piece simply never wins.
    d.scores[i] = std::isnan(s) ? -std::numeric_limits<float>::infinity() : s;
  }
  return Ok{};
}

Status read_types(const GgufFile& f, size_t n, VocabData& d) {
  d.attrs.assign(n, TokenAttr::Normal);
  const GgufValue* v = f.find(kTypesKey);
  if (v == nullptr) return Ok{};  // llama.cpp allows it: every token Normal
  if (v->type != GgufValueType::ARRAY || !gguf_is_integer_type(v->elem_type)) {
    return meta_error(f, kTypesKey, "is not an array of integers");
  }
  if (v->count != n) {
    return meta_error(
        f, kTypesKey,
        "has " + std::to_string(v->count) + " entries, but " + std::string(kTokensKey) + " has " + std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    const double t = v->number_at(i);
    d.attrs[i] = t >= 1 && t <= 6 ? static_cast<TokenAttr>(static_cast<int>(t)) : TokenAttr::Undefined;
  }
  return Ok{};
}

Status build_index(const GgufFile& f, const GgufValue& tokens, VocabData& d) {
  size_t total = 0;
  for (std::string_view s : tokens.strings) total += s.size();
  if (total > std::numeric_limits<uint32_t>::max()) {
    return meta_error(f, kTokensKey, "holds " + std::to_string(total) + " bytes of token text, more than 4 GiB");
  }
  d.arena.reserve(total);
  d.offsets.reserve(tokens.strings.size() + 1);
  for (std::string_view s : tokens.strings) {
    d.offsets.push_back(d.arena.size());
    d.arena.append(s);
    d.max_token_len = std::max(d.max_token_len, s.size());
  }
  d.offsets.push_back(d.arena.size());
  d.index.reset(d.arena.data(), tokens.strings.size());
  for (size_t i = 0; i < tokens.strings.size(); ++i) {
    const size_t len = d.offsets[i + 1] - d.offsets[i];
    // Duplicates: the last id wins, as in llama.cpp. Empty texts are not indexed (they would match nothing).
    if (len > 0) d.index.insert(static_cast<uint32_t>(d.offsets[i]), static_cast<uint32_t>(len), static_cast<Token>(i));
  }
  return Ok{};
}

Token lookup(const VocabData& d, std::string_view s) { return d.index.find(s); }

void build_byte_tokens(VocabData& d, bool byte_level) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (byte_level) {  // byte-level BPE: each byte is the token of its GPT-2 code point
    for (int b = 0; b < 256; ++b) {
      const Token t = lookup(d, bpe::byte_to_unicode(static_cast<uint8_t>(b)));
      d.byte_tokens[static_cast<size_t>(b)] = t < 0 ? d.unk : t;
    }
    return;
  }
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    Token t = lookup(d, std::string_view(name, 6));
    const char raw = static_cast<char>(b);
    if (t < 0) t = lookup(d, std::string_view(&raw, 1));
    d.byte_tokens[static_cast<size_t>(b)] = t < 0 ? d.unk : t;
  }
}

void mark_eog(VocabData& d) {
  if (d.eot < 0) {
    for (std::string_view s : kEotTexts) {
      if (const Token t = lookup(d, s); t >= 0) {
        d.eot = t;
        d.attrs[static_cast<size_t>(t)] = TokenAttr::Control;
        break;
      }
    }
  }
  if (d.eom < 0) d.eom = lookup(d, "<|eom_id|>");
  for (std::string_view s : kEogTexts) {
    if (const Token t = lookup(d, s); t >= 0) {
      d.eog.push_back(t);
      d.attrs[static_cast<size_t>(t)] = TokenAttr::Control;
    }
  }
  for (Token t : {d.eos, d.eot, d.eom}) {
    if (t >= 0) d.eog.push_back(t);
  }
  // llama.cpp's exceptions: in harmony-style vocabs <|end|> only ends a message, and in vocabs with
  // <|tool_response> the text </s> is ordinary.
  auto has = [&](std::string_view s) {
    const Token t = lookup(d, s);
    return t >= 0 && std::find(d.eog.begin(), d.eog.end(), t) != d.eog.end();
  };
  auto unmark = [&](std::string_view s, TokenAttr attr) {
    const Token t = lookup(d, s);
    d.eog.erase(std::remove(d.eog.begin(), d.eog.end(), t), d.eog.end());
    d.attrs[static_cast<size_t>(t)] = attr;
  };
  if (has("<|end|>") && ((has("<|return|>") && (has("<|call|>") || has("<|calls|>"))) ||
                         ((has("<|call|>") || has("<|calls|>")) && has("<|flush|>")))) {
    unmark("<|end|>", TokenAttr::UserDefined);
  }
  if (has("</s>") && has("<|tool_response>")) unmark("</s>", TokenAttr::Normal);
  std::sort(d.eog.begin(), d.eog.end());
  d.eog.erase(std::unique(d.eog.begin(), d.eog.end()), d.eog.end());
}

void build_special(VocabData& d) {
  for (size_t i = 0; i < d.size(); ++i) {
    const TokenAttr a = d.attrs[i];
    if ((a == TokenAttr::Control || a == TokenAttr::UserDefined || a == TokenAttr::Unknown) &&
        !d.text(static_cast<Token>(i)).empty()) {
      d.special.push_back(static_cast<Token>(i));
    }
  }
  std::stable_sort(d.special.begin(), d.special.end(),
                   [&](Token a, Token b) { return d.text(a).size() > d.text(b).size(); });
}

// Whitespace-stripping flags are not in GGUF; llama.cpp sets them from the model/tokenizer names.
void set_strip_flags(const GgufFile& f, VocabData& d) {
  d.strip.assign(d.size(), 0);
  auto set = [&](std::string_view text, uint8_t flag, bool on) {
    const Token t = lookup(d, text);
    if (t < 0) return;
    auto& s = d.strip[static_cast<size_t>(t)];
    s = on ? static_cast<uint8_t>(s | flag) : static_cast<uint8_t>(s & ~flag);
  };
  auto get = [&](std::string_view key) {
    const GgufValue* v = f.find(key);
    return v != nullptr && v->type == GgufValueType::STRING ? v->str : std::string_view();
  };
  const std::string_view pre = get("tokenizer.ggml.pre");
  const std::string_view arch = get("general.architecture");
  auto contains = [](std::string_view s, std::initializer_list<std::string_view> subs) {
    return std::any_of(subs.begin(), subs.end(), [&](std::string_view x) { return s.find(x) != s.npos; });
  };
  if (contains(pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) ||
      contains(arch, {"nomic-bert-moe", "jina-bert-v3"})) {
    set("<mask>", VocabData::kStripLeft, true);
  } else if (contains(d.name, {"phi-3", "phi3"})) {
    for (Token t : d.special) d.strip[static_cast<size_t>(t)] |= VocabData::kStripRight;
    set("</s>", VocabData::kStripRight, true);
    for (std::string_view s : {"<unk>", "<s>", "<|endoftext|>"}) set(s, VocabData::kStripRight, false);
  } else if (contains(d.name, {"modern-bert"})) {
    set("[MASK]", VocabData::kStripLeft, true);
  }
}

}  // namespace

Vocab::Vocab() : d_(std::make_shared<VocabData>()) {}

Vocab finish_vocab(std::shared_ptr<VocabData> d, const std::vector<std::string>& texts, bool byte_level) {
  d->offsets.clear();
  d->arena.clear();
  for (const std::string& t : texts) {
    d->offsets.push_back(d->arena.size());
    d->arena += t;
    d->max_token_len = std::max(d->max_token_len, t.size());
  }
  d->offsets.push_back(d->arena.size());
  d->scores.assign(texts.size(), 0.0f);
  d->index.reset(d->arena.data(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!texts[i].empty()) {
      d->index.insert(static_cast<uint32_t>(d->offsets[i]), static_cast<uint32_t>(texts[i].size()),
                      static_cast<Token>(i));
    }
  }
  build_byte_tokens(*d, byte_level);
  mark_eog(*d);
  build_special(*d);
  d->strip.assign(d->size(), 0);
  Vocab v;
  v.d_ = std::move(d);
  return v;
}

Result<Vocab> Vocab::from_gguf(const GgufFile& file) {
  auto d = std::make_shared<VocabData>();
  MINERVA_TRY(std::string_view model, file.get_string(kModelKey));
  d->model = std::string(model);
  if (const GgufValue* v = file.find("general.name"); v != nullptr && v->type == GgufValueType::STRING) {
    d->name = std::string(v->str);
    std::transform(d->name.begin(), d->name.end(), d->name.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  }

  MINERVA_TRY(const GgufValue* tokens, file.get_array(kTokensKey, GgufValueType::STRING));
  const size_t n = tokens->strings.size();
  if (n == 0) return meta_error(file, kTokensKey, "is empty");
  if (n > static_cast<size_t>(std::numeric_limits<Token>::max())) {
    return meta_error(file, kTokensKey, "has " + std::to_string(n) + " tokens, more than a token id can hold");
  }
  MINERVA_CHECK(read_scores(file, n, *d));
  if (file.find(kPreKey) != nullptr) {
    MINERVA_TRY(std::string_view pre, file.get_string(kPreKey));
    d->pre = std::string(pre);
  }
  if (file.find(kMergesKey) != nullptr) {
    MINERVA_TRY(const GgufValue* merges, file.get_array(kMergesKey, GgufValueType::STRING));
    d->merges.assign(merges->strings.begin(), merges->strings.end());
  }
  MINERVA_CHECK(read_types(file, n, *d));

  // SPM defaults are llama.cpp's for tokenizer.ggml.model "llama" when the keys are absent.
  const bool spm = d->model == "llama";
  auto spm_default = [&](Token id) { return spm && static_cast<size_t>(id) < n ? id : Token{-1}; };
  // BERT (WordPiece): llama.cpp brackets the text with [CLS] (as BOS) and [SEP]; GGUF names them cls/seperator.
  const bool wpm = d->model == "bert";
  Token bos_default = spm_default(1), eos_default = spm_default(2);
  if (wpm) {
    MINERVA_TRY(bos_default, read_token_id(file, "tokenizer.ggml.cls_token_id", n, n > 101 ? Token{101} : -1));
    MINERVA_TRY(eos_default, read_token_id(file, "tokenizer.ggml.seperator_token_id", n, n > 102 ? Token{102} : -1));
  }
  MINERVA_TRY(d->bos, read_token_id(file, "tokenizer.ggml.bos_token_id", n, bos_default));
  MINERVA_TRY(d->eos, read_token_id(file, "tokenizer.ggml.eos_token_id", n, eos_default));
  MINERVA_TRY(d->unk, read_token_id(file, "tokenizer.ggml.unknown_token_id", n, spm_default(0)));
  MINERVA_TRY(d->eot, read_token_id(file, "tokenizer.ggml.eot_token_id", n, -1));
  MINERVA_TRY(d->eom, read_token_id(file, "tokenizer.ggml.eom_token_id", n, -1));
  // BPE: llama.cpp turns add_bos on by default for some pre-tokenizers (llama3, tekken).
  const bpe::PreTokenizerSpec* pre_spec = d->model == "gpt2" ? bpe::find_pre_tokenizer(d->pre) : nullptr;
  const bool add_bos_default = spm || wpm || (pre_spec != nullptr && pre_spec->default_add_bos);
  MINERVA_TRY(d->add_bos, read_flag(file, "tokenizer.ggml.add_bos_token", add_bos_default));
  MINERVA_TRY(d->add_eos, read_flag(file, "tokenizer.ggml.add_eos_token", wpm));
  MINERVA_TRY(d->add_space_prefix, read_flag(file, "tokenizer.ggml.add_space_prefix", spm));

  MINERVA_CHECK(build_index(file, *tokens, *d));
  build_byte_tokens(*d, d->model == "gpt2");
  mark_eog(*d);
  build_special(*d);
  set_strip_flags(file, *d);

  Vocab v;
  v.d_ = std::move(d);
  return v;
}

size_t Vocab::size() const { return d_->size(); }
std::string_view Vocab::text(Token t) const { return valid(t) ? d_->text(t) : std::string_view(); }
float Vocab::score(Token t) const { return valid(t) ? d_->scores[static_cast<size_t>(t)] : 0.0f; }
TokenAttr Vocab::attr(Token t) const { return valid(t) ? d_->attrs[static_cast<size_t>(t)] : TokenAttr::Undefined; }
Token Vocab::bos() const { return d_->bos; }
Token Vocab::eos() const { return d_->eos; }
Token Vocab::unk() const { return d_->unk; }
Token Vocab::eot() const { return d_->eot; }
bool Vocab::add_bos() const { return d_->add_bos; }
bool Vocab::add_eos() const { return d_->add_eos; }
bool Vocab::add_space_prefix() const { return d_->add_space_prefix; }
bool Vocab::is_eog(Token t) const { return std::binary_search(d_->eog.begin(), d_->eog.end(), t); }
std::string_view Vocab::model() const { return d_->model; }
std::string_view Vocab::name() const { return d_->name; }
std::string_view Vocab::pre() const { return d_->pre; }
std::span<const std::string> Vocab::merges() const { return d_->merges; }
Token Vocab::find(std::string_view text) const { return lookup(*d_, text); }
Token Vocab::byte_token(uint8_t byte) const { return d_->byte_tokens[byte]; }
size_t Vocab::max_token_len() const { return d_->max_token_len; }
std::span<const Token> Vocab::special_tokens() const { return d_->special; }
bool Vocab::strips_left(Token t) const {
  return valid(t) && (d_->strip[static_cast<size_t>(t)] & VocabData::kStripLeft) != 0;
}
bool Vocab::strips_right(Token t) const {
  return valid(t) && (d_->strip[static_cast<size_t>(t)] & VocabData::kStripRight) != 0;
}

}  // namespace minerva
