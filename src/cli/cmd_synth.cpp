// `minerva synth`: writes a random-weight llama model of a given shape (for benchmarks and
// tests), with the tokenizer copied from a vocab GGUF. Weights are N(0, 0.02^2), norms
// 1 + N(0, 0.02^2). Quantized types are produced row by row, so only the output bytes are
// held in memory.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/quantize_policy.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "kernels/quantize.h"

namespace minerva::cli {

namespace {

struct SynthOptions {
  std::string arch = "llama";
  int64_t dim = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t ffn = 0;
  std::string vocab_from;
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  int64_t ctx = 4096;
  uint64_t seed = 42;
  std::string type = "F32";
  std::string output;
};

// Adds one tensor of `rows` rows of `n` values drawn from N(mean, 0.02^2), stored as the type
// the preset gives it. Each tensor has its own generator (seeded from the seed and its
// index), so the values do not depend on the types chosen.
Status add_random(GgufWriter& w, const QuantPreset& preset, const QuantModelShape& shape, const std::string& name,
                  int64_t n, int64_t rows, float mean, uint64_t seed, uint64_t index) {
  std::vector<int64_t> ne = {n};
  if (rows > 1) ne.push_back(rows);
  const TensorType type = quant_type_for(preset, name, ne, shape, TensorType::F32);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + index);
  std::normal_distribution<float> dist(mean, 0.02f);
  const uint64_t rb = quantized_row_bytes(type, n);
  std::vector<uint8_t> data(rb * static_cast<uint64_t>(rows));
  std::vector<float> row(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = dist(rng);
    quantize_row(type, row.data(), data.data() + static_cast<uint64_t>(r) * rb, n);
  }
  return w.add_tensor(name, type, ne, std::move(data));
}

int synth(const SynthOptions& o) {
  // qwen2: llama's blocks plus q/k/v biases, with the output tied to the token embedding.
  const bool qwen2 = o.arch == "qwen2";
  if (o.arch != "llama" && !qwen2) {
    return report(make_error("synth: unsupported --arch '" + o.arch + "' (supported: llama, qwen2)"));
  }
  const auto preset = find_quant_preset(o.type);
  if (!preset) {
    return report(make_error("synth: unsupported --type '" + o.type + "' (supported: " + quant_preset_names() + ")"));
  }
  if (o.heads <= 0 || o.dim % o.heads != 0) {
    return report(make_error("synth: --dim " + std::to_string(o.dim) + " is not a multiple of --heads " +
                             std::to_string(o.heads)));
  }
  const int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : o.heads;
  if (o.heads % kv_heads != 0) {
    return report(make_error("synth: --heads " + std::to_string(o.heads) + " is not a multiple of --kv-heads " +
                             std::to_string(kv_heads)));
  }
  auto vocab = GgufFile::open(o.vocab_from);
  if (!vocab) return report(vocab.error());
  auto tokens = vocab->get_array("tokenizer.ggml.tokens", GgufValueType::STRING);
  if (!tokens) return report(tokens.error());
  const auto n_vocab = static_cast<int64_t>((*tokens)->count);
  const int64_t head_dim = o.dim / o.heads;

  GgufWriter w;
  const std::string a = o.arch;
  w.set_string("general.architecture", a);
  w.set_string("general.name", "minerva-synth");
  w.set_u32("general.file_type", preset->ftype);
  w.set_u32("general.quantization_version", 2);
  w.set_u32(a + ".vocab_size", static_cast<uint32_t>(n_vocab));
  w.set_u32(a + ".context_length", static_cast<uint32_t>(o.ctx));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(o.dim));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(o.layers));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(o.ffn));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(o.heads));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(kv_heads));
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(head_dim));
  w.set_f32(a + ".rope.freq_base", o.rope_base);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", o.rms_eps);
  for (const auto& kv : vocab->metadata()) {
    if (kv.key.substr(0, 10) == "tokenizer.") w.set(kv.key, gguf_copy_value(kv.value));
  }

  uint64_t index = 0;
  // A tied embedding is typed as the output matrix, as llama.cpp's quantizer does.
  const QuantModelShape shape{o.layers, o.heads / kv_heads, !qwen2};
  auto add = [&](const std::string& name, int64_t n, int64_t rows, float mean) {
    return add_random(w, *preset, shape, name, n, rows, mean, o.seed, index++);
  };
  const int64_t kv_dim = kv_heads * head_dim;
  Status s = add("token_embd.weight", o.dim, n_vocab, 0.0f);
  for (int64_t i = 0; i < o.layers && s.ok(); ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    s = add(b + "attn_norm.weight", o.dim, 1, 1.0f);
    if (s) s = add(b + "attn_q.weight", o.dim, o.dim, 0.0f);
    if (s) s = add(b + "attn_k.weight", o.dim, kv_dim, 0.0f);
    if (s) s = add(b + "attn_v.weight", o.dim, kv_dim, 0.0f);
    if (qwen2) {
      if (s) s = add(b + "attn_q.bias", o.dim, 1, 0.0f);
      if (s) s = add(b + "attn_k.bias", kv_dim, 1, 0.0f);
      if (s) s = add(b + "attn_v.bias", kv_dim, 1, 0.0f);
    }
    if (s) s = add(b + "attn_output.weight", o.dim, o.dim, 0.0f);
    if (s) s = add(b + "ffn_norm.weight", o.dim, 1, 1.0f);
    if (s) s = add(b + "ffn_gate.weight", o.dim, o.ffn, 0.0f);
    if (s) s = add(b + "ffn_up.weight", o.dim, o.ffn, 0.0f);
    if (s) s = add(b + "ffn_down.weight", o.ffn, o.dim, 0.0f);
  }
  if (s) s = add("output_norm.weight", o.dim, 1, 1.0f);
  if (s && !qwen2) s = add("output.weight", o.dim, n_vocab, 0.0f);
  if (s) s = w.write_file(o.output);
  if (!s) return report(s.error());
  std::fprintf(stderr, "wrote %s: %s, dim %lld, %lld layers, %lld heads (%lld KV), FFN %lld, vocab %lld, %s\n",
               o.output.c_str(), a.c_str(), static_cast<long long>(o.dim), static_cast<long long>(o.layers),
               static_cast<long long>(o.heads), static_cast<long long>(kv_heads), static_cast<long long>(o.ffn),
               static_cast<long long>(n_vocab), std::string(preset->name).c_str());
  return 0;
}

}  // namespace

