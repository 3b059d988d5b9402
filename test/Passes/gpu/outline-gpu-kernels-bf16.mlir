// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=chunk-length=32 | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=chunk-length=32 | sed "/func.func \(private \)\{0,1\}@\(scan\|ssmc_k0\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// bf16 activations: read as bf16 and widened, the state and the math in f32,
// y narrowed back to bf16; A, D, the bias and the chunk carries stay f32.
// B and C are widened before they are staged in shared memory as f32.

// CHECK: gpu.func @ssmc_k0_states(%{{.*}}: memref<?x?x?xbf16, strided<[?, ?, 1], offset: ?>>, %{{.*}}: memref<?x?x?xbf16, {{.*}}>, %{{.*}}: memref<?x16xf32, {{.*}}>
// CHECK: memref.load {{.*}} : memref<?x?x?x16xbf16
// CHECK-NEXT: arith.extf {{.*}} : bf16 to f32
// CHECK: memref.store {{.*}} : memref<4x32x16xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.func @ssmc_k0_outputs(
// CHECK-SAME: %{{.*}}: memref<?x?x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x?x?xbf16, strided<[?, ?, 1], offset: ?>>) workgroup(%{{.*}} : memref<4x32x32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: memref.store {{.*}} : memref<?x?x?xbf16

// PTX: .visible .entry ssmc_k0_states(
// PTX: ld.global.b16
// PTX: .visible .entry ssmc_k0_outputs(
// PTX: cvt.rn.bf16.f32
// PTX: st.global.b16

func.func @scan(%u: tensor<2x64x256xbf16>, %dt: tensor<2x64x256xbf16>, %A: tensor<256x16xf32>, %B: tensor<2x64x1x16xbf16>, %C: tensor<2x64x1x16xbf16>, %D: tensor<256xf32>, %z: tensor<2x64x256xbf16>, %bias: tensor<256xf32>) -> (tensor<2x64x256xbf16>, tensor<2x256x16xf32>) {
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %C skip(%D) gate(%z) delta_bias(%bias) {delta_softplus} : (tensor<2x64x256xbf16>, tensor<2x64x256xbf16>, tensor<256x16xf32>, tensor<2x64x1x16xbf16>, tensor<2x64x1x16xbf16>, tensor<256xf32>, tensor<2x64x256xbf16>, tensor<256xf32>) -> (tensor<2x64x256xbf16>, tensor<2x256x16xf32>)
  return %y, %s : tensor<2x64x256xbf16>, tensor<2x256x16xf32>
}
