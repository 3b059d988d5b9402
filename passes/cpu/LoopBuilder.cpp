#include "passes/cpu/LoopBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm::cpu;

LoopBuilder::LoopBuilder(OpBuilder &b, Location loc, LoopTarget target)
    : b(b), loc(loc), target(target) {
  zero = arith::ConstantIndexOp::create(b, loc, 0);
  one = arith::ConstantIndexOp::create(b, loc, 1);
}

Value LoopBuilder::index(int64_t v) {
  if (v == 0)
    return zero;
  if (v == 1)
    return one;
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value LoopBuilder::f32(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

int64_t LoopBuilder::rank(Value memref) {
  return cast<MemRefType>(memref.getType()).getRank();
}

Value LoopBuilder::dim(Value memref, int64_t i) {
  if (i < 0)
    i += rank(memref);
  return memref::DimOp::create(b, loc, memref, i);
}

Value LoopBuilder::loadRaw(Value memref, ValueRange ivs) {
  return memref::LoadOp::create(b, loc, memref, ivs);
}

void LoopBuilder::storeRaw(Value v, Value memref, ValueRange ivs) {
  memref::StoreOp::create(b, loc, v, memref, ivs);
}

Value LoopBuilder::load(Value memref, ValueRange ivs) {
  Value v = loadRaw(memref, ivs);
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

void LoopBuilder::store(Value v, Value memref, ValueRange ivs) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  if (elem != v.getType())
    v = arith::TruncFOp::create(b, loc, elem, v);
  storeRaw(v, memref, ivs);
}

SmallVector<Value>
LoopBuilder::loop(Value lb, Value ub, ValueRange inits,
                  llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return loopBy(lb, ub, index(1), inits, body);
}

SmallVector<Value>
LoopBuilder::loopBy(Value lb, Value ub, Value step, ValueRange inits,
                    llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto forOp = scf::ForOp::create(b, loc, lb, ub, step, inits);
  OpBuilder::InsertionGuard guard(b);
  Block *block = forOp.getBody();
  // Without loop-carried values the builder adds the scf.yield itself.
  if (block->mightHaveTerminator())
    b.setInsertionPoint(block->getTerminator());
  else
    b.setInsertionPointToEnd(block);
  SmallVector<Value> yields =
      body(forOp.getInductionVar(), forOp.getRegionIterArgs());
  if (!block->mightHaveTerminator())
    scf::YieldOp::create(b, loc, yields);
  return SmallVector<Value>(forOp.getResults());
}

void LoopBuilder::loop(Value lb, Value ub, llvm::function_ref<void(Value)> body) {
  loop(lb, ub, ValueRange{}, [&](Value iv, ValueRange) {
    body(iv);
    return SmallVector<Value>{};
  });
}

SmallVector<Value> LoopBuilder::loopLoadingAhead(
    Value lb, Value ub, int64_t unroll, ValueRange inits,
    llvm::function_ref<SmallVector<Value>(Value)> load,
    llvm::function_ref<SmallVector<Value>(Value, ArrayRef<Value>, ValueRange)> body) {
  Value last = subi(ub, index(1));
  if (unroll == 1) {
    // Every iteration but the last loads the next step, which exists; the
    // last runs after the loop on what it carries. No index is clamped.
    SmallVector<Value> iterInits(inits);
    SmallVector<Value> first = load(lb);
    const size_t count = first.size();
    llvm::append_range(iterInits, first);
    SmallVector<Value> results = loop(lb, last, iterInits, [&](Value iv, ValueRange it) {
      SmallVector<Value> ahead = load(addi(iv, index(1)));
      SmallVector<Value> loaded(it.take_back(count));
      SmallVector<Value> carried = body(iv, loaded, it.drop_back(count));
      llvm::append_range(carried, ahead);
      return carried;
    });
    SmallVector<Value> loaded(ArrayRef<Value>(results).take_back(count));
    return body(last, loaded, ArrayRef<Value>(results).drop_back(count));
  }
  // Load indices are clamped into [lb, ub) (never empty): the group after
  // the last is loaded, never used.
  auto loadGroup = [&](Value start, SmallVector<size_t> *counts) {
    SmallVector<Value> values;
    for (int64_t u = 0; u < unroll; ++u) {
      Value at = arith::MinUIOp::create(b, loc, addi(start, index(u)), last);
      SmallVector<Value> one = load(at);
      if (counts)
        counts->push_back(one.size());
      llvm::append_range(values, one);
    }
    return values;
  };
  Value full =
      unroll == 1 ? ub : addi(lb, muli(divi(subi(ub, lb), index(unroll)), index(unroll)));
  SmallVector<size_t> counts;
  SmallVector<Value> iterInits(inits);
  llvm::append_range(iterInits, loadGroup(lb, &counts));
  auto forOp = scf::ForOp::create(b, loc, lb, full, index(unroll), iterInits);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(forOp.getBody());
    Value iv = forOp.getInductionVar();
    ValueRange args = forOp.getRegionIterArgs();
    // The next group's loads go out before this group's bodies run.
    SmallVector<Value> ahead = loadGroup(addi(iv, index(unroll)), nullptr);
    SmallVector<Value> carried(args.take_front(inits.size()));
    size_t at = inits.size();
    for (int64_t u = 0; u < unroll; ++u) {
      SmallVector<Value> loaded(args.slice(at, counts[u]));
      carried = body(addi(iv, index(u)), loaded, carried);
      at += counts[u];
    }
    llvm::append_range(carried, ahead);
    scf::YieldOp::create(b, loc, carried);
  }
  SmallVector<Value> results(forOp.getResults().take_front(inits.size()));
  if (unroll == 1)
    return results;
  return loop(full, ub, results, [&](Value iv, ValueRange it) { return body(iv, load(iv), it); });
}

void LoopBuilder::when(Value cond, llvm::function_ref<void()> then) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  then();
}

