#pragma once

#include "kernels/type_traits.h"

namespace minerva::avx512 {

// Swaps k's activation quantizers (quantize_act, gemv_quantize_act) for AVX-512 ones writing
// the same bytes; leaves k alone where it has none. Call only after cpu_supports(Isa::Avx512).
void add_act_quantizers(TypeKernels& k);

}  // namespace minerva::avx512
