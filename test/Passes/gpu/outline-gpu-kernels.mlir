// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=chunk-length=64 | FileCheck %s --check-prefix=CHUNKED
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | sed "/func.func \(private \)\{0,1\}@\(scan\|ssmc_k0\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// The Mamba-1 scan of a model layer (D skip, z gate, softplus(dt + bias))
// becomes one kernel: a thread per (batch, channel), the 16-wide state as
// N loop-carried scalars (registers), one exp2 per state element and step
// (A is pre-scaled by log2(e)).

// CHECK: module attributes {gpu.container_module}
// CHECK: ssm.selective_scan {{.*}} {delta_softplus, ssm.kernel = @ssmc_k0}
// CHECK: gpu.module @ssmc_gpu [#nvvm.target<O = 3, chip = "sm_90">]
// CHECK: gpu.func @ssmc_k0(%{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, {{.*}}, %{{.*}}: memref<?x16xf32, strided<[?, 1], offset: ?>>, %{{.*}}: memref<?x?x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-SAME: kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK: gpu.block_id  y
// CHECK: scf.if
// CHECK-COUNT-16: memref.load {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>
// The 16 state values and the running sum of dt are the loop's carries.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: math.log1p
// CHECK-COUNT-16: math.exp2 {{.*}} : f32
// CHECK: memref.store
// CHECK: scf.yield {{.*}} : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
// CHECK-COUNT-16: memref.store {{.*}} : memref<?x?x16xf32
// CHECK-NOT: memref.alloc
// CHECK: gpu.return

// Chunked: per-chunk states from zero, the carries across chunks, then the
// outputs recomputed from each chunk's entering state (grid z = chunk).
// CHUNKED: ssm.selective_scan {{.*}} {delta_softplus, ssm.gpu_chunk_length = 64 : i64, ssm.kernel = @ssmc_k0}
// One step, three launches sharing two scratch buffers: the chunk states
// [b, ceil(L / 64), e, N] and their dt sums [b, ceil(L / 64), e] (A, the
// step's argument 2, gives N). Arguments 8 and 9 are y and the final state.
// CHUNKED: gpu.module @ssmc_gpu {{.*}} attributes {ssm.launches = {ssmc_k0 = {scratch = [
// CHUNKED-SAME: [{div = 1 : i64, product = array<i64: 0, 0>}, {div = 64 : i64, product = array<i64: 0, 1>}, {div = 1 : i64, product = array<i64: 0, 2>}, {div = 1 : i64, product = array<i64: 2, 1>}],
// CHUNKED-SAME: stages = [{args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, -2>, {{.*}}function = "ssmc_k0_states", grid_x = {div = 128 : i64, product = array<i64: 0, 2>}, grid_y = {div = 1 : i64, product = array<i64: 0, 0>}, grid_z = {div = 64 : i64, product = array<i64: 0, 1>}
// CHUNKED-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, -2, 9>, {{.*}}function = "ssmc_k0_carry"
// CHUNKED-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, 8>, {{.*}}function = "ssmc_k0_outputs"
// CHUNKED: gpu.func @ssmc_k0_states({{.*}}, %{{.*}}: memref<?x?x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>) kernel
// CHUNKED: gpu.block_id  z
// CHUNKED: arith.constant 64 : index
// CHUNKED: arith.minui
// CHUNKED: scf.for
// CHUNKED-NOT: memref.store {{.*}} : memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
// CHUNKED: scf.yield
// CHUNKED-COUNT-16: memref.store {{.*}} : memref<?x?x?x16xf32
// CHUNKED: memref.store {{.*}} : memref<?x?x?xf32
// CHUNKED: gpu.func @ssmc_k0_carry(
// CHUNKED: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHUNKED-COUNT-16: math.exp2
// CHUNKED: gpu.func @ssmc_k0_outputs(
// CHUNKED-COUNT-16: memref.load {{.*}} : memref<?x?x?x16xf32
// CHUNKED: scf.for
// CHUNKED: memref.store {{.*}} : memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
// CHUNKED-NOT: memref.alloc

// The state never leaves registers: no local memory in the PTX.
// PTX: .target sm_90
// PTX: .visible .entry ssmc_k0(
// PTX-NOT: .local
// PTX: ex2.approx
// PTX-NOT: .local
// PTX: ret;

func.func @scan(%u: tensor<2x64x256xf32>, %dt: tensor<2x64x256xf32>, %A: tensor<256x16xf32>, %B: tensor<2x64x1x16xf32>, %C: tensor<2x64x1x16xf32>, %D: tensor<256xf32>, %z: tensor<2x64x256xf32>, %bias: tensor<256xf32>) -> (tensor<2x64x256xf32>, tensor<2x256x16xf32>) {
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %C skip(%D) gate(%z) delta_bias(%bias) {delta_softplus} : (tensor<2x64x256xf32>, tensor<2x64x256xf32>, tensor<256x16xf32>, tensor<2x64x1x16xf32>, tensor<2x64x1x16xf32>, tensor<256xf32>, tensor<2x64x256xf32>, tensor<256xf32>) -> (tensor<2x64x256xf32>, tensor<2x256x16xf32>)
  return %y, %s : tensor<2x64x256xf32>, tensor<2x256x16xf32>
}
