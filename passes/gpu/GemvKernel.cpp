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
  return fusedGemvKernelName("ssmc_gemv", weight, rows);
}

std::string ssm::fusedGemvKernelName(StringRef family, GemvWeight weight, int64_t rows) {
  return family.str() + "_" + gemvWeightName(weight) + "_m" + std::to_string(rows);
}

std::optional<FusedGemvName> ssm::parseFusedGemvKernelName(StringRef name) {
  if (!name.starts_with(kFusedGemvPrefix))
    return std::nullopt;
  for (GemvWeight weight : kGemvWeights)
    for (int64_t rows : kGemvRowTiles) {
      std::string suffix = fusedGemvKernelName("", weight, rows);
      if (name.ends_with(suffix))
        return FusedGemvName{name.drop_back(suffix.size()).str(), weight, rows};
    }
  return std::nullopt;
}

namespace {

// A lane's f32 vector summed over the warp (a butterfly of shuffles).
Value warpSum(OpBuilder &b, Location loc, LoopBuilder &lb, Value vector) {
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, vector);
  for (int64_t offset = kWarp / 2; offset > 0; offset /= 2) {
    auto other = gpu::ShuffleOp::create(b, loc, sum, int32_t(offset), int32_t(kWarp),
                                        gpu::ShuffleMode::XOR);
    sum = lb.add(sum, other.getShuffleResult());
  }
  return sum;
}

