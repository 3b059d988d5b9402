#include "passes/cpu/HostCodegen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

namespace mlir::ssm {

LogicalResult lowerKernelsToLLVMDialect(ModuleOp kernels) {
  PassManager pm(kernels.getContext());
  if (failed(parsePassPipeline(
          "convert-scf-to-cf, convert-math-to-libm, convert-math-to-llvm, "
          "expand-strided-metadata, finalize-memref-to-llvm, "
          "convert-arith-to-llvm, convert-index-to-llvm, convert-cf-to-llvm, "
          "convert-func-to-llvm, reconcile-unrealized-casts",
          pm))) {
    kernels.emitError() << "internal error: the kernel lowering pipeline does not parse";
    return failure();
  }
  return pm.run(kernels);
}

namespace {

// void k(void **args) { _mlir_ciface_k(args[0], args[1], ...); }
void addAbiWrapper(llvm::Module &m, llvm::Function *ciface, const std::string &name) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *wrapper = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < ciface->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, wrapper->getArg(0), i);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  b.CreateCall(ciface, args);
  b.CreateRetVoid();
}

llvm::OptimizationLevel optLevel(unsigned level) {
  switch (level) {
  case 0: return llvm::OptimizationLevel::O0;
  case 1: return llvm::OptimizationLevel::O1;
  case 2: return llvm::OptimizationLevel::O2;
  default: return llvm::OptimizationLevel::O3;
  }
}

void optimize(llvm::Module &m, llvm::TargetMachine *tm, unsigned level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // glibc's vector math (libmvec) lets loops that call expf vectorize: the
  // scans' decays are one exp per state element and step. Only its SSE2
  // variant (4 lanes) is offered: the wider ones need AVX2, which the
  // portable x86-64 target does not assume (nor its vector calling
  // convention).
  llvm::TargetLibraryInfoImpl libraryInfo(m.getTargetTriple());
  const llvm::ElementCount four = llvm::ElementCount::getFixed(4);
  const llvm::VecDesc sseExp[] = {
      {"expf", "_ZGVbN4v_expf", four, false, "_ZGV_LLVM_N4v", std::nullopt},
      {"llvm.exp.f32", "_ZGVbN4v_expf", four, false, "_ZGV_LLVM_N4v", std::nullopt}};
  libraryInfo.addVectorizableFunctions(sseExp);
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(libraryInfo); });
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(optLevel(level)).run(m, mam);
}

} // namespace

FailureOr<HostImage> buildHostImage(ModuleOp kernels, const HostCodegenOptions &options,
                                    std::string *llvmIR) {
  auto fail = [&](const Twine &message) -> FailureOr<HostImage> {
    kernels.emitError() << message;
    return failure();
  };
  SmallVector<std::string> names;
  for (auto func : kernels.getOps<func::FuncOp>())
    names.push_back(func.getName().str());
  if (names.empty())
    return fail("no kernels to compile");
  if (failed(lowerKernelsToLLVMDialect(kernels)))
    return failure();

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  kernels.getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(kernels, llvmContext, "ssmc_kernels");
  if (!m)
    return fail("could not translate the kernels to LLVM IR");

  HostImage image;
  for (const std::string &name : names) {
    llvm::Function *ciface = m->getFunction("_mlir_ciface_" + name);
    if (!ciface)
      return fail("kernel '" + name + "' has no C interface (llvm.emit_c_interface)");
    // The exported symbol is the kernel's own name (the GPU image uses the
    // same one), so the lowered loops step aside.
    if (llvm::Function *loops = m->getFunction(name))
      loops->setName(name + ".loops");
    image.symbols.push_back(name);
    addAbiWrapper(*m, ciface, name);
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return fail("no LLVM target for " + triple.str() + ": " + error);
  std::string cpu = options.cpu == "native" ? llvm::sys::getHostCPUName().str() : options.cpu;
  std::string features;
  if (options.cpu == "native") {
    llvm::SubtargetFeatures f;
    for (auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(feature, enabled);
    features = f.getString();
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_));
  if (!tm)
    return fail("could not create an LLVM target machine for CPU '" + cpu + "'");
  m->setTargetTriple(triple);
  m->setDataLayout(tm->createDataLayout());
  if (llvm::verifyModule(*m, &llvm::errs()))
    return fail("internal error: the kernels' LLVM IR does not verify");
  optimize(*m, tm.get(), options.optLevel);
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    m->print(os, nullptr);
  }

  // Object code into a temporary file, then `cc -shared` makes the .so.
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("ssmc-host", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  std::string object = (dir + "/kernels.o").str(), shared = (dir + "/kernels.so").str();
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(object);
    llvm::sys::fs::remove(shared);
    llvm::sys::fs::remove(dir);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(object, ec);
    if (ec)
      return fail("cannot write " + object + ": " + ec.message());
    llvm::legacy::PassManager codegen;
    if (tm->addPassesToEmitFile(codegen, out, nullptr, llvm::CodeGenFileType::ObjectFile))
      return fail("the LLVM target cannot emit object files");
    codegen.run(*m);
  }
  llvm::ErrorOr<std::string> linker = llvm::sys::findProgramByName(options.linker);
  if (!linker)
    return fail("cannot find the linker driver '" + options.linker +
                "' (set SSMC_HOST_LINKER or install a C compiler)");
  std::string message;
  llvm::SmallVector<llvm::StringRef> argv{*linker, "-shared", "-o", shared, object, "-lmvec",
                                          "-lm"};
  int rc = llvm::sys::ExecuteAndWait(*linker, argv, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return fail("linking the host kernels failed (" + *linker + " exited with " +
                Twine(rc) + (message.empty() ? "" : ": " + message) + ")");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes = llvm::MemoryBuffer::getFile(shared);
  if (!bytes)
    return fail("cannot read " + shared + ": " + bytes.getError().message());
  image.sharedObject = (*bytes)->getBuffer().str();
  return image;
}

} // namespace mlir::ssm
