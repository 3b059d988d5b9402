#include "passes/gpu/WarpMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::ssm;

WarpMma::WarpMma(cpu::LoopBuilder &lb, bool split) : lb(lb), split(split) {
  OpBuilder &b = lb.builder();
  Value tid = gpu::ThreadIdOp::create(b, lb.location(), gpu::Dimension::x);
  lane = lb.remi(tid, lb.index(32));
  warp = lb.divi(tid, lb.index(32));
  g = lb.divi(lane, lb.index(4));
  q = lb.remi(lane, lb.index(4));
  g8 = lb.addi(g, lb.index(8));
  q4 = lb.addi(q, lb.index(4));
  q2 = lb.muli(q, lb.index(2));
  q2p1 = lb.addi(q2, lb.index(1));
}

WarpMma::Operand WarpMma::operand(ArrayRef<Value> values) {
  Operand op;
  op.hi.assign(values.begin(), values.end());
  if (!split)
    return op;
  OpBuilder &b = lb.builder();
  Location loc = lb.location();
  // hi: the top 10 mantissa bits (exact in tf32); lo = v - hi, exact in f32.
  Value mask = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0xFFFFE000u);
  for (Value &v : op.hi) {
    Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), v);
    Value hi = arith::BitcastOp::create(b, loc, b.getF32Type(),
                                        arith::AndIOp::create(b, loc, bits, mask));
    op.lo.push_back(lb.sub(v, hi));
    v = hi;
  }
  return op;
}

SmallVector<Value> WarpMma::mma(const Operand &a, const Operand &b, ValueRange acc) {
  OpBuilder &ob = lb.builder();
  Location loc = lb.location();
  Type f32 = ob.getF32Type();
  auto vec = [&](ArrayRef<int64_t> shape, ValueRange v) -> Value {
    return vector::FromElementsOp::create(ob, loc, VectorType::get(shape, f32), v);
  };
  auto product = [&](ArrayRef<Value> x, ArrayRef<Value> y, Value c) -> Value {
    return nvgpu::MmaSyncOp::create(ob, loc, vec({4, 1}, x), vec({2, 1}, y), c,
                                    ArrayRef<int64_t>{16, 8, 8}, /*tf32Enabled=*/true);
  };
  Value d = vec({2, 2}, acc);
  if (split) { // the small terms first, so they are not lost to the large one
    d = product(a.lo, b.hi, d);
    d = product(a.hi, b.lo, d);
  }
  d = product(a.hi, b.hi, d);
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(vector::ExtractOp::create(ob, loc, d, ArrayRef<int64_t>{i / 2, i % 2}));
  return out;
}
