// ssm-outline-cpu-kernels: one private memref kernel function per distinct
// compute op (see passes/Passes.td). The tensor program is left as is; ops
// are only tagged with the kernel that computes them.
#include "passes/Passes.h"
#include "passes/cpu/KernelEmitters.h"

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMOUTLINECPUKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

static constexpr StringLiteral kKernelAttr = "ssm.kernel";

// Everything the loop nest depends on: the op, its inherent attributes (which
// include operandSegmentSizes, i.e. which optional operands are present), and
// the element type and rank of each operand and result (their count says
// which optional results are present), and each one's innermost size where
// it is static: the GPU kernels specialize on some (the state size N, the
// convolution width, dt_proj's rank R). The other sizes are read at run
// time.
static std::string kernelKey(Operation *op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op->getName() << "|";
  NamedAttrList inherent;
  op->getName().populateInherentAttrs(op, inherent);
  os << inherent.getDictionary(op->getContext()) << "|";
  auto printTypes = [&](TypeRange types) {
    for (Type t : types) {
      auto shaped = cast<ShapedType>(t);
      os << shaped.getElementType() << "/" << shaped.getRank();
      if (shaped.getRank() > 0 && !shaped.isDynamicDim(shaped.getRank() - 1))
        os << "/" << shaped.getDimSize(shaped.getRank() - 1);
      os << ",";
    }
    os << "|";
  };
  printTypes(op->getOperandTypes());
  printTypes(op->getResultTypes());
  return key;
}

namespace {
struct OutlineCpuKernelsPass
    : ssm::impl::SSMOutlineCpuKernelsBase<OutlineCpuKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<FlatSymbolRefAttr> kernels;
    unsigned counter = 0;

    // Snapshot first: the kernels created below are not walked.
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    SmallVector<Operation *> ops;
    for (func::FuncOp f : funcs)
      f.walk([&](Operation *op) {
        if (!hasCpuKernelEmitter(op) || (isa<LinearOp>(op) && !outlineLinear))
          return;
        // Already outlined by an earlier run: keep that kernel.
        if (auto tag = op->getAttrOfType<FlatSymbolRefAttr>(kKernelAttr))
          if (symbols.lookup(tag.getValue()))
            return;
        ops.push_back(op);
      });

    for (Operation *op : ops) {
      std::string key = kernelKey(op);
      auto it = kernels.find(key);
      if (it == kernels.end()) {
        FailureOr<FlatSymbolRefAttr> kernel = createKernel(op, symbols, counter);
        if (failed(kernel))
          return signalPassFailure();
        it = kernels.insert({key, *kernel}).first;
      }
      op->setAttr(kKernelAttr, it->second);
    }
  }

  FailureOr<FlatSymbolRefAttr> createKernel(Operation *op, SymbolTable &symbols,
                                            unsigned &counter) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<Type> argTypes;
    for (Type t : llvm::concat<const Type>(op->getOperandTypes(),
                                           op->getResultTypes()))
      argTypes.push_back(anyViewType(t));

    std::string name;
    do
      name = "ssmc_k" + std::to_string(counter++);
    while (symbols.lookup(name));

    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    auto kernel = func::FuncOp::create(b, op->getLoc(), name,
                                       FunctionType::get(ctx, argTypes, {}));
    kernel.setPrivate();
    kernel->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    Block *entry = kernel.addEntryBlock();
    b.setInsertionPointToStart(entry);
    ValueRange args = entry->getArguments();
    unsigned numInputs = op->getNumOperands();
    if (failed(emitCpuKernelBody(b, op, args.take_front(numInputs),
                                 args.drop_front(numInputs)))) {
      kernel.erase();
      return failure();
    }
    func::ReturnOp::create(b, op->getLoc());
    symbols.insert(kernel);
    return FlatSymbolRefAttr::get(kernel.getSymNameAttr());
  }
};
} // namespace
