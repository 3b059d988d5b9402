// RUN: ssmc-opt %s -canonicalize -split-input-file | FileCheck %s

// Canonical forms (dialects/SSM/SSMCanonicalize.cpp): an optional operand that
// is a constant zero is dropped (absent means zero), a final_state result that
// nothing reads is dropped. Operand names are matched with [^ ]+ so that a
// leftover `skip(...)` or `init(...)` cannot hide inside a wildcard.

// CHECK-LABEL: func @linear_zero_bias
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]] = ssm.linear %{{[^ ]+}}, %{{[^ ]+}} : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
// CHECK-NOT:     bias(
// CHECK:         return %[[Y]]
func.func @linear_zero_bias(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %b = arith.constant dense<0.0> : tensor<8xf32>
  %y = ssm.linear %x, %w bias(%b) : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A non-zero bias is real data and stays.
// CHECK-LABEL: func @linear_nonzero_bias
// CHECK:         %[[B:.+]] = arith.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK:         ssm.linear %{{[^ ]+}}, %{{[^ ]+}} bias(%[[B]])
func.func @linear_nonzero_bias(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %y = ssm.linear %x, %w bias(%b) : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A bias that is only known at run time (a weight) stays too.
// CHECK-LABEL: func @linear_weight_bias
// CHECK:         %[[B:.+]] = ssm.weight "proj.bias" : tensor<8xf32>
// CHECK:         ssm.linear %{{[^ ]+}}, %{{[^ ]+}} bias(%[[B]])
func.func @linear_weight_bias(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %b = ssm.weight "proj.bias" : tensor<8xf32>
  %y = ssm.linear %x, %w bias(%b) : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Zero bias and zero initial state go, and so does the unused final state.
// CHECK-LABEL: func @conv_zero_operands_unused_state
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]] = ssm.causal_conv1d %{{[^ ]+}}, %{{[^ ]+}} {silu} : (tensor<2x7x48xbf16>, tensor<48x4xbf16>) -> tensor<2x7x48xbf16>{{$}}
// CHECK:         return %[[Y]]
func.func @conv_zero_operands_unused_state(%x: tensor<2x7x48xbf16>, %w: tensor<48x4xbf16>) -> tensor<2x7x48xbf16> {
  %b = arith.constant dense<0.0> : tensor<48xbf16>
  %s0 = arith.constant dense<0.0> : tensor<2x48x4xbf16>
  %y, %s = ssm.causal_conv1d %x, %w bias(%b) init(%s0) {silu} : (tensor<2x7x48xbf16>, tensor<48x4xbf16>, tensor<48xbf16>, tensor<2x48x4xbf16>) -> (tensor<2x7x48xbf16>, tensor<2x48x4xbf16>)
  return %y : tensor<2x7x48xbf16>
}

// -----

// A final state that is returned (the decode step continues from it) stays,
// and so does a non-zero initial state; the zero bias still goes.
// CHECK-LABEL: func @conv_used_state
// CHECK:         %[[S0:.+]] = arith.constant dense<1.000000e+00> : tensor<2x48x4xf32>
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]], %[[S:.+]] = ssm.causal_conv1d %{{[^ ]+}}, %{{[^ ]+}} init(%[[S0]]) : (tensor<2x7x48xf32>, tensor<48x4xf32>, tensor<2x48x4xf32>) -> (tensor<2x7x48xf32>, tensor<2x48x4xf32>)
// CHECK:         return %[[Y]], %[[S]]
func.func @conv_used_state(%x: tensor<2x7x48xf32>, %w: tensor<48x4xf32>) -> (tensor<2x7x48xf32>, tensor<2x48x4xf32>) {
  %b = arith.constant dense<0.0> : tensor<48xf32>
  %s0 = arith.constant dense<1.0> : tensor<2x48x4xf32>
  %y, %s = ssm.causal_conv1d %x, %w bias(%b) init(%s0) : (tensor<2x7x48xf32>, tensor<48x4xf32>, tensor<48xf32>, tensor<2x48x4xf32>) -> (tensor<2x7x48xf32>, tensor<2x48x4xf32>)
  return %y, %s : tensor<2x7x48xf32>, tensor<2x48x4xf32>
}

// -----

// D, delta_bias and initial_state are zero: all three go. The gate z is kept
// even though it is a zero constant: silu(0) = 0 zeroes y, it is not identity.
// CHECK-LABEL: func @scan_zero_operands
// CHECK:         %[[Z:.+]] = arith.constant dense<0.000000e+00> : tensor<2x9x48xf32>
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]] = ssm.selective_scan %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} gate(%[[Z]]) {delta_softplus} : ({{.*}}) -> tensor<2x9x48xf32>{{$}}
// CHECK:         return %[[Y]]
func.func @scan_zero_operands(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) -> tensor<2x9x48xf32> {
  %D = arith.constant dense<0.0> : tensor<48xf32>
  %z = arith.constant dense<0.0> : tensor<2x9x48xf32>
  %db = arith.constant dense<0.0> : tensor<48xf32>
  %s0 = arith.constant dense<0.0> : tensor<2x48x16xf32>
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %B skip(%D) gate(%z) delta_bias(%db) init(%s0) {delta_softplus} : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>, tensor<48xf32>, tensor<2x9x48xf32>, tensor<48xf32>, tensor<2x48x16xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>)
  return %y : tensor<2x9x48xf32>
}

