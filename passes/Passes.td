#ifndef SSMC_PASSES_TD
#define SSMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMSimplify : Pass<"ssm-simplify"> {
  let summary = "Bring ssm ops to canonical form";
  let description = [{
    Applies the ssm dialect's canonicalization patterns (and only those) until
    a fixed point: optional operands that are constant zeros are dropped (an
    absent D skip, bias or initial state means zero), and final-state results
    that nothing reads are removed so later stages never compute them.
  }];
  let dependentDialects = ["mlir::ssm::SSMDialect"];
}

def SSMBuildCpuSchedule : Pass<"ssm-build-cpu-schedule", "::mlir::ModuleOp"> {
  let summary = "Plan buffers and steps of each entry point for the CPU runtime";
  let description = [{
    Walks the entry functions (`@prefill`, `@decode`) in program order and
    assigns every tensor value a view of a buffer or weight: results of
    compute ops get buffers; `tensor.extract_slice`, `tensor.expand_shape`
    and `tensor.collapse_shape` become views of their source (no copies).
    Each outlined op becomes a kernel step, each `ssm.linear` a GEMM step.
    The entry points' JSON (docs/artifact-format.md) is attached to the module
    as the `ssm.schedule` string attribute and the entry functions are erased,
    leaving only the kernels.
  }];
}

def SSMOutlineCpuKernels : Pass<"ssm-outline-cpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline each ssm compute op into a CPU kernel function on memrefs";
  let description = [{
    For every compute op of the module's functions that has a CPU kernel
    emitter (see passes/cpu/KernelEmitters.h), creates a private
    `func.func @ssmc_kN` whose arguments are fully dynamic strided memrefs (one
    per operand, then one per result) and whose body is the op's loop nest,
    and tags the op with `ssm.kernel = @ssmc_kN`. Ops with the same name,
    attributes and operand/result element types and ranks share one kernel.
    The tensor program itself is left unchanged: the schedule builder reads
    the tags. `ssm.linear` is outlined only with `outline-linear` (the
    schedule calls a BLAS GEMM for it otherwise).
  }];
  let options = [
    Option<"outlineLinear", "outline-linear", "bool", /*default=*/"false",
           "Also outline ssm.linear into reference loops">
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

def SSMOutlineGpuKernels : Pass<"ssm-outline-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline ssm scans into GPU kernels for NVVM";
  let description = [{
    For every `ssm.selective_scan` with a static state size, adds a
    `gpu.func` to the module's `@ssmc_gpu` module (created with an
    `#nvvm.target` for `chip`) and tags the op with
    `ssm.gpu_kernel = @ssmc_gpu::@ssmc_gkN`. The kernel runs one thread per
    (batch, channel) with the N-wide state in registers (N loop-carried
    scalars), so the expanded state is never stored; f16/bf16 activations are
    widened on load and narrowed on store, the math stays f32. Launch grid:
    (ceil(e / 128), b), block: 128. The tensor program is unchanged.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "NVVM target chip of the kernels' gpu.module">,
    Option<"chunkLength", "chunk-length", "int64_t", /*default=*/"0",
           "Scan L in parallel chunks of this many steps (three kernels: "
           "_states, _carry, _outputs); 0: one kernel walks all of L">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::NVVM::NVVMDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

#endif // SSMC_PASSES_TD
