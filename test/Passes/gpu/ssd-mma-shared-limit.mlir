// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=64 ssd-math=tf32x3" | FileCheck %s --check-prefix=FITS
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=128 ssd-math=tf32x3" | FileCheck %s --check-prefix=SCALAR
// REQUIRES: cuda-toolkit

// N = 256: the tensor-core `_outputs` keeps, per warp, dt and its prefix sums
// (3 x chunk floats), the C B^T strip (16 x (chunk + 4)) and the rows of C
// (16 x (N + 4)), two warps a block, within the 48 KB of static shared
// memory. With chunks of 64 that is 2 x 4 x (192 + 1088 + 4160) = 43520
// bytes: tensor cores. With chunks of 128 it would be 2 x 4 x (384 + 2112 +
// 4160) = 53248 bytes: the scalar kernels serve instead.
// FITS-LABEL: gpu.func @ssmc_k0_outputs(
// FITS-SAME: memref<2x16x68xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<2x16x260xf32, #gpu.address_space<workgroup>>)
// FITS: nvgpu.mma.sync

// SCALAR-LABEL: gpu.func @ssmc_k0_outputs(
// SCALAR-NOT: nvgpu.mma.sync
// SCALAR: gpu.shuffle xor
// SCALAR-NOT: nvgpu.mma.sync
// SCALAR: gpu.return
func.func @layer(%x: tensor<?x?x2x16xf32>, %dt: tensor<?x?x2xf32>, %A: tensor<2xf32>, %B: tensor<?x?x1x256xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x16x256xf32>) {
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B {dt_softplus}
      : (tensor<?x?x2x16xf32>, tensor<?x?x2xf32>, tensor<2xf32>, tensor<?x?x1x256xf32>, tensor<?x?x1x256xf32>)
      -> (tensor<?x?x2x16xf32>, tensor<?x2x16x256xf32>)
  return %y, %s : tensor<?x?x2x16xf32>, tensor<?x2x16x256xf32>
}
