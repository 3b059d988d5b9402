#include "passes/gpu/ScanKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

// memref<?x...x?[xN]xf32, strided<[?, ..., ?, 1], offset: ?>>: dynamic sizes
// except an optional static innermost N, unit innermost stride.
MemRefType argType(MLIRContext *ctx, int64_t rank, int64_t innerSize = ShapedType::kDynamic) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  shape.back() = innerSize;
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
  return MemRefType::get(shape, Float32Type::get(ctx), layout);
}

// Scalar f32 helpers at one builder position.
struct Math {
  OpBuilder &b;
  Location loc;
  Value c(float v) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
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
};

} // namespace

FailureOr<gpu::GPUFuncOp> ssm::buildSelectiveScanKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                                        SelectiveScanOp op, StringRef name) {
  MLIRContext *ctx = b.getContext();
  auto aType = cast<RankedTensorType>(op.getA().getType());
  int64_t n = aType.getDimSize(1);
  if (ShapedType::isDynamic(n))
    return op.emitOpError() << "GPU scan kernel needs a static state size N";
  for (Value v : op->getOperands())
    if (!cast<RankedTensorType>(v.getType()).getElementType().isF32())
      return op.emitOpError() << "GPU scan kernel supports f32 operands only (got "
                              << v.getType() << ")";

  // Argument types, in operand order, then results.
  SmallVector<Type> types;
  for (Value v : op->getOperands()) {
    int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
    bool stateSized = v == op.getA() || v == op.getB() || v == op.getC() ||
                      v == op.getInitialState();
    types.push_back(argType(ctx, rank, stateSized ? n : ShapedType::kDynamic));
  }
  types.push_back(argType(ctx, 3));
  if (op.getFinalState())
    types.push_back(argType(ctx, 3, n));

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = op.getLoc();
  auto func = gpu::GPUFuncOp::create(b, loc, name, b.getFunctionType(types, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(kScanBlockSize), 1, 1}));
  Block &body = func.getBody().front();
  b.setInsertionPointToStart(&body);

  // Map operands/results to block arguments.
  unsigned next = 0;
  auto arg = [&](Value operand) -> Value {
    return operand ? body.getArgument(next++) : Value();
  };
  Value u = arg(op.getU()), delta = arg(op.getDelta()), a = arg(op.getA());
  Value bm = arg(op.getB()), cm = arg(op.getC()), d = arg(op.getD()), z = arg(op.getZ());
  Value bias = arg(op.getDeltaBias()), init = arg(op.getInitialState());
  Value y = body.getArgument(next++);
  Value finalState = op.getFinalState() ? body.getArgument(next++) : Value();

  Math m{b, loc};
  auto idx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(b, loc, v); };
  Value zero = idx(0), one = idx(1);
  Value channel = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                            gpu::BlockDimOp::create(b, loc, gpu::Dimension::x)),
      gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value len = memref::DimOp::create(b, loc, u, 1);
  Value e = memref::DimOp::create(b, loc, u, 2);
  Value groups = memref::DimOp::create(b, loc, bm, 2);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, channel, e);
  auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());

  // The state is N scalar loop-carried values: the backend keeps them in
  // registers (a vector-typed carry does not survive the NVVM conversion).
  Value group = arith::DivUIOp::create(b, loc, channel,
                                       arith::DivUIOp::create(b, loc, e, groups));
  SmallVector<Value> aRow, s0;
  for (int64_t k = 0; k < n; ++k) {
    aRow.push_back(memref::LoadOp::create(b, loc, a, ValueRange{channel, idx(k)}));
    s0.push_back(init ? memref::LoadOp::create(b, loc, init, ValueRange{batch, channel, idx(k)})
                            .getResult()
                      : m.c(0.0f));
  }
  Value dC = d ? memref::LoadOp::create(b, loc, d, ValueRange{channel}).getResult() : Value();
  Value biasC = bias ? memref::LoadOp::create(b, loc, bias, ValueRange{channel}).getResult()
                     : Value();

  auto loop = scf::ForOp::create(b, loc, zero, len, one, s0);
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    SmallVector<Value> at{batch, t, channel};
    Value dt = memref::LoadOp::create(b, loc, delta, at);
    if (biasC)
      dt = m.add(dt, biasC);
    if (op.getDeltaSoftplus())
      dt = m.softplus(dt);
    Value x = memref::LoadOp::create(b, loc, u, at);
    Value dtx = m.mul(dt, x);
    Value out = m.c(0.0f);
    SmallVector<Value> next;
    for (int64_t k = 0; k < n; ++k) {
      SmallVector<Value> bc{batch, t, group, idx(k)};
      Value bk = memref::LoadOp::create(b, loc, bm, bc);
      Value ck = memref::LoadOp::create(b, loc, cm, bc);
      Value sk = loop.getRegionIterArgs()[k];
      // s = exp(dt * A) * s + dt * x * B;  y += C * s
      next.push_back(m.add(m.mul(m.exp(m.mul(dt, aRow[k])), sk), m.mul(dtx, bk)));
      out = m.add(out, m.mul(ck, next.back()));
    }
    if (dC)
      out = m.add(out, m.mul(dC, x));
    if (z)
      out = m.mul(out, m.silu(memref::LoadOp::create(b, loc, z, at)));
    memref::StoreOp::create(b, loc, out, y, at);
    scf::YieldOp::create(b, loc, next);
  }
  if (finalState)
    for (int64_t k = 0; k < n; ++k)
      memref::StoreOp::create(b, loc, loop.getResult(k), finalState,
                              ValueRange{batch, channel, idx(k)});
  b.setInsertionPointToEnd(&body);
  gpu::ReturnOp::create(b, loc);
  return func;
}
