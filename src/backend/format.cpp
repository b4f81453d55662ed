#include "backend/format.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "kernels/matmul.h"
#include "model/arch.h"

namespace minerva {

namespace fs = std::filesystem;

const char* format_name(ModelFormat f) {
  switch (f) {
    case ModelFormat::Gguf:
      return "gguf";
    case ModelFormat::HfDir:
      return "hf";
    case ModelFormat::MlxDir:
      return "mlx";
  }
  return "?";
}

namespace {

// Safetensors header size bound: real headers are kilobytes to a few megabytes.
constexpr uint64_t kMaxSafetensorsHeader = 64u << 20;

std::string hex_bytes(const uint8_t* b, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
  }
  return s;
}

// Tensor names in a safetensors file's JSON header (empty on any problem: detection only).
std::vector<std::string> safetensors_names(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  uint8_t len_bytes[8] = {};
  if (!in.read(reinterpret_cast<char*>(len_bytes), 8)) return {};
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
  if (len == 0 || len > kMaxSafetensorsHeader) return {};
  std::string header(len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(len))) return {};
  auto j = nlohmann::json::parse(header, nullptr, false);
  std::vector<std::string> names;
  if (!j.is_object()) return names;
  for (auto& [k, v] : j.items()) names.push_back(k);
  return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<DetectedModel> detect_directory(const std::string& path) {
  const fs::path dir(path);
  std::vector<fs::path> shards;
  bool has_index = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (ends_with(name, ".safetensors")) shards.push_back(e.path());
    if (ends_with(name, ".safetensors.index.json")) has_index = true;
  }
  if (ec) return make_error(path + ": cannot list the directory: " + ec.message());
  const fs::path config = dir / "config.json";
  if (!fs::exists(config)) {
    return make_error(path +
                      ": a directory without config.json is not a model (expected a HuggingFace or MLX model "
                      "directory: config.json + *.safetensors)");
  }
  if (shards.empty() && !has_index) {
    return make_error(path +
                      ": has config.json but no *.safetensors weights (PyTorch .bin checkpoints are not "
                      "supported; convert them to safetensors or GGUF)");
  }
  std::ifstream in(config);
  auto cfg = nlohmann::json::parse(in, nullptr, false);
  if (!cfg.is_object()) return make_error(config.string() + ": not a JSON object");
  DetectedModel d;
  d.path = path;
  d.format = ModelFormat::HfDir;
  if (auto it = cfg.find("model_type"); it != cfg.end() && it->is_string()) d.architecture = *it;
  bool mlx = cfg.contains("quantization") || cfg.contains("quantization_config_mlx");
  if (!mlx && !shards.empty()) {
    for (const auto& n : safetensors_names(shards.front())) {
      if (ends_with(n, ".scales") || ends_with(n, ".biases")) {
        mlx = true;
        break;
      }
    }
  }
  if (mlx) d.format = ModelFormat::MlxDir;
  d.detail = std::to_string(shards.size()) + " safetensors file(s)" + (mlx ? ", MLX quantized" : "");
  return d;
}

}  // namespace

Result<DetectedModel> detect_model_format(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return make_error(path + ": no such file or directory");
  if (fs::is_directory(st)) return detect_directory(path);
  std::ifstream in(path, std::ios::binary);
  std::array<uint8_t, 8> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto n = static_cast<size_t>(in.gcount());
  if (!in && n == 0) return make_error(path + ": cannot read the file (empty or unreadable)");
  if (n >= 4 && std::memcmp(head.data(), "GGUF", 4) == 0) {
    if (n < 8)
      return make_error(path + ": GGUF magic but the file ends before the version (" + std::to_string(n) + " bytes)");
    const uint32_t version = head[4] | (head[5] << 8) | (head[6] << 16) | (static_cast<uint32_t>(head[7]) << 24);
    if (version < 2 || version > 3) {
      return make_error(path + ": GGUF version " + std::to_string(version) + " is not supported (expected 2 or 3)");
    }
    DetectedModel d;
    d.path = path;
    d.format = ModelFormat::Gguf;
    d.detail = "GGUF v" + std::to_string(version);
    if (auto f = GgufFile::open(path); f) {
      if (auto a = f->get_string("general.architecture"); a) d.architecture = std::string(a.value());
      d.detail += ", " + std::to_string(f->tensors().size()) + " tensors";
    } else {
      return f.error();
    }
    return d;
  }
  // Legacy llama.cpp magics, stored as little-endian uint32 ('ggml', 'ggmf', 'ggjt', 'ggla', 'ggsn').
  if (n >= 4) {
    for (const char* magic : {"lmgg", "fmgg", "tjgg", "algg", "nsgg"}) {
      if (std::memcmp(head.data(), magic, 4) == 0) {
        return make_error(path + ": legacy GGML file (magic '" + std::string{magic[3], magic[2], magic[1], magic[0]} +
                          "'); convert it to GGUF with llama.cpp's convert scripts");
      }
    }
  }
  return make_error(path + ": not a model file: expected the GGUF magic, found bytes " + hex_bytes(head.data(), n) +
                    " (" + std::to_string(n) + " bytes read)");
}

Status native_engine_supports(const std::string& gguf_path) {
  MINERVA_TRY(GgufFile f, GgufFile::open(gguf_path));
  MINERVA_TRY(std::string_view arch, f.get_string("general.architecture"));
  if (auto a = find_arch(arch); !a) return a.error().with_context(gguf_path);
  for (const auto& t : f.tensors()) {
    if (!kernels_support(t.type)) {
      return make_error(gguf_path + ": tensor '" + std::string(t.name) + "' has type " +
                            std::string(tensor_type_name(t.type)) + ", which the native engine does not support",
                        ErrorKind::Unsupported);
    }
  }
  return Ok{};
}

bool is_native_unsupported_error(const Error& e) { return e.kind == ErrorKind::Unsupported; }

}  // namespace minerva
