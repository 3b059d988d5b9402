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
# The PTX is the first object's `assembly` string; MLIR escapes bytes as \XX.
/usr/bin/python3 - "$tmp/out.mlir" "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'assembly = "((?:[^"\\]|\\[0-9A-Fa-f]{2})*)"', text)
if not m:
    sys.exit("make_gemv_ptx: no PTX in the lowered module")
ptx = re.sub(r'\\([0-9A-Fa-f]{2})', lambda h: chr(int(h.group(1), 16)), m.group(1))
open(sys.argv[2], "w").write(ptx)
PY
echo "$out"
