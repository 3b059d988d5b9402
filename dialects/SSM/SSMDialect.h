#ifndef SSMC_DIALECTS_SSM_SSMDIALECT_H
#define SSMC_DIALECTS_SSM_SSMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/SSM/SSMDialect.h.inc"

#endif
