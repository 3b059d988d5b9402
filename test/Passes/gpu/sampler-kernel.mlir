// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=sampler=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s --check-prefix=OFF
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=sampler=true" | sed "/func.func \(private \)\{0,1\}@\(head\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// With `sampler`, the gpu.module also holds the token sampler's device half
// (passes/gpu/SamplerKernel.h): a block of 512 threads per row of logits,
// grid x = the logits' rows (argument 0, dimension 0).
// CHECK: ssm.launches = {
// CHECK-SAME: ssmc_sample_candidates = {scratch = [], stages = [{args = array<i64>, block = array<i64: 512, 1, 1>, grid_x = {div = 1 : i64, product = array<i64: 0, 0>}
// OFF-NOT: ssmc_sample_candidates

// Arguments: logits, seen mask, control words, candidate ids and logits,
// summary. Shared: the reductions' buffers, the 256-bin histogram and the
// gather counter.
// CHECK-LABEL: gpu.func @ssmc_sample_candidates(
// CHECK-SAME: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?xi8, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?xi32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?xi32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?xf64, strided<[?, ?], offset: ?>>)
// CHECK-SAME: workgroup(%{{.*}} : memref<512xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<512xi32, #gpu.address_space<workgroup>>, %{{.*}} : memref<512xi32, #gpu.address_space<workgroup>>, %{{.*}} : memref<512xf64, #gpu.address_space<workgroup>>, %{{.*}} : memref<256xi32, #gpu.address_space<workgroup>>, %{{.*}} : memref<2xi32, #gpu.address_space<workgroup>>)
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// Each row (block) reads its own temperature and penalty, control words
// 2 row and 2 row + 1; its id offsets follow all the rows' settings (at 2B).
// CHECK: %[[ROW:.*]] = gpu.block_id x
// CHECK: %[[BATCH:.*]] = memref.dim %arg0, %c0
// CHECK: %[[TAT:.*]] = arith.muli %[[ROW]], %c2
// CHECK: %[[TW:.*]] = memref.load %arg2[%[[TAT]]]
// CHECK: arith.bitcast %[[TW]] : i32 to f32
// CHECK: %[[P2:.*]] = arith.muli %[[ROW]], %c2
// CHECK: %[[PAT:.*]] = arith.addi %[[P2]], %c1
// CHECK: %[[PW:.*]] = memref.load %arg2[%[[PAT]]]
// CHECK: %[[PEN:.*]] = arith.bitcast %[[PW]] : i32 to f32
// CHECK: %[[ON:.*]] = arith.cmpf une, %[[PEN]], %{{.*}} : f32
// CHECK: %[[OFFSETS:.*]] = arith.muli %[[BATCH]], %c2
// CHECK: %[[FIRST:.*]] = arith.addi %[[OFFSETS]], %[[ROW]]
// CHECK: memref.load %arg2[%[[FIRST]]]
// The seen mask first, only when the row's penalty is not 1.
// CHECK: scf.if %[[ON]] {
// CHECK: memref.store %{{.*}}, %arg1[
// CHECK: gpu.barrier
// Maximum, lowest id on ties, and the live count, reduced over the block
// (log2(512) = 9 halving steps).
// CHECK: scf.for {{.*}} -> (f32, i32, i32)
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ogt
// CHECK-COUNT-9: scf.if
// The mass (f64 exp) and the histogram (shared atomics).
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: memref.atomic_rmw addi
// CHECK: math.exp {{.*}} : f64
// The gather: a slot from the shared counter, never past the buffer.
// CHECK: scf.for {{.*}} -> (f32)
// CHECK: %[[SLOT:.*]] = memref.atomic_rmw addi %{{.*}}, %arg11[
// CHECK: arith.cmpi slt, %[[SLOT]]
// CHECK: memref.store %{{.*}}, %arg3[
// CHECK: memref.store %{{.*}}, %arg4[
// CHECK-COUNT-8: memref.store %{{.*}}, %arg5[
// CHECK: gpu.return

// PTX-LABEL: .visible .entry ssmc_sample_candidates(
// PTX: atom.shared.add.u32
// PTX: bar.sync
// PTX: atom.shared.add.u32

func.func @head(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = ssm.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
