// Test helpers: shared vocabs loaded once per process, the .inp/.out vector format, readable byte strings.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace minerva::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A tokenizer from a file under shared/ (e.g. "models/stories260K.gguf"), loaded once. nullptr on failure
// with the reason in *error.
inline const Tokenizer* shared_tokenizer(const std::string& rel, std::string* error = nullptr) {
  static std::mutex mu;
  static std::map<std::string, Result<Tokenizer>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(rel);
  if (it == cache.end()) {
    auto file = GgufFile::open(shared_path(rel));
    Result<Tokenizer> tok = file ? Tokenizer::from_gguf(*file) : Result<Tokenizer>(file.error());
    it = cache.emplace(rel, std::move(tok)).first;
  }
  if (!it->second.ok()) {
    if (error != nullptr) *error = it->second.error().message;
    return nullptr;
  }
  return &it->second.value();
}

// Tokenizer over hand-built GGUF bytes (see gguf_bytes.h); the bytes may die afterwards.
inline Result<Tokenizer> tokenizer_from_bytes(const std::vector<uint8_t>& bytes) {
  MINERVA_TRY(GgufFile file, GgufFile::parse(bytes, "test.gguf"));
  return Tokenizer::from_gguf(file);
}

// "a\n\xff" -> "a\\n\\xff": readable in failure messages.
inline std::string escape_bytes(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// Strict UTF-8 check (no overlongs, surrogates or values above U+10FFFF).
inline bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      n = 1, cp = b;
    } else if (b >= 0xC2 && b < 0xE0) {
      n = 2, cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b < 0xF0) {
      n = 3, cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b < 0xF5) {
      n = 4, cp = b & 0x07u;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += n;
  }
  return true;
}

// One test string of tokenizers/gguf/<vocab>.inp with its expected ids from <vocab>.out.
struct VectorCase {
  std::string vocab;  // file name under tokenizers/gguf/
  size_t index = 0;
  std::string text;
  std::vector<Token> expected;
  std::string load_error;  // non-empty: the vector files could not be read (the case fails saying so)
};

inline void PrintTo(const VectorCase& c, std::ostream* os) {
  *os << c.vocab << " #" << c.index << " \"" << escape_bytes(c.text) << "\"";
}

inline std::vector<VectorCase> load_vector_cases(const std::string& vocab) {
  const std::string base = shared_path("tokenizers/gguf/" + vocab);
  const std::string inp = read_file(base + ".inp");
  const std::string out = read_file(base + ".out");
  if (inp.empty() || out.empty()) return {VectorCase{vocab, 0, "", {}, "cannot read " + base + ".inp/.out"}};

  std::vector<std::string> texts;
  static constexpr std::string_view kSep = "\n__ggml_vocab_test__\n";
  for (size_t pos = 0;;) {
    const size_t next = inp.find(kSep, pos);
    if (next == std::string::npos) break;  // the piece after the last separator is the empty tail
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + kSep.size();
  }
  std::vector<std::vector<Token>> ids;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream nums(line);
    std::vector<Token> row;
    for (long long v; nums >> v;) row.push_back(static_cast<Token>(v));
    ids.push_back(std::move(row));
  }
  if (texts.size() != ids.size()) {
    return {VectorCase{
        vocab,
        0,
        "",
        {},
        base + ": " + std::to_string(texts.size()) + " strings but " + std::to_string(ids.size()) + " id lines"}};
  }
  std::vector<VectorCase> cases;
  for (size_t i = 0; i < texts.size(); ++i) cases.push_back({vocab, i, texts[i], ids[i], ""});
  return cases;
}

}  // namespace minerva::testing
