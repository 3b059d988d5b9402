#ifndef SSMC_PASSES_GPU_DEVICECODEGEN_H
#define SSMC_PASSES_GPU_DEVICECODEGEN_H

// The CUDA target's back end: the `@ssmc_gpu` gpu.module (as left by
// ssm-outline-gpu-kernels) through the upstream gpu -> nvvm lowering to PTX,
// and through ptxas to a cubin; plus each kernel's launch description.

#include "passes/gpu/GpuLaunch.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::ssm {

struct DeviceCodegenOptions {
  std::string chip = "sm_90";
  std::string features = "+ptx80";
  unsigned optLevel = 3;
};

struct DeviceImage {
  std::string cubin; // ELF for `chip`
  std::string ptx;   // the same kernels as PTX, for newer devices' JIT
  std::vector<std::string> symbols;
  std::vector<GpuLaunch> launches; // per symbol
};

/// Lowers a copy of `module`'s `@ssmc_gpu` gpu.module (the module itself is
/// unchanged). ptxas and libdevice come from the CUDA toolkit named by
/// $CUDA_ROOT, $CUDA_HOME or $CUDA_PATH. Errors are diagnostics on `module`.
FailureOr<DeviceImage> buildDeviceImage(ModuleOp module, const DeviceCodegenOptions &options);

} // namespace mlir::ssm

#endif
