// ssm-fuse: neighbouring ops folded into one kernel (Passes.td).
#include "dialects/SSM/SSMOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMFUSE
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

// rms_norm(a + b) -> rms_norm(a) residual(b), whose `sum` replaces a + b.
struct AddIntoRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp norm, PatternRewriter &rewriter) const override {
    if (norm.getResidual())
      return rewriter.notifyMatchFailure(norm, "already has a residual");
    auto add = norm.getInput().getDefiningOp<arith::AddFOp>();
    if (!add || !isa<RankedTensorType>(add.getType()))
      return rewriter.notifyMatchFailure(norm, "input is not a tensor add");
    // The fused op stands where the norm is: every other reader of the sum
    // must come later in the same block.
    for (Operation *user : add->getUsers())
      if (user != norm && (user->getBlock() != norm->getBlock() ||
                           !norm->isBeforeInBlock(user)))
        return rewriter.notifyMatchFailure(norm, "the sum is read before the norm");
    Type sumType = add.getType();
    auto fused = RMSNormOp::create(rewriter, norm.getLoc(), norm.getResult().getType(),
                                   sumType, add.getLhs(), norm.getWeight(), add.getRhs(),
                                   norm.getEpsAttr());
    rewriter.replaceAllUsesExcept(add.getResult(), fused.getSum(), norm);
    rewriter.replaceOp(norm, fused.getResult());
    rewriter.eraseOp(add);
    return success();
  }
};

// selective_state_update(dt = linear(u, W)) -> selective_state_update(dt = u,
// dt_proj(W)): the decode step's dt projection inside the step kernel.
struct DtProjIntoStateUpdate : OpRewritePattern<SelectiveStateUpdateOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SelectiveStateUpdateOp step,
                                PatternRewriter &rewriter) const override {
    if (step.getDtProj())
      return rewriter.notifyMatchFailure(step, "already projects dt");
    auto proj = step.getDt().getDefiningOp<LinearOp>();
    if (!proj || proj.getBias() || !proj->hasOneUse() ||
        cast<RankedTensorType>(proj.getInput().getType()).getRank() != 2)
      return rewriter.notifyMatchFailure(step, "dt is not a bias-free [b, R] projection");
    rewriter.modifyOpInPlace(step, [&] {
      step.getDtMutable().assign(proj.getInput());
      step.getDtProjMutable().assign(proj.getWeight());
    });
    rewriter.eraseOp(proj);
    return success();
  }
};

struct SSMFusePass : ssm::impl::SSMFuseBase<SSMFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AddIntoRMSNorm, DtProjIntoStateUpdate>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
