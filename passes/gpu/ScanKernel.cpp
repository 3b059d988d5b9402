#include "passes/gpu/ScanKernel.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/BlockRow.h"
#include "passes/gpu/GpuKernelFunc.h"
#include "passes/gpu/RowLanes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

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

// Argument types of the op's operands present, in order.
SmallVector<Type> operandTypes(SelectiveScanOp op, int64_t n) {
  SmallVector<Type> types;
  for (Value v : op->getOperands()) {
    auto type = cast<RankedTensorType>(v.getType());
    bool stateSized = v == op.getA() || v == op.getB() || v == op.getC() ||
                      v == op.getInitialState();
    types.push_back(unitInnerViewType(op.getContext(), type.getRank(),
                            stateSized ? n : ShapedType::kDynamic, type.getElementType()));
  }
  return types;
}

// A[ch, n] * log2(e) for the lane's registers: every decay exp(dt * A) is
// then one exp2 (ex2 on the GPU).
SmallVector<Value> scaledA(LoopBuilder &lb, RowLanes &lanes, Value a, Value ch) {
  return lanes.loadRow([&](Value k) { return lb.mul(lb.load(a, {ch, k}), lb.f32(M_LOG2E)); });
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

  // Gives each warp a shared buffer for kScanStageSteps steps of B (and C
  // with `withC`), where rows are one per thread and it fits: walk() then
  // reads B and C from there (see stagedSteps).
  void stageInSharedMemory(OpBuilder &b, bool withC) {
    const int64_t columns = withC ? 2 * n : n;
    const int64_t bytes = kScanBlockSize / 32 * kScanStageSteps * columns * 4;
    if (lanes != 1 || n % 4 != 0 || bytes > kScanStageMaxBytes)
      return;
    stage = BlockRow::sharedBuffer(func, b.getF32Type(),
                                   {kScanBlockSize / 32, kScanStageSteps, columns});
    // 16-byte aligned: the rows are read with 4-wide vector loads.
    func.setWorkgroupAttributionAttr(func.getNumWorkgroupAttributions() - 1,
                                     b.getStringAttr("llvm.align"), b.getI64IntegerAttr(16));
    stagedC = withC;
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
        Value tasks = lb.muli(rows, lb.ceilDiv(len, chunkSize));
        Value few = lb.cmpi(arith::CmpIPredicate::ult, tasks, lb.index(kScanMinTasks));
        chunkSize = arith::SelectOp::create(lb.builder(), lb.location(), few, lb.index(c / 2),
                                            chunkSize);
      }
      chunks = lb.ceilDiv(len, chunkSize);
    }
  }

  // [chunk * c, min(chunk * (c + 1), L)).
  std::pair<Value, Value> bounds(LoopBuilder &lb, Value c) {
    Value t0 = lb.muli(c, chunkSize);
    Value t1 = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, chunkSize), len);
    return {t0, t1};
  }

  // `body(bi, c, rows, ch, real)` for every row of every chunk, a warp's
  // task being (batch, chunk, group of channels `rows`).
  void eachChunkRow(RowLanes &lanes,
                    llvm::function_ref<void(Value, Value, Value, Value, Value)> body) {
    lanes.tasks({batch, chunks, lanes.groups(e)}, [&](ValueRange iv) {
      auto [ch, real] = lanes.rowIn(iv[2], e);
      body(iv[0], iv[1], iv[2], ch, real);
    });
  }

  SmallVector<Value> zeros(LoopBuilder &lb, RowLanes &lanes) {
    return SmallVector<Value>(lanes.k, lb.f32(0.0));
  }

  // The recurrence of this lane's row (bi, ch) over [t0, t1) from `s0`;
  // writes y[bi, t, ch] (with the D skip and z gate) when `y` is given and
  // the row is real. `rows` is the warp's group of channels. Returns the
  // states, then the sum of dt.
  SmallVector<Value> walk(LoopBuilder &lb, RowLanes &lanes, SmallVector<Value> s0, Value bi,
                          Value rows, Value ch, Value real, Value t0, Value t1, Value y) {
    Value g = lb.divi(ch, perGroup);
    SmallVector<Value> aRow = scaledA(lb, lanes, a, ch);
    Value biasC = bias ? lb.load(bias, {ch}) : Value();
    Value dC = y && d ? lb.load(d, {ch}) : Value();
    s0.push_back(lb.f32(0.0));
    int64_t k = lanes.k;
    // dt, x (and z where y is written) of a step; the lane's B (and C)
    // values come after them.
    const bool gated = y && z;
    const size_t rowAt = gated ? 3 : 2;
    auto loadDtX = [&](Value t) {
      SmallVector<Value> v{lb.load(delta, {bi, t, ch}), lb.load(u, {bi, t, ch})};
      if (gated)
        v.push_back(lb.load(z, {bi, t, ch}));
      return v;
    };
    auto load = [&](Value t) {
      SmallVector<Value> v = loadDtX(t);
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
                                             lb.mul(dt, xv), in.slice(rowAt, k));
      if (y) {
        Value acc = lanes.rowDot(next, in.slice(rowAt + k, k));
        Value gate = gated ? in[2] : Value();
        lanes.onRowLeader(real, [&] {
          lb.store(cpu::scanOutput(lb, acc, dC, xv, gate), y, {bi, t, ch});
        });
      }
      next.push_back(lb.add(it.back(), dt));
      return next;
    };
    auto direct = [&] { return lb.loopLoadingAhead(t0, t1, unroll, s0, load, step); };
    if (!stage)
      return direct();
    // B and C are the same for every channel of a group: staged once per
    // warp where its channels share one group (always when G = 1).
    Value first = lb.muli(rows, lb.index(lanes.rowsPerWarp()));
    Value last = arith::MinUIOp::create(lb.builder(), lb.location(),
                                        lb.addi(first, lb.index(lanes.rowsPerWarp() - 1)),
                                        lb.subi(e, lb.index(1)));
    Value oneGroup = lb.cmpi(arith::CmpIPredicate::eq, lb.divi(first, perGroup),
                             lb.divi(last, perGroup));
    // The other case (G > 1 with e / G not a multiple of 32) is rare: a
    // plain loop, which leaves the registers to the staged one.
    auto plain = [&] {
      return lb.loop(t0, t1, s0, [&](Value t, ValueRange it) { return step(t, load(t), it); });
    };
    return lb.choose(oneGroup, ValueRange(s0).getTypes(), [&] {
      return stagedSteps(lb, lanes, s0, bi, g, t0, t1, y, loadDtX, step);
    }, plain);
  }

  // walk() through shared memory: for each kScanStageSteps steps, the warp
  // copies B (and C) of its group into its buffer with coalesced loads, all
  // issued before any store, then every lane reads its steps' rows with
  // 4-wide shared loads (the same address in every lane: a broadcast).
  // Reading them straight from global memory took N scalar loads per step
  // per lane, each a separate instruction.
  template <typename LoadDtX, typename Step>
  SmallVector<Value> stagedSteps(LoopBuilder &lb, RowLanes &lanes, ValueRange s0, Value bi,
                                 Value g, Value t0, Value t1, Value y, LoadDtX loadDtX,
                                 Step step) {
    OpBuilder &b = lb.builder();
    Location loc = lb.location();
    Value wp = lb.divi(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x), lb.index(32));
    Value lastStep = lb.subi(t1, lb.index(1));
    const int64_t perLane = kScanStageSteps * n / 32;
    auto syncWarp = [&] {
      NVVM::SyncWarpOp::create(b, loc, arith::ConstantIntOp::create(b, loc, -1, 32));
    };
    return lb.loopBy(t0, t1, lb.index(kScanStageSteps), s0, [&](Value tt, ValueRange it) {
      syncWarp(); // the lanes are done with the previous steps
      SmallVector<std::pair<Value, Value>> at; // (step, state) per element
      SmallVector<Value> fromB, fromC;
      for (int64_t i = 0; i < perLane; ++i) {
        Value flat = lb.addi(lb.index(i * 32), lanes.lane);
        Value r = lb.divi(flat, lb.index(n)), j = lb.remi(flat, lb.index(n));
        Value time = arith::MinUIOp::create(b, loc, lb.addi(tt, r), lastStep);
        at.push_back({r, j});
        fromB.push_back(lb.load(bm, {bi, time, g, j}));
        if (stagedC)
          fromC.push_back(lb.load(cm, {bi, time, g, j}));
      }
      for (int64_t i = 0; i < perLane; ++i) {
        lb.store(fromB[i], stage, {wp, at[i].first, at[i].second});
        if (!fromC.empty())
          lb.store(fromC[i], stage, {wp, at[i].first, lb.addi(at[i].second, lb.index(n))});
      }
      syncWarp();
      // Only dt and x are loaded ahead (global memory); the rows of B and C
      // are read from shared memory when the step needs them, so the loop
      // carries 2 values instead of 2 + 2N.
      auto stagedStep = [&](Value t, ArrayRef<Value> in, ValueRange carried) {
        Value r = lb.subi(t, tt);
        SmallVector<Value> all(in.begin(), in.end());
        llvm::append_range(all, quadRow(lb, stage, {wp, r}, 0));
        if (y)
          llvm::append_range(all, quadRow(lb, stage, {wp, r}, n));
        return step(t, all, carried);
      };
      Value end = arith::MinUIOp::create(b, loc, lb.addi(tt, lb.index(kScanStageSteps)), t1);
      return lb.loopLoadingAhead(tt, end, unroll, it, loadDtX, stagedStep);
    });
  }

  // The lane's row of the per-chunk states (runtime scratch: contiguous, so
  // each row of N floats is 64-byte aligned) as 4-wide accesses where one
  // thread owns the row. The lanes' rows lie N floats apart, so a scalar
  // access per state touched one sector per lane.
  bool wideRows() const { return lanes == 1 && n % 4 == 0; }
  SmallVector<Value> loadStateRow(LoopBuilder &lb, RowLanes &rowLanes, Value m,
                                  ValueRange lead) {
    if (!wideRows())
      return rowLanes.loadRow([&](Value j) { return lb.load(m, cpu::withLast(lead, j)); });
    return quadRow(lb, m, lead, 0);
  }
  void storeStateRow(LoopBuilder &lb, RowLanes &rowLanes, Value real, ValueRange values,
                     Value m, ValueRange lead) {
    if (!wideRows())
      return rowLanes.storeRow(real, values, m, lead);
    OpBuilder &b = lb.builder();
    Location loc = lb.location();
    auto quad = VectorType::get({4}, b.getF32Type());
    lb.when(real, [&] {
      for (int64_t j = 0; j < n; j += 4) {
        Value v = vector::FromElementsOp::create(b, loc, quad, values.slice(j, 4));
        auto store = vector::StoreOp::create(b, loc, v, m, cpu::withLast(lead, lb.index(j)));
        store.setAlignment(16);
      }
    });
  }
  // N f32 values of m[lead..., first + j] as 16-byte-aligned 4-wide loads
  // (a staged row of B or C, a chunk's state row).
  SmallVector<Value> quadRow(LoopBuilder &lb, Value m, ValueRange lead, int64_t first) {
    OpBuilder &b = lb.builder();
    auto quad = VectorType::get({4}, b.getF32Type());
    SmallVector<Value> values;
    for (int64_t j = 0; j < n; j += 4) {
      auto v = vector::LoadOp::create(b, lb.location(), quad, m,
                                      cpu::withLast(lead, lb.index(first + j)));
      v.setAlignment(16);
      for (int64_t q = 0; q < 4; ++q)
        values.push_back(vector::ExtractOp::create(b, lb.location(), v, q));
    }
    return values;
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SelectiveScanOp op;
  int64_t n, chunk, unroll, lanes;
  gpu::GPUFuncOp func;
  Value stage; // see stageInSharedMemory
  bool stagedC = false;
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
  SmallVector<Type> extras{unitInnerViewType(ctx, 3, ShapedType::kDynamic, yElement)};
  if (op.getFinalState())
    extras.push_back(unitInnerViewType(ctx, 3, *n));
  // No staging here: a warp walks all of L, and with as few warps as rows
  // / 32 the copies' latency showed (8 x 2048 x 1536: 1.62 -> 1.84 ms).
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
    SmallVector<Value> last =
        k.walk(lb, lanes, s0, bi, iv[1], ch, real, lb.index(0), k.len, k.extra[0]);
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
  Type states = unitInnerViewType(ctx, 4, *n), sums = unitInnerViewType(ctx, 3);
  OpBuilder::InsertionGuard guard(b);

  { // Each chunk's own state (from zero) and its sum of dt.
    ScanKernel k(b, module, op, (name + "_states").str(), {states, sums}, *n, tiling);
    k.stageInSharedMemory(b, /*withC=*/false);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, *n, k.lanes);
    k.eachChunkRow(lanes, [&](Value bi, Value c, Value rows, Value ch, Value real) {
      auto [t0, t1] = k.bounds(lb, c);
      SmallVector<Value> last =
          k.walk(lb, lanes, k.zeros(lb, lanes), bi, rows, ch, real, t0, t1, Value());
      k.storeStateRow(lb, lanes, real, ValueRange(last).drop_back(), k.extra[0], {bi, c, ch});
      lanes.onRowLeader(real, [&] { lb.store(last.back(), k.extra[1], {bi, c, ch}); });
    });
    k.finish(b);
  }
  { // The state entering each chunk, per state element:
    // carry = exp(A * dtsum) * carry + own.
    SmallVector<Type> extras{states, sums};
    if (op.getFinalState())
      extras.push_back(unitInnerViewType(ctx, 3, *n));
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
    Type y = unitInnerViewType(ctx, 3, ShapedType::kDynamic,
                     cast<ShapedType>(op.getY().getType()).getElementType());
    ScanKernel k(b, module, op, (name + "_outputs").str(), {states, y}, *n, tiling);
    k.stageInSharedMemory(b, /*withC=*/true);
    LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
    k.begin(lb);
    RowLanes lanes(lb, *n, k.lanes);
    k.eachChunkRow(lanes, [&](Value bi, Value c, Value rows, Value ch, Value real) {
      SmallVector<Value> entering = k.loadStateRow(lb, lanes, k.extra[0], {bi, c, ch});
      auto [t0, t1] = k.bounds(lb, c);
      k.walk(lb, lanes, entering, bi, rows, ch, real, t0, t1, k.extra[1]);
    });
    k.finish(b);
  }
  return success();
}
