#ifndef SSMC_PASSES_GPU_ROUNDBF16KERNEL_H
#define SSMC_PASSES_GPU_ROUNDBF16KERNEL_H

// The activations of a bf16 GEMM (`--cuda-gemm-math bf16`): the runtime
// rounds a gemm step's f32 rows of `a` to bf16 into its scratch, then runs
// cuBLASLt on bf16 operands (the weights kept in bf16) with fp32
// accumulation (runtime/src/cuda/).
//
// Arguments: src f32 [m, k] (any strides), dst bf16 [m, k] (unit innermost
// stride). Each thread rounds one element to nearest even, consecutive
// threads consecutive elements of a row. Launch: block
// (kRoundBf16BlockSize, 1, 1), grid m * k / kRoundBf16BlockSize blocks
// (any grid is correct: a grid-stride loop).

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

constexpr StringLiteral kRoundBf16KernelName = "ssmc_round_bf16";
constexpr int64_t kRoundBf16BlockSize = 256;

/// Adds the kernel (kRoundBf16KernelName) to `module`.
gpu::GPUFuncOp buildRoundBf16Kernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc);

} // namespace mlir::ssm

#endif
