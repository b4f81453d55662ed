#include "kernels/matmul.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/qdot.h"
#include "kernels/type_traits.h"

namespace minerva {

namespace {

// Cache budgets for the prompt-processing tiles: the weight rows of one row block should stay
// in L1 while every token group of the token block streams past them, and the token block's
// quantized activations should stay in L2 while all of a thread's row blocks stream past.
constexpr size_t kRowBlockBytes = 16 * 1024;
constexpr size_t kTokenBlockBytes = 768 * 1024;

// Parts per GEMV job (matmul_many's Q/K/V is the most).
constexpr size_t kMaxGemvParts = 4;

// y = x W^T with the level's GEMV, kGemvMaxTokens tokens per call, for one matrix or several of
// the same width (Q/K/V, gate/up), their types possibly different (Q4_K_M's V is Q6_K in some
// layers): x is quantized once per activation layout and all the parts' rows go to the threads
// as one job. For generation (a few tokens) each thread streams a long contiguous row range
// from memory once; for a prompt the rows go in blocks that stay in cache while every token
// passes.
void matmul_gemv(std::span<const MatmulPart> parts, const float* x, int64_t n_tokens, ThreadPool& pool) {
  const int64_t cols = parts[0].w->cols;
  struct Part {
    const TypeKernels* k;
    size_t act_row;  // bytes of one token's activations in k's layout
    const uint8_t* act;
    bool quad;  // the four-token kernel, activations in its layout
  };
  Part job[kMaxGemvParts];
  // The calling thread's buffers (matmul is never re-entered on one thread): one per layout.
  thread_local std::vector<uint8_t> acts[kMaxGemvParts], quads[kMaxGemvParts];
  int64_t total = 0;
  size_t total_bytes = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const MatrixView& w = *parts[i].w;
    const TypeKernels* k = type_kernels(w.type);
    total += w.rows;
    total_bytes += static_cast<size_t>(w.rows) * w.row_bytes;
    const size_t act_row = static_cast<size_t>(cols / k->gemv_group_elems) * k->gemv_group_bytes;
    const bool quad = n_tokens == 4 && k->gemv4 != nullptr;
    job[i] = {k, act_row, nullptr, quad};
    for (size_t j = 0; j < i; ++j) {  // an earlier part's layout
      if (job[j].k->gemv_quantize_act == k->gemv_quantize_act && job[j].act_row == act_row &&
          (!quad || job[j].k->gemv4_pack == k->gemv4_pack)) {
        job[i].act = job[j].act;
        break;
      }
    }
    if (job[i].act != nullptr) continue;
    std::vector<uint8_t>& act = acts[i];
    act.resize(act_row * static_cast<size_t>(n_tokens));
    uint8_t* act_data = act.data();
    if (n_tokens <= kGemvMaxTokens) {
      for (int64_t t = 0; t < n_tokens; ++t) k->gemv_quantize_act(x + t * cols, act_data + t * act_row, cols);
    } else {
      pool.run(n_tokens, 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) k->gemv_quantize_act(x + t * cols, act_data + t * act_row, cols);
      });
    }
    job[i].act = act_data;
    if (quad) {  // four sequences decoding: their own kernel and layout
      quads[i].resize(static_cast<size_t>(cols / k->gemv_group_elems) * k->gemv4_group_bytes);
      k->gemv4_pack(cols, act_data, act_row, quads[i].data());
      job[i].act = quads[i].data();
    }
  }
  // Grain: chunks of at least ~64 KB of weights: enough to be worth a wake-up, few enough that a
  // thread's share stays one long sequential stream for the hardware prefetcher.
  const int64_t grain =
      std::max<int64_t>(1, static_cast<int64_t>(65536 * static_cast<size_t>(total) / std::max<size_t>(1, total_bytes)));
  pool.run(total, grain, [&](int64_t r0, int64_t r1) {
    int64_t base = 0;
    for (size_t i = 0; i < parts.size(); ++i) {  // the parts' rows within [r0, r1) of all rows in order
      const MatrixView& w = *parts[i].w;
      const int64_t a = std::max(r0, base) - base, b = std::min(r1, base + w.rows) - base;
      base += w.rows;
      if (a >= b) continue;
      const Part& p = job[i];
      float* y = parts[i].y;
      const auto y_stride = static_cast<size_t>(w.rows);
      if (p.quad) {
        p.k->gemv4(cols, w.row(a), w.row_bytes, b - a, p.act, 0, 4, y + a, y_stride);
        continue;
      }
      const int64_t row_block =
          n_tokens <= kGemvMaxTokens ? b - a : std::max<int64_t>(1, static_cast<int64_t>(kRowBlockBytes / w.row_bytes));
      const int64_t token_block = std::max<int64_t>(
          kGemvMaxTokens, static_cast<int64_t>(kTokenBlockBytes / p.act_row) / kGemvMaxTokens * kGemvMaxTokens);
      for (int64_t tb = 0; tb < n_tokens; tb += token_block) {
        const int64_t te = std::min(n_tokens, tb + token_block);
        for (int64_t rb = a; rb < b; rb += row_block) {
          const int64_t re = std::min(b, rb + row_block);
          for (int64_t t = tb; t < te; t += kGemvMaxTokens) {
            const int nt = static_cast<int>(std::min<int64_t>(kGemvMaxTokens, te - t));
            p.k->gemv(cols, w.row(rb), w.row_bytes, re - rb, p.act + t * p.act_row, p.act_row, nt, y + t * w.rows + rb,
                      y_stride);
          }
        }
      }
    }
  });
}

