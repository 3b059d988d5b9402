#include "passes/gpu/GpuKernelFunc.h"

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
