// RUN: ssmc-opt %s -ssm-fuse -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s

// A residual add folded into the norm (ssm-fuse) gives one block-per-row
// kernel: the first strided pass loads x and r, stores their sum (result 2)
// and sums its squares; after the block reduction the second pass reads the
// sum back and writes the normalized row (result 1).
// CHECK-LABEL: func.func @layer
// CHECK-NOT: arith.addf
// CHECK: %[[N:.*]], %[[S:.*]] = ssm.rms_norm {{.*}} residual({{.*}}) {ssm.kernel = @[[K:ssmc_k[0-9]+]]}
// CHECK-NEXT: return %[[N]], %[[S]]
// CHECK: gpu.func @[[K]](%[[X:[^:]*]]: memref<{{.*}}>, %[[W:[^:]*]]: memref<{{.*}}>, %[[R:[^:]*]]: memref<{{.*}}>, %[[OUT:[^:]*]]: memref<{{.*}}>, %[[SUM:[^:]*]]: memref<{{.*}}>)
// CHECK: scf.for
// CHECK: %[[XV:.*]] = memref.load %[[X]]
// CHECK: %[[RV:.*]] = memref.load %[[R]]
// CHECK: %[[V:.*]] = arith.addf %[[XV]], %[[RV]]
// CHECK: memref.store %[[V]], %[[SUM]]
// CHECK: gpu.barrier
// CHECK: math.sqrt
// CHECK: scf.for
// CHECK: memref.load %[[SUM]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: gpu.return

func.func @layer(%h: tensor<2x7x64xf32>, %r: tensor<2x7x64xf32>, %nw: tensor<64xf32>) -> (tensor<2x7x64xf32>, tensor<2x7x64xf32>) {
  %s = arith.addf %h, %r : tensor<2x7x64xf32>
  %n = ssm.rms_norm %s, %nw : (tensor<2x7x64xf32>, tensor<64xf32>) -> tensor<2x7x64xf32>
  return %n, %s : tensor<2x7x64xf32>, tensor<2x7x64xf32>
}
