// CPU kernels of the model glue: embedding gather, reference dense
// projection, and elementwise tensor arithmetic.
#include "passes/cpu/Emitters.h"

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

LogicalResult cpu::emitEmbedding(LoopBuilder &lb, EmbeddingOp op,
                                 ValueRange inputs, ValueRange outputs) {
  Value tokens = argOf(inputs, op.getTokensMutable());
  Value table = argOf(inputs, op.getTableMutable());
  Value out = outputs[0];
  OpBuilder &b = lb.builder();
  Value d = lb.dim(table, 1);
  // Tokens are [b, L] or [b]; each selects one row of the table. One
  // element per iteration, so GPU threads copy a row together.
  SmallVector<Value> ubs = lb.leadingDims(tokens, 0);
  ubs.push_back(d);
  lb.parallel(ubs, [&](ValueRange ivs) {
    ValueRange pos = ivs.drop_back();
    Value id = lb.loadRaw(tokens, pos);
    Value row = arith::IndexCastOp::create(b, lb.location(), b.getIndexType(), id);
    lb.storeRaw(lb.loadRaw(table, {row, ivs.back()}), out, ivs);
  });
  return success();
}

LogicalResult cpu::emitLinear(LoopBuilder &lb, LinearOp op, ValueRange inputs,
                              ValueRange outputs) {
  Value x = argOf(inputs, op.getInputMutable());
  Value w = argOf(inputs, op.getWeightMutable());
  Value bias = argOf(inputs, op.getBiasMutable());
  Value y = outputs[0];
  Value n = lb.dim(w, 0), k = lb.dim(w, 1);
  // y[..., j] = sum_k x[..., k] * w[j, k]: k innermost reads both rows contiguously.
  SmallVector<Value> ubs = lb.leadingDims(x, 1);
  ubs.push_back(n);
  lb.parallel(ubs, [&](ValueRange ivs) {
    ValueRange pos = ivs.drop_back();
    Value j = ivs.back();
    Value init = bias ? lb.load(bias, {j}) : lb.f32(0.0);
    Value acc = lb.reduce(lb.index(0), k, init, [&](Value kk, Value a) {
      SmallVector<Value> xIdx(pos);
      xIdx.push_back(kk);
      return lb.fma(lb.load(x, xIdx), lb.load(w, {j, kk}), a);
    });
    lb.store(acc, y, ivs);
  });
  return success();
}

LogicalResult cpu::emitElementwise(LoopBuilder &lb, Operation *op,
                                   ValueRange inputs, ValueRange outputs) {
  OpBuilder &b = lb.builder();
  Location loc = lb.location();
  // Computed in the element type itself: exactly what the tensor op means.
  lb.parallelLeading(outputs[0], 0, [&](ValueRange ivs) {
    Value x = lb.loadRaw(inputs[0], ivs), y = lb.loadRaw(inputs[1], ivs);
    Value r = isa<arith::AddFOp>(op) ? Value(arith::AddFOp::create(b, loc, x, y))
                                     : Value(arith::MulFOp::create(b, loc, x, y));
    lb.storeRaw(r, outputs[0], ivs);
  });
  return success();
}
