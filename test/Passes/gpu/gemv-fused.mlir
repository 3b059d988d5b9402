// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true" -ssm-build-cpu-schedule | FileCheck %s --check-prefix=PLAN
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s --check-prefix=OFF
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=gemv=true" | sed "/func.func \(private \)\{0,1\}@\(decode\|prefill\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// The decode step's rms_norm -> in_proj -> conv_state_update becomes one
// skinny-GEMM kernel family (passes/FusedProjection.h, GemvKernel.h): one
// family per distinct form (here with and without a residual), each for f32
// and bf16 weights and tiles of 1, 2, 4 rows. The linear names its family;
// the schedule's gemm step then says which steps the kernel stands for.

// CHECK-LABEL: func.func @decode(
// CHECK: ssm.linear {{.*}} {ssm.gemv_fused = "ssmc_gemv_fused0"}
// CHECK: ssm.linear {{.*}} {ssm.gemv_fused = "ssmc_gemv_fused1"}
// The lm_head has no conv after it: not fused.
// CHECK: %[[NOT:.*]] = ssm.linear
// CHECK-NOT: ssm.gemv_fused
// CHECK-SAME: -> tensor<?x16xf32>
// CHECK-LABEL: func.func @prefill(
// CHECK-NOT: ssm.gemv_fused
// OFF-NOT: ssm.gemv_fused

// Launch: 256 threads, grid-stride, up to 96 KiB of shared memory to stage
// rows in; x, w, g, r and the sum read with unit innermost strides (the sum
// is argument 8 here).
// CHECK: ssmc_gemv_fused0_bf16_m1 = {{.*}}shared_bytes = 98304 : i64, unit_inner_stride = array<i64: 0, 1, 2>}
// CHECK: ssmc_gemv_fused1_f32_m4 = {{.*}}shared_bytes = 98304 : i64, unit_inner_stride = array<i64: 0, 1, 2, 3, 8>}

// The first family has no residual and stores no sum.
// CHECK-LABEL: gpu.func @ssmc_gemv_fused0_f32_m1(
// CHECK-NOT: arith.addf {{.*}} : vector<4xf32>
// CHECK: gpu.return

// With a residual: x, w, g, r, conv state, conv weight, conv bias, c, sum,
// conv output, new conv state.
// CHECK-LABEL: gpu.func @ssmc_gemv_fused1_f32_m1(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[W:[^:]*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[G:[^:]*]]: memref<?xf32, strided<[1], offset: ?>>, %[[R:[^:]*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[ST:[^:]*]]: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %[[CW:[^:]*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[CB:[^:]*]]: memref<?xf32, strided<[?], offset: ?>>, %[[C:[^:]*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[SUM:[^:]*]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[OUT:[^:]*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[NEW:[^:]*]]: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// Partial sums and sums of squares of 8 warps.
// CHECK-SAME: workgroup(%[[PART:.*]] : memref<16xf32, #gpu.address_space<workgroup>>)
// First the block stages x + r, times g, in dynamic shared memory ([1, k]),
// summing the squares of x + r; the first block stores x + r as the sum.
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory
// CHECK: %[[STAGE:.*]] = memref.view %[[DYN]]
// CHECK: scf.for {{.*}} step %c1024{{[_0-9]*}} iter_args({{.*}}) -> (vector<4xf32>) {
// CHECK: vector.load %[[G]]
// CHECK: vector.load %[[X]]
// CHECK: vector.load %[[R]]
// CHECK: %[[A:.*]] = arith.addf
// CHECK: scf.if
// CHECK: vector.store %[[A]], %[[SUM]]
// CHECK: vector.fma %[[A]], %[[A]]
// CHECK: %[[AG:.*]] = arith.mulf %[[A]]
// CHECK: vector.store %[[AG]], %[[STAGE]]
// CHECK: gpu.shuffle xor
// CHECK: memref.store {{.*}}, %[[PART]]
// CHECK: gpu.barrier
// Columns [16, 48) are the conv's: the storing thread of such a column
// loads what its conv step reads (state entries 1 to 3, weights, bias)
// before the product's loads, so they are in flight together.
// CHECK: arith.cmpi uge, %{{.*}}, %c16{{[_0-9]*}} : index
// CHECK: scf.if
// CHECK-COUNT-3: memref.load %[[ST]]
// CHECK-COUNT-4: memref.load %[[CW]]
// CHECK: memref.load %[[CB]]
// Every load of a group (w and the staged row for each of its 4
// stretches) comes before the first product; x, r and g are not read again.
// CHECK: scf.for {{.*}} -> (vector<4xf32>) {
// CHECK: vector.load %[[W]]
// CHECK: vector.load %[[STAGE]]
// CHECK: vector.load %[[W]]
// CHECK: vector.load %[[STAGE]]
// CHECK: vector.load %[[W]]
// CHECK: vector.load %[[STAGE]]
// CHECK: vector.load %[[W]]
// CHECK: vector.load %[[STAGE]]
// CHECK-NOT: vector.load
// CHECK: vector.fma
// CHECK: scf.yield
// The storing thread: dot * rsqrt(sum of squares / k + eps), then the conv
// step: the state shifts, the new value enters last, the convolution from
// the bias, silu.
// CHECK: math.sqrt
// CHECK: memref.store {{.*}}, %[[C]]
// CHECK: scf.if
// CHECK-COUNT-4: memref.store {{.*}}, %[[NEW]]
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK: llvm.call_intrinsic "llvm.nvvm.rcp.approx.ftz.f"
// CHECK: memref.store {{.*}}, %[[OUT]]
// CHECK: gpu.barrier
// CHECK: gpu.return

// PLAN: \22fused\22:{\22args\22:[
// The first: steps 1 (norm), 2 (gemm), 3 (conv).
// PLAN-SAME: \22family\22:\22ssmc_gemv_fused0\22,\22first\22:1,\22last\22:3}
// PLAN-SAME: \22family\22:\22ssmc_gemv_fused1\22,\22first\22:4,\22last\22:6}

// PTX-LABEL: .visible .entry ssmc_gemv_fused1_bf16_m1(
// PTX: ld.global.v4.b32
// PTX: st.shared.v4.b32
// PTX: ld.shared.v4.b32
// PTX: sqrt.approx.f32
// PTX: ex2.approx.ftz.f32

module {
func.func @decode(%tokens: tensor<?xi32> {ssm.name = "tokens"},
                  %cs0: tensor<?x32x4xf32> {ssm.name = "layers.0.conv_state"},
                  %cs1: tensor<?x32x4xf32> {ssm.name = "layers.1.conv_state"})
    -> (tensor<?x16xf32> {ssm.name = "logits"},
        tensor<?x32x4xf32> {ssm.name = "layers.0.conv_state"},
        tensor<?x32x4xf32> {ssm.name = "layers.1.conv_state"}) {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %tokens, %c0 : tensor<?xi32>
  %table = ssm.weight "emb" : tensor<16x64xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?xi32>, tensor<16x64xf32>) -> tensor<?x64xf32>
  %cw = ssm.weight "conv.w" : tensor<32x4xf32>
  %cb = ssm.weight "conv.b" : tensor<32xf32>
  %g = ssm.weight "norm.w" : tensor<64xf32>
  %win = ssm.weight "in_proj" : tensor<64x64xf32>
  // Layer 0: no residual yet.
  %n0 = ssm.rms_norm %h, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %xz0 = ssm.linear %n0, %win : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %x0 = tensor.extract_slice %xz0[0, 16] [%b, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %o0, %s0 = ssm.conv_state_update %x0, %cs0, %cw bias(%cb) {silu} : (tensor<?x32xf32>, tensor<?x32x4xf32>, tensor<32x4xf32>, tensor<32xf32>) -> (tensor<?x32xf32>, tensor<?x32x4xf32>)
  %z0 = tensor.extract_slice %xz0[0, 0] [%b, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
  // Layer 1: the residual stream.
  %n1, %sum = ssm.rms_norm %z0, %g residual(%h) : (tensor<?x64xf32>, tensor<64xf32>, tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  %xz1 = ssm.linear %n1, %win : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %x1 = tensor.extract_slice %xz1[0, 16] [%b, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %o1, %s1 = ssm.conv_state_update %x1, %cs1, %cw bias(%cb) {silu} : (tensor<?x32xf32>, tensor<?x32x4xf32>, tensor<32x4xf32>, tensor<32xf32>) -> (tensor<?x32xf32>, tensor<?x32x4xf32>)
  // The final norm and lm_head: no conv reads the product, not fused.
  %n2 = ssm.rms_norm %sum, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %head = ssm.weight "head" : tensor<16x64xf32>
  %logits = ssm.linear %n2, %head : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  return %logits, %s0, %s1 : tensor<?x16xf32>, tensor<?x32x4xf32>, tensor<?x32x4xf32>
}
func.func @prefill(%tokens: tensor<?x?xi32> {ssm.name = "tokens"}) -> (tensor<?x?x16xf32> {ssm.name = "logits"}) {
  %table = ssm.weight "emb" : tensor<16x64xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<16x64xf32>) -> tensor<?x?x64xf32>
  %g = ssm.weight "norm.w" : tensor<64xf32>
  %n = ssm.rms_norm %h, %g : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %head = ssm.weight "head" : tensor<16x64xf32>
  %logits = ssm.linear %n, %head : (tensor<?x?x64xf32>, tensor<16x64xf32>) -> tensor<?x?x16xf32>
  return %logits : tensor<?x?x16xf32>
}
}
