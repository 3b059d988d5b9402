// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s

// CHECK-LABEL: func @glue
func.func @glue(%tokens: tensor<2x7xi32>, %x: tensor<2x7x64xf32>) -> (tensor<2x7x64xbf16>, tensor<2x7x96xf32>, tensor<2x7x96xf32>, tensor<2x7x64xf32>, tensor<2x7x64xf32>) {
  // CHECK: %[[T:.*]] = ssm.weight "backbone.embeddings.weight" : tensor<1003x64xbf16>
  %table = ssm.weight "backbone.embeddings.weight" : tensor<1003x64xbf16>
  // CHECK: ssm.embedding %{{.*}}, %[[T]] : (tensor<2x7xi32>, tensor<1003x64xbf16>) -> tensor<2x7x64xbf16>
  %h = ssm.embedding %tokens, %table : (tensor<2x7xi32>, tensor<1003x64xbf16>) -> tensor<2x7x64xbf16>
  %w = ssm.weight "in_proj.weight" : tensor<96x64xf32>
  %b = ssm.weight "in_proj.bias" : tensor<96xf32>
  // CHECK: ssm.linear %{{.*}}, %{{.*}} : (tensor<2x7x64xf32>, tensor<96x64xf32>) -> tensor<2x7x96xf32>
  %y0 = ssm.linear %x, %w : (tensor<2x7x64xf32>, tensor<96x64xf32>) -> tensor<2x7x96xf32>
  // CHECK: ssm.linear %{{.*}}, %{{.*}} bias(%{{.*}}) : (tensor<2x7x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<2x7x96xf32>
  %y1 = ssm.linear %x, %w bias(%b) : (tensor<2x7x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<2x7x96xf32>
  %nw = ssm.weight "norm.weight" : tensor<64xf32>
  // CHECK: ssm.rms_norm %{{.*}}, %{{.*}} {eps = 9.99999997E-7 : f32} : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %n = ssm.rms_norm %x, %nw {eps = 1.0e-6 : f32} : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  // CHECK: %{{.*}}, %{{.*}} = ssm.rms_norm %{{.*}}, %{{.*}} residual(%{{.*}}) : (tensor<2x7x64xf32>, tensor<64xf32>, tensor<2x7x64xf32>) -> (tensor<2x7x64xbf16>, tensor<2x7x64xf32>)
  %nr, %sum = ssm.rms_norm %x, %nw residual(%n) : (tensor<2x7x64xf32>, tensor<64xf32>, tensor<2x7x64xf32>) -> (tensor<2x7x64xbf16>, tensor<2x7x64xf32>)
  // CHECK: ssm.gated_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {group_size = 32 : i64} : (tensor<2x7x64xf32>, tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %g = ssm.gated_rms_norm %x, %n, %nw {group_size = 32 : i64} : (tensor<2x7x64xf32>, tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  return %h, %y0, %y1, %n, %g : tensor<2x7x64xbf16>, tensor<2x7x96xf32>, tensor<2x7x96xf32>, tensor<2x7x64xf32>, tensor<2x7x64xf32>
}

// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<?x?x48xf32>, %w: tensor<48x4xf32>, %b: tensor<48xf32>, %s: tensor<?x48x4xf32>) -> (tensor<?x?x48xf32>, tensor<?x48x4xf32>, tensor<?x?x48xf32>) {
  // CHECK: ssm.causal_conv1d %{{.*}}, %{{.*}} bias(%{{.*}}) init(%{{.*}}) {silu} : (tensor<?x?x48xf32>, tensor<48x4xf32>, tensor<48xf32>, tensor<?x48x4xf32>) -> (tensor<?x?x48xf32>, tensor<?x48x4xf32>)
  %y, %fs = ssm.causal_conv1d %x, %w bias(%b) init(%s) {silu} : (tensor<?x?x48xf32>, tensor<48x4xf32>, tensor<48xf32>, tensor<?x48x4xf32>) -> (tensor<?x?x48xf32>, tensor<?x48x4xf32>)
  // CHECK: ssm.causal_conv1d %{{.*}}, %{{.*}} : (tensor<?x?x48xf32>, tensor<48x4xf32>) -> tensor<?x?x48xf32>
  %y2 = ssm.causal_conv1d %x, %w : (tensor<?x?x48xf32>, tensor<48x4xf32>) -> tensor<?x?x48xf32>
  return %y, %fs, %y2 : tensor<?x?x48xf32>, tensor<?x48x4xf32>, tensor<?x?x48xf32>
}

