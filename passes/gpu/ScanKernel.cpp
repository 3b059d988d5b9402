#include "passes/gpu/ScanKernel.h"
#include "passes/gpu/GpuKernelFunc.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;

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

// Emits the scan's arithmetic for one thread at one builder position.
class ScanThread {
public:
  ScanThread(OpBuilder &b, Location loc, SelectiveScanOp op, int64_t n)
      : b(b), loc(loc), op(op), n(n) {}

  Value c(float v) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value exp2(Value x) { return math::Exp2Op::create(b, loc, x); }
  // Loads widen f16/bf16 activations to f32; stores narrow back: the math
  // and the state are f32 whatever the activation type.
  Value load(Value m, ValueRange at) {
    Value v = memref::LoadOp::create(b, loc, m, at);
    return v.getType().isF32() ? v : arith::ExtFOp::create(b, loc, b.getF32Type(), v).getResult();
  }
  void store(Value v, Value m, ValueRange at) {
    Type element = cast<MemRefType>(m.getType()).getElementType();
    if (element != v.getType())
      v = arith::TruncFOp::create(b, loc, element, v);
    memref::StoreOp::create(b, loc, v, m, at);
  }
  // x > 20 ? x : log1p(exp(x))
  Value softplus(Value x) {
    Value soft = math::Log1pOp::create(b, loc, exp(x));
    Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(20.0f));
    return arith::SelectOp::create(b, loc, big, x, soft);
  }
  // x / (1 + exp(-x))
  Value silu(Value x) {
    Value e = exp(arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, add(c(1.0f), e));
  }

  // Binds the first block arguments of `body` to the op's operands, sets up
  // the thread's (batch, channel) and opens `if (channel < e)`.
  void begin(Block &body) {
    unsigned next = 0;
    auto arg = [&](Value operand) { return operand ? body.getArgument(next++) : Value(); };
    u = arg(op.getU()), delta = arg(op.getDelta()), a = arg(op.getA());
    bm = arg(op.getB()), cm = arg(op.getC()), d = arg(op.getD()), z = arg(op.getZ());
    bias = arg(op.getDeltaBias()), init = arg(op.getInitialState());
    firstExtra = next;
    b.setInsertionPointToStart(&body);
    channel = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                              gpu::BlockDimOp::create(b, loc, gpu::Dimension::x)),
        gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
    batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
    chunkIndex = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
    len = memref::DimOp::create(b, loc, u, 1);
    Value e = memref::DimOp::create(b, loc, u, 2);
    Value groups = memref::DimOp::create(b, loc, bm, 2);
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, channel, e);
    auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    group = arith::DivUIOp::create(b, loc, channel, arith::DivUIOp::create(b, loc, e, groups));
    // A * log2(e), so every decay exp(dt * A) is one exp2 (ex2 on the GPU).
    for (int64_t k = 0; k < n; ++k)
      aRow.push_back(mul(load(a, {channel, idx(k)}), c(float(M_LOG2E))));
  }
  Value extra(Block &body, unsigned i) { return body.getArgument(firstExtra + i); }

  SmallVector<Value> zeros() { return SmallVector<Value>(n, c(0.0f)); }
  SmallVector<Value> loadState(Value m, ValueRange lead) {
    SmallVector<Value> s;
    for (int64_t k = 0; k < n; ++k) {
      SmallVector<Value> at(lead);
      at.push_back(idx(k));
      s.push_back(load(m, at));
    }
    return s;
  }
  void storeState(ValueRange s, Value m, ValueRange lead) {
    for (int64_t k = 0; k < n; ++k) {
      SmallVector<Value> at(lead);
      at.push_back(idx(k));
      store(s[k], m, at);
    }
  }
  SmallVector<Value> initialState() {
    return init ? loadState(init, {batch, channel}) : zeros();
  }

  // The recurrence over t in [t0, t1) from `s0`. Writes y[t] when `y` is
  // given; the loop also carries the sum of dt. Returns {state..., dtSum}.
  SmallVector<Value> walk(Value t0, Value t1, SmallVector<Value> s0, Value y) {
    Value dC = d && y ? load(d, {channel}) : Value();
    Value biasC = bias ? load(bias, {channel}) : Value();
    s0.push_back(c(0.0f));
    auto loop = scf::ForOp::create(b, loc, t0, t1, idx(1), s0);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    SmallVector<Value> at{batch, t, channel};
    Value dt = load(delta, at);
    if (biasC)
      dt = add(dt, biasC);
    if (op.getDeltaSoftplus())
      dt = softplus(dt);
    Value x = load(u, at);
    Value dtx = mul(dt, x);
    Value out = c(0.0f);
    SmallVector<Value> next;
    for (int64_t k = 0; k < n; ++k) {
      SmallVector<Value> bc{batch, t, group, idx(k)};
      Value sk = loop.getRegionIterArgs()[k];
      // s = exp(dt * A) * s + dt * x * B;  y += C * s
      next.push_back(add(mul(exp2(mul(dt, aRow[k])), sk), mul(dtx, load(bm, bc))));
      if (y)
        out = add(out, mul(load(cm, bc), next.back()));
    }
    if (y) {
      if (dC)
        out = add(out, mul(dC, x));
      if (z)
        out = mul(out, silu(load(z, at)));
      store(out, y, at);
    }
    next.push_back(add(loop.getRegionIterArgs()[n], dt));
    scf::YieldOp::create(b, loc, next);
    return loop.getResults();
  }

  // [chunk * k, min(chunk * (k + 1), L)) for this thread's chunk k.
  std::pair<Value, Value> chunkBounds(Value chunk) {
    Value t0 = arith::MulIOp::create(b, loc, chunkIndex, chunk);
    Value t1 = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, t0, chunk), len);
    return {t0, t1};
  }

  OpBuilder &b;
  Location loc;
  SelectiveScanOp op;
  int64_t n;
  Value u, delta, a, bm, cm, d, z, bias, init;
  Value channel, batch, chunkIndex, group, len;
  SmallVector<Value> aRow;
  unsigned firstExtra = 0;
};

