// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=grid-dependency-wait=true round-bf16=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=round-bf16=true" "-ssm-outline-gpu-kernels=grid-dependency-wait=true" | FileCheck %s
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels -ssm-outline-gpu-kernels | FileCheck %s --check-prefix=OFF
// RUN: ssmc-opt %s -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=grid-dependency-wait=true" | sed "/func.func \(private \)\{0,1\}@\(prefill\|decode\|ssmc_k[0-9]*\)(/,/^  }$/d" | ssmc-opt --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" | FileCheck %s --check-prefix=PTX
// REQUIRES: cuda-toolkit

// With `grid-dependency-wait`, every kernel begins by waiting for the grids
// before it. Kernels of the decode step, whether prefill shares them or not,
// and the runtime's own (here the bf16 rounding) then let the next kernel be
// scheduled; a kernel only prefill runs (ssmc_k0) leaves that to its exit.
// A second run of the pass (the second RUN line) adds nothing twice.
// CHECK-LABEL: gpu.func @ssmc_k0(
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NOT: nvvm.griddepcontrol
// CHECK-LABEL: gpu.func @ssmc_k1(
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NOT: nvvm.griddepcontrol
// CHECK-LABEL: gpu.func @ssmc_k2(
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NOT: nvvm.griddepcontrol
// CHECK-LABEL: gpu.func @ssmc_round_bf16(
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NOT: nvvm.griddepcontrol

// OFF-NOT: griddepcontrol

// The wait comes before the kernel's first load.
// PTX-LABEL: .visible .entry ssmc_k1(
// PTX-NOT: ld.global
// PTX: griddepcontrol.wait;
// PTX: griddepcontrol.launch_dependents;
// PTX: ld.global

func.func @prefill(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %v: tensor<?x32xf32>, %u: tensor<32xf32>) -> (tensor<?x?x64xf32>, tensor<?x32xf32>) {
  %y = ssm.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %z = ssm.rms_norm %v, %u {eps = 1.0e-5 : f32} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y, %z : tensor<?x?x64xf32>, tensor<?x32xf32>
}

func.func @decode(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %v: tensor<?x32xf32>, %u: tensor<32xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
  %y = ssm.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %z = ssm.rms_norm %v, %u {eps = 1.0e-5 : f32} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y, %z : tensor<?x64xf32>, tensor<?x32xf32>
}
