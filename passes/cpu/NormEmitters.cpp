// CPU kernels of the RMS norms. Rows are the last dimension; every other
// dimension is a plain loop. Two passes over a row (sum of squares, then
// scale) instead of a row buffer: rows are short and stay in cache.
#include "passes/cpu/Emitters.h"

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

Value cpu::emitNormInput(LoopBuilder &lb, Value x, Value residual, Value sum,
                         ValueRange at) {
  Value v = lb.load(x, at);
  if (!residual)
    return v;
  v = lb.add(v, lb.load(residual, at));
  lb.store(v, sum, at);
  if (!cast<MemRefType>(sum.getType()).getElementType().isF32())
    v = lb.load(sum, at);
  return v;
}

LogicalResult cpu::emitRMSNorm(LoopBuilder &lb, RMSNormOp op, ValueRange inputs,
                               ValueRange outputs) {
  Value x = argOf(inputs, op.getInputMutable());
  Value w = argOf(inputs, op.getWeightMutable());
  Value residual = argOf(inputs, op.getResidualMutable());
  Value out = resultOf(outputs, op.getResult());
  Value sum = resultOf(outputs, op.getSum());
  float eps = op.getEps().convertToFloat();
  Value d = lb.dim(x, -1);
  Value dF = lb.toF32(d);
  lb.parallelLeading(x, 1, [&](ValueRange pos) {
    Value sumSq = lb.reduce(lb.index(0), d, lb.f32(0.0), [&](Value j, Value acc) {
      Value v = emitNormInput(lb, x, residual, sum, withLast(pos, j));
      return lb.fma(v, v, acc);
    });
    Value scale = lb.rmsScale(sumSq, dF, eps);
    lb.loop(lb.index(0), d, [&](Value j) {
      Value v = lb.load(residual ? sum : x, withLast(pos, j));
      lb.store(lb.mul(lb.mul(v, scale), lb.load(w, {j})), out, withLast(pos, j));
    });
  });
  return success();
}

LogicalResult cpu::emitGatedRMSNorm(LoopBuilder &lb, GatedRMSNormOp op,
                                    ValueRange inputs, ValueRange outputs) {
  Value x = argOf(inputs, op.getInputMutable());
  Value z = argOf(inputs, op.getGateMutable());
  Value w = argOf(inputs, op.getWeightMutable());
  Value out = outputs[0];
  float eps = op.getEps().convertToFloat();
  bool normFirst = op.getNormBeforeGate();
  int64_t groupSize = op.getGroupSize();
  Value e = lb.dim(x, -1);
  Value gs = lb.index(groupSize);
  Value groups = lb.divi(e, gs);
  Value gsF = lb.f32(static_cast<double>(groupSize));

  lb.parallelLeading(x, 1, [&](ValueRange pos) {
    lb.loop(lb.index(0), groups, [&](Value g) {
      Value start = lb.muli(g, gs);
      Value end = lb.addi(start, gs);
      // The normalized quantity: x * silu(z) when the gate comes first, else x.
      auto normed = [&](Value j) {
        Value v = lb.load(x, withLast(pos, j));
        return normFirst ? v : lb.mul(v, lb.silu(lb.load(z, withLast(pos, j))));
      };
      Value sumSq = lb.reduce(start, end, lb.f32(0.0), [&](Value j, Value acc) {
        Value v = normed(j);
        return lb.fma(v, v, acc);
      });
      Value scale = lb.rmsScale(sumSq, gsF, eps);
      lb.loop(start, end, [&](Value j) {
        Value r = lb.mul(lb.mul(normed(j), scale), lb.load(w, {j}));
        if (normFirst)
          r = lb.mul(r, lb.silu(lb.load(z, withLast(pos, j))));
        lb.store(r, out, withLast(pos, j));
      });
    });
  });
  return success();
}
