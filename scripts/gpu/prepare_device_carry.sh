#!/usr/bin/env bash
# Fills .device-carry/ (git-ignored) with what scripts/gpu/device_checks.sh
# runs on the device machine, which has no MLIR: the runtime build and its
# non-system libraries (xz-packed), the model-check artifacts, and 130m-size
# artifacts whose weights stay external (the device regenerates the same
# random checkpoints at the same paths).
#   prepare_device_carry.sh [BUILD_DIR]
# With SSMC_CARRY_BIG=1 also 1.4b-size artifacts (Mamba 2048 x 48, Mamba-2
# 2048 x 48), packed into big.tar.xz: their 5.5 GB checkpoints are written
# to /tmp/ssmc-big here first (kept: an existing one is reused).
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
# m130-bf16: a bf16 checkpoint (SSM parameters in f32), stored as it is.
for spec in "m130:--arch mamba" "m2-130:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256" \
  "m130-bf16:--arch mamba --dtype bf16 --fp32-ssm-params"; do
  name=${spec%%:*}
  "$py" "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 768 --n-layer 24 \
    --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-bench/$name > /dev/null
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/$name --target cuda --external-weights --dtype auto \
    -o "$carry/bench/$name.ssmc" --quiet
done
# Variants of both (name: checkpoint, then flags): GEMMs on the tensor
# cores (TF32, bf16), the scans' chunk lengths, unrolling and SSD math.
variants=(
  "m130-tf32:m130 --cuda-gemm-math tf32"
  "m2-130-tf32:m2-130 --cuda-gemm-math tf32"
  "m130-gemm-bf16:m130 --cuda-gemm-math bf16"
  "m2-130-gemm-bf16:m2-130 --cuda-gemm-math bf16"
  "m130-scan64:m130 --cuda-scan-chunk 64"
  "m130-scan-u1:m130 --cuda-scan-unroll 1"
  "m130-scan-u2:m130 --cuda-scan-unroll 2"
  "m2-130-ssd128:m2-130 --cuda-ssd-chunk 128"
  "m2-130-ssd32:m2-130 --cuda-ssd-chunk 32"
  "m2-130-ssd-tf32:m2-130 --cuda-ssd-math tf32"
  "m2-130-ssd-scalar:m2-130 --cuda-ssd-math scalar"
  "m2-130-ssd-chunked:m2-130 --cuda-ssd-sequential-from 0"
  "m2-130-ssd-seq:m2-130 --cuda-ssd-sequential-from 1"
)
for v in "${variants[@]}"; do
  name=${v%%:*} rest=${v#*:}
  ckpt=${rest%% *} flags=${rest#* }
  "$build/bin/ssmc-compile" /tmp/ssmc-bench/$ckpt --target cuda --external-weights $flags \
    -o "$carry/bench/$name.ssmc" --quiet
done
if [[ ${SSMC_CARRY_BIG:-0} == 1 ]]; then
  mkdir -p "$carry/big"
  for spec in "m1400:--arch mamba" "m2-1300:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256" \
    "m1400-bf16:--arch mamba --dtype bf16 --fp32-ssm-params"; do
    name=${spec%%:*}
    [[ -f /tmp/ssmc-big/$name/config.json ]] ||
      "$py" "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 2048 --n-layer 48 \
        --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-big/$name > /dev/null
    for math in f32 tf32 bf16; do
      suffix=$(case $math in tf32) echo -tf32 ;; bf16) echo -gemm-bf16 ;; esac)
      [[ $name == *bf16 && $math == tf32 ]] && continue
      "$build/bin/ssmc-compile" /tmp/ssmc-big/$name --target cuda --external-weights --dtype auto \
        --cuda-gemm-math $math -o "$carry/big/$name$suffix.ssmc" --quiet
    done
  done
  # Mamba-2's SSD in either form at every batch.
  for from in 0:chunked 1:seq; do
    "$build/bin/ssmc-compile" /tmp/ssmc-big/m2-1300 --target cuda --external-weights \
      --cuda-gemm-math bf16 --cuda-ssd-sequential-from ${from%%:*} \
      -o "$carry/big/m2-1300-gemm-bf16-${from#*:}.ssmc" --quiet
  done
  (cd "$carry" && tar cJf big.tar.xz big && rm -rf big)
fi
# The skinny-GEMM kernels alone at several loads per warp (device_checks.sh
# gemv-kernels).
mkdir -p "$carry/gemv"
for p in 2 4 8; do
  "$root/scripts/gpu/make_gemv_ptx.sh" "$carry/gemv/p$p.ptx" $p "$build/bin/ssmc-opt" > /dev/null
done
# The artifacts pack to about a fifth (PTX and host code compress well).
(cd "$carry" && tar cJf artifacts.tar.xz models bench && rm -rf models bench)
du -sh "$carry"
# The device takes at most 64 MiB with the working tree: drop the bench
# variants a run does not need (e.g. m130-scan*, m2-130-ssd*) from the
# archive when over.
[[ $(du -sm "$carry" | cut -f1) -lt 60 ]] ||
  echo "note: $carry is over 60 MiB; remove what this run does not need" >&2
