#pragma once

#include "formats/tensor_type.h"
#include "kernels/type_traits.h"

namespace minerva::amx {

// AMX-INT8 GEMM kernels for `type` (only `gemm` set; null where there is none). amx.cpp is
// compiled with AMX and AVX-512 enabled, so call this only after cpu_supports(Isa::Amx), which
// also obtains the OS permission to use the tile registers.
TypeKernels kernels(TensorType type);

// Sets k's gemm_small members for the types with an AMX small-batch kernel (Q4_0, Q5_0, Q8_0, Q4_K;
// amx_small.cpp); leaves k alone for the others.
void add_small_gemm(TensorType type, TypeKernels& k);

}  // namespace minerva::amx
