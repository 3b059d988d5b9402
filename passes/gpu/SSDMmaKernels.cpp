#include "passes/gpu/SSDMmaKernels.h"

#include "passes/gpu/BlockRow.h"
#include "passes/gpu/SSDChunkKernels.h"
#include "passes/gpu/SSDKernel.h"
#include "passes/gpu/SSDSequentialKernel.h"
#include "passes/gpu/WarpMma.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

constexpr int64_t kMaxChunk = 128, kMaxP = 128;
constexpr int64_t kStaticSharedBytes = 48 * 1024;

// The shared memory of `_outputs`, per warp: dt and its prefix sums (3 x
// chunk), the C B^T strip (16 x (chunk + 4)) and the rows of C (16 x (N + 4)).
int64_t outputsSharedBytesPerWarp(int64_t chunk, int64_t n) {
  return 4 * (3 * chunk + 16 * (chunk + 4) + 16 * (n + 4));
}

// The scaffolding both kernels share: warp-wide tasks, each warp's own
// shared buffers, the chunk's prefix sums of dt. Warps never wait for each
// other, so one task is a (batch, chunk, head, tile) of one warp.
class ChunkWarp {
public:
  ChunkWarp(OpBuilder &b, SSDKernel &k, LoopBuilder &lb, WarpMma &mma, int64_t blockSize,
            int64_t sequentialFrom)
      : b(b), k(k), lb(lb), mma(mma), loc(lb.location()), warps(blockSize / 32),
        sequentialFrom(sequentialFrom) {}

  // A buffer of `shape` for each warp of the block.
  Value shared(ArrayRef<int64_t> shape) {
    SmallVector<int64_t> perWarp{warps};
    perWarp.append(shape.begin(), shape.end());
    return BlockRow::sharedBuffer(k.func, b.getF32Type(), perWarp);
  }

  // The (batch, chunk, head, tile < tiles) tasks, one warp at a time with a
  // grid stride; none where the sequential kernel takes the launch.
  void tasks(int64_t tiles, llvm::function_ref<void(Value, Value, Value, Value)> body) {
    Value total = lb.muli(lb.muli(lb.muli(k.batch, k.chunks), k.heads), lb.index(tiles));
    if (sequentialFrom > 0)
      total = arith::SelectOp::create(
          b, loc, ssdSequentialChosen(b, loc, k.batch, k.heads, sequentialFrom), lb.index(0),
          total);
    Value blockWarp = lb.muli(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x), lb.index(warps));
    Value gridWarps = lb.muli(gpu::GridDimOp::create(b, loc, gpu::Dimension::x), lb.index(warps));
    auto loop = scf::ForOp::create(b, loc, lb.addi(blockWarp, mma.warp), total, gridWarps);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    Value task = loop.getInductionVar();
    Value tile = lb.remi(task, lb.index(tiles));
    Value rest = lb.divi(task, lb.index(tiles));
    Value h = lb.remi(rest, k.heads);
    rest = lb.divi(rest, k.heads);
    body(lb.divi(rest, k.chunks), lb.remi(rest, k.chunks), h, tile);
    // The warp's lanes are done with its buffers before the next task.
    warpSync();
  }

  // body(s) for each step s < T of the chunk, s = slot * 32 + lane.
  void eachStep(llvm::function_ref<void(Value)> body) {
    for (int64_t slot = 0; slot * 32 < k.chunk; ++slot) {
      Value s = lb.addi(lb.index(slot * 32), mma.lane);
      lb.when(lessThan(s, lb.index(k.chunk)), [&] { body(s); });
    }
  }

  // dt of the chunk's steps into dts[warp][T] (0 past L) and their
  // inclusive prefix sums into cum[warp][2][T] (Hillis-Steele, ping-pong);
  // returns the half of cum that holds them.
  Value prefixSums(Value bi, Value h, Value t0, Value dts, Value cum) {
    Value w = mma.warp;
    eachStep([&](Value s) {
      Value time = lb.addi(t0, s);
      Value step = k.delta(lb, bi, clampTime(time), h);
      step = arith::SelectOp::create(b, loc, lessThan(time, k.len), step, lb.f32(0.0));
      lb.store(step, dts, {w, s});
      lb.store(step, cum, {w, lb.index(0), s});
    });
    warpSync();
    int64_t src = 0;
    for (int64_t off = 1; off < k.chunk; off *= 2, src = 1 - src) {
      eachStep([&](Value s) {
        Value reaches = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, s,
                                              lb.index(off));
        Value at = arith::SelectOp::create(b, loc, reaches, lb.subi(s, lb.index(off)), s);
        Value other = lb.load(cum, {w, lb.index(src), at});
        Value sum = lb.add(lb.load(cum, {w, lb.index(src), s}),
                           arith::SelectOp::create(b, loc, reaches, other, lb.f32(0.0)));
        lb.store(sum, cum, {w, lb.index(1 - src), s});
      });
      warpSync();
    }
    return lb.index(src);
  }

  // A step of the sequence clamped to L - 1: loads past L read real memory
  // (their weight dt is 0).
  Value clampTime(Value time) {
    return arith::MinUIOp::create(b, loc, time, lb.subi(k.len, lb.index(1)));
  }

  Value lessThan(Value x, Value y) { return lb.cmpi(arith::CmpIPredicate::ult, x, y); }
  void warpSync() {
    NVVM::SyncWarpOp::create(b, loc,
                             arith::ConstantIntOp::create(b, loc, b.getI32Type(), -1));
  }

  // exp(A x) as one ex2: `al2` is A log2(e).
  Value decay(Value al2, Value x) { return lb.exp2(lb.mul(al2, x)); }

  OpBuilder &b;
  SSDKernel &k;
  LoopBuilder &lb;
  WarpMma &mma;
  Location loc;
  int64_t warps;
  int64_t sequentialFrom;
};

