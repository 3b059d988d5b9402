#include "dialects/SSM/SSMOps.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMSIMPLIFY
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {
struct SSMSimplifyPass : ssm::impl::SSMSimplifyBase<SSMSimplifyPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    auto *dialect = getContext().getLoadedDialect<SSMDialect>();
    for (RegisteredOperationName name : getContext().getRegisteredOperations())
      if (&name.getDialect() == dialect)
        name.getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
