#include "passes/gpu/GpuKernelFunc.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

gpu::GPUFuncOp ssm::createGpuKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc,
                                    StringRef name, ArrayRef<Type> types,
                                    int64_t blockSize) {
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(b, loc, name, b.getFunctionType(types, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(blockSize), 1, 1}));
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

void ssm::beginWithGridDependencyWait(gpu::GPUFuncOp kernel, bool earlyDependents) {
  Block &entry = kernel.getBody().front();
  if (!entry.empty() && isa<NVVM::GriddepcontrolOp>(entry.front()))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  // The wait first: nothing of the kernel touches memory before the grids
  // it depends on have finished. Then the trigger: the next kernel may be
  // scheduled while this one runs, and waits in turn, so at most two
  // kernels of a stream are resident at once.
  NVVM::GriddepcontrolOp::create(b, kernel.getLoc(), NVVM::GridDepActionKind::wait);
  if (earlyDependents)
    NVVM::GriddepcontrolOp::create(b, kernel.getLoc(),
                                   NVVM::GridDepActionKind::launch_dependents);
}