FailureOr<int64_t> checkScan(SelectiveScanOp op) {
  int64_t n = cast<RankedTensorType>(op.getA().getType()).getDimSize(1);
  if (ShapedType::isDynamic(n))
    return op.emitOpError() << "GPU scan kernel needs a static state size N";
  // The verifier already holds A, D, biases and states to f32 and the
  // activations to f32, f16 or bf16.
  return n;
}

// Argument types of the op's operands present, in order.
SmallVector<Type> operandTypes(SelectiveScanOp op, int64_t n) {
  SmallVector<Type> types;
  for (Value v : op->getOperands()) {
    int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
    bool stateSized = v == op.getA() || v == op.getB() || v == op.getC() ||
                      v == op.getInitialState();
    types.push_back(argType(op.getContext(), rank, stateSized ? n : ShapedType::kDynamic,
                            cast<RankedTensorType>(v.getType()).getElementType()));
  }
  return types;
}

gpu::GPUFuncOp newKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                         StringRef name, ArrayRef<Type> types) {
  return createGpuKernel(b, module, loc, name, types, kScanBlockSize);
}

void finish(OpBuilder &b, gpu::GPUFuncOp func) {
  b.setInsertionPointToEnd(&func.getBody().front());
  gpu::ReturnOp::create(b, func.getLoc());
}

} // namespace

