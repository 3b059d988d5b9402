#ifndef SSMC_PASSES_GPU_SCANKERNEL_H
#define SSMC_PASSES_GPU_SCANKERNEL_H

// The Mamba-1 selective scan as a GPU kernel: one thread per (batch,
// channel), the N-wide state in registers (N scalars carried through the
// sequence loop), every input read once and only y and the final state
// written: the expanded state [b, L, e, N] never exists.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block along the channel dimension.
constexpr int64_t kScanBlockSize = 128;

/// Appends to `module` a `gpu.func` named `name` computing `op` (f32, static
/// state size N). Arguments: one memref per operand present, then one per
/// result, each with a unit innermost stride. Launch with
/// grid = (ceil(e / kScanBlockSize), b), block = (kScanBlockSize).
FailureOr<gpu::GPUFuncOp> buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                                   SelectiveScanOp op, StringRef name);

} // namespace mlir::ssm

#endif
