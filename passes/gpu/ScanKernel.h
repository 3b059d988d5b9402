#ifndef SSMC_PASSES_GPU_SCANKERNEL_H
#define SSMC_PASSES_GPU_SCANKERNEL_H

// The Mamba-1 selective scan as GPU kernels. Each thread owns one (batch,
// channel) and keeps the N-wide state in registers (N scalars carried through
// the sequence loop); only y, the final state and (chunked form) small
// per-chunk carries are ever stored: the expanded state [b, L, e, N] never is.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block along the channel dimension.
constexpr int64_t kScanBlockSize = 128;

/// One kernel `name` walking the whole sequence per thread. Arguments: one
/// memref per operand present, then one per result, each with a unit
/// innermost stride. Grid (ceil(e / kScanBlockSize), b), block (kScanBlockSize).
FailureOr<gpu::GPUFuncOp> buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                                   SelectiveScanOp op, StringRef name);

/// The chunked form: L is cut into chunks of `chunk` steps scanned in
/// parallel, with three kernels (grid z = chunk index where present):
///  `name`_states (operands..., states[b, K, e, N], dtsum[b, K, e]):
///     each chunk's state from zero and its sum of dt (its decay is exp(A*sum));
///  `name`_carry (operands..., states, dtsum, [final_state]): per (batch,
///     channel), walks the K chunks and replaces each chunk state with the
///     state entering it (starting from initial_state or zero);
///  `name`_outputs (operands..., states, y): each chunk recomputed from its
///     entering state, writing y.
/// "operands..." is every operand of `op` present, in order. K = ceil(L / chunk).
LogicalResult buildChunkedSelectiveScanKernels(OpBuilder &b, gpu::GPUModuleOp module,
                                               SelectiveScanOp op, StringRef name,
                                               int64_t chunk);

} // namespace mlir::ssm

#endif