FailureOr<gpu::GPUFuncOp> ssm::buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                                        SelectiveScanOp op, StringRef name) {
  FailureOr<int64_t> n = checkScan(op);
  if (failed(n))
    return failure();
  SmallVector<Type> types = operandTypes(op, *n);
  types.push_back(argType(b.getContext(), 3, ShapedType::kDynamic, op.getY().getType().getElementType()));
  if (op.getFinalState())
    types.push_back(argType(b.getContext(), 3, *n));

  OpBuilder::InsertionGuard guard(b);
  auto func = newKernel(b, module, op.getLoc(), name, types);
  Block &body = func.getBody().front();
  ScanThread th(b, op.getLoc(), op, *n);
  th.begin(body);
  SmallVector<Value> last = th.walk(th.idx(0), th.len, th.initialState(), th.extra(body, 0));
  if (op.getFinalState())
    th.storeState(ArrayRef<Value>(last).take_front(*n), th.extra(body, 1),
                  {th.batch, th.channel});
  finish(b, func);
  return func;
}

LogicalResult ssm::buildChunkedSelectiveScanKernels(OpBuilder &b, gpu::GPUModuleOp module,
                                                    SelectiveScanOp op, StringRef name,
                                                    int64_t chunk) {
  FailureOr<int64_t> n = checkScan(op);
  if (failed(n))
    return failure();
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  SmallVector<Type> operands = operandTypes(op, *n);
  Type states = argType(ctx, 4, *n), dtsum = argType(ctx, 3);
  OpBuilder::InsertionGuard guard(b);

  { // Each chunk's own state (from zero) and its sum of dt.
    SmallVector<Type> types(operands);
    types.append({states, dtsum});
    auto func = newKernel(b, module, loc, (name + "_states").str(), types);
    Block &body = func.getBody().front();
    ScanThread th(b, loc, op, *n);
    th.begin(body);
    auto [t0, t1] = th.chunkBounds(th.idx(chunk));
    SmallVector<Value> last = th.walk(t0, t1, th.zeros(), Value());
    th.storeState(ArrayRef<Value>(last).take_front(*n), th.extra(body, 0),
                  {th.batch, th.chunkIndex, th.channel});
    th.store(last.back(), th.extra(body, 1), {th.batch, th.chunkIndex, th.channel});
    finish(b, func);
  }
  { // The state entering each chunk: carry = exp(A * dtsum) * carry + own.
    SmallVector<Type> types(operands);
    types.append({states, dtsum});
    if (op.getFinalState())
      types.push_back(argType(ctx, 3, *n));
    auto func = newKernel(b, module, loc, (name + "_carry").str(), types);
    Block &body = func.getBody().front();
    ScanThread th(b, loc, op, *n);
    th.begin(body);
    Value st = th.extra(body, 0), sums = th.extra(body, 1);
    Value chunks = memref::DimOp::create(b, loc, st, 1);
    auto loop = scf::ForOp::create(b, loc, th.idx(0), chunks, th.idx(1), th.initialState());
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      SmallVector<Value> lead{th.batch, k, th.channel};
      SmallVector<Value> own = th.loadState(st, lead);
      Value sum = th.load(sums, lead);
      SmallVector<Value> carry(loop.getRegionIterArgs());
      th.storeState(carry, st, lead);
      SmallVector<Value> next;
      for (int64_t i = 0; i < *n; ++i)
        next.push_back(th.add(th.mul(th.exp2(th.mul(sum, th.aRow[i])), carry[i]), own[i]));
      scf::YieldOp::create(b, loc, next);
    }
    if (op.getFinalState())
      th.storeState(loop.getResults(), th.extra(body, 2), {th.batch, th.channel});
    finish(b, func);
  }
  { // Outputs: every chunk recomputed from the state entering it.
    SmallVector<Type> types(operands);
    types.append({states, argType(ctx, 3, ShapedType::kDynamic,
                                  op.getY().getType().getElementType())});
    auto func = newKernel(b, module, loc, (name + "_outputs").str(), types);
    Block &body = func.getBody().front();
    ScanThread th(b, loc, op, *n);
    th.begin(body);
    auto [t0, t1] = th.chunkBounds(th.idx(chunk));
    th.walk(t0, t1, th.loadState(th.extra(body, 0), {th.batch, th.chunkIndex, th.channel}),
            th.extra(body, 1));
    finish(b, func);
  }
  return success();
}
