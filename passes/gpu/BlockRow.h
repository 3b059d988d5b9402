#ifndef SSMC_PASSES_GPU_BLOCKROW_H
#define SSMC_PASSES_GPU_BLOCKROW_H

// One row of work for the threads of one block (block x = the row): strided
// loops over the row and reductions across the block through shared memory.
// The row kernels (norms, the sampler) are written with it.

#include "passes/cpu/LoopBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

class BlockRow {
public:
  BlockRow(cpu::LoopBuilder &lb, int64_t blockSize);

  Value thread() const { return tid; }
  Value row() const { return rowId; }
  // The row's indices over the leading dimensions of `x` (all but the last).
  SmallVector<Value> position(Value x);

  // for j in [lo + tid, hi) step block: body(j)
  void stride(Value lo, Value hi, llvm::function_ref<void(Value)> body);
  // The same with values carried through this thread's elements.
  SmallVector<Value> stride(Value lo, Value hi, ValueRange inits,
                            llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body);

  // Combines every thread's `values` with `combine` (associative, and
  // commutative unless it breaks ties itself) in a halving tree over the
  // shared buffers `scratch` (one per value, at least blockSize elements of
  // its type); every thread gets the result. Ends with a barrier, so the
  // buffers are free again afterwards.
  using Combine = llvm::function_ref<SmallVector<Value>(ValueRange, ValueRange)>;
  SmallVector<Value> reduce(ValueRange values, ValueRange scratch, Combine combine);

  // A shared (workgroup) buffer of `shape` and `type` for `func`.
  static Value sharedBuffer(gpu::GPUFuncOp func, Type type, ArrayRef<int64_t> shape);

private:
  cpu::LoopBuilder &lb;
  OpBuilder &b;
  int64_t blockSize;
  Value tid, rowId;
};

} // namespace mlir::ssm

#endif
