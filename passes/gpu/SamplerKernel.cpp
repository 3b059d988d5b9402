#include "passes/gpu/SamplerKernel.h"

#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/BlockRow.h"
#include "passes/gpu/GpuKernelFunc.h"

#include <limits>

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

using arith::CmpFPredicate;
using arith::CmpIPredicate;

// Scalar building blocks beyond LoopBuilder's f32/index ones.
struct Scalars {
  LoopBuilder &lb;
  OpBuilder &b;
  Location loc;

  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v); }
  Value i8(int64_t v) { return arith::ConstantIntOp::create(b, loc, b.getI8Type(), v); }
  Value f64(double v) { return arith::ConstantFloatOp::create(b, loc, b.getF64Type(), APFloat(v)); }
  Value negInf() { return lb.f32(-std::numeric_limits<double>::infinity()); }
  Value toIndex(Value i) { return arith::IndexCastOp::create(b, loc, b.getIndexType(), i); }
  Value toI32(Value i) { return arith::IndexCastOp::create(b, loc, b.getI32Type(), i); }
  Value toF64(Value x) { // from i32 or f32
    if (x.getType().isInteger())
      return arith::SIToFPOp::create(b, loc, b.getF64Type(), x);
    return arith::ExtFOp::create(b, loc, b.getF64Type(), x);
  }
  Value asF32(Value bits) { return arith::BitcastOp::create(b, loc, b.getF32Type(), bits); }
  Value cmpf(CmpFPredicate p, Value x, Value y) { return arith::CmpFOp::create(b, loc, p, x, y); }
  Value select(Value c, Value x, Value y) { return arith::SelectOp::create(b, loc, c, x, y); }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value addi32(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
};

} // namespace

