#ifndef SSMC_PASSES_GPU_GPUKERNELFUNC_H
#define SSMC_PASSES_GPU_GPUKERNELFUNC_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// A kernel `gpu.func @name(types)` at the end of `module`, launched with
/// `blockSize` threads in x (recorded as its known block size); `b` is left
/// at the start of its body.
gpu::GPUFuncOp createGpuKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                               StringRef name, ArrayRef<Type> types, int64_t blockSize);

/// Makes `kernel` begin with `griddepcontrol.wait` (sm_90 and newer),
/// then, with `earlyDependents`, `griddepcontrol.launch_dependents`; unless
/// it already begins with a wait. Such a kernel may be launched with
/// programmatic stream serialization: it can start while the kernel before
/// it in the stream is still running, and waits for it (and its memory)
/// before doing anything. With the early signal, the kernel after it may
/// be scheduled as soon as this one's blocks have all started; without it,
/// as they exit.
void beginWithGridDependencyWait(gpu::GPUFuncOp kernel, bool earlyDependents);

} // namespace mlir::ssm

#endif
