// ssmc-opt: runs ssm and upstream passes over MLIR files (the lit tests' driver).
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "dialects/SSM/SSMDialect.h"
#include "passes/Passes.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ssm::registerSSMPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  // Dialect extensions: e.g. the conversions to LLVM the NVVM pipeline needs.
  mlir::registerAllExtensions(registry);
  // LLVM IR translations: gpu-module-to-binary serializes kernels through them.
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::ssm::SSMDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ssmc optimizer driver\n", registry));
}
