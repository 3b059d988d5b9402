#ifndef SSMC_DIALECTS_SSM_SSMOPS_H
#define SSMC_DIALECTS_SSM_SSMOPS_H

#include <limits>

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/SSM/SSMDialect.h"

#define GET_OP_CLASSES
#include "dialects/SSM/SSMOps.h.inc"

#endif
