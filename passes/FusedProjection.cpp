#include "passes/FusedProjection.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

bool isF32(Value v, int64_t rank) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32() && t.getRank() == rank;
}

// A step of the schedule: an outlined kernel or a GEMM.
bool isStep(Operation *op) { return op->hasAttr("ssm.kernel") || isa<LinearOp>(op); }

} // namespace

std::optional<FusedProjection> ssm::matchFusedProjection(LinearOp linear) {
  auto func = linear->getParentOfType<func::FuncOp>();
  if (!func || func.getName() != "decode" ||
      (linear.getBias() && !isF32(linear.getBias(), 1)))
    return std::nullopt;
  auto norm = linear.getInput().getDefiningOp<RMSNormOp>();
  if (!norm || !norm.getResult().hasOneUse() || norm->getBlock() != linear->getBlock() ||
      !isF32(norm.getInput(), 2) || !isF32(norm.getWeight(), 1) ||
      !isF32(norm.getResult(), 2) || (norm.getResidual() && !isF32(norm.getResidual(), 2)) ||
      !isF32(linear.getResult(), 2) || !linear.getWeight().getType().hasStaticShape())
    return std::nullopt;

  // The one conv step reading columns of the result, all rows of them.
  std::optional<FusedProjection> found;
  for (Operation *user : linear.getResult().getUsers()) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice)
      continue;
    for (Operation *reader : slice.getResult().getUsers()) {
      auto conv = dyn_cast<ConvStateUpdateOp>(reader);
      if (!conv || conv.getInput() != slice.getResult())
        continue;
      if (found)
        return std::nullopt;
      ArrayRef<int64_t> offsets = slice.getStaticOffsets(), strides = slice.getStaticStrides();
      if (offsets.size() != 2 || offsets[0] != 0 || ShapedType::isDynamic(offsets[1]) ||
          strides[0] != 1 || strides[1] != 1 ||
          slice.getType().getDimSize(0) != linear.getResult().getType().getDimSize(0))
        return std::nullopt;
      found = FusedProjection{norm, linear, conv, offsets[1]};
    }
  }
  if (!found)
    return std::nullopt;
  ConvStateUpdateOp conv = found->conv;
  if (conv->getBlock() != linear->getBlock() || !linear->isBeforeInBlock(conv) ||
      !isF32(conv.getConvState(), 3) || !isF32(conv.getWeight(), 2) ||
      !conv.getWeight().getType().hasStaticShape() ||
      (conv.getBias() && !isF32(conv.getBias(), 1)) || !isF32(conv.getOutput(), 2) ||
      !isF32(conv.getNewState(), 3))
    return std::nullopt;
  // Nothing computed between them: the three steps follow each other.
  for (Operation *op = norm->getNextNode(); op != conv.getOperation(); op = op->getNextNode())
    if (op != linear.getOperation() && isStep(op))
      return std::nullopt;
  return found;
}
