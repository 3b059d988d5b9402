#include "passes/gpu/ScanKernel.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuKernelFunc.h"
#include "passes/gpu/RowLanes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

int64_t ssm::scanLanesPerRow(int64_t n) {
  int64_t s = 1;
  while (s < 32 && n % (2 * s) == 0 && n / (2 * s) >= 4)
    s *= 2;
  return s;
}

int64_t ssm::scanShortestChunk(int64_t chunk) { return std::max<int64_t>(1, chunk / 4); }

namespace {

// memref<?x...x?[xN]xf32, strided<[?, ..., ?, 1], offset: ?>>: dynamic sizes
// except an optional static innermost N, unit innermost stride.
MemRefType argType(MLIRContext *ctx, int64_t rank, int64_t innerSize = ShapedType::kDynamic,
                   Type element = {}) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  shape.back() = innerSize;
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
  return MemRefType::get(shape, element ? element : Float32Type::get(ctx), layout);
}

// Argument types of the op's operands present, in order.
SmallVector<Type> operandTypes(SelectiveScanOp op, int64_t n) {
  SmallVector<Type> types;
  for (Value v : op->getOperands()) {
    auto type = cast<RankedTensorType>(v.getType());
    bool stateSized = v == op.getA() || v == op.getB() || v == op.getC() ||
                      v == op.getInitialState();
    types.push_back(argType(op.getContext(), type.getRank(),
                            stateSized ? n : ShapedType::kDynamic, type.getElementType()));
  }
  return types;
}

// A[ch, n] * log2(e) for the lane's registers: every decay exp(dt * A) is
// then one exp2 (ex2 on the GPU).
SmallVector<Value> scaledA(LoopBuilder &lb, RowLanes &lanes, Value a, Value ch) {
  return lanes.loadRow([&](Value k) { return lb.mul(lb.load(a, {ch, k}), lb.f32(M_LOG2E)); });
}

Value ceilDiv(LoopBuilder &lb, Value x, Value y) {
  return lb.divi(lb.addi(x, lb.subi(y, lb.index(1))), y);
}

SmallVector<Value> decays(LoopBuilder &lb, Value dt, ArrayRef<Value> aRow) {
  SmallVector<Value> out;
  for (Value ak : aRow)
    out.push_back(lb.exp2(lb.mul(dt, ak)));
  return out;
}

// One scan kernel: the op's operands bound to its first arguments, the
// kernel's own (`extras`) after them.
struct ScanKernel {
  ScanKernel(OpBuilder &b, gpu::GPUModuleOp module, SelectiveScanOp op, StringRef name,
             ArrayRef<Type> extras, int64_t n, const ScanTiling &tiling)
      : op(op), n(n), chunk(tiling.chunk), unroll(tiling.unroll), lanes(tiling.lanes) {
    SmallVector<Type> types = operandTypes(op, n);
    types.append(extras.begin(), extras.end());
    func = createGpuKernel(b, module, op.getLoc(), name, types, kScanBlockSize);
    ValueRange args = func.getBody().front().getArguments();
    ValueRange inputs = args.take_front(op->getNumOperands());
    extra = args.drop_front(op->getNumOperands());
    auto arg = [&](MutableOperandRange operand) { return cpu::argOf(inputs, operand); };
    u = arg(op.getUMutable()), delta = arg(op.getDeltaMutable()), a = arg(op.getAMutable());
    bm = arg(op.getBMutable()), cm = arg(op.getCMutable()), d = arg(op.getDMutable());
    z = arg(op.getZMutable()), bias = arg(op.getDeltaBiasMutable());
    init = arg(op.getInitialStateMutable());
  }

  void begin(LoopBuilder &lb) {
    batch = lb.dim(u, 0), len = lb.dim(u, 1), e = lb.dim(u, 2);
    perGroup = lb.divi(e, lb.dim(bm, 2));
    if (chunk > 0) {
      // Halved while b * e * K stays below kScanMinTasks (few rows), every
      // kernel of the scan computing the same length from the same sizes.
      Value rows = lb.muli(batch, e);
      chunkSize = lb.index(chunk);
      for (int64_t c = chunk; c > scanShortestChunk(chunk); c /= 2) {
        Value tasks = lb.muli(rows, ceilDiv(lb, len, chunkSize));
        Value few = lb.cmpi(arith::CmpIPredicate::ult, tasks, lb.index(kScanMinTasks));
        chunkSize = arith::SelectOp::create(lb.builder(), lb.location(), few, lb.index(c / 2),
                                            chunkSize);
      }
      chunks = ceilDiv(lb, len, chunkSize);
    }
  }

