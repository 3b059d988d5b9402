// RUN: ssmc-opt %s -ssm-fuse -split-input-file | FileCheck %s

// Two pre-norm blocks: each residual add that a norm reads folds into the
// norm, whose sum replaces the add for every later reader (the next add).
// CHECK-LABEL: func.func @blocks
// CHECK-SAME: (%[[R:.*]]: tensor<2x5x64xf32>, %[[H1:.*]]: tensor<2x5x64xf32>, %[[H2:.*]]: tensor<2x5x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK-NOT: arith.addf
// CHECK: %[[N1:.*]], %[[S1:.*]] = ssm.rms_norm %[[R]], %[[W]] residual(%[[H1]]) : (tensor<2x5x64xf32>, tensor<64xf32>, tensor<2x5x64xf32>) -> (tensor<2x5x64xf32>, tensor<2x5x64xf32>)
// CHECK: %[[N2:.*]], %[[S2:.*]] = ssm.rms_norm %[[S1]], %[[W]] residual(%[[H2]])
// CHECK-NOT: arith.addf
// CHECK: return %[[N1]], %[[N2]], %[[S2]]
func.func @blocks(%r: tensor<2x5x64xf32>, %h1: tensor<2x5x64xf32>, %h2: tensor<2x5x64xf32>, %w: tensor<64xf32>)
    -> (tensor<2x5x64xf32>, tensor<2x5x64xf32>, tensor<2x5x64xf32>) {
  %s1 = arith.addf %r, %h1 : tensor<2x5x64xf32>
  %n1 = ssm.rms_norm %s1, %w : (tensor<2x5x64xf32>, tensor<64xf32>) -> tensor<2x5x64xf32>
  %s2 = arith.addf %s1, %h2 : tensor<2x5x64xf32>
  %n2 = ssm.rms_norm %s2, %w : (tensor<2x5x64xf32>, tensor<64xf32>) -> tensor<2x5x64xf32>
  return %n1, %n2, %s2 : tensor<2x5x64xf32>, tensor<2x5x64xf32>, tensor<2x5x64xf32>
}

// -----

// The sum is read before the norm: the fused op could not stand where the
// norm is, so nothing changes. A norm of anything but an add stays as well.
// CHECK-LABEL: func.func @read_before
// CHECK: %[[S:.*]] = arith.addf
// CHECK: ssm.rms_norm %[[S]]
// CHECK: ssm.rms_norm %{{.*}}, %{{.*}} :
// CHECK-NOT: residual
func.func @read_before(%r: tensor<4x64xf32>, %h: tensor<4x64xf32>, %w: tensor<64xf32>)
    -> (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
  %s = arith.addf %r, %h : tensor<4x64xf32>
  %m = arith.mulf %s, %h : tensor<4x64xf32>
  %n = ssm.rms_norm %s, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %p = ssm.rms_norm %m, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %n, %m, %p : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// A decode step's dt projection (bias-free, read only by the step) moves
// into the step: dt becomes the projection's [b, R] input, dt_proj its weight.
// A projection with a bias, or read elsewhere too, stays a GEMM.
// CHECK-LABEL: func.func @dt_proj
// CHECK-SAME: (%[[S:[^:]*]]: tensor<2x8x4xf32>, %[[X:[^:]*]]: tensor<2x8xf32>, %[[U:[^:]*]]: tensor<2x3xf32>, %[[W:[^:]*]]: tensor<8x3xf32>
// CHECK-NOT: ssm.linear
// CHECK: ssm.selective_state_update %[[S]], %[[X]], %[[U]], {{.*}} dt_bias(%{{.*}}) dt_proj(%[[W]]) {dt_softplus}
// CHECK: %[[L:.*]] = ssm.linear %[[U]], %[[W]] bias(
// CHECK: ssm.selective_state_update %[[S]], %[[X]], %[[L]], {{.*}} dt_bias(%{{.*}}) {dt_softplus}
// CHECK: %[[M:.*]] = ssm.linear %[[U]], %[[W]] :
// CHECK: ssm.selective_state_update %[[S]], %[[X]], %[[M]], {{.*}} dt_bias(%{{.*}}) {dt_softplus}
// CHECK: return
func.func @dt_proj(%s: tensor<2x8x4xf32>, %x: tensor<2x8xf32>, %u: tensor<2x3xf32>, %w: tensor<8x3xf32>,
                   %A: tensor<8x4xf32>, %B: tensor<2x1x4xf32>, %bias: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %dt = ssm.linear %u, %w : (tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<2x8xf32>
  %y, %n = ssm.selective_state_update %s, %x, %dt, %A, %B, %B dt_bias(%bias) {dt_softplus} : (tensor<2x8x4xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8x4xf32>)
  %dtb = ssm.linear %u, %w bias(%bias) : (tensor<2x3xf32>, tensor<8x3xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %y2, %n2 = ssm.selective_state_update %s, %x, %dtb, %A, %B, %B dt_bias(%bias) {dt_softplus} : (tensor<2x8x4xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8x4xf32>)
  %dt2 = ssm.linear %u, %w : (tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<2x8xf32>
  %y3, %n3 = ssm.selective_state_update %s, %x, %dt2, %A, %B, %B dt_bias(%bias) {dt_softplus} : (tensor<2x8x4xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8x4xf32>)
  return %y, %y2, %y3, %dt2 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
