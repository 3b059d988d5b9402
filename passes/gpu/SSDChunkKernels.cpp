#include "passes/gpu/SSDChunkKernels.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuKernelFunc.h"
#include "passes/gpu/RowLanes.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

int64_t ssm::ssdLanesPerRow(int64_t n) {
  // Eight lanes keep loads of a 32-byte sector per row and N / 8 states per
  // lane; more lanes only when that would be more than 32 registers.
  int64_t s = 1;
  while (s < 8 && n % (2 * s) == 0)
    s *= 2;
  while (s < 32 && n / s > 32 && n % (2 * s) == 0)
    s *= 2;
  return s;
}

namespace {

// One SSD kernel: the op's operands bound to its first arguments, the
// per-kernel extras after them.
struct SSDKernel {
  SSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
            ArrayRef<Type> extras, int64_t chunk, int64_t unroll)
      : op(op), chunk(chunk), unroll(unroll) {
    SmallVector<Type> types;
    for (Type t : op->getOperandTypes())
      types.push_back(anyViewType(t));
    types.append(extras.begin(), extras.end());
    func = createGpuKernel(b, module, op.getLoc(), name, types, kSSDBlockSize);
    ValueRange args = func.getBody().front().getArguments();
    inputs = args.take_front(op->getNumOperands());
    extra = args.drop_front(op->getNumOperands());
    auto arg = [&](MutableOperandRange operand) { return cpu::argOf(inputs, operand); };
    x = arg(op.getXMutable()), dt = arg(op.getDtMutable()), a = arg(op.getAMutable());
    bm = arg(op.getBMutable()), cm = arg(op.getCMutable()), d = arg(op.getDMutable());
    z = arg(op.getZMutable()), dtBias = arg(op.getDtBiasMutable());
    init = arg(op.getInitialStateMutable());
  }

  void begin(LoopBuilder &lb) {
    batch = lb.dim(x, 0), len = lb.dim(x, 1), heads = lb.dim(x, 2), p = lb.dim(x, 3);
    n = lb.dim(bm, 3);
    chunkSize = lb.index(chunk);
    chunks = lb.divi(lb.addi(len, lb.index(chunk - 1)), chunkSize);
  }

  std::pair<Value, Value> bounds(LoopBuilder &lb, Value c) {
    Value t0 = lb.muli(c, chunkSize);
    Value t1 = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, chunkSize), len);
    return {t0, t1};
  }

  // The recurrence of this lane's row (bi, h, pc) over [t0, t1) from `s0`;
  // writes y[bi, t, h, pc] (with the D skip and z gate) when `y` is given and
  // the row is real. Returns the states, then the sum of dt.
  SmallVector<Value> walk(LoopBuilder &lb, RowLanes &lanes, SmallVector<Value> s0, Value bi,
                          Value h, Value pc, Value real, Value t0, Value t1, Value y) {
    Value g = lb.divi(h, lb.divi(heads, lb.dim(bm, 2)));
    Value ah = lb.load(a, {h});
    Value bias = dtBias ? lb.load(dtBias, {h}) : Value();
    Value dH = y && d ? lb.load(d, {h}) : Value();
    s0.push_back(lb.f32(0.0));
    int64_t k = lanes.k;
    // Loaded per step: dt, x, the lane's B (and C) values.
    auto load = [&](Value t) {
      SmallVector<Value> v{lb.load(dt, {bi, t, h}), lb.load(x, {bi, t, h, pc})};
      llvm::append_range(v, lanes.loadRow([&](Value j) { return lb.load(bm, {bi, t, g, j}); }));
      if (y)
        llvm::append_range(v, lanes.loadRow([&](Value j) { return lb.load(cm, {bi, t, g, j}); }));
      return v;
    };
    auto stepAt = [&](Value t, ArrayRef<Value> in, ValueRange it) {
      Value step = cpu::emitDelta(lb, in[0], bias, op.getDtSoftplus(),
                                  op.getDtMin().convertToFloat(),
                                  op.getDtMax().convertToFloat());
      Value xv = in[1];
      SmallVector<Value> next = lanes.update(it.drop_back(), lb.exp(lb.mul(step, ah)),
                                             lb.mul(step, xv), in.slice(2, k));
      if (y) {
        Value acc = lanes.rowDot(next, in.slice(2 + k, k));
        lanes.onRowLeader(real,
                          [&] { cpu::emitScanOutput(lb, acc, dH, xv, z, y, {bi, t, h, pc}); });
      }
      next.push_back(lb.add(it.back(), step));
      return next;
    };
    return lanes.walkSteps(t0, t1, unroll, s0, load, stepAt);
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SSDOp op;
  int64_t chunk, unroll;
  gpu::GPUFuncOp func;
  ValueRange inputs, extra;
  Value x, dt, a, bm, cm, d, z, dtBias, init;
  Value batch, len, heads, p, n, chunkSize, chunks;
};

} // namespace

