#include "passes/gpu/SSDChunkKernels.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuKernelFunc.h"

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

constexpr int64_t kWarp = 32;

// A warp's lanes over rows of states (see the header): S lanes per row, K
// registers per lane.
class RowLanes {
public:
  RowLanes(LoopBuilder &lb, int64_t n) : lb(lb), s(ssdLanesPerRow(n)), k(n / s) {
    OpBuilder &b = lb.builder();
    Location loc = lb.location();
    auto x = gpu::Dimension::x;
    Value tid = gpu::ThreadIdOp::create(b, loc, x);
    lane = lb.remi(tid, lb.index(kWarp));
    row = lb.divi(lane, lb.index(s));
    slot = lb.remi(lane, lb.index(s));
    Value warpsPerBlock = lb.divi(gpu::BlockDimOp::create(b, loc, x), lb.index(kWarp));
    warp = lb.addi(lb.muli(gpu::BlockIdOp::create(b, loc, x), warpsPerBlock),
                   lb.divi(tid, lb.index(kWarp)));
    warps = lb.muli(gpu::GridDimOp::create(b, loc, x), warpsPerBlock);
  }

  int64_t rowsPerWarp() const { return kWarp / s; }

  // Hands the iterations of the nest `ubs` to the warps with a grid stride,
  // one at a time per warp: all lanes of a warp see the same indices, so
  // they may shuffle.
  void tasks(ValueRange ubs, llvm::function_ref<void(ValueRange)> body) {
    Value total = lb.index(1);
    for (Value ub : ubs)
      total = lb.muli(total, ub);
    OpBuilder &b = lb.builder();
    auto forOp = scf::ForOp::create(b, lb.location(), warp, total, warps);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forOp.getBody()->getTerminator());
    SmallVector<Value> ivs(ubs.size());
    Value rest = forOp.getInductionVar();
    for (size_t i = ubs.size(); i-- > 0;) {
      ivs[i] = i == 0 ? rest : lb.remi(rest, ubs[i]);
      if (i > 0)
        rest = lb.divi(rest, ubs[i]);
    }
    body(ivs);
  }

  // ceil(p / rows per warp): the row groups a head's P rows make.
  Value groups(Value p) {
    int64_t r = rowsPerWarp();
    return lb.divi(lb.addi(p, lb.index(r - 1)), lb.index(r));
  }

  // This lane's p in row group `group` of a head with `p` rows: {p clamped
  // to p - 1 (for loads), whether it is a real row}.
  std::pair<Value, Value> rowIn(Value group, Value p) {
    Value mine = lb.addi(lb.muli(group, lb.index(rowsPerWarp())), row);
    Value real = cmp(arith::CmpIPredicate::ult, mine, p);
    auto clamped = arith::MinUIOp::create(lb.builder(), lb.location(), mine,
                                          lb.subi(p, lb.index(1)));
    return {clamped, real};
  }

  // The state index of the lane's register i.
  Value n(int64_t i) { return lb.addi(lb.index(i * s), slot); }

  // The lane's K values of a state-sized row (B, C or a state), loaded
  // together before any of them is used, so the loads overlap.
  SmallVector<Value> loadRow(llvm::function_ref<Value(Value)> at) {
    SmallVector<Value> row;
    for (int64_t i = 0; i < k; ++i)
      row.push_back(at(n(i)));
    return row;
  }

  // s_i = decay * s_i + dx * B_i for each register i.
  SmallVector<Value> update(ValueRange st, Value decay, Value dx, ValueRange bRow) {
    SmallVector<Value> next;
    for (int64_t i = 0; i < k; ++i)
      next.push_back(lb.fma(dx, bRow[i], lb.mul(decay, st[i])));
    return next;
  }

  // C . s over the whole row: this lane's part, then a butterfly over the
  // row's S lanes (every lane of the row ends with the sum).
  Value rowDot(ValueRange st, ValueRange cRow) {
    Value acc = lb.f32(0.0);
    for (int64_t i = 0; i < k; ++i)
      acc = lb.fma(cRow[i], st[i], acc);
    for (int64_t offset = s / 2; offset > 0; offset /= 2) {
      auto shuffle = gpu::ShuffleOp::create(lb.builder(), lb.location(), acc, int32_t(offset),
                                            int32_t(kWarp), gpu::ShuffleMode::XOR);
      acc = lb.add(acc, shuffle.getShuffleResult());
    }
    return acc;
  }

  // `then` on the row's first lane of a real row only.
  void onRowLeader(Value real, llvm::function_ref<void()> then) {
    Value first = cmp(arith::CmpIPredicate::eq, slot, lb.index(0));
    when(arith::AndIOp::create(lb.builder(), lb.location(), real, first), then);
  }
  void when(Value cond, llvm::function_ref<void()> then) {
    OpBuilder &b = lb.builder();
    auto ifOp = scf::IfOp::create(b, lb.location(), cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    then();
  }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(lb.builder(), lb.location(), pred, x, y);
  }

  LoopBuilder &lb;
  int64_t s, k;
  Value lane, row, slot, warp, warps;
};

