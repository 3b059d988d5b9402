#include "passes/gpu/NormKernel.h"

#include "dialects/SSM/SSMOps.h"
#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/BlockRow.h"
#include "passes/gpu/GpuKernelFunc.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

// This thread's sum of body(j) over its elements of [lo, hi).
Value strideSum(LoopBuilder &lb, BlockRow &block, Value lo, Value hi,
                llvm::function_ref<Value(Value)> body) {
  return block.stride(lo, hi, ValueRange{lb.f32(0.0)}, [&](Value j, ValueRange acc) {
    return SmallVector<Value>{lb.add(acc[0], body(j))};
  })[0];
}

// The sum of `v` over the block, in every thread.
Value blockSum(LoopBuilder &lb, BlockRow &block, Value scratch, Value v) {
  return block.reduce(ValueRange{v}, ValueRange{scratch}, [&](ValueRange x, ValueRange y) {
    return SmallVector<Value>{lb.add(x[0], y[0])};
  })[0];
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
  Value scratch = BlockRow::sharedBuffer(func, b.getF32Type(), {kNormBlockSize});
  Block &entry = func.getBody().front();

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  BlockRow block(lb, kNormBlockSize);
  ValueRange args = entry.getArguments();
  ValueRange inputs = args.take_front(op->getNumOperands());
  ValueRange outputs = args.drop_front(op->getNumOperands());
  Value x = inputs[0];
  SmallVector<Value> pos = block.position(x);
  Value d = lb.dim(x, -1);

  if (plain) {
    Value w = cpu::argOf(inputs, plain.getWeightMutable());
    Value residual = cpu::argOf(inputs, plain.getResidualMutable());
    Value out = cpu::resultOf(outputs, plain.getResult());
    Value sumOut = cpu::resultOf(outputs, plain.getSum());
    float eps = plain.getEps().convertToFloat();
    // With a residual, each thread stores x + r where the second pass (the
    // same thread, the same elements) reads it back.
    Value sumSq = strideSum(lb, block, lb.index(0), d, [&](Value j) {
      Value v = cpu::emitNormInput(lb, x, residual, sumOut, cpu::withLast(pos, j));
      return lb.mul(v, v);
    });
    Value scale = lb.rmsScale(blockSum(lb, block, scratch, sumSq), lb.toF32(d), eps);
    block.stride(lb.index(0), d, [&](Value j) {
      Value v = lb.load(residual ? sumOut : x, cpu::withLast(pos, j));
      lb.store(lb.mul(lb.mul(v, scale), lb.load(w, {j})), out, cpu::withLast(pos, j));
    });
  } else {
    Value z = inputs[1], w = inputs[2], out = outputs[0];
    float eps = gated.getEps().convertToFloat();
    bool normFirst = gated.getNormBeforeGate();
    Value gs = lb.index(gated.getGroupSize());
    // The normalized quantity: x * silu(z) when the gate comes first, else x.
    auto normed = [&](Value j) {
      Value v = lb.load(x, cpu::withLast(pos, j));
      return normFirst ? v : lb.mul(v, lb.silu(lb.load(z, cpu::withLast(pos, j))));
    };
    // Every thread walks every group, so the barriers inside stay uniform.
    lb.loop(lb.index(0), lb.divi(d, gs), [&](Value g) {
      Value start = lb.muli(g, gs);
      Value end = lb.addi(start, gs);
      Value sum = strideSum(lb, block, start, end, [&](Value j) {
        Value v = normed(j);
        return lb.mul(v, v);
      });
      Value scale = lb.rmsScale(blockSum(lb, block, scratch, sum), lb.toF32(gs), eps);
      block.stride(start, end, [&](Value j) {
        Value r = lb.mul(lb.mul(normed(j), scale), lb.load(w, {j}));
        if (normFirst)
          r = lb.mul(r, lb.silu(lb.load(z, cpu::withLast(pos, j))));
        lb.store(r, out, cpu::withLast(pos, j));
      });
    });
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}
