// ssm-outline-gpu-kernels: every kernel the CPU outliner named gets a GPU
// twin of the same name in the `@ssmc_gpu` gpu.module (see passes/Passes.td),
// so one schedule serves both targets.
#include "passes/Passes.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuLaunch.h"
#include "passes/gpu/NormKernel.h"
#include "passes/gpu/ScanKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMOUTLINEGPUKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr StringLiteral kModuleName = "ssmc_gpu";
constexpr int64_t kBlockSize = 256;

// memref<?x...x?xT, strided<[?, ...], offset: ?>>, as the CPU kernels take.
MemRefType anyViewType(Type tensorType) {
  auto shaped = cast<ShapedType>(tensorType);
  SmallVector<int64_t> dynamic(shaped.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(tensorType.getContext(), ShapedType::kDynamic,
                                       dynamic);
  return MemRefType::get(dynamic, shaped.getElementType(), layout);
}

// A parallel bound as a grid factor: `memref.dim %arg, c` of a kernel
// argument; nullopt for anything else.
std::optional<GridFactor> asFactor(Value bound, Block &entry) {
  auto dim = bound.getDefiningOp<memref::DimOp>();
  if (!dim)
    return std::nullopt;
  auto arg = dyn_cast<BlockArgument>(dim.getSource());
  std::optional<int64_t> index = dim.getConstantIndex();
  if (!arg || arg.getOwner() != &entry || !index)
    return std::nullopt;
  return GridFactor{static_cast<int64_t>(arg.getArgNumber()), *index};
}

struct SSMOutlineGpuKernelsPass
    : ssm::impl::SSMOutlineGpuKernelsBase<SSMOutlineGpuKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One template op per kernel name, in program order.
    llvm::MapVector<StringAttr, Operation *> kernels;
    module.walk([&](Operation *op) {
      if (auto tag = op->getAttrOfType<FlatSymbolRefAttr>("ssm.kernel"))
        kernels.insert({tag.getAttr(), op});
    });
    if (kernels.empty())
      return;

    OpBuilder b(module.getBodyRegion());
    auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kModuleName);
    if (!gpuModule) {
      b.setInsertionPointToEnd(module.getBody());
      auto target = NVVM::NVVMTargetAttr::get(&getContext(), /*optLevel=*/3,
                                              "nvptx64-nvidia-cuda", chip);
      gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kModuleName,
                                           b.getArrayAttr({target}));
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
    }
    for (auto [name, op] : kernels) {
      if (gpuModule.lookupSymbol(name) ||
          gpuModule.lookupSymbol(name.str() + "_states"))
        continue; // an earlier run made it
      if (failed(buildKernel(b, gpuModule, op, name.getValue())))
        return signalPassFailure();
    }
  }

  LogicalResult buildKernel(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                            Operation *op, StringRef name) {
    auto scan = dyn_cast<SelectiveScanOp>(op);
    bool staticN = scan && !ShapedType::isDynamic(
                               cast<ShapedType>(scan.getA().getType()).getDimSize(1));
    if (scan && staticN && chunkLength > 0) {
      op->setAttr("ssm.gpu_chunk_length", b.getI64IntegerAttr(chunkLength));
      return buildChunkedSelectiveScanKernels(b, gpuModule, scan, name, chunkLength);
    }
    if (scan && staticN) {
      // State in registers: thread = channel (grid x), block row = batch (grid y).
      FailureOr<gpu::GPUFuncOp> func = buildSelectiveScanKernel(b, gpuModule, scan, name);
      if (failed(func))
        return failure();
      GpuLaunch launch;
      launch.block = {kScanBlockSize, 1, 1};
      launch.grid[0] = {{{0, 2}}, kScanBlockSize}; // ceil(e / block)
      launch.grid[1] = {{{0, 0}}, 1};              // b
      for (int64_t i = 0, e = func->getNumArguments(); i < e; ++i)
        launch.unitInnerStride.push_back(i);
      setLaunch(*func, launch);
      return success();
    }
    if (isa<RMSNormOp, GatedRMSNormOp>(op)) {
      // A block per row: grid x = the product of the input's leading sizes.
      FailureOr<gpu::GPUFuncOp> func = buildRowNormKernel(b, gpuModule, op, name);
      if (failed(func))
        return failure();
      GpuLaunch launch;
      launch.block = {kNormBlockSize, 1, 1};
      int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
      for (int64_t i = 0; i + 1 < rank; ++i)
        launch.grid[0].product.push_back({0, i});
      setLaunch(*func, launch);
      return success();
    }
    return buildLoopKernel(b, gpuModule, op, name);
  }

  // The CPU emitter's loops with parallel nests spread over the grid.
  LogicalResult buildLoopKernel(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                                Operation *op, StringRef name) {
    SmallVector<Type> types;
    for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
      types.push_back(anyViewType(t));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(gpuModule.getBody());
    auto func = gpu::GPUFuncOp::create(b, op->getLoc(), name, b.getFunctionType(types, {}));
    func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
    func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(kBlockSize), 1, 1}));
    Block &entry = func.getBody().front();
    b.setInsertionPointToStart(&entry);
    ValueRange args = entry.getArguments();
    unsigned numInputs = op->getNumOperands();
    SmallVector<SmallVector<Value>> bounds;
    if (failed(emitGpuKernelBody(b, op, args.take_front(numInputs),
                                 args.drop_front(numInputs), bounds))) {
      func.erase();
      return failure();
    }
    gpu::ReturnOp::create(b, op->getLoc());

    // Size the grid for the nest with the most iterations we can name (the
    // grid-stride loops are correct for any grid; this only avoids idle or
    // missing threads). Prefer the nest with the most factors.
    GpuLaunch launch;
    launch.block = {kBlockSize, 1, 1};
    launch.gridStride = true;
    size_t best = 0;
    for (const SmallVector<Value> &nest : bounds) {
      SmallVector<GridFactor> factors;
      for (Value bound : nest)
        if (std::optional<GridFactor> f = asFactor(bound, entry))
          factors.push_back(*f);
      if (factors.size() > best) {
        best = factors.size();
        launch.grid[0] = {factors, kBlockSize};
      }
    }
    setLaunch(func, launch);
    return success();
  }
};

} // namespace
