#!/usr/bin/env bash
# Builds the PTX of the Mamba-1 scan kernel (ssm-outline-gpu-kernels) for one
# state size N, for the device check in check_scan_kernel.py.
#   make_scan_ptx.sh N OUT.ptx [CHUNK] [DTYPE] [UNROLL] [ROW_LANES] [SSMC_OPT]
# CHUNK > 0 builds the chunked form (kernels _states, _carry, _outputs);
# DTYPE (f32, f16, bf16) is the activations' element type; UNROLL the steps
# per iteration of the time loop (default 1, as ssmc-compile); ROW_LANES 1
# spreads each row over lanes (check_scan_kernel.py --lanes 4).
set -euo pipefail
n=${1:?state size N}
out=${2:?output .ptx}
chunk=${3:-0}
t=${4:-f32}
unroll=${5:-1}
rowLanes=${6:-0}
opt=${7:-$(dirname "$0")/../../build/bin/ssmc-opt}
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One layer's scan: D skip, z gate, softplus(dt + bias), final state.
cat > "$tmp/scan.mlir" <<MLIR
func.func @scan(%u: tensor<?x?x?x${t}>, %dt: tensor<?x?x?x${t}>, %A: tensor<?x${n}xf32>, %B: tensor<?x?x?x${n}x${t}>, %C: tensor<?x?x?x${n}x${t}>, %D: tensor<?xf32>, %z: tensor<?x?x?x${t}>, %bias: tensor<?xf32>) -> (tensor<?x?x?x${t}>, tensor<?x?x${n}xf32>) {
  %y, %s = ssm.selective_scan %u, %dt, %A, %B, %C skip(%D) gate(%z) delta_bias(%bias) {delta_softplus} : (tensor<?x?x?x${t}>, tensor<?x?x?x${t}>, tensor<?x${n}xf32>, tensor<?x?x?x${n}x${t}>, tensor<?x?x?x${n}x${t}>, tensor<?xf32>, tensor<?x?x?x${t}>, tensor<?xf32>) -> (tensor<?x?x?x${t}>, tensor<?x?x${n}xf32>)
  return %y, %s : tensor<?x?x?x${t}>, tensor<?x?x${n}xf32>
}
MLIR
"$opt" "$tmp/scan.mlir" -ssm-outline-cpu-kernels "-ssm-outline-gpu-kernels=chunk-length=$chunk scan-unroll=$unroll scan-row-lanes=$rowLanes" |
  sed '/func.func \(private \)\{0,1\}@\(scan\|ssmc_k0\)(/,/^  }$/d' |
  "$opt" --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" > "$tmp/out.mlir"
/usr/bin/python3 "$(dirname "$0")/extract_ptx.py" "$tmp/out.mlir" "$out"
echo "$out"
