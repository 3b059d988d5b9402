#ifndef SSMC_PASSES_GPU_SCANKERNEL_H
#define SSMC_PASSES_GPU_SCANKERNEL_H

// The Mamba-1 recurrence on the GPU: ssm.selective_scan, whole or in chunks
// of L (its one-token decode step is in passes/gpu/StateUpdateKernel.h). A
// row is the N states of one (batch, channel), held in registers by one
// thread or spread over a few lanes of a warp (passes/gpu/RowLanes.h); a
// warp owns consecutive channels. Only y, the final state and (chunked form)
// small per-chunk carries are ever stored: never the expanded state
// [b, L, e, N]. Every kernel loops over its work with a grid stride, so any
// grid is correct. Arguments: one memref per operand present, then the
// kernel's own, each with a unit innermost stride.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block of every kernel here.
constexpr int64_t kScanBlockSize = 128;

/// In the chunked kernels, where a row is one thread's, each warp copies B
/// and C into shared memory this many steps at a time when its channels share
/// a group (the block's buffers at most kScanStageMaxBytes; N a multiple of
/// 4). docs/perf.md, "B and C staged for the Mamba-1 scan".
constexpr int64_t kScanStageSteps = 32;
constexpr int64_t kScanStageMaxBytes = 48 * 1024;

/// Lanes that share one row of `n` states where rows are few (the decode
/// step): four registers per lane (a power of two dividing `n` and 32).
int64_t scanLanesPerRow(int64_t n);

/// How a scan is cut up: at most `chunk` steps per parallel chunk of L (0:
/// none), `unroll` steps per iteration of the time loop (loaded one
/// iteration ahead), `lanes` lanes per row of N states (1, or scanLanesPerRow(N)
/// where rows are too few to fill the GPU).
struct ScanTiling {
  int64_t chunk = 0;
  int64_t unroll = 1;
  int64_t lanes = 1;
};

/// The chunked form's chunks are `chunk` steps long where there are rows
/// enough; where b * e * K would fall below kScanMinTasks (small batches) they
/// are halved, down to scanShortestChunk(chunk). At 130m b1 (1536 rows, L
/// 2048) this picks chunks of 64 (49k tasks), faster on the H100 than 128
/// (24.6k) or 32 (98k): docs/perf.md, "Shorter Mamba-1 chunks".
constexpr int64_t kScanMinTasks = int64_t(1) << 15;
/// The shortest chunk of a chunked scan: chunk / 4 (at least 1). The
/// per-chunk scratch and the grids are sized for it.
int64_t scanShortestChunk(int64_t chunk);

/// One kernel `name` (operands..., y, [final_state]) walking the whole
/// sequence of each row (`tiling.chunk` is ignored).
LogicalResult buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                       SelectiveScanOp op, StringRef name,
                                       const ScanTiling &tiling);

/// The chunked form, K = ceil(L / chunk length):
///  `name`_states  (operands..., states[b, K, e, N], dtsum[b, K, e]): each
///                  chunk's state from zero and its sum of dt (its decay is
///                  exp(A * sum));
///  `name`_carry   (operands..., states, dtsum, [final_state]): per state
///                  element, replaces each chunk's state with the state
///                  entering it (from initial_state or zero);
///  `name`_outputs (operands..., states, y): each chunk recomputed from its
///                  entering state, writing y.
LogicalResult buildChunkedSelectiveScanKernels(OpBuilder &b, gpu::GPUModuleOp module,
                                               SelectiveScanOp op, StringRef name,
                                               const ScanTiling &tiling);

} // namespace mlir::ssm

#endif
