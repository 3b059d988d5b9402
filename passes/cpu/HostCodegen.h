#ifndef SSMC_PASSES_CPU_HOSTCODEGEN_H
#define SSMC_PASSES_CPU_HOSTCODEGEN_H

// The CPU target's back end: kernel functions on memrefs -> LLVM IR with the
// runtime's one-pointer ABI wrappers -> optimized object code -> a shared
// object (linked by the system's C compiler driver).

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::ssm {

struct HostCodegenOptions {
  std::string cpu = "x86-64"; // LLVM CPU name; "native" = this machine's
  unsigned optLevel = 3;
  std::string linker = "cc"; // driver used as `linker -shared -o out.so in.o -lm`
};

struct HostImage {
  std::string sharedObject;         // bytes of the .so
  std::vector<std::string> symbols; // exported `void sym(void **args)` wrappers
};

/// Lowers every `func.func` of `kernels` (a module holding only kernels, as
/// left by ssm-build-cpu-schedule) to LLVM, wraps each kernel `k` as
/// `void k(void **args)` (args[i] = &memref descriptor i) and builds a
/// shared object. `llvmIR`, when given, receives the optimized module's text.
/// Errors are reported as diagnostics on `kernels`.
FailureOr<HostImage> buildHostImage(ModuleOp kernels, const HostCodegenOptions &options,
                                    std::string *llvmIR = nullptr);

/// Runs only the MLIR part (kernels -> LLVM dialect), for --emit=llvm-dialect.
LogicalResult lowerKernelsToLLVMDialect(ModuleOp kernels);

} // namespace mlir::ssm

#endif