Value log2eTimes(LoopBuilder &lb, Value a) { return lb.mul(a, lb.f32(M_LOG2E)); }

SmallVector<Value> zeros(LoopBuilder &lb, int64_t count) {
  return SmallVector<Value>(count, lb.f32(0.0));
}

void buildStates(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
                 int64_t chunk, bool split, int64_t sequentialFrom) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  SSDKernel k(b, module, op, name,
              {anyViewType(ctx, 5, f32), anyViewType(ctx, 3, f32)}, chunk, kSSDBlockSize);
  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  k.begin(lb);
  WarpMma mma(lb, split);
  ChunkWarp cw(b, k, lb, mma, kSSDBlockSize, sequentialFrom);
  const int64_t pTiles = ssdStaticDim(op.getX(), 3) / 8, nTiles = ssdStaticDim(op.getB(), 3) / 16;
  Value dts = cw.shared({chunk}), cum = cw.shared({2, chunk}), w = cw.shared({chunk});
  Value states = k.extra[0], sums = k.extra[1];

  Value wp = mma.warp;
  // A warp per (batch, chunk, head) and 16 states: S[n0 + 16, :] = (B w)^T x
  // over the chunk.
  cw.tasks(nTiles, [&](Value bi, Value c, Value h, Value tile) {
    Value t0 = lb.muli(c, k.chunkSize);
    Value g = k.group(lb, h);
    Value al2 = log2eTimes(lb, lb.load(k.a, {h}));
    Value half = cw.prefixSums(bi, h, t0, dts, cum);
    Value total = lb.load(cum, {wp, half, lb.index(chunk - 1)});
    // Each step's weight in the chunk's final state.
    cw.eachStep([&](Value s) {
      Value rest = lb.sub(total, lb.load(cum, {wp, half, s}));
      lb.store(lb.mul(cw.decay(al2, rest), lb.load(dts, {wp, s})), w, {wp, s});
    });
    Value first = arith::AndIOp::create(
        b, cw.loc, cw.lessThan(tile, lb.index(1)), cw.lessThan(mma.lane, lb.index(1)));
    lb.when(first, [&] { lb.store(total, sums, {bi, c, h}); });
    cw.warpSync();
    // The chunk's steps in tiles of 8 (a bound read from the sizes: a
    // constant trip count would be unrolled, hoisting every load).
    Value steps = lb.divi(lb.addi(lb.subi(std::get<1>(k.bounds(lb, c)), t0), lb.index(7)),
                          lb.index(8));
    Value n0 = lb.muli(tile, lb.index(16));
    SmallVector<Value> acc = lb.loop(
        lb.index(0), steps, zeros(lb, 4 * pTiles),
        [&](Value kk, ValueRange it) {
          Value s0 = lb.muli(kk, lb.index(8));
          Value s[2] = {lb.addi(s0, mma.bRow(0)), lb.addi(s0, mma.bRow(1))};
          Value time[2] = {cw.clampTime(lb.addi(t0, s[0])), cw.clampTime(lb.addi(t0, s[1]))};
          Value ws[2] = {lb.load(w, {wp, s[0]}), lb.load(w, {wp, s[1]})};
          SmallVector<Value> av;
          for (int64_t i = 0; i < 4; ++i)
            av.push_back(lb.mul(lb.load(k.bm, {bi, time[i / 2], g, lb.addi(n0, mma.aRow(i))}),
                                ws[i / 2]));
          WarpMma::Operand a = mma.operand(av);
          SmallVector<Value> next;
          for (int64_t pt = 0; pt < pTiles; ++pt) {
            Value p = lb.addi(lb.index(8 * pt), mma.bCol());
            WarpMma::Operand bx = mma.operand(
                {lb.load(k.x, {bi, time[0], h, p}), lb.load(k.x, {bi, time[1], h, p})});
            llvm::append_range(next, mma.mma(a, bx, it.slice(4 * pt, 4)));
          }
          return next;
        });
    for (int64_t pt = 0; pt < pTiles; ++pt)
      for (int64_t i = 0; i < 4; ++i)
        lb.store(acc[4 * pt + i], states,
                 {bi, c, h, lb.addi(n0, mma.cRow(i)), lb.addi(lb.index(8 * pt), mma.cCol(i))});
  });
  k.finish(b);
}

