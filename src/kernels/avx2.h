#pragma once

#include "formats/tensor_type.h"
#include "kernels/type_traits.h"

namespace minerva::avx2 {

// AVX2 + FMA + F16C kernels for `type` (members null where there is none). avx2.cpp is
// compiled with those instruction sets enabled, so call this only after cpu_supports(Isa::Avx2).
TypeKernels kernels(TensorType type);

}  // namespace minerva::avx2
