#include "passes/gpu/SSDSequentialKernel.h"

#include "passes/gpu/SSDKernel.h"
#include "passes/gpu/SSDMmaKernels.h"
#include "passes/gpu/WarpMma.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

constexpr int64_t kWarps = kSSDSequentialBlockSize / 32;
/// Tiles of 8 columns of p one task accumulates at most.
constexpr int64_t kMaxTilesPerTask = 4;
constexpr int64_t kMaxSharedBytes = 227 * 1024;
/// Elements each thread stages at once (loads first, then stores).
constexpr int64_t kStageBatch = 40;

// Row strides in shared memory, in floats. Rows of p (S, x): 8 or 24 modulo
// 32, so that B fragments (rows q + 4 i, column g) hit 32 different banks.
// Rows of n (C, B): 4 modulo 32, so that A fragments of C (rows g, columns
// q) and B fragments of B^T (rows q, columns g) do.
int64_t pStride(int64_t p) { return p + (p % 16 == 0 ? 8 : 16); }
int64_t nStride(int64_t n) { return n + 4; }

// The largest divisor of `tiles` that is at most kMaxTilesPerTask.
int64_t tilesPerTask(int64_t tiles) {
  int64_t t = std::min(tiles, kMaxTilesPerTask);
  while (tiles % t != 0)
    --t;
  return t;
}

class SequentialSSD {
public:
  SequentialSSD(OpBuilder &b, SSDKernel &k, LoopBuilder &lb, WarpMma &mma)
      : b(b), k(k), lb(lb), mma(mma), loc(lb.location()),
        p(ssdStaticDim(k.op.getX(), 3)), n(ssdStaticDim(k.op.getB(), 3)),
        pTiles(tilesPerTask(p / 8)), pGroups(p / 8 / pTiles) {
    // Every buffer a view of the dynamic shared memory at a multiple of 16
    // bytes (the backend pairs adjacent accesses into 8-byte ones).
    Type f32 = b.getF32Type();
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    Value base = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface(),
                        workgroup));
    int64_t offset = 0;
    auto view = [&](ArrayRef<int64_t> shape) {
      auto type = MemRefType::get(shape, f32, MemRefLayoutAttrInterface(), workgroup);
      Value v = memref::ViewOp::create(b, loc, type, base, lb.index(offset), ValueRange{});
      offset += 4 * type.getNumElements();
      return v;
    };
    state = view({n, pStride(p)});
    rowsC = view({k.chunk, nStride(n)}), rowsB = view({k.chunk, nStride(n)});
    rowsX = view({k.chunk, pStride(p)});
    dts = view({k.chunk}), cum = view({k.chunk}), weights = view({k.chunk});
  }

  /// Shared memory per block: S, the chunk's rows of C, B and x, and its
  /// dt, cum and weights.
  static int64_t sharedBytes(int64_t chunk, int64_t n, int64_t p) {
    return 4 * (n * pStride(p) + chunk * (2 * nStride(n) + pStride(p) + 3));
  }

  // One (batch, head): S from the initial state, every chunk in order, the
  // final state.
  void walk(Value bi, Value h, Value out, Value finalState) {
    this->bi = bi, this->h = h;
    grp = k.group(lb, h);
    al2 = lb.mul(lb.load(k.a, {h}), lb.f32(M_LOG2E));
    dH = k.d ? lb.load(k.d, {h}) : Value();
    Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value block = lb.index(kSSDSequentialBlockSize);
    // S[n, p] <- initial_state[b, h, p, n]: consecutive threads, consecutive n.
    eachElement(tid, block, [&](Value pi, Value j) {
      Value v = k.init ? lb.load(k.init, {bi, h, pi, j}) : lb.f32(0.0);
      lb.store(v, state, {j, pi});
    });
    barrier();
    lb.loop(lb.index(0), k.chunks, [&](Value c) {
      t0 = lb.muli(c, k.chunkSize);
      t1 = std::get<1>(k.bounds(lb, c));
      stage(tid, {{k.cm, grp, rowsC, n}, {k.bm, grp, rowsB, n}, {k.x, h, rowsX, p}});
      lb.when(isZero(mma.warp), [&] { chunkSums(); });
      barrier();
      tasks(lb.index(k.chunk / 16 * pGroups), [&](Value task) { outputs(task, out); });
      barrier();
      tasks(lb.index(n / 16 * pGroups), [&](Value task) { update(task); });
      barrier();
    });
    if (finalState)
      eachElement(tid, block, [&](Value pi, Value j) {
        lb.store(lb.load(state, {j, pi}), finalState, {bi, h, pi, j});
      });
    // Nobody refills S for the next (batch, head) before it is stored.
    barrier();
  }

