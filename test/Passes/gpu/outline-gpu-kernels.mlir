// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=scan-row-lanes=1 scan-unroll=2" | FileCheck %s --check-prefix=LANES
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=chunk-length=64 | FileCheck %s --check-prefix=CHUNKED
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | sed "/func.func \(private \)\{0,1\}@\(scan\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// Mamba-1's recurrence on the GPU, N = 16, one exp2 per state element and
// step (A is pre-scaled by log2(e)). The prefill scan keeps each (batch,
// channel) row of states in one thread's registers; the decode step (and
// the scan with scan-row-lanes) spreads a row over 4 lanes of a warp, 4
// registers each (n = i * 4 + lane % 4), a warp owning 8 channels.

// The whole-sequence scan (D skip, z gate, softplus(dt + bias)): a
// grid-stride loop over b * e rows (div 128); the decode step over b * e * 4
// lanes (div 32).
// CHECK: ssm.selective_scan {{.*}} {delta_softplus, ssm.kernel = @ssmc_k0}
// CHECK: ssm.selective_state_update {{.*}}ssm.kernel = @ssmc_k1
// CHECK: gpu.module @ssmc_gpu [#nvvm.target<O = 3, chip = "sm_90">] attributes {ssm.launches = {
// CHECK-SAME: ssmc_k0 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 128, 1, 1>, grid_stride, grid_x = {div = 128 : i64, product = array<i64: 0, 0, 0, 2>}
// CHECK-SAME: unit_inner_stride = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9>
// CHECK-SAME: ssmc_k1 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 128, 1, 1>, grid_stride, grid_x = {div = 32 : i64, product = array<i64: 0, 0, 0, 1>}
// CHECK: gpu.func @ssmc_k0(%{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, {{.*}}, %{{.*}}: memref<?x16xf32, strided<[?, 1], offset: ?>>, %{{.*}}: memref<?x?x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-SAME: kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK-NOT: memref.alloca
// The row's 16 values of A, loaded once, then the first step's 35 loads (dt,
// x, z, 16 of B, 16 of C). The time loop runs to L - 1, carrying the 16
// state values, the running sum of dt and the next step's 35 values, loaded
// before this step's work (no index clamped); the last step runs after it on
// what it carries. No shuffles. softplus is a short series (one ex2, one
// rcp.approx), silu one ex2 and one rcp.approx: no libm calls.
// CHECK-COUNT-16: memref.load {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>
// CHECK: %[[LAST:.*]] = arith.subi %{{.*}}, %c1 : index
// CHECK-NOT: arith.minui
// CHECK-COUNT-35: memref.load
// CHECK: scf.for %{{.*}} = %c0 to %[[LAST]] step %c1 iter_args({{.*}}) -> ({{(f32, ){51}f32}})
// CHECK-NOT: arith.minui
// CHECK-COUNT-35: memref.load
// CHECK-NOT: memref.load
// CHECK: math.absf
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: llvm.call_intrinsic "llvm.nvvm.rcp.approx.ftz.f"
// CHECK-COUNT-6: math.fma
// CHECK: arith.maximumf
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK-NOT: gpu.shuffle
// CHECK: scf.if
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: llvm.call_intrinsic "llvm.nvvm.rcp.approx.ftz.f"
// CHECK: memref.store
// CHECK: scf.yield
// The peeled last step: the same work, no loads.
// CHECK-NOT: memref.load
// CHECK-COUNT-17: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: scf.if
// CHECK: memref.store
// CHECK: scf.if
// CHECK-COUNT-16: memref.store {{.*}} : memref<?x?x16xf32
// CHECK-NOT: memref.alloc
// CHECK-NOT: math.log1p
// CHECK: gpu.return

// With row lanes and two steps per iteration: the next two steps' loads (11
// each: dt, x, z, the lane's 4 of B and 4 of C) carried by the loop and issued
// first, then each step's C . s over the row's 4 lanes (a 2-step
// butterfly), its first lane storing y; a one-step loop takes an odd last
// step.
// LANES: ssmc_k0 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 128, 1, 1>, grid_stride, grid_x = {div = 32 : i64, product = array<i64: 0, 0, 0, 2>}
// LANES-LABEL: gpu.func @ssmc_k0(
// LANES-NOT: memref.alloca
// LANES: %[[LANE:.*]] = arith.remui %thread_id_x, %c32
// LANES: arith.divui %[[LANE]], %c4
// LANES: arith.remui %[[LANE]], %c4
// LANES-COUNT-4: memref.load {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>
// LANES: arith.minui
// LANES-COUNT-22: memref.load
// LANES: scf.for {{.*}} step %c2{{.*}} iter_args({{.*}}) -> ({{(f32, ){26}f32}})
// LANES-COUNT-22: memref.load
// LANES-NOT: memref.load
// LANES-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// LANES: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32
// LANES: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32
// LANES: scf.if
// LANES-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// LANES: gpu.shuffle  xor
// LANES: gpu.shuffle  xor
// LANES: scf.yield
// LANES: scf.for {{.*}} step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32)
// LANES: gpu.shuffle  xor
// LANES: scf.yield
// LANES: scf.if
// LANES-COUNT-4: memref.store {{.*}} : memref<?x?x16xf32
// LANES: gpu.return