void buildOutputs(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
                  int64_t chunk, bool split, int64_t sequentialFrom) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Type y = anyViewType(ctx, 4, cast<ShapedType>(op.getY().getType()).getElementType());
  SSDKernel k(b, module, op, name, {anyViewType(ctx, 5, f32), y}, chunk,
              kSSDOutputsBlockSize);
  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  k.begin(lb);
  WarpMma mma(lb, split);
  ChunkWarp cw(b, k, lb, mma, kSSDOutputsBlockSize, sequentialFrom);
  const int64_t pTiles = ssdStaticDim(op.getX(), 3) / 8;
  const int64_t n = ssdStaticDim(op.getB(), 3);
  const int64_t groupTiles = pTiles % 4 == 0 ? 4 : pTiles % 3 == 0 ? 3 : pTiles % 2 == 0 ? 2 : 1;
  Value dts = cw.shared({chunk}), cum = cw.shared({2, chunk});
  // Each warp's strip of the masked C B^T, rows padded by 4 so the fragment
  // reads of a warp hit 32 different banks.
  Value strip = cw.shared({16, chunk + 4});
  // Each warp's 16 rows of C, read by every product below: staged once with
  // coalesced loads; rows padded by 4 like the strip.
  Value rowsC = cw.shared({16, n + 4});
  Value states = k.extra[0], out = k.extra[1];
  Value wp = mma.warp;

  // A warp per (batch, chunk, head) and 16 rows (steps) of the chunk.
  cw.tasks(chunk / 16, [&](Value bi, Value c, Value h, Value tile) {
    Value t0 = lb.muli(c, k.chunkSize);
    Value g = k.group(lb, h);
    Value al2 = log2eTimes(lb, lb.load(k.a, {h}));
    Value dH = k.d ? lb.load(k.d, {h}) : Value();
    Value half = cw.prefixSums(bi, h, t0, dts, cum);
    // Loop bounds read from the sizes, not constants: fully unrolled loops
    // would hoist every load and run out of registers.
    Value kSteps = lb.divi(k.n, lb.index(8));
    Value r0 = lb.muli(tile, lb.index(16));
    // Column tiles of C B^T at or below the diagonal: s < r0 + 16.
    Value causal = lb.muli(lb.addi(tile, lb.index(1)), lb.index(2));
    lb.loop(lb.index(0), lb.index(16), [&](Value r) {
      Value time = cw.clampTime(lb.addi(t0, lb.addi(r0, r)));
      for (int64_t j = 0; j < n; j += 32) {
        Value col = lb.addi(lb.index(j), mma.lane);
        lb.when(cw.lessThan(col, lb.index(n)),
                [&] { lb.store(lb.load(k.cm, {bi, time, g, col}), rowsC, {wp, r, col}); });
      }
    });
    cw.warpSync();
    // The lane's A fragment of C for states [j0, j0 + 8).
    auto rowsOfC = [&](Value j0) {
      SmallVector<Value> cv;
      for (int64_t i = 0; i < 4; ++i)
        cv.push_back(lb.load(rowsC, {wp, mma.aRow(i), lb.addi(j0, mma.aCol(i))}));
      return cv;
    };
    Value cumRow[2] = {lb.load(cum, {wp, half, lb.addi(r0, mma.cRow(0))}),
                       lb.load(cum, {wp, half, lb.addi(r0, mma.cRow(2))})};
    // The strip of C B^T at or below the diagonal, one 16 x 8 tile at a
    // time (few registers), masked to s <= t and weighted by the decay
    // from s to t and by dt_s, into shared memory.
    lb.loop(lb.index(0), causal, [&](Value st) {
      Value s0 = lb.muli(st, lb.index(8));
      Value time = cw.clampTime(lb.addi(t0, lb.addi(s0, mma.bCol())));
      SmallVector<Value> cb = lb.loop(
          lb.index(0), kSteps, zeros(lb, 4), [&](Value kk, ValueRange it) {
            Value j0 = lb.muli(kk, lb.index(8));
            WarpMma::Operand a = mma.operand(rowsOfC(j0));
            WarpMma::Operand bb =
                mma.operand({lb.load(k.bm, {bi, time, g, lb.addi(j0, mma.bRow(0))}),
                             lb.load(k.bm, {bi, time, g, lb.addi(j0, mma.bRow(1))})});
            return mma.mma(a, bb, it);
          });
      for (int64_t i = 0; i < 4; ++i) {
        Value s = lb.addi(s0, mma.cCol(i));
        Value row = lb.addi(r0, mma.cRow(i));
        Value weight =
            lb.mul(cw.decay(al2, lb.sub(cumRow[i / 2], lb.load(cum, {wp, half, s}))),
                   lb.load(dts, {wp, s}));
        Value below = arith::CmpIOp::create(b, cw.loc, arith::CmpIPredicate::ule, s, row);
        Value m = arith::SelectOp::create(b, cw.loc, below, lb.mul(cb[i], weight),
                                          lb.f32(0.0));
        lb.store(m, strip, {mma.warp, mma.cRow(i), s});
      }
    });
    cw.warpSync();
    Value rowDecay[2] = {cw.decay(al2, cumRow[0]), cw.decay(al2, cumRow[1])};
    // y for `groupTiles` tiles of 8 p at a time (a bounded number of
    // accumulators and loads in flight).
    lb.loop(lb.index(0), lb.index(pTiles / groupTiles), [&](Value group) {
      Value pBase = lb.muli(group, lb.index(8 * groupTiles));
      auto pOf = [&](int64_t pt, Value lanePart) {
        return lb.addi(pBase, lb.addi(lb.index(8 * pt), lanePart));
      };
      // y starts as C S_in, each row decayed from the chunk's start.
      SmallVector<Value> inter = lb.loop(
          lb.index(0), kSteps, zeros(lb, 4 * groupTiles), [&](Value kk, ValueRange it) {
            Value j0 = lb.muli(kk, lb.index(8));
            WarpMma::Operand a = mma.operand(rowsOfC(j0));
            Value j[2] = {lb.addi(j0, mma.bRow(0)), lb.addi(j0, mma.bRow(1))};
            SmallVector<Value> next;
            for (int64_t pt = 0; pt < groupTiles; ++pt) {
              Value p = pOf(pt, mma.bCol());
              WarpMma::Operand bs = mma.operand({lb.load(states, {bi, c, h, j[0], p}),
                                                 lb.load(states, {bi, c, h, j[1], p})});
              llvm::append_range(next, mma.mma(a, bs, it.slice(4 * pt, 4)));
            }
            return next;
          });
      SmallVector<Value> yInit;
      for (int64_t i = 0; i < 4 * groupTiles; ++i)
        yInit.push_back(lb.mul(inter[i], rowDecay[(i % 4) / 2]));
      // y += strip x over the steps at or below the diagonal.
      SmallVector<Value> yAcc =
          lb.loop(lb.index(0), causal, yInit, [&](Value kk, ValueRange it) {
            Value s0 = lb.muli(kk, lb.index(8));
            SmallVector<Value> mv;
            for (int64_t i = 0; i < 4; ++i)
              mv.push_back(lb.load(strip, {mma.warp, mma.aRow(i), lb.addi(s0, mma.aCol(i))}));
            WarpMma::Operand a = mma.operand(mv);
            Value time[2] = {cw.clampTime(lb.addi(t0, lb.addi(s0, mma.bRow(0)))),
                             cw.clampTime(lb.addi(t0, lb.addi(s0, mma.bRow(1))))};
            SmallVector<Value> next;
            for (int64_t pt = 0; pt < groupTiles; ++pt) {
              Value p = pOf(pt, mma.bCol());
              WarpMma::Operand bx = mma.operand(
                  {lb.load(k.x, {bi, time[0], h, p}), lb.load(k.x, {bi, time[1], h, p})});
              llvm::append_range(next, mma.mma(a, bx, it.slice(4 * pt, 4)));
            }
            return next;
          });
      for (int64_t pt = 0; pt < groupTiles; ++pt)
        for (int64_t i = 0; i < 4; ++i) {
          Value time = lb.addi(t0, lb.addi(r0, mma.cRow(i)));
          lb.when(cw.lessThan(time, k.len), [&] {
            Value p = pOf(pt, mma.cCol(i));
            Value xv = lb.load(k.x, {bi, time, h, p});
            cpu::emitScanOutput(lb, yAcc[4 * pt + i], dH, xv, k.z, out, {bi, time, h, p});
          });
        }
    });
  });
  k.finish(b);
}

} // namespace

bool ssm::ssdMmaApplies(SSDOp op, int64_t chunk) {
  int64_t p = ssdStaticDim(op.getX(), 3), n = ssdStaticDim(op.getB(), 3);
  return !ShapedType::isDynamic(p) && !ShapedType::isDynamic(n) && p % 8 == 0 &&
         p <= kMaxP && n % 16 == 0 && chunk % 16 == 0 && chunk > 0 && chunk <= kMaxChunk &&
         kSSDOutputsBlockSize / 32 * outputsSharedBytesPerWarp(chunk, n) <= kStaticSharedBytes;
}

LogicalResult ssm::buildMmaSSDKernels(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op,
                                      StringRef name, int64_t chunk, bool split,
                                      int64_t sequentialFrom) {
  if (!ssdMmaApplies(op, chunk))
    return op.emitOpError() << "has no tensor-core SSD kernels for chunks of " << chunk;
  OpBuilder::InsertionGuard guard(b);
  buildStates(b, module, op, (name + "_states").str(), chunk, split, sequentialFrom);
  buildOutputs(b, module, op, (name + "_outputs").str(), chunk, split, sequentialFrom);
  return success();
}
