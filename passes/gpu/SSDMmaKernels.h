#ifndef SSMC_PASSES_GPU_SSDMMAKERNELS_H
#define SSMC_PASSES_GPU_SSDMMAKERNELS_H

// The chunked SSD's two heavy kernels on the tensor cores (passes/gpu/
// WarpMma.h): the matrix form of Mamba-2's recurrence within a chunk. Each
// warp takes (batch, chunk, head, tile) tasks with a grid stride (a tile is
// 16 states of `_states`, 16 steps of `_outputs`) and never waits for the
// other warps of its block. With
// cum_t = dt_0 + ... + dt_t over the chunk (dt after bias, softplus, clamp;
// 0 past L):
//   `name`_states:  S[n, p] = sum_s B[s, n] exp(A (cum_last - cum_s)) dt_s
//                   x[s, p]: a (N x T) (T x P) product, and sums = cum_last;
//   `name`_outputs: y[t, p] = exp(A cum_t) (C S_in)[t, p]
//                             + sum_{s <= t} (C B^T)[t, s]
//                               exp(A (cum_t - cum_s)) dt_s x[s, p],
//                   then the D skip and z gate. C B^T and C S_in share the
//                   loads of C; the masked, decayed C B^T goes through
//                   shared memory (the accumulator and operand layouts
//                   differ), one 16-row strip per warp; tiles above the
//                   diagonal are skipped. Each warp stages its 16 rows of
//                   C in shared memory first.
// Their arguments are those of the scalar kernels (passes/gpu/
// SSDChunkKernels.h), which keep the `_carry` kernel between them; the
// chunk states are S[b, K, H, N, P] (ssdStatesByN).

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block of `_outputs`: two warps, so that each warp's staged
/// rows of C (16 x (N + 4) floats) and C B^T strip fit the 48 KB of static
/// shared memory.
constexpr int64_t kSSDOutputsBlockSize = 64;

/// Whether the tensor-core kernels serve `op` in chunks of `chunk`: static
/// P (a multiple of 8, at most 128) and N (a multiple of 16), a chunk a
/// multiple of 16 of at most 128 steps, and `_outputs`' shared memory within
/// 48 KB (N up to 224 with chunks of 128, 288 with chunks of 64).
bool ssdMmaApplies(SSDOp op, int64_t chunk);

/// `split`: three tf32 products per tile (near-f32 accuracy) instead of one.
/// `sequentialFrom` > 0: the kernels find no work where b * H reaches it
/// (passes/gpu/SSDSequentialKernel.h takes those launches).
LogicalResult buildMmaSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                 StringRef name, int64_t chunk, bool split,
                                 int64_t sequentialFrom);

} // namespace mlir::ssm

#endif
