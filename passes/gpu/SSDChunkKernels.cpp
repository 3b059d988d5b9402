#include "passes/gpu/SSDChunkKernels.h"

#include "passes/gpu/RowLanes.h"
#include "passes/gpu/SSDKernel.h"
#include "passes/gpu/SSDMmaKernels.h"
#include "passes/gpu/SSDSequentialKernel.h"

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

// The recurrence of this lane's row (bi, h, pc) over [t0, t1) from `s0`,
// `unroll` steps per iteration; writes y[bi, t, h, pc] (with the D skip and
// z gate) when `y` is given and the row is real. Returns the states, then
// the sum of dt.
SmallVector<Value> walkRow(SSDKernel &k, LoopBuilder &lb, RowLanes &lanes, int64_t unroll,
                           SmallVector<Value> s0, Value bi, Value h, Value pc, Value real,
                           Value t0, Value t1, Value y) {
  SSDOp op = k.op;
  Value g = k.group(lb, h);
  Value ah = lb.load(k.a, {h});
  Value bias = k.dtBias ? lb.load(k.dtBias, {h}) : Value();
  Value dH = y && k.d ? lb.load(k.d, {h}) : Value();
  s0.push_back(lb.f32(0.0));
  int64_t n = lanes.k;
  // Loaded per step: dt, x, the lane's B (and C) values.
  auto load = [&](Value t) {
    SmallVector<Value> v{lb.load(k.dt, {bi, t, h}), lb.load(k.x, {bi, t, h, pc})};
    llvm::append_range(v, lanes.loadRow([&](Value j) { return lb.load(k.bm, {bi, t, g, j}); }));
    if (y)
      llvm::append_range(v,
                         lanes.loadRow([&](Value j) { return lb.load(k.cm, {bi, t, g, j}); }));
    return v;
  };
  auto stepAt = [&](Value t, ArrayRef<Value> in, ValueRange it) {
    Value step = cpu::emitDelta(lb, in[0], bias, op.getDtSoftplus(),
                                op.getDtMin().convertToFloat(), op.getDtMax().convertToFloat());
    Value xv = in[1];
    SmallVector<Value> next = lanes.update(it.drop_back(), lb.exp(lb.mul(step, ah)),
                                           lb.mul(step, xv), in.slice(2, n));
    if (y) {
      Value acc = lanes.rowDot(next, in.slice(2 + n, n));
      lanes.onRowLeader(real,
                        [&] { cpu::emitScanOutput(lb, acc, dH, xv, k.z, y, {bi, t, h, pc}); });
    }
    next.push_back(lb.add(it.back(), step));
    return next;
  };
  return lb.loopLoadingAhead(t0, t1, unroll, s0, load, stepAt);
}

} // namespace

bool ssm::ssdUsesMma(SSDOp op, const SSDTiling &tiling) {
  return tiling.math != SSDMath::Scalar && ssdMmaApplies(op, tiling.chunk);
}

bool ssm::ssdUsesSequential(SSDOp op, const SSDTiling &tiling) {
  return ssdUsesMma(op, tiling) && tiling.sequentialFrom > 0 &&
         ssdSequentialApplies(op, tiling.chunk);
}

