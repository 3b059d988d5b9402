// ssmc-compile: checkpoint (or graph file) in, `.ssmc` artifact out.
//
//   import -> ssm IR -> ssm-simplify -> ssm-outline-cpu-kernels
//          [-> ssm-outline-gpu-kernels] -> ssm-build-cpu-schedule
//          -> host code (.so) and/or device code (cubin + PTX) -> artifact
#include "WeightPacker.h"

#include "dialects/SSM/SSMDialect.h"
#include "frontend/ConfigImport.h"
#include "frontend/GraphJson.h"
#include "frontend/ImportIR.h"
#include "passes/Passes.h"
#include "passes/cpu/HostCodegen.h"
#include "passes/gpu/DeviceCodegen.h"
#include "passes/gpu/GemvKernel.h"
#include "passes/gpu/RoundBf16Kernel.h"
#include "passes/gpu/SamplerKernel.h"
#include "ssmc/artifact.h"

#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

using namespace mlir;
namespace cl = llvm::cl;
namespace fe = ssmc::frontend;
using json = nlohmann::json;

namespace {

enum class Emit { Graph, MLIR, Kernels, Schedule, LLVMDialect, LLVM, PTX, Artifact };

cl::OptionCategory category("ssmc-compile options");
cl::opt<std::string> input(cl::Positional, cl::Required, cl::cat(category),
                           cl::desc("<checkpoint directory or graph .json>"));
cl::opt<std::string> output("o", cl::cat(category), cl::value_desc("path"),
                            cl::desc("Output file (default: model.ssmc for the artifact, "
                                     "stdout for --emit other than artifact)"));
cl::opt<Emit> emit(
    "emit", cl::cat(category), cl::init(Emit::Artifact),
    cl::desc("What to produce"),
    cl::values(clEnumValN(Emit::Graph, "graph", "the imported graph as JSON (docs/graph-format.md)"),
               clEnumValN(Emit::MLIR, "mlir", "model-level ssm IR (@prefill, @decode)"),
               clEnumValN(Emit::Kernels, "kernels", "kernels on memrefs (CPU, and GPU with --target cuda) + the schedule attribute"),
               clEnumValN(Emit::Schedule, "schedule", "the entry points' plan as JSON"),
               clEnumValN(Emit::LLVMDialect, "llvm-dialect", "kernels lowered to the LLVM dialect"),
               clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR of the host kernels"),
               clEnumValN(Emit::PTX, "ptx", "PTX of the GPU kernels (--target cuda)"),
               clEnumValN(Emit::Artifact, "artifact", "the .ssmc artifact (default)")));
cl::opt<std::string> target("target", cl::cat(category), cl::init("cpu"),
                            cl::desc("Code generation targets, comma-separated: cpu, cuda "
                                     "(e.g. cpu,cuda: one artifact for both)"));
cl::opt<std::string> cudaChip("cuda-chip", cl::cat(category), cl::init("sm_90"),
                              cl::desc("GPU architecture of the cubin (newer GPUs JIT the PTX)"));
cl::opt<int64_t> scanChunk("cuda-scan-chunk", cl::cat(category), cl::init(128),
                          cl::desc("Mamba-1 scan on the GPU: most steps per parallel "
                                   "chunk (halved where rows are few; 0: each row "
                                   "walks the whole sequence)"));
cl::opt<int64_t> ssdChunk("cuda-ssd-chunk", cl::cat(category), cl::init(64),
                          cl::desc("Mamba-2 SSD on the GPU: steps per parallel chunk "
                                   "(0: one thread walks the whole sequence; tensor cores "
                                   "for multiples of 16 up to 128)"));
cl::opt<int64_t> ssdSequentialFrom(
    "cuda-ssd-sequential-from", cl::cat(category), cl::init(128),
    cl::desc("Mamba-2 SSD on the GPU: from this many (batch, head) pairs, a block per "
             "pair walks the chunks in order with its state on chip instead of the "
             "chunk-parallel kernels (0: never; tensor-core SSD only)"));
cl::opt<int64_t> scanUnroll("cuda-scan-unroll", cl::cat(category), cl::init(4),
                           cl::desc("Mamba-1 scan on the GPU: steps per iteration of its time "
                                    "loop, loaded one iteration ahead"));
cl::opt<int64_t> ssdUnroll("cuda-ssd-unroll", cl::cat(category), cl::init(2),
                          cl::desc("Mamba-2 SSD on the GPU: steps per iteration of its time "
                                   "loop, loaded one iteration ahead"));
cl::opt<int64_t> gemvStretches(
    "cuda-gemv-stretches", cl::cat(category),
    cl::init(ssm::SSMOutlineGpuKernelsOptions().gemvStretchesPerWarp),
    cl::desc("Decode's skinny GEMMs on the GPU: 16-byte loads per lane a warp issues "
             "at once (1 to 16); rows longer than that are shared by up to 8 warps"));
enum class GemmMath { F32, TF32, BF16 };
cl::opt<GemmMath> cudaGemmMath(
    "cuda-gemm-math", cl::cat(category), cl::init(GemmMath::F32),
    cl::desc("How the GEMMs (in and out projections, lm_head) multiply on the GPU"),
    cl::values(clEnumValN(GemmMath::F32, "f32", "exact fp32 products (default)"),
               clEnumValN(GemmMath::TF32, "tf32",
                          "tensor cores, operands rounded to 10-bit mantissas (several "
                          "times faster; about 1e-3 relative error on logits)"),
               clEnumValN(GemmMath::BF16, "bf16",
                          "tensor cores on bf16 operands: the weights kept in bf16 on the "
                          "GPU (no f32 copy of weights only products read), activations "
                          "rounded to bf16 before each product, fp32 accumulation; about "
                          "twice TF32's rate, half the weight bytes; about 1e-2 relative "
                          "error on logits")));
cl::opt<std::string> cudaSSDMath(
    "cuda-ssd-math", cl::cat(category), cl::init("tf32x3"),
    cl::desc("How the Mamba-2 SSD's chunk products multiply on the GPU: tf32x3 (tensor "
             "cores, three tf32 products per tile, about f32 accuracy; default), tf32 (one "
             "product, about 1e-3 relative error) or scalar (f32 on the CUDA cores)"));
cl::opt<std::string> cudaPath("cuda-path", cl::cat(category),
                              cl::desc("CUDA toolkit for ptxas and libdevice (default: "
                                       "$CUDA_ROOT, $CUDA_HOME, $CUDA_PATH, /usr/local/cuda)"));
cl::opt<bool> externalWeights("external-weights", cl::cat(category),
                              cl::desc("Reference the weights in the source safetensors "
                                       "(path, offset, checksum) instead of embedding them, "
                                       "where they are stored as they are"));
cl::opt<ssmc::compile::StorageDType> weightDType(
    "dtype", cl::cat(category), cl::init(ssmc::compile::StorageDType::F32),
    cl::desc("How the artifact stores the weights (the kernels compute in f32; f16 and "
             "bf16 are widened at load)"),
    cl::values(clEnumValN(ssmc::compile::StorageDType::F32, "f32", "every weight in f32 (default)"),
               clEnumValN(ssmc::compile::StorageDType::F16, "f16",
                          "weight matrices in f16 (half the bytes); vectors and A in f32"),
               clEnumValN(ssmc::compile::StorageDType::BF16, "bf16",
                          "weight matrices in bf16 (half the bytes); vectors and A in f32"),
               clEnumValN(ssmc::compile::StorageDType::Auto, "auto",
                          "each tensor in its checkpoint dtype (lossless); A in f32")));
cl::opt<int64_t> maxBatch("max-batch", cl::cat(category), cl::init(0),
                          cl::desc("Most sequences a session of the artifact may hold (0: no "
                                   "limit); ssmc-run serves more prompts through that many "
                                   "batch slots"));
cl::opt<bool> checkWeights("check-weights", cl::cat(category),
                           cl::desc("Reject checkpoints with NaN or Inf weights"));
cl::opt<std::string> hostCpu("host-cpu", cl::cat(category), cl::init("x86-64"),
                             cl::desc("LLVM CPU for host code: x86-64 (portable), native, or a name"));
cl::opt<std::string> linker("host-linker", cl::cat(category), cl::init("cc"),
                            cl::desc("C compiler driver that links the host kernels"));
cl::opt<bool> quiet("quiet", cl::cat(category), cl::desc("No progress on stderr"));
cl::opt<bool> byteTokenizer("byte-tokenizer", cl::cat(category),
                            cl::desc("Record the 256-byte tokenizer (MambaByte) in the artifact"));

// Progress lines on stderr with the elapsed time.
class Progress {
public:
  void step(const std::string &what) {
    if (quiet)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::format("[%6.2fs] ", s) << what << "\n";
  }

private:
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

int fail(const std::string &file, const std::string &message) {
  llvm::errs() << "ssmc-compile: error: " << file << ": " << message << "\n";
  return 2;
}

// Writes `text` to -o (or stdout).
int writeText(const std::string &text) {
  if (output.empty()) {
    llvm::outs() << text;
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(output, ec);
  if (ec)
    return fail(output, ec.message());
  out << text;
  return 0;
}

size_t kernelCountOf(ModuleOp gpuKernels) {
  size_t n = 0;
  gpuKernels.walk([&](gpu::GPUFuncOp f) { n += f.isKernel(); });
  return n;
}

std::string archName(const fe::ModelGraph &g) {
  bool m1 = false, m2 = false;
  for (const fe::LayerSpec &l : g.layers)
    (l.kind == fe::MixerKind::Mamba1 ? m1 : m2) = true;
  return m1 && m2 ? "hybrid" : m2 ? "mamba2" : "mamba";
}

json modelInfo(const fe::ModelGraph &g) {
  json info = {{"arch", archName(g)},
               {"d_model", g.d_model},
               {"n_layer", g.layers.size()},
               {"vocab_size", g.vocab_size},
               {"padded_vocab_size", g.padded_vocab_size},
               {"source", g.source}};
  if (maxBatch > 0)
    info["max_batch"] = maxBatch.getValue();
  return info;
}

// The artifact's tokenizer: the checkpoint's tokenizer.json, verbatim, as
// section "tokenizer.json" (checked here only for shape and ids; the runtime
// parses it fully at load), or the byte tokenizer with --byte-tokenizer.
// Returns the manifest entry (null for none) or an error message.
json attachTokenizer(const fe::ModelGraph &g, ssmc::ArtifactWriter &writer,
                     std::string &error, std::string &file) {
  std::filesystem::path path = std::filesystem::path(input.getValue()) / "tokenizer.json";
  bool found = std::filesystem::is_directory(input.getValue()) &&
               std::filesystem::is_regular_file(path);
  file = found || !byteTokenizer ? path.string() : input.getValue();
  if (byteTokenizer) {
    if (found)
      error = "--byte-tokenizer conflicts with the checkpoint's tokenizer.json";
    else if (g.vocab_size < 256)
      error = "--byte-tokenizer needs a vocabulary of at least 256, the model has " +
              std::to_string(g.vocab_size);
    return error.empty() ? json{{"kind", "byte"}} : json();
  }
  if (!found)
    return json();
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json tok = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!in || tok.is_discarded() || !tok.is_object() || !tok.contains("model") ||
      !tok["model"].is_object() || !tok["model"].contains("vocab")) {
    error = "not a tokenizer.json (expected a JSON object with \"model\": {\"vocab\": ...})";
    return json();
  }
  // Every id it can produce must be a valid model input.
  int64_t maxId = -1;
  auto see = [&](const json &id) {
    if (id.is_number_integer())
      maxId = std::max(maxId, id.get<int64_t>());
  };
  if (tok["model"]["vocab"].is_object())
    for (const json &id : tok["model"]["vocab"])
      see(id);
  if (tok.contains("added_tokens") && tok["added_tokens"].is_array())
    for (const json &t : tok["added_tokens"])
      if (t.is_object() && t.contains("id"))
        see(t["id"]);
  if (maxId >= g.vocab_size) {
    error = "token id " + std::to_string(maxId) + " is outside the model's vocabulary of " +
            std::to_string(g.vocab_size);
    return json();
  }
  writer.addSection("tokenizer.json", text.data(), text.size());
  return {{"kind", "hf-bpe"}, {"section", "tokenizer.json"}};
}

// Points the NVVM back end (which reads the environment) at the toolkit and
// checks that it has what the back end needs. Returns the toolkit's path, or
// an empty string after setting `error`.
std::string setCudaToolkit(std::string &error) {
  std::string root = cudaPath;
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (root.empty() && std::getenv(var))
      root = std::getenv(var);
  if (root.empty())
    root = "/usr/local/cuda";
  setenv("CUDA_ROOT", root.c_str(), 1);
  for (const char *need : {"nvvm/libdevice/libdevice.10.bc", "bin/ptxas"})
    if (!std::filesystem::exists(std::filesystem::path(root) / need)) {
      error = "no CUDA toolkit at " + root + " (" + need +
              " is missing; set --cuda-path or $CUDA_HOME)";
      return "";
    }
  return root;
}

// Moves the `@ssmc_gpu` gpu.module out of `module` into a module of its own
// (host code generation wants only the CPU kernels).
OwningOpRef<ModuleOp> takeGpuModule(ModuleOp module) {
  OwningOpRef<ModuleOp> gpu = ModuleOp::create(module.getLoc());
  if (auto g = module.lookupSymbol<gpu::GPUModuleOp>("ssmc_gpu")) {
    g->remove();
    gpu->getBody()->push_back(g);
  }
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  return gpu;
}

json extentJson(const ssm::GridExtent &g) {
  json product = json::array();
  for (const ssm::GridFactor &f : g.product)
    product.push_back({f.arg, f.dim});
  return {{"product", product}, {"div", g.div}};
}

json stageJson(const ssm::GpuStage &s) {
  json grid = json::array();
  for (const ssm::GridExtent &g : s.grid)
    grid.push_back(extentJson(g));
  json stage = {{"block", s.block}, {"grid", grid}, {"grid_stride", s.gridStride},
                {"unit_inner_stride", s.unitInnerStride}};
  if (s.sharedBytes > 0)
    stage["shared_bytes"] = s.sharedBytes;
  return stage;
}

// One launch object, or {"stages", "scratch"} for a multi-pass step.
json launchJson(const std::string &symbol, const ssm::GpuLaunch &l) {
  const ssm::GpuStage &only = l.stages.front();
  if (l.stages.size() == 1 && l.scratch.empty() && only.args.empty() &&
      (only.function.empty() || only.function == symbol))
    return stageJson(only);
  json stages = json::array(), scratch = json::array();
  for (const ssm::GpuStage &s : l.stages) {
    json stage = stageJson(s);
    stage["function"] = s.function.empty() ? symbol : s.function;
    json args = json::array();
    for (int64_t a : s.args)
      args.push_back(a >= 0 ? json(a) : json{{"scratch", -1 - a}});
    stage["args"] = args;
    stages.push_back(stage);
  }
  for (const auto &buffer : l.scratch) {
    json shape = json::array();
    for (const ssm::GridExtent &g : buffer)
      shape.push_back(extentJson(g));
    scratch.push_back({{"shape", shape}});
  }
  return {{"stages", stages}, {"scratch", scratch}};
}

// Whether `chip` (sm_NN) has griddepcontrol, so that every kernel can begin
// by waiting for the one before it (sm_90 and newer).
bool hasGridDependencyControl(llvm::StringRef chip) {
  unsigned version = 0;
  return chip.consume_front("sm_") && !chip.consumeInteger(10, version) && version >= 90;
}

// The manifest's spelling of --cuda-gemm-math.
const char *gemmMathName() {
  switch (cudaGemmMath) {
  case GemmMath::TF32:
    return "tf32";
  case GemmMath::BF16:
    return "bf16";
  case GemmMath::F32:
    break;
  }
  return "f32";
}

// The manifest's cuda kernel image; the symbols follow `order` (the CPU
// image's) when given, so both images index alike.
json cudaKernels(const ssm::DeviceImage &image, const std::vector<std::string> &order) {
  json symbols = json::array(), launches = json::array();
  for (const std::string &s : order.empty() ? image.symbols : order) {
    size_t i = std::find(image.symbols.begin(), image.symbols.end(), s) - image.symbols.begin();
    if (i >= image.symbols.size())
      throw std::runtime_error("CPU kernel " + s + " has no GPU twin");
    symbols.push_back(s);
    launches.push_back(launchJson(s, image.launches[i]));
  }
  json kernels{{"section", "cuda.cubin"}, {"ptx_section", "cuda.ptx"},
               {"symbols", symbols}, {"launch", launches},
               {"gemm_math", gemmMathName()}};
  if (hasGridDependencyControl(cudaChip))
    kernels["grid_dependency_wait"] = true;
  // Kernels the runtime launches itself (not steps): the launch object of
  // `name`'s single stage with its `function`, or null when the image has
  // no such kernel.
  auto runtimeKernel = [&](const std::string &name) -> json {
    auto at = std::find(image.symbols.begin(), image.symbols.end(), name);
    if (at == image.symbols.end())
      return nullptr;
    json launch = stageJson(image.launches[at - image.symbols.begin()].stages.front());
    launch["function"] = name;
    return launch;
  };
  // The token sampler's device half.
  if (json sampler = runtimeKernel(ssm::kSamplerKernelName.str()); !sampler.is_null()) {
    sampler["row_settings"] = true; // each row's temperature and penalty
    kernels["sampler"] = sampler;
  }
  // Skinny-GEMM kernels, which the runtime runs for gemm steps of few rows.
  json gemv = json::array();
  auto addGemv = [&](const std::string &symbol, ssm::GemvWeight weight, int64_t rows,
                     const std::string &family = "") {
    json launch = runtimeKernel(symbol);
    if (launch.is_null())
      return;
    launch["weight"] = ssm::gemvWeightName(weight);
    launch["max_rows"] = rows;
    launch["stretches_per_warp"] = int64_t(gemvStretches);
    if (!family.empty())
      launch["fused"] = family;
    gemv.push_back(launch);
  };
  for (ssm::GemvWeight weight : ssm::kGemvWeights)
    for (int64_t rows : ssm::kGemvRowTiles)
      addGemv(ssm::gemvKernelName(weight, rows), weight, rows);
  // The same with the decode step's norm and conv folded in, which gemm
  // steps name by family ("fused").
  for (const std::string &symbol : image.symbols)
    if (std::optional<ssm::FusedGemvName> fused = ssm::parseFusedGemvKernelName(symbol))
      addGemv(symbol, fused->weight, fused->rows, fused->family);
  if (!gemv.empty())
    kernels["gemv"] = gemv;
  // The activation rounding of bf16 GEMMs.
  if (json round = runtimeKernel(ssm::kRoundBf16KernelName.str()); !round.is_null())
    kernels["round_bf16"] = round;
  return kernels;
}

int run() {
  Progress progress;
  bool cpu = false, cuda = false;
  for (llvm::StringRef t : llvm::split(target.getValue(), ',')) {
    if (t == "cpu")
      cpu = true;
    else if (t == "cuda")
      cuda = true;
    else
      return fail(input, "unknown --target '" + t.str() + "' (expected cpu, cuda or cpu,cuda)");
  }
  if (cuda && !llvm::Regex("^sm_[0-9]+[a-z]?$").match(cudaChip))
    return fail(input, "--cuda-chip '" + cudaChip + "' is not a GPU architecture like sm_90");
  if (maxBatch < 0)
    return fail(input, "--max-batch must be 0 (no limit) or more");
  if (scanChunk < 0 || ssdChunk < 0 || ssdSequentialFrom < 0)
    return fail(input, "--cuda-scan-chunk, --cuda-ssd-chunk and --cuda-ssd-sequential-from "
                       "must be 0 or more");
  if (scanUnroll < 1 || ssdUnroll < 1)
    return fail(input, "--cuda-scan-unroll and --cuda-ssd-unroll must be at least 1");
  if (gemvStretches < 1 || gemvStretches > 16)
    return fail(input, "--cuda-gemv-stretches must be in [1, 16]");
  if (cudaSSDMath != "scalar" && cudaSSDMath != "tf32x3" && cudaSSDMath != "tf32")
    return fail(input, "--cuda-ssd-math must be scalar, tf32x3 or tf32, not '" + cudaSSDMath +
                           "'");
  if (emit == Emit::PTX && !cuda)
    return fail(input, "--emit=ptx needs --target cuda");
  if ((emit == Emit::LLVMDialect || emit == Emit::LLVM) && !cpu)
    return fail(input, "--emit=llvm and --emit=llvm-dialect need the cpu target");

  fe::WeightStore store;
  fe::ModelGraph graph;
  progress.step("importing " + input);
  if (std::filesystem::is_directory(input.getValue()))
    graph = fe::importCheckpoint(input, store);
  else
    graph = fe::readGraphJson(input, store);
  progress.step(archName(graph) + ": " + std::to_string(graph.layers.size()) +
                " layers, d_model " + std::to_string(graph.d_model) + ", vocab " +
                std::to_string(graph.vocab_size) + " (padded " +
                std::to_string(graph.padded_vocab_size) + ")");
  if (checkWeights) {
    progress.step("checking weights for NaN/Inf");
    store.checkFinite();
  }
  if (emit == Emit::Graph)
    return writeText(fe::writeGraphJson(graph));

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry); // the NVVM back end translates gpu.module
  registry.insert<ssm::SSMDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  OwningOpRef<ModuleOp> module = fe::buildModelIR(context, graph);
  if (failed(verify(*module)))
    return fail(input, "the imported model does not verify (see the diagnostics above)");
  if (emit == Emit::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  }

