#!/usr/bin/env bash
# Everything the CUDA target is checked and timed with, in one device call
# (see docs/perf.md). Prepare here, then run there from the repository root:
#
#   here:   scripts/gpu/prepare_device_carry.sh          # builds .device-carry/
#   device: scripts/gpu/device_checks.sh [OUT_DIR]        # carry: [".device-carry"]
#
#   device: scripts/gpu/device_checks.sh OUT_DIR unit models ...  # some sections
#
# Sections: unit, models, sanitizer, continuous (batch slots against each
# prompt alone), bench, scan and ssd (chunk lengths), sampling
# (host vs device sampling in generation), chat (a continuing prefill), big
# (1.4b-size models: SSMC_CARRY_BIG=1 when preparing), gemv-kernels (the
# skinny-GEMM kernels alone, by loads per warp), gemv (decode with
# the skinny-GEMM kernels against cuBLASLt, with the 1.4b models when
# carried), gemm-bf16 (bf16 GEMMs against TF32, with the 1.4b models when
# carried), pdl (programmatic dependent launch on and off), fused (the
# decode step's fused norm + in_proj + conv on and off), breakdown
# (`--kernels` at prefill b8 and decode b64), tail (continuous batching's
# last steps on fewer rows) and ncu
# (Nsight Compute, see below); all but big, gemv-kernels, gemv, gemm-bf16, pdl, fused,
# breakdown, tail and ncu by default. Prints a short summary; the full logs go to OUT_DIR/device.log
# (OUT_DIR: default $OUT or /tmp), the benchmark JSON to OUT_DIR/bench.jsonl.
set -uo pipefail
out=${1:-${OUT:-/tmp}}
shift || true
sections=" ${*:-unit models sanitizer continuous bench scan ssd sampling chat} "
want() { [[ $sections == *" $1 "* ]]; }
root=$(cd "$(dirname "$0")/../.." && pwd)
carry=$root/.device-carry
cd "$carry" && tar xJf libs.tar.xz && tar xJf artifacts.tar.xz || exit 1
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

if want unit; then
note "== cuda backend unit tests"
# The skinny-GEMM tests take their kernels from a compiled artifact.
SSMC_TEST_CUDA_ARTIFACT=models/mamba_hf_f32.ssmc \
  SSMC_TEST_CUDA_BF16_ARTIFACT=models/mamba_multichunk+gemm-bf16.ssmc \
  bin/cuda-backend-tests > /tmp/unit.log 2>&1
cat /tmp/unit.log >> "$log"
grep -E '^\[  (PASSED|FAILED) ' /tmp/unit.log | head -20
fi

if want models; then
note "== models vs the float64 reference (cuda)"
SSMC_CUDA_SYNC=1 python3 "$root/scripts/gpu/check_models.py" run --dir models \
  --runtime-lib lib/libssmc_runtime.so > /tmp/models.log 2>&1
tail -30 /tmp/models.log | tee -a "$log"
fi

if want sanitizer; then
note "== compute-sanitizer (memcheck, racecheck) on a small model's prefill + decode"
for tool in memcheck racecheck; do
  for model in mamba_hf_f32 mamba2_hf_groups mamba2_hf_groups+ssd32 mamba2_hf_groups+seq \
    mamba_wide_batch+gemm-bf16; do
    compute-sanitizer --tool $tool --error-exitcode 9 bin/ssmc-run models/$model.ssmc \
      --device cuda --tokens 5,6,7,8,9,10,11 --max-new-tokens 4 > /tmp/san.log 2>&1
    note "$tool ($model): exit $? $(grep -E 'ERROR SUMMARY' /tmp/san.log)"
    head -60 /tmp/san.log >> "$log"
  done
done
fi