// CHECK-LABEL: func @scan
func.func @scan(%u: tensor<2x9x48xbf16>, %dt: tensor<2x9x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xbf16>, %C: tensor<2x9x1x16xbf16>, %D: tensor<48xf32>, %z: tensor<2x9x48xbf16>, %db: tensor<48xf32>, %s0: tensor<2x48x16xf32>) -> (tensor<2x9x48xbf16>, tensor<2x48x16xf32>, tensor<2x9x48xbf16>) {
  // CHECK: ssm.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} skip(%{{.*}}) gate(%{{.*}}) delta_bias(%{{.*}}) init(%{{.*}}) {delta_softplus}
  // CHECK-SAME: -> (tensor<2x9x48xbf16>, tensor<2x48x16xf32>)
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %C skip(%D) gate(%z) delta_bias(%db) init(%s0) {delta_softplus} : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>, tensor<48xf32>, tensor<2x9x48xbf16>, tensor<48xf32>, tensor<2x48x16xf32>) -> (tensor<2x9x48xbf16>, tensor<2x48x16xf32>)
  // CHECK: ssm.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>) -> tensor<2x9x48xbf16>
  %y2 = ssm.selective_scan %u, %dt, %A, %B, %C : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>) -> tensor<2x9x48xbf16>
  return %y, %s, %y2 : tensor<2x9x48xbf16>, tensor<2x48x16xf32>, tensor<2x9x48xbf16>
}

// CHECK-LABEL: func @ssd
func.func @ssd(%x: tensor<1x300x8x16xf16>, %dt: tensor<1x300x8xf16>, %A: tensor<8xf32>, %B: tensor<1x300x2x32xf16>, %C: tensor<1x300x2x32xf16>, %D: tensor<8xf32>, %db: tensor<8xf32>) -> (tensor<1x300x8x16xf16>, tensor<1x8x16x32xf32>) {
  // CHECK: ssm.ssd %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} skip(%{{.*}}) dt_bias(%{{.*}}) {chunk_size = 64 : i64, dt_max = 1.000000e+01 : f32, dt_min = 1.000000e-03 : f32, dt_softplus}
  %y, %s = ssm.ssd %x, %dt, %A, %B, %C skip(%D) dt_bias(%db) {chunk_size = 64 : i64, dt_softplus, dt_min = 0.001 : f32, dt_max = 10.0 : f32} : (tensor<1x300x8x16xf16>, tensor<1x300x8xf16>, tensor<8xf32>, tensor<1x300x2x32xf16>, tensor<1x300x2x32xf16>, tensor<8xf32>, tensor<8xf32>) -> (tensor<1x300x8x16xf16>, tensor<1x8x16x32xf32>)
  return %y, %s : tensor<1x300x8x16xf16>, tensor<1x8x16x32xf32>
}

// CHECK-LABEL: func @decode
func.func @decode(%x: tensor<3x48xf32>, %cs: tensor<3x48x4xf32>, %w: tensor<48x4xf32>, %b: tensor<48xf32>, %s1: tensor<3x48x16xf32>, %A1: tensor<48x16xf32>, %B: tensor<3x1x16xf32>, %s2: tensor<3x6x8x16xf32>, %x2: tensor<3x6x8xf32>, %dt2: tensor<3x6xf32>, %A2: tensor<6xf32>, %B0: tensor<3x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<3x48xf32>, tensor<3x48x16xf32>, tensor<3x6x8xf32>, tensor<3x6x8x16xf32>) {
  // CHECK: ssm.conv_state_update %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {silu} : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>, tensor<48xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  %o, %ns = ssm.conv_state_update %x, %cs, %w bias(%b) {silu} : (tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<48x4xf32>, tensor<48xf32>) -> (tensor<3x48xf32>, tensor<3x48x4xf32>)
  // CHECK: ssm.selective_state_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} skip(%{{.*}}) gate(%{{.*}}) dt_bias(%{{.*}}) {dt_softplus} : (tensor<3x48x16xf32>
  %y1, %n1 = ssm.selective_state_update %s1, %o, %x, %A1, %B, %B skip(%b) gate(%x) dt_bias(%b) {dt_softplus} : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x48xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<48xf32>, tensor<3x48xf32>, tensor<48xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  // CHECK: ssm.selective_state_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} skip(%{{.*}}) : (tensor<3x6x8x16xf32>
  %y2, %n2 = ssm.selective_state_update %s2, %x2, %dt2, %A2, %B, %B skip(%A2) : (tensor<3x6x8x16xf32>, tensor<3x6x8xf32>, tensor<3x6xf32>, tensor<6xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<6xf32>) -> (tensor<3x6x8xf32>, tensor<3x6x8x16xf32>)
  // The dt projection inside the step: dt [b, R], dt_proj [e, R].
  // CHECK: ssm.selective_state_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} dt_bias(%{{.*}}) dt_proj(%{{.*}}) {dt_softplus} : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x16xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<48xf32>, tensor<48x16xf32>)
  %y3, %n3 = ssm.selective_state_update %s1, %o, %B0, %A1, %B, %B dt_bias(%b) dt_proj(%A1) {dt_softplus} : (tensor<3x48x16xf32>, tensor<3x48xf32>, tensor<3x16xf32>, tensor<48x16xf32>, tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<48xf32>, tensor<48x16xf32>) -> (tensor<3x48xf32>, tensor<3x48x16xf32>)
  return %o, %ns, %y1, %n1, %y2, %n2 : tensor<3x48xf32>, tensor<3x48x4xf32>, tensor<3x48xf32>, tensor<3x48x16xf32>, tensor<3x6x8xf32>, tensor<3x6x8x16xf32>
}