  // [chunk * c, min(chunk * (c + 1), L)).
  std::pair<Value, Value> bounds(LoopBuilder &lb, Value c) {
    Value t0 = lb.muli(c, chunkSize);
    Value t1 = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, chunkSize), len);
    return {t0, t1};
  }

  // `body(bi, c, ch, real)` for every row of every chunk, a warp's task
  // being (batch, chunk, group of channels).
  void eachChunkRow(RowLanes &lanes, llvm::function_ref<void(Value, Value, Value, Value)> body) {
    lanes.tasks({batch, chunks, lanes.groups(e)}, [&](ValueRange iv) {
      auto [ch, real] = lanes.rowIn(iv[2], e);
      body(iv[0], iv[1], ch, real);
    });
  }

  SmallVector<Value> zeros(LoopBuilder &lb, RowLanes &lanes) {
    return SmallVector<Value>(lanes.k, lb.f32(0.0));
  }

  // The recurrence of this lane's row (bi, ch) over [t0, t1) from `s0`;
  // writes y[bi, t, ch] (with the D skip and z gate) when `y` is given and
  // the row is real. Returns the states, then the sum of dt.
  SmallVector<Value> walk(LoopBuilder &lb, RowLanes &lanes, SmallVector<Value> s0, Value bi,
                          Value ch, Value real, Value t0, Value t1, Value y) {
    Value g = lb.divi(ch, perGroup);
    SmallVector<Value> aRow = scaledA(lb, lanes, a, ch);
    Value biasC = bias ? lb.load(bias, {ch}) : Value();
    Value dC = y && d ? lb.load(d, {ch}) : Value();
    s0.push_back(lb.f32(0.0));
    int64_t k = lanes.k;
    // Loaded per step: dt, x, the lane's B (and C) values.
    auto load = [&](Value t) {
      SmallVector<Value> v{lb.load(delta, {bi, t, ch}), lb.load(u, {bi, t, ch})};
      llvm::append_range(v, lanes.loadRow([&](Value j) { return lb.load(bm, {bi, t, g, j}); }));
      if (y)
        llvm::append_range(v, lanes.loadRow([&](Value j) { return lb.load(cm, {bi, t, g, j}); }));
      return v;
    };
    auto step = [&](Value t, ArrayRef<Value> in, ValueRange it) {
      Value dt = in[0], xv = in[1];
      if (biasC)
        dt = lb.add(dt, biasC);
      if (op.getDeltaSoftplus())
        dt = lb.softplus(dt);
      SmallVector<Value> next = lanes.update(it.drop_back(), decays(lb, dt, aRow),
                                             lb.mul(dt, xv), in.slice(2, k));
      if (y) {
        Value acc = lanes.rowDot(next, in.slice(2 + k, k));
        lanes.onRowLeader(real, [&] { cpu::emitScanOutput(lb, acc, dC, xv, z, y, {bi, t, ch}); });
      }
      next.push_back(lb.add(it.back(), dt));
      return next;
    };
    return lb.loopLoadingAhead(t0, t1, unroll, s0, load, step);
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SelectiveScanOp op;
  int64_t n, chunk, unroll, lanes;
  gpu::GPUFuncOp func;
  ValueRange extra;
  Value u, delta, a, bm, cm, d, z, bias, init;
  Value batch, len, e, perGroup, chunkSize, chunks;
};

FailureOr<int64_t> staticStateSize(Operation *op, ShapedType type) {
  int64_t n = type.getDimSize(type.getRank() - 1);
  if (ShapedType::isDynamic(n))
    return op->emitOpError() << "needs a static state size N for its GPU kernels";
  return n;
}

} // namespace

