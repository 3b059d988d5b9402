#ifndef SSMC_PASSES_CPU_KERNELEMITTERS_H
#define SSMC_PASSES_CPU_KERNELEMITTERS_H

// Loop-nest bodies of the CPU kernels: one emitter per ssm compute op.
// The schedule builder outlines each compute op of an entry function into a
// kernel function whose arguments are memrefs (one per operand present, then
// one per result), and asks these emitters to fill in the body.

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::ssm {

/// memref<?x...x?xT, strided<[?, ...], offset: ?>>: any view of that rank
/// and element type, the type of every loop-kernel argument (CPU and GPU).
MemRefType anyViewType(MLIRContext *ctx, int64_t rank, Type element);
/// The same for a ranked tensor or memref type.
MemRefType anyViewType(Type shaped);
/// memref<?x...x?[xN]xT, strided<[?, ..., ?, 1], offset: ?>>: a view of unit
/// innermost stride (what vector loads and the GPU scan kernels need), its
/// innermost size static when given; T defaults to f32.
MemRefType unitInnerViewType(MLIRContext *ctx, int64_t rank,
                             int64_t innerSize = ShapedType::kDynamic, Type element = {});

/// True when `op` has a CPU kernel emitter: ssm.embedding, ssm.rms_norm,
/// ssm.gated_rms_norm, ssm.causal_conv1d, ssm.selective_scan, ssm.ssd,
/// ssm.conv_state_update, ssm.selective_state_update, ssm.linear (reference
/// loops; the schedule prefers a BLAS call) and elementwise arith.addf /
/// arith.mulf on tensors.
bool hasCpuKernelEmitter(Operation *op);

/// Emits at `b`'s insertion point the loops (scf, arith, math, memref) that
/// compute `op`, reading `inputs` and writing `outputs`.
///  - `inputs[i]` is a memref for `op->getOperand(i)` (absent optional operands
///    are not operands, so they are simply not there); `outputs[j]` a memref
///    for `op->getResult(j)`, same rank and dims as the tensor.
///  - All memrefs are f32 (i32 for token ids) with fully dynamic sizes and
///    strided layouts (`strided<[?, ...], offset: ?>`): read sizes with
///    memref.dim, never assume contiguity.
///  - Accumulation is in f32; the expanded scan state [b, L, e, N] is never
///    stored: the running state lives in registers / a small per-(b, channel)
///    loop-carried value, and only final states are written.
///  - An output may alias an input of the same shape (decode updates state in
///    place): read an element before writing it.
/// Returns failure (after emitting an error on `op`) for unsupported forms.
LogicalResult emitCpuKernelBody(OpBuilder &b, Operation *op, ValueRange inputs,
                                ValueRange outputs);

/// The same loops for a GPU kernel body (inside a gpu.func): every parallel
/// nest becomes a grid-stride loop over the x dimension of the grid (any
/// launch is correct), and scan states live in per-thread stack arrays of the
/// op's static state size. `parallelBounds` receives each nest's bounds so
/// the caller can size the launch. With `onlyNest`, only that parallel nest's
/// body is emitted (LoopBuilder::emitOnlyNest): one kernel per nest.
LogicalResult emitGpuKernelBody(OpBuilder &b, Operation *op, ValueRange inputs,
                                ValueRange outputs,
                                SmallVectorImpl<SmallVector<Value>> &parallelBounds,
                                std::optional<size_t> onlyNest = std::nullopt);

} // namespace mlir::ssm

#endif
