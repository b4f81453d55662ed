// Models written on the fly from stories260K with GgufWriter: tied output, F16 weights,
// and the load errors a damaged or unusual file must produce.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "formats/gguf_writer.h"
#include "kernels/fp16.h"
#include "model/context.h"
#include "test_paths.h"

namespace minerva {
namespace {

const GgufFile& stories() {
  static const GgufFile file = [] {
    auto f = GgufFile::open(testing::shared_path("models/stories260K.gguf"));
    EXPECT_TRUE(f.ok());
    return std::move(f.value());
  }();
  return file;
}

// Copies stories260K, letting `edit` change each tensor (return false to drop it) and the
// metadata afterwards. Returns the serialized bytes.
using TensorEdit = std::function<bool(const TensorView&, TensorType&, std::vector<int64_t>&, std::vector<uint8_t>&)>;
std::vector<uint8_t> rewrite(const TensorEdit& edit, const std::function<void(GgufWriter&)>& meta = {}) {
  const GgufFile& src = stories();
  GgufWriter w;
  w.copy_metadata(src);
  if (meta) meta(w);
  for (const TensorView& t : src.tensors()) {
    TensorType type = t.type;
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    std::vector<uint8_t> data(t.data, t.data + t.nbytes);
    if (!edit(t, type, ne, data)) continue;
    EXPECT_TRUE(w.add_tensor(t.name, type, ne, std::move(data)).ok()) << t.name;
  }
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  return std::move(bytes.value());
}

// Keeps the bytes alive alongside the parsed file and model.
struct Crafted {
  std::vector<uint8_t> bytes;
  Result<std::shared_ptr<const Model>> model = make_error("not loaded");
};

std::unique_ptr<Crafted> load(std::vector<uint8_t> bytes) {
  auto c = std::make_unique<Crafted>();
  c->bytes = std::move(bytes);
  auto f = GgufFile::parse(c->bytes, "crafted.gguf");
  if (!f) {
    c->model = f.error();
    return c;
  }
  c->model = Model::load(std::make_shared<const GgufFile>(std::move(f.value())));
  return c;
}

std::vector<float> last_logits(const std::shared_ptr<const Model>& m) {
  ThreadPool pool(1);
  Context ctx(m, 64, pool);
  std::vector<Token> toks = {1, 403, 407, 261, 378, 432};
  EXPECT_TRUE(ctx.eval(toks).ok());
  auto l = ctx.last_logits();
  return {l.begin(), l.end()};
}

const auto keep = [](const TensorView&, TensorType&, std::vector<int64_t>&, std::vector<uint8_t>&) { return true; };

TEST(CraftedModel, TiedOutputUsesTokenEmbeddings) {
  const TensorView* embd = stories().find_tensor("token_embd.weight");
  // A: no output.weight (tied). B: output.weight explicitly equal to token_embd.
  auto a = load(rewrite([](const TensorView& t, auto&, auto&, auto&) { return t.name != "output.weight"; }));
  auto b = load(rewrite([&](const TensorView& t, auto&, auto&, std::vector<uint8_t>& data) {
    if (t.name == "output.weight") data.assign(embd->data, embd->data + embd->nbytes);
    return true;
  }));
  ASSERT_TRUE(a->model.ok()) << a->model.error().message;
  ASSERT_TRUE(b->model.ok()) << b->model.error().message;
  EXPECT_TRUE(a->model.value()->tied_output);
  EXPECT_FALSE(b->model.value()->tied_output);
  EXPECT_EQ(last_logits(a->model.value()), last_logits(b->model.value()));
}

TEST(CraftedModel, F16WeightsCloseToF32) {
  auto f16 = load(rewrite([](const TensorView& t, TensorType& type, auto&, std::vector<uint8_t>& data) {
    if (t.n_dims != 2) return true;  // norms stay F32
    std::vector<uint8_t> out(data.size() / 2);
    for (size_t i = 0; i < data.size() / 4; ++i) {
      float v;
      std::memcpy(&v, &data[i * 4], 4);
      uint16_t h = fp32_to_fp16(v);
      std::memcpy(&out[i * 2], &h, 2);
    }
    data = std::move(out);
    type = TensorType::F16;
    return true;
  }));
  auto f32 = load(rewrite(keep));
  ASSERT_TRUE(f16->model.ok()) << f16->model.error().message;
  ASSERT_TRUE(f32->model.ok());
  auto a = last_logits(f16->model.value()), b = last_logits(f32->model.value());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 5e-2f) << i;
}

struct BadCase {
  const char* name;
  TensorEdit edit;
  std::function<void(GgufWriter&)> meta;
  const char* expect;
};

class CraftedModelErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(CraftedModelErrors, NamesTheProblem) {
  auto c = load(rewrite(GetParam().edit, GetParam().meta));
  ASSERT_FALSE(c->model.ok());
  EXPECT_NE(c->model.error().message.find(GetParam().expect), std::string::npos) << c->model.error().message;
  EXPECT_NE(c->model.error().message.find("crafted.gguf"), std::string::npos) << c->model.error().message;
}

// A backend router falls back to another engine on ErrorKind::Unsupported, and only on that.
TEST(CraftedModel, UnsupportedArchitectureAndTypeAreMarkedUnsupported) {
  auto arch = load(rewrite(keep, [](GgufWriter& w) { w.set_string("general.architecture", "mamba"); }));
  ASSERT_FALSE(arch->model.ok());
  EXPECT_EQ(arch->model.error().message, "crafted.gguf: architecture 'mamba' is not supported by the native engine");
  EXPECT_EQ(arch->model.error().kind, ErrorKind::Unsupported);
  auto type = load(rewrite([](const TensorView& t, TensorType& type, auto&, std::vector<uint8_t>& data) {
    if (t.name == "blk.0.attn_q.weight") {
      type = TensorType::I8;
      data.resize(data.size() / 4);
    }
    return true;
  }));
  ASSERT_FALSE(type->model.ok());
  EXPECT_EQ(type->model.error().kind, ErrorKind::Unsupported);
  auto broken = load(rewrite([](const TensorView& t, auto&, auto&, auto&) { return t.name != "output_norm.weight"; }));
  ASSERT_FALSE(broken->model.ok());
  EXPECT_EQ(broken->model.error().kind, ErrorKind::Failure);  // a damaged file is not another engine's job
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

INSTANTIATE_TEST_SUITE_P(
    Cases, CraftedModelErrors,
    ::testing::Values(
        BadCase{"missing_tensor",
                [](const TensorView& t, auto&, auto&, auto&) { return t.name != "blk.2.ffn_up.weight"; },
                {},
                "missing tensor 'blk.2.ffn_up.weight'"},
        BadCase{"wrong_shape",
                [](const TensorView& t, auto&, std::vector<int64_t>& ne, auto&) {
                  if (t.name == "blk.0.attn_k.weight") std::swap(ne[0], ne[1]);
                  return true;
                },
                {},
                "'blk.0.attn_k.weight' has shape [32, 64], expected [64, 32]"},
        BadCase{"norm_not_f32",
                [](const TensorView& t, TensorType& type, auto&, std::vector<uint8_t>& data) {
                  if (t.name == "blk.1.ffn_norm.weight") {
                    type = TensorType::F16;
                    data.resize(data.size() / 2);
                  }
                  return true;
                },
                {},
                "expected F32 for a norm weight"},
        BadCase{"unsupported_type",
                [](const TensorView& t, TensorType& type, auto&, std::vector<uint8_t>& data) {
                  if (t.name == "blk.0.attn_q.weight") {  // I8 is a valid ggml type no kernel computes with
                    type = TensorType::I8;
                    data.resize(data.size() / 4);
                  }
                  return true;
                },
                {},
                "'blk.0.attn_q.weight' has type I8, which the native engine does not support"},
        BadCase{"missing_hparam", keep, [](GgufWriter& w) { w.remove("llama.block_count"); },
                "'llama.block_count' is missing"},
        BadCase{"zero_heads", keep, [](GgufWriter& w) { w.set_u32("llama.attention.head_count", 0); }, "out of range"},
        BadCase{"heads_not_multiple_of_kv", keep, [](GgufWriter& w) { w.set_u32("llama.attention.head_count_kv", 3); },
                "not a multiple of head_count_kv"},
        BadCase{"odd_rope_dims", keep, [](GgufWriter& w) { w.set_u32("llama.rope.dimension_count", 7); },
                "rope.dimension_count 7"},
        BadCase{"wrong_hparam_type", keep, [](GgufWriter& w) { w.set_string("llama.embedding_length", "64"); },
                "expected an integer"},
        BadCase{"unknown_arch", keep, [](GgufWriter& w) { w.set_string("general.architecture", "mamba"); },
                "architecture 'mamba' is not supported by the native engine"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace minerva