  progress.step(std::string("outlining ") + (cuda ? "CPU and GPU" : "CPU") +
                " kernels and planning buffers");
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail(input, "bad pass manager options");
  pm.addPass(ssm::createSSMSimplify());
  pm.addPass(ssm::createSSMFuse());
  pm.addPass(ssm::createSSMOutlineCpuKernels());
  if (cuda) {
    ssm::SSMOutlineGpuKernelsOptions gpuOptions;
    gpuOptions.chip = cudaChip;
    gpuOptions.chunkLength = scanChunk;
    gpuOptions.ssdChunkLength = ssdChunk;
    gpuOptions.scanUnroll = scanUnroll;
    gpuOptions.ssdUnroll = ssdUnroll;
    gpuOptions.ssdMath = cudaSSDMath;
    gpuOptions.ssdSequentialFrom = ssdSequentialFrom;
    gpuOptions.sampler = true;
    gpuOptions.gemv = true;
    gpuOptions.gemvStretchesPerWarp = gemvStretches;
    gpuOptions.roundBf16 = cudaGemmMath == GemmMath::BF16;
    gpuOptions.gridDependencyWait = hasGridDependencyControl(cudaChip);
    pm.addPass(ssm::createSSMOutlineGpuKernels(gpuOptions));
  }
  pm.addPass(ssm::createSSMBuildCpuSchedule());
  if (failed(pm.run(*module)))
    return fail(input, "compilation failed (see the diagnostics above)");
  auto scheduleAttr = (*module)->getAttrOfType<StringAttr>("ssm.schedule");
  json schedule = json::parse(scheduleAttr.getValue().str());
  if (emit == Emit::Kernels) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  }
  if (emit == Emit::Schedule)
    return writeText(schedule.dump(1) + "\n");
  (*module)->removeAttr("ssm.schedule");
  OwningOpRef<ModuleOp> gpuKernels = takeGpuModule(*module);