LogicalResult ssm::buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                            SelectiveScanOp op, StringRef name,
                                            const ScanTiling &tiling) {
  FailureOr<int64_t> n = staticStateSize(op, cast<ShapedType>(op.getA().getType()));
  if (failed(n))
    return failure();
  MLIRContext *ctx = b.getContext();
  OpBuilder::InsertionGuard guard(b);
  Type yElement = cast<ShapedType>(op.getY().getType()).getElementType();
  SmallVector<Type> extras{argType(ctx, 3, ShapedType::kDynamic, yElement)};
  if (op.getFinalState())
    extras.push_back(argType(ctx, 3, *n));
  ScanKernel k(b, module, op, name, extras, *n, {0, tiling.unroll, tiling.lanes});
  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  k.begin(lb);
  RowLanes lanes(lb, *n, k.lanes);
  lanes.tasks({k.batch, lanes.groups(k.e)}, [&](ValueRange iv) {
    Value bi = iv[0];
    auto [ch, real] = lanes.rowIn(iv[1], k.e);
    SmallVector<Value> s0 =
        k.init ? lanes.loadRow([&](Value j) { return lb.load(k.init, {bi, ch, j}); })
               : k.zeros(lb, lanes);
    SmallVector<Value> last = k.walk(lb, lanes, s0, bi, ch, real, lb.index(0), k.len, k.extra[0]);
    if (op.getFinalState())
      lanes.storeRow(real, ValueRange(last).drop_back(), k.extra[1], {bi, ch});
  });
  k.finish(b);
  return success();
}

LogicalResult ssm::buildChunkedSelectiveScanKernels(OpBuilder &b, gpu::GPUModuleOp module,
                                                    SelectiveScanOp op, StringRef name,
                                                    const ScanTiling &tiling) {
  FailureOr<int64_t> n = staticStateSize(op, cast<ShapedType>(op.getA().getType()));
  if (failed(n))
    return failure();
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  Type states = argType(ctx, 4, *n), sums = argType(ctx, 3);
  OpBuilder::InsertionGuard guard(b);

  { // Each chunk's own state (from zero) and its sum of dt.
    ScanKernel k(b, module, op, (name + "_states").str(), {states, sums}, *n, tiling);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, *n, k.lanes);
    k.eachChunkRow(lanes, [&](Value bi, Value c, Value ch, Value real) {
      auto [t0, t1] = k.bounds(lb, c);
      SmallVector<Value> last =
          k.walk(lb, lanes, k.zeros(lb, lanes), bi, ch, real, t0, t1, Value());
      lanes.storeRow(real, ValueRange(last).drop_back(), k.extra[0], {bi, c, ch});
      lanes.onRowLeader(real, [&] { lb.store(last.back(), k.extra[1], {bi, c, ch}); });
    });
    k.finish(b);
  }
  { // The state entering each chunk, per state element:
    // carry = exp(A * dtsum) * carry + own.
    SmallVector<Type> extras{states, sums};
    if (op.getFinalState())
      extras.push_back(argType(ctx, 3, *n));
    ScanKernel k(b, module, op, (name + "_carry").str(), extras, *n, tiling);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    lb.parallel({k.batch, k.e, lb.dim(k.a, 1)}, [&](ValueRange iv) {
      Value bi = iv[0], ch = iv[1], j = iv[2];
      Value start = k.init ? lb.load(k.init, {bi, ch, j}) : lb.f32(0.0);
      Value aj = lb.mul(lb.load(k.a, {ch, j}), lb.f32(M_LOG2E));
      // Four chunks' loads in flight at a time: the walk is latency-bound.
      auto load = [&](Value c) {
        return SmallVector<Value>{lb.load(k.extra[1], {bi, c, ch}),
                                  lb.load(k.extra[0], {bi, c, ch, j})};
      };
      SmallVector<Value> last = lb.loopLoadingAhead(
          lb.index(0), k.chunks, 4, {start}, load,
          [&](Value c, ArrayRef<Value> in, ValueRange carry) {
            lb.store(carry[0], k.extra[0], {bi, c, ch, j});
            return SmallVector<Value>{lb.fma(lb.exp2(lb.mul(aj, in[0])), carry[0], in[1])};
          });
      if (op.getFinalState())
        lb.store(last[0], k.extra[2], {bi, ch, j});
    });
    k.finish(b);
  }
  { // Outputs: every chunk recomputed from the state entering it.
    Type y = argType(ctx, 3, ShapedType::kDynamic,
                     cast<ShapedType>(op.getY().getType()).getElementType());
    ScanKernel k(b, module, op, (name + "_outputs").str(), {states, y}, *n, tiling);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, *n, k.lanes);
    k.eachChunkRow(lanes, [&](Value bi, Value c, Value ch, Value real) {
      SmallVector<Value> entering =
          lanes.loadRow([&](Value j) { return lb.load(k.extra[0], {bi, c, ch, j}); });
      auto [t0, t1] = k.bounds(lb, c);
      k.walk(lb, lanes, entering, bi, ch, real, t0, t1, k.extra[1]);
    });
    k.finish(b);
  }
  return success();
}
