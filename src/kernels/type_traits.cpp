#include "kernels/type_traits.h"

#include <array>
#include <cstring>

#include "kernels/amx.h"
#include "kernels/avx2.h"
#include "kernels/avx512.h"
#include "kernels/dot_scalar.h"
#include "kernels/qdot.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_scalar.h"
#include "kernels/quantize_act_avx512.h"

namespace minerva {

namespace {

constexpr std::array kSupported = {
    TensorType::F32,  TensorType::F16,  TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0,
    TensorType::Q5_1, TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K,
    TensorType::Q5_K, TensorType::Q6_K, TensorType::BF16,
};

// Indexed by ggml type id; ids above the largest supported one are simply absent.
constexpr size_t kTableSize = static_cast<size_t>(TensorType::BF16) + 1;
using Table = std::array<TypeKernels, kTableSize>;

void copy_f32(const uint8_t* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
float dot_f32(const uint8_t* a, const float* b, int64_t n) {
  return scalar::dot_f32(reinterpret_cast<const float*>(a), b, n);
}
void f16_row(const uint8_t* src, float* dst, int64_t n) {
  scalar::f16_to_f32_row(reinterpret_cast<const uint16_t*>(src), dst, n);
}
float dot_f16(const uint8_t* a, const float* b, int64_t n) {
  return scalar::dot_f16(reinterpret_cast<const uint16_t*>(a), b, n);
}
void bf16_row(const uint8_t* src, float* dst, int64_t n) {
  scalar::bf16_to_f32_row(reinterpret_cast<const uint16_t*>(src), dst, n);
}
float dot_bf16(const uint8_t* a, const float* b, int64_t n) {
  return scalar::dot_bf16(reinterpret_cast<const uint16_t*>(a), b, n);
}

Table scalar_table() {
  Table t{};
  auto set = [&t](TensorType type, DequantizeRowFn f, DotRowFn d) { t[static_cast<size_t>(type)] = {f, d}; };
  set(TensorType::F32, copy_f32, dot_f32);
  set(TensorType::F16, f16_row, dot_f16);
  set(TensorType::BF16, bf16_row, dot_bf16);
  set(TensorType::Q8_0, scalar::dequantize_q8_0, scalar::dot_q8_0);
  set(TensorType::Q4_0, scalar::dequantize_q4_0, scalar::dot_q4_0);
  set(TensorType::Q4_1, scalar::dequantize_q4_1, scalar::dot_q4_1);
  set(TensorType::Q5_0, scalar::dequantize_q5_0, scalar::dot_q5_0);
  set(TensorType::Q5_1, scalar::dequantize_q5_1, scalar::dot_q5_1);
  set(TensorType::Q2_K, scalar::dequantize_q2_k, scalar::dot_q2_k);
  set(TensorType::Q3_K, scalar::dequantize_q3_k, scalar::dot_q3_k);
  set(TensorType::Q4_K, scalar::dequantize_q4_k, scalar::dot_q4_k);
  set(TensorType::Q5_K, scalar::dequantize_q5_k, scalar::dot_q5_k);
  set(TensorType::Q6_K, scalar::dequantize_q6_k, scalar::dot_q6_k);
  // Integer dots: 32-value types against BlockQ8A activations, K types against BlockQ8_K.
  auto set_q = [&t](TensorType type, QDotFn f, bool k_type) {
    auto& slot = t[static_cast<size_t>(type)];
    slot.quantize_act = k_type ? scalar::quantize_act_q8k : scalar::quantize_act_q8a;
    slot.act_block_elems = k_type ? quant::kQKK : quant::kQK;
    slot.act_block_bytes = k_type ? sizeof(quant::BlockQ8_K) : sizeof(quant::BlockQ8A);
    slot.qdot = f;
  };
  set_q(TensorType::Q8_0, scalar::qdot_q8_0, false);
  set_q(TensorType::Q4_0, scalar::qdot_q4_0, false);
  set_q(TensorType::Q4_1, scalar::qdot_q4_1, false);
  set_q(TensorType::Q5_0, scalar::qdot_q5_0, false);
  set_q(TensorType::Q5_1, scalar::qdot_q5_1, false);
  set_q(TensorType::Q2_K, scalar::qdot_q2_k, true);
  set_q(TensorType::Q3_K, scalar::qdot_q3_k, true);
  set_q(TensorType::Q4_K, scalar::qdot_q4_k, true);
  set_q(TensorType::Q5_K, scalar::qdot_q5_k, true);
  set_q(TensorType::Q6_K, scalar::qdot_q6_k, true);
  return t;
}

// `base` with every kernel `variant` has swapped in. A type with a vector float dot but no
// vector integer dot drops the (scalar) integer path, so matmul keeps the vector float one.
template <typename Variant>
Table overlay(Table t, Variant variant) {
  for (TensorType type : kSupported) {
    const TypeKernels k = variant(type);
    auto& slot = t[static_cast<size_t>(type)];
    if (k.to_float != nullptr) slot.to_float = k.to_float;
    if (k.dot != nullptr) slot.dot = k.dot;
    if (k.gemm != nullptr) {
      slot.gemm = k.gemm;
      slot.gemm_pack = k.gemm_pack;
      slot.gemm_pack_bytes = k.gemm_pack_bytes;
    }
    if (k.gemm_small != nullptr) {
      slot.gemm_small = k.gemm_small;
      slot.gemm_small_pack = k.gemm_small_pack;
      slot.gemm_small_pack_bytes = k.gemm_small_pack_bytes;
    }
    if (k.gemv != nullptr) {
      slot.gemv = k.gemv;
      slot.gemv_quantize_act = k.gemv_quantize_act;
      slot.gemv_group_elems = k.gemv_group_elems;
      slot.gemv_group_bytes = k.gemv_group_bytes;
      slot.gemv4 = k.gemv4;
      slot.gemv4_pack = k.gemv4_pack;
      slot.gemv4_group_bytes = k.gemv4_group_bytes;
    }
    if (k.qdot != nullptr) {
      slot.qdot = k.qdot;
    } else if (k.dot != nullptr) {
      slot.qdot = nullptr;
      slot.quantize_act = nullptr;
    }
  }
  return t;
}

// The AVX-512 level also quantizes activations with AVX-512 (same bytes as the scalar code).
Table with_avx512_act_quantizers(Table t) {
  for (TypeKernels& slot : t) avx512::add_act_quantizers(slot);
  return t;
}

const TypeKernels* lookup(const Table& t, TensorType type) {
  const auto i = static_cast<size_t>(type);
  if (i >= t.size() || t[i].dot == nullptr) return nullptr;
  return &t[i];
}

}  // namespace

const TypeKernels* type_kernels(TensorType type, Isa isa) {
  static const Table scalar = scalar_table();
  if (isa == Isa::Scalar) return lookup(scalar, type);
  if (!cpu_supports(isa)) return nullptr;
  // Each table is only built on CPUs that can run it.
  static const Table avx2 = overlay(scalar, avx2::kernels);
  if (isa == Isa::Avx2) return lookup(avx2, type);
  static const Table avx512 = with_avx512_act_quantizers(overlay(avx2, avx512::kernels));
  if (isa == Isa::Avx512) return lookup(avx512, type);
  static const Table amx = overlay(avx512, amx::kernels);
  return lookup(amx, type);
}

const TypeKernels* type_kernels(TensorType type) { return type_kernels(type, active_isa()); }

std::span<const TensorType> supported_tensor_types() { return kSupported; }

std::string supported_tensor_type_names() {
  std::string s;
  for (TensorType t : kSupported) {
    if (!s.empty()) s += ", ";
    s += tensor_type_name(t);
  }
  return s;
}

}  // namespace minerva
