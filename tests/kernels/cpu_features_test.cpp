#include "kernels/cpu_features.h"

#include <gtest/gtest.h>

namespace minerva {
namespace {

TEST(CpuFeatures, ActiveLevelIsOneTheCpuRuns) {
  EXPECT_TRUE(cpu_supports(Isa::Scalar));
  EXPECT_TRUE(cpu_supports(active_isa()));
  EXPECT_EQ(isa_name(Isa::Scalar), "scalar");
  EXPECT_EQ(isa_name(Isa::Avx2), "avx2");
  EXPECT_EQ(isa_name(Isa::Avx512), "avx512");
  EXPECT_EQ(isa_name(Isa::Amx), "amx");
  // Levels are cumulative: a CPU with one has every level below it.
  if (cpu_supports(Isa::Avx512)) {
    EXPECT_TRUE(cpu_supports(Isa::Avx2));
  }
  if (cpu_supports(Isa::Amx)) {
    EXPECT_TRUE(cpu_supports(Isa::Avx512));
  }
}

TEST(CpuFeatures, EnvironmentCanOnlyLowerTheLevel) {
  EXPECT_EQ(choose_isa(nullptr, Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(choose_isa("scalar", Isa::Avx2), Isa::Scalar);
  EXPECT_EQ(choose_isa("avx2", Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(choose_isa("avx2", Isa::Scalar), Isa::Scalar);  // never above what the CPU has
  EXPECT_EQ(choose_isa("bogus", Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(choose_isa("avx512", Isa::Avx512), Isa::Avx512);
  EXPECT_EQ(choose_isa("avx2", Isa::Avx512), Isa::Avx2);
  EXPECT_EQ(choose_isa("scalar", Isa::Avx512), Isa::Scalar);
  EXPECT_EQ(choose_isa("avx512", Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(choose_isa("avx512", Isa::Amx), Isa::Avx512);
  EXPECT_EQ(choose_isa("amx", Isa::Amx), Isa::Amx);
}

}  // namespace
}  // namespace minerva
