// CPU kernel of the one-token recurrent step (ssm.selective_state_update), in
// its Mamba-1 form (state [b, e, N], A [e, N]) and Mamba-2 form (state
// [b, H, P, N], one scalar A per head). Every state element is read before
// the new value is stored at the same index, so new_state may alias state.
#include "passes/cpu/Emitters.h"

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

Value cpu::emitStepDt(LoopBuilder &lb, Value dt, Value dtProj, Value bi, Value c) {
  if (!dtProj)
    return lb.load(dt, {bi, c});
  return lb.reduce(lb.index(0), lb.dim(dtProj, 1), lb.f32(0.0), [&](Value r, Value acc) {
    return lb.fma(lb.load(dt, {bi, r}), lb.load(dtProj, {c, r}), acc);
  });
}

namespace {
struct StepArgs {
  Value state, x, dt, dtProj, a, bm, cm, d, z, dtBias, y, newState;
  bool softplus;
  float dtMin, dtMax;
};
} // namespace

// One row of N states: s' = decay(k) * s + dx * B; y = C . s' + D x, gated.
// `at` indexes x / y / z, `stateAt` the state row, `decayOf(k)` the decay.
static void emitRow(LoopBuilder &lb, const StepArgs &s, ValueRange at,
                    ValueRange stateAt, Value bi, Value g, Value dt,
                    Value dParam, llvm::function_ref<Value(Value)> decayOf) {
  Value zero = lb.index(0);
  Value n = lb.dim(s.state, -1);
  Value xv = lb.load(s.x, at);
  Value dx = lb.mul(dt, xv);
  Value acc = lb.reduce(zero, n, lb.f32(0.0), [&](Value k, Value acc) {
    SmallVector<Value> idx(stateAt);
    idx.push_back(k);
    Value next = lb.fma(dx, lb.load(s.bm, {bi, g, k}),
                        lb.mul(decayOf(k), lb.load(s.state, idx)));
    lb.store(next, s.newState, idx);
    return lb.fma(lb.load(s.cm, {bi, g, k}), next, acc);
  });
  emitScanOutput(lb, acc, dParam, xv, s.z, s.y, at);
}

LogicalResult cpu::emitSelectiveStateUpdate(LoopBuilder &lb,
                                            SelectiveStateUpdateOp op,
                                            ValueRange inputs,
                                            ValueRange outputs) {
  StepArgs s;
  s.state = argOf(inputs, op.getStateMutable());
  s.x = argOf(inputs, op.getXMutable());
  s.dt = argOf(inputs, op.getDtMutable());
  s.a = argOf(inputs, op.getAMutable());
  s.bm = argOf(inputs, op.getBMutable());
  s.cm = argOf(inputs, op.getCMutable());
  s.d = argOf(inputs, op.getDMutable());
  s.z = argOf(inputs, op.getZMutable());
  s.dtBias = argOf(inputs, op.getDtBiasMutable());
  s.dtProj = argOf(inputs, op.getDtProjMutable());
  s.y = resultOf(outputs, op.getY());
  s.newState = resultOf(outputs, op.getNewState());
  s.softplus = op.getDtSoftplus();
  s.dtMin = op.getDtMin().convertToFloat();
  s.dtMax = op.getDtMax().convertToFloat();

  bool mamba2 = lb.rank(s.state) == 4;
  Value batch = lb.dim(s.state, 0), ch = lb.dim(s.state, 1);
  Value perGroup = lb.divi(ch, lb.dim(s.bm, 1));

  // One row of N states per iteration: (batch, channel), or (batch, head, p)
  // for Mamba-2 whose heads share one decay across their P rows.
  SmallVector<Value> ubs{batch, ch};
  if (mamba2)
    ubs.push_back(lb.dim(s.state, 2));
  lb.parallel(ubs, [&](ValueRange at) {
    Value bi = at[0], c = at[1];
    Value g = lb.divi(c, perGroup);
    Value bias = s.dtBias ? lb.load(s.dtBias, {c}) : Value();
    Value dt = emitDelta(lb, emitStepDt(lb, s.dt, s.dtProj, bi, c), bias, s.softplus,
                         s.dtMin, s.dtMax);
    Value dParam = s.d ? lb.load(s.d, {c}) : Value();
    if (!mamba2) {
      emitRow(lb, s, at, at, bi, g, dt, dParam, [&](Value k) {
        return lb.exp(lb.mul(dt, lb.load(s.a, {c, k})));
      });
      return;
    }
    Value decay = lb.exp(lb.mul(dt, lb.load(s.a, {c})));
    emitRow(lb, s, at, at, bi, g, dt, dParam, [&](Value) { return decay; });
  });
  return success();
}
