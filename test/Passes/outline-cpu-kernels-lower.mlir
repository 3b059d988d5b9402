// The kernels lower completely to the LLVM dialect through the upstream
// pipeline. The tensor functions are cut out with sed first (the schedule
// pass erases them in the real flow), leaving a module of kernels only.
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels=outline-linear=true \
// RUN:   | sed '/^  func.func @/,/^  }$/d' \
// RUN:   | ssmc-opt --convert-scf-to-cf --convert-math-to-llvm --expand-strided-metadata \
// RUN:       --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm \
// RUN:       --convert-func-to-llvm --reconcile-unrealized-casts \
// RUN:   | FileCheck %s --implicit-check-not=func.func --implicit-check-not=scf. \
// RUN:       --implicit-check-not=memref. --implicit-check-not=math. \
// RUN:       --implicit-check-not=unrealized_conversion_cast

// One kernel per distinct op (12), each with its C interface wrapper.
// CHECK: llvm.func @ssmc_k0(
// CHECK: llvm.func @_mlir_ciface_ssmc_k0(
// The scans keep their N-float state on the stack and use the exp intrinsic.
// CHECK: llvm.func @ssmc_k7(
// CHECK:   llvm.alloca
// CHECK:   llvm.intr.exp
// CHECK: llvm.func @_mlir_ciface_ssmc_k7(
// CHECK: llvm.func @ssmc_k11(
// CHECK: llvm.func @_mlir_ciface_ssmc_k11(
// CHECK-NOT: ssmc_k12

func.func @glue(%tokens: tensor<2x7xi32>, %t64: tensor<5xi64>, %table: tensor<1003x64xf32>, %x: tensor<2x7x64xf32>,
                %w: tensor<96x64xf32>, %b: tensor<96xf32>, %nw: tensor<64xf32>, %s: tensor<f32>)
    -> (tensor<2x7x64xf32>, tensor<5x64xf32>, tensor<2x7x96xf32>, tensor<2x7x64xf16>, tensor<2x7x64xf32>, tensor<f32>) {
  %h = ssm.embedding %tokens, %table : (tensor<2x7xi32>, tensor<1003x64xf32>) -> tensor<2x7x64xf32>
  %h1 = ssm.embedding %t64, %table : (tensor<5xi64>, tensor<1003x64xf32>) -> tensor<5x64xf32>
  %y = ssm.linear %x, %w bias(%b) : (tensor<2x7x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<2x7x96xf32>
  %n = ssm.rms_norm %h, %nw : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf16>
  %g = ssm.gated_rms_norm %h, %x, %nw {group_size = 16 : i64, norm_before_gate = true} : (tensor<2x7x64xf32>, tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %m = arith.mulf %s, %s : tensor<f32>
  return %h, %h1, %y, %n, %g, %m : tensor<2x7x64xf32>, tensor<5x64xf32>, tensor<2x7x96xf32>, tensor<2x7x64xf16>, tensor<2x7x64xf32>, tensor<f32>
}

func.func @seq(%x: tensor<2x9x48xbf16>, %cw: tensor<48x4xbf16>, %cs: tensor<2x48x4xbf16>,
               %dt: tensor<2x9x48xbf16>, %A: tensor<48x16xf32>, %B: tensor<2x9x1x16xbf16>, %D: tensor<48xf32>,
               %hx: tensor<1x9x4x12xf16>, %hdt: tensor<1x9x4xf16>, %hA: tensor<4xf32>, %hB: tensor<1x9x2x32xf16>)
    -> (tensor<2x9x48xbf16>, tensor<2x48x4xbf16>, tensor<2x9x48xbf16>, tensor<2x48x16xf32>, tensor<1x9x4x12xf16>) {
  %c, %cf = ssm.causal_conv1d %x, %cw init(%cs) {silu} : (tensor<2x9x48xbf16>, tensor<48x4xbf16>, tensor<2x48x4xbf16>) -> (tensor<2x9x48xbf16>, tensor<2x48x4xbf16>)
  %y, %s = ssm.selective_scan %c, %dt, %A, %B, %B skip(%D) gate(%x) {delta_softplus} : (tensor<2x9x48xbf16>, tensor<2x9x48xbf16>, tensor<48x16xf32>, tensor<2x9x1x16xbf16>, tensor<2x9x1x16xbf16>, tensor<48xf32>, tensor<2x9x48xbf16>) -> (tensor<2x9x48xbf16>, tensor<2x48x16xf32>)
  %hy = ssm.ssd %hx, %hdt, %hA, %hB, %hB {dt_softplus} : (tensor<1x9x4x12xf16>, tensor<1x9x4xf16>, tensor<4xf32>, tensor<1x9x2x32xf16>, tensor<1x9x2x32xf16>) -> tensor<1x9x4x12xf16>
  return %c, %cf, %y, %s, %hy : tensor<2x9x48xbf16>, tensor<2x48x4xbf16>, tensor<2x9x48xbf16>, tensor<2x48x16xf32>, tensor<1x9x4x12xf16>
}

func.func @decode(%x: tensor<2x48xf32>, %cs: tensor<2x48x4xf32>, %cw: tensor<48x4xf32>,
                  %st: tensor<2x48x16xf32>, %dt: tensor<2x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x1x16xf32>,
                  %hst: tensor<2x4x12x32xf32>, %hx: tensor<2x4x12xf32>, %hdt: tensor<2x4xf32>, %hA: tensor<4xf32>, %hB: tensor<2x2x32xf32>)
    -> (tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<2x48xf32>, tensor<2x48x16xf32>, tensor<2x4x12xf32>, tensor<2x4x12x32xf32>) {
  %o, %ns = ssm.conv_state_update %x, %cs, %cw : (tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<48x4xf32>) -> (tensor<2x48xf32>, tensor<2x48x4xf32>)
  %y, %s = ssm.selective_state_update %st, %o, %dt, %A, %B, %B {dt_softplus} : (tensor<2x48x16xf32>, tensor<2x48xf32>, tensor<2x48xf32>, tensor<48x16xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>) -> (tensor<2x48xf32>, tensor<2x48x16xf32>)
  %hy, %hs = ssm.selective_state_update %hst, %hx, %hdt, %hA, %hB, %hB skip(%hA) {dt_softplus, dt_min = 0.01 : f32} : (tensor<2x4x12x32xf32>, tensor<2x4x12xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<2x2x32xf32>, tensor<2x2x32xf32>, tensor<4xf32>) -> (tensor<2x4x12xf32>, tensor<2x4x12x32xf32>)
  return %o, %ns, %y, %s, %hy, %hs : tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<2x48xf32>, tensor<2x48x16xf32>, tensor<2x4x12xf32>, tensor<2x4x12x32xf32>
}
