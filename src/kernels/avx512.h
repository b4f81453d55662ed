#pragma once

#include "formats/tensor_type.h"
#include "kernels/type_traits.h"

namespace minerva::avx512 {

// AVX-512 (F/BW/VL/DQ + VNNI) kernels for `type` (members null where there is none; the caller
// keeps the AVX2 ones). avx512.cpp is compiled with those instruction sets enabled, so call this
// only after cpu_supports(Isa::Avx512).
TypeKernels kernels(TensorType type);

}  // namespace minerva::avx512
