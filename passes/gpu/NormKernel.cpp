#include "passes/gpu/NormKernel.h"

#include "dialects/SSM/SSMOps.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/GpuKernelFunc.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

// One row's work for the block's threads.
class RowBlock {
public:
  RowBlock(LoopBuilder &lb, Value scratch) : lb(lb), b(lb.builder()), scratch(scratch) {
    Location loc = lb.location();
    tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    row = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  }

  // The row's indices over the leading dimensions of `x`.
  SmallVector<Value> position(Value x) {
    SmallVector<Value> pos(lb.rank(x) - 1);
    Value rest = row;
    for (size_t i = pos.size(); i-- > 0;) {
      Value size = lb.dim(x, static_cast<int64_t>(i));
      pos[i] = i == 0 ? rest : lb.remi(rest, size);
      if (i > 0)
        rest = lb.divi(rest, size);
    }
    return pos;
  }

  // for j in [lo + tid, hi) step block: body(j)
  void stride(Value lo, Value hi, llvm::function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, lb.location(), lb.addi(lo, tid), hi,
                                   lb.index(kNormBlockSize));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  // The same, summing body(j) over this thread's elements.
  Value strideSum(Value lo, Value hi, llvm::function_ref<Value(Value)> body) {
    auto loop = scf::ForOp::create(b, lb.location(), lb.addi(lo, tid), hi,
                                   lb.index(kNormBlockSize), ValueRange{lb.f32(0.0)});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value acc = lb.add(loop.getRegionIterArgs()[0], body(loop.getInductionVar()));
    scf::YieldOp::create(b, lb.location(), acc);
    return loop.getResult(0);
  }

  // The sum of `v` over the block's threads, in every thread: a halving tree
  // in shared memory (log2(block) steps).
  Value blockSum(Value v) {
    Location loc = lb.location();
    memref::StoreOp::create(b, loc, v, scratch, ValueRange{tid});
    gpu::BarrierOp::create(b, loc);
    for (int64_t half = kNormBlockSize / 2; half > 0; half /= 2) {
      lb.when(lb.cmpi(arith::CmpIPredicate::ult, tid, lb.index(half)), [&] {
        Value mine = memref::LoadOp::create(b, loc, scratch, ValueRange{tid});
        Value other = memref::LoadOp::create(b, loc, scratch,
                                             ValueRange{lb.addi(tid, lb.index(half))});
        memref::StoreOp::create(b, loc, lb.add(mine, other), scratch, ValueRange{tid});
      });
      gpu::BarrierOp::create(b, loc);
    }
    Value total = memref::LoadOp::create(b, loc, scratch, ValueRange{lb.index(0)});
    // Nobody may overwrite slot 0 before every thread has read it.
    gpu::BarrierOp::create(b, loc);
    return total;
  }

private:
  LoopBuilder &lb;
  OpBuilder &b;
  Value scratch, tid, row;
};

SmallVector<Value> withLast(ValueRange pos, Value last) {
  SmallVector<Value> idx(pos);
  idx.push_back(last);
  return idx;
}

// rsqrt(sum / count + eps)
Value scaleOf(LoopBuilder &lb, Value sum, Value count, float eps) {
  return lb.rsqrt(lb.add(lb.div(sum, count), lb.f32(eps)));
}

Value asF32(LoopBuilder &lb, Value index) {
  OpBuilder &b = lb.builder();
  Value i64 = arith::IndexCastUIOp::create(b, lb.location(), b.getI64Type(), index);
  return arith::UIToFPOp::create(b, lb.location(), b.getF32Type(), i64);
}

} // namespace

FailureOr<gpu::GPUFuncOp> ssm::buildRowNormKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                                  Operation *op, StringRef name) {
  auto plain = dyn_cast<RMSNormOp>(op);
  auto gated = dyn_cast<GatedRMSNormOp>(op);
  if (!plain && !gated)
    return op->emitOpError() << "has no row-norm GPU kernel";
  SmallVector<Type> types;
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    types.push_back(anyViewType(t));

  OpBuilder::InsertionGuard guard(b);
  Location loc = op->getLoc();
  auto func = createGpuKernel(b, module, loc, name, types, kNormBlockSize);
  auto shared = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value scratch = func.addWorkgroupAttribution(
      MemRefType::get({kNormBlockSize}, b.getF32Type(), MemRefLayoutAttrInterface(), shared),
      loc);
  Block &entry = func.getBody().front();

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  RowBlock block(lb, scratch);
  Value x = entry.getArgument(0);
  Value z = gated ? entry.getArgument(1) : Value();
  Value w = entry.getArgument(gated ? 2 : 1);
  Value out = entry.getArgument(gated ? 3 : 2);
  SmallVector<Value> pos = block.position(x);
  Value d = lb.dim(x, -1);

  if (plain) {
    float eps = plain.getEps().convertToFloat();
    Value sum = block.strideSum(lb.index(0), d, [&](Value j) {
      Value v = lb.load(x, withLast(pos, j));
      return lb.mul(v, v);
    });
    Value scale = scaleOf(lb, block.blockSum(sum), asF32(lb, d), eps);
    block.stride(lb.index(0), d, [&](Value j) {
      Value v = lb.load(x, withLast(pos, j));
      lb.store(lb.mul(lb.mul(v, scale), lb.load(w, {j})), out, withLast(pos, j));
    });
  } else {
    float eps = gated.getEps().convertToFloat();
    bool normFirst = gated.getNormBeforeGate();
    Value gs = lb.index(gated.getGroupSize());
    // The normalized quantity: x * silu(z) when the gate comes first, else x.
    auto normed = [&](Value j) {
      Value v = lb.load(x, withLast(pos, j));
      return normFirst ? v : lb.mul(v, lb.silu(lb.load(z, withLast(pos, j))));
    };
    // Every thread walks every group, so the barriers inside stay uniform.
    lb.loop(lb.index(0), lb.divi(d, gs), [&](Value g) {
      Value start = lb.muli(g, gs);
      Value end = lb.addi(start, gs);
      Value sum = block.strideSum(start, end, [&](Value j) {
        Value v = normed(j);
        return lb.mul(v, v);
      });
      Value scale = scaleOf(lb, block.blockSum(sum), asF32(lb, gs), eps);
      block.stride(start, end, [&](Value j) {
        Value r = lb.mul(lb.mul(normed(j), scale), lb.load(w, {j}));
        if (normFirst)
          r = lb.mul(r, lb.silu(lb.load(z, withLast(pos, j))));
        lb.store(r, out, withLast(pos, j));
      });
    });
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}
