#!/usr/bin/env bash
# The main job, end to end: install, build, make a small random-weight Mamba
# checkpoint, compile it to an artifact, generate tokens with it, and compare
# its logits with the independent PyTorch reference.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
work=${SSMC_DEMO_DIR:-$build/demo}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
mkdir -p "$work"

echo "== 1. a random-weight Mamba checkpoint (d_model 256, 4 layers, vocab 1000)"
/usr/bin/python3 "$root/scripts/ref/make_checkpoint.py" --arch mamba --layout hf \
  --d-model 256 --n-layer 4 --vocab 1000 --seed 1 --out "$work/mamba-demo"

echo "== 2. compile"
"$build/bin/ssmc-compile" "$work/mamba-demo" -o "$work/mamba-demo.ssmc"

echo "== 3. generate"
"$build/bin/ssmc-run" "$work/mamba-demo.ssmc" --tokens 11,22,33,44 --max-new-tokens 8 \
  --dump-logits "$work/ssmc-logits.npy"

echo "== 4. compare with the PyTorch reference"
/usr/bin/python3 "$root/scripts/ref/run_ref.py" --model "$work/mamba-demo" \
  --tokens 11,22,33,44 --dump-logits "$work/ref-logits.npy"
/usr/bin/python3 "$root/scripts/ref/compare.py" "$work/ssmc-logits.npy" "$work/ref-logits.npy" --rtol-norm 1e-4
