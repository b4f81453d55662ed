#pragma once
// The AMX tile configuration, for the files compiled with -mamx-tile (amx.cpp, amx_small.cpp).

#include <immintrin.h>

#include <cstdint>

namespace minerva::amx {

// LDTILECFG's 64-byte operand: palette 1, then per tile its bytes per row and its rows.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

inline void load_tile_config(const TileConfig& c) {
  // GCC 12 does not see ldtilecfg read the struct and drops the stores before it without this.
  __asm__ volatile("" : : "r"(&c) : "memory");
  _tile_loadconfig(&c);
}

}  // namespace minerva::amx