// One SSD kernel: the op's operands bound to its first arguments, the
// per-kernel extras after them.
struct SSDKernel {
  SSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
            ArrayRef<Type> extras, int64_t chunk)
      : op(op), chunk(chunk) {
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
    return lb.loop(t0, t1, s0, [&](Value t, ValueRange it) {
      Value step = cpu::emitDelta(lb, lb.load(dt, {bi, t, h}), bias, op.getDtSoftplus(),
                                  op.getDtMin().convertToFloat(),
                                  op.getDtMax().convertToFloat());
      Value xv = lb.load(x, {bi, t, h, pc});
      SmallVector<Value> bRow = lanes.loadRow([&](Value k) { return lb.load(bm, {bi, t, g, k}); });
      SmallVector<Value> cRow;
      if (y)
        cRow = lanes.loadRow([&](Value k) { return lb.load(cm, {bi, t, g, k}); });
      SmallVector<Value> next =
          lanes.update(it.drop_back(), lb.exp(lb.mul(step, ah)), lb.mul(step, xv), bRow);
      if (y) {
        Value acc = lanes.rowDot(next, cRow);
        lanes.onRowLeader(real,
                          [&] { cpu::emitScanOutput(lb, acc, dH, xv, z, y, {bi, t, h, pc}); });
      }
      next.push_back(lb.add(it.back(), step));
      return next;
    });
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SSDOp op;
  int64_t chunk;
  gpu::GPUFuncOp func;
  ValueRange inputs, extra;
  Value x, dt, a, bm, cm, d, z, dtBias, init;
  Value batch, len, heads, p, n, chunkSize, chunks;
};

} // namespace

LogicalResult ssm::buildChunkedSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                          StringRef name, int64_t chunk) {
  int64_t staticN = cast<ShapedType>(op.getB().getType()).getDimSize(3);
  if (ShapedType::isDynamic(staticN))
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
    RowLanes lanes(lb, staticN);
    lanes.tasks({k.batch, k.chunks, k.heads, lanes.groups(k.p)}, [&](ValueRange iv) {
      Value bi = iv[0], c = iv[1], h = iv[2];
      auto [pc, real] = lanes.rowIn(iv[3], k.p);
      auto [t0, t1] = k.bounds(lb, c);
      SmallVector<Value> zeros(lanes.k, lb.f32(0.0));
      SmallVector<Value> last = k.walk(lb, lanes, zeros, bi, h, pc, real, t0, t1, Value());
      lanes.when(real, [&] {
        for (int64_t i = 0; i < lanes.k; ++i)
          lb.store(last[i], k.extra[0], {bi, c, h, pc, lanes.n(i)});
      });
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
    SSDKernel k(b, module, op, (name + "_carry").str(), extras, chunk);
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
    SSDKernel k(b, module, op, (name + "_outputs").str(), {states, y}, chunk);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, staticN);
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

LogicalResult ssm::buildHeadStateUpdateKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                              SelectiveStateUpdateOp op, StringRef name) {
  auto stateType = cast<ShapedType>(op.getState().getType());
  if (stateType.getRank() != 4 || ShapedType::isDynamic(stateType.getDimSize(3)))
    return op.emitOpError() << "needs the per-head form with a static state size";
  OpBuilder::InsertionGuard guard(b);
  SmallVector<Type> types;
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    types.push_back(anyViewType(t));
  auto func = createGpuKernel(b, module, op.getLoc(), name, types, kSSDBlockSize);
  ValueRange args = func.getBody().front().getArguments();
  ValueRange inputs = args.take_front(op->getNumOperands());
  ValueRange outputs = args.drop_front(op->getNumOperands());
  auto arg = [&](MutableOperandRange operand) { return cpu::argOf(inputs, operand); };
  Value state = arg(op.getStateMutable()), x = arg(op.getXMutable());
  Value dt = arg(op.getDtMutable()), a = arg(op.getAMutable()), bm = arg(op.getBMutable());
  Value cm = arg(op.getCMutable()), d = arg(op.getDMutable()), z = arg(op.getZMutable());
  Value dtBias = arg(op.getDtBiasMutable());
  Value y = outputs[0], newState = outputs[1];

  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  RowLanes lanes(lb, stateType.getDimSize(3));
  Value heads = lb.dim(state, 1), p = lb.dim(state, 2);
  Value perGroup = lb.divi(heads, lb.dim(bm, 1));
  // Each lane reads its state elements before it writes them, and only real
  // rows write: new_state may alias state.
  lanes.tasks({lb.dim(state, 0), heads, lanes.groups(p)}, [&](ValueRange iv) {
    Value bi = iv[0], h = iv[1], g = lb.divi(h, perGroup);
    auto [pc, real] = lanes.rowIn(iv[2], p);
    Value step = cpu::emitDelta(lb, lb.load(dt, {bi, h}), dtBias ? lb.load(dtBias, {h}) : Value(),
                                op.getDtSoftplus(), op.getDtMin().convertToFloat(),
                                op.getDtMax().convertToFloat());
    Value xv = lb.load(x, {bi, h, pc});
    SmallVector<Value> old = lanes.loadRow([&](Value k) { return lb.load(state, {bi, h, pc, k}); });
    SmallVector<Value> bRow = lanes.loadRow([&](Value k) { return lb.load(bm, {bi, g, k}); });
    SmallVector<Value> cRow = lanes.loadRow([&](Value k) { return lb.load(cm, {bi, g, k}); });
    SmallVector<Value> next =
        lanes.update(old, lb.exp(lb.mul(step, lb.load(a, {h}))), lb.mul(step, xv), bRow);
    lanes.when(real, [&] {
      for (int64_t i = 0; i < lanes.k; ++i)
        lb.store(next[i], newState, {bi, h, pc, lanes.n(i)});
    });
    Value acc = lanes.rowDot(next, cRow);
    lanes.onRowLeader(real, [&] {
      cpu::emitScanOutput(lb, acc, d ? lb.load(d, {h}) : Value(), xv, z, y, {bi, h, pc});
    });
  });
  gpu::ReturnOp::create(b, op.getLoc());
  return success();
}
