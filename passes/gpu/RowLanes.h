#ifndef SSMC_PASSES_GPU_ROWLANES_H
#define SSMC_PASSES_GPU_ROWLANES_H

// A warp's lanes over rows of recurrent states, shared by the GPU kernels of
// both scans. A row is the N states of one (batch, channel) for Mamba-1 or
// one (batch, head, p) for Mamba-2. S lanes share a row, lane j holding
// states n = i * S + j (i < K = N / S) in registers, so every load of B, C or
// a state row is contiguous across the row's lanes; C . s is summed over the
// row's lanes with warp shuffles. A warp owns 32 / S consecutive rows.

#include "passes/cpu/LoopBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

class RowLanes {
public:
  /// `lanesPerRow` (a power of two dividing 32) lanes per row of `n` states
  /// (a multiple of it).
  RowLanes(cpu::LoopBuilder &lb, int64_t n, int64_t lanesPerRow);

  int64_t rowsPerWarp() const;

  /// Hands the iterations of the nest `ubs` to the warps with a grid stride,
  /// one at a time per warp: all lanes of a warp see the same indices, so
  /// they may shuffle.
  void tasks(ValueRange ubs, llvm::function_ref<void(ValueRange)> body);

  /// ceil(rows / rows per warp): the row groups `rows` rows make.
  Value groups(Value rows);

  /// This lane's row in row group `group` of `rows`: {the row clamped to
  /// rows - 1 (for loads), whether it is a real row}.
  std::pair<Value, Value> rowIn(Value group, Value rows);

  /// The state index of the lane's register i.
  Value n(int64_t i);

  /// The lane's K values of a state-sized row (B, C, A or a state), loaded
  /// together before any of them is used, so the loads overlap.
  SmallVector<Value> loadRow(llvm::function_ref<Value(Value)> at);

  /// s_i = decay * s_i + dx * B_i for each register i (one decay for the
  /// row, Mamba-2) ...
  SmallVector<Value> update(ValueRange st, Value decay, Value dx, ValueRange bRow);
  /// ... or s_i = decays_i * s_i + dx * B_i (a decay per state, Mamba-1).
  SmallVector<Value> update(ValueRange st, ValueRange decays, Value dx, ValueRange bRow);

  /// C . s over the whole row: this lane's part, then rowSum.
  Value rowDot(ValueRange st, ValueRange cRow);
  /// The sum of `part` over the row's S lanes, a butterfly of shuffles
  /// (every lane of the row ends with the sum).
  Value rowSum(Value part);

  /// The lane's registers `values` of a row, stored at m[lead..., n(i)]
  /// where the row is real.
  void storeRow(Value real, ValueRange values, Value m, ValueRange lead);

  /// `then` on the row's first lane of a real row only.
  void onRowLeader(Value real, llvm::function_ref<void()> then);

  cpu::LoopBuilder &lb;
  const int64_t s, k;
  Value lane, row, slot, warp, warps;
};

} // namespace mlir::ssm

#endif
