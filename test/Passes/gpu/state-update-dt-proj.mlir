// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | sed "/func.func \(private \)\{0,1\}@\(step\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// The decode step with its dt projection inside (dt_proj, formed by
// ssm-fuse): each lane of a row computes the row's dt as a dot product of
// the [b, R] input (argument 2) with the channel's row of dt_proj
// (argument 8), then bias and softplus, then the usual state update.
// CHECK: gpu.func @[[K:ssmc_k[0-9]+]](
// CHECK: %[[DT:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK: %[[W:.*]] = memref.load %arg8[
// CHECK: %[[U:.*]] = memref.load %arg2[
// CHECK: math.fma %[[U]], %[[W]], %[[ACC]]
// CHECK: math.log1p
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