private:
  // body(p, n) for every element of S, a thread at a time.
  void eachElement(Value tid, Value block, llvm::function_ref<void(Value, Value)> body) {
    lb.loopBy(tid, lb.index(n * p), block, {}, [&](Value e, ValueRange) {
      body(lb.divi(e, lb.index(n)), lb.remi(e, lb.index(n)));
      return SmallVector<Value>{};
    });
  }

  // rows[s, j] = src[b, t0 + s, head, j] for the chunk's steps (clamped to
  // L - 1) and j < width.
  struct Rows {
    Value src, head, rows;
    int64_t width;
  };
  // Every thread copies its share of each Rows, consecutive threads taking
  // consecutive j; its loads go out in batches before their stores, so
  // that many are in flight at once.
  void stage(Value tid, ArrayRef<Rows> all) {
    SmallVector<std::pair<const Rows *, int64_t>> copies; // (rows, i-th element of a thread)
    for (const Rows &r : all)
      for (int64_t i = 0; i * kSSDSequentialBlockSize < k.chunk * r.width; ++i)
        copies.push_back({&r, i});
    for (size_t first = 0; first < copies.size(); first += kStageBatch) {
      SmallVector<std::pair<Value, Value>> at;
      SmallVector<Value> values;
      for (auto [r, i] : ArrayRef(copies).slice(first).take_front(kStageBatch)) {
        const int64_t total = k.chunk * r->width;
        Value e = lb.addi(tid, lb.index(i * kSSDSequentialBlockSize));
        // Past the chunk: a thread copies its first element again.
        if ((i + 1) * kSSDSequentialBlockSize > total)
          e = arith::SelectOp::create(b, loc, lessThan(e, lb.index(total)), e, tid);
        Value s = lb.divi(e, lb.index(r->width)), j = lb.remi(e, lb.index(r->width));
        at.push_back({s, j});
        values.push_back(lb.load(r->src, {bi, clampTime(lb.addi(t0, s)), r->head, j}));
      }
      for (auto [v, sj, copy] :
           llvm::zip_equal(values, at, ArrayRef(copies).slice(first).take_front(kStageBatch)))
        lb.store(v, copy.first->rows, {sj.first, sj.second});
    }
  }

  // body(task) for task < count, the warps taking them in turn.
  void tasks(Value count, llvm::function_ref<void(Value)> body) {
    lb.loopBy(mma.warp, count, lb.index(kWarps), {}, [&](Value task, ValueRange) {
      body(task);
      return SmallVector<Value>{};
    });
  }

  // Warp 0: the chunk's dt (0 past L) into dts, their inclusive prefix sums
  // into cum, and each step's weight in the chunk's final state into
  // weights. A lane takes `per` consecutive steps; lanes' totals are summed
  // by shuffles.
  void chunkSums() {
    const int64_t per = (k.chunk + 31) / 32;
    SmallVector<Value> steps, dtOf, local;
    Value run = lb.f32(0.0);
    for (int64_t j = 0; j < per; ++j) {
      Value s = lb.addi(lb.muli(mma.lane, lb.index(per)), lb.index(j));
      Value time = lb.addi(t0, s);
      Value real = arith::AndIOp::create(b, loc, lessThan(s, lb.index(k.chunk)),
                                         lessThan(time, k.len));
      Value v = arith::SelectOp::create(b, loc, real, k.delta(lb, bi, clampTime(time), h),
                                        lb.f32(0.0));
      run = lb.add(run, v);
      steps.push_back(s), dtOf.push_back(v), local.push_back(run);
    }
    Value inclusive = run;
    for (int32_t offset = 1; offset < 32; offset *= 2) {
      auto up = gpu::ShuffleOp::create(b, loc, inclusive, offset, int32_t(32),
                                       gpu::ShuffleMode::UP);
      inclusive = arith::SelectOp::create(b, loc, up.getValid(),
                                          lb.add(inclusive, up.getShuffleResult()), inclusive);
    }
    Value before = lb.sub(inclusive, run);
    for (int64_t j = 0; j < per; ++j)
      lb.when(lessThan(steps[j], lb.index(k.chunk)), [&] {
        lb.store(dtOf[j], dts, {steps[j]});
        lb.store(lb.add(before, local[j]), cum, {steps[j]});
      });
    NVVM::SyncWarpOp::create(b, loc, arith::ConstantIntOp::create(b, loc, b.getI32Type(), -1));
    Value total = lb.load(cum, {lb.index(k.chunk - 1)});
    for (int64_t j = 0; j < per; ++j)
      lb.when(lessThan(steps[j], lb.index(k.chunk)), [&] {
        Value rest = lb.sub(total, lb.add(before, local[j]));
        lb.store(lb.mul(decay(rest), dtOf[j]), weights, {steps[j]});
      });
  }

  // y for 16 rows of the chunk and pTiles tiles of 8 p.
  void outputs(Value task, Value out) {
    Value rowTile = lb.divi(task, lb.index(pGroups));
    Value pBase = lb.muli(lb.remi(task, lb.index(pGroups)), lb.index(8 * pTiles));
    Value r0 = lb.muli(rowTile, lb.index(16));
    lb.when(lessThan(lb.addi(t0, r0), k.len), [&] {
      auto pOf = [&](int64_t pt, Value lanePart) {
        return lb.addi(pBase, lb.addi(lb.index(8 * pt), lanePart));
      };
      // The lane's A fragment of C for states [j0, j0 + 8).
      auto rowsOfC = [&](Value j0) {
        SmallVector<Value> cv;
        for (int64_t i = 0; i < 4; ++i)
          cv.push_back(lb.load(rowsC, {lb.addi(r0, mma.aRow(i)), lb.addi(j0, mma.aCol(i))}));
        return mma.operand(cv);
      };
      // Loop bounds read from the sizes, not constants: fully unrolled
      // loops would hoist every load and run out of registers.
      Value kSteps = lb.divi(k.n, lb.index(8));
      SmallVector<Value> inter = lb.loop(
          lb.index(0), kSteps, zeros(4 * pTiles), [&](Value kk, ValueRange it) {
            Value j0 = lb.muli(kk, lb.index(8));
            WarpMma::Operand a = rowsOfC(j0);
            SmallVector<Value> next;
            for (int64_t pt = 0; pt < pTiles; ++pt) {
              Value pi = pOf(pt, mma.bCol());
              WarpMma::Operand s = mma.operand(
                  {lb.load(state, {lb.addi(j0, mma.bRow(0)), pi}),
                   lb.load(state, {lb.addi(j0, mma.bRow(1)), pi})});
              llvm::append_range(next, mma.mma(a, s, it.slice(4 * pt, 4)));
            }
            return next;
          });
      Value cumRow[2] = {lb.load(cum, {lb.addi(r0, mma.cRow(0))}),
                         lb.load(cum, {lb.addi(r0, mma.cRow(2))})};
      Value rowDecay[2] = {decay(cumRow[0]), decay(cumRow[1])};
      SmallVector<Value> yInit;
      for (int64_t i = 0; i < 4 * pTiles; ++i)
        yInit.push_back(lb.mul(inter[i], rowDecay[(i % 4) / 2]));
      // y += M x over the tiles of 8 steps at or below the diagonal, two
      // at a time (there are 2 (rowTile + 1)): two independent chains of
      // products over N for C B^T.
      Value pairs = lb.addi(rowTile, lb.index(1));
      SmallVector<Value> y = lb.loop(
          lb.index(0), pairs, yInit, [&](Value pair, ValueRange it) {
            Value s0[2] = {lb.muli(pair, lb.index(16)),
                           lb.addi(lb.muli(pair, lb.index(16)), lb.index(8))};
            Value step[2] = {lb.addi(s0[0], mma.bCol()), lb.addi(s0[1], mma.bCol())};
            SmallVector<Value> cb = lb.loop(
                lb.index(0), kSteps, zeros(8), [&](Value kk, ValueRange acc) {
                  Value j0 = lb.muli(kk, lb.index(8));
                  WarpMma::Operand c = rowsOfC(j0);
                  SmallVector<Value> next;
                  for (int64_t u = 0; u < 2; ++u) {
                    WarpMma::Operand bt =
                        mma.operand({lb.load(rowsB, {step[u], lb.addi(j0, mma.bRow(0))}),
                                     lb.load(rowsB, {step[u], lb.addi(j0, mma.bRow(1))})});
                    llvm::append_range(next, mma.mma(c, bt, acc.slice(4 * u, 4)));
                  }
                  return next;
                });
            SmallVector<Value> next(it.begin(), it.end());
            for (int64_t u = 0; u < 2; ++u) {
              // Accumulator value i is at (row cRow(i), step cCol(i)).
              SmallVector<Value> m;
              for (int64_t i = 0; i < 4; ++i) {
                Value s = lb.addi(s0[u], mma.cCol(i));
                Value row = lb.addi(r0, mma.cRow(i));
                Value w = lb.mul(decay(lb.sub(cumRow[i / 2], lb.load(cum, {s}))),
                                 lb.load(dts, {s}));
                Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, s, row);
                m.push_back(arith::SelectOp::create(b, loc, below, lb.mul(cb[4 * u + i], w),
                                                    lb.f32(0.0)));
              }
              // As an A operand: (g, 2q), (g + 8, 2q), (g, 2q + 1), (g + 8,
              // 2q + 1), so x's rows are the steps 2q + i.
              WarpMma::Operand a = mma.operand({m[0], m[2], m[1], m[3]});
              Value steps[2] = {lb.addi(s0[u], mma.cCol(0)), lb.addi(s0[u], mma.cCol(1))};
              for (int64_t pt = 0; pt < pTiles; ++pt) {
                Value pi = pOf(pt, mma.bCol());
                WarpMma::Operand xs = mma.operand(
                    {lb.load(rowsX, {steps[0], pi}), lb.load(rowsX, {steps[1], pi})});
                SmallVector<Value> sum = mma.mma(a, xs, ArrayRef(next).slice(4 * pt, 4));
                std::copy(sum.begin(), sum.end(), next.begin() + 4 * pt);
              }
            }
            return next;
          });
      for (int64_t pt = 0; pt < pTiles; ++pt)
        for (int64_t i = 0; i < 4; ++i) {
          Value time = lb.addi(t0, lb.addi(r0, mma.cRow(i)));
          lb.when(lessThan(time, k.len), [&] {
            Value pi = pOf(pt, mma.cCol(i));
            Value xv = lb.load(rowsX, {lb.addi(r0, mma.cRow(i)), pi});
            cpu::emitScanOutput(lb, y[4 * pt + i], dH, xv, k.z, out, {bi, time, h, pi});
          });
        }
    });
  }

  // S[n0 + 16, p tiles] = exp(A cum_last) S + (B w)^T x over the chunk.
  void update(Value task) {
    Value n0 = lb.muli(lb.divi(task, lb.index(pGroups)), lb.index(16));
    Value pBase = lb.muli(lb.remi(task, lb.index(pGroups)), lb.index(8 * pTiles));
    auto pOf = [&](int64_t pt, Value lanePart) {
      return lb.addi(pBase, lb.addi(lb.index(8 * pt), lanePart));
    };
    Value chunkDecay = decay(lb.load(cum, {lb.index(k.chunk - 1)}));
    SmallVector<Value> init;
    for (int64_t pt = 0; pt < pTiles; ++pt)
      for (int64_t i = 0; i < 4; ++i)
        init.push_back(lb.mul(
            lb.load(state, {lb.addi(n0, mma.cRow(i)), pOf(pt, mma.cCol(i))}), chunkDecay));
    // The chunk's steps in tiles of 8 (a bound read from the sizes).
    Value steps = lb.divi(lb.addi(lb.subi(t1, t0), lb.index(7)), lb.index(8));
    SmallVector<Value> acc = lb.loop(
        lb.index(0), steps, init, [&](Value kk, ValueRange it) {
          Value s0 = lb.muli(kk, lb.index(8));
          Value s[2] = {lb.addi(s0, mma.bRow(0)), lb.addi(s0, mma.bRow(1))};
          Value ws[2] = {lb.load(weights, {s[0]}), lb.load(weights, {s[1]})};
          SmallVector<Value> av;
          for (int64_t i = 0; i < 4; ++i)
            av.push_back(
                lb.mul(lb.load(rowsB, {s[i / 2], lb.addi(n0, mma.aRow(i))}), ws[i / 2]));
          WarpMma::Operand a = mma.operand(av);
          SmallVector<Value> next;
          for (int64_t pt = 0; pt < pTiles; ++pt) {
            Value pi = pOf(pt, mma.bCol());
            WarpMma::Operand xs =
                mma.operand({lb.load(rowsX, {s[0], pi}), lb.load(rowsX, {s[1], pi})});
            llvm::append_range(next, mma.mma(a, xs, it.slice(4 * pt, 4)));
          }
          return next;
        });
    for (int64_t pt = 0; pt < pTiles; ++pt)
      for (int64_t i = 0; i < 4; ++i)
        lb.store(acc[4 * pt + i], state, {lb.addi(n0, mma.cRow(i)), pOf(pt, mma.cCol(i))});
  }

  Value clampTime(Value time) {
    return arith::MinUIOp::create(b, loc, time, lb.subi(k.len, lb.index(1)));
  }
  Value lessThan(Value x, Value y) { return lb.cmpi(arith::CmpIPredicate::ult, x, y); }
  Value isZero(Value x) { return lb.cmpi(arith::CmpIPredicate::eq, x, lb.index(0)); }
  // exp(A x) as one ex2.
  Value decay(Value x) { return lb.exp2(lb.mul(al2, x)); }
  SmallVector<Value> zeros(int64_t count) { return SmallVector<Value>(count, lb.f32(0.0)); }
  void barrier() { gpu::BarrierOp::create(b, loc); }

  OpBuilder &b;
  SSDKernel &k;
  LoopBuilder &lb;
  WarpMma &mma;
  Location loc;
  const int64_t p, n, pTiles, pGroups;
  Value state, dts, cum, weights, rowsC, rowsB, rowsX;
  // The (batch, head) and chunk at hand.
  Value bi, h, grp, al2, dH, t0, t1;
};

} // namespace

