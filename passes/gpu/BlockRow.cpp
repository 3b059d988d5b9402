#include "passes/gpu/BlockRow.h"

using namespace mlir;
using namespace mlir::ssm;

BlockRow::BlockRow(cpu::LoopBuilder &lb, int64_t blockSize)
    : lb(lb), b(lb.builder()), blockSize(blockSize) {
  tid = gpu::ThreadIdOp::create(b, lb.location(), gpu::Dimension::x);
  rowId = gpu::BlockIdOp::create(b, lb.location(), gpu::Dimension::x);
}

SmallVector<Value> BlockRow::position(Value x) {
  SmallVector<Value> pos(lb.rank(x) - 1);
  Value rest = rowId;
  for (size_t i = pos.size(); i-- > 0;) {
    Value size = lb.dim(x, static_cast<int64_t>(i));
    pos[i] = i == 0 ? rest : lb.remi(rest, size);
    if (i > 0)
      rest = lb.divi(rest, size);
  }
  return pos;
}

void BlockRow::stride(Value lo, Value hi, llvm::function_ref<void(Value)> body) {
  stride(lo, hi, ValueRange{}, [&](Value j, ValueRange) {
    body(j);
    return SmallVector<Value>{};
  });
}

SmallVector<Value>
BlockRow::stride(Value lo, Value hi, ValueRange inits,
                 llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return lb.loopBy(lb.addi(lo, tid), hi, lb.index(blockSize), inits, body);
}

SmallVector<Value> BlockRow::reduce(ValueRange values, ValueRange scratch, Combine combine) {
  Location loc = lb.location();
  auto loadAll = [&](Value i) {
    SmallVector<Value> out;
    for (Value s : scratch)
      out.push_back(lb.loadRaw(s, {i}));
    return out;
  };
  auto storeAll = [&](ValueRange vs, Value i) {
    for (auto [v, s] : llvm::zip_equal(vs, scratch))
      lb.storeRaw(v, s, {i});
  };
  storeAll(values, tid);
  gpu::BarrierOp::create(b, loc);
  for (int64_t half = blockSize / 2; half > 0; half /= 2) {
    lb.when(lb.cmpi(arith::CmpIPredicate::ult, tid, lb.index(half)), [&] {
      storeAll(combine(loadAll(tid), loadAll(lb.addi(tid, lb.index(half)))), tid);
    });
    gpu::BarrierOp::create(b, loc);
  }
  SmallVector<Value> total = loadAll(lb.index(0));
  // Nobody may overwrite slot 0 before every thread has read it.
  gpu::BarrierOp::create(b, loc);
  return total;
}

Value BlockRow::sharedBuffer(gpu::GPUFuncOp func, Type type, ArrayRef<int64_t> shape) {
  auto shared = gpu::AddressSpaceAttr::get(func.getContext(), gpu::AddressSpace::Workgroup);
  return func.addWorkgroupAttribution(
      MemRefType::get(shape, type, MemRefLayoutAttrInterface(), shared), func.getLoc());
}