# Continuous batching on the GPU: prompts of different lengths and budgets
# through --batch-file with 2 slots (slots refill, and the batch then
# decodes only its first rows: ssmc_decode_rows) give each prompt's tokens
# alone, greedy and sampled. f32 GEMMs only: with TF32 or bf16 GEMMs the
# product's rounding depends on its row count, and so may the tokens.
if want continuous; then
  note "== continuous batching (cuda): --batch-file with 3 slots against each prompt alone"
  # Slot 0 runs the first, fourth and fifth prompts; when the fifth ends no
  # prompt waits, so the third moves down from slot 2 into slot 0 (state
  # and sampler row copied on the device) and the last steps decode 2 rows,
  # then 1.
  printf '%s\n' '{"tokens": [8], "max_new_tokens": 2}' '{"tokens": [5, 6, 7], "max_new_tokens": 12}' \
    '{"tokens": [13, 14], "max_new_tokens": 16}' '{"tokens": [9, 10, 11, 12], "max_new_tokens": 3}' \
    '{"tokens": [15, 16], "max_new_tokens": 2}' > /tmp/requests.jsonl
  for model in mamba_hf_f32 mamba2_hf_groups mamba_wide_batch; do
    for temp in 0 0.8; do
      : > /tmp/alone
      i=0
      while read -r line; do
        ids=$(echo "$line" | sed 's/.*"tokens": \[\([0-9, ]*\)\].*/\1/; s/ //g')
        n=$(echo "$line" | sed 's/.*"max_new_tokens": \([0-9]*\).*/\1/')
        bin/ssmc-run models/$model.ssmc --device cuda --tokens "$ids" --max-new-tokens "$n" \
          --temperature $temp --seed $((4 + i)) >> /tmp/alone 2>> "$log"
        i=$((i + 1))
      done < /tmp/requests.jsonl
      bin/ssmc-run models/$model.ssmc --device cuda --batch-file /tmp/requests.jsonl \
        --temperature $temp --seed 4 --max-batch 3 > /tmp/slots 2>> "$log"
      if diff /tmp/alone /tmp/slots >> "$log"; then
        note "$model temperature $temp: same tokens"
      else
        note "$model temperature $temp: DIFFERENT tokens (diff in device.log)"
      fi
    done
  done
fi

