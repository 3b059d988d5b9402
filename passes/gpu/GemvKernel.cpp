#include "passes/gpu/GemvKernel.h"

#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/BlockRow.h"
#include "passes/gpu/GpuKernelFunc.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

namespace {

constexpr int64_t kWarp = 32;
constexpr int64_t kVectorBytes = 16;

} // namespace

const char *ssm::gemvWeightName(GemvWeight weight) {
  return weight == GemvWeight::BF16 ? "bf16" : "f32";
}

int64_t ssm::gemvStretch(GemvWeight weight) {
  return kWarp * kVectorBytes / (weight == GemvWeight::BF16 ? 2 : 4);
}

std::string ssm::gemvKernelName(GemvWeight weight, int64_t rows) {
  return std::string("ssmc_gemv_") + gemvWeightName(weight) + "_m" + std::to_string(rows);
}

gpu::GPUFuncOp ssm::buildGemvKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                                    GemvWeight which, int64_t rows,
                                    int64_t stretchesPerWarp) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Type weight = which == GemvWeight::BF16 ? b.getBF16Type() : f32;
  // a and w with unit innermost strides, which the vector loads need.
  const int64_t any = ShapedType::kDynamic;
  SmallVector<Type> types{unitInnerViewType(ctx, 2, any, f32),
                          unitInnerViewType(ctx, 2, any, weight), anyViewType(ctx, 1, f32),
                          anyViewType(ctx, 2, f32)};
  OpBuilder::InsertionGuard guard(b);
  auto func = createGpuKernel(b, module, loc, gemvKernelName(which, rows), types,
                              kGemvBlockSize);
  ValueRange args = func.getBody().front().getArguments();
  Value a = args[0], w = args[1], bias = args[2], c = args[3];

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  const int64_t width = kVectorBytes / (weight.getIntOrFloatBitWidth() / 8);
  const int64_t stretch = gemvStretch(which);
  auto wVector = VectorType::get({width}, weight);
  auto fVector = VectorType::get({width}, f32);

  const int64_t warps = kGemvBlockSize / kWarp;
  // The warps' partial sums of each row of the tile, summed by the first
  // threads.
  Value partials = BlockRow::sharedBuffer(func, f32, {warps * rows});
  auto x = gpu::Dimension::x;
  Value tid = gpu::ThreadIdOp::create(b, loc, x);
  Value lane = lb.remi(tid, lb.index(kWarp));
  Value warp = lb.divi(tid, lb.index(kWarp));

  Value m = lb.dim(a, 0), k = lb.dim(a, 1), n = lb.dim(w, 0);
  Value hasBias = lb.cmpi(arith::CmpIPredicate::ugt, lb.dim(bias, 0), lb.index(0));
  // The tile's rows of a, clamped so that every load is in bounds.
  Value lastRow = lb.subi(m, lb.index(1));
  SmallVector<Value> aRows;
  for (int64_t r = 0; r < rows; ++r)
    aRows.push_back(arith::MinUIOp::create(b, loc, lb.index(r), lastRow));
  // S warps share a row: the smallest power of two (at most 8) that leaves
  // each of them at most P stretches. A block takes 8 / S rows.
  const int64_t perWarp = stretchesPerWarp;
  Value rowStretches = lb.ceilDiv(k, lb.index(stretch));
  Value split = lb.index(warps);
  for (int64_t s = warps / 2; s >= 1; s /= 2)
    split = arith::SelectOp::create(
        b, loc, lb.cmpi(arith::CmpIPredicate::ule, rowStretches, lb.index(s * perWarp)),
        lb.index(s), split);
  Value rowsPerBlock = lb.divi(lb.index(warps), split);
  Value rowInBlock = lb.divi(warp, split), slice = lb.remi(warp, split);
  // The row's stretches go to its warps in turn: this lane's first element
  // and its number of stretches (0 when k is shorter than the lanes before
  // it cover).
  Value step = lb.muli(split, lb.index(stretch));
  Value first = lb.addi(lb.muli(slice, lb.index(stretch)), lb.muli(lane, lb.index(width)));
  Value stretches =
      lb.ceilDiv(lb.subi(k, arith::MinUIOp::create(b, loc, first, k)), step);
  Value groups = lb.ceilDiv(stretches, lb.index(perWarp));
  Value lastStretch = lb.subi(stretches, lb.index(1)); // used only when groups > 0
  Value zeros = arith::ConstantOp::create(b, loc, fVector, DenseElementsAttr::get(fVector, 0.0f));

  // Grid-stride over groups of rowsPerBlock rows.
  auto forOp = scf::ForOp::create(b, loc, gpu::BlockIdOp::create(b, loc, x),
                                  lb.ceilDiv(n, rowsPerBlock), gpu::GridDimOp::create(b, loc, x));
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  Value row = lb.addi(lb.muli(forOp.getInductionVar(), rowsPerBlock), rowInBlock);
  Value wRow = arith::MinUIOp::create(b, loc, row, lb.subi(n, lb.index(1)));
  // P stretches at a time: every load of the group is issued before any
  // product waits on one. Stretches past this lane's last are clamped to it
  // (loaded again, never added).
  auto group = [&](Value g, ValueRange accs) {
    Value base = lb.muli(g, lb.index(perWarp));
    SmallVector<Value> weights, activations;
    for (int64_t u = 0; u < perWarp; ++u) {
      Value s = arith::MinUIOp::create(b, loc, lb.addi(base, lb.index(u)), lastStretch);
      Value column = lb.addi(first, lb.muli(s, step));
      auto wv = vector::LoadOp::create(b, loc, wVector, w, ValueRange{wRow, column});
      wv.setAlignment(kVectorBytes);
      weights.push_back(wv);
      for (int64_t r = 0; r < rows; ++r) {
        auto xv = vector::LoadOp::create(b, loc, fVector, a, ValueRange{aRows[r], column});
        xv.setAlignment(kVectorBytes);
        activations.push_back(xv);
      }
    }
    SmallVector<Value> next(accs);
    for (int64_t u = 0; u < perWarp; ++u) {
      Value wv = weights[u];
      if (weight != f32)
        wv = arith::ExtFOp::create(b, loc, fVector, wv);
      Value valid =
          lb.cmpi(arith::CmpIPredicate::ult, lb.addi(base, lb.index(u)), stretches);
      for (int64_t r = 0; r < rows; ++r) {
        Value sum = vector::FMAOp::create(b, loc, wv, activations[u * rows + r], next[r]);
        next[r] = arith::SelectOp::create(b, loc, valid, sum, next[r]);
      }
    }
    return next;
  };
  SmallVector<Value> accs = lb.loop(lb.index(0), groups, SmallVector<Value>(rows, zeros), group);

  SmallVector<Value> sums;
  for (Value acc : accs) {
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
    for (int64_t offset = kWarp / 2; offset > 0; offset /= 2) {
      auto other = gpu::ShuffleOp::create(b, loc, sum, int32_t(offset), int32_t(kWarp),
                                          gpu::ShuffleMode::XOR);
      sum = lb.add(sum, other.getShuffleResult());
    }
    sums.push_back(sum);
  }
  lb.when(lb.cmpi(arith::CmpIPredicate::eq, lane, lb.index(0)), [&] {
    for (int64_t r = 0; r < rows; ++r)
      lb.storeRaw(sums[r], partials, {lb.addi(lb.muli(warp, lb.index(rows)), lb.index(r))});
  });
  gpu::BarrierOp::create(b, loc);
  // Thread t < rowsPerBlock * rows sums tile row t % rows of the block's row
  // t / rows over its S warps (consecutive) and stores it.
  Value mine = lb.divi(tid, lb.index(rows)), r = lb.remi(tid, lb.index(rows));
  Value outRow = lb.addi(lb.muli(forOp.getInductionVar(), rowsPerBlock), mine);
  Value stores = lb.cmpi(arith::CmpIPredicate::ult, tid, lb.muli(rowsPerBlock, lb.index(rows)));
  stores = arith::AndIOp::create(b, loc, stores,
                                 lb.cmpi(arith::CmpIPredicate::ult, outRow, n));
  stores = arith::AndIOp::create(b, loc, stores, lb.cmpi(arith::CmpIPredicate::ult, r, m));
  lb.when(stores, [&] {
    Value sum = lb.when(hasBias, lb.f32(0.0), [&] { return lb.load(bias, {outRow}); });
    Value firstWarp = lb.muli(mine, split);
    sum = lb.reduce(lb.index(0), split, sum, [&](Value j, Value acc) {
      Value at = lb.addi(lb.muli(lb.addi(firstWarp, j), lb.index(rows)), r);
      return lb.add(acc, lb.loadRaw(partials, {at}));
    });
    lb.store(sum, c, {r, outRow});
  });
  // The next rows reuse the partial sums' buffer.
  gpu::BarrierOp::create(b, loc);
  b.setInsertionPointAfter(forOp);
  gpu::ReturnOp::create(b, loc);
  return func;
}
