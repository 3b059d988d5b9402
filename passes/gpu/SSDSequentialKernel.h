#ifndef SSMC_PASSES_GPU_SSDSEQUENTIALKERNEL_H
#define SSMC_PASSES_GPU_SSDSEQUENTIALKERNEL_H

// Mamba-2's SSD when there are many (batch, head) pairs: `name`_sequential,
// a block per (batch, head) that walks the chunks in order and keeps the
// head's state S[N, P] in shared memory the whole way. Nothing but y and the
// final state is stored: no chunk states, no carry pass. The chunked kernels
// (passes/gpu/SSDMmaKernels.h) need those, but they keep the GPU busy when
// b * H is small; each launch checks b * H against a threshold and one of
// the two forms finds no work.
//
// Per chunk (cum, w and the products as in SSDMmaKernels.h), on the tensor
// cores (m16n8k8 tf32, WarpMma), the warps taking tasks in turn:
//   1. every thread: the chunk's rows of C, B and x into shared memory,
//      coalesced; then warp 0: dt (bias, softplus, clamp), its prefix sums
//      cum and the weights w_s = exp(A (cum_last - cum_s)) dt_s;
//   2. y, a task per 16 rows and up to 32 p: exp(A cum_t) (C S)[t, :] + M x
//      with M = C B^T masked to s <= t and weighted by exp(A (cum_t -
//      cum_s)) dt_s. A tile of C B^T is an accumulator; its registers are
//      the A operand of M x as they stand, the chunk's steps taken in the
//      order 0, 2, 4, 6, 1, 3, 5, 7 within each 8 (x's rows are read in
//      that order too);
//   3. S = exp(A cum_last) S + (B w)^T x, a task per 16 rows of S and up to
//      32 p.
// Barriers between the phases. All shared memory is dynamic (launch
// `shared_bytes`): S[N, P] and the staged rows exceed the 48 KB of static
// shared memory.

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

/// Threads per block of `_sequential`.
constexpr int64_t kSSDSequentialBlockSize = 256;

/// Whether `_sequential` serves `op` in chunks of `chunk`: the tensor-core
/// kernels' shapes, and its shared memory within the 227 KB a block may have.
bool ssdSequentialApplies(SSDOp op, int64_t chunk);

/// Dynamic shared memory per block of `_sequential` (all it has): S[N, P],
/// the chunk's rows of C, B and x, and its dt, prefix sums and weights.
int64_t ssdSequentialSharedBytes(SSDOp op, int64_t chunk);

/// Whether a launch at `batch` x `heads` takes the sequential form: b * H
/// at least `from` (emitted at the builder's insertion point).
Value ssdSequentialChosen(OpBuilder &b, Location loc, Value batch, Value heads, int64_t from);

/// `split`: three tf32 products per tile (near-f32 accuracy) instead of one.
LogicalResult buildSequentialSSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                       StringRef name, int64_t chunk, bool split,
                                       int64_t from);

} // namespace mlir::ssm

#endif
