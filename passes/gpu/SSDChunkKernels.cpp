#include "passes/gpu/SSDChunkKernels.h"

#include "passes/cpu/Emitters.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

MemRefType anyView(MLIRContext *ctx, int64_t rank, Type element) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(dynamic, element,
                         StridedLayoutAttr::get(ctx, ShapedType::kDynamic, dynamic));
}

// The op's operands and the per-kernel extras, bound to a kernel's arguments.
struct SSDKernel {
  SSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
            ArrayRef<Type> extras, int64_t chunk)
      : op(op), chunk(chunk) {
    MLIRContext *ctx = b.getContext();
    SmallVector<Type> types;
    for (Type t : op->getOperandTypes()) {
      auto shaped = cast<ShapedType>(t);
      types.push_back(anyView(ctx, shaped.getRank(), shaped.getElementType()));
    }
    types.append(extras.begin(), extras.end());
    b.setInsertionPointToEnd(module.getBody());
    func = gpu::GPUFuncOp::create(b, op.getLoc(), name, b.getFunctionType(types, {}));
    func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
    func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(kSSDBlockSize), 1, 1}));
    Block &entry = func.getBody().front();
    b.setInsertionPointToStart(&entry);
    ValueRange args = entry.getArguments();
    ValueRange inputs = args.take_front(op->getNumOperands());
    extra = args.drop_front(op->getNumOperands());
    x = cpu::argOf(inputs, op.getXMutable());
    dt = cpu::argOf(inputs, op.getDtMutable());
    a = cpu::argOf(inputs, op.getAMutable());
    bm = cpu::argOf(inputs, op.getBMutable());
    cm = cpu::argOf(inputs, op.getCMutable());
    d = cpu::argOf(inputs, op.getDMutable());
    z = cpu::argOf(inputs, op.getZMutable());
    dtBias = cpu::argOf(inputs, op.getDtBiasMutable());
    init = cpu::argOf(inputs, op.getInitialStateMutable());
  }

  void begin(LoopBuilder &lb) {
    batch = lb.dim(x, 0), len = lb.dim(x, 1), heads = lb.dim(x, 2), p = lb.dim(x, 3);
    n = lb.dim(bm, 3);
    perGroup = lb.divi(heads, lb.dim(bm, 2));
    chunkSize = lb.index(chunk);
    chunks = lb.divi(lb.addi(len, lb.index(chunk - 1)), chunkSize);
  }

  // A per-thread N-array of the op's static state size.
  Value stateArray(LoopBuilder &lb) {
    OpBuilder &b = lb.builder();
    int64_t staticN = cast<ShapedType>(op.getB().getType()).getDimSize(3);
    Value buffer = memref::AllocaOp::create(
        b, lb.location(), MemRefType::get({staticN}, b.getF32Type()));
    return memref::CastOp::create(
        b, lb.location(), MemRefType::get({ShapedType::kDynamic}, b.getF32Type()), buffer);
  }

  Value delta(LoopBuilder &lb, Value bi, Value t, Value h) {
    Value bias = dtBias ? lb.load(dtBias, {h}) : Value();
    return cpu::emitDelta(lb, lb.load(dt, {bi, t, h}), bias, op.getDtSoftplus(),
                          op.getDtMin().convertToFloat(), op.getDtMax().convertToFloat());
  }

  // The recurrence over [t0, t1) on the state array `s`; writes y when given.
  // Returns the sum of dt over the range.
  Value walk(LoopBuilder &lb, Value s, Value bi, Value h, Value pi, Value t0, Value t1,
             Value y) {
    Value g = lb.divi(h, perGroup);
    Value ah = lb.load(a, {h});
    Value dH = y && d ? lb.load(d, {h}) : Value();
    return lb.reduce(t0, t1, lb.f32(0.0), [&](Value t, Value dtSum) {
      Value step = delta(lb, bi, t, h);
      Value decay = lb.exp(lb.mul(step, ah));
      Value xv = lb.load(x, {bi, t, h, pi});
      Value dx = lb.mul(step, xv);
      Value acc = lb.reduce(lb.index(0), n, lb.f32(0.0), [&](Value k, Value acc) {
        Value next = lb.fma(dx, lb.load(bm, {bi, t, g, k}), lb.mul(decay, lb.loadRaw(s, {k})));
        lb.storeRaw(next, s, {k});
        return y ? lb.fma(lb.load(cm, {bi, t, g, k}), next, acc) : acc;
      });
      if (y) {
        if (dH)
          acc = lb.fma(dH, xv, acc);
        if (z)
          acc = lb.mul(acc, lb.silu(lb.load(z, {bi, t, h, pi})));
        lb.store(acc, y, {bi, t, h, pi});
      }
      return lb.add(dtSum, step);
    });
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
  ValueRange extra;
  Value x, dt, a, bm, cm, d, z, dtBias, init;
  Value batch, len, heads, p, n, perGroup, chunkSize, chunks;
};

} // namespace

LogicalResult ssm::buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                          StringRef name, int64_t chunk) {
  if (ShapedType::isDynamic(cast<ShapedType>(op.getB().getType()).getDimSize(3)))
    return op.emitOpError() << "needs a static state size for its GPU kernels";
  MLIRContext *ctx = b.getContext();
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type();
  Type states = anyView(ctx, 5, f32), sums = anyView(ctx, 3, f32);
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
      extras.push_back(anyView(ctx, 4, f32));
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
    Type y = anyView(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType());
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
