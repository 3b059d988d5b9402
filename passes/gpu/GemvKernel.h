#ifndef SSMC_PASSES_GPU_GEMVKERNEL_H
#define SSMC_PASSES_GPU_GEMVKERNEL_H

// Skinny GEMMs as the decode step has them: c[m, n] = a[m, k] * w[n, k]^T
// (+ bias[n]) for a few rows m (the batch). cuBLASLt takes as long for a
// 1 x 80 x 1536 product as for a large one, and reads the weights at about
// half the copy bandwidth; these kernels read each weight row once, 16 bytes
// per lane per load, and are bound by the weight bytes. The runtime picks
// them for a gemm step when m fits a variant (runtime/src/cuda/).
//
// A row of w is read in stretches of 128 elements (bf16: 256), lane j
// taking elements [4j, 4j + 4) (8 for bf16) of each. S warps share a row:
// S is the smallest power of two up to 8 that leaves each warp at most P
// stretches (P = stretches_per_warp, a pass option), and a block takes
// 8 / S rows. A warp loads P stretches of w, and the same elements of each
// of the tile's rows of `a`, all at once (masked past the row's end), then
// multiplies them: one memory round trip per P stretches. (Loading one
// stretch at a time, or ahead of a loop that short rows never enter,
// leaves a decode step's weights waiting on latency, not bandwidth.) Rows
// of `a` past m are clamped to m - 1: computed, never stored. A warp's
// lanes sum in a butterfly of shuffles, a row's warps in shared memory.
//
// Arguments: a f32 [m, k], w [n, k] (f32 or bf16), bias f32 [n] or [0] (no
// bias), c f32 [m, n]; a and w with unit innermost strides, k a multiple of
// the vector width (4 for f32, 8 for bf16), their rows 16-byte aligned.
// Launch: block (kGemvBlockSize, 1, 1); any grid is correct (a grid-stride
// loop). The launch record says n * k / gemvElementsPerBlock(w, P) blocks,
// about one per 8 / S rows; the runtime, told P by the manifest, launches
// exactly ceil(n / (8 / S)).

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <optional>
#include <string>

namespace mlir::ssm {

constexpr int64_t kGemvBlockSize = 256;
/// The row tiles there are variants for: the runtime takes the smallest
/// one that holds m.
constexpr int64_t kGemvRowTiles[] = {1, 2, 4};


enum class GemvWeight { F32, BF16 };
constexpr GemvWeight kGemvWeights[] = {GemvWeight::F32, GemvWeight::BF16};

/// "f32" or "bf16", as the manifest spells dtypes.
const char *gemvWeightName(GemvWeight weight);

/// Elements of a row of w one warp-wide load covers.
int64_t gemvStretch(GemvWeight weight);

/// The work of one block in the launch's grid: its warps' stretches.
inline int64_t gemvElementsPerBlock(GemvWeight weight, int64_t stretchesPerWarp) {
  return kGemvBlockSize / 32 * stretchesPerWarp * gemvStretch(weight);
}

/// "ssmc_gemv_f32_m4", "ssmc_gemv_bf16_m1".
std::string gemvKernelName(GemvWeight weight, int64_t rows);

/// Adds the variant for `weight` and `rows` rows of a per warp to `module`,
/// each warp loading `stretchesPerWarp` stretches at once.
gpu::GPUFuncOp buildGemvKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                               GemvWeight weight, int64_t rows, int64_t stretchesPerWarp);

/// The decode step's in_proj with its neighbours folded in: the rms_norm
/// before it and the conv_state_update of some of its columns after it.
/// One kernel instead of three; the runtime runs it where the product
/// would run as a skinny GEMM of at most `rows` rows (docs/artifact-format.md,
/// "fused").
///
/// Arguments: a = x [m, k] (the norm's input), w [n, k], g [k] (the norm's
/// weight), r [m, k] (residual), bias [n], conv_state [m, C, W],
/// conv_weight [C, W], conv_bias [C], c [m, n], sum [m, k] (= x + r),
/// conv_out [m, C], new_conv_state [m, C, W]; r and sum only with
/// `residual`, bias and conv_bias only when present. x, w, g, r and sum
/// have unit innermost strides and 16-byte aligned rows; new_conv_state may
/// be conv_state.
///
/// Each block first stages (x + r) * g for every row of its tile in dynamic
/// shared memory ([rows, k] f32: the launch needs rows * k * 4 bytes, at
/// most kFusedGemvStageBytes) and sums the squares of x + r, then runs the
/// plain kernel's loop on the staged rows: its lanes hold only w and the
/// staged pieces in flight. The norm's scale rsqrt(mean((x + r)^2) + eps)
/// multiplies each output. The first block stores the sum. The thread that
/// stores output column j of a row in [offset, offset + C) also shifts conv
/// channel j - offset's state and convolves it (silu'd when `silu`). Any
/// grid is correct; since each block stages the rows again, the runtime
/// launches no more blocks than the GPU holds at once.
struct GemvFusion {
  float eps = 1e-5f;
  bool residual = false;
  bool bias = false;
  int64_t convOffset = 0;
  int64_t convWidth = 4;
  bool convBias = false;
  bool silu = false;
};

/// The most shared memory a fused kernel stages its rows in: the launch
/// record's `shared_bytes`, 24576 floats (k up to 6144 at 4 rows), within
/// what the GPUs since sm_80 give a block.
constexpr int64_t kFusedGemvStageBytes = 96 * 1024;

/// Families of fused kernels are named this and a number.
constexpr llvm::StringLiteral kFusedGemvPrefix = "ssmc_gemv_fused";

/// "<family>_bf16_m1".
std::string fusedGemvKernelName(StringRef family, GemvWeight weight, int64_t rows);

/// The family, weight and row tile of a fused kernel's name, or nullopt.
struct FusedGemvName {
  std::string family;
  GemvWeight weight = GemvWeight::F32;
  int64_t rows = 0;
};
std::optional<FusedGemvName> parseFusedGemvKernelName(StringRef name);

gpu::GPUFuncOp buildFusedGemvKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                                    StringRef family, GemvWeight weight, int64_t rows,
                                    int64_t stretchesPerWarp, const GemvFusion &fusion);

} // namespace mlir::ssm

#endif
