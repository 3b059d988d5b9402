#ifndef SSMC_PASSES_GPU_WARPMMA_H
#define SSMC_PASSES_GPU_WARPMMA_H

// Warp-level tensor-core products for the GPU kernels: nvgpu.mma.sync of
// shape m16n8k8, tf32 operands, f32 accumulators (a 16 x 8 tile of D = A B +
// C per warp). Each lane holds a fixed part of every tile (PTX ISA, mma
// m16n8k8 .tf32), with g = lane / 4 and q = lane % 4:
//   A (16 x 8): a_i at row g + 8 (i % 2), column q + 4 (i / 2), i < 4;
//   B (8 x 8):  b_i at row q + 4 i, column g, i < 2;
//   C (16 x 8): c_i at row g + 8 (i / 2), column 2 q + i % 2, i < 4.
//
// tf32 keeps 10 of f32's 23 mantissa bits. With `split`, each operand is
// split into a tf32 high part and the f32 rest (itself taken as tf32), and
// A B is A_hi B_hi + A_hi B_lo + A_lo B_hi: three products and close to f32
// accuracy (the dropped A_lo B_lo is ~2^-20 of A B).

#include "passes/cpu/LoopBuilder.h"

namespace mlir::ssm {

class WarpMma {
public:
  WarpMma(cpu::LoopBuilder &lb, bool split);

  /// An A (4 values) or B (2 values) fragment, ready for `mma`.
  struct Operand {
    SmallVector<Value, 4> hi, lo;
  };
  Operand operand(ArrayRef<Value> values);

  /// acc + A B for one tile; `acc` and the result are the lane's 4 values.
  SmallVector<Value> mma(const Operand &a, const Operand &b, ValueRange acc);

  /// The row / column of the lane's fragment value i, as described above.
  Value aRow(int64_t i) const { return i % 2 ? g8 : g; }
  Value aCol(int64_t i) const { return i / 2 ? q4 : q; }
  Value bRow(int64_t i) const { return i ? q4 : q; }
  Value bCol() const { return g; }
  Value cRow(int64_t i) const { return i / 2 ? g8 : g; }
  Value cCol(int64_t i) const { return i % 2 ? q2p1 : q2; }

  cpu::LoopBuilder &lb;
  const bool split;
  Value lane, warp;

private:
  Value g, g8, q, q4, q2, q2p1;
};

} // namespace mlir::ssm

#endif
