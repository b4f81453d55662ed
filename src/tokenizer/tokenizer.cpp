// Tokenizer: special-token split + SPM, BPE or WordPiece segmentation (encode), piece table (decode). Mirrors
// llama.cpp's llama_tokenize / llama_token_to_piece / llama_detokenize for SPM, byte-level BPE and WPM vocabs.
#include "tokenizer/tokenizer.h"

#include "tokenizer/bpe.h"
#include "tokenizer/special_split.h"
#include "tokenizer/spm.h"
#include "tokenizer/wpm.h"

namespace minerva {

struct TokenizerData {
  Vocab vocab;
  SpecialSplitter splitter;
  bool is_bpe = false;  // tokenizer.ggml.model "gpt2"
  bool is_wpm = false;  // "bert"; neither: SPM
  spm::Model spm;
  bpe::Model bpe;
  std::vector<std::string> pieces;  // what each token renders as when it is rendered at all
};

namespace {

constexpr std::string_view kSupportedModels = "llama (SentencePiece/SPM), gpt2 (byte-level BPE), bert (WordPiece)";

bool supported_model(std::string_view model) { return model == "llama" || model == "gpt2" || model == "bert"; }

// "<0x0A>" -> 0x0A; -1 when the text is not of that form.
int parse_byte_token(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() != 6 || !text.starts_with("<0x") || text[5] != '>') return -1;
  const int hi = hex(text[3]), lo = hex(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string make_piece(const Vocab& v, Token t, bool bpe) {
  const std::string_view text = v.text(t);
  if (bpe) {  // llama.cpp: Normal texts map back through the GPT-2 byte table; Byte/Unused/Undefined render nothing
    switch (v.attr(t)) {
      case TokenAttr::Normal:
        return bpe::unicode_to_bytes(text);
      case TokenAttr::Control:
      case TokenAttr::Unknown:
      case TokenAttr::UserDefined:
        return std::string(text);
      default:
        return {};
    }
  }
  switch (v.attr(t)) {
    case TokenAttr::Normal: {
      std::string out;
      out.reserve(text.size());
      for (size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i).starts_with("\xE2\x96\x81")) {
          out.push_back(' ');
          i += 2;
        } else {
          out.push_back(text[i]);
        }
      }
      return out;
    }
    case TokenAttr::Byte: {
      const int b = parse_byte_token(text);
      return b < 0 ? std::string(text) : std::string(1, static_cast<char>(b));
    }
    case TokenAttr::Control:
    case TokenAttr::Unknown:
    case TokenAttr::UserDefined:
      return std::string(text);  // verbatim, no ▁ unescaping (llama.cpp does the same)
    case TokenAttr::Unused:
    case TokenAttr::Undefined:
      break;
  }
  return {};
}

bool hidden_unless_special(TokenAttr a) { return a == TokenAttr::Control || a == TokenAttr::Unknown; }

}  // namespace

Tokenizer::Tokenizer() : d_(std::make_shared<const TokenizerData>()) {}

Result<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  MINERVA_TRY(std::string_view model, file.get_string("tokenizer.ggml.model"));
  if (!supported_model(model)) {
    return make_error(file.path() + ": tokenizer model '" + std::string(model) +
                      "' (tokenizer.ggml.model) is not supported; supported: " + std::string(kSupportedModels));
  }
  if (model == "gpt2" && file.find("tokenizer.ggml.merges") == nullptr) {
    return make_error(file.path() + ": BPE vocab without merges (metadata 'tokenizer.ggml.merges' is missing)");
  }
  MINERVA_TRY(Vocab vocab, Vocab::from_gguf(file));
  auto tok = from_vocab(std::move(vocab));
  if (!tok.ok()) return make_error(file.path() + ": " + tok.error().message);
  return tok;
}

Result<Tokenizer> Tokenizer::from_vocab(Vocab vocab) {
  if (!supported_model(vocab.model())) {
    return make_error("tokenizer model '" + std::string(vocab.model()) +
                      "' is not supported; supported: " + std::string(kSupportedModels));
  }
  auto d = std::make_shared<TokenizerData>();
  d->splitter = SpecialSplitter(vocab);
  d->is_bpe = vocab.model() == "gpt2";
  d->is_wpm = vocab.model() == "bert";
  if (d->is_bpe) {
    MINERVA_TRY(d->bpe, bpe::Model::create(vocab));
  } else if (!d->is_wpm) {
    d->spm = spm::Model(vocab);
  }
  d->pieces.reserve(vocab.size());
  for (size_t t = 0; t < vocab.size(); ++t) d->pieces.push_back(make_piece(vocab, static_cast<Token>(t), d->is_bpe));
  d->vocab = std::move(vocab);
  Tokenizer tok;
  tok.d_ = std::move(d);
  return tok;
}

const Vocab& Tokenizer::vocab() const { return d_->vocab; }

std::vector<Token> Tokenizer::encode(std::string_view text, TokenizeOptions opts) const {
  const Vocab& v = d_->vocab;
  std::vector<Token> out;
  out.reserve(text.size() / 3 + 2);
  if (opts.add_special && v.add_bos() && v.bos() >= 0) out.push_back(v.bos());
  // The dummy-prefix space goes before the first raw fragment and before any raw fragment that follows a
  // special token (llama.cpp; a BOS added above does not count as "previous").
  bool prev_special = true;
  for (const Fragment& f : d_->splitter.split(v, text, opts.parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    if (d_->is_bpe) {
      d_->bpe.encode(text.substr(f.begin, f.end - f.begin), out);
      continue;
    }
    if (d_->is_wpm) {
      wpm::encode(v, text.substr(f.begin, f.end - f.begin), out);
      continue;
    }
    const std::string escaped =
        spm::escape_whitespace(text.substr(f.begin, f.end - f.begin), v.add_space_prefix() && prev_special);
    d_->spm.encode(v, escaped, out);
    prev_special = false;
  }
  if (opts.add_special && v.add_eos() && v.eos() >= 0) out.push_back(v.eos());
  return out;
}

void Tokenizer::append_piece(std::string& out, Token t, bool render_special, bool strip_leading_space) const {
  const Vocab& v = d_->vocab;
  if (!v.valid(t)) return;
  if (!render_special && hidden_unless_special(v.attr(t))) return;
  std::string_view piece = d_->pieces[static_cast<size_t>(t)];
  if (strip_leading_space && piece.starts_with(' ')) piece.remove_prefix(1);
  out.append(piece);
}

std::string Tokenizer::token_to_piece(Token t, bool render_special) const {
  std::string out;
  append_piece(out, t, render_special, false);
  return out;
}

std::string Tokenizer::decode(std::span<const Token> tokens, bool render_special) const {
  std::string out;
  // Only the first token's piece loses its space, even when that piece renders as nothing (e.g. BOS).
  bool strip = d_->vocab.add_space_prefix();
  for (Token t : tokens) {
    append_piece(out, t, render_special, strip);
    strip = false;
  }
  return out;
}

}  // namespace minerva