LogicalResult ssm::buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                          StringRef name, const SSDTiling &tiling) {
  const int64_t chunk = tiling.chunk, unroll = tiling.unroll;
  int64_t staticN = cast<ShapedType>(op.getB().getType()).getDimSize(3);
  if (ShapedType::isDynamic(staticN))
    return op.emitOpError() << "needs a static state size for its GPU kernels";
  MLIRContext *ctx = b.getContext();
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type();
  Type states = anyViewType(ctx, 5, f32), sums = anyViewType(ctx, 3, f32);
  Location loc = op.getLoc();

  bool mma = ssdUsesMma(op, tiling);
  bool split = tiling.math == SSDMath::TF32x3;
  int64_t sequentialFrom = ssdUsesSequential(op, tiling) ? tiling.sequentialFrom : 0;
  if (mma && failed(buildMmaSSDKernels(b, module, op, name, chunk, split, sequentialFrom)))
    return failure();
  if (sequentialFrom > 0 && failed(buildSequentialSSDKernel(b, module, op,
                                                            (name + "_sequential").str(),
                                                            chunk, split, sequentialFrom)))
    return failure();
  if (!mma) { // Each chunk's own state from zero, and its sum of dt (head-wide).
    SSDKernel k(b, module, op, (name + "_states").str(), {states, sums}, chunk, kSSDBlockSize);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, staticN, ssdLanesPerRow(staticN));
    lanes.tasks({k.batch, k.chunks, k.heads, lanes.groups(k.p)}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2];
      auto [pc, real] = lanes.rowIn(iv[3], k.p);
      auto [t0, t1] = k.bounds(lb, c);
      SmallVector<Value> zeros(lanes.k, lb.f32(0.0));
      SmallVector<Value> last =
          walkRow(k, lb, lanes, unroll, zeros, bi, h, pc, real, t0, t1, Value());
      lanes.storeRow(real, ValueRange(last).drop_back(), k.extra[0], {bi, c, h, pc});
      // Every row of a head has the same sum; lane 0 of row group 0 writes it.
      Value first = arith::AndIOp::create(
          b, loc, lb.cmpi(arith::CmpIPredicate::eq, iv[3], lb.index(0)),
          lb.cmpi(arith::CmpIPredicate::eq, lanes.lane, lb.index(0)));
      lb.when(first, [&] { lb.store(last.back(), k.extra[1], {bi, c, h}); });
    });
    k.finish(b);
  }
  { // The state entering each chunk, per state element:
    // carry = exp(A * sum) * carry + own.
    SmallVector<Type> extras{states, sums};
    if (op.getFinalState())
      extras.push_back(anyViewType(ctx, 4, f32));
    SSDKernel k(b, module, op, (name + "_carry").str(), extras, chunk, kSSDBlockSize);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    // Consecutive threads take consecutive elements of S in either layout.
    bool byN = ssdStatesByN(op, tiling);
    // No work where the sequential kernel takes the launch.
    Value batches = k.batch;
    if (sequentialFrom > 0)
      batches = arith::SelectOp::create(
          b, loc, ssdSequentialChosen(b, loc, k.batch, k.heads, sequentialFrom), lb.index(0),
          k.batch);
    lb.parallel({batches, k.heads, byN ? k.n : k.p, byN ? k.p : k.n}, [&](ValueRange iv) {
      Value bi = iv[0], h = iv[1], pi = byN ? iv[3] : iv[2], j = byN ? iv[2] : iv[3];
      auto element = [&](Value c) {
        return byN ? SmallVector<Value>{bi, c, h, j, pi} : SmallVector<Value>{bi, c, h, pi, j};
      };
      Value start = k.init ? lb.load(k.init, {bi, h, pi, j}) : lb.f32(0.0);
      Value ah = lb.load(k.a, {h});
      // Four chunks' loads in flight at a time: the walk is latency-bound.
      auto load = [&](Value c) {
        return SmallVector<Value>{lb.load(k.extra[1], {bi, c, h}),
                                  lb.load(k.extra[0], element(c))};
      };
      SmallVector<Value> last = lb.loopLoadingAhead(
          lb.index(0), k.chunks, 4, {start}, load,
          [&](Value c, ArrayRef<Value> in, ValueRange carry) {
            lb.store(carry[0], k.extra[0], element(c));
            return SmallVector<Value>{lb.fma(lb.exp(lb.mul(ah, in[0])), carry[0], in[1])};
          });
      if (op.getFinalState())
        lb.store(last[0], k.extra[2], {bi, h, pi, j});
    });
    k.finish(b);
  }
  if (!mma) { // Outputs: every chunk recomputed from the state entering it.
    Type y = anyViewType(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType());
    SSDKernel k(b, module, op, (name + "_outputs").str(), {states, y}, chunk, kSSDBlockSize);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, staticN, ssdLanesPerRow(staticN));
    lanes.tasks({k.batch, k.chunks, k.heads, lanes.groups(k.p)}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2];
      auto [pc, real] = lanes.rowIn(iv[3], k.p);
      SmallVector<Value> entering =
          lanes.loadRow([&](Value j) { return lb.load(k.extra[0], {bi, c, h, pc, j}); });
      auto [t0, t1] = k.bounds(lb, c);
      walkRow(k, lb, lanes, unroll, entering, bi, h, pc, real, t0, t1, k.extra[1]);
    });
    k.finish(b);
  }
  return success();
}
