// Canonical forms of the ssm ops:
//  - an optional operand that is a constant zero (D skip, time-step bias,
//    projection or conv bias, initial state) is dropped: absent means zero;
//  - a final-state result nobody reads is dropped, so lowering never
//    computes or stores it.
#include "dialects/SSM/SSMOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

bool isZeroConstant(Value v) { return v && matchPattern(v, m_AnyZeroFloat()); }

// Drops the optional operands of `op` that are constant zeros.
template <typename OpTy>
struct DropZeroOperands : OpRewritePattern<OpTy> {
  using Accessor = MutableOperandRange (OpTy::*)();
  DropZeroOperands(MLIRContext *ctx, SmallVector<Accessor> accessors)
      : OpRewritePattern<OpTy>(ctx), accessors(std::move(accessors)) {}

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    bool changed = false;
    for (Accessor get : accessors) {
      MutableOperandRange range = (op.*get)();
      if (range.size() != 1 || !isZeroConstant(range[0].get()))
        continue;
      rewriter.modifyOpInPlace(op, [&] { range.clear(); });
      changed = true;
    }
    return success(changed);
  }

  SmallVector<Accessor> accessors;
};

// Rebuilds `op` without its (last, optional) final-state result when unused.
template <typename OpTy>
struct DropUnusedFinalState : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Value state = op.getFinalState();
    if (!state || !state.use_empty())
      return failure();
    OperationState rebuilt(op.getLoc(), op->getName());
    rebuilt.addOperands(op->getOperands());
    rebuilt.addTypes(op->getResult(0).getType());
    rebuilt.propertiesAttr = op->getPropertiesAsAttribute();
    for (NamedAttribute attr : op->getDiscardableAttrs())
      rebuilt.addAttribute(attr.getName(), attr.getValue());
    Operation *replacement = rewriter.create(rebuilt);
    rewriter.replaceOp(op, {replacement->getResult(0), Value()});
    return success();
  }
};

} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *ctx) {
  patterns.add<DropZeroOperands<LinearOp>>(
      ctx, SmallVector<DropZeroOperands<LinearOp>::Accessor>{&LinearOp::getBiasMutable});
}

void CausalConv1dOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                                 MLIRContext *ctx) {
  patterns.add<DropUnusedFinalState<CausalConv1dOp>>(ctx);
  patterns.add<DropZeroOperands<CausalConv1dOp>>(
      ctx, SmallVector<DropZeroOperands<CausalConv1dOp>::Accessor>{
               &CausalConv1dOp::getBiasMutable,
               &CausalConv1dOp::getInitialStateMutable});
}

void SelectiveScanOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                                  MLIRContext *ctx) {
  patterns.add<DropUnusedFinalState<SelectiveScanOp>>(ctx);
  patterns.add<DropZeroOperands<SelectiveScanOp>>(
      ctx, SmallVector<DropZeroOperands<SelectiveScanOp>::Accessor>{
               &SelectiveScanOp::getDMutable, &SelectiveScanOp::getDeltaBiasMutable,
               &SelectiveScanOp::getInitialStateMutable});
}

void SSDOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *ctx) {
  patterns.add<DropUnusedFinalState<SSDOp>>(ctx);
  patterns.add<DropZeroOperands<SSDOp>>(
      ctx, SmallVector<DropZeroOperands<SSDOp>::Accessor>{
               &SSDOp::getDMutable, &SSDOp::getDtBiasMutable,
               &SSDOp::getInitialStateMutable});
}