// The decode step: each lane loads its 4 states, B, C and A before any use,
// stores the new states for real rows (new_state may alias state), then the
// same butterfly.
// CHECK-LABEL: gpu.func @ssmc_k1(
// CHECK-NOT: memref.alloca
// CHECK-COUNT-16: memref.load
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: scf.if
// CHECK-COUNT-4: memref.store
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK-NOT: gpu.shuffle
// CHECK: gpu.return

// Chunked: per-chunk states from zero, the carries across chunks, then the
// outputs recomputed from each chunk's entering state.
// CHUNKED: ssm.selective_scan {{.*}} {delta_softplus, ssm.gpu_chunk_length = 64 : i64, ssm.kernel = @ssmc_k0}
// One step, three launches sharing two scratch buffers: the chunk states
// [b, ceil(L / 16), e, N] and their dt sums [b, ceil(L / 16), e], sized for
// the shortest chunks (64 / 4; A, the step's argument 2, gives N). Arguments
// 8 and 9 are y and the final state. The row kernels get b * L * e / 16
// threads (div 16 * 128), the carry one per state element.
// CHUNKED: gpu.module @ssmc_gpu {{.*}} attributes {ssm.launches = {ssmc_k0 = {scratch = [
// CHUNKED-SAME: [{div = 1 : i64, product = array<i64: 0, 0>}, {div = 16 : i64, product = array<i64: 0, 1>}, {div = 1 : i64, product = array<i64: 0, 2>}, {div = 1 : i64, product = array<i64: 2, 1>}],
// CHUNKED-SAME: stages = [{args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, -2>, {{.*}}function = "ssmc_k0_states", grid_stride, grid_x = {div = 2048 : i64, product = array<i64: 0, 0, 0, 1, 0, 2>}
// CHUNKED-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, -2, 9>, {{.*}}function = "ssmc_k0_carry", grid_stride, grid_x = {div = 128 : i64, product = array<i64: 0, 0, 0, 2, 2, 1>}
// CHUNKED-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, -1, 8>, {{.*}}function = "ssmc_k0_outputs", grid_stride, grid_x = {div = 2048 : i64, product = array<i64: 0, 0, 0, 1, 0, 2>}
// A warp's tasks are (batch, chunk, 32 channels); each thread walks its
// chunk [T c, min(T c + T, L)), then stores its states and dt sum. T is 64,
// halved (to 32, then 16) while b * e * ceil(L / T) < 32768. Only B is
// staged in shared memory (no outputs, no C): 32 steps x 16 per warp.
// CHUNKED: gpu.func @ssmc_k0_states({{.*}}, %{{.*}}: memref<?x?x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>) workgroup(%{{.*}} : memref<4x32x16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHUNKED-NOT: memref.alloca
// CHUNKED: %[[ROWS:.*]] = arith.muli %dim, %dim_3
// CHUNKED: %[[K64:.*]] = arith.divui {{.*}}, %c64
// CHUNKED: %[[T64:.*]] = arith.muli %[[ROWS]], %[[K64]]
// CHUNKED: %[[FEW64:.*]] = arith.cmpi ult, %[[T64]], %c32768
// CHUNKED: %[[T:.*]] = arith.select %[[FEW64]], %c32, %c64
// CHUNKED: arith.cmpi ult, {{.*}}, %c32768
// CHUNKED: arith.select {{.*}}, %c16, %[[T]]
// CHUNKED: arith.minui
// CHUNKED: scf.if {{.*}} -> ({{(f32, ){16}f32}})
// CHUNKED: scf.for {{.*}} step %c32
// CHUNKED-COUNT-16: memref.load {{.*}} : memref<?x?x?x16xf32
// CHUNKED-COUNT-16: memref.store {{.*}} : memref<4x32x16xf32, #gpu.address_space<workgroup>>
// CHUNKED: scf.for {{.*}} iter_args({{.*}}) -> ({{(f32, ){18}f32}})
// CHUNKED-COUNT-4: vector.load
// CHUNKED-NOT: gpu.shuffle
// CHUNKED: scf.yield
// The chunk's states go out as 4 aligned 4-wide stores (a thread's row is
// 64 contiguous bytes of the scratch).
// CHUNKED: scf.if
// CHUNKED-COUNT-4: vector.store {{.*}} {alignment = 16 : i64} : memref<?x?x?x16xf32, {{.*}}>, vector<4xf32>
// CHUNKED: scf.if
// CHUNKED: memref.store {{.*}} : memref<?x?x?xf32
// The carries walk the chunks four at a time, the next four chunks' dt sums
// and states (8 values) loaded ahead, then one at a time.
// CHUNKED: gpu.func @ssmc_k0_carry(
// CHUNKED: scf.for {{.*}} step %c4{{.*}} -> ({{(f32, ){8}f32}})
// CHUNKED-COUNT-8: memref.load
// CHUNKED-COUNT-4: math.fma
// CHUNKED: scf.yield
// CHUNKED: scf.for {{.*}} -> (f32)
// CHUNKED: memref.store
// CHUNKED: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHUNKED: math.fma
// The outputs: the entering state's 16 values (four 4-wide loads), then,
// where the warp's 32 channels share one group of B and C (a run-time test),
// 32 steps of B and C at a time copied into the warp's shared buffer: 16
// coalesced loads of each (steps clamped to L - 1), all issued before the 32
// stores, between two warp syncs. The time loop carries the 16 states, the sum of dt and the next
// step's dt, x and z; each step reads its B and C as 8 4-wide shared loads.
// Otherwise (the warp's channels in two groups) a plain loop loads them
// from global memory.
// CHUNKED: gpu.func @ssmc_k0_outputs({{.*}} workgroup(%{{.*}} : memref<4x32x32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHUNKED-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<?x?x?x16xf32, {{.*}}>, vector<4xf32>
// CHUNKED: %[[ONE:.*]] = arith.cmpi eq
// CHUNKED: scf.if %[[ONE]] -> ({{(f32, ){16}f32}})
// CHUNKED: scf.for {{.*}} step %c32
// CHUNKED: nvvm.bar.warp.sync
// CHUNKED-COUNT-32: memref.load {{.*}} : memref<?x?x?x16xf32
// CHUNKED-COUNT-32: memref.store {{.*}} : memref<4x32x32xf32, #gpu.address_space<workgroup>>
// CHUNKED: nvvm.bar.warp.sync
// CHUNKED: scf.for {{.*}} iter_args({{.*}}) -> ({{(f32, ){19}f32}})
// CHUNKED-NOT: memref.load {{.*}} : memref<?x?x?x16xf32
// CHUNKED-COUNT-8: vector.load {{.*}} {alignment = 16 : i64} : memref<4x32x32xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHUNKED-COUNT-17: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHUNKED: } else {
// CHUNKED: scf.for {{.*}} iter_args({{.*}}) -> ({{(f32, ){16}f32}})
// CHUNKED-COUNT-35: memref.load
// CHUNKED: memref.store {{.*}} : memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
// CHUNKED-NOT: memref.alloc

