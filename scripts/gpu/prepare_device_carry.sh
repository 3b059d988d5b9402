#!/usr/bin/env bash
# Fills .device-carry/ (git-ignored) with what scripts/gpu/device_checks.sh
# runs on the device machine, which has no MLIR: the runtime build and its
# non-system libraries (xz-packed), the model-check artifacts, and 130m-size
# artifacts whose weights stay external (the device regenerates the same
# random checkpoints at the same paths).
#   prepare_device_carry.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
carry=$root/.device-carry
py=/usr/bin/python3
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
rm -rf "$carry" && mkdir -p "$carry"/{lib,bin,bench}
cp "$build"/bin/ssmc-run "$build"/bin/ssmc-bench "$build"/bin/cuda-backend-tests "$carry/bin/"
cp "$build"/lib/libssmc_runtime.so "$carry/lib/"
for f in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
  cp -L "/lib/x86_64-linux-gnu/$f" "$carry/lib/"
done
strip "$carry"/bin/* "$carry"/lib/libssmc_runtime.so
(cd "$carry" && tar cJf libs.tar.xz lib && rm -rf lib)
"$py" "$root/scripts/gpu/check_models.py" prepare --ssmc-compile "$build/bin/ssmc-compile" --out "$carry/models"
for spec in "m130:--arch mamba" "m2-130:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256"; do
  name=${spec%%:*}
  "$py" "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 768 --n-layer 24 \
    --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-bench/$name > /dev/null
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/$name --target cuda --external-weights \
    -o "$carry/bench/$name.ssmc" --quiet
done
# Both with their GEMMs on the tensor cores (TF32).
for name in m130 m2-130; do
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/$name --target cuda --external-weights \
    --cuda-gemm-math tf32 -o "$carry/bench/$name-tf32.ssmc" --quiet
done
# Mamba with its scan in chunks of other lengths.
for q in 32 64 256; do
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/m130 --target cuda --external-weights \
    --cuda-scan-chunk $q -o "$carry/bench/m130-scan$q.ssmc" --quiet
done
# Mamba-2 with SSD in chunks on the GPU, one artifact per chunk length.
for q in 32 64 128 256; do
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/m2-130 --target cuda --external-weights \
    --cuda-ssd-chunk $q -o "$carry/bench/m2-130-ssd$q.ssmc" --quiet
done
du -sh "$carry"
