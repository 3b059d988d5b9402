// ssm-outline-gpu-kernels: every kernel the CPU outliner named gets a GPU
// twin of the same name in the `@ssmc_gpu` gpu.module (see passes/Passes.td),
// so one schedule serves both targets.
#include "passes/Passes.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/FusedProjection.h"
#include "passes/gpu/GemvKernel.h"
#include "passes/gpu/RoundBf16Kernel.h"
#include "passes/gpu/GpuKernelFunc.h"
#include "passes/gpu/GpuLaunch.h"
#include "passes/gpu/NormKernel.h"
#include "passes/gpu/SSDChunkKernels.h"
#include "passes/gpu/SSDMmaKernels.h"
#include "passes/gpu/SSDSequentialKernel.h"
#include "passes/gpu/SamplerKernel.h"
#include "passes/gpu/ScanKernel.h"
#include "passes/gpu/StateUpdateKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMOUTLINEGPUKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr StringLiteral kModuleName = "ssmc_gpu";
constexpr int64_t kBlockSize = 256;

// 0, 1, ..., n - 1: a launch stage's first arguments are the step's operands.
SmallVector<int64_t> firstIndices(int64_t n) {
  return llvm::to_vector(llvm::seq<int64_t>(0, n));
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

// A bound ceil(d / k) as LoopBuilder::ceilDiv(d, k) builds it, (d + (k -
// 1)) / k (a nest over tiles of k), d a kernel argument's dimension: {d, k}.
std::optional<std::pair<GridFactor, int64_t>> asTileCount(Value bound, Block &entry) {
  auto div = bound.getDefiningOp<arith::DivUIOp>();
  auto sum = div ? div.getLhs().getDefiningOp<arith::AddIOp>() : arith::AddIOp();
  std::optional<int64_t> k = div ? getConstantIntValue(div.getRhs()) : std::nullopt;
  std::optional<int64_t> add = sum ? getConstantIntValue(sum.getRhs()) : std::nullopt;
  if (!k || !add || *add != *k - 1)
    return std::nullopt;
  if (std::optional<GridFactor> f = asFactor(sum.getLhs(), entry))
    return std::make_pair(*f, *k);
  return std::nullopt;
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
    if (ssdSequentialFrom < 0) {
      module.emitError() << "ssd-sequential-from must not be negative";
      return signalPassFailure();
    }
    if (scanUnroll < 1 || ssdUnroll < 1) {
      module.emitError() << "scan-unroll and ssd-unroll must be at least 1";
      return signalPassFailure();
    }
    if (gemvStretchesPerWarp < 1 || gemvStretchesPerWarp > 16) {
      module.emitError() << "gemv-stretches-per-warp must be in [1, 16], not "
                         << int64_t(gemvStretchesPerWarp);
      return signalPassFailure();
    }
    if (!ssdMathMode()) {
      module.emitError() << "ssd-math must be scalar, tf32x3 or tf32, not '" << ssdMath << "'";
      return signalPassFailure();
    }

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
    if (sampler && !gpuModule.lookupSymbol(kSamplerKernelName)) {
      buildSamplerKernel(b, gpuModule, module.getLoc());
      // A block per row of logits (the first argument's rows).
      GpuStage stage;
      stage.block = {kSamplerBlockSize, 1, 1};
      stage.grid[0].product = {{0, 0}};
      setLaunch(gpuModule, kSamplerKernelName, GpuLaunch{{stage}, {}});
    }
    if (gemv) {
      for (GemvWeight weight : kGemvWeights)
        for (int64_t rows : kGemvRowTiles) {
          std::string name = gemvKernelName(weight, rows);
          if (gpuModule.lookupSymbol(name))
            continue;
          buildGemvKernel(b, gpuModule, module.getLoc(), weight, rows, gemvStretchesPerWarp);
          setLaunch(gpuModule, name, GpuLaunch{{gemvStage(weight, {0, 1})}, {}});
        }
      addFusedProjections(b, module, gpuModule);
    }
    if (roundBf16 && !gpuModule.lookupSymbol(kRoundBf16KernelName)) {
      buildRoundBf16Kernel(b, gpuModule, module.getLoc());
      // A thread per element of argument 0 ([m, k]), grid-stride; the
      // destination (argument 1) is read with unit innermost stride.
      GpuStage stage;
      stage.block = {kRoundBf16BlockSize, 1, 1};
      stage.gridStride = true;
      stage.grid[0] = {{{0, 0}, {0, 1}}, kRoundBf16BlockSize};
      stage.unitInnerStride = {1};
      setLaunch(gpuModule, kRoundBf16KernelName, GpuLaunch{{stage}, {}});
    }
    if (gridDependencyWait && failed(addGridDependencyWaits(module, gpuModule)))
      return signalPassFailure();
  }

  // A skinny-GEMM kernel's launch: about one block per 8 / S rows of w
  // (argument 1, [n, k]; the runtime sizes the grid exactly), grid-stride,
  // `unitInner` read with unit innermost strides.
  GpuStage gemvStage(GemvWeight weight, ArrayRef<int64_t> unitInner) const {
    GpuStage stage;
    stage.block = {kGemvBlockSize, 1, 1};
    stage.gridStride = true;
    stage.grid[0] = {{{1, 0}, {1, 1}}, gemvElementsPerBlock(weight, gemvStretchesPerWarp)};
    stage.unitInnerStride.assign(unitInner.begin(), unitInner.end());
    return stage;
  }

  // The decode step's norm -> in_proj -> conv as one skinny GEMM
  // (passes/FusedProjection.h): a family of kernels (each weight type and
  // row tile) per distinct form, the linear tagged with its name.
  void addFusedProjections(OpBuilder &b, ModuleOp module, gpu::GPUModuleOp gpuModule) {
    std::map<std::tuple<float, bool, bool, int64_t, int64_t, bool, bool>, std::string> families;
    module.walk([&](LinearOp linear) {
      std::optional<FusedProjection> match = matchFusedProjection(linear);
      if (!match)
        return;
      GemvFusion f;
      f.eps = match->norm.getEps().convertToFloat();
      f.residual = bool(match->norm.getResidual());
      f.bias = bool(linear.getBias());
      f.convOffset = match->convOffset;
      f.convWidth = match->conv.getWeight().getType().getDimSize(1);
      f.convBias = bool(match->conv.getBias());
      f.silu = match->conv.getSilu();
      auto key = std::make_tuple(f.eps, f.residual, f.bias, f.convOffset, f.convWidth,
                                 f.convBias, f.silu);
      auto [at, fresh] = families.try_emplace(
          key, std::string(kFusedGemvPrefix) + std::to_string(families.size()));
      const std::string &family = at->second;
      linear->setAttr(kFusedGemvAttr, b.getStringAttr(family));
      if (!fresh)
        return;
      for (GemvWeight weight : kGemvWeights)
        for (int64_t rows : kGemvRowTiles) {
          std::string name = fusedGemvKernelName(family, weight, rows);
          if (gpuModule.lookupSymbol(name))
            continue; // an earlier run made it
          buildFusedGemvKernel(b, gpuModule, module.getLoc(), family, weight, rows,
                               gemvStretchesPerWarp, f);
          // x, w, g, and r and the sum when there is a residual (the sum
          // after bias, conv state and weights, c).
          SmallVector<int64_t> unitInner{0, 1, 2};
          if (f.residual)
            unitInner.append({3, 7 + int64_t(f.bias) + int64_t(f.convBias)});
          GpuStage stage = gemvStage(weight, unitInner);
          stage.sharedBytes = kFusedGemvStageBytes;
          setLaunch(gpuModule, name, GpuLaunch{{stage}, {}});
        }
    });
  }

  // Every kernel waits for the grids before it. Those of the decode step
  // (and the runtime's own) also let the next kernel be scheduled from
  // their start: decode's kernels are short, and this hides most of each
  // launch. Kernels that only prefill runs signal as they exit: with the
  // early signal, Mamba-2's chunked SSD at b1 x 128 took 20 us a layer
  // longer on the H100 (a large kernel's blocks, scheduled while the SMs
  // are still busy, seem to land unevenly; docs/perf.md).
  LogicalResult addGridDependencyWaits(ModuleOp module, gpu::GPUModuleOp gpuModule) {
    llvm::StringSet<> decodeSteps, prefillSteps;
    for (auto func : module.getOps<func::FuncOp>()) {
      llvm::StringSet<> *steps = func.getName() == "decode"    ? &decodeSteps
                                 : func.getName() == "prefill" ? &prefillSteps
                                                               : nullptr;
      if (!steps)
        continue;
      func.walk([&](Operation *op) {
        if (auto tag = op->getAttrOfType<FlatSymbolRefAttr>("ssm.kernel"))
          steps->insert(tag.getValue());
      });
    }
    FailureOr<std::map<std::string, GpuLaunch>> launches = getLaunches(gpuModule);
    if (failed(launches))
      return failure();
    llvm::StringSet<> prefillOnly;
    for (const auto &[symbol, launch] : *launches)
      if (prefillSteps.contains(symbol) && !decodeSteps.contains(symbol))
        for (const GpuStage &stage : launch.stages)
          prefillOnly.insert(stage.function.empty() ? symbol : stage.function);
    for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>())
      if (kernel.isKernel())
        beginWithGridDependencyWait(kernel, !prefillOnly.contains(kernel.getName()));
    return success();
  }

  LogicalResult buildKernel(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                            Operation *op, StringRef name) {
    auto scan = dyn_cast<SelectiveScanOp>(op);
    bool staticN = scan && !ShapedType::isDynamic(
                               cast<ShapedType>(scan.getA().getType()).getDimSize(1));
    if (scan && staticN && chunkLength > 0)
      return buildChunkedScan(b, gpuModule, scan, name);
    if (scan && staticN) {
      ScanTiling tiling = scanTiling(scan);
      if (failed(buildSelectiveScanKernel(b, gpuModule, scan, name, tiling)))
        return failure();
      // ~ b * e * lanes threads.
      GpuStage stage = scanStage(scan, "", {{{0, 0}, {0, 2}}, kScanBlockSize / tiling.lanes});
      setLaunch(gpuModule, name, GpuLaunch{{stage}, {}});
      return success();
    }
    if (auto ssd = dyn_cast<SSDOp>(op); ssd && ssdChunkLength > 0 &&
        !ShapedType::isDynamic(cast<ShapedType>(ssd.getB().getType()).getDimSize(3)))
      return buildChunkedSSD(b, gpuModule, ssd, name, *ssdMathMode());
    if (auto update = dyn_cast<SelectiveStateUpdateOp>(op)) {
      auto state = cast<ShapedType>(update.getState().getType());
      if (!ShapedType::isDynamic(state.getDimSize(state.getRank() - 1)))
        return buildStateUpdate(b, gpuModule, update, name);
    }
    if (isa<RMSNormOp, GatedRMSNormOp>(op)) {
      // A block per row: grid x = the product of the input's leading sizes.
      if (failed(buildRowNormKernel(b, gpuModule, op, name)))
        return failure();
      GpuStage stage;
      stage.block = {kNormBlockSize, 1, 1};
      int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
      for (int64_t i = 0; i + 1 < rank; ++i)
        stage.grid[0].product.push_back({0, i});
      setLaunch(gpuModule, name, GpuLaunch{{stage}, {}});
      return success();
    }
    return buildLoopKernel(b, gpuModule, op, name);
  }

  std::optional<SSDMath> ssdMathMode() {
    return llvm::StringSwitch<std::optional<SSDMath>>(ssdMath)
        .Case("scalar", SSDMath::Scalar)
        .Case("tf32x3", SSDMath::TF32x3)
        .Case("tf32", SSDMath::TF32)
        .Default(std::nullopt);
  }

  ScanTiling scanTiling(SelectiveScanOp op) {
    int64_t n = cast<ShapedType>(op.getA().getType()).getDimSize(1);
    return {chunkLength, scanUnroll, scanRowLanes ? scanLanesPerRow(n) : 1};
  }

  // A scan kernel's launch (passes/gpu/ScanKernel.h): grid-stride loops over
  // `threads`; every step argument has a unit innermost stride in its type.
  GpuStage scanStage(SelectiveScanOp op, StringRef function, GridExtent threads) {
    GpuStage stage;
    stage.function = function.str();
    stage.block = {kScanBlockSize, 1, 1};
    stage.gridStride = true;
    stage.grid[0] = threads;
    stage.unitInnerStride = firstIndices(op->getNumOperands() + op->getNumResults());
    return stage;
  }

  // Chunks of L scanned in parallel: _states (each chunk from zero), _carry
  // (the state entering each chunk, across chunks), _outputs (each chunk
  // recomputed from its entering state). Scratch: the chunk states [b, K, e,
  // N] and their dt sums [b, K, e], K = ceil(L / shortest chunk): the
  // kernels shorten their chunks where rows are few (ScanKernel.h).
  LogicalResult buildChunkedScan(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                                 SelectiveScanOp op, StringRef name) {
    if (failed(buildChunkedSelectiveScanKernels(b, gpuModule, op, name, scanTiling(op))))
      return failure();
    op->setAttr("ssm.gpu_chunk_length", b.getI64IntegerAttr(chunkLength));
    int64_t operands = op->getNumOperands();
    SmallVector<int64_t> inputs = firstIndices(operands);
    const int64_t states = -1, sums = -2; // scratch buffers 0 and 1
    GpuLaunch launch;
    GridFactor batch{0, 0}, len{0, 1}, channels{0, 2}, n{2, 1}; // A is [e, N]
    const int64_t shortest = scanShortestChunk(chunkLength);
    launch.scratch = {{{{batch}, 1}, {{len}, shortest}, {{channels}, 1}, {{n}, 1}},
                      {{{batch}, 1}, {{len}, shortest}, {{channels}, 1}}};
    // ~ b * K * e * lanes threads for the row kernels (K of the shortest
    // chunks: with longer ones, some blocks find no task), b * e * N for
    // the carry.
    GridExtent rows{{batch, len, channels},
                    std::max<int64_t>(1, shortest * kScanBlockSize / scanTiling(op).lanes)};
    GpuStage first = scanStage(op, (name + "_states").str(), rows);
    first.args = inputs;
    first.args.append({states, sums});
    GpuStage carry =
        scanStage(op, (name + "_carry").str(), {{batch, channels, n}, kScanBlockSize});
    carry.args = inputs;
    carry.args.append({states, sums});
    if (op.getFinalState())
      carry.args.push_back(operands + 1);
    GpuStage outputs = scanStage(op, (name + "_outputs").str(), rows);
    outputs.args = inputs;
    outputs.args.append({states, operands});
    launch.stages = {first, carry, outputs};
    setLaunch(gpuModule, name, launch);
    return success();
  }

  // SSD in chunks (passes/gpu/SSDChunkKernels.h, SSDMmaKernels.h). Scratch: the chunk
  // states [b, K, H, P, N] ([b, K, H, N, P] on the tensor cores) and the dt
  // sums [b, K, H], K = ceil(L / chunk).
  LogicalResult buildChunkedSSD(OpBuilder &b, gpu::GPUModuleOp gpuModule, SSDOp op,
                                StringRef name, SSDMath math) {
    SSDTiling tiling{ssdChunkLength, ssdUnroll, math, ssdSequentialFrom};
    if (failed(buildChunkedSSDKernels(b, gpuModule, op, name, tiling)))
      return failure();
    const int64_t chunkLength = tiling.chunk;
    op->setAttr("ssm.gpu_chunk_length", b.getI64IntegerAttr(chunkLength));
    int64_t operands = op->getNumOperands();
    SmallVector<int64_t> inputs = firstIndices(operands);
    const int64_t states = -1, sums = -2; // scratch buffers 0 and 1
    GridFactor batch{0, 0}, len{0, 1}, heads{0, 2}, p{0, 3}, n{3, 3}; // B is [b, L, G, N]
    GpuLaunch launch;
    GridExtent rowsOfS{{p}, 1}, colsOfS{{n}, 1};
    if (ssdStatesByN(op, tiling))
      std::swap(rowsOfS, colsOfS);
    launch.scratch = {{{{batch}, 1}, {{len}, chunkLength}, {{heads}, 1}, rowsOfS, colsOfS},
                      {{{batch}, 1}, {{len}, chunkLength}, {{heads}, 1}}};
    auto stage = [&](StringRef suffix, GridExtent blocks) {
      GpuStage s;
      s.function = (name + suffix).str();
      s.block = {kSSDBlockSize, 1, 1};
      s.gridStride = true;
      s.grid[0] = blocks;
      s.args = inputs;
      return s;
    };
    // On the tensor cores a warp per (batch, chunk, head) and 16 states
    // (~ b * K * H * N / 16 warps) or 16 steps (~ b * L * H / 16 warps); else
    // b * K * H * P * lanes threads (lanes divides the block size). b * H * P
    // * N threads for the carry.
    const int64_t warps = kSSDBlockSize / 32;
    int64_t lanes = ssdLanesPerRow(cast<ShapedType>(op.getB().getType()).getDimSize(3));
    GridExtent rows{{batch, len, heads, p}, chunkLength * kSSDBlockSize / lanes};
    bool mma = ssdUsesMma(op, tiling);
    GpuStage first = stage("_states", mma ? GridExtent{{batch, len, heads, n},
                                                        chunkLength * 16 * warps}
                                          : rows),
             outputs = stage("_outputs", mma ? GridExtent{{batch, len, heads},
                                                          16 * (kSSDOutputsBlockSize / 32)}
                                             : rows),
             carry = stage("_carry", {{batch, heads, p, n}, kSSDBlockSize});
    if (mma)
      outputs.block = {kSSDOutputsBlockSize, 1, 1};
    first.args.append({states, sums});
    carry.args.append({states, sums});
    if (op.getFinalState())
      carry.args.push_back(operands + 1);
    outputs.args.append({states, operands});
    launch.stages = {first, carry, outputs};
    if (ssdUsesSequential(op, tiling)) {
      // A block per (batch, head); only one form finds work in a launch.
      GpuStage sequential = stage("_sequential", {{batch, heads}, 1});
      sequential.block = {kSSDSequentialBlockSize, 1, 1};
      sequential.sharedBytes = ssdSequentialSharedBytes(op, chunkLength);
      sequential.args.push_back(operands);
      if (op.getFinalState())
        sequential.args.push_back(operands + 1);
      launch.stages.push_back(sequential);
    }
    setLaunch(gpuModule, name, launch);
    return success();
  }

  // The decode step: S lanes per row of N states, ~ b * e * S threads for
  // Mamba-1 (rows (batch, channel)), b * H * P * S for Mamba-2 (rows (batch,
  // head, p)), with a grid stride. With dt_proj fused in, a task takes 8
  // sequences from 32 on: the grid is not divided by 8 (ceil(b / 8) has no
  // GridExtent), so at those batches most of its blocks find no task.
  LogicalResult buildStateUpdate(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                                 SelectiveStateUpdateOp op, StringRef name) {
    if (failed(buildStateUpdateKernel(b, gpuModule, op, name)))
      return failure();
    GpuStage stage;
    stage.block = {kSSDBlockSize, 1, 1};
    stage.gridStride = true;
    stage.grid[0] = {{{0, 0}, {0, 1}}, kSSDBlockSize / stateUpdateLanesPerRow(op)};
    if (cast<ShapedType>(op.getState().getType()).getRank() == 4)
      stage.grid[0].product.push_back({0, 2});
    stage.unitInnerStride = firstIndices(op->getNumOperands() + op->getNumResults());
    setLaunch(gpuModule, name, GpuLaunch{{stage}, {}});
    return success();
  }

  // The CPU emitter's loops, a kernel per parallel nest, launched in order:
  // a nest may read what an earlier one wrote (the conv's final state may
  // replace the initial state it reads), as on the CPU. The first kernel
  // takes the step's symbol, the others `<symbol>_nest<i>`.
  LogicalResult buildLoopKernel(OpBuilder &b, gpu::GPUModuleOp gpuModule,
                                Operation *op, StringRef name) {
    SmallVector<Type> types;
    for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
      types.push_back(anyViewType(t));
    OpBuilder::InsertionGuard guard(b);
    unsigned numInputs = op->getNumOperands();
    GpuLaunch launch;
    for (size_t nest = 0;; ++nest) {
      std::string function = nest ? (name + "_nest" + Twine(nest)).str() : name.str();
      auto func = createGpuKernel(b, gpuModule, op->getLoc(), function, types, kBlockSize);
      Block &entry = func.getBody().front();
      ValueRange args = entry.getArguments();
      SmallVector<SmallVector<Value>> bounds;
      if (failed(emitGpuKernelBody(b, op, args.take_front(numInputs),
                                   args.drop_front(numInputs), bounds, nest))) {
        func.erase();
        return failure();
      }
      gpu::ReturnOp::create(b, op->getLoc());

      // Size the grid for the nest's iterations as far as we can name them
      // (the grid-stride loops are correct for any grid; this only avoids
      // idle or missing threads).
      GpuStage stage;
      stage.function = nest ? function : "";
      stage.block = {kBlockSize, 1, 1};
      stage.gridStride = true;
      if (nest < bounds.size()) {
        GridExtent &grid = stage.grid[0];
        grid.div = kBlockSize;
        for (Value bound : bounds[nest]) {
          if (std::optional<GridFactor> f = asFactor(bound, entry)) {
            grid.product.push_back(*f);
          } else if (auto tiles = asTileCount(bound, entry)) {
            grid.product.push_back(tiles->first);
            grid.div *= tiles->second;
          }
        }
      }
      launch.stages.push_back(stage);
      if (nest + 1 >= bounds.size())
        break;
    }
    setLaunch(gpuModule, name, launch);
    return success();
  }
};

} // namespace
