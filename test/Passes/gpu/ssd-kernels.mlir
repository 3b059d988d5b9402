// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=ssd-chunk-length=4 | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=ssd-chunk-length=4 | sed "/func.func \(private \)\{0,1\}@\(layer\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=4 ssd-unroll=2" | FileCheck %s --check-prefix=UNROLL
// REQUIRES: cuda-toolkit

// Mamba-2's recurrence on the GPU. N = 32: a row of states is spread over
// 8 lanes of a warp, 4 registers each (n = k * 8 + lane % 8), and a warp
// owns 4 rows (p values) of one head.

// SSD in chunks of 4: three launches, sharing the chunk states [b, ceil(L /
// 4), H, P, N] and the per-head dt sums [b, ceil(L / 4), H]. The row kernels
// get b * L * H * P * 8 / 4 threads in blocks of 128 (div 64); the carry a
// thread per state element.
// CHECK: ssm.ssd {{.*}}ssm.gpu_chunk_length = 4 : i64, ssm.kernel = @ssmc_k0
// CHECK: ssm.selective_state_update {{.*}}ssm.kernel = @ssmc_k1
// CHECK: ssm.launches = {
// CHECK-SAME: ssmc_k0 = {scratch = [
// CHECK-SAME: [{div = 1 : i64, product = array<i64: 0, 0>}, {div = 4 : i64, product = array<i64: 0, 1>}, {div = 1 : i64, product = array<i64: 0, 2>}, {div = 1 : i64, product = array<i64: 0, 3>}, {div = 1 : i64, product = array<i64: 3, 3>}]
// CHECK-SAME: [{div = 1 : i64, product = array<i64: 0, 0>}, {div = 4 : i64, product = array<i64: 0, 1>}, {div = 1 : i64, product = array<i64: 0, 2>}]
// CHECK-SAME: stages = [{args = array<i64: 0, 1, 2, 3, 4, 5, 6, -1, -2>, block = array<i64: 128, 1, 1>, function = "ssmc_k0_states", grid_stride, grid_x = {div = 64 : i64, product = array<i64: 0, 0, 0, 1, 0, 2, 0, 3>}
// CHECK-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, -1, -2, 8>, block = array<i64: 128, 1, 1>, function = "ssmc_k0_carry", grid_stride, grid_x = {div = 128 : i64, product = array<i64: 0, 0, 0, 2, 0, 3, 3, 3>}
// CHECK-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, -1, 7>, block = array<i64: 128, 1, 1>, function = "ssmc_k0_outputs", grid_stride, grid_x = {div = 64 : i64, product = array<i64: 0, 0, 0, 1, 0, 2, 0, 3>}
// The decode step: b * H * P * 8 threads (div 16).
// CHECK-SAME: ssmc_k1 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 128, 1, 1>, grid_stride, grid_x = {div = 16 : i64, product = array<i64: 0, 0, 0, 1, 0, 2>}

// Each chunk's state from zero: lane % 8 picks the registers' n, lane / 8 the
// row; a warp takes (batch, chunk, head, row group) tasks with a grid
// stride. The 4 states and the dt sum are loop-carried values (no
// per-thread array), with the next step's 6 loads (dt, x, the lane's 4 of
// B); then the states are stored for real rows only, and lane 0 of row
// group 0 stores the dt sum.
// CHECK-LABEL: gpu.func @ssmc_k0_states(
// CHECK-NOT: memref.alloca
// CHECK: %[[LANE:.*]] = arith.remui %thread_id_x, %c32
// CHECK: arith.divui %[[LANE]], %c8
// CHECK: arith.remui %[[LANE]], %c8
// CHECK: scf.for {{.*}} step
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> ({{(f32, ){10}f32}})
// CHECK: math.exp
// CHECK-COUNT-4: math.fma
// CHECK: scf.yield
// CHECK: scf.if
// CHECK-COUNT-4: memref.store
// CHECK: scf.if
// CHECK: memref.store
// CHECK: gpu.return

