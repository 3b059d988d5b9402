#!/usr/bin/env bash
# Builds the PTX of the skinny-GEMM kernels (ssm-outline-gpu-kernels gemv=true)
# with P 16-byte loads per lane per warp, for bench_gemv.py.
#   make_gemv_ptx.sh OUT.ptx [P] [SSMC_OPT]
set -euo pipefail
out=${1:?output .ptx}
p=${2:-4}
root=$(cd "$(dirname "$0")/../.." && pwd)
opt=${3:-$root/build/bin/ssmc-opt}
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The kernels ride along with any kernel step; the host function is dropped.
"$opt" "$root/test/Passes/gpu/gemv-kernels.mlir" -ssm-outline-cpu-kernels \
  "-ssm-outline-gpu-kernels=gemv=true gemv-stretches-per-warp=$p" |
  sed '/func.func \(private \)\{0,1\}@\(head\|ssmc_k[0-9]*\)(/,/^  }$/d' |
  "$opt" --gpu-lower-to-nvvm-pipeline="cubin-format=isa cubin-chip=sm_90 cubin-features=+ptx80" > "$tmp/out.mlir"
/usr/bin/python3 "$(dirname "$0")/extract_ptx.py" "$tmp/out.mlir" "$out"
echo "$out"
