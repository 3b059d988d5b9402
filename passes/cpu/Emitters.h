#ifndef SSMC_PASSES_CPU_EMITTERS_H
#define SSMC_PASSES_CPU_EMITTERS_H

// Per-op CPU kernel emitters (internal to passes/cpu). KernelEmitters.cpp
// dispatches to them; each reads its operands' memrefs through `argOf` so the
// optional operands that are absent simply yield a null Value.

#include "dialects/SSM/SSMOps.h"
#include "passes/cpu/LoopBuilder.h"

namespace mlir::ssm::cpu {

/// The kernel argument bound to an operand accessor's range (`op.getDMutable()`,
/// `op.getUMutable()`); null when the optional operand is absent.
inline Value argOf(ValueRange inputs, MutableOperandRange operand) {
  if (operand.empty())
    return Value();
  return inputs[OperandRange(operand).getBeginOperandIndex()];
}

/// Indices `lead` followed by `last` (a row's element).
inline SmallVector<Value> withLast(ValueRange lead, Value last) {
  SmallVector<Value> at(lead);
  at.push_back(last);
  return at;
}

/// The kernel argument bound to a result (null when the optional result is absent).
inline Value resultOf(ValueRange outputs, Value result) {
  if (!result)
    return Value();
  return outputs[cast<OpResult>(result).getResultNumber()];
}

// GlueEmitters.cpp
LogicalResult emitEmbedding(LoopBuilder &lb, EmbeddingOp op, ValueRange inputs,
                            ValueRange outputs);
LogicalResult emitLinear(LoopBuilder &lb, LinearOp op, ValueRange inputs,
                         ValueRange outputs);
LogicalResult emitElementwise(LoopBuilder &lb, Operation *op, ValueRange inputs,
                              ValueRange outputs);

// NormEmitters.cpp
LogicalResult emitRMSNorm(LoopBuilder &lb, RMSNormOp op, ValueRange inputs,
                          ValueRange outputs);
LogicalResult emitGatedRMSNorm(LoopBuilder &lb, GatedRMSNormOp op,
                               ValueRange inputs, ValueRange outputs);

// ConvEmitters.cpp
// On the GPU, with a static width of at most kConvMaxTiledWidth, a thread
// computes kConvStepsPerThread steps of a channel (the parallel nest runs
// over [b, ceil(L / kConvStepsPerThread), C]).
constexpr int64_t kConvStepsPerThread = 16;
constexpr int64_t kConvMaxTiledWidth = 8;
LogicalResult emitCausalConv1d(LoopBuilder &lb, CausalConv1dOp op,
                               ValueRange inputs, ValueRange outputs);
LogicalResult emitConvStateUpdate(LoopBuilder &lb, ConvStateUpdateOp op,
                                  ValueRange inputs, ValueRange outputs);

// ScanEmitters.cpp
LogicalResult emitSelectiveScan(LoopBuilder &lb, SelectiveScanOp op,
                                ValueRange inputs, ValueRange outputs);
LogicalResult emitSSD(LoopBuilder &lb, SSDOp op, ValueRange inputs,
                      ValueRange outputs);

// StateUpdateEmitters.cpp
LogicalResult emitSelectiveStateUpdate(LoopBuilder &lb, SelectiveStateUpdateOp op,
                                       ValueRange inputs, ValueRange outputs);

/// Stores a scan's output y[at] = (acc + d * x) * silu(z[at]), leaving out
/// the D skip when `d` (a loaded value) is null and the gate when `z` (the
/// gate's memref, indexed like y) is null.
void emitScanOutput(LoopBuilder &lb, Value acc, Value d, Value x, Value z, Value y,
                    ValueRange at);
/// The same value, with the gate already loaded (`gate`: z[at], or null).
Value scanOutput(LoopBuilder &lb, Value acc, Value d, Value x, Value gate);

/// The dt pipeline of ssd and selective_state_update: + bias, softplus, then
/// the [dt_min, dt_max] clamp (bounds that cannot bind are not emitted).
Value emitDelta(LoopBuilder &lb, Value dt, Value bias, bool softplus,
                float dtMin, float dtMax);

/// What an RMS norm normalizes at `at`: x, or with `residual` x + r, stored
/// into `sum` (and read back from there when it is narrower than f32, so the
/// norm sees the sum as stored). Its caller's second pass reads `sum`.
Value emitNormInput(LoopBuilder &lb, Value x, Value residual, Value sum, ValueRange at);

/// selective_state_update's dt of batch row `bi`, channel `c` before the bias:
/// dt[bi, c], or with `dtProj` [C, R] the projection sum_r dt[bi, r] dtProj[c, r]
/// (the GPU step kernel splits that sum over a row's lanes instead).
Value emitStepDt(LoopBuilder &lb, Value dt, Value dtProj, Value bi, Value c);

} // namespace mlir::ssm::cpu

#endif
