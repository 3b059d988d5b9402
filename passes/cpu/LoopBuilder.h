#ifndef SSMC_PASSES_CPU_LOOPBUILDER_H
#define SSMC_PASSES_CPU_LOOPBUILDER_H

// Small helpers shared by the CPU kernel emitters: scf.for loops whose bodies
// are written with the same builder, memref access with f32 conversion, and
// the scalar activations of the SSM math (softplus, silu).

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>
#include <optional>

namespace mlir::ssm::cpu {

/// Where the loops run. The emitters are written once: only `parallel`
/// differs between the targets.
enum class LoopTarget { Cpu, Gpu };

class LoopBuilder {
public:
  // Creates the index constants 0 and 1 at the insertion point, so every
  // loop emitted afterwards shares them.
  LoopBuilder(OpBuilder &b, Location loc, LoopTarget target = LoopTarget::Cpu);

  OpBuilder &builder() { return b; }
  Location location() { return loc; }
  bool onGpu() const { return target == LoopTarget::Gpu; }

  // Constants.
  Value index(int64_t v);
  Value f32(double v);

  // memref.dim of dimension `i` (negative counts from the back).
  Value dim(Value memref, int64_t i);
  int64_t rank(Value memref);

  // Loads an element and widens it to f32 (no-op for f32 memrefs).
  Value load(Value memref, ValueRange ivs);
  // Narrows an f32 value to the memref's element type and stores it.
  void store(Value v, Value memref, ValueRange ivs);
  // Loads / stores without any conversion (copies, integer data).
  Value loadRaw(Value memref, ValueRange ivs);
  void storeRaw(Value v, Value memref, ValueRange ivs);

  // for iv in [lb, ub): body(iv). The body is emitted with this builder.
  void loop(Value lb, Value ub, llvm::function_ref<void(Value)> body);
  // The same with loop-carried values: body returns the values to yield.
  SmallVector<Value>
  loop(Value lb, Value ub, ValueRange inits,
       llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body);
  // The same with iv stepping by `step` (strided loops over lanes or threads).
  SmallVector<Value>
  loopBy(Value lb, Value ub, Value step, ValueRange inits,
         llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body);
  // The same, `unroll` iterations at a time, software-pipelined: the loads
  // of the next group of iterations (`load(iv)`) are issued before the
  // bodies of this group run (`body(iv, loaded, carried)`, each in order,
  // returning the new carried values), so load latency overlaps work. The
  // last (ub - lb) % unroll iterations run one at a time, loading as they
  // go. The range must not be empty: the first group is loaded before the
  // loop. With unroll 1 the last iteration runs after the loop, so no load
  // index is clamped.
  SmallVector<Value>
  loopLoadingAhead(Value lb, Value ub, int64_t unroll, ValueRange inits,
                   llvm::function_ref<SmallVector<Value>(Value)> load,
                   llvm::function_ref<SmallVector<Value>(Value, ArrayRef<Value>, ValueRange)> body);
  // `then` where `cond` holds (an scf.if without results).
  void when(Value cond, llvm::function_ref<void()> then);
  // `then()`'s value, computed only where `cond` holds; else `otherwise`.
  Value when(Value cond, Value otherwise, llvm::function_ref<Value()> then);
  // `then()` where `cond` holds, else `otherwise()`: each computed only on
  // its own branch (an scf.if with results of `types`).
  SmallVector<Value> choose(Value cond, TypeRange types,
                            llvm::function_ref<SmallVector<Value>()> then,
                            llvm::function_ref<SmallVector<Value>()> otherwise);
  // The same for one f32.
  Value choose(Value cond, llvm::function_ref<Value()> then,
               llvm::function_ref<Value()> otherwise);
  // A single f32 accumulator carried through [lb, ub).
  Value reduce(Value lb, Value ub, Value init,
               llvm::function_ref<Value(Value, Value)> body);
  // A perfect nest over [0, ubs[i]) for every i (no loop at all when empty).
  void nest(ValueRange ubs, llvm::function_ref<void(ValueRange)> body);
  // The sizes of every dimension of `memref` but the last `keep`.
  SmallVector<Value> leadingDims(Value memref, int64_t keep);
  // The nest over every dimension of `memref` but the last `keep`.
  void nestLeading(Value memref, int64_t keep,
                   llvm::function_ref<void(ValueRange)> body);

