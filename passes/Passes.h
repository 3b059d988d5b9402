#ifndef SSMC_PASSES_PASSES_H
#define SSMC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

#include "dialects/SSM/SSMDialect.h"

namespace mlir::ssm {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::ssm

#endif