// The product alone (fusion null; arguments a, w, bias, c) or with the
// decode step's norm before it and its conv after it (GemvKernel.h).
gpu::GPUFuncOp buildSkinnyGemm(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                               const std::string &name, GemvWeight which, int64_t rows,
                               int64_t stretchesPerWarp, const GemvFusion *fusion) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Type weight = which == GemvWeight::BF16 ? b.getBF16Type() : f32;
  const int64_t any = ShapedType::kDynamic;
  // What the vector loads and stores touch has unit innermost strides.
  auto unit = [&](int64_t rank, Type t) { return unitInnerViewType(ctx, rank, any, t); };
  auto view = [&](int64_t rank) { return anyViewType(ctx, rank, f32); };
  SmallVector<Type> types{unit(2, f32), unit(2, weight)};
  if (fusion) {
    types.push_back(unit(1, f32)); // the norm's weight
    if (fusion->residual)
      types.push_back(unit(2, f32));
    if (fusion->bias)
      types.push_back(view(1));
    types.append({view(3), view(2)}); // conv state, conv weight
    if (fusion->convBias)
      types.push_back(view(1));
    types.push_back(view(2)); // c
    if (fusion->residual)
      types.push_back(unit(2, f32)); // the residual sum
    types.append({view(2), view(3)}); // conv output, new conv state
  } else {
    types.append({view(1), view(2)}); // bias, c
  }
  OpBuilder::InsertionGuard guard(b);
  auto func = createGpuKernel(b, module, loc, name, types, kGemvBlockSize);
  ValueRange args = func.getBody().front().getArguments();
  Value a = args[0], w = args[1];
  Value normWeight, residual, bias, convState, convWeight, convBias, c, sumOut, convOut,
      newState;
  if (fusion) {
    size_t i = 2;
    normWeight = args[i++];
    if (fusion->residual)
      residual = args[i++];
    if (fusion->bias)
      bias = args[i++];
    convState = args[i++], convWeight = args[i++];
    if (fusion->convBias)
      convBias = args[i++];
    c = args[i++];
    if (fusion->residual)
      sumOut = args[i++];
    convOut = args[i++], newState = args[i++];
  } else {
    bias = args[2], c = args[3];
  }

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  const int64_t width = kVectorBytes / (weight.getIntOrFloatBitWidth() / 8);
  const int64_t stretch = gemvStretch(which);
  auto wVector = VectorType::get({width}, weight);
  auto fVector = VectorType::get({width}, f32);

  const int64_t warps = kGemvBlockSize / kWarp;
  // The warps' partial sums of each row of the tile, summed by the first
  // threads; fused, the sums of squares of the staged rows after them.
  const int64_t sums = fusion ? 2 : 1;
  Value partials = BlockRow::sharedBuffer(func, f32, {sums * warps * rows});
  auto x = gpu::Dimension::x;
  Value tid = gpu::ThreadIdOp::create(b, loc, x);
  Value lane = lb.remi(tid, lb.index(kWarp));
  Value warp = lb.divi(tid, lb.index(kWarp));
  auto vectorLoad = [&](Type type, Value from, ValueRange at) -> Value {
    auto v = vector::LoadOp::create(b, loc, type, from, at);
    v.setAlignment(kVectorBytes);
    return v;
  };
  auto vectorStore = [&](Value v, Value to, ValueRange at) {
    vector::StoreOp::create(b, loc, v, to, at).setAlignment(kVectorBytes);
  };
  Value zeros = arith::ConstantOp::create(b, loc, fVector, DenseElementsAttr::get(fVector, 0.0f));

  Value m = lb.dim(a, 0), k = lb.dim(a, 1), n = lb.dim(w, 0);
  Value hasBias = fusion ? Value() : lb.cmpi(arith::CmpIPredicate::ugt, lb.dim(bias, 0), lb.index(0));
  // The tile's rows of a, clamped so that every load is in bounds.
  Value lastRow = lb.subi(m, lb.index(1));
  SmallVector<Value> aRows;
  for (int64_t r = 0; r < rows; ++r)
    aRows.push_back(arith::MinUIOp::create(b, loc, lb.index(r), lastRow));

  // Fused: the block first stages the rows the product reads, (x + r) * g
  // for each row of the tile, in shared memory ([rows, k] f32, dynamic),
  // and their sums of squares, so that its lanes then hold only w and the
  // staged pieces in flight (loading x, r and g next to w took 201
  // registers). The first block stores x + r.
  Value stage;
  if (fusion) {
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Value bytes = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({any}, b.getI8Type(), MemRefLayoutAttrInterface(), workgroup));
    stage = memref::ViewOp::create(
        b, loc, MemRefType::get({any}, f32, MemRefLayoutAttrInterface(), workgroup), bytes,
        lb.index(0), ValueRange{lb.muli(lb.index(rows), k)});
    auto quad = VectorType::get({4}, f32);
    Value quadZeros = arith::ConstantOp::create(b, loc, quad, DenseElementsAttr::get(quad, 0.0f));
    Value storesSum;
    if (fusion->residual)
      storesSum = lb.cmpi(arith::CmpIPredicate::eq, gpu::BlockIdOp::create(b, loc, x),
                          lb.index(0));
    SmallVector<Value> squares = lb.loopBy(
        lb.muli(tid, lb.index(4)), k, lb.index(4 * kGemvBlockSize),
        SmallVector<Value>(rows, quadZeros), [&](Value j, ValueRange accs) {
          Value scale = vectorLoad(quad, normWeight, {j});
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value v = vectorLoad(quad, a, {aRows[r], j});
            if (residual) {
              v = arith::AddFOp::create(b, loc, v, vectorLoad(quad, residual, {aRows[r], j}));
              lb.when(arith::AndIOp::create(b, loc, storesSum,
                                            lb.cmpi(arith::CmpIPredicate::ult, lb.index(r), m)),
                      [&] { vectorStore(v, sumOut, {lb.index(r), j}); });
            }
            next.push_back(vector::FMAOp::create(b, loc, v, v, accs[r]));
            vectorStore(arith::MulFOp::create(b, loc, v, scale), stage,
                        {lb.addi(lb.muli(lb.index(r), k), j)});
          }
          return next;
        });
    SmallVector<Value> warpSquares;
    for (Value s : squares)
      warpSquares.push_back(warpSum(b, loc, lb, s));
    lb.when(lb.cmpi(arith::CmpIPredicate::eq, lane, lb.index(0)), [&] {
      for (int64_t r = 0; r < rows; ++r) // [1][warp][row]
        lb.storeRaw(warpSquares[r], partials,
                    {lb.addi(lb.index(warps * rows), lb.addi(lb.muli(warp, lb.index(rows)),
                                                              lb.index(r)))});
    });
    gpu::BarrierOp::create(b, loc);
  }
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

  // Grid-stride over groups of rowsPerBlock rows.
  auto forOp = scf::ForOp::create(b, loc, gpu::BlockIdOp::create(b, loc, x),
                                  lb.ceilDiv(n, rowsPerBlock), gpu::GridDimOp::create(b, loc, x));
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  Value rowGroup = forOp.getInductionVar();
  Value row = lb.addi(lb.muli(rowGroup, rowsPerBlock), rowInBlock);
  Value wRow = arith::MinUIOp::create(b, loc, row, lb.subi(n, lb.index(1)));
  // Thread t < rowsPerBlock * rows sums tile row t % rows of the block's row
  // t / rows over its S warps (consecutive) and stores it, after the loop.
  Value mine = lb.divi(tid, lb.index(rows)), r = lb.remi(tid, lb.index(rows));
  Value outRow = lb.addi(lb.muli(rowGroup, rowsPerBlock), mine);
  Value stores = lb.cmpi(arith::CmpIPredicate::ult, tid, lb.muli(rowsPerBlock, lb.index(rows)));
  stores = arith::AndIOp::create(b, loc, stores,
                                 lb.cmpi(arith::CmpIPredicate::ult, outRow, n));
  stores = arith::AndIOp::create(b, loc, stores, lb.cmpi(arith::CmpIPredicate::ult, r, m));
  // Fused: columns [offset, offset + C) enter the conv state as its newest
  // entry. What the conv step of such a column reads (state entries 1 to
  // W - 1, weights, bias) is loaded here, in flight with the group's loads:
  // loaded after the reductions it held up the end of every block.
  Value inConv, ch;
  SmallVector<Value> convIn;
  const int64_t convWidth = fusion ? fusion->convWidth : 0;
  if (fusion) {
    Value offset = lb.index(fusion->convOffset);
    inConv = arith::AndIOp::create(
        b, loc, lb.cmpi(arith::CmpIPredicate::uge, outRow, offset),
        lb.cmpi(arith::CmpIPredicate::ult, outRow, lb.addi(offset, lb.dim(convOut, 1))));
    ch = arith::SelectOp::create(b, loc, inConv, lb.subi(outRow, offset), lb.index(0));
    SmallVector<Type> types(2 * convWidth, f32);
    convIn = lb.choose(
        arith::AndIOp::create(b, loc, stores, inConv), types,
        [&] {
          SmallVector<Value> in;
          for (int64_t j = 1; j < convWidth; ++j)
            in.push_back(lb.load(convState, {r, ch, lb.index(j)}));
          for (int64_t j = 0; j < convWidth; ++j)
            in.push_back(lb.load(convWeight, {ch, lb.index(j)}));
          in.push_back(convBias ? lb.load(convBias, {ch}) : lb.f32(0.0));
          return in;
        },
        [&] { return SmallVector<Value>(2 * convWidth, lb.f32(0.0)); });
  }
  // P stretches at a time: every load of the group is issued before any
  // product waits on one. Stretches past this lane's last are clamped to it
  // (loaded again, never added). One accumulator per row of the tile; the
  // rows are a's, or fused the staged ones.
  auto group = [&](Value g, ValueRange accs) {
    Value base = lb.muli(g, lb.index(perWarp));
    SmallVector<Value> weights, activations;
    for (int64_t u = 0; u < perWarp; ++u) {
      Value s = arith::MinUIOp::create(b, loc, lb.addi(base, lb.index(u)), lastStretch);
      Value column = lb.addi(first, lb.muli(s, step));
      weights.push_back(vectorLoad(wVector, w, {wRow, column}));
      for (int64_t r = 0; r < rows; ++r)
        activations.push_back(
            stage ? vectorLoad(fVector, stage, {lb.addi(lb.muli(lb.index(r), k), column)})
                  : vectorLoad(fVector, a, {aRows[r], column}));
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

  SmallVector<Value> warpSums;
  for (Value acc : accs)
    warpSums.push_back(warpSum(b, loc, lb, acc));
  lb.when(lb.cmpi(arith::CmpIPredicate::eq, lane, lb.index(0)), [&] {
    for (int64_t r = 0; r < rows; ++r) // [0][warp][row]
      lb.storeRaw(warpSums[r], partials, {lb.addi(lb.muli(warp, lb.index(rows)), lb.index(r))});
  });
  gpu::BarrierOp::create(b, loc);
  lb.when(stores, [&] {
    // Partials [which][warp][r] of warps [from, from + count).
    auto total = [&](int64_t which, Value from, Value count) {
      return lb.reduce(lb.index(0), count, lb.f32(0.0), [&](Value j, Value acc) {
        Value at = lb.addi(lb.index(which * warps * rows),
                           lb.addi(lb.muli(lb.addi(from, j), lb.index(rows)), r));
        return lb.add(acc, lb.loadRaw(partials, {at}));
      });
    };
    Value product = total(0, lb.muli(mine, split), split);
    Value value;
    if (fusion) {
      // out = (sum_i w_i g_i a_i) / sqrt(mean(a^2) + eps) (+ bias), the
      // squares summed over every warp of the block's staging.
      Value squares = total(1, lb.index(0), lb.index(warps));
      value = lb.mul(product, lb.rmsScale(squares, lb.toF32(k), fusion->eps));
      if (bias)
        value = lb.add(value, lb.load(bias, {outRow}));
    } else {
      value = lb.add(lb.when(hasBias, lb.f32(0.0), [&] { return lb.load(bias, {outRow}); }),
                     product);
    }
    lb.store(value, c, {r, outRow});
    if (!fusion)
      return;
    lb.when(inConv, [&] {
      SmallVector<Value> entries(convIn.begin(), convIn.begin() + (convWidth - 1));
      entries.push_back(value);
      Value out = convIn.back(); // the bias
      for (int64_t j = 0; j < convWidth; ++j) {
        out = lb.fma(convIn[convWidth - 1 + j], entries[j], out);
        lb.store(entries[j], newState, {r, ch, lb.index(j)});
      }
      lb.store(fusion->silu ? lb.silu(out) : out, convOut, {r, ch});
    });
  });
  // The next rows reuse the partial sums' buffer.
  gpu::BarrierOp::create(b, loc);
  b.setInsertionPointAfter(forOp);
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace

gpu::GPUFuncOp ssm::buildGemvKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                                    GemvWeight which, int64_t rows,
                                    int64_t stretchesPerWarp) {
  return buildSkinnyGemm(b, module, loc, gemvKernelName(which, rows), which, rows,
                         stretchesPerWarp, nullptr);
}

gpu::GPUFuncOp ssm::buildFusedGemvKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                                         StringRef family, GemvWeight which, int64_t rows,
                                         int64_t stretchesPerWarp, const GemvFusion &fusion) {
  return buildSkinnyGemm(b, module, loc, fusedGemvKernelName(family, which, rows), which,
                         rows, stretchesPerWarp, &fusion);
}
