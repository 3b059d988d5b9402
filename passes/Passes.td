#ifndef SSMC_PASSES_TD
#define SSMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMSimplify : Pass<"ssm-simplify"> {
  let summary = "Bring ssm ops to canonical form";
  let description = [{
    Applies the ssm dialect's canonicalization patterns (and only those) until
    a fixed point: optional operands that are constant zeros are dropped (an
    absent D skip, bias or initial state means zero), and final-state results
    that nothing reads are removed so later stages never compute them.
  }];
  let dependentDialects = ["mlir::ssm::SSMDialect"];
}

#endif // SSMC_PASSES_TD
