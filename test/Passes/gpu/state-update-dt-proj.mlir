// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | sed "/func.func \(private \)\{0,1\}@\(step\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// The decode step with its dt projection inside (dt_proj, formed by
// ssm-fuse): the 4 lanes of a row share the row's dt, a dot product of the
// [b, R] input (argument 2) with the channel's row of dt_proj (argument 8).
// From 32 sequences on a task is 8 sequences of one group of rows, below
// that one (the grid, b * e * 4 lanes / 128 threads, is not divided by 8:
// at b1 it would leave rows waiting for too few threads); each lane loads
// its 3 terms of the row of dt_proj once (R = 12, every 4th term, zero past
// R). The loop over the task's sequences loads one sequence ahead: the
// first sequence's inputs and dot product (3 inputs, two xor shuffles)
// before it, then in each iteration the next sequence's state row and dot
// product before this one's update (bias, softplus) and stores. A's row,
// the dt bias and D (arguments 3, 7, 6) are read once per task, before the
// loop: inside it they would be reread after every store. Every argument
// has a unit innermost stride.
// CHECK: ssm.launches = {ssmc_k0 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 128, 1, 1>, grid_stride, grid_x = {div = 32 : i64, product = array<i64: 0, 0, 0, 1>}, grid_y = {div = 1 : i64, product = array<i64>}, grid_z = {div = 1 : i64, product = array<i64>}, unit_inner_stride = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10>}]}
// CHECK: gpu.func @[[K:ssmc_k[0-9]+]](%arg0: memref<?x?x16xf32, strided<[?, ?, 1], offset: ?>>
// CHECK: %[[WIDE:.*]] = arith.cmpi uge, %{{.*}}, %c32
// CHECK: arith.select %[[WIDE]], %c8, %c1 : index
// CHECK-COUNT-4: memref.load %arg3[
// CHECK: memref.load %arg7[
// CHECK: memref.load %arg6[
// CHECK-COUNT-3: memref.load %arg8[
// CHECK: memref.load %arg0[
// CHECK-COUNT-3: memref.load %arg2[
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32
// CHECK: gpu.shuffle  xor
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(
// CHECK-NOT: memref.store
// CHECK: memref.load %arg0[
// CHECK-NOT: memref.store
// CHECK-COUNT-3: memref.load %arg2[
// CHECK-NOT: memref.{{store|load %arg(3|6|7)\[}}
// CHECK: math.absf
// CHECK: llvm.call_intrinsic "llvm.nvvm.rcp.approx.ftz.f"
// CHECK: arith.maximumf
// CHECK-NOT: memref.load %arg{{(3|6|7)}}[
// CHECK: memref.store %{{.*}}, %arg10[
// CHECK-NOT: memref.load %arg{{(3|6|7)}}[
// CHECK: scf.yield
// CHECK: gpu.return
// The same step with R unknown when compiling: a task per sequence, each
// lane summing every 4th term in a loop.
// CHECK: gpu.func @ssmc_k1(
// CHECK-NOT: arith.cmpi uge
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK: math.fma %{{.*}}, %{{.*}}, %[[ACC]]
// CHECK: gpu.shuffle  xor
// CHECK: gpu.return
// PTX: .visible .entry ssmc_k{{[0-9]+}}(
// PTX: fma.rn.f32
// PTX: shfl.sync.bfly.b32
// PTX-NOT: .local

func.func @step(%st: tensor<3x256x16xf32>, %sx: tensor<3x256xf32>, %u: tensor<3x12xf32>, %w: tensor<256x12xf32>, %A: tensor<256x16xf32>, %sB: tensor<3x1x16xf32>, %D: tensor<256xf32>)
    -> (tensor<3x256xf32>, tensor<3x256x16xf32>) {
  %y, %n = ssm.selective_state_update %st, %sx, %u, %A, %sB, %sB skip(%D) dt_bias(%D) dt_proj(%w) {dt_softplus}
      : (tensor<3x256x16xf32>, tensor<3x256xf32>, tensor<3x12xf32>, tensor<256x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256x12xf32>)
      -> (tensor<3x256xf32>, tensor<3x256x16xf32>)
  return %y, %n : tensor<3x256xf32>, tensor<3x256x16xf32>
}

func.func @step_any_rank(%st: tensor<3x256x16xf32>, %sx: tensor<3x256xf32>, %u: tensor<3x?xf32>, %w: tensor<256x?xf32>, %A: tensor<256x16xf32>, %sB: tensor<3x1x16xf32>, %D: tensor<256xf32>)
    -> (tensor<3x256xf32>, tensor<3x256x16xf32>) {
  %y, %n = ssm.selective_state_update %st, %sx, %u, %A, %sB, %sB skip(%D) dt_bias(%D) dt_proj(%w) {dt_softplus}
      : (tensor<3x256x16xf32>, tensor<3x256xf32>, tensor<3x?xf32>, tensor<256x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256x?xf32>)
      -> (tensor<3x256xf32>, tensor<3x256x16xf32>)
  return %y, %n : tensor<3x256xf32>, tensor<3x256x16xf32>
}