# The skinny-GEMM kernels alone, one build per loads-per-warp P
# (prepare_device_carry.sh builds gemv/pP.ptx): checked against float64,
# then timed at the decode products of the 130m and 1.4b-size models.
if want gemv-kernels; then
  note "== skinny-GEMM kernels by loads per warp (scripts/gpu/bench_gemv.py)"
  builds=()
  for f in gemv/p*.ptx; do
    p=${f#gemv/p}
    builds+=("p${p%.ptx}=$f:${p%.ptx}")
  done
  python3 "$root/scripts/gpu/bench_gemv.py" "${builds[@]}" --rows 1,2,4 --out "$bench" 2>&1 |
    grep -v '^{' | tee -a "$log"
fi

# torch versions differ in the last bits of some derived weights (dt bias),
# so the regenerated files miss the checksums: timing does not depend on
# the values, hence --no-verify.
want bench || want scan || want ssd || want ncu || want sampling || want chat || want big ||
  want gemv || want gemm-bf16 || want pdl || want fused || want breakdown || want tail || exit 0
note "== 130m-size models (random weights regenerated here; external weights)"
for spec in "m130:--arch mamba" "m2-130:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256" \
  "m130-bf16:--arch mamba --dtype bf16 --fp32-ssm-params"; do
  python3 "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 768 --n-layer 24 \
    --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-bench/${spec%%:*} > /dev/null
done

# One ssmc-bench run at BATCH x LENGTH (default 2048), summarized in one line.
bench_line() {
  local artifact=$1 batch=$2 length=${3:-2048}
  timeout 240 bin/ssmc-bench bench/$artifact.ssmc --device cuda --batch $batch --prompt-len $length \
    --decode-tokens 64 --warmup 1 --repeat 3 --no-verify --bandwidth-gbs "$bw" \
    > /tmp/bench.json 2> /tmp/bench.err
  cat /tmp/bench.json >> "$bench"
  note "$artifact b$batch L$length: $(python3 -c 'import json,sys
for l in sys.stdin:
    j = json.loads(l)
    t = j.get("time_ms") or j.get("time_ms_per_step")
    f = " (%.0f%% of floor)" % (100 * j["fraction_of_floor"]) if "fraction_of_floor" in j else ""
    print(j["bench"], "%.3f ms" % t["median"], "%.1f tok/s%s" % (j["tokens_per_s"], f), end="; ")' < /tmp/bench.json) $(tail -2 /tmp/bench.err)"
}

# Where the time goes: every step alone, grouped; the top of each phase.
kernels() {
  local artifact=$1
  bin/ssmc-bench bench/$artifact.ssmc --device cuda --kernels --batch 1 --prompt-len 2048 --repeat 3 \
    --no-verify --bandwidth-gbs "$bw" --peak-gflops "$gflops" > /tmp/kernels.txt 2>&1
  cat /tmp/kernels.txt >> "$log"
  bin/ssmc-bench bench/$artifact.ssmc --device cuda --kernels --batch 1 --prompt-len 2048 --repeat 3 \
    --no-verify --bandwidth-gbs "$bw" --peak-gflops "$gflops" --json >> "$bench" 2>&1
  grep -A6 -E "^(prefill|decode) " /tmp/kernels.txt
}

# One phase of `--kernels`: ARTIFACT LENGTH PHASE LINES (of its table) [BATCH, default 1].
kernel_table() {
  note "-- $1 --kernels, batch ${5:-1}, prompt $2"
  bin/ssmc-bench bench/$1.ssmc --device cuda --kernels --batch ${5:-1} --prompt-len $2 --repeat 3 \
    --no-verify --bandwidth-gbs "$bw" --peak-gflops "$gflops" > /tmp/kernels.txt 2>&1
  cat /tmp/kernels.txt >> "$log"
  grep -A$4 -E "^$3 " /tmp/kernels.txt
}

if want bench; then
  for name in m130 m2-130; do
    bench_line $name 1
    bench_line $name 8
    kernels $name
  done
  note "== the same with TF32 GEMMs (--cuda-gemm-math tf32)"
  for name in m130-tf32 m2-130-tf32; do
    bench_line $name 1
    bench_line $name 8
  done
fi

# 1.4b-size models: prefill b1 and b8 x 2048, decode at b1 and b64 (after a
# 128-token prompt: an SSM's decode step does not depend on the context).
big_models() {
  [ -f bench/m1400.ssmc ] && return 0
  tar xJf big.tar.xz -C bench --strip-components 1 || return 1
  for spec in "m1400:--arch mamba" "m2-1300:--arch mamba2 --d-state 128 --headdim 64 --chunk-size 256" \
    "m1400-bf16:--arch mamba --dtype bf16 --fp32-ssm-params"; do
    python3 "$root/scripts/ref/make_checkpoint.py" ${spec#*:} --layout hf --d-model 2048 --n-layer 48 \
      --vocab 50277 --pad-multiple 8 --seed 3 --out /tmp/ssmc-big/${spec%%:*} > /dev/null
  done
}
if want big; then
  note "== 1.4b-size models (2048 x 48, random weights regenerated here; external weights)"
  big_models || exit 1
  for name in m1400 m1400-tf32 m2-1300 m2-1300-tf32; do
    bench_line $name 1
    bench_line $name 8
    bench_line $name 64 128
  done
  note "== 130m decode at b64"
  for name in m130 m130-tf32 m2-130 m2-130-tf32; do
    bench_line $name 64 128
  done
  kernels m1400-tf32
fi

# Decode through the skinny-GEMM kernels (default) and through cuBLASLt
# (SSMC_CUDA_GEMV=0) at batches 1, 2 and 4, then where decode's time goes at b1.
if want gemv; then
  note "== decode: skinny-GEMM kernels (gemv=1) against cuBLASLt (gemv=0)"
  names="m130 m130-bf16 m2-130 m130-tf32"
  [ -f big.tar.xz ] && big_models && names="$names m1400 m1400-bf16 m2-1300 m1400-tf32"
  for name in $names; do
    for batch in 1 2 4; do
      for mode in 0 1; do
        export SSMC_CUDA_GEMV=$mode
        note "gemv=$mode"
        bench_line $name $batch 128
      done
    done
  done
  unset SSMC_CUDA_GEMV
  for name in m130 m130-bf16 m1400 m1400-bf16; do
    [ -f bench/$name.ssmc ] && kernel_table $name 128 decode 12
  done
fi

# bf16 GEMMs against TF32: prefill b1 and b8 x 2048, decode at b1 and b64,
# then where the 1.4b prefill's time goes.
if want gemm-bf16; then
  note "== GEMMs in bf16 (--cuda-gemm-math bf16) against TF32"
  names="m130 m2-130"
  [ -f big.tar.xz ] && big_models && names="$names m1400 m2-1300"
  for name in $names; do
    for variant in $name-tf32 $name-gemm-bf16; do
      bench_line $variant 1
      bench_line $variant 8
      bench_line $variant 1 128
      bench_line $variant 64 128
    done
  done
  if [ -f bench/m1400-bf16-gemm-bf16.ssmc ]; then
    bench_line m1400-bf16-gemm-bf16 1
    bench_line m1400-bf16-gemm-bf16 1 128
    bench_line m1400-bf16-gemm-bf16 64 128
  fi
  for name in m130-gemm-bf16 m1400-tf32 m1400-gemm-bf16; do
    [ -f bench/$name.ssmc ] && kernel_table $name 2048 prefill 8
  done
fi

# An A/B of environment variable $1 (0, then 1) over the artifacts $2 in
# two rounds; `$3 ARTIFACT ROUND` runs the bench_lines of each.
ab_rounds() {
  local var=$1 names=$2 lines=$3
  for round in 1 2; do
    for name in $names; do
      for mode in 0 1; do
        export "$var=$mode"
        note "round $round $var=$mode"
        $lines "$name" $round
      done
    done
  done
  unset "$var"
}
# The 130m-size artifacts of the A/B sections, and the 1.4b-size ones when carried.
ab_names() {
  local names="m130-bf16 m130-gemm-bf16 m2-130-gemm-bf16"
  [ -f big.tar.xz ] && big_models && names="$names m1400-bf16-gemm-bf16 m2-1300-gemm-bf16"
  echo "$names"
}

# Kernels launched to overlap the end of the one before them (programmatic
# dependent launch, the default on sm_90) against ordinary launches
# (SSMC_CUDA_PDL=0): decode at b1 and b64 in two rounds, prefill b1.
if want pdl; then
  note "== programmatic dependent launch (pdl=1) against ordinary launches (pdl=0)"
  pdl_lines() { bench_line $1 1 128; bench_line $1 64 128; [ $2 = 1 ] && bench_line $1 1; }
  ab_rounds SSMC_CUDA_PDL "$(ab_names)" pdl_lines
fi

# The decode step's norm, in_proj and conv as one kernel
# (SSMC_CUDA_FUSED_GEMV=1, the default) against the three steps (0), same
# artifacts.
if want fused; then
  note "== models vs the float64 reference with the fused kernels (SSMC_CUDA_FUSED_GEMV=1)"
  SSMC_CUDA_FUSED_GEMV=1 SSMC_CUDA_SYNC=1 python3 "$root/scripts/gpu/check_models.py" run \
    --dir models --runtime-lib lib/libssmc_runtime.so > /tmp/models.log 2>&1
  tail -3 /tmp/models.log | tee -a "$log"
  for tool in memcheck racecheck; do
    SSMC_CUDA_FUSED_GEMV=1 compute-sanitizer --tool $tool --error-exitcode 9 bin/ssmc-run \
      models/mamba_hf_f32.ssmc --device cuda --tokens 5,6,7,8,9,10,11 --max-new-tokens 4 \
      > /tmp/san.log 2>&1
    note "$tool (mamba_hf_f32, fused): exit $? $(grep -E 'ERROR SUMMARY' /tmp/san.log)"
  done
  note "== fused norm + in_proj + conv (fused=1) against separate steps (fused=0)"
  fused_lines() { bench_line $1 1 128; }
  ab_rounds SSMC_CUDA_FUSED_GEMV "$(ab_names)" fused_lines
  # f32 weights and exact GEMMs: the kernels of 2 and 4 rows too.
  f32_lines() { bench_line $1 1 128; bench_line $1 4 128; }
  ab_rounds SSMC_CUDA_FUSED_GEMV "m130 $([ -f big.tar.xz ] && echo m1400)" f32_lines
  [ -f big.tar.xz ] && kernel_table m1400-bf16-gemm-bf16 128 decode 12 1
fi

# Where the time goes at the larger batches: prefill b8 x 2048 and decode b64.
if want breakdown; then
  names="m130-gemm-bf16 m2-130-gemm-bf16"
  [ -f big.tar.xz ] && big_models && names="$names m1400-gemm-bf16 m2-1300-gemm-bf16"
  for name in $names; do
    kernel_table $name 2048 prefill 10 8
    kernel_table $name 128 decode 10 64
  done
fi

# The scans' tilings (prepare_device_carry.sh's variants) at batch 1 and 8.
tilings() {
  for f in bench/$1.ssmc bench/$1-$2*.ssmc; do
    artifact=$(basename "$f" .ssmc)
    bench_line $artifact 1
    bench_line $artifact 8
    kernels $artifact | grep -A3 "^prefill "
  done
}
if want scan; then
  note "== Mamba 130m, the scan's chunk length and unrolling (default: m130)"
  tilings m130 scan
fi
if want ssd; then
  note "== Mamba-2 130m, the SSD's chunk length, math and form (default: m2-130)"
  tilings m2-130 ssd
  if [ -f big.tar.xz ] && big_models; then
    note "== Mamba-2 1.3b, the SSD chunked or sequential at every batch"
    for name in m2-1300-gemm-bf16-chunked m2-1300-gemm-bf16-seq; do
      bench_line $name 1
      bench_line $name 8
    done
  fi
fi

# One line of an ssmc-run --json report's timings.
tail_summary() {
  python3 -c 'import json, sys
t = json.load(sys.stdin)["timings"]
print("decode_ms %.1f over %d tokens (%.0f tok/s), %d rows, %d moves" % (t["decode_ms"],
      t["decode_tokens"], t["decode_tokens_per_s"], t["decode_rows"], t["moves"]))'
}
# The tail of a continuous batch: 8 slots, one request of 256 new tokens
# among seven of 8. First in the file, it ends alone in slot 0 and the
# tail decodes 1 row (ssmc_decode_rows); last, it starts in slot 7 and
# moves down to slot 0 once the others end. Then 32 slots whose requests
# end one after another, lowest slot first or highest first. Sample +
# decode time over all steps.
if want tail; then
  note "== the tail of a continuous batch (Mamba 130m, 8 slots): long request in slot 0 or 7"
  long='{"tokens": [1, 2, 3, 4], "max_new_tokens": 256}' short='{"tokens": [5, 6, 7], "max_new_tokens": 8}'
  { echo "$long"; for i in 1 2 3 4 5 6 7; do echo "$short"; done; } > /tmp/first.jsonl
  { for i in 1 2 3 4 5 6 7; do echo "$short"; done; echo "$long"; } > /tmp/last.jsonl
  for round in 1 2 3; do
    for order in first last; do
      bin/ssmc-run bench/m130.ssmc --device cuda --no-verify --batch-file /tmp/$order.jsonl \
        --max-batch 8 --temperature 0 --json > /tmp/tail.json 2>> "$log"
      note "long request $order: $(tail_summary < /tmp/tail.json)"
    done
  done
  note "== 32 slots ending one after another (Mamba 130m): request i makes 4 + 8 i tokens"
  for i in $(seq 0 31); do echo "{\"tokens\": [$((i + 1)), 2], \"max_new_tokens\": $((4 + 8 * i))}"; done \
    > /tmp/rising.jsonl
  tac /tmp/rising.jsonl > /tmp/falling.jsonl
  for round in 1 2; do
    for order in rising falling; do
      bin/ssmc-run bench/m130.ssmc --device cuda --no-verify --batch-file /tmp/$order.jsonl \
        --max-batch 32 --json > /tmp/tail.json 2>> "$log"
      note "$order lengths: $(tail_summary < /tmp/tail.json)"
    done
  done
fi

# Generation steps with host and device sampling (scripts/gpu/time_sampling.py),
# and per-sequence settings on both paths (check_sequence_sampling.py).
if want sampling; then
  note "== Mamba 130m generation steps, host vs device sampling"
  for mode in 1 0; do
    SSMC_HOST_SAMPLING=$mode python3 "$root/scripts/gpu/time_sampling.py" bench/m130.ssmc \
      --runtime-lib lib/libssmc_runtime.so --batches 1,16 > /tmp/sampling.json 2>&1
    cat /tmp/sampling.json >> "$bench"
    python3 -c 'import json,sys
for l in sys.stdin:
    try: j = json.loads(l)
    except ValueError: print(l.rstrip()); continue
    print("%s b%d %-24s %.3f ms/step" % (j["sampling"], j["batch"], j["setting"], j["ms_per_step"]))' \
      < /tmp/sampling.json | tee -a "$log"
  done
  python3 "$root/scripts/gpu/check_sequence_sampling.py" bench/m130.ssmc \
    --runtime-lib lib/libssmc_runtime.so 2>&1 | tee -a "$log"
fi

# A chat turn: continuing prefill against decode steps (scripts/time_chat_turn.py).
if want chat; then
  note "== Mamba 130m, a 64-token turn after a 256-token prompt"
  python3 "$root/scripts/time_chat_turn.py" bench/m130.ssmc --runtime-lib lib/libssmc_runtime.so \
    --device cuda --repeat 3 > /tmp/chat.json 2>&1
  cat /tmp/chat.json >> "$bench"
  tee -a "$log" < /tmp/chat.json
fi

# Nsight Compute on one prefill (NCU_BATCH x NCU_LENGTH, default 1 x 2048)
# and NCU_DECODE decode steps (default 1) of NCU_ARTIFACT (default m2-130;
# a 1.4b-size one too), kernels matching NCU_KERNELS (a regex; default the
# SSD stages), the first NCU_COUNT (default 3) launches.
if want ncu; then
  artifact=${NCU_ARTIFACT:-m2-130}
  [ -f bench/$artifact.ssmc ] || big_models || exit 1
  note "== ncu: $artifact, kernels /${NCU_KERNELS:-ssmc_k3_}/, batch ${NCU_BATCH:-1}"
  ncu --kernel-name "regex:${NCU_KERNELS:-ssmc_k3_}" --launch-count ${NCU_COUNT:-3} \
    --section SpeedOfLight --section LaunchStats --section Occupancy \
    --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats \
    bin/ssmc-bench bench/$artifact.ssmc --device cuda --batch ${NCU_BATCH:-1} \
    --prompt-len ${NCU_LENGTH:-2048} --decode-tokens ${NCU_DECODE:-1} --warmup 0 --repeat 1 \
    --no-verify > "$out/ncu.txt" 2>&1
  note "ncu exit $? (report: ncu.txt)"
  grep -E "ssmc_k|Duration|Registers Per|Achieved Occupancy|Theoretical Occupancy|Grid Size|Block Size|Memory Throughput|Compute \(SM\)|Stall|Issued Warp|No Eligible|L1/TEX Hit|L2 Hit" "$out/ncu.txt" | head -80
fi
