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

echo "== unit tests (GoogleTest via ctest)"
ctest --test-dir "$build" --output-on-failure -j2

if [ -d "$root/test/Integration/ref" ]; then
  echo "== reference implementation self-tests"
  /usr/bin/python3 "$root/test/Integration/ref/test_reference.py"
fi