  std::optional<ssm::DeviceImage> device;
  if (cuda && (emit == Emit::PTX || emit == Emit::Artifact)) {
    std::string error;
    if (setCudaToolkit(error).empty())
      return fail(input, error);
    progress.step("generating device code for " + std::to_string(kernelCountOf(*gpuKernels)) +
                  " GPU kernels (" + cudaChip + ")");
    ssm::DeviceCodegenOptions options;
    options.chip = cudaChip;
    FailureOr<ssm::DeviceImage> image = ssm::buildDeviceImage(*gpuKernels, options);
    if (failed(image))
      return fail(input, "device code generation failed (see the diagnostics above)");
    if (emit == Emit::PTX)
      return writeText(image->ptx);
    device = std::move(*image);
  }

  if (emit == Emit::LLVMDialect) {
    if (failed(ssm::lowerKernelsToLLVMDialect(*module)))
      return fail(input, "lowering the kernels failed");
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  }

  std::optional<ssm::HostImage> host;
  if (cpu) {
    size_t kernelCount = llvm::range_size(module->getOps<func::FuncOp>());
    progress.step("generating host code for " + std::to_string(kernelCount) +
                  " kernels (cpu " + hostCpu + ")");
    ssm::HostCodegenOptions options;
    options.cpu = hostCpu;
    options.linker = linker;
    if (const char *env = std::getenv("SSMC_HOST_LINKER"))
      options.linker = env;
    std::string llvmIR;
    FailureOr<ssm::HostImage> image =
        ssm::buildHostImage(*module, options, emit == Emit::LLVM ? &llvmIR : nullptr);
    if (failed(image))
      return fail(input, "host code generation failed (see the diagnostics above)");
    if (emit == Emit::LLVM)
      return writeText(llvmIR);
    host = std::move(*image);
  }

