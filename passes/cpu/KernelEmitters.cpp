// Dispatch from an op to its CPU loop-nest emitter (the emitters live in the
// *Emitters.cpp files next to this one).
#include "passes/cpu/KernelEmitters.h"

#include "passes/cpu/Emitters.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

MemRefType mlir::ssm::anyViewType(MLIRContext *ctx, int64_t rank, Type element) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(dynamic, element,
                         StridedLayoutAttr::get(ctx, ShapedType::kDynamic, dynamic));
}

MemRefType mlir::ssm::unitInnerViewType(MLIRContext *ctx, int64_t rank, int64_t innerSize,
                                        Type element) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  shape.back() = innerSize;
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
  return MemRefType::get(shape, element ? element : Float32Type::get(ctx), layout);
}

MemRefType mlir::ssm::anyViewType(Type shaped) {
  auto s = cast<ShapedType>(shaped);
  return anyViewType(shaped.getContext(), s.getRank(), s.getElementType());
}

static bool isTensorElementwise(Operation *op) {
  return isa<arith::AddFOp, arith::MulFOp>(op) &&
         isa<RankedTensorType>(op->getResult(0).getType());
}

bool mlir::ssm::hasCpuKernelEmitter(Operation *op) {
  return isa<EmbeddingOp, LinearOp, RMSNormOp, GatedRMSNormOp, CausalConv1dOp,
             SelectiveScanOp, SSDOp, ConvStateUpdateOp, SelectiveStateUpdateOp>(
             op) ||
         isTensorElementwise(op);
}

static LogicalResult emitKernelBody(LoopBuilder &lb, Operation *op,
                                    ValueRange inputs, ValueRange outputs);

LogicalResult mlir::ssm::emitCpuKernelBody(OpBuilder &b, Operation *op,
                                           ValueRange inputs,
                                           ValueRange outputs) {
  LoopBuilder lb(b, op->getLoc());
  return emitKernelBody(lb, op, inputs, outputs);
}

LogicalResult mlir::ssm::emitGpuKernelBody(
    OpBuilder &b, Operation *op, ValueRange inputs, ValueRange outputs,
    SmallVectorImpl<SmallVector<Value>> &parallelBounds, std::optional<size_t> onlyNest) {
  LoopBuilder lb(b, op->getLoc(), LoopTarget::Gpu);
  if (onlyNest)
    lb.emitOnlyNest(*onlyNest);
  if (failed(emitKernelBody(lb, op, inputs, outputs)))
    return failure();
  parallelBounds.assign(lb.parallelBounds().begin(), lb.parallelBounds().end());
  return success();
}

static LogicalResult emitKernelBody(LoopBuilder &lb, Operation *op,
                                    ValueRange inputs, ValueRange outputs) {
  if (!hasCpuKernelEmitter(op))
    return op->emitOpError() << "has no CPU kernel emitter";
  if (inputs.size() != op->getNumOperands() ||
      outputs.size() != op->getNumResults())
    return op->emitOpError() << "CPU kernel expects " << op->getNumOperands()
                             << " input and " << op->getNumResults()
                             << " output memrefs, got " << inputs.size()
                             << " and " << outputs.size();
  for (Value v : llvm::concat<const Value>(inputs, outputs))
    if (!isa<MemRefType>(v.getType()))
      return op->emitOpError() << "CPU kernel arguments must be memrefs, got "
                               << v.getType();

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](EmbeddingOp o) { return emitEmbedding(lb, o, inputs, outputs); })
      .Case([&](LinearOp o) { return emitLinear(lb, o, inputs, outputs); })
      .Case([&](RMSNormOp o) { return emitRMSNorm(lb, o, inputs, outputs); })
      .Case([&](GatedRMSNormOp o) {
        return emitGatedRMSNorm(lb, o, inputs, outputs);
      })
      .Case([&](CausalConv1dOp o) {
        return emitCausalConv1d(lb, o, inputs, outputs);
      })
      .Case([&](SelectiveScanOp o) {
        return emitSelectiveScan(lb, o, inputs, outputs);
      })
      .Case([&](SSDOp o) { return emitSSD(lb, o, inputs, outputs); })
      .Case([&](ConvStateUpdateOp o) {
        return emitConvStateUpdate(lb, o, inputs, outputs);
      })
      .Case([&](SelectiveStateUpdateOp o) {
        return emitSelectiveStateUpdate(lb, o, inputs, outputs);
      })
      .Default([&](Operation *o) { return emitElementwise(lb, o, inputs, outputs); });
}