  // A nest whose iterations are independent of each other (each writes its
  // own outputs, and no iteration reads what another writes). On the CPU it
  // is `nest`; on the GPU the flattened range is shared out to the threads
  // of the grid in a grid-stride loop (x dimension), so any grid is correct.
  // Nests run in order on the CPU; on the GPU each becomes its own kernel
  // (`emitOnlyNest`), so a later nest may read what an earlier one wrote.
  void parallel(ValueRange ubs, llvm::function_ref<void(ValueRange)> body);
  // Emit the body of parallel nest `i` only (counting from 0 in emission
  // order); the others record their bounds and emit nothing.
  void emitOnlyNest(size_t i) { onlyNest = i; }
  // `parallel` over every dimension of `memref` but the last `keep`.
  void parallelLeading(Value memref, int64_t keep,
                       llvm::function_ref<void(ValueRange)> body);
  // The upper bounds of each `parallel` emitted so far, in order (the GPU
  // launch is sized from them).
  ArrayRef<SmallVector<Value>> parallelBounds() const { return bounds; }

  // Scalar f32 arithmetic.
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  Value div(Value x, Value y);
  Value exp(Value x);
  // 2^x of an f32; on the GPU one ex2.approx.ftz (results below 2^-126
  // flush to zero, harmless for the decays in (0, 1] it computes).
  Value exp2(Value x);
  Value max(Value x, Value y);
  Value min(Value x, Value y);
  // x * y + acc: fused (one rounding) on the GPU, where it is one
  // instruction; a multiply and an add on the CPU, whose baseline ISA has none.
  Value fma(Value x, Value y, Value acc);
  // acc + x as a term of a sum whose order does not matter: on the CPU the
  // add may be reassociated, so a reduction loop vectorizes.
  Value accumulate(Value x, Value acc);
  // softplus(x) = x > 20 ? x : log1p(exp(x)) (no overflow for large x). On
  // the GPU a short series within about 1e-6 (softplusOnGpu).
  Value softplus(Value x);
  // silu(x) = x / (1 + exp(-x)); on the GPU with ex2 and an approximate
  // reciprocal.
  Value silu(Value x);
  // 1 / x; on the GPU rcp.approx.ftz (within 1 ulp).
  Value reciprocal(Value x);
  // 1 / sqrt(x).
  Value rsqrt(Value x);
  // An RMS norm's scale, 1 / sqrt(sumOfSquares / count + eps) (count f32).
  Value rmsScale(Value sumOfSquares, Value count, float eps);
  // An index as f32 (sizes counted in a norm).
  Value toF32(Value index);

  // Index arithmetic.
  Value addi(Value x, Value y);
  Value subi(Value x, Value y);
  Value muli(Value x, Value y);
  Value divi(Value x, Value y);
  // ceil(x / y) as (x + y - 1) / y; with a constant k the addend is the
  // constant k - 1 (the GPU outliner reads that form as a tile count).
  Value ceilDiv(Value x, Value y);
  Value ceilDiv(Value x, int64_t k);
  Value maxi(Value x, Value y);
  Value remi(Value x, Value y);
  Value cmpi(arith::CmpIPredicate pred, Value x, Value y);

private:
  Value softplusOnGpu(Value x);

  OpBuilder &b;
  Location loc;
  LoopTarget target;
  Value zero, one;
  SmallVector<SmallVector<Value>> bounds;
  std::optional<size_t> onlyNest;
};

} // namespace mlir::ssm::cpu

#endif
