// RUN: ssmc-opt %s -ssm-outline-cpu-kernels | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels=outline-linear=true | FileCheck %s --check-prefix=LINEAR
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-cpu-kernels | FileCheck %s --check-prefix=TWICE

// The tensor program is unchanged; each compute op only gains its kernel tag.
// Kernels are numbered in walk order and appended after the functions.

// CHECK-LABEL: func.func @glue
// CHECK: ssm.embedding {{.*}} {ssm.kernel = @[[EMB:ssmc_k[0-9]+]]}
// CHECK: ssm.linear
// CHECK-NOT: ssm.kernel
// CHECK-SAME: -> tensor<2x7x96xf32>
// CHECK: ssm.rms_norm {{.*}} {ssm.kernel = @[[RMS:ssmc_k[0-9]+]]}
// Same name, attributes and types: the kernel is shared.
// CHECK: ssm.rms_norm {{.*}} {ssm.kernel = @[[RMS]]}
// A different eps is a different kernel.
// CHECK: ssm.rms_norm {{.*}} {eps = 9.99999997E-7 : f32, ssm.kernel = @[[RMS2:ssmc_k[0-9]+]]}
// CHECK: ssm.gated_rms_norm {{.*}} {group_size = 32 : i64, ssm.kernel = @[[GRMS:ssmc_k[0-9]+]]}
// CHECK: arith.addf {{.*}} {ssm.kernel = @[[ADD:ssmc_k[0-9]+]]} : tensor<2x7x64xf32>
// CHECK: arith.mulf {{.*}} {ssm.kernel = @[[MUL:ssmc_k[0-9]+]]} : tensor<64xf32>
// Scalar arithmetic is not a kernel.
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// LINEAR-LABEL: func.func @glue
// LINEAR: ssm.linear {{.*}} {ssm.kernel = @[[LIN:ssmc_k[0-9]+]]}
// TWICE-LABEL: func.func @glue
// TWICE: ssm.embedding {{.*}} {ssm.kernel = @ssmc_k0}
func.func @glue(%tokens: tensor<2x7xi32>, %x: tensor<2x7x64xf32>, %table: tensor<1003x64xf32>,
                %w: tensor<96x64xf32>, %nw: tensor<64xf32>, %f: f32) -> (tensor<2x7x64xf32>, tensor<2x7x96xf32>, tensor<64xf32>, f32) {
  %h = ssm.embedding %tokens, %table : (tensor<2x7xi32>, tensor<1003x64xf32>) -> tensor<2x7x64xf32>
  %y = ssm.linear %x, %w : (tensor<2x7x64xf32>, tensor<96x64xf32>) -> tensor<2x7x96xf32>
  %n1 = ssm.rms_norm %h, %nw : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %n2 = ssm.rms_norm %x, %nw : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %n3 = ssm.rms_norm %x, %nw {eps = 1.0e-6 : f32} : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %g = ssm.gated_rms_norm %n1, %n2, %nw {group_size = 32 : i64} : (tensor<2x7x64xf32>, tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  %s = arith.addf %g, %n3 : tensor<2x7x64xf32>
  %m = arith.mulf %nw, %nw : tensor<64xf32>
  %ff = arith.addf %f, %f : f32
  return %s, %y, %m, %ff : tensor<2x7x64xf32>, tensor<2x7x96xf32>, tensor<64xf32>, f32
}

// CHECK-LABEL: func.func @seq
// CHECK: ssm.causal_conv1d {{.*}} {silu, ssm.kernel = @[[CONV:ssmc_k[0-9]+]]}
// CHECK: ssm.selective_scan {{.*}} {delta_softplus, ssm.kernel = @[[SCAN:ssmc_k[0-9]+]]}
// Which optional operands are present is part of the key: D vs delta_bias.
// CHECK: ssm.selective_scan {{.*}} skip(%{{.*}}) {ssm.kernel = @[[SCAND:ssmc_k[0-9]+]]}
// CHECK: ssm.selective_scan {{.*}} delta_bias(%{{.*}}) {ssm.kernel = @[[SCANB:ssmc_k[0-9]+]]}
// CHECK: ssm.ssd {{.*}} ssm.kernel = @[[SSD:ssmc_k[0-9]+]]}
func.func @seq(%x: tensor<2x9x48xf32>, %cw: tensor<48x4xf32>, %cb: tensor<48xf32>, %cs: tensor<2x48x4xf32>,
               %dt: tensor<2x9x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x9x2x16xf32>, %D: tensor<48xf32>,
               %s0: tensor<2x48x16xf32>,
               %hx: tensor<2x9x4x12xf32>, %hdt: tensor<2x9x4xf32>, %hA: tensor<4xf32>, %hB: tensor<2x9x2x32xf32>,
               %hD: tensor<4xf32>, %hs0: tensor<2x4x12x32xf32>)
    -> (tensor<2x9x48xf32>, tensor<2x48x4xf32>, tensor<2x9x48xf32>, tensor<2x48x16xf32>, tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<2x9x4x12xf32>, tensor<2x4x12x32xf32>) {
  %c, %cf = ssm.causal_conv1d %x, %cw bias(%cb) init(%cs) {silu} : (tensor<2x9x48xf32>, tensor<48x4xf32>, tensor<48xf32>, tensor<2x48x4xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x4xf32>)
  %y, %s = ssm.selective_scan %c, %dt, %A, %B, %B skip(%D) gate(%x) delta_bias(%D) init(%s0) {delta_softplus} : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x2x16xf32>, tensor<2x9x2x16xf32>, tensor<48xf32>, tensor<2x9x48xf32>, tensor<48xf32>, tensor<2x48x16xf32>) -> (tensor<2x9x48xf32>, tensor<2x48x16xf32>)
  %y2 = ssm.selective_scan %c, %dt, %A, %B, %B skip(%D) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x2x16xf32>, tensor<2x9x2x16xf32>, tensor<48xf32>) -> tensor<2x9x48xf32>
  %y3 = ssm.selective_scan %c, %dt, %A, %B, %B delta_bias(%D) : (tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<48x16xf32>, tensor<2x9x2x16xf32>, tensor<2x9x2x16xf32>, tensor<48xf32>) -> tensor<2x9x48xf32>
  %hy, %hs = ssm.ssd %hx, %hdt, %hA, %hB, %hB skip(%hD) gate(%hx) dt_bias(%hA) init(%hs0) {dt_softplus, dt_min = 0.001 : f32, dt_max = 10.0 : f32} : (tensor<2x9x4x12xf32>, tensor<2x9x4xf32>, tensor<4xf32>, tensor<2x9x2x32xf32>, tensor<2x9x2x32xf32>, tensor<4xf32>, tensor<2x9x4x12xf32>, tensor<4xf32>, tensor<2x4x12x32xf32>) -> (tensor<2x9x4x12xf32>, tensor<2x4x12x32xf32>)
  return %c, %cf, %y, %s, %y2, %y3, %hy, %hs : tensor<2x9x48xf32>, tensor<2x48x4xf32>, tensor<2x9x48xf32>, tensor<2x48x16xf32>, tensor<2x9x48xf32>, tensor<2x9x48xf32>, tensor<2x9x4x12xf32>, tensor<2x4x12x32xf32>
}

