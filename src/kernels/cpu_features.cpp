#include "kernels/cpu_features.h"

#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define MINERVA_X86 1
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace minerva {

namespace {

#ifdef MINERVA_X86
// XGETBV(0) without needing -mxsave for the intrinsic.
uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool detect_avx2() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const bool fma = (c & (1u << 12)) != 0;
  const bool osxsave = (c & (1u << 27)) != 0;
  const bool avx = (c & (1u << 28)) != 0;
  const bool f16c = (c & (1u << 29)) != 0;
  if (!(fma && osxsave && avx && f16c)) return false;
  if ((read_xcr0() & 0x6u) != 0x6u) return false;  // OS saves XMM and YMM state
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return (b & (1u << 5)) != 0;  // AVX2
}
bool detect_avx512() {
  if (!detect_avx2()) return false;
  // The OS must save the opmask and both halves of the ZMM registers too.
  if ((read_xcr0() & 0xE6u) != 0xE6u) return false;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  const bool f = (b & (1u << 16)) != 0, dq = (b & (1u << 17)) != 0;
  const bool bw = (b & (1u << 30)) != 0, vl = (b & (1u << 31)) != 0;
  const bool vnni = (c & (1u << 11)) != 0;
  return f && dq && bw && vl && vnni;
}
bool detect_amx() {
  if (!detect_avx512()) return false;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  if ((d & (3u << 24)) != (3u << 24)) return false;  // AMX-TILE and AMX-INT8
#if defined(__linux__) && defined(__x86_64__)
  // Linux hands out the 8 KB tile state only on request (ARCH_REQ_XCOMP_PERM, XTILEDATA);
  // the grant covers the whole process.
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return false;
  return (read_xcr0() & (3ull << 17)) == (3ull << 17);  // XTILECFG and XTILEDATA enabled
#else
  return false;
#endif
}
#else
bool detect_avx2() { return false; }
bool detect_avx512() { return false; }
bool detect_amx() { return false; }
#endif

Isa best_isa() {
  if (detect_amx()) return Isa::Amx;
  if (detect_avx512()) return Isa::Avx512;
  return detect_avx2() ? Isa::Avx2 : Isa::Scalar;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
    case Isa::Amx:
      return "amx";
    default:
      return "scalar";
  }
}

bool cpu_supports(Isa isa) {
  static const Isa best = best_isa();
  return static_cast<int>(isa) <= static_cast<int>(best);
}

Isa active_isa() {
  // The environment is read once, on first use.
  static const Isa isa = choose_isa(std::getenv("MINERVA_ISA"), best_isa());
  return isa;
}

Isa choose_isa(const char* env, Isa best) {
  if (env == nullptr) return best;
  for (Isa isa : kAllIsas) {
    if (std::string_view(env) == isa_name(isa) && static_cast<int>(isa) <= static_cast<int>(best)) return isa;
  }
  return best;
}

}  // namespace minerva