// The carries: a thread per (batch, head, p, n), a loop over the chunks four
// at a time, the next four chunks' dt sums and states (8 values) loaded
// ahead; a one-chunk loop for the rest.
// CHECK-LABEL: gpu.func @ssmc_k0_carry(
// CHECK: scf.for
// CHECK: scf.for {{.*}} step %c4{{.*}} iter_args({{.*}}) -> ({{(f32, ){8}f32}})
// CHECK-COUNT-8: memref.load
// CHECK-COUNT-4: math.fma
// CHECK: scf.yield
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32)
// CHECK: memref.store
// CHECK: math.exp
// CHECK: math.fma
// CHECK: gpu.return

// Outputs: the chunk walked again from the state entering it; C . s summed
// over the row's 8 lanes by a 3-step butterfly; the row's first lane adds
// the D skip, gates with silu(z) and stores y.
// CHECK-LABEL: gpu.func @ssmc_k0_outputs(
// CHECK-NOT: memref.alloca
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> ({{(f32, ){14}f32}})
// CHECK: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32
// CHECK: scf.if
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: llvm.call_intrinsic "llvm.nvvm.rcp.approx.ftz.f"
// CHECK: memref.store
// CHECK: gpu.return

// The decode step: each lane loads its 4 states, B and C before any use,
// stores the new states for real rows (new_state may alias state), then the
// same butterfly.
// CHECK-LABEL: gpu.func @ssmc_k1(
// CHECK-NOT: memref.alloca
// CHECK-COUNT-12: memref.load
// CHECK: scf.if
// CHECK-COUNT-4: memref.store
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK-NOT: gpu.shuffle
// CHECK: gpu.return

// With ssd-unroll=2 the chunk walks take two steps per iteration, loading
// the next two steps' dt, x, B and C (2 + 2 * 4 values each) before
// computing these two, then the odd last step alone.
// UNROLL-LABEL: gpu.func @ssmc_k0_outputs(
// UNROLL: scf.for {{.*}} step %c2{{.*}} iter_args({{.*}}) -> ({{(f32, ){24}f32}})
// UNROLL-COUNT-20: memref.load
// UNROLL-NOT: memref.load
// UNROLL: math.exp
// UNROLL: scf.yield
// UNROLL: scf.for {{.*}} step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32, f32)
// UNROLL: gpu.return

// In the lowered kernels: warp butterflies, fused multiply-adds, no local memory.
// PTX-NOT: .local
// PTX: .visible .entry ssmc_k0_states(
// PTX: fma.rn.f32
// PTX: .visible .entry ssmc_k0_carry(
// PTX: .visible .entry ssmc_k0_outputs(
// PTX: shfl.sync.bfly.b32
// PTX: .visible .entry ssmc_k1(
// PTX: shfl.sync.bfly.b32

func.func @layer(%x: tensor<1x9x4x12xf32>, %dt: tensor<1x9x4xf32>, %A: tensor<4xf32>, %B: tensor<1x9x2x32xf32>,
                 %z: tensor<1x9x4x12xf32>, %D: tensor<4xf32>, %st: tensor<3x4x12x32xf32>,
                 %sx: tensor<3x4x12xf32>, %sdt: tensor<3x4xf32>, %sB: tensor<3x2x32xf32>)
    -> (tensor<1x9x4x12xf32>, tensor<1x4x12x32xf32>, tensor<3x4x12xf32>, tensor<3x4x12x32xf32>) {
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B skip(%D) gate(%z) {dt_softplus}
      : (tensor<1x9x4x12xf32>, tensor<1x9x4xf32>, tensor<4xf32>, tensor<1x9x2x32xf32>, tensor<1x9x2x32xf32>, tensor<4xf32>, tensor<1x9x4x12xf32>)
      -> (tensor<1x9x4x12xf32>, tensor<1x4x12x32xf32>)
  %y1, %n1 = ssm.selective_state_update %st, %sx, %sdt, %A, %sB, %sB skip(%D) dt_bias(%D) {dt_softplus}
      : (tensor<3x4x12x32xf32>, tensor<3x4x12xf32>, tensor<3x4xf32>, tensor<4xf32>, tensor<3x2x32xf32>, tensor<3x2x32xf32>, tensor<4xf32>, tensor<4xf32>)
      -> (tensor<3x4x12xf32>, tensor<3x4x12x32xf32>)
  return %y, %s, %y1, %n1 : tensor<1x9x4x12xf32>, tensor<1x4x12x32xf32>, tensor<3x4x12xf32>, tensor<3x4x12x32xf32>
}
