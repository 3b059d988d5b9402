// RUN: ssmc-opt %s -ssm-simplify -split-input-file | FileCheck %s
// The pass has no anchor: it also runs nested on each function.
// RUN: ssmc-opt %s -pass-pipeline='builtin.module(func.func(ssm-simplify))' -split-input-file | FileCheck %s

// A Mamba-1 prefill layer as the frontend emits it: zero initial states, a
// zero conv bias, a zero delta_bias. The conv's final state is returned (kept),
// the scan's is not (dropped); the non-zero D skip is kept.
// CHECK-LABEL: func @mamba1_layer
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<1x5x8xf32>
// CHECK:         %[[D:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-NOT:     arith.constant
// CHECK:         %[[CW:.+]] = ssm.weight "conv1d.weight"
// CHECK:         %[[C:.+]], %[[CS:.+]] = ssm.causal_conv1d %[[X]], %[[CW]] {silu} : (tensor<1x5x8xf32>, tensor<8x4xf32>) -> (tensor<1x5x8xf32>, tensor<1x8x4xf32>)
// CHECK:         %[[Y:.+]] = ssm.selective_scan %[[C]], %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} skip(%[[D]]) {delta_softplus} : ({{.*}}) -> tensor<1x5x8xf32>{{$}}
// CHECK:         return %[[Y]], %[[CS]]
func.func @mamba1_layer(%x: tensor<1x5x8xf32>, %dt: tensor<1x5x8xf32>, %B: tensor<1x5x1x4xf32>) -> (tensor<1x5x8xf32>, tensor<1x8x4xf32>) {
  %zc = arith.constant dense<0.0> : tensor<1x8x4xf32>
  %zb = arith.constant dense<0.0> : tensor<8xf32>
  %zs = arith.constant dense<0.0> : tensor<1x8x4xf32>
  %D = arith.constant dense<1.0> : tensor<8xf32>
  %cw = ssm.weight "conv1d.weight" : tensor<8x4xf32>
  %A = ssm.weight "A" : tensor<8x4xf32>
  %c, %cs = ssm.causal_conv1d %x, %cw bias(%zb) init(%zc) {silu} : (tensor<1x5x8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<1x8x4xf32>) -> (tensor<1x5x8xf32>, tensor<1x8x4xf32>)
  %y, %s = ssm.selective_scan %c, %dt, %A, %B, %B skip(%D) delta_bias(%zb) init(%zs) {delta_softplus} : (tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<8x4xf32>, tensor<1x5x1x4xf32>, tensor<1x5x1x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x8x4xf32>) -> (tensor<1x5x8xf32>, tensor<1x8x4xf32>)
  return %y, %cs : tensor<1x5x8xf32>, tensor<1x8x4xf32>
}

// -----

// Mamba-2: the zero dt_bias and zero initial state go, the used final state
// stays; the zero out_proj bias goes.
// CHECK-LABEL: func @mamba2_layer
// CHECK-NOT:     arith.constant
// CHECK:         %[[Y:.+]], %[[S:.+]] = ssm.ssd %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {chunk_size = 4 : i64, dt_softplus} : ({{.*}}) -> (tensor<1x6x2x4xf32>, tensor<1x2x4x8xf32>)
// CHECK:         %[[O:.+]] = ssm.linear %{{[^ ]+}}, %{{[^ ]+}} : (tensor<1x6x8xf32>, tensor<8x8xf32>) -> tensor<1x6x8xf32>
// CHECK:         return %[[O]], %[[S]]
func.func @mamba2_layer(%x: tensor<1x6x2x4xf32>, %dt: tensor<1x6x2xf32>, %A: tensor<2xf32>, %B: tensor<1x6x1x8xf32>, %w: tensor<8x8xf32>) -> (tensor<1x6x8xf32>, tensor<1x2x4x8xf32>) {
  %db = arith.constant dense<0.0> : tensor<2xf32>
  %s0 = arith.constant dense<0.0> : tensor<1x2x4x8xf32>
  %ob = arith.constant dense<0.0> : tensor<8xf32>
  %y, %s = ssm.ssd %x, %dt, %A, %B, %B dt_bias(%db) init(%s0) {chunk_size = 4 : i64, dt_softplus} : (tensor<1x6x2x4xf32>, tensor<1x6x2xf32>, tensor<2xf32>, tensor<1x6x1x8xf32>, tensor<1x6x1x8xf32>, tensor<2xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x6x2x4xf32>, tensor<1x2x4x8xf32>)
  %flat = tensor.collapse_shape %y [[0], [1], [2, 3]] : tensor<1x6x2x4xf32> into tensor<1x6x8xf32>
  %o = ssm.linear %flat, %w bias(%ob) : (tensor<1x6x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<1x6x8xf32>
  return %o, %s : tensor<1x6x8xf32>, tensor<1x2x4x8xf32>
}

// -----

// Only the ssm patterns run: arith's own canonicalization (folding the two
// constant additions into one) is left to -canonicalize.
// CHECK-LABEL: func @leaves_other_dialects
// CHECK:         arith.addi
// CHECK:         arith.addi
func.func @leaves_other_dialects(%a: i32) -> i32 {
  %c1 = arith.constant 1 : i32
  %c2 = arith.constant 2 : i32
  %0 = arith.addi %a, %c1 : i32
  %1 = arith.addi %0, %c2 : i32
  return %1 : i32
}
