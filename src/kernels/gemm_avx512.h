#pragma once

#include "formats/tensor_type.h"
#include "kernels/type_traits.h"

namespace minerva::avx512 {

// Fills k's GEMM members (gemm, gemm_pack, gemm_pack_bytes) for the types with an AVX-512 VNNI
// prompt GEMM (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K), used where the CPU has no AMX; leaves k alone for the others. Call
// only after cpu_supports(Isa::Avx512).
void add_gemm(TensorType type, TypeKernels& k);

}  // namespace minerva::avx512