bool gemv_ok(const MatrixView& w, const TypeKernels& k) {
  return k.gemv != nullptr && w.cols % k.gemv_group_elems == 0;
}

// Whether a GEMM kernel (AMX, or the AVX-512 one) has whole tiles of `w` for n_tokens tokens; the
// GEMV takes everything else.
bool gemm_tiles(const MatrixView& w, const TypeKernels& k, int64_t n_tokens) {
  return w.rows >= kGemmTile &&
         ((k.gemm != nullptr && n_tokens >= kGemmTile) || (k.gemm_small != nullptr && n_tokens >= kGemmSmallMinTokens));
}

// y = x W^T with integer dots: quantize every activation row once, then tile
// (token block) x (row block) x (kQDotMaxRows tokens) so weights and activations are reused
// from cache. For one token this is a plain row loop.
void matmul_q(const MatrixView& w, const TypeKernels& k, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const int64_t cols = w.cols;
  const int64_t rows = w.rows;
  const size_t act_row = static_cast<size_t>(cols / k.act_block_elems) * k.act_block_bytes;
  // The calling thread's buffer; matmul is never re-entered on one thread.
  thread_local std::vector<uint8_t> act;
  act.resize(act_row * static_cast<size_t>(n_tokens));
  uint8_t* act_data = act.data();
  const int64_t quant_grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, cols));
  pool.run(n_tokens, quant_grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) k.quantize_act(x + t * cols, act_data + static_cast<size_t>(t) * act_row, cols);
  });

  // With GEMM kernels (AMX) whole 16-row tiles take the tokens: the GEMM every whole group of 16
  // tokens, the small-batch GEMM the rest when there are enough of them. The leftover rows and
  // tokens (and everything without one) take the GEMV or the qdot tiles below.
  // Below 2 x 16 tokens the small-batch GEMM takes whole groups of 16 too: the GEMM unpacks its
  // weights for reuse by many token groups, which a single group does not repay (Q4_0 8192x2048,
  // one thread: 16 tokens 2.5 ms, the small-batch GEMM 1.6 ms for 15).
  const int64_t tile_rows = rows / kGemmTile * kGemmTile;
  const bool big = k.gemm != nullptr && (k.gemm_small == nullptr || n_tokens >= 2 * kGemmTile);
  const int64_t gemm_tokens = big ? n_tokens / kGemmTile * kGemmTile : 0;
  int64_t small_tokens = k.gemm_small != nullptr ? n_tokens - gemm_tokens : 0;  // < 2 x 16
  if (small_tokens > kGemmTile && small_tokens - kGemmTile < kGemmSmallMinTokens) small_tokens = kGemmTile;
  if (small_tokens < kGemmSmallMinTokens) small_tokens = 0;
  const int64_t gemm_rows = gemm_tokens + small_tokens > 0 ? tile_rows : 0;
  auto run_tiles = [&](GemmFn fn, const uint8_t* packed_data, int64_t t0, int64_t n_tok) {
    pool.run(gemm_rows / kGemmTile, 1, [&](int64_t b0, int64_t b1) {
      thread_local std::vector<uint8_t> scratch;  // each thread's unpacked weight tiles
      scratch.resize(kGemmScratchPerValue * kGemmRowTiles * static_cast<size_t>(cols));
      fn(cols, w.row(b0 * kGemmTile), w.row_bytes, (b1 - b0) * kGemmTile, packed_data, n_tok, scratch.data(),
         y + t0 * rows + b0 * kGemmTile, static_cast<size_t>(rows));
    });
  };
  if (gemm_rows > 0 && gemm_tokens > 0) {
    // Activations into the tile layout once, token groups in parallel; then row tiles.
    thread_local std::vector<uint8_t> packed;
    packed.resize(k.gemm_pack_bytes(cols, gemm_tokens));
    uint8_t* packed_data = packed.data();
    pool.run(gemm_tokens / kGemmTile, 1, [&](int64_t g0, int64_t g1) {
      k.gemm_pack(cols, act_data + static_cast<size_t>(g0 * kGemmTile) * act_row, act_row, (g1 - g0) * kGemmTile,
                  packed_data + k.gemm_pack_bytes(cols, g0 * kGemmTile));
    });
    run_tiles(k.gemm, packed_data, 0, gemm_tokens);
  }
  for (int64_t t0 = gemm_tokens; gemm_rows > 0 && t0 < gemm_tokens + small_tokens; t0 += kGemmTile) {
    const int64_t nt = std::min(kGemmTile, gemm_tokens + small_tokens - t0);
    thread_local std::vector<uint8_t> packed;
    packed.resize(k.gemm_small_pack_bytes(cols, nt));
    k.gemm_small_pack(cols, act_data + static_cast<size_t>(t0) * act_row, act_row, nt, packed.data());
    run_tiles(k.gemm_small, packed.data(), t0, nt);
  }
  const int64_t tile_tokens = gemm_rows > 0 ? gemm_tokens + small_tokens : 0;  // done for rows < gemm_rows

  const int64_t row_block = std::clamp<int64_t>(static_cast<int64_t>(kRowBlockBytes / w.row_bytes), 1, 64);
  const int64_t token_block =
      std::max<int64_t>(kQDotMaxRows, static_cast<int64_t>(kTokenBlockBytes / act_row) / kQDotMaxRows * kQDotMaxRows);
  // y for rows [r0, r1) x tokens [t0, t1) with qdot: tiled (token block) x (row block) x
  // (kQDotMaxRows tokens) so weights and activations are reused from cache.
  // When each row is read once (a few tokens: decoding without the AVX-512 GEMV, e.g. on AVX2
  // CPUs or for Q5_K), a row about 2 KB ahead is prefetched: the hardware prefetcher alone
  // left a core far short of its share of DRAM bandwidth (llama1b Q4_0 tg, MINERVA_ISA=avx2:
  // 10.7 -> 23.6 t/s). Into L2 only (locality 1): a whole row's lines at once into L1 held up
  // the row dot, most for the slow-to-compute types (2048-wide rows from DRAM, AVX2, 2
  // threads: Q6_K 15.1 -> 19.9 GB/s, Q8_0 24.7 -> 25.0, Q4_0 and Q4_K unchanged).
  const int64_t ahead = std::max<int64_t>(1, static_cast<int64_t>((2048 + w.row_bytes - 1) / w.row_bytes));
  auto qdot_range = [&](int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
    const bool stream = t1 - t0 <= kQDotMaxRows;
    float out[kQDotMaxRows];
    for (int64_t tb = t0; tb < t1; tb += token_block) {
      const int64_t te = std::min(t1, tb + token_block);
      for (int64_t rb = r0; rb < r1; rb += row_block) {
        const int64_t re = std::min(r1, rb + row_block);
        for (int64_t t = tb; t < te; t += kQDotMaxRows) {
          const int na = static_cast<int>(std::min<int64_t>(kQDotMaxRows, te - t));
          const uint8_t* a = act_data + static_cast<size_t>(t) * act_row;
          for (int64_t r = rb; r < re; ++r) {
            if (stream && r + ahead < r1) {
              const uint8_t* next = w.row(r + ahead);
              for (size_t off = 0; off < w.row_bytes; off += 64) __builtin_prefetch(next + off, 0, 1);
            }
            k.qdot(cols, w.row(r), a, act_row, na, out);
            for (int j = 0; j < na; ++j) y[(t + j) * rows + r] = out[j];
          }
        }
      }
    }
  };
  // Enough rows per chunk that a thread's share is worth a wake-up (~16K multiply-adds).
  auto grain_for = [&](int64_t n_tok) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols * n_tok)); };
  if (gemm_rows > 0 && tile_tokens < n_tokens && gemv_ok(w, k)) {  // leftover tokens, every row
    const MatmulPart part{&w, y + tile_tokens * rows};
    matmul_gemv({&part, 1}, x + tile_tokens * cols, n_tokens - tile_tokens, pool);
    if (gemm_rows < rows) {
      pool.run(rows - gemm_rows, grain_for(tile_tokens),
               [&](int64_t r0, int64_t r1) { qdot_range(gemm_rows + r0, gemm_rows + r1, 0, tile_tokens); });
    }
    return;
  }
  if (gemm_rows > 0 && tile_tokens < n_tokens) {  // leftover tokens of the tile rows
    pool.run(gemm_rows, grain_for(n_tokens - tile_tokens),
             [&](int64_t r0, int64_t r1) { qdot_range(r0, r1, tile_tokens, n_tokens); });
  }
  if (gemm_rows < rows) {  // rows no tile covered, every token
    pool.run(rows - gemm_rows, grain_for(n_tokens),
             [&](int64_t r0, int64_t r1) { qdot_range(gemm_rows + r0, gemm_rows + r1, 0, n_tokens); });
  }
}

}  // namespace

