// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-build-cpu-schedule | FileCheck %s

// A two-op prefill: embedding (a kernel), a slice (a view, no copy), a GEMM
// writing the logits output, and a conv whose final state becomes a state.
// The entry function is erased; only kernels remain.

// CHECK: module attributes {ssm.schedule = "
// Entry point, input buffer, temps, output, state.
// CHECK-SAME: \22prefill\22:{\22buffers\22:[{\22dtype\22:\22i32\22,\22id\22:0,\22kind\22:\22input\22,\22name\22:\22tokens\22,\22shape\22:[\22B\22,\22L\22]}
// CHECK-SAME: {\22dtype\22:\22f32\22,\22id\22:1,\22kind\22:\22temp\22,\22shape\22:[\22B\22,\22L\22,8]}
// CHECK-SAME: \22kind\22:\22output\22,\22name\22:\22logits\22
// The slice [.., 2:6] of the embedding output is a view: offset 2, row stride 8.
// CHECK-SAME: {\22buffer\22:1,\22offset\22:2,\22shape\22:[\22B\22,\22L\22,4],\22strides\22:[\22L*8\22,8,1]}
// The GEMM folds [B, L] into m = B*L rows.
// CHECK-SAME: \22k\22:8,\22m\22:\22B*L\22,\22n\22:16,\22op\22:\22gemm\22
// CHECK-SAME: \22state\22:[{\22dtype\22:\22f32\22,\22name\22:\22layers.0.conv_state\22,\22shape\22:[\22B\22,4,3]}]
// CHECK-SAME: \22weights\22:[{\22key\22:\22emb\22,\22name\22:\22emb\22,\22shape\22:[16,8]}
// CHECK-NOT: func.func @prefill
// CHECK: func.func private @ssmc_k0(
// CHECK: func.func private @ssmc_k1(
// CHECK-NOT: func.func
func.func @prefill(%tokens: tensor<?x?xi32> {ssm.name = "tokens"}) -> (tensor<?x?x16xf32> {ssm.name = "logits"}, tensor<?x4x3xf32> {ssm.name = "layers.0.conv_state"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %tokens, %c0 : tensor<?x?xi32>
  %l = tensor.dim %tokens, %c1 : tensor<?x?xi32>
  %table = ssm.weight "emb" : tensor<16x8xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  %x = tensor.extract_slice %h[0, 0, 2] [%b, %l, 4] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x?x4xf32>
  %w = ssm.weight "conv" : tensor<4x3xf32>
  %y, %s = ssm.causal_conv1d %x, %w {silu} : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> (tensor<?x?x4xf32>, tensor<?x4x3xf32>)
  %lm = ssm.weight "emb" : tensor<16x8xf32>
  %logits = ssm.linear %h, %lm : (tensor<?x?x8xf32>, tensor<16x8xf32>) -> tensor<?x?x16xf32>
  return %logits, %s : tensor<?x?x16xf32>, tensor<?x4x3xf32>
}
