#include "passes/gpu/DeviceCodegen.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr StringLiteral kModuleName = "ssmc_gpu";

// Runs the upstream NVVM pipeline on a module holding only a copy of the
// gpu.module and returns the bytes of its one object (`format`: isa or bin).
FailureOr<std::string> serialize(gpu::GPUModuleOp gpuModule,
                                 const DeviceCodegenOptions &options, StringRef format) {
  MLIRContext *ctx = gpuModule.getContext();
  OwningOpRef<ModuleOp> holder = ModuleOp::create(gpuModule.getLoc());
  (*holder)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
  auto copy = cast<gpu::GPUModuleOp>(gpuModule->clone());
  // The pipeline attaches its own #nvvm.target (chip, features); a second
  // one would make a second object.
  copy->removeAttr(copy.getTargetsAttrName());
  holder->getBody()->push_back(copy);

  PassManager pm(ctx);
  std::string pipeline = llvm::formatv(
      "gpu-lower-to-nvvm-pipeline{{cubin-chip={0} cubin-features={1} "
      "cubin-format={2} opt-level={3}}",
      options.chip, options.features, format, options.optLevel);
  if (failed(parsePassPipeline(pipeline, pm)))
    return gpuModule.emitError() << "bad NVVM pipeline: " << pipeline;
  if (failed(pm.run(*holder)))
    return gpuModule.emitError() << "lowering the GPU kernels to " << format << " failed";
  auto binary = holder->lookupSymbol<gpu::BinaryOp>(kModuleName);
  if (!binary || binary.getObjects().size() != 1)
    return gpuModule.emitError() << "the NVVM pipeline left no single GPU object";
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  return object.getObject().getValue().str();
}

} // namespace

FailureOr<DeviceImage> ssm::buildDeviceImage(ModuleOp module,
                                             const DeviceCodegenOptions &options) {
  auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kModuleName);
  if (!gpuModule)
    return module.emitError() << "no @" << kModuleName
                              << " gpu.module (run ssm-outline-gpu-kernels first)";
  FailureOr<std::map<std::string, GpuLaunch>> launches = getLaunches(gpuModule);
  if (failed(launches))
    return failure();
  DeviceImage image;
  for (auto &[symbol, launch] : *launches) {
    for (const GpuStage &stage : launch.stages) {
      StringRef function = stage.function.empty() ? StringRef(symbol) : StringRef(stage.function);
      auto func = gpuModule.lookupSymbol<gpu::GPUFuncOp>(function);
      if (!func || !func.isKernel())
        return gpuModule.emitOpError() << "launches '" << function
                                       << "', which is not a kernel of the module";
    }
    image.symbols.push_back(symbol);
    image.launches.push_back(launch);
  }
  FailureOr<std::string> ptx = serialize(gpuModule, options, "isa");
  if (failed(ptx))
    return failure();
  FailureOr<std::string> cubin = serialize(gpuModule, options, "bin");
  if (failed(cubin))
    return failure();
  image.ptx = std::move(*ptx);
  image.cubin = std::move(*cubin);
  return image;
}
