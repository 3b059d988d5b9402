#ifndef SSMC_PASSES_GPU_GPUKERNELFUNC_H
#define SSMC_PASSES_GPU_GPUKERNELFUNC_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// A kernel `gpu.func @name(types)` at the end of `module`, launched with
/// `blockSize` threads in x (recorded as its known block size); `b` is left
/// at the start of its body.
gpu::GPUFuncOp createGpuKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                               StringRef name, ArrayRef<Type> types, int64_t blockSize);

} // namespace mlir::ssm

#endif
