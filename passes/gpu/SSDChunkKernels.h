#ifndef SSMC_PASSES_GPU_SSDCHUNKKERNELS_H
#define SSMC_PASSES_GPU_SSDCHUNKKERNELS_H

// Mamba-2's SSD on the GPU in chunks of L, as three loop kernels (scalar
// f32; a tensor-core form is future work). A thread owns one (batch, chunk,
// head, p) with its N-wide state in a per-thread array:
//   `name`_states  (operands..., S[b, K, H, P, N], sums[b, K, H]): each
//                   chunk's state from zero, and its sum of dt per head;
//   `name`_carry   (operands..., S, sums, [final_state]): per (batch, head,
//                   p), replaces each chunk's state with the state entering
//                   it (from initial_state or zero);
//   `name`_outputs (operands..., S, y): each chunk recomputed from the state
//                   entering it, writing y.
// K = ceil(L / chunk). Only y, the final state and the per-chunk states are
// stored: never the expanded [b, L, H, P, N] state. Experimental: these
// kernels have been compiled and lit-tested but not yet run on a GPU, so
// ssmc-compile builds them only with --cuda-ssd-chunk.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block of the three kernels (grid-stride loops).
constexpr int64_t kSSDBlockSize = 128;

LogicalResult buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                     StringRef name, int64_t chunk);

} // namespace mlir::ssm

#endif