// -----

// Only the zero delta_bias goes: the operand segments of the survivors must
// still line up (skip and init keep their own values).
// CHECK-LABEL: func @scan_mixed_operands
// CHECK-DAG:     %[[D:.+]] = arith.constant dense<1.000000e+00> : tensor<48xf32>
// CHECK-DAG:     %[[S0:.+]] = arith.constant dense<2.000000e+00> : tensor<2x48x16xf32>
// CHECK:         %[[Y:.+]], %[[S:.+]] = ssm.selective_scan %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} skip(%[[D]]) init(%[[S0]]) :
// CHECK-SAME:      -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>)
// CHECK:         return %[[Y]], %[[S]]
func.func @scan_mixed_operands(%u: tensor<2x9x48xf32>, %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>) {
  %D = arith.constant dense<1.0> : tensor<48xf32>
  %db = arith.constant dense<0.0> : tensor<48xf32>
  %s0 = arith.constant dense<2.0> : tensor<2x48x16xf32>
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %B skip(%D) delta_bias(%db) init(%s0) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>, tensor<48xf32>, tensor<48xf32>, tensor<2x48x16xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>)
  return %y, %s : tensor<2x9x48xf32>, tensor<2x48x16xf32>
}

// -----

// Zero D, dt_bias and initial state go; the unused final state goes; the
// attributes survive the rebuild without the result.
// CHECK-LABEL: func @ssd_zero_operands_unused_state
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]] = ssm.ssd %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {chunk_size = 64 : i64, dt_max = 1.000000e+01 : f32, dt_softplus} : ({{.*}}) -> tensor<1x32x8x4xf16>{{$}}
// CHECK:         return %[[Y]]
func.func @ssd_zero_operands_unused_state(%x: tensor<1x32x8x4xf16>, %dt: tensor<1x32x8xf16>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf16>) -> tensor<1x32x8x4xf16> {
  %D = arith.constant dense<0.0> : tensor<8xf32>
  %db = arith.constant dense<-0.0> : tensor<8xf32>
  %s0 = arith.constant dense<0.0> : tensor<1x8x4x16xf32>
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B skip(%D) dt_bias(%db) init(%s0) {chunk_size = 64 : i64, dt_softplus, dt_max = 10.0 : f32} : (tensor<1x32x8x4xf16>, tensor<1x32x8xf16>, tensor<8xf32>, tensor<1x32x2x16xf16>, tensor<1x32x2x16xf16>, tensor<8xf32>, tensor<8xf32>, tensor<1x8x4x16xf32>) -> (tensor<1x32x8x4xf16>, tensor<1x8x4x16xf32>)
  return %y : tensor<1x32x8x4xf16>
}

// -----

// A non-zero dt_bias stays, a used final state stays.
// CHECK-LABEL: func @ssd_nonzero_dt_bias
// CHECK:         %[[DB:.+]] = arith.constant dense<1.000000e-01> : tensor<8xf32>
// CHECK:         %[[Y:.+]], %[[S:.+]] = ssm.ssd %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} dt_bias(%[[DB]]) :
// CHECK-SAME:      -> (tensor<1x32x8x4xf32>, tensor<1x8x4x16xf32>)
// CHECK:         return %[[Y]], %[[S]]
func.func @ssd_nonzero_dt_bias(%x: tensor<1x32x8x4xf32>, %dt: tensor<1x32x8xf32>, %A: tensor<8xf32>, %B: tensor<1x32x2x16xf32>) -> (tensor<1x32x8x4xf32>, tensor<1x8x4x16xf32>) {
  %db = arith.constant dense<0.1> : tensor<8xf32>
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B dt_bias(%db) : (tensor<1x32x8x4xf32>, tensor<1x32x8xf32>, tensor<8xf32>, tensor<1x32x2x16xf32>, tensor<1x32x2x16xf32>, tensor<8xf32>) -> (tensor<1x32x8x4xf32>, tensor<1x8x4x16xf32>)
  return %y, %s : tensor<1x32x8x4xf32>, tensor<1x8x4x16xf32>
}

// -----

// An ssm op whose results are all unused is pure and disappears entirely.
// CHECK-LABEL: func @scan_dead
// CHECK-NOT:     ssm.
// CHECK:         return
func.func @scan_dead(%u: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xf32>) {
  %y, %s = ssm.selective_scan %u, %u, %A, %B, %B : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x1x16xf32>, tensor<2x9x1x16xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>)
  return
}