Value LoopBuilder::reduce(Value lb, Value ub, Value init,
                          llvm::function_ref<Value(Value, Value)> body) {
  return loop(lb, ub, ValueRange{init}, [&](Value iv, ValueRange acc) {
           return SmallVector<Value>{body(iv, acc[0])};
         })
      .front();
}

void LoopBuilder::nest(ValueRange ubs, llvm::function_ref<void(ValueRange)> body) {
  SmallVector<Value> ivs;
  // Recursion keeps the outer induction variables visible to the innermost body.
  std::function<void(size_t)> level = [&](size_t i) {
    if (i == ubs.size()) {
      body(ivs);
      return;
    }
    loop(index(0), ubs[i], [&](Value iv) {
      ivs.push_back(iv);
      level(i + 1);
      ivs.pop_back();
    });
  };
  level(0);
}

SmallVector<Value> LoopBuilder::leadingDims(Value memref, int64_t keep) {
  SmallVector<Value> ubs;
  for (int64_t i = 0, e = rank(memref) - keep; i < e; ++i)
    ubs.push_back(dim(memref, i));
  return ubs;
}

void LoopBuilder::nestLeading(Value memref, int64_t keep,
                              llvm::function_ref<void(ValueRange)> body) {
  nest(leadingDims(memref, keep), body);
}

void LoopBuilder::parallel(ValueRange ubs,
                           llvm::function_ref<void(ValueRange)> body) {
  bounds.emplace_back(ubs.begin(), ubs.end());
  if (onlyNest && *onlyNest != bounds.size() - 1)
    return;
  if (!onGpu())
    return nest(ubs, body);
  // i = block * blockDim + thread, step gridDim * blockDim, over the product
  // of the bounds; the indices are recovered innermost first.
  Value total = index(1);
  for (Value ub : ubs)
    total = muli(total, ub);
  auto x = gpu::Dimension::x;
  Value blockDim = gpu::BlockDimOp::create(b, loc, x);
  Value first = addi(muli(gpu::BlockIdOp::create(b, loc, x), blockDim),
                     gpu::ThreadIdOp::create(b, loc, x));
  Value step = muli(gpu::GridDimOp::create(b, loc, x), blockDim);
  auto forOp = scf::ForOp::create(b, loc, first, total, step);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  SmallVector<Value> ivs(ubs.size());
  Value rest = forOp.getInductionVar();
  for (size_t i = ubs.size(); i-- > 0;) {
    ivs[i] = i == 0 ? rest : remi(rest, ubs[i]);
    if (i > 0)
      rest = divi(rest, ubs[i]);
  }
  body(ivs);
}

void LoopBuilder::parallelLeading(Value memref, int64_t keep,
                                  llvm::function_ref<void(ValueRange)> body) {
  parallel(leadingDims(memref, keep), body);
}

Value LoopBuilder::add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
Value LoopBuilder::sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
Value LoopBuilder::mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
Value LoopBuilder::div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
Value LoopBuilder::exp(Value x) { return math::ExpOp::create(b, loc, x); }
Value LoopBuilder::when(Value cond, Value otherwise, llvm::function_ref<Value()> then) {
  return choose(
      cond, otherwise.getType(), [&] { return SmallVector<Value>{then()}; },
      [&] { return SmallVector<Value>{otherwise}; })[0];
}

