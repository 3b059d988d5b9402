// Loop kernels of the prefill scans (Mamba-1 selective scan, Mamba-2 SSD).
// Both run the exact recurrence sequentially over t for one (batch, channel)
// or (batch, head, p) at a time (one per GPU thread). The running state is N
// f32 in a stack buffer (once per kernel on the CPU, per thread on the GPU):
// the expanded [b, L, e, N] state is never materialized. On the CPU the
// recurrent form of SSD is exact and cheapest, so
// `chunk_size` plays no role here.
#include "passes/cpu/Emitters.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

// SSD's recurrence for one (batch `bi`, head `h`, `pi`) over t in [t0, t1),
// on the N-array `s` (updated in place); writes y[bi, t, h, pi] (with the D
// skip and z gate) when `y` is given.
static void emitSSDSteps(LoopBuilder &lb, SSDOp op, ValueRange inputs, Value s, Value bi,
                         Value h, Value pi, Value t0, Value t1, Value y) {
  Value x = argOf(inputs, op.getXMutable());
  Value dtm = argOf(inputs, op.getDtMutable());
  Value a = argOf(inputs, op.getAMutable());
  Value bm = argOf(inputs, op.getBMutable());
  Value cm = argOf(inputs, op.getCMutable());
  Value d = argOf(inputs, op.getDMutable());
  Value z = argOf(inputs, op.getZMutable());
  Value dtBias = argOf(inputs, op.getDtBiasMutable());
  Value zero = lb.index(0), n = lb.dim(bm, 3);
  Value g = lb.divi(h, lb.divi(lb.dim(x, 2), lb.dim(bm, 2)));
  Value ah = lb.load(a, {h});
  Value bias = dtBias ? lb.load(dtBias, {h}) : Value();
  Value dH = y && d ? lb.load(d, {h}) : Value();
  lb.loop(t0, t1, [&](Value t) {
    Value dt = emitDelta(lb, lb.load(dtm, {bi, t, h}), bias, op.getDtSoftplus(),
                         op.getDtMin().convertToFloat(), op.getDtMax().convertToFloat());
    // The decay is one scalar per (t, head): hoisted out of the N loop.
    Value decay = lb.exp(lb.mul(dt, ah));
    Value xv = lb.load(x, {bi, t, h, pi});
    Value dx = lb.mul(dt, xv);
    Value acc = lb.reduce(zero, n, lb.f32(0.0), [&](Value k, Value acc) {
      Value next = lb.fma(dx, lb.load(bm, {bi, t, g, k}), lb.mul(decay, lb.loadRaw(s, {k})));
      lb.storeRaw(next, s, {k});
      return y ? lb.accumulate(lb.mul(lb.load(cm, {bi, t, g, k}), next), acc) : acc;
    });
    if (y)
      emitScanOutput(lb, acc, dH, xv, z, y, {bi, t, h, pi});
  });
}

void cpu::emitScanOutput(LoopBuilder &lb, Value acc, Value d, Value x, Value z, Value y,
                         ValueRange at) {
  lb.store(scanOutput(lb, acc, d, x, z ? lb.load(z, at) : Value()), y, at);
}

Value cpu::scanOutput(LoopBuilder &lb, Value acc, Value d, Value x, Value gate) {
  if (d)
    acc = lb.fma(d, x, acc);
  if (gate)
    acc = lb.mul(acc, lb.silu(gate));
  return acc;
}

Value cpu::emitDelta(LoopBuilder &lb, Value dt, Value bias, bool softplus,
                     float dtMin, float dtMax) {
  Value v = bias ? lb.add(dt, bias) : dt;
  if (softplus)
    v = lb.softplus(v);
  // softplus is never negative, so a zero lower bound cannot bind after it.
  if (!(softplus && dtMin <= 0.0f))
    v = lb.max(v, lb.f32(dtMin));
  if (!std::isinf(dtMax))
    v = lb.min(v, lb.f32(dtMax));
  return v;
}

// An f32 array of N state values: one for the whole kernel on the CPU, one
// per thread on the GPU, where it has the op's static size `staticN` (a GPU
// stack holds no dynamic allocation). Null after an error on `op`.
static Value allocStateArray(LoopBuilder &lb, Operation *op, Value n, int64_t staticN) {
  OpBuilder &b = lb.builder();
  auto type = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
  if (!lb.onGpu())
    return memref::AllocaOp::create(b, lb.location(), type, ValueRange{n});
  if (ShapedType::isDynamic(staticN)) {
    op->emitOpError() << "needs a static state size for its GPU kernel";
    return Value();
  }
  auto fixed = MemRefType::get({staticN}, b.getF32Type());
  Value buffer = memref::AllocaOp::create(b, lb.location(), fixed);
  return memref::CastOp::create(b, lb.location(), type, buffer);
}

