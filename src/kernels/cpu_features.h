#pragma once

#include <string_view>

namespace minerva {

// Instruction-set levels the kernels come in, lowest first.
// Avx2 = AVX2 + FMA + F16C; Avx512 = that plus AVX-512 F/BW/VL/DQ and VNNI; Amx = that plus
// AMX-TILE/AMX-INT8 with the OS's permission to use the tile registers (Linux).
enum class Isa { Scalar, Avx2, Avx512, Amx };

// Every level, lowest first.
inline constexpr Isa kAllIsas[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Amx};

std::string_view isa_name(Isa isa);

// Whether this CPU and OS can run `isa` (CPUID feature bits, plus XCR0 saying the OS saves
// the YMM registers). Decided at run time, never from the build machine's flags.
bool cpu_supports(Isa isa);

// The level the kernels use: the best the CPU supports, unless the environment variable
// MINERVA_ISA=scalar|avx2|avx512|amx asks for a lower one (a request above what the CPU has falls back
// to the best available). Read once.
Isa active_isa();

// The level a MINERVA_ISA value (nullptr when unset) selects on a CPU whose best is `best`:
// a named level at or below `best` is used; anything else, or a level the CPU lacks, gives `best`.
Isa choose_isa(const char* env, Isa best);

}  // namespace minerva
