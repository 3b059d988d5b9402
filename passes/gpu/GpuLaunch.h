#ifndef SSMC_PASSES_GPU_GPULAUNCH_H
#define SSMC_PASSES_GPU_GPULAUNCH_H

// How the runtime runs each kernel step on the GPU, recorded on the
// `@ssmc_gpu` gpu.module as the `ssm.launches` dictionary (step symbol ->
// launch) and copied into the artifact's manifest (docs/artifact-format.md,
// "Kernel images"). Sizes are products of the step's argument sizes, so one
// kernel serves every batch size and length.

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <array>
#include <map>
#include <string>
#include <vector>

namespace mlir::ssm {

/// Size `dim` of the step's argument `arg`.
struct GridFactor {
  int64_t arg = 0;
  int64_t dim = 0;
};

/// ceil(product of the factors / div); 1 when there are no factors.
struct GridExtent {
  SmallVector<GridFactor> product;
  int64_t div = 1;
};

/// One kernel launch of a step.
struct GpuStage {
  std::string function; // empty: the step's symbol
  /// The launch's arguments: i >= 0 the step's argument i, -1 - j scratch
  /// buffer j. Empty: the step's arguments in order.
  SmallVector<int64_t> args;
  std::array<int64_t, 3> block = {1, 1, 1};
  std::array<GridExtent, 3> grid;
  /// The kernel loops over its work with a grid stride: any grid is correct.
  bool gridStride = false;
  /// Dynamic shared memory per block, in bytes (gpu.dynamic_shared_memory).
  int64_t sharedBytes = 0;
  /// Step arguments whose memref type assumes a unit innermost stride.
  SmallVector<int64_t> unitInnerStride;
};

/// A step's launches in order, and the f32 scratch buffers they share (each
/// dimension an extent).
struct GpuLaunch {
  std::vector<GpuStage> stages;
  std::vector<SmallVector<GridExtent>> scratch;
};

void setLaunch(gpu::GPUModuleOp module, StringRef symbol, const GpuLaunch &launch);
/// Every step symbol's launch; fails (with an error on `module`) when the
/// attribute is malformed.
FailureOr<std::map<std::string, GpuLaunch>> getLaunches(gpu::GPUModuleOp module);

} // namespace mlir::ssm

#endif