LogicalResult ssm::buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                          StringRef name, int64_t chunk, int64_t unroll) {
  int64_t staticN = cast<ShapedType>(op.getB().getType()).getDimSize(3);
  if (ShapedType::isDynamic(staticN))
    return op.emitOpError() << "needs a static state size for its GPU kernels";
  MLIRContext *ctx = b.getContext();
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type();
  Type states = anyViewType(ctx, 5, f32), sums = anyViewType(ctx, 3, f32);
  Location loc = op.getLoc();

  { // Each chunk's own state from zero, and its sum of dt (head-wide).
    SSDKernel k(b, module, op, (name + "_states").str(), {states, sums}, chunk, unroll);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, staticN, ssdLanesPerRow(staticN));
    lanes.tasks({k.batch, k.chunks, k.heads, lanes.groups(k.p)}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2];
      auto [pc, real] = lanes.rowIn(iv[3], k.p);
      auto [t0, t1] = k.bounds(lb, c);
      SmallVector<Value> zeros(lanes.k, lb.f32(0.0));
      SmallVector<Value> last = k.walk(lb, lanes, zeros, bi, h, pc, real, t0, t1, Value());
      lanes.storeRow(real, ValueRange(last).drop_back(), k.extra[0], {bi, c, h, pc});
      // Every row of a head has the same sum; lane 0 of row group 0 writes it.
      Value first = arith::AndIOp::create(
          b, loc, lanes.cmp(arith::CmpIPredicate::eq, iv[3], lb.index(0)),
          lanes.cmp(arith::CmpIPredicate::eq, lanes.lane, lb.index(0)));
      lanes.when(first, [&] { lb.store(last.back(), k.extra[1], {bi, c, h}); });
    });
    k.finish(b);
  }
  { // The state entering each chunk, per state element:
    // carry = exp(A * sum) * carry + own.
    SmallVector<Type> extras{states, sums};
    if (op.getFinalState())
      extras.push_back(anyViewType(ctx, 4, f32));
    SSDKernel k(b, module, op, (name + "_carry").str(), extras, chunk, unroll);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    lb.parallel({k.batch, k.heads, k.p, k.n}, [&](ValueRange iv) {
      Value bi = iv[0], h = iv[1], pi = iv[2], j = iv[3];
      Value start = k.init ? lb.load(k.init, {bi, h, pi, j}) : lb.f32(0.0);
      Value ah = lb.load(k.a, {h});
      SmallVector<Value> last =
          lb.loop(lb.index(0), k.chunks, {start}, [&](Value c, ValueRange carry) {
            Value decay = lb.exp(lb.mul(ah, lb.load(k.extra[1], {bi, c, h})));
            Value own = lb.load(k.extra[0], {bi, c, h, pi, j});
            lb.store(carry[0], k.extra[0], {bi, c, h, pi, j});
            return SmallVector<Value>{lb.fma(decay, carry[0], own)};
          });
      if (op.getFinalState())
        lb.store(last[0], k.extra[2], {bi, h, pi, j});
    });
    k.finish(b);
  }
  { // Outputs: every chunk recomputed from the state entering it.
    Type y = anyViewType(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType());
    SSDKernel k(b, module, op, (name + "_outputs").str(), {states, y}, chunk, unroll);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, staticN, ssdLanesPerRow(staticN));
    lanes.tasks({k.batch, k.chunks, k.heads, lanes.groups(k.p)}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2];
      auto [pc, real] = lanes.rowIn(iv[3], k.p);
      SmallVector<Value> entering =
          lanes.loadRow([&](Value j) { return lb.load(k.extra[0], {bi, c, h, pc, j}); });
      auto [t0, t1] = k.bounds(lb, c);
      k.walk(lb, lanes, entering, bi, h, pc, real, t0, t1, k.extra[1]);
    });
    k.finish(b);
  }
  return success();
}
