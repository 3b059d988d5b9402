#ifndef SSMC_PASSES_GPU_GPULAUNCH_H
#define SSMC_PASSES_GPU_GPULAUNCH_H

// How the runtime launches a GPU kernel, recorded on its gpu.func as the
// `ssm.launch` attribute and copied into the artifact's manifest
// (docs/artifact-format.md, "Kernel images"). Grid sizes are products of
// argument sizes, so one kernel serves every batch size and length.

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <array>

namespace mlir::ssm {

/// Size `dim` of kernel argument `arg`.
struct GridFactor {
  int64_t arg = 0;
  int64_t dim = 0;
};

/// ceil(product of the factors / div); 1 when there are no factors.
struct GridExtent {
  SmallVector<GridFactor> product;
  int64_t div = 1;
};

struct GpuLaunch {
  std::array<int64_t, 3> block = {1, 1, 1};
  std::array<GridExtent, 3> grid;
  /// The kernel loops over its work with a grid stride: any grid is correct.
  bool gridStride = false;
  /// Arguments whose memref type assumes a unit innermost stride.
  SmallVector<int64_t> unitInnerStride;
};

void setLaunch(gpu::GPUFuncOp func, const GpuLaunch &launch);
/// Fails (with an error on `func`) when the attribute is absent or malformed.
FailureOr<GpuLaunch> getLaunch(gpu::GPUFuncOp func);

} // namespace mlir::ssm

#endif
