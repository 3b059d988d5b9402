// RUN: ssmc-opt %s -split-input-file -ssm-outline-cpu-kernels -ssm-build-cpu-schedule -verify-diagnostics

// A returned value must be computed by a kernel or GEMM into its buffer; a
// view of another buffer cannot become the output.
func.func @prefill(%tokens: tensor<?x?xi32> {ssm.name = "tokens"}) -> (tensor<?x?x4xf32> {ssm.name = "logits"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %tokens, %c0 : tensor<?x?xi32>
  %l = tensor.dim %tokens, %c1 : tensor<?x?xi32>
  %table = ssm.weight "emb" : tensor<16x8xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  %x = tensor.extract_slice %h[0, 0, 2] [%b, %l, 4] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x?x4xf32>
  // expected-error @+1 {{returned value 'logits' is not the result of a compute op}}
  return %x : tensor<?x?x4xf32>
}

// -----

// Entry arguments carry their names.
// expected-error @+1 {{entry argument #0 has no 'ssm.name'}}
func.func @prefill(%tokens: tensor<?x?xi32>) -> (tensor<?x?x8xf32> {ssm.name = "logits"}) {
  %table = ssm.weight "emb" : tensor<16x8xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?x?xi32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  return %h : tensor<?x?x8xf32>
}

// -----

// Only the batch (index 0) and, in prefill, the length (index 1) may be dynamic.
// expected-error @+1 {{dynamic dimension #2 of 'tensor<2x3x?xf32>' is neither the batch nor the sequence length}}
func.func @prefill(%tokens: tensor<?x?xi32> {ssm.name = "tokens"}, %x: tensor<2x3x?xf32> {ssm.name = "x"}) -> (tensor<2x3x?xf32> {ssm.name = "logits"}) {
  %y = arith.addf %x, %x : tensor<2x3x?xf32>
  return %y : tensor<2x3x?xf32>
}

// -----

func.func @decode(%tokens: tensor<?xi32> {ssm.name = "tokens"}) -> (tensor<?x8xf32> {ssm.name = "logits"}) {
  %table = ssm.weight "emb" : tensor<16x8xf32>
  %h = ssm.embedding %tokens, %table : (tensor<?xi32>, tensor<16x8xf32>) -> tensor<?x8xf32>
  // expected-error @+1 {{no CPU lowering for 'tensor.pad'}}
  %p = tensor.pad %h low[0, 0] high[0, 0] {
  ^bb0(%i: index, %j: index):
    %z = arith.constant 0.0 : f32
    tensor.yield %z : f32
  } : tensor<?x8xf32> to tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}
