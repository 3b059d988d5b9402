#ifndef SSMC_PASSES_GPU_SSDCHUNKKERNELS_H
#define SSMC_PASSES_GPU_SSDCHUNKKERNELS_H

// Mamba-2's recurrence on the GPU: ssm.ssd in chunks of L. (Its one-token
// decode step is in passes/gpu/StateUpdateKernel.h.) The `_states` and
// `_outputs` kernels below are scalar f32 (SSDMath::Scalar) or the tensor-core
// kernels of passes/gpu/SSDMmaKernels.h where those apply.
//
// Scalar lanes (passes/gpu/RowLanes.h): a row is the N states of one (batch, head,
// p), shared by ssdLanesPerRow(N) lanes; a warp owns rows of one head,
// consecutive in p.
//
// SSD in chunks, K = ceil(L / chunk):
//   `name`_states  (operands..., S[b, K, H, P, N], sums[b, K, H]): each
//                   chunk's state from zero, and its sum of dt per head;
//   `name`_carry   (operands..., S, sums, [final_state]): per state element,
//                   replaces each chunk's state with the state entering it
//                   (from initial_state or zero);
//   `name`_outputs (operands..., S, y): each chunk recomputed from the state
//                   entering it, writing y.
// The tensor-core kernels keep S as [b, K, H, N, P] instead (ssdStatesByN):
// their fragment loads of it then read whole 32-byte sectors.
// Only y, the final state and the per-chunk states are stored: never the
// expanded [b, L, H, P, N] state. Every kernel loops over its work with a
// grid stride, so any grid is correct.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block of every kernel here.
constexpr int64_t kSSDBlockSize = 128;

/// Lanes that share one row of `n` states (a power of two dividing 32).
int64_t ssdLanesPerRow(int64_t n);

/// How the chunks' products are computed: scalar f32 on the CUDA cores, or
/// on the tensor cores with three tf32 products per tile (near-f32
/// accuracy) or one (tf32 accuracy).
enum class SSDMath { Scalar, TF32x3, TF32 };

struct SSDTiling {
  int64_t chunk = 128;
  /// Steps per iteration of the scalar kernels' time loops (loaded one
  /// iteration ahead).
  int64_t unroll = 1;
  SSDMath math = SSDMath::Scalar;
  /// b * H from which one block per (batch, head) walks every chunk in
  /// order (passes/gpu/SSDSequentialKernel.h) instead of the chunked
  /// kernels; 0: never. Tensor cores only.
  int64_t sequentialFrom = 0;
};

/// Whether `tiling` puts `op` on the tensor cores (math is not Scalar and
/// the shapes allow it; else the scalar kernels serve).
bool ssdUsesMma(SSDOp op, const SSDTiling &tiling);

/// Whether the launch also has the sequential kernel `name`_sequential
/// (tensor cores, a threshold set, and the shapes allow it).
bool ssdUsesSequential(SSDOp op, const SSDTiling &tiling);

/// Whether the chunk states S are laid out [b, K, H, N, P] (the tensor-core
/// kernels) rather than [b, K, H, P, N].
inline bool ssdStatesByN(SSDOp op, const SSDTiling &tiling) { return ssdUsesMma(op, tiling); }

LogicalResult buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                     StringRef name, const SSDTiling &tiling);

} // namespace mlir::ssm

#endif
