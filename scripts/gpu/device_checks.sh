#!/usr/bin/env bash
# Everything the CUDA target is checked and timed with, in one device call
# (see docs/perf.md). Prepare here, then run there from the repository root:
#
#   here:   scripts/gpu/prepare_device_carry.sh          # builds .device-carry/
#   device: scripts/gpu/device_checks.sh [OUT_DIR]        # carry: [".device-carry"]
#
# Prints a short summary; the full logs go to OUT_DIR/device.log (OUT_DIR:
# default $OUT or /tmp), the benchmark JSON to OUT_DIR/bench.jsonl.
set -uo pipefail
out=${1:-${OUT:-/tmp}}
root=$(cd "$(dirname "$0")/../.." && pwd)
carry=$root/.device-carry
cd "$carry" && tar xJf libs.tar.xz || exit 1
export LD_LIBRARY_PATH=$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
log=$out/device.log
bench=$out/bench.jsonl
: > "$log"
: > "$bench"
note() { echo "$*" | tee -a "$log"; }
# Runs a command with its output appended to the log under a header.
logged() { echo "---- $*" >> "$log"; "$@" >> "$log" 2>&1; }

note "== device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
note "== glibc: $(ldd --version | head -1)"
ldd bin/ssmc-run lib/libssmc_runtime.so | grep "not found" | tee -a "$log"

# The ceilings every figure is measured against: a large device-to-device
# copy (bytes read + written) and a large fp32 matrix product (no TF32).
read -r bw gflops < <(python3 - <<'PY'
import torch
torch.backends.cuda.matmul.allow_tf32 = False
x = torch.empty(1 << 28, dtype=torch.float32, device="cuda"); y = torch.empty_like(x)
a = torch.randn(8192, 8192, device="cuda"); b = torch.randn(8192, 8192, device="cuda")
def best(f, n=10):
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    f(); torch.cuda.synchronize(); t = []
    for _ in range(n):
        s.record(); f(); e.record(); e.synchronize(); t.append(s.elapsed_time(e))
    return min(t) / 1e3
print(2 * x.numel() * 4 / best(lambda: y.copy_(x)) / 1e9, 2 * 8192**3 / best(lambda: a @ b) / 1e9)
PY
)
note "== ceilings: copy ${bw} GB/s (read + write), fp32 GEMM ${gflops} GFLOP/s"

note "== cuda backend unit tests"
bin/cuda-backend-tests > /tmp/unit.log 2>&1
cat /tmp/unit.log >> "$log"
grep -E '^\[  (PASSED|FAILED) ' /tmp/unit.log | head -20

note "== models vs the float64 reference (cuda)"
SSMC_CUDA_SYNC=1 python3 "$root/scripts/gpu/check_models.py" run --dir models \
  --runtime-lib lib/libssmc_runtime.so > /tmp/models.log 2>&1
tail -8 /tmp/models.log | tee -a "$log"

note "== compute-sanitizer (memcheck, racecheck) on a small model's prefill + decode"
for tool in memcheck racecheck; do
  for model in mamba_hf_f32 mamba2_hf_groups; do
    compute-sanitizer --tool $tool --error-exitcode 9 bin/ssmc-run models/$model.ssmc \
      --device cuda --tokens 5,6,7,8,9,10,11 --max-new-tokens 4 > /tmp/san.log 2>&1
    note "$tool ($model): exit $? $(grep -E 'ERROR SUMMARY' /tmp/san.log)"
    head -60 /tmp/san.log >> "$log"
  done
done

# torch versions differ in the last bits of some derived weights (dt bias),
# so the regenerated files miss the checksums: timing does not depend on
# the values, hence --no-verify.
note "== 130m-size models (random weights regenerated here; external weights)"
for spec in "m130:--arch mamba" "m2-130:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256"; do
  name=${spec%%:*}
  python3 "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 768 --n-layer 24 \
    --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-bench/$name > /dev/null
  for shape in "1 2048" "8 2048"; do
    set -- $shape
    timeout 240 bin/ssmc-bench bench/$name.ssmc --device cuda --batch $1 --prompt-len $2 \
      --decode-tokens 64 --warmup 1 --repeat 3 --no-verify --bandwidth-gbs "$bw" \
      > /tmp/bench.json 2> /tmp/bench.err
    cat /tmp/bench.json >> "$bench"
    note "$name b$1 L$2: $(python3 -c 'import json,sys
for l in sys.stdin:
    j = json.loads(l)
    t = j.get("time_ms") or j.get("time_ms_per_step")
    f = " (%.0f%% of floor)" % (100 * j["fraction_of_floor"]) if "fraction_of_floor" in j else ""
    print(j["bench"], "%.3f ms" % t["median"], "%.1f tok/s%s" % (j["tokens_per_s"], f), end="; ")' < /tmp/bench.json) $(tail -2 /tmp/bench.err)"
  done
  # Where the time goes: every step alone, grouped; the top of each phase.
  bin/ssmc-bench bench/$name.ssmc --device cuda --kernels --batch 1 --prompt-len 2048 --repeat 3 \
    --no-verify --bandwidth-gbs "$bw" --peak-gflops "$gflops" > /tmp/kernels.txt 2>&1
  cat /tmp/kernels.txt >> "$log"
  bin/ssmc-bench bench/$name.ssmc --device cuda --kernels --batch 1 --prompt-len 2048 --repeat 3 \
    --no-verify --bandwidth-gbs "$bw" --peak-gflops "$gflops" --json >> "$bench" 2>&1
  grep -A6 -E "^(prefill|decode) " /tmp/kernels.txt
done
