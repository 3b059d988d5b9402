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

def SSMFuse : Pass<"ssm-fuse"> {
  let summary = "Fold neighbouring ops into one kernel";
  let description = [{
    A residual add (`arith.addf` of two tensors) whose sum an `ssm.rms_norm`
    normalizes becomes that norm's `residual` operand: the norm computes and
    returns the sum as its second result, which replaces the add everywhere.
    One kernel instead of two per Mamba block (a launch fewer per layer in
    each decode step, and one pass less over the residual stream in
    prefill). The add's other users must come after the norm.

    A decode step's dt projection (a bias-free `ssm.linear` of a [b, R] input
    read only by an `ssm.selective_state_update`) becomes the step's
    `dt_proj`: each channel's dt is a dot product of length R inside the step
    kernel, one GEMM launch fewer per Mamba-1 layer.
  }];
  let dependentDialects = ["mlir::ssm::SSMDialect", "mlir::arith::ArithDialect"];
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
  let summary = "Give every outlined kernel a GPU twin for NVVM";
  let description = [{
    Runs after `ssm-outline-cpu-kernels`. For every kernel name an op is
    tagged with (`ssm.kernel = @ssmc_kN`), adds a `gpu.func @ssmc_kN` with the
    same arguments (one memref per operand present, then one per result) to
    the module's `@ssmc_gpu` gpu.module (created with an `#nvvm.target` for
    `chip`), so one schedule drives the CPU and the GPU images alike.

     - `ssm.selective_scan` with a static state size: each (batch, channel)
       row of N states in the registers of one thread (loop-carried
       scalars), or with `scan-row-lanes` of a few lanes of a warp, y then
       summed with warp shuffles (passes/gpu/ScanKernel.h); grid-stride
       loops, block 128. f16/bf16 activations are widened on load and
       narrowed on store; the math stays f32. With `chunk-length` > 0
       (ssmc-compile's default is 128)
       the scan is cut into chunks of L scanned in parallel by three
       kernels (`@ssmc_kN_states`, `_carry`, `_outputs`: chunk states from
       zero, carries across chunks, outputs recomputed), one step of three
       launches sharing two scratch buffers. Where b * e rows are few the
       kernels halve the chunks at run time (down to a quarter) to keep
       the GPU busy. The time loop loads the next `scan-unroll` steps
       before computing the current ones.
     - `ssm.rms_norm`, `ssm.gated_rms_norm`: a block per row, the threads
       striding over the row and summing in a shared-memory tree.
     - `ssm.ssd` with `ssd-chunk-length` > 0 (ssmc-compile's default is
       64) and a static N: the same chunked treatment. With `ssd-math`
       tf32x3 or tf32 (and shapes that allow it) the chunk states and
       outputs are warp-level tensor-core products, a warp per (batch,
       chunk, head, 16-row tile) (passes/gpu/SSDMmaKernels.h); with scalar,
       each (batch, chunk, head, p) row of N states is spread over a few
       lanes of a warp in registers, y summed with warp shuffles. One thread
       per state element for the carries (passes/gpu/SSDChunkKernels.h);
       `ssd-unroll` as `scan-unroll` for the scalar kernels.
     - `ssm.selective_state_update` with a static N: the lanes of its
       scan (Mamba-1 or Mamba-2 form), one step (grid stride).
     - every other op: the CPU emitter's loops, with each parallel nest
       spread over the grid in a grid-stride loop (block 256) and scan states
       in per-thread arrays of the static state size.

    With `sampler`, the module also gets `ssmc_sample_candidates`, the
    device half of token sampling (one block per row of logits: penalty,
    maximum, probability mass and a complete set of the top candidates; see
    passes/gpu/SamplerKernel.h); its launch is recorded like a step's.
    With `gemv`, it gets the skinny-GEMM kernels `ssmc_gemv_<w>_m<r>`
    (passes/gpu/GemvKernel.h), f32 and bf16 weights, tiles of 1, 2 and 4
    rows, which the runtime runs for gemm steps of few rows (the decode step),
    and for each distinct form of decode's rms_norm -> in_proj ->
    conv_state_update (passes/FusedProjection.h) a family of the same kernels
    with the norm and the conv step folded in (`ssmc_gemv_fusedN_<w>_m<r>`;
    the linear is tagged `ssm.gemv_fused` with the family, which the
    schedule builder turns into the gemm step's `fused` record).
    With `round-bf16`, it gets `ssmc_round_bf16` (passes/gpu/RoundBf16Kernel.h),
    which rounds a gemm step's f32 activations to bf16 for the bf16 GEMMs
    of `--cuda-gemm-math bf16`.
    With `grid-dependency-wait`, every kernel of the module (those of earlier
    runs too) begins with `nvvm.griddepcontrol wait`: it touches no memory
    before the grids it depends on have finished, so the runtime may launch
    it with programmatic stream serialization, its blocks scheduled while
    the kernel before it still runs (docs/artifact-format.md,
    `grid_dependency_wait`). Kernels of `@decode` and the runtime's own then
    signal `launch_dependents`, so that the next kernel is scheduled from
    their start; kernels only `@prefill` runs signal as they exit.

    The expanded state [b, L, e, N] is never stored. How the runtime launches
    each step (stages, block, each grid dimension as a product of argument
    sizes over a divisor, scratch buffers) is recorded on the gpu.module as
    the `ssm.launches` dictionary (passes/gpu/GpuLaunch.h). The tensor
    program is unchanged.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "NVVM target chip of the kernels' gpu.module">,
    Option<"chunkLength", "chunk-length", "int64_t", /*default=*/"0",
           "Scan L in parallel chunks of at most this many steps (three kernels: "
           "_states, _carry, _outputs; shorter chunks where rows are few); 0: one "
           "kernel walks all of L">,
    Option<"ssdChunkLength", "ssd-chunk-length", "int64_t", /*default=*/"0",
           "SSD in parallel chunks of this many steps (three kernels: "
           "_states, _carry, _outputs); 0: a loop kernel, a thread walks all of L">,
    Option<"scanUnroll", "scan-unroll", "int64_t", /*default=*/"1",
           "Steps of the scan's time loop per iteration, loaded one iteration ahead">,
    Option<"scanRowLanes", "scan-row-lanes", "bool", /*default=*/"false",
           "Spread each row of the prefill scan's states over a few lanes (more "
           "threads, more instructions; the decode step always does)">,
    Option<"ssdUnroll", "ssd-unroll", "int64_t", /*default=*/"1",
           "Steps of the chunked SSD's time loop per iteration, loaded one iteration ahead">,
    Option<"ssdMath", "ssd-math", "std::string", /*default=*/"\"scalar\"",
           "The chunked SSD's products: scalar (f32 on the CUDA cores), tf32x3 "
           "(tensor cores, three tf32 products per tile: near-f32 accuracy) or "
           "tf32 (tensor cores, one product)">,
    Option<"ssdSequentialFrom", "ssd-sequential-from", "int64_t", /*default=*/"0",
           "On the tensor cores, also add the SSD kernel _sequential (a block per "
           "(batch, head) walks the chunks in order, the state kept on chip); it "
           "takes the launches where batch x heads is at least this; 0: never">,
    Option<"sampler", "sampler", "bool", /*default=*/"false",
           "Also add the token sampler's kernel (ssmc_sample_candidates, "
           "passes/gpu/SamplerKernel.h): the runtime samples on the device">,
    Option<"gemv", "gemv", "bool", /*default=*/"false",
           "Also add the skinny-GEMM kernels (ssmc_gemv_*, passes/gpu/GemvKernel.h) "
           "that the runtime runs for gemm steps of at most 4 rows">,
    Option<"gemvStretchesPerWarp", "gemv-stretches-per-warp", "int64_t",
           /*default=*/"4",
           "Stretches of a weight row (16 bytes a lane) each warp of the "
           "skinny-GEMM kernels loads at once; rows of more stretches are "
           "shared by up to 8 warps">,
    Option<"roundBf16", "round-bf16", "bool", /*default=*/"false",
           "Also add the kernel that rounds GEMM activations to bf16 (ssmc_round_bf16, "
           "passes/gpu/RoundBf16Kernel.h) for bf16 GEMMs">,
    Option<"gridDependencyWait", "grid-dependency-wait", "bool", /*default=*/"false",
           "Begin every kernel with griddepcontrol.wait (and, but for "
           "prefill-only kernels, launch_dependents; sm_90 and newer), so "
           "that the runtime may launch it while the kernel before it "
           "finishes (programmatic dependent launch)">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::NVVM::NVVMDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect", "mlir::nvgpu::NVGPUDialect",
                           "mlir::vector::VectorDialect"];
}

#endif // SSMC_PASSES_TD
