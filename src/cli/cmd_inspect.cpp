// `minerva inspect MODEL`: what a GGUF file holds — header, metadata, tensor table and the model
// facts derived from them — as text, or as JSON with --json. Reads only the header (the file is
// mapped, tensor data is never touched), so it is instant even for large models.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "formats/gguf.h"
#include "formats/gguf_describe.h"
#include "model/model.h"

namespace minerva::cli {

namespace {

struct InspectOptions {
  std::string model;
  bool json = false;
};

constexpr size_t kJsonArrayItems = 16;  // JSON lists the first items of long arrays, plus the count

std::string optional_value(const GgufValue* v, const char* absent = "-") {
  return v != nullptr ? format_gguf_value(*v) : std::string(absent);
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// Keys and tensor names as they are, unless a control byte would break the line: then quoted.
std::string printable(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return quote_gguf_string(name, 200);
  }
  return std::string(name);
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

nlohmann::ordered_json f32_json(float x);

// What the native engine makes of the file: the architecture's switches and the parameters it
// reads (rope, windows, soft-caps), as label/value pairs shared by the text and JSON outputs.
struct EngineFacts {
  bool loaded = false;
  std::string error;  // when not loaded
  bool unsupported = false;
  struct Item {
    std::string label, key;  // text label, JSON key
    nlohmann::ordered_json value;
  };
  std::vector<Item> items;
};

std::string fmt(float x) { return format_float(x); }

std::string window_layers(const HParams& hp) {
  std::string s;
  int64_t n = 0;
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    if (!hp.is_swa(l)) continue;
    ++n;
    if (n <= 8) s += (s.empty() ? "" : ",") + std::to_string(l);
  }
  if (n > 8) s += ",...";
  return std::to_string(n) + " of " + std::to_string(hp.n_layer) + " layers (" + s + ")";
}

EngineFacts engine_facts(const std::shared_ptr<const GgufFile>& file) {
  EngineFacts e;
  auto m = Model::load(file);
  if (!m) {
    e.error = m.error().message;
    e.unsupported = m.error().kind == ErrorKind::Unsupported;
    return e;
  }
  e.loaded = true;
  const Model& model = *m.value();
  const HParams& hp = model.hparams();
  auto add = [&e](std::string label, nlohmann::ordered_json v) {
    std::string key = label;  // "rope base (windowed)" -> "rope_base_windowed"
    std::erase_if(key, [](char c) { return c == '(' || c == ')'; });
    std::replace_if(
        key.begin(), key.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
    e.items.push_back({std::move(label), std::move(key), std::move(v)});
  };
  add("rope type", rope_type_name(hp.rope_type));
  add("rope dims", hp.n_rot);
  add("rope base", f32_json(hp.rope.freq_base));
  std::string scaling = rope_scaling_name(hp.rope_scaling);
  if (hp.rope_scaling != RopeScaling::None) {
    scaling += " x" + fmt(1.0f / hp.rope.freq_scale) + " (original context " + std::to_string(hp.n_ctx_orig) + ")";
  }
  add("rope scaling", scaling);
  std::string factors = "none";
  if (model.rope_freqs != nullptr) factors = "rope_freqs (llama3)";
  if (model.rope_long != nullptr || model.rope_short != nullptr) {
    factors = "longrope: short up to " + std::to_string(hp.n_ctx_orig) + " positions, long beyond";
  }
  add("rope freq factors", factors);
  if (hp.rope_attn_factor != 1.0f) add("rope attn factor", f32_json(hp.rope_attn_factor));
  if (hp.n_swa > 0) {
    add("sliding window", hp.n_swa);
    add("windowed layers", window_layers(hp));
    add("rope base (windowed)", f32_json(hp.rope_swa.freq_base));
  } else {
    add("sliding window", "none");
  }
  add("attn soft-cap", hp.attn_softcap > 0.0f ? f32_json(hp.attn_softcap) : nlohmann::ordered_json("none"));
  add("final soft-cap", hp.final_softcap > 0.0f ? f32_json(hp.final_softcap) : nlohmann::ordered_json("none"));
  add("attn scale", f32_json(hp.attn_scale));
  add("ffn activation", ffn_act_name(hp.ffn_act));
  add("embedding scale", hp.scale_embeddings ? "sqrt(n_embd)" : "none");
  std::string norms = "pre-norm";
  if (hp.qk_norm) norms += ", q/k norm";
  if (hp.post_norms) norms += ", post-attention/post-ffn norm";
  add("norms", norms);
  add("output", model.tied_output ? "tied to token_embd" : "output.weight");
  return e;
}

void print_text(const GgufFile& f, const EngineFacts& engine) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line("file:         " + f.path());
  line("version:      GGUF v" + std::to_string(f.version()));
  line("size:         " + std::to_string(f.file_size()) + " bytes (" + format_byte_size(f.file_size()) + ")");
  line("alignment:    " + std::to_string(f.alignment()));
  line("data offset:  " + std::to_string(f.data_offset()));
  line("metadata:     " + std::to_string(f.metadata().size()) + " keys");
  line("tensors:      " + std::to_string(f.tensors().size()));

  line("");
  line("metadata:");
  size_t key_width = 0;
  for (const auto& kv : f.metadata()) key_width = std::max(key_width, printable(kv.key).size());
  for (const auto& kv : f.metadata()) {
    line("  " + pad(printable(kv.key), key_width) + " = " + format_gguf_value(kv.value));
  }

  if (!f.tensors().empty()) {
    line("");
    line("tensors:");
    // Offsets are absolute file positions (data offset + the tensor's offset), for hexdump.
    size_t name_w = 4, type_w = 4, shape_w = 5, bytes_w = 5, offset_w = 6;
    for (const auto& t : f.tensors()) {
      name_w = std::max(name_w, printable(t.name).size());
      type_w = std::max(type_w, tensor_type_name(t.type).size());
      shape_w = std::max(shape_w, t.shape_string().size());
      bytes_w = std::max(bytes_w, std::to_string(t.nbytes).size());
      offset_w = std::max(offset_w, std::to_string(f.data_offset() + t.offset).size());
    }
    line("  " + pad("name", name_w) + "  " + pad("type", type_w) + "  " + pad("shape", shape_w) + "  " +
         pad_left("bytes", bytes_w) + "  " + pad_left("offset", offset_w));
    for (const auto& t : f.tensors()) {
      line("  " + pad(printable(t.name), name_w) + "  " + pad(std::string(tensor_type_name(t.type)), type_w) + "  " +
           pad(t.shape_string(), shape_w) + "  " + pad_left(std::to_string(t.nbytes), bytes_w) + "  " +
           pad_left(std::to_string(f.data_offset() + t.offset), offset_w));
    }
  }

  const GgufModelFacts facts = gguf_model_facts(f);
  line("");
  line("summary:");
  line("  architecture:      " + (facts.architecture.empty() ? std::string("-") : std::string(facts.architecture)));
  line("  parameters:        " + format_count(facts.parameter_count) + " (" + std::to_string(facts.parameter_count) +
       ")");
  line("  context length:    " + optional_value(facts.context_length));
  line("  embedding length:  " + optional_value(facts.embedding_length));
  line("  layers:            " + optional_value(facts.block_count));
  line("  heads:             " + optional_value(facts.head_count));
  line("  KV heads:          " + optional_value(facts.head_count_kv, facts.head_count ? "(= heads)" : "-"));
  line("  vocab size:        " + (facts.vocab_size ? std::to_string(*facts.vocab_size) : std::string("-")));
  line("  tensor types:      " + format_tensor_type_counts(facts.tensor_types));
  if (facts.file_type != nullptr) {
    std::string ft = format_gguf_value(*facts.file_type);
    if (facts.file_type->is_integer()) {
      if (auto name = llama_file_type_name(facts.file_type->u)) ft = std::string(*name) + " (" + ft + ")";
    }
    line("  file type:         " + ft);
  }

  line("");
  line("native engine:");
  if (!engine.loaded) {
    line(std::string(engine.unsupported ? "  not supported: " : "  cannot load: ") + engine.error);
  } else {
    for (const auto& it : engine.items) {
      line("  " + pad(it.label + ":", 23) + (it.value.is_string() ? it.value.get<std::string>() : it.value.dump()));
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

nlohmann::ordered_json array_item_json(const GgufValue& v, uint64_t k);

// JSON numbers are doubles: go through the float's shortest text so 1e-5f prints as 1e-05,
// not 9.999999747378752e-06.
nlohmann::ordered_json f32_json(float x) {
  if (!std::isfinite(x)) return nullptr;
  return std::strtod(format_float(x).c_str(), nullptr);
}

nlohmann::ordered_json value_json(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::U8:
    case GgufValueType::U16:
    case GgufValueType::U32:
    case GgufValueType::U64:
      return v.u;
    case GgufValueType::I8:
    case GgufValueType::I16:
    case GgufValueType::I32:
    case GgufValueType::I64:
      return v.i;
    case GgufValueType::F32:
      return f32_json(static_cast<float>(v.f));
    case GgufValueType::F64:
      return v.f;
    case GgufValueType::BOOL:
      return v.b;
    case GgufValueType::STRING:
      return std::string(v.str);
    case GgufValueType::ARRAY:
      break;
  }
  nlohmann::ordered_json a;
  a["elem_type"] = gguf_value_type_name(v.elem_type);
  a["count"] = v.count;
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (uint64_t k = 0; k < std::min<uint64_t>(v.count, kJsonArrayItems); ++k) items.push_back(array_item_json(v, k));
  a["values"] = std::move(items);
  a["truncated"] = v.count > kJsonArrayItems;
  return a;
}

nlohmann::ordered_json array_item_json(const GgufValue& v, uint64_t k) {
  switch (v.elem_type) {
    case GgufValueType::STRING:
      return std::string(v.strings[k]);
    case GgufValueType::ARRAY:
      return value_json(v.items[k]);
    case GgufValueType::BOOL:
      return v.scalar_at<uint8_t>(k) != 0;
    case GgufValueType::U64:
      return v.scalar_at<uint64_t>(k);
    case GgufValueType::I64:
      return v.scalar_at<int64_t>(k);
    case GgufValueType::F32:
      return f32_json(v.scalar_at<float>(k));
    default:
      return v.number_at(k);  // exact for every remaining type (at most 32-bit ints, floats)
  }
}

nlohmann::ordered_json optional_json(const GgufValue* v) { return v != nullptr ? value_json(*v) : nullptr; }

void print_json(const GgufFile& f, const EngineFacts& engine) {
  nlohmann::ordered_json j;
  j["path"] = f.path();
  j["version"] = f.version();
  j["size"] = f.file_size();
  j["alignment"] = f.alignment();
  j["data_offset"] = f.data_offset();
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  for (const auto& kv : f.metadata()) {
    meta[std::string(kv.key)] = {{"type", gguf_value_type_name(kv.value.type)}, {"value", value_json(kv.value)}};
  }
  j["metadata"] = std::move(meta);
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const auto& t : f.tensors()) {
    tensors.push_back({{"name", std::string(t.name)},
                       {"type", tensor_type_name(t.type)},
                       {"shape", std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims)},
                       {"bytes", t.nbytes},
                       {"offset", t.offset},
                       {"file_offset", f.data_offset() + t.offset}});
  }
  j["tensors"] = std::move(tensors);
  const GgufModelFacts facts = gguf_model_facts(f);
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (const auto& [type, n] : facts.tensor_types) types[std::string(tensor_type_name(type))] = n;
  nlohmann::ordered_json s;
  s["architecture"] =
      facts.architecture.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(std::string(facts.architecture));
  s["parameters"] = facts.parameter_count;
  s["context_length"] = optional_json(facts.context_length);
  s["embedding_length"] = optional_json(facts.embedding_length);
  s["layers"] = optional_json(facts.block_count);
  s["heads"] = optional_json(facts.head_count);
  s["kv_heads"] = optional_json(facts.head_count_kv);
  s["vocab_size"] = facts.vocab_size ? nlohmann::ordered_json(*facts.vocab_size) : nlohmann::ordered_json();
  s["tensor_types"] = std::move(types);
  if (facts.file_type != nullptr && facts.file_type->is_integer()) {
    if (auto name = llama_file_type_name(facts.file_type->u)) s["file_type"] = *name;
  }
  j["summary"] = std::move(s);
  nlohmann::ordered_json eng;
  eng["supported"] = engine.loaded;
  if (!engine.loaded) eng["error"] = engine.error;
  for (const auto& it : engine.items) eng[it.key] = it.value;
  j["native_engine"] = std::move(eng);
  // Strings in GGUF files are not always valid UTF-8 (byte-level tokens): replace, do not throw.
  const std::string text = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int inspect(const InspectOptions& o) {
  auto opened = GgufFile::open(o.model);
  if (!opened) return report(opened.error());
  auto file = std::make_shared<const GgufFile>(std::move(opened.value()));
  const EngineFacts engine = engine_facts(file);
  if (o.json) {
    print_json(*file, engine);
  } else {
    print_text(*file, engine);
  }
  return std::fflush(stdout) == 0 ? 0 : report(make_error("writing to stdout failed"));
}

}  // namespace

Command register_inspect(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* sub = app.add_subcommand("inspect", "Show a GGUF file's header, metadata, tensors and model facts");
  sub->add_option("model", opts->model, "GGUF model file")->required();
  sub->add_flag("--json", opts->json, "Machine-readable output (long arrays list their first 16 items)");
  return {sub, [opts] { return inspect(*opts); }};
}

}  // namespace minerva::cli
