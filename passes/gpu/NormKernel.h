#ifndef SSMC_PASSES_GPU_NORMKERNEL_H
#define SSMC_PASSES_GPU_NORMKERNEL_H

// RMS norms (ssm.rms_norm, ssm.gated_rms_norm) as GPU kernels: one block per
// row, its threads striding over the row and summing squares in a
// shared-memory tree. (The loop form gives each row to one thread, which at
// decode time leaves a single thread walking the whole row.)

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block (one block per row).
constexpr int64_t kNormBlockSize = 256;

/// Adds kernel `name` for `op` (an RMSNormOp or GatedRMSNormOp) to `module`.
/// Arguments: one fully dynamic strided memref per operand, then the result.
/// Grid: (rows, 1, 1) where rows is the product of all but the last
/// dimension of the input; block (kNormBlockSize, 1, 1).
FailureOr<gpu::GPUFuncOp> buildRowNormKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                             Operation *op, StringRef name);

} // namespace mlir::ssm

#endif
