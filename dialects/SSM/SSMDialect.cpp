#include "dialects/SSM/SSMDialect.h"
#include "dialects/SSM/SSMOps.h"

using namespace mlir;
using namespace mlir::ssm;

#include "dialects/SSM/SSMDialect.cpp.inc"

void SSMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/SSM/SSMOps.cpp.inc"
      >();
}
