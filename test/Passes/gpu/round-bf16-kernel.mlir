// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=round-bf16=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s --check-prefix=OFF
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=round-bf16=true" | sed "/func.func \(private \)\{0,1\}@\(head\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// With `round-bf16`, the gpu.module also holds the kernel that rounds a
// bf16 GEMM's f32 activations (passes/gpu/RoundBf16Kernel.h): 256 threads,
// a grid of m * k / 256 blocks (argument 0 is src [m, k]), grid-stride, the
// destination of unit innermost stride.
// CHECK: ssm.launches = {
// CHECK-SAME: ssmc_round_bf16 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 256 : i64, product = array<i64: 0, 0, 0, 1>}, grid_y = {div = 1 : i64, product = array<i64>}, grid_z = {div = 1 : i64, product = array<i64>}, unit_inner_stride = array<i64: 1>}]}
// OFF-NOT: ssmc_round_bf16

// A thread per element in a grid-stride loop: its row and column from the
// flat index, an f32 load from any strides, a bf16 store.
// CHECK-LABEL: gpu.func @ssmc_round_bf16(
// CHECK-SAME: %[[SRC:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[DST:.*]]: memref<?x?xbf16, strided<[?, 1], offset: ?>>)
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: %[[K:.*]] = memref.dim %[[SRC]], %c1
// CHECK-DAG: gpu.grid_dim  x
// CHECK-DAG: gpu.block_id  x
// CHECK-DAG: gpu.thread_id  x
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[ROW:.*]] = arith.divui %[[I]], %[[K]] : index
// CHECK: %[[COL:.*]] = arith.remui %[[I]], %[[K]] : index
// CHECK: %[[V:.*]] = memref.load %[[SRC]][%[[ROW]], %[[COL]]]
// CHECK: %[[R:.*]] = arith.truncf %[[V]] : f32 to bf16
// CHECK: memref.store %[[R]], %[[DST]][%[[ROW]], %[[COL]]]
// CHECK: gpu.return

// PTX-LABEL: .visible .entry ssmc_round_bf16(
// PTX: ld.global.b32
// PTX: cvt.rn.bf16.f32
// PTX: st.global.b16

func.func @head(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = ssm.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