bool ssm::ssdSequentialApplies(SSDOp op, int64_t chunk) {
  return ssdMmaApplies(op, chunk) && ssdSequentialSharedBytes(op, chunk) <= kMaxSharedBytes;
}

int64_t ssm::ssdSequentialSharedBytes(SSDOp op, int64_t chunk) {
  return SequentialSSD::sharedBytes(chunk, ssdStaticDim(op.getB(), 3),
                                    ssdStaticDim(op.getX(), 3));
}

Value ssm::ssdSequentialChosen(OpBuilder &b, Location loc, Value batch, Value heads,
                               int64_t from) {
  Value pairs = arith::MulIOp::create(b, loc, batch, heads);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, pairs,
                               arith::ConstantIndexOp::create(b, loc, from));
}

LogicalResult ssm::buildSequentialSSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                            StringRef name, int64_t chunk, bool split,
                                            int64_t from) {
  if (!ssdSequentialApplies(op, chunk))
    return op.emitOpError() << "has no sequential SSD kernel for chunks of " << chunk;
  OpBuilder::InsertionGuard guard(b);
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  SmallVector<Type> extras{
      anyViewType(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType())};
  if (op.getFinalState())
    extras.push_back(anyViewType(ctx, 4, f32));
  SSDKernel k(b, module, op, name, extras, chunk, kSSDSequentialBlockSize);
  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  k.begin(lb);
  WarpMma mma(lb, split);
  SequentialSSD walker(b, k, lb, mma);
  Location loc = op.getLoc();
  // A block per (batch, head) with a grid stride; no work when b * H is
  // below `from` (the chunked kernels take it).
  Value pairs = lb.muli(k.batch, k.heads);
  Value count = arith::SelectOp::create(
      b, loc, ssdSequentialChosen(b, loc, k.batch, k.heads, from), pairs, lb.index(0));
  Value first = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value stride = gpu::GridDimOp::create(b, loc, gpu::Dimension::x);
  lb.loopBy(first, count, stride, {}, [&](Value task, ValueRange) {
    walker.walk(lb.divi(task, k.heads), lb.remi(task, k.heads), k.extra[0],
                op.getFinalState() ? k.extra[1] : Value());
    return SmallVector<Value>{};
  });
  k.finish(b);
  return success();
}