// CHECK-LABEL: func.func @decode
// CHECK: ssm.conv_state_update {{.*}} ssm.kernel = @[[CSU:ssmc_k[0-9]+]]}
// CHECK: ssm.selective_state_update {{.*}} ssm.kernel = @[[SSU1:ssmc_k[0-9]+]]}
// CHECK: ssm.selective_state_update {{.*}} ssm.kernel = @[[SSU2:ssmc_k[0-9]+]]}
func.func @decode(%x: tensor<2x48xf32>, %cs: tensor<2x48x4xf32>, %cw: tensor<48x4xf32>, %cb: tensor<48xf32>,
                  %st: tensor<2x48x16xf32>, %dt: tensor<2x48xf32>, %A: tensor<48x16xf32>, %B: tensor<2x1x16xf32>, %D: tensor<48xf32>,
                  %hst: tensor<2x4x12x32xf32>, %hx: tensor<2x4x12xf32>, %hdt: tensor<2x4xf32>, %hA: tensor<4xf32>, %hB: tensor<2x2x32xf32>)
    -> (tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<2x48xf32>, tensor<2x48x16xf32>, tensor<2x4x12xf32>, tensor<2x4x12x32xf32>) {
  %o, %ns = ssm.conv_state_update %x, %cs, %cw bias(%cb) {silu} : (tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<48x4xf32>, tensor<48xf32>) -> (tensor<2x48xf32>, tensor<2x48x4xf32>)
  %y, %s = ssm.selective_state_update %st, %o, %dt, %A, %B, %B skip(%D) gate(%x) dt_bias(%D) {dt_softplus} : (tensor<2x48x16xf32>, tensor<2x48xf32>, tensor<2x48xf32>, tensor<48x16xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<48xf32>, tensor<2x48xf32>, tensor<48xf32>) -> (tensor<2x48xf32>, tensor<2x48x16xf32>)
  %hy, %hs = ssm.selective_state_update %hst, %hx, %hdt, %hA, %hB, %hB skip(%hA) dt_bias(%hA) {dt_softplus, dt_max = 0.1 : f32} : (tensor<2x4x12x32xf32>, tensor<2x4x12xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<2x2x32xf32>, tensor<2x2x32xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x12xf32>, tensor<2x4x12x32xf32>)
  return %o, %ns, %y, %s, %hy, %hs : tensor<2x48xf32>, tensor<2x48x4xf32>, tensor<2x48xf32>, tensor<2x48x16xf32>, tensor<2x4x12xf32>, tensor<2x4x12x32xf32>
}

