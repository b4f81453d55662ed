#pragma once

#include "formats/tensor_type.h"
#include "kernels/type_traits.h"

namespace minerva::avx512 {

// Fills k's GEMV members (gemv, its activation quantizer and layout) for the types that have an
// AVX-512 VNNI decode GEMV (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K); leaves k alone for the others. Call only after
// cpu_supports(Isa::Avx512).
void add_gemv(TensorType type, TypeKernels& k);

}  // namespace minerva::avx512
