// Byte-level BPE: the regex pre-tokenizers of llama.cpp/HF (run through PCRE2), the GPT-2 byte mapping and
// llama.cpp's llm_tokenizer_bpe merge order (lowest rank first, leftmost on ties), on token ids instead of
// strings.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <unordered_map>

#include "tokenizer/bpe_merge.h"
#include "tokenizer/pcre_regex.h"

namespace minerva::bpe {
namespace {

// ---- The pre-tokenizer table -------------------------------------------------------------------------------
// Regexes as HF tokenizer.json / llama.cpp (llama-vocab.cpp) define them. `\s` is widened to Unicode White_Space
// (adds U+0085) when compiled, to match Oniguruma and llama.cpp; PCRE2's \s lacks it.

constexpr std::string_view kGpt2Re = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Re =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Re =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kCjkRe = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

constexpr std::string_view kDefaultRes[] = {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2Re, R"(\p{N}+)", "[0-9][0-9][0-9]"};
constexpr std::string_view kGpt2Res[] = {kGpt2Re};
constexpr std::string_view kLlama3Res[] = {kLlama3Re};
constexpr std::string_view kQwen2Res[] = {kQwen2Re};
constexpr std::string_view kFalconRes[] = {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2Re, "[0-9][0-9][0-9]"};
constexpr std::string_view kDigitThenGpt2Res[] = {R"(\p{N})", kGpt2Re};
constexpr std::string_view kDeepseekCoderRes[] = {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjkRe, R"(\p{N})"};
constexpr std::string_view kDeepseekLlmRes[] = {
    "[\r\n]",
    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373"
    "\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F"
    "\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77"
    "\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D"
    "\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4"
    "\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
    "\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D"
    "\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A"
    "\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2"
    "\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
    R"(\s+$)",
    kCjkRe,
    R"(\p{N}+)",
};
constexpr std::string_view kDeepseekV3Res[] = {
    R"(\p{N}{1,3})",
    "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};
constexpr std::string_view kTekkenRes[] = {
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};
constexpr std::string_view kBloomRes[] = {" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+"};

constexpr std::string_view kDefaultNames[] = {"default"};
constexpr std::string_view kGpt2Names[] = {"gpt-2",      "phi-2",      "mpt",          "olmo",     "jais",
                                           "trillion",   "jina-es",    "jina-de",      "gigachat", "jina-v1-en",
                                           "jina-v2-es", "jina-v2-de", "jina-v2-code", "a.x-4.0",  "mellum"};
constexpr std::string_view kLlama3Names[] = {"llama3",    "llama-v3", "llama-bpe", "falcon3",
                                             "falcon-h1", "pixtral",  "midm-2.0",  "lfm2"};
constexpr std::string_view kDbrxNames[] = {"dbrx", "smaug-bpe"};
constexpr std::string_view kQwen2Names[] = {"qwen2",     "qwen2.5", "qwen-2.5", "deepseek-r1-qwen",
                                            "stablelm2", "megrez",  "hunyuan"};
constexpr std::string_view kFalconNames[] = {"falcon"};
constexpr std::string_view kStarcoderNames[] = {"starcoder", "refact", "command-r", "smollm",
                                                "codeshell", "exaone", "minerva-7b"};
constexpr std::string_view kDeepseekCoderNames[] = {"deepseek-coder"};
constexpr std::string_view kDeepseekLlmNames[] = {"deepseek-llm"};
constexpr std::string_view kDeepseekV3Names[] = {"deepseek-v3"};
constexpr std::string_view kTekkenNames[] = {"tekken"};
constexpr std::string_view kBloomNames[] = {"bloom", "poro-chat", "gpt3-finnish"};

const PreTokenizerSpec kPreTokenizers[] = {
    {kDefaultNames, kDefaultRes},
    {kGpt2Names, kGpt2Res},
    {kLlama3Names, kLlama3Res, /*ignore_merges=*/true, /*default_add_bos=*/true},
    {kDbrxNames, kLlama3Res},
    {kQwen2Names, kQwen2Res},
    {kFalconNames, kFalconRes},
    {kStarcoderNames, kDigitThenGpt2Res},
    {kDeepseekCoderNames, kDeepseekCoderRes},
    {kDeepseekLlmNames, kDeepseekLlmRes},
    {kDeepseekV3Names, kDeepseekV3Res},
    {kTekkenNames, kTekkenRes, /*ignore_merges=*/true, /*default_add_bos=*/true},
    {kBloomNames, kBloomRes},
};

// ---- GPT-2 byte mapping ---------------------------------------------------------------------------------------

struct ByteMap {
  std::array<std::array<char, 2>, 256> utf8{};
  std::array<uint8_t, 256> len{};
  std::array<int16_t, 0x144> to_byte{};  // code point -> byte, -1 when not a mapped code point

  ByteMap() {
    to_byte.fill(-1);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const int cp = printable ? b : 256 + extra++;
      to_byte[static_cast<size_t>(cp)] = static_cast<int16_t>(b);
      auto& u = utf8[static_cast<size_t>(b)];
      if (cp < 0x80) {
        u[0] = static_cast<char>(cp);
        len[static_cast<size_t>(b)] = 1;
      } else {
        u[0] = static_cast<char>(0xC0 | (cp >> 6));
        u[1] = static_cast<char>(0x80 | (cp & 0x3F));
        len[static_cast<size_t>(b)] = 2;
      }
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

// Length of the well-formed UTF-8 character at s[0..n) (strict: no overlongs, surrogates, > U+10FFFF), or 0.
size_t valid_char_len(const uint8_t* s, size_t n) {
  const uint8_t b = s[0];
  if (b < 0x80) return 1;
  auto cont = [&](size_t i, uint8_t lo, uint8_t hi) { return i < n && s[i] >= lo && s[i] <= hi; };
  if (b >= 0xC2 && b <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const uint8_t lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const uint8_t lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

// ---- Compiled regexes and the merge table ----------------------------------------------------------------------

struct Regexes {
  std::vector<Regex> list;
};

namespace {

// Words up to this many bytes are cached per encode() call.
constexpr size_t kSmallWord = 48;

// Scratch buffers reused across the words of one encode() call.
struct Scratch {
  MergeScratch m;
  std::string encoded;
  // Per-call word cache: word text -> [begin, end) in `cached`.
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> cache;
  std::vector<Token> cached;
};

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre) {
  if (pre.empty()) pre = "default";
  for (const PreTokenizerSpec& spec : kPreTokenizers) {
    if (std::find(spec.names.begin(), spec.names.end(), pre) != spec.names.end()) return &spec;
  }
  return nullptr;
}

std::string supported_pre_tokenizers() {
  std::string out;
  for (const PreTokenizerSpec& spec : kPreTokenizers) {
    for (std::string_view name : spec.names) {
      if (!out.empty()) out += ", ";
      out += name;
    }
  }
  return out;
}

std::string_view byte_to_unicode(uint8_t b) {
  const ByteMap& m = byte_map();
  return {m.utf8[b].data(), m.len[b]};
}

std::string unicode_to_bytes(std::string_view text) {
  const ByteMap& m = byte_map();
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto* u = reinterpret_cast<const uint8_t*>(text.data() + i);
    const size_t len = valid_char_len(u, text.size() - i);
    if (len == 0) {
      out += text[i++];
      continue;
    }
    uint32_t cp = 0;
    if (len == 1) {
      cp = u[0];
    } else if (len == 2) {
      cp = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
    } else {
      cp = UINT32_MAX;  // 3-4 byte characters are never mapped bytes
    }
    if (cp < m.to_byte.size() && m.to_byte[cp] >= 0) {
      out += static_cast<char>(m.to_byte[cp]);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

Result<Model> Model::create(const Vocab& vocab) {
  const PreTokenizerSpec* spec = find_pre_tokenizer(vocab.pre());
  if (spec == nullptr) {
    return make_error("unknown pre-tokenizer '" + std::string(vocab.pre()) +
                      "' (tokenizer.ggml.pre); supported: " + supported_pre_tokenizers());
  }

  auto regexes = std::make_shared<Regexes>();
  for (std::string_view re : spec->regexes) {
    auto compiled = Regex::compile(re);
    if (!compiled.ok()) return make_error("pre-tokenizer " + compiled.error().message);
    regexes->list.push_back(std::move(compiled).value());
  }

  auto pairs = std::make_shared<PairTable>();
  const std::span<const std::string> merges = vocab.merges();
  pairs->reset(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view m = merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string_view::npos) continue;
    const Token l = vocab.find(m.substr(0, space));
    const Token r = vocab.find(m.substr(space + 1));
    joined.assign(m.substr(0, space));
    joined.append(m.substr(space + 1));
    const Token result = vocab.find(joined);
    // A merge whose parts or result are not tokens can never fire on ids: skipped.
    if (l < 0 || r < 0 || result < 0) continue;
    pairs->insert(l, r, static_cast<int32_t>(rank), result);
  }

  Model model;
  model.regexes_ = std::move(regexes);
  model.pairs_ = std::move(pairs);
  model.vocab_ = vocab;
  for (int b = 0; b < 256; ++b) {
    model.byte_ids_[static_cast<size_t>(b)] = vocab.find(byte_to_unicode(static_cast<uint8_t>(b)));
  }
  model.ignore_merges_ = spec->ignore_merges;
  return model;
}

namespace {

// Splits text[begin, end) with regex `level` and the ones after it; whole words go to `emit`.
template <typename Emit>
void split(const std::vector<Regex>& res, size_t level, std::string_view text, size_t begin, size_t end, Emit& emit) {
  if (begin >= end) return;
  if (level == res.size()) {
    emit(text.substr(begin, end - begin));
    return;
  }
  const std::string_view subject = text.substr(begin, end - begin);
  size_t gap = 0, mb = 0, me = 0;
  // No match, or a resource limit: the rest stays one piece.
  while (gap < subject.size() && res[level].find(subject, gap, &mb, &me)) {
    split(res, level + 1, text, begin + gap, begin + mb, emit);
    split(res, level + 1, text, begin + mb, begin + me, emit);
    gap = me;
  }
  split(res, level + 1, text, begin + gap, end, emit);
}

}  // namespace

void Model::encode(std::string_view text, std::vector<Token>& out) const {
  if (text.empty() || !regexes_) return;
  Scratch s;
  const PairTable& pairs = *pairs_;
  const bool use_cache = text.size() >= 4096;

  auto encode_word = [&](std::string_view word) {
    if (word.size() == 1) {
      if (const Token t = byte_ids_[static_cast<uint8_t>(word[0])]; t >= 0) out.push_back(t);
      return;
    }
    if (ignore_merges_) {
      s.encoded.clear();
      for (char c : word) s.encoded.append(byte_to_unicode(static_cast<uint8_t>(c)));
      if (const Token t = vocab_.find(s.encoded); t >= 0) {
        out.push_back(t);
        return;
      }
    }
    if (use_cache && word.size() <= kSmallWord) {
      if (auto it = s.cache.find(word); it != s.cache.end()) {
        out.insert(out.end(), s.cached.begin() + it->second.first, s.cached.begin() + it->second.second);
        return;
      }
    }
    const size_t first = out.size();
    s.m.ids.clear();
    for (char c : word) s.m.ids.push_back(byte_ids_[static_cast<uint8_t>(c)]);
    merge(pairs, s.m, out);
    if (use_cache && word.size() <= kSmallWord) {
      const auto b = static_cast<uint32_t>(s.cached.size());
      s.cached.insert(s.cached.end(), out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      s.cache.emplace(word, std::make_pair(b, static_cast<uint32_t>(s.cached.size())));
    }
  };

  // Valid UTF-8 runs go through the regexes; each byte that is not part of a well-formed character is a word
  // of its own.
  const auto* u = reinterpret_cast<const uint8_t*>(text.data());
  size_t run = 0;
  for (size_t i = 0; i < text.size();) {
    if (u[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = valid_char_len(u + i, text.size() - i);
    if (len > 0) {
      i += len;
      continue;
    }
    split(regexes_->list, 0, text, run, i, encode_word);
    encode_word(text.substr(i, 1));
    run = ++i;
  }
  split(regexes_->list, 0, text, run, text.size(), encode_word);
}

}  // namespace minerva::bpe