bool kernels_support(TensorType type) { return type_kernels(type) != nullptr; }

void dequantize_row(TensorType type, const uint8_t* src, float* dst, int64_t n) {
  const TypeKernels* k = type_kernels(type);
  if (k != nullptr) {
    k->to_float(src, dst, n);
    return;
  }
  // Callers check kernels_support() when a model loads; reaching here is a bug.
  std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

float dot_row(TensorType type, const uint8_t* row, const float* x, int64_t n) {
  const TypeKernels* k = type_kernels(type);
  return k != nullptr ? k->dot(row, x, n) : 0.0f;
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const int64_t cols = w.cols;
  const int64_t rows = w.rows;
  const TypeKernels* k = type_kernels(w.type);
  if (k == nullptr) {
    std::memset(y, 0, static_cast<size_t>(rows * n_tokens) * sizeof(float));  // unsupported: a caller bug
    return;
  }
  if (gemv_ok(w, *k) && !gemm_tiles(w, *k, n_tokens)) {
    const MatmulPart part{&w, y};
    matmul_gemv({&part, 1}, x, n_tokens, pool);
    return;
  }
  if (k->qdot != nullptr && k->act_block_elems > 0 && cols % k->act_block_elems == 0) {
    matmul_q(w, *k, x, n_tokens, y, pool);
    return;
  }
  const TypeKernels* f32 = type_kernels(TensorType::F32);
  // Enough rows per chunk that a thread's share is worth a wake-up (~16K multiply-adds).
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols * n_tokens));
  pool.run(rows, grain, [&](int64_t r0, int64_t r1) {
    if (n_tokens == 1 || w.type == TensorType::F32) {
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = k->dot(w.row(r), x + t * cols, cols);
      }
      return;
    }
    // Several tokens: convert each weight row once, then reuse it for every token.
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      k->to_float(w.row(r), buf.data(), cols);
      const auto* wr = reinterpret_cast<const uint8_t*>(buf.data());
      for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = f32->dot(wr, x + t * cols, cols);
    }
  });
}

void matmul_many(std::span<const MatmulPart> parts, const float* x, int64_t n_tokens, ThreadPool& pool) {
  if (parts.empty()) return;
  bool one_job = parts.size() <= kMaxGemvParts;
  for (const MatmulPart& p : parts) {
    const TypeKernels* k = type_kernels(p.w->type);
    one_job = one_job && k != nullptr && p.w->cols == parts[0].w->cols && gemv_ok(*p.w, *k) &&
              !gemm_tiles(*p.w, *k, n_tokens);
  }
  if (one_job) {
    matmul_gemv(parts, x, n_tokens, pool);
    return;
  }
  for (const MatmulPart& p : parts) matmul(*p.w, x, n_tokens, p.y, pool);
}

}  // namespace minerva
