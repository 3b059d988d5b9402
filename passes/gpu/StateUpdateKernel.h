#ifndef SSMC_PASSES_GPU_STATEUPDATEKERNEL_H
#define SSMC_PASSES_GPU_STATEUPDATEKERNEL_H

// The one-token recurrent step (ssm.selective_state_update) on the GPU, in
// both forms: Mamba-1 (state [b, e, N], rows (batch, channel), a decay per
// state from A [e, N], scanLanesPerRow(N) lanes per row) and Mamba-2 (state
// [b, H, P, N], rows (batch, head, p), one decay per head, ssdLanesPerRow(N)
// lanes per row). Lanes as in passes/gpu/RowLanes.h; grid-stride tasks;
// every argument has a unit innermost stride.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Mamba-1 with dt_proj fused in (static R, at most kDtProjMaxTermsPerLane
/// terms of the dot product per lane) and at least kDecodeGroupFromBatch
/// sequences: a task covers kDecodeBatchPerTask sequences of one row group,
/// whose lanes hold their channels' rows of dt_proj in registers and load
/// each sequence's inputs while the one before is updated. Otherwise
/// a task is one sequence (at b8 a task of 8 left too few warps: docs/perf.md,
/// "The decode step with dt_proj").
constexpr int64_t kDecodeBatchPerTask = 8;
constexpr int64_t kDecodeGroupFromBatch = 32;
constexpr int64_t kDtProjMaxTermsPerLane = 64;

/// Lanes sharing one row of states in the kernel of `op`.
int64_t stateUpdateLanesPerRow(SelectiveStateUpdateOp op);

/// One kernel `name` (operands..., y, new_state), block kSSDBlockSize
/// (= kScanBlockSize); fails on a dynamic N.
LogicalResult buildStateUpdateKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                     SelectiveStateUpdateOp op, StringRef name);

} // namespace mlir::ssm

#endif
