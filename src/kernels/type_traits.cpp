#include "kernels/type_traits.h"

#include <array>
#include <cstring>

#include "kernels/avx2.h"
#include "kernels/dot_scalar.h"
#include "kernels/quant_scalar.h"

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
  return t;
}

// The scalar table with every AVX2 kernel that exists swapped in.
Table avx2_table() {
  Table t = scalar_table();
  for (TensorType type : kSupported) {
    const TypeKernels k = avx2::kernels(type);
    auto& slot = t[static_cast<size_t>(type)];
    if (k.to_float != nullptr) slot.to_float = k.to_float;
    if (k.dot != nullptr) slot.dot = k.dot;
  }
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
  if (!cpu_supports(Isa::Avx2)) return nullptr;
  static const Table avx2 = avx2_table();  // only built on CPUs that can run it
  return lookup(avx2, type);
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