gpu::GPUFuncOp ssm::buildSamplerKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i32 = b.getI32Type();
  SmallVector<Type> types{anyViewType(ctx, 2, f32), anyViewType(ctx, 2, b.getI8Type()),
                          anyViewType(ctx, 1, i32), anyViewType(ctx, 2, i32),
                          anyViewType(ctx, 2, f32), anyViewType(ctx, 2, f64)};
  OpBuilder::InsertionGuard guard(b);
  auto func = createGpuKernel(b, module, loc, kSamplerKernelName, types, kSamplerBlockSize);
  Value maxScratch = BlockRow::sharedBuffer(func, f32, {kSamplerBlockSize});
  Value idScratch = BlockRow::sharedBuffer(func, i32, {kSamplerBlockSize});
  Value countScratch = BlockRow::sharedBuffer(func, i32, {kSamplerBlockSize});
  Value massScratch = BlockRow::sharedBuffer(func, f64, {kSamplerBlockSize});
  Value hist = BlockRow::sharedBuffer(func, i32, {kSamplerBins});
  // [0]: the last bin gathered (-1: none); [1]: candidates gathered so far.
  Value picks = BlockRow::sharedBuffer(func, i32, {2});
  Block &entry = func.getBody().front();
  Value logits = entry.getArgument(0), mask = entry.getArgument(1),
        control = entry.getArgument(2), ids = entry.getArgument(3),
        vals = entry.getArgument(4), summary = entry.getArgument(5);

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  Scalars s{lb, b, loc};
  BlockRow block(lb, kSamplerBlockSize);
  Value row = block.row(), tid = block.thread();
  Value batch = lb.dim(logits, 0), vocab = lb.dim(logits, 1), maskWidth = lb.dim(mask, 1),
        room = s.toI32(lb.dim(ids, 1));
  auto word = [&](Value i) { return lb.loadRaw(control, {i}); };
  // The row's temperature and penalty, then the offsets, clear flags and ids
  // after all the rows' settings (SamplerKernel.h).
  Value temperature = s.asF32(word(lb.muli(row, lb.index(2))));
  Value penalty = s.asF32(word(lb.addi(lb.muli(row, lb.index(2)), lb.index(1))));
  Value penalize = s.cmpf(CmpFPredicate::UNE, penalty, lb.f32(1.0));
  Value offsets = lb.muli(batch, lb.index(2));
  Value firstId = s.toIndex(word(lb.addi(offsets, row)));
  Value endId = s.toIndex(word(lb.addi(offsets, lb.addi(row, lb.index(1)))));
  Value clears = lb.addi(offsets, lb.addi(batch, lb.index(1)));
  Value clear = lb.cmpi(CmpIPredicate::ne, word(lb.addi(clears, row)), s.i32(0));
  Value idsStart = lb.addi(clears, batch);
  auto onThread0 = [&](llvm::function_ref<void()> fn) {
    lb.when(lb.cmpi(CmpIPredicate::eq, tid, lb.index(0)), fn);
  };

  // 1. The seen mask (the conditions are the same for the whole block, so
  // every thread reaches the barriers).
  lb.when(penalize, [&] {
    lb.when(clear, [&] {
      block.stride(lb.index(0), maskWidth,
                   [&](Value j) { lb.storeRaw(s.i8(0), mask, {row, j}); });
      gpu::BarrierOp::create(b, loc);
    });
    block.stride(firstId, endId, [&](Value i) {
      Value id = word(lb.addi(idsStart, i));
      Value inside = s.andi(lb.cmpi(CmpIPredicate::sge, id, s.i32(0)),
                            lb.cmpi(CmpIPredicate::slt, s.toIndex(id), maskWidth));
      // An id outside the mask is skipped (the host checks them).
      lb.when(inside, [&] { lb.storeRaw(s.i8(1), mask, {row, s.toIndex(id)}); });
    });
    gpu::BarrierOp::create(b, loc);
  });

  // The logit as sampled: NaN -> -inf, then the penalty on seen ids.
  auto logitAt = [&](Value j) {
    Value l = lb.loadRaw(logits, {row, j});
    l = s.select(s.cmpf(CmpFPredicate::UNO, l, l), s.negInf(), l);
    return lb.when(penalize, l, [&] {
      Value seen = lb.cmpi(CmpIPredicate::ne, lb.loadRaw(mask, {row, j}), s.i8(0));
      Value lowered = s.select(s.cmpf(CmpFPredicate::OGT, l, lb.f32(0.0)), lb.div(l, penalty),
                               lb.mul(l, penalty));
      return s.select(seen, lowered, l);
    });
  };
  auto isLive = [&](Value l) { return s.cmpf(CmpFPredicate::OGT, l, s.negInf()); };

  // 2. Maximum (lowest id on ties) and live count. The histogram and the
  // gather counter are cleared meanwhile (the reduction's barriers order it).
  block.stride(lb.index(0), lb.index(kSamplerBins),
               [&](Value j) { lb.storeRaw(s.i32(0), hist, {j}); });
  onThread0([&] { lb.storeRaw(s.i32(0), picks, {lb.index(1)}); });
  SmallVector<Value> mine = block.stride(
      lb.index(0), vocab, ValueRange{s.negInf(), s.toI32(vocab), s.i32(0)},
      [&](Value j, ValueRange acc) {
        Value l = logitAt(j);
        // Ascending ids per thread: a strictly larger value wins.
        Value better = s.cmpf(CmpFPredicate::OGT, l, acc[0]);
        return SmallVector<Value>{s.select(better, l, acc[0]), s.select(better, s.toI32(j), acc[1]),
                                  s.addi32(acc[2], s.select(isLive(l), s.i32(1), s.i32(0)))};
      });
  SmallVector<Value> top = block.reduce(
      mine, ValueRange{maxScratch, idScratch, countScratch}, [&](ValueRange x, ValueRange y) {
        Value yFirst = s.ori(s.cmpf(CmpFPredicate::OGT, y[0], x[0]),
                             s.andi(s.cmpf(CmpFPredicate::OEQ, y[0], x[0]),
                                    lb.cmpi(CmpIPredicate::slt, y[1], x[1])));
        return SmallVector<Value>{s.select(yFirst, y[0], x[0]), s.select(yFirst, y[1], x[1]),
                                  s.addi32(x[2], y[2])};
      });
  Value max = top[0], argmax = top[1], live = top[2];

  // 3. Probability mass and histogram. Greedy rows bin as if T = 1.
  Value unit = s.select(s.cmpf(CmpFPredicate::OGT, temperature, lb.f32(0.0)), temperature,
                        lb.f32(1.0));
  Value scale = lb.div(lb.f32(kSamplerBinsPerUnit), unit);
  Value max64 = s.toF64(max), unit64 = s.toF64(unit);
  auto binOf = [&](Value l) {
    Value d = lb.mul(lb.sub(max, l), scale);
    // NaN (an +inf maximum) and far values land in the open last bin.
    Value inRange = s.cmpf(CmpFPredicate::OLT, d, lb.f32(kSamplerBins - 1));
    Value clamped = s.select(inRange, d, lb.f32(kSamplerBins - 1));
    return arith::FPToUIOp::create(b, loc, i32, clamped).getResult();
  };
  Value mass = block.stride(lb.index(0), vocab, ValueRange{s.f64(0.0)},
                            [&](Value j, ValueRange acc) {
    Value l = logitAt(j);
    Value liveHere = isLive(l);
    lb.when(liveHere, [&] {
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, s.i32(1), hist,
                                  ValueRange{s.toIndex(binOf(l))});
    });
    Value e = math::ExpOp::create(
        b, loc, arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, s.toF64(l), max64),
                                      unit64));
    Value term = s.select(liveHere, e, s.f64(0.0));
    return SmallVector<Value>{arith::AddFOp::create(b, loc, acc[0], term).getResult()};
  })[0];
  gpu::BarrierOp::create(b, loc);

  // The longest run of bins, from the first, whose count fits the buffer.
  onThread0([&] {
    SmallVector<Value> run = lb.loop(
        lb.index(0), lb.index(kSamplerBins), ValueRange{s.i32(0), s.i32(-1), s.i8(1)},
        [&](Value i, ValueRange acc) {
          Value next = s.addi32(acc[0], lb.loadRaw(hist, {i}));
          Value open = lb.cmpi(CmpIPredicate::ne, acc[2], s.i8(0));
          Value take = s.andi(open, lb.cmpi(CmpIPredicate::sle, next, room));
          return SmallVector<Value>{s.select(take, next, acc[0]),
                                    s.select(take, s.toI32(i), acc[1]),
                                    s.select(take, s.i8(1), s.i8(0))};
        });
    lb.storeRaw(run[1], picks, {lb.index(0)});
  });
  gpu::BarrierOp::create(b, loc);
  Value lastBin = lb.loadRaw(picks, {lb.index(0)});

  // 4. Gather the candidates; track the largest logit left out.
  Value excluded = block.stride(lb.index(0), vocab, ValueRange{s.negInf()},
                                [&](Value j, ValueRange acc) {
    Value l = logitAt(j);
    Value liveHere = isLive(l);
    Value bin = binOf(l);
    Value pick = s.andi(liveHere, lb.cmpi(CmpIPredicate::sle, bin, lastBin));
    lb.when(pick, [&] {
      Value slot = memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, s.i32(1),
                                               picks, ValueRange{lb.index(1)});
      // Never past the buffer, whatever the arithmetic did.
      lb.when(lb.cmpi(CmpIPredicate::slt, slot, room), [&] {
        lb.storeRaw(s.toI32(j), ids, {row, s.toIndex(slot)});
        lb.storeRaw(l, vals, {row, s.toIndex(slot)});
      });
    });
    Value left = s.andi(liveHere, lb.cmpi(CmpIPredicate::sgt, bin, lastBin));
    return SmallVector<Value>{s.select(left, lb.max(acc[0], l), acc[0])};
  })[0];
  SmallVector<Value> rest = block.reduce(
      ValueRange{excluded, mass}, ValueRange{maxScratch, massScratch},
      [&](ValueRange x, ValueRange y) {
        return SmallVector<Value>{lb.max(x[0], y[0]),
                                  arith::AddFOp::create(b, loc, x[1], y[1]).getResult()};
      });

  onThread0([&] {
    Value gathered = lb.loadRaw(picks, {lb.index(1)});
    Value count = s.select(lb.cmpi(CmpIPredicate::slt, gathered, room), gathered, room);
    Value none = lb.cmpi(CmpIPredicate::eq, live, s.i32(0));
    Value words[kSamplerSummary] = {s.toF64(count),
                                    s.toF64(s.select(none, s.i32(-1), argmax)),
                                    s.toF64(max),
                                    s.toF64(rest[0]),
                                    s.toF64(live),
                                    rest[1],
                                    s.f64(0.0),
                                    s.f64(0.0)};
    for (int64_t i = 0; i < kSamplerSummary; ++i)
      lb.storeRaw(words[i], summary, {row, lb.index(i)});
  });
  gpu::ReturnOp::create(b, loc);
  return func;
}
