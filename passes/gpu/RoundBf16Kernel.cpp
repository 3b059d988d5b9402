#include "passes/gpu/RoundBf16Kernel.h"

#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/GpuKernelFunc.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

gpu::GPUFuncOp ssm::buildRoundBf16Kernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc) {
  MLIRContext *ctx = b.getContext();
  const int64_t any = ShapedType::kDynamic;
  SmallVector<Type> types{anyViewType(ctx, 2, b.getF32Type()),
                          unitInnerViewType(ctx, 2, any, b.getBF16Type())};
  OpBuilder::InsertionGuard guard(b);
  auto func = createGpuKernel(b, module, loc, kRoundBf16KernelName, types, kRoundBf16BlockSize);
  ValueRange args = func.getBody().front().getArguments();
  Value src = args[0], dst = args[1];

  LoopBuilder lb(b, loc, cpu::LoopTarget::Gpu);
  Value k = lb.dim(src, 1);
  Value total = lb.muli(lb.dim(src, 0), k);
  auto x = gpu::Dimension::x;
  Value threads = lb.muli(gpu::GridDimOp::create(b, loc, x), lb.index(kRoundBf16BlockSize));
  Value first = lb.addi(lb.muli(gpu::BlockIdOp::create(b, loc, x), lb.index(kRoundBf16BlockSize)),
                        gpu::ThreadIdOp::create(b, loc, x));
  auto forOp = scf::ForOp::create(b, loc, first, total, threads);
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  Value i = forOp.getInductionVar();
  Value row = lb.divi(i, k), col = lb.remi(i, k);
  // LoopBuilder::store narrows to the memref's bf16 (arith.truncf rounds to
  // nearest even).
  lb.store(lb.load(src, {row, col}), dst, {row, col});
  b.setInsertionPointAfter(forOp);
  gpu::ReturnOp::create(b, loc);
  return func;
}