// The state never leaves registers: no local memory in the PTX.
// PTX: .target sm_90
// PTX-NOT: .local
// PTX: .visible .entry ssmc_k0(
// PTX-NOT: .local
// PTX: ex2.approx.ftz.f32
// PTX-NOT: .local
// PTX: .visible .entry ssmc_k1(
// PTX-NOT: .local
// PTX: shfl.sync.bfly.b32
// PTX-NOT: .local

func.func @scan(%u: tensor<2x64x256xf32>, %dt: tensor<2x64x256xf32>, %A: tensor<256x16xf32>, %B: tensor<2x64x1x16xf32>, %C: tensor<2x64x1x16xf32>, %D: tensor<256xf32>, %z: tensor<2x64x256xf32>, %bias: tensor<256xf32>,
                %st: tensor<3x256x16xf32>, %sx: tensor<3x256xf32>, %sB: tensor<3x1x16xf32>)
    -> (tensor<2x64x256xf32>, tensor<2x256x16xf32>, tensor<3x256xf32>, tensor<3x256x16xf32>) {
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %C skip(%D) gate(%z) delta_bias(%bias) {delta_softplus} : (tensor<2x64x256xf32>, tensor<2x64x256xf32>, tensor<256x16xf32>, tensor<2x64x1x16xf32>, tensor<2x64x1x16xf32>, tensor<256xf32>, tensor<2x64x256xf32>, tensor<256xf32>) -> (tensor<2x64x256xf32>, tensor<2x256x16xf32>)
  %y1, %n1 = ssm.selective_state_update %st, %sx, %sx, %A, %sB, %sB skip(%D) gate(%sx) dt_bias(%D) {dt_softplus}
      : (tensor<3x256x16xf32>, tensor<3x256xf32>, tensor<3x256xf32>, tensor<256x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<256xf32>, tensor<3x256xf32>, tensor<256xf32>)
      -> (tensor<3x256xf32>, tensor<3x256x16xf32>)
  return %y, %s, %y1, %n1 : tensor<2x64x256xf32>, tensor<2x256x16xf32>, tensor<3x256xf32>, tensor<3x256x16xf32>
}
