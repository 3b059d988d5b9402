// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32x3" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32" | FileCheck %s --check-prefix=ONE
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=24 ssd-math=tf32x3" | FileCheck %s --check-prefix=SCALAR
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32x3" | sed "/func.func \(private \)\{0,1\}@\(layer\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32x3 ssd-sequential-from=6" | FileCheck %s --check-prefix=SEQ
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32x3 ssd-sequential-from=6" | sed "/func.func \(private \)\{0,1\}@\(layer\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=SEQPTX
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=24 ssd-math=tf32x3 ssd-sequential-from=6" | FileCheck %s --check-prefix=NOSEQ
// RUN: not ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=fp16" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=ssd-chunk-length=32 ssd-math=tf32x3 ssd-sequential-from=-2" 2>&1 | FileCheck %s --check-prefix=BADFROM
// REQUIRES: cuda-toolkit

// The chunked SSD on the tensor cores (P = 16, N = 32, two B/C groups,
// chunks of 32 steps): `_states` and `_outputs` are warp-level products
// (nvgpu.mma.sync m16n8k8, tf32 operands); `_carry` stays the scalar walk.
// A warp takes (batch, chunk, head, tile) tasks: N / 16 = 2 state tiles
// (b * L * H * N / (32 * 16 * 4) blocks of 4 warps) or chunk / 16 = 2 row
// tiles (b * L * H / 32 blocks of 2 warps). The chunk states are
// [b, K, H, N, P] (N from B's dimension 3, P from x's), the transpose of the
// scalar kernels' layout.
// CHECK: ssm.ssd {{.*}}ssm.gpu_chunk_length = 32 : i64, ssm.kernel = @ssmc_k0
// CHECK: ssm.launches = {ssmc_k0 = {scratch = [
// CHECK-SAME: [{div = 1 : i64, product = array<i64: 0, 0>}, {div = 32 : i64, product = array<i64: 0, 1>}, {div = 1 : i64, product = array<i64: 0, 2>}, {div = 1 : i64, product = array<i64: 3, 3>}, {div = 1 : i64, product = array<i64: 0, 3>}]
// CHECK-SAME: function = "ssmc_k0_states", grid_stride, grid_x = {div = 2048 : i64, product = array<i64: 0, 0, 0, 1, 0, 2, 3, 3>}
// CHECK-SAME: function = "ssmc_k0_carry", grid_stride, grid_x = {div = 128 : i64, product = array<i64: 0, 0, 0, 2, 0, 3, 3, 3>}
// CHECK-SAME: block = array<i64: 64, 1, 1>, function = "ssmc_k0_outputs", grid_stride, grid_x = {div = 32 : i64, product = array<i64: 0, 0, 0, 1, 0, 2>}

// Each warp's own dt, prefix sums (ping-pong) and step weights in shared
// memory; warps only ever wait for their own lanes. The prefix sums take
// log2(32) = 5 doubling steps. Three products per tile (hi/lo split): the
// state tile's A operand is B weighted per step, B operand x, 2 p tiles.
// CHECK-LABEL: gpu.func @ssmc_k0_states(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x32xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<4x2x32xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<4x32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: gpu.barrier
// CHECK: gpu.block_id x
// CHECK: gpu.grid_dim x
// CHECK: scf.for
// CHECK-COUNT-6: nvvm.bar.warp.sync
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: arith.andi %{{.*}}, %c-8192_i32
// CHECK-COUNT-3: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return

// Outputs: the warp's 16 rows of C staged in its shared memory (16 x (N +
// 4)), a strip of C B^T per 16-row tile, one 16 x 8 tile at a time up to
// the diagonal, weighted (one ex2 per element) into the warp's padded strip
// (16 x (32 + 4)); then C S_in and strip x in groups of p tiles. Fragments
// of C come from the staged rows.
// CHECK-LABEL: gpu.func @ssmc_k0_outputs(
// CHECK-SAME: %[[STRIP:.*]] : memref<2x16x36xf32, #gpu.address_space<workgroup>>, %[[ROWS:.*]] : memref<2x16x36xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: gpu.barrier
// CHECK: memref.store {{.*}}, %[[ROWS]]
// CHECK: nvvm.bar.warp.sync
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32)
// CHECK: memref.load %[[ROWS]]
// CHECK-COUNT-3: nvgpu.mma.sync
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: nvvm.bar.warp.sync
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-6: nvgpu.mma.sync
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-6: nvgpu.mma.sync
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
// CHECK: gpu.func @ssmc_k0_carry(

// One tf32 product per tile (2 p tiles): no operand split.
// ONE-LABEL: gpu.func @ssmc_k0_states(
// ONE-NOT: arith.andi %{{.*}}, %c-8192_i32
// ONE-COUNT-2: nvgpu.mma.sync
// ONE-NOT: nvgpu.mma.sync
// ONE: scf.yield
// ONE-LABEL: gpu.func @ssmc_k0_outputs(

// Chunks that are not a multiple of 16 keep the scalar kernels.
// SCALAR: gpu.func @ssmc_k0_states(
// SCALAR-NOT: nvgpu.mma.sync
// SCALAR: gpu.func @ssmc_k0_outputs(
// SCALAR-NOT: nvgpu.mma.sync
// SCALAR: gpu.shuffle xor
// SCALAR-NOT: nvgpu.mma.sync

// PTX: .entry ssmc_k0_states(
// PTX: bar.warp.sync
// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// PTX: .entry ssmc_k0_outputs(
// PTX-NOT: bar.sync
// PTX: ex2.approx.ftz.f32
// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32

// BAD: error: ssd-math must be scalar, tf32x3 or tf32, not 'fp16'
// BADFROM: error: ssd-sequential-from must not be negative

// With a threshold, a fourth launch: `_sequential`, a block of 256 threads
// per (batch, head) (grid b * H), writing y and the final state directly,
// no scratch. Every kernel compares b * H with the threshold: the chunked
// ones find no tasks from 6 pairs on, the sequential one none below.
// SEQ: function = "ssmc_k0_outputs"
// SEQ-SAME: {args = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9>, block = array<i64: 256, 1, 1>, function = "ssmc_k0_sequential", grid_stride, grid_x = {div = 1 : i64, product = array<i64: 0, 0, 0, 2>}
// All its shared memory is dynamic: S (32 x (16 + 8)), the chunk's rows of
// C and B (32 x (32 + 4)) and x (32 x (16 + 8)), dt, cum and weights (32
// each): 4 * (768 + 32 * 99) bytes.
// SEQ-SAME: shared_bytes = 15744
// SEQ-LABEL: gpu.func @ssmc_k0_states(
// SEQ: %[[CHOSEN:.*]] = arith.cmpi uge, %{{.*}}, %c6
// SEQ: arith.select %[[CHOSEN]], %c0
// SEQ-LABEL: gpu.func @ssmc_k0_outputs(
// SEQ: arith.cmpi uge, %{{.*}}, %c6
// Views of the dynamic shared memory at multiples of 16 bytes: S, rows
// padded to 24 (8 modulo 16: conflict-free B fragments), then the chunk's
// rows of C, B (36: 4 modulo 32) and x.
// SEQ-LABEL: gpu.func @ssmc_k0_sequential(
// SEQ-NOT: workgroup(
// SEQ: %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// SEQ: %[[S:.*]] = memref.view %[[DYN]][%c0{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<32x24xf32, #gpu.address_space<workgroup>>
// SEQ: %[[C:.*]] = memref.view %[[DYN]][%c3072{{.*}}][] : {{.*}} to memref<32x36xf32, #gpu.address_space<workgroup>>
// SEQ: %[[B:.*]] = memref.view %[[DYN]][%c7680{{.*}}][] : {{.*}} to memref<32x36xf32, #gpu.address_space<workgroup>>
// SEQ: %[[X:.*]] = memref.view %[[DYN]][%c12288{{.*}}][] : {{.*}} to memref<32x24xf32, #gpu.address_space<workgroup>>
// SEQ: memref.view %[[DYN]][%c15360{{.*}}][] : {{.*}} to memref<32xf32, #gpu.address_space<workgroup>>
// SEQ: arith.cmpi uge, %{{.*}}, %c6
// SEQ: gpu.block_id x
// SEQ: gpu.grid_dim x
// S from the initial state, then the chunks in order, each first staged
// by all threads (4 elements of C, B and 2 of x each).
// SEQ: memref.store {{.*}}, %[[S]]
// SEQ: gpu.barrier
// SEQ: scf.for
// SEQ-COUNT-4: memref.store {{.*}}, %[[C]]
// SEQ-COUNT-4: memref.store {{.*}}, %[[B]]
// SEQ-COUNT-2: memref.store {{.*}}, %[[X]]
// Warp 0's prefix sums of dt: five shuffles up.
// SEQ-COUNT-5: gpu.shuffle  up
// SEQ: nvvm.bar.warp.sync
// SEQ: gpu.barrier
// y: C S (three products per tile, 2 p tiles), then per pair of tiles of 8
// steps C B^T (two accumulator chains), each weighted (one ex2 per
// element) and multiplied by x.
// SEQ: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// SEQ: memref.load %[[C]]
// SEQ: memref.load %[[S]]
// SEQ-COUNT-6: nvgpu.mma.sync
// SEQ: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// SEQ: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// SEQ: memref.load %[[C]]
// SEQ: memref.load %[[B]]
// SEQ-COUNT-6: nvgpu.mma.sync
// SEQ-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// SEQ: memref.load %[[X]]
// SEQ-COUNT-6: nvgpu.mma.sync
// SEQ-COUNT-4: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// SEQ: memref.load %[[X]]
// SEQ-COUNT-6: nvgpu.mma.sync
// SEQ: gpu.barrier
// The state update, decayed S as the accumulators, stored back.
// SEQ: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// SEQ: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// SEQ: memref.load %[[B]]
// SEQ: memref.load %[[X]]
// SEQ-COUNT-6: nvgpu.mma.sync
// SEQ-COUNT-8: memref.store {{.*}}, %[[S]]
// SEQ: gpu.barrier
// The final state from S.
// SEQ: memref.load %[[S]]
// SEQ: gpu.barrier
// SEQ: gpu.return
// SEQ-LABEL: gpu.func @ssmc_k0_carry(
// SEQ: arith.cmpi uge, %{{.*}}, %c6

// SEQPTX: .entry ssmc_k0_sequential(
// SEQPTX: shfl.sync.up.b32
// SEQPTX: bar.sync
// SEQPTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32

// Chunks that the tensor cores do not take: no sequential kernel.
// NOSEQ: function = "ssmc_k0_outputs"
// NOSEQ-NOT: _sequential
func.func @layer(%x: tensor<?x?x4x16xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>, %B: tensor<?x?x2x32xf32>,
                 %z: tensor<?x?x4x16xf32>, %D: tensor<4xf32>, %db: tensor<4xf32>)
    -> (tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>) {
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B skip(%D) gate(%z) dt_bias(%db) {dt_softplus}
      : (tensor<?x?x4x16xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<4xf32>, tensor<?x?x4x16xf32>, tensor<4xf32>)
      -> (tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>)
  return %y, %s : tensor<?x?x4x16xf32>, tensor<?x4x16x32xf32>
}
