// Tokenizer: special-token split + SPM, BPE or WordPiece segmentation (encode), piece table (decode). Mirrors
// llama.cpp's llama_tokenize / llama_token_to_piece / llama_detokenize for SPM, byte-level BPE and WPM vocabs.
#include "tokenizer/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokenizer/bpe.h"
#include "tokenizer/hf.h"
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
  std::shared_ptr<const hf::Pipeline> hf;  // tokenizer.json; everything above but vocab/pieces unused then
  std::vector<std::string> pieces;         // what each token renders as when it is rendered at all
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

Result<Tokenizer> Tokenizer::from_hf_json(std::string_view tokenizer_json, std::string_view config_json) {
  MINERVA_TRY(hf::Loaded loaded, hf::load(tokenizer_json, config_json));
  auto d = std::make_shared<TokenizerData>();
  d->pieces.reserve(loaded.vocab.size());
  for (size_t t = 0; t < loaded.vocab.size(); ++t)
    d->pieces.push_back(loaded.pipeline->piece(static_cast<Token>(t), false));
  d->vocab = std::move(loaded.vocab);
  d->hf = std::move(loaded.pipeline);
  Tokenizer tok;
  tok.d_ = std::move(d);
  return tok;
}

namespace {

Result<std::string> slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(path.string() + ": read error");
  return ss.str();
}

}  // namespace

Result<Tokenizer> Tokenizer::from_hf(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path json_path = path;
  if (fs::is_directory(json_path, ec)) json_path /= "tokenizer.json";
  MINERVA_TRY(const std::string text, slurp(json_path));
  const fs::path config_path = json_path.parent_path() / "tokenizer_config.json";
  std::string config;
  if (fs::exists(config_path, ec)) {
    MINERVA_TRY(config, slurp(config_path));
  }
  auto tok = from_hf_json(text, config);
  if (!tok.ok()) {
    const std::string& m = tok.error().message;
    // Errors about the config name it; the rest are about tokenizer.json.
    return make_error((m.starts_with("tokenizer_config.json")
                           ? config_path.string() + m.substr(21)
                           : json_path.string() + ": " + (m.starts_with("tokenizer.json: ") ? m.substr(16) : m)));
  }
  return tok;
}

Result<Tokenizer> Tokenizer::from_path(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path + ": cannot open");
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() == 4 && std::string_view(magic, 4) == "GGUF") {
      MINERVA_TRY(GgufFile file, GgufFile::open(path));
      return from_gguf(file);
    }
  }
  return from_hf(path);
}

bool Tokenizer::is_hf() const { return d_->hf != nullptr; }
std::string_view Tokenizer::chat_template() const { return d_->hf ? std::string_view(d_->hf->chat_template) : ""; }
bool Tokenizer::clean_up_spaces() const { return d_->hf && d_->hf->clean_up_spaces; }

std::string hf_clean_up_spaces(std::string_view text) { return hf::clean_up_tokenization_spaces(text); }

const Vocab& Tokenizer::vocab() const { return d_->vocab; }

std::vector<Token> Tokenizer::encode(std::string_view text, TokenizeOptions opts) const {
  const Vocab& v = d_->vocab;
  std::vector<Token> out;
  out.reserve(text.size() / 3 + 2);
  if (d_->hf) {
    d_->hf->encode(text, opts.add_special, opts.parse_special, out);
    return out;
  }
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

bool Tokenizer::append_piece(std::string& out, Token t, bool render_special, bool first) const {
  const Vocab& v = d_->vocab;
  const bool hf = d_->hf != nullptr;
  if (!v.valid(t)) return !hf;
  if (!render_special && hidden_unless_special(v.attr(t))) return !hf;
  if (hf) {
    out.append(first ? d_->hf->piece(t, true) : d_->pieces[static_cast<size_t>(t)]);
    return true;
  }
  std::string_view piece = d_->pieces[static_cast<size_t>(t)];
  if (first && v.add_space_prefix() && piece.starts_with(' ')) piece.remove_prefix(1);
  out.append(piece);
  return true;
}

std::string Tokenizer::token_to_piece(Token t, bool render_special) const {
  std::string out;
  append_piece(out, t, render_special, false);
  return out;
}

std::string Tokenizer::decode(std::span<const Token> tokens, bool render_special) const {
  std::string out;
  // GGUF: only the first token's piece loses its space, even when that piece renders as nothing (e.g. BOS).
  bool first = true;
  for (Token t : tokens) {
    if (append_piece(out, t, render_special, first)) first = false;
  }
  return out;
}

}  // namespace minerva