Command register_synth(CLI::App& app) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* sub = app.add_subcommand("synth", "Write a random-weight model of a given shape");
  sub->add_option("--arch", o->arch, "Architecture: llama, or qwen2 (q/k/v biases, output tied to the embedding)")
      ->capture_default_str();
  sub->add_option("--dim", o->dim, "Embedding size")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--layers", o->layers, "Number of blocks")->required()->check(CLI::Range(int64_t{1}, int64_t{4096}));
  sub->add_option("--heads", o->heads, "Attention heads")->required()->check(CLI::Range(int64_t{1}, int64_t{4096}));
  sub->add_option("--kv-heads", o->kv_heads, "KV heads (default: --heads)")
      ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  sub->add_option("--ffn", o->ffn, "Feed-forward size")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--vocab-from", o->vocab_from, "GGUF file whose tokenizer metadata is copied")->required();
  sub->add_option("--rope-base", o->rope_base, "RoPE frequency base")->capture_default_str();
  sub->add_option("--rms-eps", o->rms_eps, "RMS norm epsilon")->capture_default_str();
  sub->add_option("--ctx", o->ctx, "Training context length")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  sub->add_option("--type", o->type, "Weight type: " + quant_preset_names())->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output GGUF file")->required();
  return {sub, [o] { return synth(*o); }};
}

}  // namespace minerva::cli