// Kernels: fully dynamic strided memrefs, operands then results, C interface.
// The loops read every size with memref.dim.

// CHECK: func.func private @[[EMB]](%{{.*}}: memref<?x?xi32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for %[[J:.*]] = 
// CHECK:         %[[TOK:.*]] = memref.load
// CHECK:         %[[ROW:.*]] = arith.index_cast %[[TOK]] : i32 to index
// CHECK:         memref.load %{{.*}}[%[[ROW]], %[[J]]]
// CHECK: return

// CHECK: func.func private @[[RMS]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for {{.*}} iter_args
// CHECK:       arith.constant 9.99999974E-6 : f32
// CHECK:       math.sqrt
// CHECK:       scf.for
// CHECK: func.func private @[[RMS2]](
// CHECK:   arith.constant 9.99999997E-7 : f32
// CHECK: func.func private @[[GRMS]](
// CHECK:   arith.constant 32 : index
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           math.exp
// CHECK: func.func private @[[ADD]](
// CHECK:       arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: func.func private @[[MUL]](%{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>)
// CHECK:   arith.mulf %{{.*}}, %{{.*}} : f32

// Conv: operands x, weight, bias, initial_state; results output, final_state.
// Loops b, t, c (channels innermost: contiguous), then the taps.
// CHECK: func.func private @[[CONV]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// CHECK:   scf.for %[[B:[a-z0-9]+]] =
// CHECK:     scf.for %[[T:[a-z0-9]+]] =
// CHECK:       scf.for %[[C:[a-z0-9]+]] =
// CHECK:         arith.maxsi
// CHECK:         scf.for {{.*}} iter_args
// CHECK:         scf.for {{.*}} iter_args
// CHECK:         math.exp
// CHECK:         memref.store %{{.*}}, %{{.*}}[%[[B]], %[[T]], %[[C]]]
// CHECK: return

// Selective scan: one N-float state buffer for the whole kernel, never a
// [b, L, e, N] buffer; loops b, e, t, then N innermost with the decay exp.
// CHECK: func.func private @[[SCAN]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref<?x?x?x?xf32>
// CHECK:   %[[S:.*]] = memref.alloca(%{{.*}}) : memref<?xf32>
// CHECK-NOT: memref.alloc
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       arith.divui
// CHECK:       scf.for
// CHECK:         memref.store %{{.*}}, %[[S]]
// CHECK:       scf.for
// CHECK:         math.log1p
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           math.exp
// CHECK:           memref.load %[[S]]
// CHECK:           memref.store %{{.*}}, %[[S]]
// CHECK:           scf.yield
// CHECK:       scf.for
// CHECK:         memref.load %[[S]]
// CHECK: return
// Only the optional pieces present are emitted: no softplus, no gate.
// CHECK: func.func private @[[SCAND]](
// CHECK-NOT: math.log1p
// CHECK: return
// CHECK: func.func private @[[SCANB]](
// CHECK-NOT: math.log1p
// CHECK: return

// SSD: loops b, H, P, t, N; the decay is one exp per (t, head) outside the
// N loop; dt clamped to [dt_min, dt_max].
// CHECK: func.func private @[[SSD]](%{{.*}}: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>
// CHECK-NOT: memref.alloc(
// CHECK:   memref.alloca(%{{.*}}) : memref<?xf32>
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:         scf.for
// CHECK:           math.log1p
// CHECK:           arith.maximumf
// CHECK:           arith.minimumf
// CHECK:           math.exp
// CHECK:           scf.for {{.*}} iter_args
// CHECK-NOT:         math.exp
// CHECK:             scf.yield
// CHECK: return

// Decode steps.
// CHECK: func.func private @[[CSU]](%{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?xf32, strided<[?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for {{.*}} iter_args
// CHECK:       scf.for
// CHECK:         memref.load
// CHECK:         memref.store
// CHECK: func.func private @[[SSU1]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       math.log1p
// CHECK:       scf.for {{.*}} iter_args
// CHECK:         math.exp
// CHECK: func.func private @[[SSU2]](%{{.*}}: memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:         arith.minimumf
// CHECK:         math.exp
// CHECK:         scf.for {{.*}} iter_args
// CHECK-NOT:       math.exp
// CHECK:           scf.yield
// CHECK-NOT: func.func

// LINEAR: func.func private @[[LIN]](%{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, %{{.*}}: memref<?x?xf32, strided<[?, ?], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>)
// LINEAR:   scf.for
// LINEAR:     scf.for
// LINEAR:       scf.for
// LINEAR:         scf.for {{.*}} iter_args

// A second run keeps the existing kernels and creates none.
// TWICE-NOT: @ssmc_k14
