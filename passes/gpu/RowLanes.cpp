#include "passes/gpu/RowLanes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ssm;

static constexpr int64_t kWarp = 32;

RowLanes::RowLanes(cpu::LoopBuilder &lb, int64_t n, int64_t lanesPerRow)
    : lb(lb), s(lanesPerRow), k(n / lanesPerRow) {
  OpBuilder &b = lb.builder();
  Location loc = lb.location();
  auto x = gpu::Dimension::x;
  Value tid = gpu::ThreadIdOp::create(b, loc, x);
  lane = lb.remi(tid, lb.index(kWarp));
  row = lb.divi(lane, lb.index(s));
  slot = lb.remi(lane, lb.index(s));
  Value warpsPerBlock = lb.divi(gpu::BlockDimOp::create(b, loc, x), lb.index(kWarp));
  warp = lb.addi(lb.muli(gpu::BlockIdOp::create(b, loc, x), warpsPerBlock),
                 lb.divi(tid, lb.index(kWarp)));
  warps = lb.muli(gpu::GridDimOp::create(b, loc, x), warpsPerBlock);
}

int64_t RowLanes::rowsPerWarp() const { return kWarp / s; }

void RowLanes::tasks(ValueRange ubs, llvm::function_ref<void(ValueRange)> body) {
  Value total = lb.index(1);
  for (Value ub : ubs)
    total = lb.muli(total, ub);
  OpBuilder &b = lb.builder();
  auto forOp = scf::ForOp::create(b, lb.location(), warp, total, warps);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  SmallVector<Value> ivs(ubs.size());
  Value rest = forOp.getInductionVar();
  for (size_t i = ubs.size(); i-- > 0;) {
    ivs[i] = i == 0 ? rest : lb.remi(rest, ubs[i]);
    if (i > 0)
      rest = lb.divi(rest, ubs[i]);
  }
  body(ivs);
}

Value RowLanes::groups(Value rows) {
  int64_t r = rowsPerWarp();
  return lb.ceilDiv(rows, r);
}

std::pair<Value, Value> RowLanes::rowIn(Value group, Value rows) {
  Value mine = lb.addi(lb.muli(group, lb.index(rowsPerWarp())), row);
  Value real = lb.cmpi(arith::CmpIPredicate::ult, mine, rows);
  auto clamped = arith::MinUIOp::create(lb.builder(), lb.location(), mine,
                                        lb.subi(rows, lb.index(1)));
  return {clamped, real};
}

Value RowLanes::n(int64_t i) { return lb.addi(lb.index(i * s), slot); }

SmallVector<Value> RowLanes::loadRow(llvm::function_ref<Value(Value)> at) {
  SmallVector<Value> values;
  for (int64_t i = 0; i < k; ++i)
    values.push_back(at(n(i)));
  return values;
}

SmallVector<Value> RowLanes::update(ValueRange st, Value decay, Value dx, ValueRange bRow) {
  return update(st, SmallVector<Value>(k, decay), dx, bRow);
}

SmallVector<Value> RowLanes::update(ValueRange st, ValueRange decays, Value dx,
                                    ValueRange bRow) {
  SmallVector<Value> next;
  for (int64_t i = 0; i < k; ++i)
    next.push_back(lb.fma(dx, bRow[i], lb.mul(decays[i], st[i])));
  return next;
}

Value RowLanes::rowDot(ValueRange st, ValueRange cRow) {
  // Four independent chains, summed at the end: a chain of k dependent fmas
  // would make the step wait k fma latencies.
  const int64_t chains = k >= 8 ? 4 : 1;
  SmallVector<Value> acc(chains, lb.f32(0.0));
  for (int64_t i = 0; i < k; ++i)
    acc[i % chains] = lb.fma(cRow[i], st[i], acc[i % chains]);
  while (acc.size() > 1) {
    for (size_t i = 0; i + 1 < acc.size(); i += 2)
      acc[i / 2] = lb.add(acc[i], acc[i + 1]);
    acc.resize(acc.size() / 2);
  }
  return rowSum(acc[0]);
}

Value RowLanes::rowSum(Value part) {
  for (int64_t offset = s / 2; offset > 0; offset /= 2) {
    auto shuffle = gpu::ShuffleOp::create(lb.builder(), lb.location(), part, int32_t(offset),
                                          int32_t(kWarp), gpu::ShuffleMode::XOR);
    part = lb.add(part, shuffle.getShuffleResult());
  }
  return part;
}

void RowLanes::storeRow(Value real, ValueRange values, Value m, ValueRange lead) {
  lb.when(real, [&] {
    for (int64_t i = 0; i < k; ++i) {
      SmallVector<Value> at(lead);
      at.push_back(n(i));
      lb.store(values[i], m, at);
    }
  });
}

void RowLanes::onRowLeader(Value real, llvm::function_ref<void()> then) {
  Value first = lb.cmpi(arith::CmpIPredicate::eq, slot, lb.index(0));
  lb.when(arith::AndIOp::create(lb.builder(), lb.location(), real, first), then);
}