// s[n] = initial[idx..., n] or 0.
static void loadInitialState(LoopBuilder &lb, Value s, Value init,
                             ValueRange idx, Value n) {
  lb.loop(lb.index(0), n, [&](Value k) {
    SmallVector<Value> at(idx);
    at.push_back(k);
    lb.storeRaw(init ? lb.load(init, at) : lb.f32(0.0), s, {k});
  });
}

static void storeFinalState(LoopBuilder &lb, Value s, Value finalState,
                            ValueRange idx, Value n) {
  if (!finalState)
    return;
  lb.loop(lb.index(0), n, [&](Value k) {
    SmallVector<Value> at(idx);
    at.push_back(k);
    lb.store(lb.loadRaw(s, {k}), finalState, at);
  });
}

LogicalResult cpu::emitSelectiveScan(LoopBuilder &lb, SelectiveScanOp op,
                                     ValueRange inputs, ValueRange outputs) {
  Value u = argOf(inputs, op.getUMutable());
  Value delta = argOf(inputs, op.getDeltaMutable());
  Value a = argOf(inputs, op.getAMutable());
  Value bm = argOf(inputs, op.getBMutable());
  Value cm = argOf(inputs, op.getCMutable());
  Value d = argOf(inputs, op.getDMutable());
  Value z = argOf(inputs, op.getZMutable());
  Value deltaBias = argOf(inputs, op.getDeltaBiasMutable());
  Value init = argOf(inputs, op.getInitialStateMutable());
  Value y = resultOf(outputs, op.getY());
  Value finalState = resultOf(outputs, op.getFinalState());
  bool softplus = op.getDeltaSoftplus();

  Value zero = lb.index(0);
  Value batch = lb.dim(u, 0), len = lb.dim(u, 1), e = lb.dim(u, 2);
  Value n = lb.dim(a, 1), groups = lb.dim(bm, 2);
  Value perGroup = lb.divi(e, groups);
  Value s = allocStateArray(lb, op, n, cast<ShapedType>(op.getA().getType()).getDimSize(1));
  if (!s)
    return failure();

  lb.parallel({batch, e}, [&](ValueRange ivs) {
    Value bi = ivs[0], c = ivs[1];
    Value g = lb.divi(c, perGroup);
    Value biasC = deltaBias ? lb.load(deltaBias, {c}) : Value();
    Value dC = d ? lb.load(d, {c}) : Value();
    loadInitialState(lb, s, init, {bi, c}, n);
    lb.loop(zero, len, [&](Value t) {
      Value dt = lb.load(delta, {bi, t, c});
      if (biasC)
        dt = lb.add(dt, biasC);
      if (softplus)
        dt = lb.softplus(dt);
      Value uv = lb.load(u, {bi, t, c});
      Value du = lb.mul(dt, uv);
      Value acc = lb.reduce(zero, n, lb.f32(0.0), [&](Value k, Value acc) {
        Value decay = lb.exp(lb.mul(dt, lb.load(a, {c, k})));
        Value next = lb.fma(du, lb.load(bm, {bi, t, g, k}),
                            lb.mul(decay, lb.loadRaw(s, {k})));
        lb.storeRaw(next, s, {k});
        return lb.accumulate(lb.mul(lb.load(cm, {bi, t, g, k}), next), acc);
      });
      emitScanOutput(lb, acc, dC, uv, z, y, {bi, t, c});
    });
    storeFinalState(lb, s, finalState, {bi, c}, n);
  });
  return success();
}

LogicalResult cpu::emitSSD(LoopBuilder &lb, SSDOp op, ValueRange inputs,
                           ValueRange outputs) {
  Value x = argOf(inputs, op.getXMutable());
  Value bm = argOf(inputs, op.getBMutable());
  Value init = argOf(inputs, op.getInitialStateMutable());
  Value y = resultOf(outputs, op.getY());
  Value finalState = resultOf(outputs, op.getFinalState());

  Value zero = lb.index(0);
  Value batch = lb.dim(x, 0), len = lb.dim(x, 1), heads = lb.dim(x, 2),
        p = lb.dim(x, 3);
  Value n = lb.dim(bm, 3);
  Value s = allocStateArray(lb, op, n, cast<ShapedType>(op.getB().getType()).getDimSize(3));
  if (!s)
    return failure();

  lb.parallel({batch, heads, p}, [&](ValueRange ivs) {
    Value bi = ivs[0], h = ivs[1], pi = ivs[2];
    loadInitialState(lb, s, init, {bi, h, pi}, n);
    emitSSDSteps(lb, op, inputs, s, bi, h, pi, zero, len, y);
    storeFinalState(lb, s, finalState, {bi, h, pi}, n);
  });
  return success();
}
