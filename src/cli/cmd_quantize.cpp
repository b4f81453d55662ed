// `minerva quantize IN.gguf OUT.gguf TYPE`: re-writes an F32/F16/BF16 model with quantized weights.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/quantize_policy.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "kernels/quantize.h"
#include "kernels/type_traits.h"

namespace minerva::cli {

namespace {

// Layer count, query heads per KV head and whether there is a separate output matrix, from the
// architecture's metadata and the tensor names (defaults where a key is missing or per-layer).
QuantModelShape model_shape(const GgufFile& f) {
  QuantModelShape s;
  s.has_output = f.find_tensor("output.weight") != nullptr;
  for (const TensorView& t : f.tensors()) s.n_layer = std::max(s.n_layer, layer_index(t.name) + 1);
  auto arch = f.get_string("general.architecture");
  if (!arch) return s;
  const std::string p = std::string(*arch) + ".";
  if (auto n = f.get_uint(p + "block_count")) s.n_layer = static_cast<int64_t>(*n);
  auto heads = f.get_uint(p + "attention.head_count");
  auto kv = f.get_uint(p + "attention.head_count_kv");
  if (heads && *heads > 0) s.n_gqa = static_cast<int64_t>(*heads / (kv && *kv > 0 ? *kv : *heads));
  return s;
}

struct QuantizeOptions {
  std::string input;
  std::string output;
  std::string type;
};

int quantize(const QuantizeOptions& o) {
  const auto preset = find_quant_preset(o.type);
  if (!preset) {
    return report(
        make_error("unsupported quantization type '" + o.type + "' (supported: " + quant_preset_names() + ")"));
  }
  auto in = GgufFile::open(o.input);
  if (!in) return report(in.error());
  const GgufFile& f = *in;
  for (const TensorView& t : f.tensors()) {
    if (t.type != TensorType::F32 && t.type != TensorType::F16 && t.type != TensorType::BF16) {
      return report(make_error(o.input + ": input is already quantized (tensor '" + std::string(t.name) + "' is " +
                               std::string(tensor_type_name(t.type)) + "); quantize from an F32, F16 or BF16 file"));
    }
  }
  const QuantModelShape shape = model_shape(f);

  GgufWriter w;
  w.copy_metadata(f);
  w.set_u32("general.quantization_version", 2);
  w.set_u32("general.file_type", preset->ftype);
  std::vector<float> row;
  int n_quantized = 0;
  uint64_t in_bytes = 0, out_bytes = 0;
  for (const TensorView& t : f.tensors()) {
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    const TensorType type = quant_type_for(*preset, t.name, ne, shape, t.type);
    in_bytes += t.nbytes;
    if (type == t.type) {
      out_bytes += t.nbytes;
      auto s = w.add_tensor(t.name, t.type, ne, std::span<const uint8_t>(t.data, t.nbytes));
      if (!s) return report(s.error());
      continue;
    }
    const TypeKernels* k = type_kernels(t.type);
    if (k == nullptr || k->to_float == nullptr) {
      return report(make_error(o.input + ": tensor '" + std::string(t.name) + "': no kernel reads " +
                               std::string(tensor_type_name(t.type))));
    }
    const int64_t n = t.ne[0], rows = t.rows();
    const uint64_t rb = quantized_row_bytes(type, n);
    std::vector<uint8_t> data(rb * static_cast<uint64_t>(rows));
    row.resize(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      k->to_float(t.data + static_cast<uint64_t>(r) * t.row_bytes(), row.data(), n);
      quantize_row(type, row.data(), data.data() + static_cast<uint64_t>(r) * rb, n);
    }
    out_bytes += data.size();
    auto s = w.add_tensor(t.name, type, ne, std::move(data));
    if (!s) return report(s.error());
    ++n_quantized;
  }
  auto s = w.write_file(o.output);
  if (!s) return report(s.error());
  std::fprintf(stderr, "quantized %d of %zu tensors to %s: %.2f MiB -> %.2f MiB\n", n_quantized, f.tensors().size(),
               std::string(preset->name).c_str(), static_cast<double>(in_bytes) / (1 << 20),
               static_cast<double>(out_bytes) / (1 << 20));
  return 0;
}

}  // namespace

Command register_quantize(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand("quantize", "Quantize an F32/F16/BF16 GGUF model (IN OUT TYPE)");
  sub->add_option("input", o->input, "Input GGUF model (F32, F16 or BF16 weights)")->required();
  sub->add_option("output", o->output, "Output GGUF file")->required();
  sub->add_option("type", o->type, "Target type: " + quant_preset_names())->required();
  return {sub, [o] { return quantize(*o); }};
}

}  // namespace minerva::cli
