// ssm-outline-gpu-kernels: the scans of the module become gpu.func kernels
// in one `@ssmc_gpu` gpu.module targeting NVVM (see passes/Passes.td).
#include "passes/Passes.h"
#include "passes/gpu/ScanKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMOUTLINEGPUKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr StringLiteral kModuleName = "ssmc_gpu";

struct SSMOutlineGpuKernelsPass
    : ssm::impl::SSMOutlineGpuKernelsBase<SSMOutlineGpuKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<SelectiveScanOp> scans;
    module.walk([&](SelectiveScanOp op) {
      if (!op->hasAttr("ssm.gpu_kernel"))
        scans.push_back(op);
    });
    if (scans.empty())
      return;

    OpBuilder b(module.getBodyRegion());
    auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kModuleName);
    if (!gpuModule) {
      b.setInsertionPointToEnd(module.getBody());
      auto target = NVVM::NVVMTargetAttr::get(&getContext(), /*optLevel=*/3,
                                              "nvptx64-nvidia-cuda", chip);
      gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kModuleName,
                                           b.getArrayAttr({target}));
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
    }
    unsigned index = 0;
    for (SelectiveScanOp op : scans) {
      std::string name;
      do
        name = "ssmc_gk" + std::to_string(index++);
      while (gpuModule.lookupSymbol(name));
      if (chunkLength > 0) {
        if (failed(buildChunkedSelectiveScanKernels(b, gpuModule, op, name, chunkLength)))
          return signalPassFailure();
        op->setAttr("ssm.gpu_chunk_length", b.getI64IntegerAttr(chunkLength));
      } else if (failed(buildSelectiveScanKernel(b, gpuModule, op, name))) {
        return signalPassFailure();
      }
      op->setAttr("ssm.gpu_kernel",
                  SymbolRefAttr::get(b.getStringAttr(kModuleName),
                                     {FlatSymbolRefAttr::get(b.getStringAttr(name))}));
    }
  }
};

} // namespace
