// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s --check-prefix=OFF
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true gemv-stretches-per-warp=2" | FileCheck %s --check-prefix=P2
// RUN: not ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true gemv-stretches-per-warp=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true" | sed "/func.func \(private \)\{0,1\}@\(head\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// With `gemv`, the gpu.module also holds the skinny-GEMM kernels
// (passes/gpu/GemvKernel.h) for f32 and bf16 weights and tiles of 1, 2, 4
// rows: 256 threads, a grid of n * k / (8 warps x 4 stretches x 128
// elements) blocks (256 elements for bf16; argument 1 is w [n, k]; the
// runtime sizes it exactly itself), grid-stride, a and w of unit innermost
// stride.
// CHECK: ssm.launches = {
// CHECK-SAME: ssmc_gemv_bf16_m1 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 8192 : i64, product = array<i64: 1, 0, 1, 1>}, grid_y = {div = 1 : i64, product = array<i64>}, grid_z = {div = 1 : i64, product = array<i64>}, unit_inner_stride = array<i64: 0, 1>}]}
// CHECK-SAME: ssmc_gemv_bf16_m4 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 8192 : i64, product = array<i64: 1, 0, 1, 1>}
// CHECK-SAME: ssmc_gemv_f32_m1 = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 4096 : i64, product = array<i64: 1, 0, 1, 1>}
// CHECK-SAME: ssmc_gemv_f32_m2 =
// CHECK-SAME: ssmc_gemv_f32_m4 =
// OFF-NOT: ssmc_gemv

// gemv-stretches-per-warp=2: half the work per block in the grid, two
// loads of w per lane per group.
// P2: ssmc_gemv_bf16_m1 = {{.*}} grid_x = {div = 4096 : i64
// P2-LABEL: gpu.func @ssmc_gemv_f32_m1(
// P2: scf.for {{.*}} -> (vector<4xf32>) {
// P2-COUNT-2: vector.load {{.*}} vector<4xf32>
// P2-COUNT-2: vector.fma
// P2-NEXT: arith.select
// P2-NOT: vector.load
// P2: scf.yield
// BAD: error: gemv-stretches-per-warp must be in [1, 16], not 0

// f32 weights, one row of a. S warps share a row of w: the smallest of 1,
// 2, 4, 8 with ceil(k / 128) <= S x 4 (gemv-stretches-per-warp, default 4);
// a block takes 8 / S rows. Each lane loads its 4 stretches of w and the
// same 4-wide pieces of a, all before the first product (indices clamped to
// its last stretch, products past it dropped by a select); then a butterfly
// of shuffles over the warp, the warps' sums through shared memory; the
// first threads add them up and store, with the bias when there is one
// (bias of size 0: none).
// CHECK-LABEL: gpu.func @ssmc_gemv_f32_m1(
// CHECK-SAME: %[[A:.*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[W:.*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[BIAS:.*]]: memref<?xf32, strided<[?], offset: ?>>, %[[C:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>)
// CHECK-SAME: workgroup(%[[PART:.*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: %[[NB:.*]] = memref.dim %[[BIAS]], %{{.*}}
// CHECK: %[[HAS:.*]] = arith.cmpi ugt, %[[NB]], %{{.*}} : index
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[RS:.*]] = arith.divui %{{.*}}, %[[C128]] : index
// CHECK: arith.cmpi ule, %[[RS]], %c16
// CHECK: %[[S4:.*]] = arith.select %{{.*}}, %c4{{.*}}, %c8 : index
// CHECK: arith.cmpi ule, %[[RS]], %c8
// CHECK: %[[S2:.*]] = arith.select %{{.*}}, %c2{{.*}}, %[[S4]] : index
// CHECK: arith.cmpi ule, %[[RS]], %c4
// CHECK: %[[S:.*]] = arith.select %{{.*}}, %c1{{.*}}, %[[S2]] : index
// CHECK: %[[ROWS:.*]] = arith.divui %c8{{.*}}, %[[S]] : index
// CHECK: %[[GRID:.*]] = gpu.grid_dim  x
// CHECK: %[[BLOCK:.*]] = gpu.block_id  x
// CHECK: scf.for %[[G:.*]] = %[[BLOCK]] to %{{.*}} step %[[GRID]] {
// CHECK: scf.for {{.*}} -> (vector<4xf32>) {
// CHECK-NOT: vector.fma
// CHECK: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// CHECK-NEXT: vector.load %[[A]]
// CHECK-NOT: vector.fma
// CHECK: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// CHECK-NEXT: vector.load %[[A]]
// CHECK-NOT: vector.fma
// CHECK: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// CHECK-NEXT: vector.load %[[A]]
// CHECK-NOT: vector.fma
// CHECK: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// CHECK-NEXT: vector.load %[[A]]
// CHECK-NOT: vector.fma
// CHECK: arith.cmpi ult
// CHECK-NEXT: vector.fma
// CHECK-NEXT: arith.select
// CHECK: arith.cmpi ult
// CHECK-NEXT: vector.fma
// CHECK-NEXT: arith.select
// CHECK: arith.cmpi ult
// CHECK-NEXT: vector.fma
// CHECK-NEXT: arith.select
// CHECK: arith.cmpi ult
// CHECK-NEXT: vector.fma
// CHECK-NEXT: arith.select
// CHECK-NOT: vector.load
// CHECK: scf.yield
// CHECK: vector.reduction <add>
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.store %{{.*}}, %[[PART]]
// CHECK: gpu.barrier
// CHECK: scf.if %[[HAS]] -> (f32) {
// CHECK: memref.load %[[BIAS]]
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %[[S]] step %c1{{.*}} iter_args
// CHECK: memref.load %[[PART]]
// CHECK: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.barrier
// CHECK: gpu.return

// bf16 weights: 8-wide loads (16 bytes), widened to f32; four rows of a,
// each clamped to m - 1 and stored only when it is a real row.
// CHECK-LABEL: gpu.func @ssmc_gemv_bf16_m4(
// CHECK-SAME: memref<?x?xbf16, strided<[?, 1], offset: ?>>
// CHECK: vector.load {{.*}} vector<8xbf16>
// CHECK: arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK-COUNT-4: vector.fma {{.*}} : vector<8xf32>
// CHECK-COUNT-4: vector.reduction <add>
// CHECK-COUNT-4: memref.store
// CHECK: gpu.barrier

// PTX-LABEL: .visible .entry ssmc_gemv_bf16_m1(
// PTX: ld.global.v4.b32
// PTX: cvt.f32.bf16
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync
// PTX-LABEL: .visible .entry ssmc_gemv_f32_m1(
// PTX: ld.global.v4.b32
// PTX: fma.rn.f32
// PTX: shfl.sync.bfly.b32

func.func @head(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = ssm.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