SmallVector<Value> LoopBuilder::choose(Value cond, TypeRange types,
                                       llvm::function_ref<SmallVector<Value>()> then,
                                       llvm::function_ref<SmallVector<Value>()> otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, types, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, then());
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, otherwise());
  return SmallVector<Value>(ifOp.getResults());
}

Value LoopBuilder::choose(Value cond, llvm::function_ref<Value()> then,
                          llvm::function_ref<Value()> otherwise) {
  return choose(
      cond, b.getF32Type(), [&] { return SmallVector<Value>{then()}; },
      [&] { return SmallVector<Value>{otherwise()}; })[0];
}

Value LoopBuilder::exp2(Value x) {
  if (!onGpu())
    return math::Exp2Op::create(b, loc, x);
  // math.exp2 would become ex2.approx without ftz, several instructions.
  return LLVM::CallIntrinsicOp::create(b, loc, x.getType(),
                                       b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"),
                                       ValueRange{x})
      .getResult(0);
}
Value LoopBuilder::fma(Value x, Value y, Value acc) {
  if (onGpu())
    return math::FmaOp::create(b, loc, x, y, acc);
  return add(mul(x, y), acc);
}
Value LoopBuilder::accumulate(Value x, Value acc) {
  if (onGpu())
    return add(acc, x);
  return arith::AddFOp::create(b, loc, acc, x, arith::FastMathFlags::reassoc);
}
Value LoopBuilder::max(Value x, Value y) { return arith::MaximumFOp::create(b, loc, x, y); }
Value LoopBuilder::min(Value x, Value y) { return arith::MinimumFOp::create(b, loc, x, y); }

Value LoopBuilder::softplus(Value x) {
  if (onGpu())
    return softplusOnGpu(x);
  Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, f32(20.0));
  Value soft = math::Log1pOp::create(b, loc, exp(x));
  return arith::SelectOp::create(b, loc, big, x, soft);
}

// softplus(x) = max(x, 0) + log1p(t), t = exp(-|x|) in (0, 1], with
// log1p(t) = 2 atanh(w) = 2 w (1 + w^2/3 + w^4/5 + ...), w = t / (2 + t) in
// (0, 1/3]: seven terms leave a relative error below 2e-8, and t's own
// (ex2.approx, |x| log2(e) rounded) stays near 1e-6 for |x| < 20. Sixteen
// instructions, two of them on the special-function unit, and no branch;
// libdevice's log1pf(expf(x)) took 37. Prefill computes it once per step
// and channel, in both passes of the chunked scan.
Value LoopBuilder::softplusOnGpu(Value x) {
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value t = exp2(mul(negAbs, f32(M_LOG2E)));
  Value w = mul(t, reciprocal(add(t, f32(2.0))));
  Value w2 = mul(w, w);
  Value series = f32(1.0 / 13);
  for (int odd = 11; odd >= 1; odd -= 2)
    series = fma(series, w2, f32(1.0 / odd));
  return fma(add(w, w), series, max(x, f32(0.0)));
}

Value LoopBuilder::silu(Value x) {
  Value negX = arith::NegFOp::create(b, loc, x);
  if (onGpu()) // x / (1 + 2^(-x log2 e)): one ex2 and one rcp.approx
    return mul(x, reciprocal(add(f32(1.0), exp2(mul(negX, f32(M_LOG2E))))));
  return div(x, add(f32(1.0), exp(negX)));
}

Value LoopBuilder::reciprocal(Value x) {
  if (!onGpu())
    return div(f32(1.0), x);
  // Within 1 ulp; arith.divf would be the IEEE division, a dozen instructions.
  return LLVM::CallIntrinsicOp::create(b, loc, x.getType(),
                                       b.getStringAttr("llvm.nvvm.rcp.approx.ftz.f"),
                                       ValueRange{x})
      .getResult(0);
}

Value LoopBuilder::rsqrt(Value x) {
  return div(f32(1.0), math::SqrtOp::create(b, loc, x));
}

Value LoopBuilder::rmsScale(Value sumOfSquares, Value count, float eps) {
  return rsqrt(add(div(sumOfSquares, count), f32(eps)));
}

Value LoopBuilder::toF32(Value index) {
  Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), index);
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), i64);
}

Value LoopBuilder::addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
Value LoopBuilder::subi(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
Value LoopBuilder::muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
Value LoopBuilder::divi(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
Value LoopBuilder::ceilDiv(Value x, Value y) { return divi(addi(x, subi(y, index(1))), y); }
Value LoopBuilder::ceilDiv(Value x, int64_t k) { return divi(addi(x, index(k - 1)), index(k)); }
Value LoopBuilder::maxi(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
Value LoopBuilder::remi(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
Value LoopBuilder::cmpi(arith::CmpIPredicate pred, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, pred, x, y);
}