  progress.step("packing " + std::to_string(schedule["weights"].size()) + " weights" +
                (externalWeights ? " (external where possible)" : ""));
  ssmc::compile::PackedWeights weights =
      ssmc::compile::packWeights(schedule["weights"], store, externalWeights, weightDType);

  json targets = json::array(), kernels = json::object();
  if (host) {
    targets.push_back("cpu");
    kernels["cpu"] = {{"section", "host.so"}, {"symbols", host->symbols}};
  }
  if (device) {
    targets.push_back("cuda");
    kernels["cuda"] = cudaKernels(*device, host ? host->symbols : std::vector<std::string>());
  }
  json manifest{{"format", "ssmc-artifact"},
                {"version", ssmc::kArtifactVersion},
                {"producer", "ssmc-compile 0.1"},
                {"model", modelInfo(graph)},
                {"targets", targets},
                {"weights", weights.table},
                {"kernels", kernels},
                {"state", schedule["state"]},
                {"entry_points", schedule["entry_points"]}};
  std::string path = output.empty() ? std::string("model.ssmc") : output.getValue();
  progress.step("writing " + path);
  ssmc::ArtifactWriter writer;
  if (host)
    writer.addSection("host.so", host->sharedObject.data(), host->sharedObject.size());
  if (device) {
    writer.addSection("cuda.cubin", device->cubin.data(), device->cubin.size());
    writer.addSection("cuda.ptx", device->ptx.data(), device->ptx.size());
  }
  if (weights.sectionSize)
    writer.addStreamedSection("weights", weights.sectionSize, std::move(weights.writeSection));
  std::string error, tokenizerFile;
  json tokenizer = attachTokenizer(graph, writer, error, tokenizerFile);
  if (!error.empty())
    return fail(tokenizerFile, error);
  if (!tokenizer.is_null())
    manifest["tokenizer"] = tokenizer;
  writer.setManifest(manifest.dump());
  if (!writer.write(path, error))
    return fail(path, error);
  progress.step("done");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  ssm::registerSSMPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "ssmc-compile: compile a Mamba / Mamba-2 checkpoint into a .ssmc artifact\n\n"
      "  ssmc-compile CHECKPOINT_DIR -o model.ssmc\n"
      "  ssmc-compile CHECKPOINT_DIR --target cpu,cuda -o model.ssmc\n"
      "  ssmc-compile graph.json --emit=mlir\n"
      "  ssmc-compile CHECKPOINT_DIR --emit=kernels --mlir-print-ir-after=ssm-simplify\n\n"
      "The MLIR pass manager's options (--mlir-print-ir-after=PASS,\n"
      "--mlir-print-ir-after-all, --mlir-timing) apply; see --help-hidden.\n"
      "Exit codes: 0 success, 1 usage, 2 bad input or failed compilation.\n");
  try {
    return run();
  } catch (const fe::ImportError &e) {
    return fail(e.file(), e.what());
  } catch (const std::exception &e) {
    return fail(input, e.what());
  }
}
