#ifndef SSMC_FRONTEND_IMPORTIR_H
#define SSMC_FRONTEND_IMPORTIR_H

// Builds the model-level ssm IR of a ModelGraph: `func.func @prefill` and
// `func.func @decode` on tensors, weights as `ssm.weight` ops.

#include "frontend/ModelGraph.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace ssmc::frontend {

// Names of the entry points' results and state operands (`ssm.name` attrs).
std::string convStateName(size_t layer);
std::string ssmStateName(size_t layer);

// Activations are f32: the CPU target computes in f32 whatever the
// checkpoint's dtype (the compiler converts weights when it embeds them).
mlir::OwningOpRef<mlir::ModuleOp> buildModelIR(mlir::MLIRContext &context,
                                               const ModelGraph &graph);

} // namespace ssmc::frontend

#endif
