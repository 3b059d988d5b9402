#include "passes/gpu/SSDChunkKernels.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuKernelFunc.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

// The op's operands and the per-kernel extras, bound to a kernel's arguments.
struct SSDKernel {
  SSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
            ArrayRef<Type> extras, int64_t chunk)
      : op(op), chunk(chunk) {
    SmallVector<Type> types;
    for (Type t : op->getOperandTypes())
      types.push_back(anyViewType(t));
    types.append(extras.begin(), extras.end());
    func = createGpuKernel(b, module, op.getLoc(), name, types, kSSDBlockSize);
    Block &entry = func.getBody().front();
    ValueRange args = entry.getArguments();
    inputs = args.take_front(op->getNumOperands());
    extra = args.drop_front(op->getNumOperands());
    x = cpu::argOf(inputs, op.getXMutable());
    a = cpu::argOf(inputs, op.getAMutable());
    bm = cpu::argOf(inputs, op.getBMutable());
    init = cpu::argOf(inputs, op.getInitialStateMutable());
  }

  void begin(LoopBuilder &lb) {
    batch = lb.dim(x, 0), len = lb.dim(x, 1), heads = lb.dim(x, 2), p = lb.dim(x, 3);
    n = lb.dim(bm, 3);
    chunkSize = lb.index(chunk);
    chunks = lb.divi(lb.addi(len, lb.index(chunk - 1)), chunkSize);
  }

  // A per-thread N-array of the op's static state size.
  Value stateArray(LoopBuilder &lb) {
    return cpu::allocStateArray(lb, op, n,
                                cast<ShapedType>(op.getB().getType()).getDimSize(3));
  }

  // The recurrence over [t0, t1) on `s`; writes y when given. Returns the
  // sum of dt over the range.
  Value walk(LoopBuilder &lb, Value s, Value bi, Value h, Value pi, Value t0, Value t1,
             Value y) {
    return cpu::emitSSDSteps(lb, op, inputs, s, bi, h, pi, t0, t1, y, /*sumDt=*/true);
  }

  std::pair<Value, Value> bounds(LoopBuilder &lb, Value k) {
    Value t0 = lb.muli(k, chunkSize);
    Value t1 = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, chunkSize), len);
    return {t0, t1};
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SSDOp op;
  int64_t chunk;
  gpu::GPUFuncOp func;
  ValueRange inputs, extra;
  Value x, a, bm, init;
  Value batch, len, heads, p, n, chunkSize, chunks;
};

} // namespace

LogicalResult ssm::buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                          StringRef name, int64_t chunk) {
  if (ShapedType::isDynamic(cast<ShapedType>(op.getB().getType()).getDimSize(3)))
    return op.emitOpError() << "needs a static state size for its GPU kernels";
  MLIRContext *ctx = b.getContext();
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type();
  Type states = anyViewType(ctx, 5, f32), sums = anyViewType(ctx, 3, f32);
  Location loc = op.getLoc();

  { // Each chunk's own state from zero, and its sum of dt (head-wide).
    SSDKernel k(b, module, op, (name + "_states").str(), {states, sums}, chunk);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    Value s = k.stateArray(lb);
    lb.parallel({k.batch, k.chunks, k.heads, k.p}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2], pi = iv[3];
      lb.loop(lb.index(0), k.n, [&](Value j) { lb.storeRaw(lb.f32(0.0), s, {j}); });
      auto [t0, t1] = k.bounds(lb, c);
      Value dtSum = k.walk(lb, s, bi, h, pi, t0, t1, Value());
      lb.loop(lb.index(0), k.n, [&](Value j) {
        lb.store(lb.loadRaw(s, {j}), k.extra[0], {bi, c, h, pi, j});
      });
      // Every p of a head has the same sum; one of them writes it.
      Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pi, lb.index(0));
      auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      lb.store(dtSum, k.extra[1], {bi, c, h});
    });
    k.finish(b);
  }
  { // The state entering each chunk: carry = exp(A * sum) * carry + own.
    SmallVector<Type> extras{states, sums};
    if (op.getFinalState())
      extras.push_back(anyViewType(ctx, 4, f32));
    SSDKernel k(b, module, op, (name + "_carry").str(), extras, chunk);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    Value s = k.stateArray(lb);
    lb.parallel({k.batch, k.heads, k.p}, [&](ValueRange iv) {
      Value bi = iv[0], h = iv[1], pi = iv[2];
      lb.loop(lb.index(0), k.n, [&](Value j) {
        lb.storeRaw(k.init ? lb.load(k.init, {bi, h, pi, j}) : lb.f32(0.0), s, {j});
      });
      Value ah = lb.load(k.a, {h});
      lb.loop(lb.index(0), k.chunks, [&](Value c) {
        Value decay = lb.exp(lb.mul(ah, lb.load(k.extra[1], {bi, c, h})));
        lb.loop(lb.index(0), k.n, [&](Value j) {
          Value own = lb.load(k.extra[0], {bi, c, h, pi, j});
          Value carry = lb.loadRaw(s, {j});
          lb.store(carry, k.extra[0], {bi, c, h, pi, j});
          lb.storeRaw(lb.fma(decay, carry, own), s, {j});
        });
      });
      if (op.getFinalState())
        lb.loop(lb.index(0), k.n, [&](Value j) {
          lb.store(lb.loadRaw(s, {j}), k.extra[2], {bi, h, pi, j});
        });
    });
    k.finish(b);
  }
  { // Outputs: every chunk recomputed from the state entering it.
    Type y = anyViewType(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType());
    SSDKernel k(b, module, op, (name + "_outputs").str(), {states, y}, chunk);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    Value s = k.stateArray(lb);
    lb.parallel({k.batch, k.chunks, k.heads, k.p}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2], pi = iv[3];
      lb.loop(lb.index(0), k.n, [&](Value j) {
        lb.storeRaw(lb.load(k.extra[0], {bi, c, h, pi, j}), s, {j});
      });
      auto [t0, t1] = k.bounds(lb, c);
      k.walk(lb, s, bi, h, pi, t0, t1, k.extra[1]);
    });
    k.finish(b);
  }
  return success();
}
