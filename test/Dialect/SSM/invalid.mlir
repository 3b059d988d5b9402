// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

// One case per verifier diagnostic of dialects/SSM/SSMOps.cpp, grouped by op.
// Every case is otherwise well formed, so the only error is the one named.

//===----------------------------------------------------------------------===//
// ssm.weight
//===----------------------------------------------------------------------===//

func.func @weight_empty_name() -> tensor<4xf32> {
  // expected-error @+1 {{'ssm.weight' op requires a non-empty weight name}}
  %w = ssm.weight "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @weight_dynamic_shape() -> tensor<?x4xf32> {
  // expected-error @+1 {{weight 'norm.weight' must have a static shape, got 'tensor<?x4xf32>'}}
  %w = ssm.weight "norm.weight" : tensor<?x4xf32>
  return %w : tensor<?x4xf32>
}

// -----

func.func @weight_unknown_transform() -> tensor<4xf32> {
  // expected-error @+1 {{unknown transform 'exp' (known: neg_exp)}}
  %w = ssm.weight "A_log" {transform = "exp"} : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// A = -exp(A_log) is computed in f32; A itself must stay f32.
func.func @weight_neg_exp_bf16() -> tensor<4xbf16> {
  // expected-error @+1 {{transform 'neg_exp' requires f32 elements, got 'bf16'}}
  %w = ssm.weight "A_log" {transform = "neg_exp"} : tensor<4xbf16>
  return %w : tensor<4xbf16>
}

// -----

// Unranked tensors are rejected by the AnyRankedTensor constraint while parsing.
func.func @weight_unranked() -> tensor<*xf32> {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %w = ssm.weight "w" : tensor<*xf32>
  return %w : tensor<*xf32>
}

//===----------------------------------------------------------------------===//
// ssm.embedding
//===----------------------------------------------------------------------===//

// -----

func.func @embedding_f32_tokens(%t: tensor<2x7xf32>, %table: tensor<100x16xf32>) {
  // expected-error @+1 {{operand 'tokens' must have i32 or i64 elements, got 'f32'}}
  %h = ssm.embedding %t, %table : (tensor<2x7xf32>, tensor<100x16xf32>) -> tensor<2x7x16xf32>
  return
}

// -----

func.func @embedding_tokens_rank(%t: tensor<2x7x1xi32>, %table: tensor<100x16xf32>) {
  // expected-error @+1 {{operand 'tokens' must have rank 1 [b] or 2 [b, L], got 'tensor<2x7x1xi32>'}}
  %h = ssm.embedding %t, %table : (tensor<2x7x1xi32>, tensor<100x16xf32>) -> tensor<2x7x1x16xf32>
  return
}

// -----

func.func @embedding_table_rank(%t: tensor<2x7xi64>, %table: tensor<1600xf32>) {
  // expected-error @+1 {{operand 'table' must have rank 2 [V, d], got 'tensor<1600xf32>'}}
  %h = ssm.embedding %t, %table : (tensor<2x7xi64>, tensor<1600xf32>) -> tensor<2x7x16xf32>
  return
}

// -----

func.func @embedding_table_i8(%t: tensor<2x7xi32>, %table: tensor<100x16xi8>) {
  // expected-error @+1 {{operand 'table' must have f32, f16 or bf16 elements, got 'i8'}}
  %h = ssm.embedding %t, %table : (tensor<2x7xi32>, tensor<100x16xi8>) -> tensor<2x7x16xi8>
  return
}

// -----

func.func @embedding_result_width(%t: tensor<2x7xi32>, %table: tensor<100x16xf32>) {
  // expected-error @+1 {{result 'result' must have shape [b, L, d] = [2, 7, 16], got 'tensor<2x7x32xf32>'}}
  %h = ssm.embedding %t, %table : (tensor<2x7xi32>, tensor<100x16xf32>) -> tensor<2x7x32xf32>
  return
}

// -----

// A decode step looks up one token per sequence: the result is [b, d].
func.func @embedding_decode_result_rank(%t: tensor<3xi32>, %table: tensor<100x16xf32>) {
  // expected-error @+1 {{result 'result' must have rank 2 [b, d], got 'tensor<3x1x16xf32>'}}
  %h = ssm.embedding %t, %table : (tensor<3xi32>, tensor<100x16xf32>) -> tensor<3x1x16xf32>
  return
}

// -----

func.func @embedding_result_dtype(%t: tensor<2x7xi32>, %table: tensor<100x16xbf16>) {
  // expected-error @+1 {{result 'result' must have the element type of 'table' ('bf16'), got 'f32'}}
  %h = ssm.embedding %t, %table : (tensor<2x7xi32>, tensor<100x16xbf16>) -> tensor<2x7x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// ssm.linear
//===----------------------------------------------------------------------===//

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<8x1xf32>) {
  // expected-error @+1 {{operand 'input' must have rank >= 1, got 'tensor<f32>'}}
  %y = ssm.linear %x, %w : (tensor<f32>, tensor<8x1xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @linear_i32_input(%x: tensor<4x16xi32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{operand 'input' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.linear %x, %w : (tensor<4x16xi32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  return
}

// -----

// The weight is stored [out, in]; a transposed [in, out] weight is caught.
func.func @linear_transposed_weight(%x: tensor<4x16xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{operand 'weight' must have shape [N, K] = [?, 16], got 'tensor<16x8xf32>'}}
  %y = ssm.linear %x, %w : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<4x16xf32>, %w: tensor<8x16x1xf32>) {
  // expected-error @+1 {{operand 'weight' must have rank 2 [N, K], got 'tensor<8x16x1xf32>'}}
  %y = ssm.linear %x, %w : (tensor<4x16xf32>, tensor<8x16x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @linear_f64_weight(%x: tensor<4x16xf32>, %w: tensor<8x16xf64>) {
  // expected-error @+1 {{operand 'weight' must have f32, f16 or bf16 elements, got 'f64'}}
  %y = ssm.linear %x, %w : (tensor<4x16xf32>, tensor<8x16xf64>) -> tensor<4x8xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{operand 'bias' must have shape [N] = [8], got 'tensor<16xf32>'}}
  %y = ssm.linear %x, %w bias(%b) : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @linear_bias_i64(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>, %b: tensor<8xi64>) {
  // expected-error @+1 {{operand 'bias' must have f32, f16 or bf16 elements, got 'i64'}}
  %y = ssm.linear %x, %w bias(%b) : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xi64>) -> tensor<4x8xf32>
  return
}

// -----

func.func @linear_result_shape(%x: tensor<2x4x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{result 'result' must have shape [..., N] = [2, 4, 8], got 'tensor<2x4x16xf32>'}}
  %y = ssm.linear %x, %w : (tensor<2x4x16xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

func.func @linear_result_i32(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{result 'result' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.linear %x, %w : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xi32>
  return
}

// -----

func.func @linear_zero_size_input(%x: tensor<0x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{operand 'input' has a zero-size dimension: 'tensor<0x16xf32>'}}
  %y = ssm.linear %x, %w : (tensor<0x16xf32>, tensor<8x16xf32>) -> tensor<0x8xf32>
  return
}

// -----

func.func @linear_zero_size_weight(%x: tensor<4x16xf32>, %w: tensor<0x16xf32>) {
  // expected-error @+1 {{operand 'weight' has a zero-size dimension: 'tensor<0x16xf32>'}}
  %y = ssm.linear %x, %w : (tensor<4x16xf32>, tensor<0x16xf32>) -> tensor<4x0xf32>
  return
}

//===----------------------------------------------------------------------===//
// ssm.rms_norm
//===----------------------------------------------------------------------===//

// -----

func.func @rms_norm_scalar(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{operand 'input' must have rank >= 1, got 'tensor<f32>'}}
  %y = ssm.rms_norm %x, %w : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @rms_norm_residual_without_sum(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{has a 'residual' operand but no 'sum' result}}
  %y = ssm.rms_norm %x, %w residual(%x) : (tensor<2x64xf32>, tensor<64xf32>, tensor<2x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_sum_without_residual(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{has a 'sum' result but no 'residual' operand}}
  %y, %s = ssm.rms_norm %x, %w : (tensor<2x64xf32>, tensor<64xf32>) -> (tensor<2x64xf32>, tensor<2x64xf32>)
  return
}

// -----

func.func @rms_norm_residual_type(%x: tensor<2x64xf32>, %w: tensor<64xf32>, %r: tensor<2x64xbf16>) {
  // expected-error @+1 {{'residual' and 'sum' must have the input's type 'tensor<2x64xf32>', got 'tensor<2x64xbf16>' and 'tensor<2x64xf32>'}}
  %y, %s = ssm.rms_norm %x, %w residual(%r) : (tensor<2x64xf32>, tensor<64xf32>, tensor<2x64xbf16>) -> (tensor<2x64xf32>, tensor<2x64xf32>)
  return
}

// -----

func.func @rms_norm_zero_eps(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{attribute 'eps' must be positive}}
  %y = ssm.rms_norm %x, %w {eps = 0.0 : f32} : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

// A NaN epsilon would turn every normalized value into NaN.
func.func @rms_norm_nan_eps(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{attribute 'eps' must be positive}}
  %y = ssm.rms_norm %x, %w {eps = 0x7FC00000 : f32} : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_i32_input(%x: tensor<2x64xi32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{operand 'input' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.rms_norm %x, %w : (tensor<2x64xi32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_weight_shape(%x: tensor<2x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{operand 'weight' must have shape [d] = [64], got 'tensor<32xf32>'}}
  %y = ssm.rms_norm %x, %w : (tensor<2x64xf32>, tensor<32xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_weight_i8(%x: tensor<2x64xf32>, %w: tensor<64xi8>) {
  // expected-error @+1 {{operand 'weight' must have f32, f16 or bf16 elements, got 'i8'}}
  %y = ssm.rms_norm %x, %w : (tensor<2x64xf32>, tensor<64xi8>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_result_shape(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{result 'result' must have shape (the input's shape) = [2, 64], got 'tensor<2x32xf32>'}}
  %y = ssm.rms_norm %x, %w : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x32xf32>
  return
}

// -----

func.func @rms_norm_result_i16(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{result 'result' must have f32, f16 or bf16 elements, got 'i16'}}
  %y = ssm.rms_norm %x, %w : (tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xi16>
  return
}

//===----------------------------------------------------------------------===//
// ssm.gated_rms_norm
//===----------------------------------------------------------------------===//

// -----

func.func @gated_norm_scalar(%x: tensor<f32>, %z: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{operand 'input' must have rank >= 1, got 'tensor<f32>'}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 1 : i64} : (tensor<f32>, tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @gated_norm_negative_eps(%x: tensor<2x64xf32>, %z: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{attribute 'eps' must be positive}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 64 : i64, eps = -1.0e-5 : f32} : (tensor<2x64xf32>, tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_gate_shape(%x: tensor<2x64xf32>, %z: tensor<2x32xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{operand 'gate' must have shape (the input's shape) = [2, 64], got 'tensor<2x32xf32>'}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 64 : i64} : (tensor<2x64xf32>, tensor<2x32xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_gate_i32(%x: tensor<2x64xf32>, %z: tensor<2x64xi32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{operand 'gate' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 64 : i64} : (tensor<2x64xf32>, tensor<2x64xi32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_weight_shape(%x: tensor<2x64xf32>, %z: tensor<2x64xf32>, %w: tensor<2x64xf32>) {
  // expected-error @+1 {{operand 'weight' must have rank 1 [e], got 'tensor<2x64xf32>'}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 64 : i64} : (tensor<2x64xf32>, tensor<2x64xf32>, tensor<2x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_zero_group(%x: tensor<2x64xf32>, %z: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{attribute 'group_size' must be positive, got 0}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 0 : i64} : (tensor<2x64xf32>, tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_group_not_dividing(%x: tensor<2x64xf32>, %z: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{group_size must divide the channel count: 48 does not divide 64}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 48 : i64} : (tensor<2x64xf32>, tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @gated_norm_result_dtype(%x: tensor<2x64xf32>, %z: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{result 'result' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.gated_rms_norm %x, %z, %w {group_size = 64 : i64} : (tensor<2x64xf32>, tensor<2x64xf32>, tensor<64xf32>) -> tensor<2x64xi32>
  return
}

//===----------------------------------------------------------------------===//
// ssm.causal_conv1d
//===----------------------------------------------------------------------===//

// -----

func.func @conv_input_rank(%x: tensor<7x48xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{operand 'input' must have rank 3 [b, L, C], got 'tensor<7x48xf32>'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<7x48xf32>, tensor<48x4xf32>) -> tensor<7x48xf32>
  return
}

// -----

func.func @conv_input_i32(%x: tensor<2x7x48xi32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{operand 'input' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<2x7x48xi32>, tensor<48x4xf32>) -> tensor<2x7x48xi32>
  return
}

// -----

func.func @conv_weight_channels(%x: tensor<2x7x48xf32>, %w: tensor<32x4xf32>) {
  // expected-error @+1 {{operand 'weight' must have shape [C, W] = [48, ?], got 'tensor<32x4xf32>'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<2x7x48xf32>, tensor<32x4xf32>) -> tensor<2x7x48xf32>
  return
}

// -----

func.func @conv_zero_width(%x: tensor<2x7x48xf32>, %w: tensor<48x0xf32>) {
  // expected-error @+1 {{operand 'weight' must have a conv width W >= 1, got 'tensor<48x0xf32>'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<2x7x48xf32>, tensor<48x0xf32>) -> tensor<2x7x48xf32>
  return
}

// -----

func.func @conv_bias_shape(%x: tensor<2x7x48xf32>, %w: tensor<48x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand 'bias' must have shape [C] = [48], got 'tensor<4xf32>'}}
  %y = ssm.causal_conv1d %x, %w bias(%b) : (tensor<2x7x48xf32>, tensor<48x4xf32>, tensor<4xf32>) -> tensor<2x7x48xf32>
  return
}

// -----

func.func @conv_initial_state_shape(%x: tensor<2x7x48xf32>, %w: tensor<48x4xf32>, %s: tensor<2x48x3xf32>) {
  // expected-error @+1 {{operand 'initial_state' must have shape [b, C, W] = [2, 48, 4], got 'tensor<2x48x3xf32>'}}
  %y = ssm.causal_conv1d %x, %w init(%s) : (tensor<2x7x48xf32>, tensor<48x4xf32>, tensor<2x48x3xf32>) -> tensor<2x7x48xf32>
  return
}

// -----

func.func @conv_initial_state_dtype(%x: tensor<2x7x48xbf16>, %w: tensor<48x4xbf16>, %s: tensor<2x48x4xf32>) {
  // expected-error @+1 {{operand 'initial_state' must have the element type of 'input' ('bf16'), got 'f32'}}
  %y = ssm.causal_conv1d %x, %w init(%s) : (tensor<2x7x48xbf16>, tensor<48x4xbf16>, tensor<2x48x4xf32>) -> tensor<2x7x48xbf16>
  return
}

// -----

func.func @conv_output_shape(%x: tensor<2x7x48xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{result 'output' must have shape [b, L, C] = [2, 7, 48], got 'tensor<2x10x48xf32>'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<2x7x48xf32>, tensor<48x4xf32>) -> tensor<2x10x48xf32>
  return
}

// -----

func.func @conv_output_dtype(%x: tensor<2x7x48xf16>, %w: tensor<48x4xf16>) {
  // expected-error @+1 {{result 'output' must have the element type of 'input' ('f16'), got 'f32'}}
  %y = ssm.causal_conv1d %x, %w : (tensor<2x7x48xf16>, tensor<48x4xf16>) -> tensor<2x7x48xf32>
  return
}

// -----

func.func @conv_final_state_shape(%x: tensor<2x7x48xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{result 'final_state' must have shape [b, C, W] = [2, 48, 4], got 'tensor<2x4x48xf32>'}}
  %y, %s = ssm.causal_conv1d %x, %w : (tensor<2x7x48xf32>, tensor<48x4xf32>) -> (tensor<2x7x48xf32>, tensor<2x4x48xf32>)
  return
}

//===----------------------------------------------------------------------===//
// ssm.selective_scan (Mamba-1): u, delta [b, L, e], A [e, N], B, C [b, L, G, N]
//===----------------------------------------------------------------------===//

// -----

func.func @scan_u_rank(%u: tensor<9x48xf32>, %dt: tensor<9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{operand 'u' must have rank 3 [b, L, e], got 'tensor<9x48xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<9x48xf32>, tensor<9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<9x48xf32>
  return
}

// -----

func.func @scan_i32_u(%u: tensor<2x9x48xi32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{operand 'u' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xi32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<2x9x48xi32>
  return
}

// -----

func.func @scan_A_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<16x48xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{operand 'A' must have shape [e, N] = [48, ?], got 'tensor<16x48xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<16x48xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

// A stays f32 even when the activations are in half precision.
func.func @scan_f16_A(%u: tensor<2x9x48xf16>, %dt: tensor<2x9x48xf16>, %A: tensor<48x16xf16>, %B: tensor<2x9x1x16xf16>) {
  // expected-error @+1 {{operand 'A' must have f32 elements, got 'f16'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf16>, tensor<2x9x48xf16>, tensor<48x16xf16>, tensor<2x9x1x16xf16>, tensor<2x9x1x16xf16>) -> tensor<2x9x48xf16>
  return
}

// -----

func.func @scan_B_state_size(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x8xf32>) {
  // expected-error @+1 {{operand 'B' must have shape [b, L, G, N] = [2, 9, ?, 16], got 'tensor<2x9x1x8xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x8xf32>, tensor<2x9x1x8xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_B_i8(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xi8>) {
  // expected-error @+1 {{operand 'B' must have f32, f16 or bf16 elements, got 'i8'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xi8>, tensor<2x9x1x16xi8>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_delta_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x8x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{operand 'delta' must have shape [b, L, e] = [2, 9, 48], got 'tensor<2x8x48xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x8x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_delta_i32(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xi32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{operand 'delta' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xi32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

// C must use the same group count as B.
func.func @scan_C_groups(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>, %C: tensor<2x9x2x16xf32>) {
  // expected-error @+1 {{operand 'C' must have shape [b, L, G, N] = [2, 9, 1, 16], got 'tensor<2x9x2x16xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %C : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x2x16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_groups_not_dividing(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x5x16xf32>) {
  // expected-error @+1 {{the group count G must divide the channel count e: 5 does not divide 48}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x5x16xf32>, tensor<2x9x5x16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_D_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>, %D: tensor<16xf32>) {
  // expected-error @+1 {{operand 'D' must have shape [e] = [48], got 'tensor<16xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B skip(%D) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>, tensor<16xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_delta_bias_bf16(%u: tensor<2x9x48xbf16>, %dt: tensor<2x9x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xbf16>, %db: tensor<48xbf16>) {
  // expected-error @+1 {{operand 'delta_bias' must have f32 elements, got 'bf16'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B delta_bias(%db) : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>, tensor<48xbf16>) -> tensor<2x9x48xbf16>
  return
}

// -----

func.func @scan_z_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>, %z: tensor<2x9x96xf32>) {
  // expected-error @+1 {{operand 'z' must have shape [b, L, e] = [2, 9, 48], got 'tensor<2x9x96xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B gate(%z) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x96xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_initial_state_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>, %s: tensor<2x16x48xf32>) {
  // expected-error @+1 {{operand 'initial_state' must have shape [b, e, N] = [2, 48, 16], got 'tensor<2x16x48xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B init(%s) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>, tensor<2x16x48xf32>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_y_dtype(%u: tensor<2x9x48xbf16>, %dt: tensor<2x9x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xbf16>) {
  // expected-error @+1 {{result 'y' must have the element type of 'u' ('bf16'), got 'f32'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>) -> tensor<2x9x48xf32>
  return
}

// -----

func.func @scan_y_shape(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  // expected-error @+1 {{result 'y' must have shape [b, L, e] = [2, 9, 48], got 'tensor<2x1x48xf32>'}}
  %y = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> tensor<2x1x48xf32>
  return
}

// -----

// The state accumulates in f32 whatever the activation type.
func.func @scan_final_state_bf16(%u: tensor<2x9x48xbf16>, %dt: tensor<2x9x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xbf16>) {
  // expected-error @+1 {{result 'final_state' must have f32 elements, got 'bf16'}}
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %B : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>) -> (tensor<2x9x48xbf16>, tensor<2x48x16xbf16>)
  return
}

//===----------------------------------------------------------------------===//
// ssm.ssd (Mamba-2): x [b, L, H, P], dt [b, L, H], A [H], B, C [b, L, G, N]
//===----------------------------------------------------------------------===//

// -----

func.func @ssd_x_rank(%x: tensor<1x32x8xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{operand 'x' must have rank 4 [b, L, H, P], got 'tensor<1x32x8xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8xf32>
  return
}

// -----

func.func @ssd_i32_x(%x: tensor<1x32x8x4xi32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{operand 'x' must have f32, f16 or bf16 elements, got 'i32'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xi32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xi32>
  return
}

// -----

func.func @ssd_B_length(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x16x2x16xf32>) {
  // expected-error @+1 {{operand 'B' must have shape [b, L, G, N] = [1, 32, ?, ?], got 'tensor<1x16x2x16xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x16x2x16xf32>, tensor<1x16x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_dt_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x4xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{operand 'dt' must have shape [b, L, H] = [1, 32, 8], got 'tensor<1x32x4xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x4xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

// Mamba-2 has one scalar decay per head, not a per-channel [e, N] matrix.
func.func @ssd_A_matrix(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8x16xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{operand 'A' must have rank 1 [H], got 'tensor<8x16xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_f16_A(%x: tensor<1x32x8x4xf16>, %dt: tensor<1x32x8xf16>, %A: tensor<8xf16>, %B: tensor<1x32x2x16xf16>) {
  // expected-error @+1 {{operand 'A' must have f32 elements, got 'f16'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf16>, tensor<1x32x8xf16>, tensor<8xf16>, tensor<1x32x2x16xf16>, tensor<1x32x2x16xf16>) -> tensor<1x32x8x4xf16>
  return
}

// -----

func.func @ssd_C_state_size(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>, %C: tensor<1x32x2x32xf32>) {
  // expected-error @+1 {{operand 'C' must have shape [b, L, G, N] = [1, 32, 2, 16], got 'tensor<1x32x2x32xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %C : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x32xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_groups_not_dividing(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x3x16xf32>) {
  // expected-error @+1 {{the group count G must divide the head count H: 3 does not divide 8}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x3x16xf32>, tensor<1x32x3x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_D_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>, %D: tensor<32xf32>) {
  // expected-error @+1 {{operand 'D' must have shape [H] = [8], got 'tensor<32xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B skip(%D) : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, tensor<32xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_dt_bias_f16(%x: tensor<1x32x8x4xf16>, %dt: tensor<1x32x8xf16>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf16>, %db: tensor<8xf16>) {
  // expected-error @+1 {{operand 'dt_bias' must have f32 elements, got 'f16'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B dt_bias(%db) : (tensor<1x32x8x4xf16>, tensor<1x32x8xf16>, tensor<8xf32>, tensor<1x32x2x16xf16>, tensor<1x32x2x16xf16>, tensor<8xf16>) -> tensor<1x32x8x4xf16>
  return
}

// -----

func.func @ssd_z_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>, %z: tensor<1x32x32xf32>) {
  // expected-error @+1 {{operand 'z' must have rank 4 [b, L, H, P], got 'tensor<1x32x32xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B gate(%z) : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x32x32xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_initial_state_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>, %s: tensor<1x8x16x4xf32>) {
  // expected-error @+1 {{operand 'initial_state' must have shape [b, H, P, N] = [1, 8, 4, 16], got 'tensor<1x8x16x4xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B init(%s) : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, tensor<1x8x16x4xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_zero_chunk(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{attribute 'chunk_size' must be positive, got 0}}
  %y = ssm.ssd %x, %dt, %A, %B, %B {chunk_size = 0 : i64} : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_negative_chunk(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{attribute 'chunk_size' must be positive, got -64}}
  %y = ssm.ssd %x, %dt, %A, %B, %B {chunk_size = -64 : i64} : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_negative_dt_min(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{requires 0 <= dt_min <= dt_max, got dt_min = -1.000000e-01, dt_max = INF}}
  %y = ssm.ssd %x, %dt, %A, %B, %B {dt_min = -0.1 : f32} : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_dt_min_above_max(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{requires 0 <= dt_min <= dt_max, got dt_min = 1.000000e+00, dt_max = 1.000000e-01}}
  %y = ssm.ssd %x, %dt, %A, %B, %B {dt_min = 1.0 : f32, dt_max = 0.1 : f32} : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x4xf32>
  return
}

// -----

func.func @ssd_y_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{result 'y' must have shape [b, L, H, P] = [1, 32, 8, 4], got 'tensor<1x32x8x8xf32>'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> tensor<1x32x8x8xf32>
  return
}

// -----

func.func @ssd_y_dtype(%x: tensor<1x32x8x4xbf16>, %dt: tensor<1x32x8xbf16>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xbf16>) {
  // expected-error @+1 {{result 'y' must have the element type of 'x' ('bf16'), got 'f16'}}
  %y = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xbf16>, tensor<1x32x8xbf16>, tensor<8xf32>, tensor<1x32x2x16xbf16>, tensor<1x32x2x16xbf16>) -> tensor<1x32x8x4xf16>
  return
}

// -----

func.func @ssd_final_state_shape(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) {
  // expected-error @+1 {{result 'final_state' must have shape [b, H, P, N] = [1, 8, 4, 16], got 'tensor<1x8x4x8xf32>'}}
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>) -> (tensor<1x32x8x4xf32>, tensor<1x8x4x8xf32>)
  return
}

//===----------------------------------------------------------------------===//
// ssm.conv_state_update: x [b, C], conv_state [b, C, W], weight [C, W]
//===----------------------------------------------------------------------===//

// -----

func.func @conv_step_input_rank(%x: tensor<3x1x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{operand 'input' must have rank 2 [b, C], got 'tensor<3x1x48xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x1x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  return
}

// -----

func.func @conv_step_input_i64(%x: tensor<3x48xi64>, %cs: tensor<3x48x4xi64>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{operand 'input' must have f32, f16 or bf16 elements, got 'i64'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xi64>, tensor<3x48x4xi64>, tensor<48x4xf32>) -> (tensor<3x48xi64>, tensor<3x48x4xi64>)
  return
}

// -----

func.func @conv_step_weight_shape(%x: tensor<3x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<4x48xf32>) {
  // expected-error @+1 {{operand 'weight' must have shape [C, W] = [48, ?], got 'tensor<4x48xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<4x48xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  return
}

// -----

func.func @conv_step_zero_width(%x: tensor<3x48xf32>, %cs: tensor<3x48x0xf32>, %w: tensor<48x0xf32>) {
  // expected-error @+1 {{operand 'weight' must have a conv width W >= 1, got 'tensor<48x0xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf32>, tensor<3x48x0xf32>, tensor<48x0xf32>) -> (tensor<3x48xf32>, tensor<3x48x0xf32>)
  return
}

// -----

func.func @conv_step_state_width(%x: tensor<3x48xf32>, %cs: tensor<3x48x3xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{operand 'conv_state' must have shape [b, C, W] = [3, 48, 4], got 'tensor<3x48x3xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf32>, tensor<3x48x3xf32>, tensor<48x4xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  return
}

// -----

func.func @conv_step_state_dtype(%x: tensor<3x48xbf16>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xbf16>) {
  // expected-error @+1 {{operand 'conv_state' must have the element type of 'input' ('bf16'), got 'f32'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xbf16>, tensor<3x48x4xf32>, tensor<48x4xbf16>) -> (tensor<3x48xbf16>, tensor<3x48x4xbf16>)
  return
}

// -----

func.func @conv_step_bias_i32(%x: tensor<3x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xf32>, %b: tensor<48xi32>) {
  // expected-error @+1 {{operand 'bias' must have f32, f16 or bf16 elements, got 'i32'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w bias(%b) : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>, tensor<48xi32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  return
}

// -----

func.func @conv_step_output_shape(%x: tensor<3x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{result 'output' must have shape [b, C] = [3, 48], got 'tensor<3x24xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>) -> (tensor<3x24xf32>, tensor<3x48x4xf32>)
  return
}

// -----

func.func @conv_step_new_state_shape(%x: tensor<3x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xf32>) {
  // expected-error @+1 {{result 'new_state' must have shape [b, C, W] = [3, 48, 4], got 'tensor<3x48x3xf32>'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>) -> (tensor<3x48xf32>, tensor<3x48x3xf32>)
  return
}

// -----

func.func @conv_step_new_state_dtype(%x: tensor<3x48xf16>, %cs: tensor<3x48x4xf16>, %w: tensor<48x4xf16>) {
  // expected-error @+1 {{result 'new_state' must have the element type of 'input' ('f16'), got 'f32'}}
  %o, %ns = ssm.conv_state_update %x, %cs, %w : (tensor<3x48xf16>, tensor<3x48x4xf16>, tensor<48x4xf16>) -> (tensor<3x48xf16>, tensor<3x48x4xf32>)
  return
}

//===----------------------------------------------------------------------===//
// ssm.selective_state_update, Mamba-1 form: state [b, e, N], x, dt [b, e],
// A [e, N], B, C [b, G, N]
//===----------------------------------------------------------------------===//

// -----

func.func @step_state_rank(%s: tensor<3x48xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'state' must have rank 3 [b, e, N] (Mamba-1) or 4 [b, H, P, N] (Mamba-2), got 'tensor<3x48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48xf32>)
  return
}

// -----

// With dt_proj, dt is [b, R] and dt_proj [e, R] with the same R.
func.func @step_dt_proj_rank(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %u: tensor<3x5xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>, %w: tensor<48x6xf32>) {
  // expected-error @+1 {{operand 'dt_proj' must have shape [e, R] = [48, 5], got 'tensor<48x6xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %u, %A, %B, %B dt_proj(%w) : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x5xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<48x6xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step_state_bf16(%s: tensor<3x48x16xbf16>, %x: tensor<3x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xbf16>) {
  // expected-error @+1 {{operand 'state' must have f32 elements, got 'bf16'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xbf16>, tensor<3x48xbf16>, tensor<3x48xbf16>, tensor<48x16xf32>, tensor<3x1x16xbf16>, tensor<3x1x16xbf16>) -> (tensor<3x48xbf16>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_A_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'A' must have rank 2 [e, N], got 'tensor<48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_f16_A(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf16>, %A: tensor<48x16xf16>, %B: tensor<3x1x16xf16>) {
  // expected-error @+1 {{operand 'A' must have f32 elements, got 'f16'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf16>, tensor<3x48xf16>, tensor<48x16xf16>, tensor<3x1x16xf16>, tensor<3x1x16xf16>) -> (tensor<3x48xf16>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_x_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x24xf32>, %dt: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'x' must have shape [b, e] = [3, 48], got 'tensor<3x24xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x24xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x24xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_x_i32(%s: tensor<3x48x16xf32>, %x: tensor<3x48xi32>, %dt: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'x' must have f32, f16 or bf16 elements, got 'i32'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xi32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xi32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_B_rank(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x1x16xf32>) {
  // expected-error @+1 {{operand 'B' must have rank 3 [b, G, N], got 'tensor<3x1x1x16xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x1x16xf32>, tensor<3x1x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_dt_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %dt: tensor<1x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'dt' must have shape [b, e] = [3, 48], got 'tensor<1x48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<1x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_C_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>, %C: tensor<3x2x16xf32>) {
  // expected-error @+1 {{operand 'C' must have shape [b, G, N] = [3, 1, 16], got 'tensor<3x2x16xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %C : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x2x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_groups_not_dividing(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x5x16xf32>) {
  // expected-error @+1 {{the group count G must divide the channel count e: 5 does not divide 48}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x5x16xf32>, tensor<3x5x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_D_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>, %D: tensor<16xf32>) {
  // expected-error @+1 {{operand 'D' must have shape [e] = [48], got 'tensor<16xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B skip(%D) : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_dt_bias_bf16(%s: tensor<3x48x16xf32>, %x: tensor<3x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xbf16>, %db: tensor<48xbf16>) {
  // expected-error @+1 {{operand 'dt_bias' must have f32 elements, got 'bf16'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B dt_bias(%db) : (tensor<3x48x16xf32>, tensor<3x48xbf16>, tensor<3x48xbf16>, tensor<48x16xf32>, tensor<3x1x16xbf16>, tensor<3x1x16xbf16>, tensor<48xbf16>) -> (tensor<3x48xbf16>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_z_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>, %z: tensor<3x96xf32>) {
  // expected-error @+1 {{operand 'z' must have shape [b, e] = [3, 48], got 'tensor<3x96xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B gate(%z) : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<3x96xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_dt_limits(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{requires 0 <= dt_min <= dt_max, got dt_min = 5.000000e-01, dt_max = 2.500000e-01}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B {dt_min = 0.5 : f32, dt_max = 0.25 : f32} : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_y_dtype(%s: tensor<3x48x16xf32>, %x: tensor<3x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xbf16>) {
  // expected-error @+1 {{result 'y' must have the element type of 'x' ('bf16'), got 'f32'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xbf16>, tensor<3x48xbf16>, tensor<48x16xf32>, tensor<3x1x16xbf16>, tensor<3x1x16xbf16>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return
}

// -----

func.func @step1_new_state_shape(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf32>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{result 'new_state' must have shape (the state's shape) = [3, 48, 16], got 'tensor<3x48x8xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x8xf32>)
  return
}

// -----

func.func @step1_new_state_f16(%s: tensor<3x48x16xf32>, %x: tensor<3x48xf16>, %A: tensor<48x16xf32>, %B: tensor<3x1x16xf16>) {
  // expected-error @+1 {{result 'new_state' must have f32 elements, got 'f16'}}
  %y, %ns = ssm.selective_state_update %s, %x, %x, %A, %B, %B : (tensor<3x48x16xf32>, tensor<3x48xf16>, tensor<3x48xf16>, tensor<48x16xf32>, tensor<3x1x16xf16>, tensor<3x1x16xf16>) -> (tensor<3x48xf16>, tensor<3x48x16xf16>)
  return
}

//===----------------------------------------------------------------------===//
// ssm.selective_state_update, Mamba-2 form: state [b, H, P, N], x [b, H, P],
// dt [b, H], A, D, dt_bias [H], B, C [b, G, N]
//===----------------------------------------------------------------------===//

// -----

func.func @step_state_rank5(%s: tensor<3x6x8x16x1xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'state' must have rank 3 [b, e, N] (Mamba-1) or 4 [b, H, P, N] (Mamba-2), got 'tensor<3x6x8x16x1xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16x1xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16x1xf32>)
  return
}

// -----

// In the Mamba-2 form A is one decay per head, not a [H, N] matrix.
func.func @step2_A_matrix(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6x16xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'A' must have rank 1 [H], got 'tensor<6x16xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_f16_A(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf16>, %dt: tensor<3x6xf16>, %A: tensor<6xf16>, %B: tensor<3x1x16xf16>) {
  // expected-error @+1 {{operand 'A' must have f32 elements, got 'f16'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf16>, tensor<3x6xf16>, tensor<6xf16>, tensor<3x1x16xf16>, tensor<3x1x16xf16>) -> (tensor<3x6x8xf16>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_x_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x48xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'x' must have rank 3 [b, H, P], got 'tensor<3x48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x48xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x48xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_dt_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6x8xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'dt' must have rank 2 [b, H], got 'tensor<3x6x8xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6x8xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_dt_i32(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xi32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{operand 'dt' must have f32, f16 or bf16 elements, got 'i32'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xi32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_B_state_size(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x8xf32>) {
  // expected-error @+1 {{operand 'B' must have shape [b, G, N] = [3, ?, 16], got 'tensor<3x1x8xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x8xf32>, tensor<3x1x8xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_groups_not_dividing(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x4x16xf32>) {
  // expected-error @+1 {{the group count G must divide the head count H: 4 does not divide 6}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x4x16xf32>, tensor<3x4x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_D_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>, %D: tensor<48xf32>) {
  // expected-error @+1 {{operand 'D' must have shape [H] = [6], got 'tensor<48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B skip(%D) : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<48xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_z_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>, %z: tensor<3x48xf32>) {
  // expected-error @+1 {{operand 'z' must have rank 3 [b, H, P], got 'tensor<3x48xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B gate(%z) : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<3x48xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_negative_dt_min(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{requires 0 <= dt_min <= dt_max, got dt_min = -1.000000e+00, dt_max = INF}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B {dt_min = -1.0 : f32} : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_y_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{result 'y' must have shape [b, H, P] = [3, 6, 8], got 'tensor<3x6x16xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x16xf32>, tensor<3x6x8x16xf32>)
  return
}

// -----

func.func @step2_new_state_shape(%s: tensor<3x6x8x16xf32>, %x: tensor<3x6x8xf32>, %dt: tensor<3x6xf32>, %A: tensor<6xf32>, %B: tensor<3x1x16xf32>) {
  // expected-error @+1 {{result 'new_state' must have shape (the state's shape) = [3, 6, 8, 16], got 'tensor<3x6x16x8xf32>'}}
  %y, %ns = ssm.selective_state_update %s, %x, %dt, %A, %B, %B : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x16x8xf32>)
  return
}
