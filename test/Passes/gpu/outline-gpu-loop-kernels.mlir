// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=ssd-chunk-length=0 | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels=ssd-chunk-length=0 | sed "/func.func \(private \)\{0,1\}@\(layer\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// Ops without a hand-built GPU kernel get the CPU emitter's loops, each
// parallel nest spread over the grid in a grid-stride loop (here the
// convolution and, without chunking, SSD; test/Passes/gpu/ssd-kernels.mlir
// has the chunked SSD kernels). The twins keep the CPU kernels' names, so one
// schedule drives both images.

// CHECK: ssm.rms_norm {{.*}} {ssm.kernel = @[[RMS:ssmc_k[0-9]+]]}
// CHECK: ssm.causal_conv1d {{.*}} ssm.kernel = @[[CONV:ssmc_k[0-9]+]]
// CHECK: ssm.ssd {{.*}} ssm.kernel = @[[SSD:ssmc_k[0-9]+]]
// Launches, by step symbol: the norm a block per row (grid x = dims 0 and 1
// of argument 0); the loop kernels grid-stride, a kernel per parallel nest
// launched in order, each sized by its nest: the convolution's outputs
// (batch, tiles of 16 steps, channel: the grid divides b * L * C by 256 * 16),
// then its final state (batch, channel), which replaces the initial state the
// first kernel reads.
// CHECK: gpu.module @ssmc_gpu [#nvvm.target<O = 3, chip = "sm_90">] attributes {ssm.launches = {
// CHECK-SAME: [[RMS]] = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_x = {div = 1 : i64, product = array<i64: 0, 0, 0, 1>}
// CHECK-SAME: [[CONV]] = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 4096 : i64, product = array<i64: 0, 0, 0, 1, 0, 2>}
// CHECK-SAME: {args = array<i64>, block = array<i64: 256, 1, 1>, function = "[[CONV]]_nest1", grid_stride, grid_x = {div = 256 : i64, product = array<i64: 0, 0, 0, 2>}
// CHECK-SAME: [[SSD]] = {scratch = [], stages = [{args = array<i64>, block = array<i64: 256, 1, 1>, grid_stride, grid_x = {div = 256 : i64, product = array<i64: 0, 0, 0, 2, 0, 3>}

// RMS norm: a block per row, whose threads stride over the row and sum in a
// shared-memory tree.
// CHECK: gpu.func @[[RMS]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK-SAME: workgroup(%{{.*}} : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: kernel
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: gpu.block_id  x
// CHECK: scf.for {{.*}} step %c256
// CHECK: gpu.barrier
// CHECK-COUNT-8: scf.if
// CHECK: math.sqrt
// CHECK: gpu.return

// The convolution: (batch, tile of 16 steps, channel) for the outputs, then
// (batch, channel) for the final state, each kernel one grid-stride loop. A
// thread loads its channel's 4 taps, the 3 inputs before its tile (from x, or
// from the initial state before the sequence start), then its 16 inputs
// (clamped to the sequence) before any product, and stores the steps that
// lie inside the sequence.
// CHECK: gpu.func @[[CONV]](
// CHECK: %[[TILES:.*]] = arith.divui %{{.*}}, %c16 : index
// CHECK: gpu.grid_dim  x
// CHECK-COUNT-4: memref.load %arg1[
// CHECK-COUNT-3: scf.if %{{.*}} -> (f32) {
// CHECK-COUNT-16: arith.minui
// CHECK-NEXT: memref.load %arg0[
// CHECK-NOT: memref.load
// CHECK-COUNT-4: math.fma
// CHECK: scf.if
// CHECK: memref.store
// CHECK-NOT: gpu.grid_dim
// CHECK: gpu.return
// CHECK: gpu.func @[[CONV]]_nest1(
// CHECK: gpu.grid_dim  x
// CHECK-NOT: gpu.grid_dim
// CHECK: gpu.return

// SSD: a thread per (batch, head, p) with the 32-wide state in a
// per-thread array of the static state size.
// CHECK: gpu.func @[[SSD]](
// CHECK: memref.alloca() : memref<32xf32>
// CHECK-NOT: memref.alloc(
// CHECK: gpu.return

// PTX: .visible .entry ssmc_k{{[0-9]+}}(
// PTX: .shared .align {{[0-9]+}} .b8 {{.*}}[1024]
// PTX: bar.sync
// PTX: .visible .entry ssmc_k{{[0-9]+}}(
// PTX: .visible .entry ssmc_k{{[0-9]+}}_nest1(
// PTX: .visible .entry ssmc_k{{[0-9]+}}(
// PTX: .local .align {{[0-9]+}} .b8 {{.*}}[128]

func.func @layer(%h: tensor<2x7x64xf32>, %nw: tensor<64xf32>, %x: tensor<2x9x48xf32>, %cw: tensor<48x4xf32>, %cs: tensor<2x48x4xf32>,
                 %hx: tensor<1x9x4x12xf32>, %hdt: tensor<1x9x4xf32>, %hA: tensor<4xf32>, %hB: tensor<1x9x2x32xf32>)
    -> (tensor<2x7x64xf32>, tensor<2x9x48xf32>, tensor<2x48x4xf32>, tensor<1x9x4x12xf32>) {
  %n = ssm.rms_norm %h, %nw : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %c, %cf = ssm.causal_conv1d %x, %cw init(%cs) {silu} : (tensor<2x9x48xf32>, tensor<48x4xf32>, tensor<2x48x4xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x4xf32>)
  %y = ssm.ssd %hx, %hdt, %hA, %hB, %hB {dt_softplus} : (tensor<1x9x4x12xf32>, tensor<1x9x4xf32>, tensor<4xf32>, tensor<1x9x2x32xf32>, tensor<1x9x2x32xf32>) -> tensor<1x9x4x12xf32>
  return %n, %c, %cf, %y : tensor<2x7x64xf32>, tensor<2x9x48xf32>, tensor<2x48x4xf32>, tensor<1x9x4x12xf32>
}
