#!/bin/sh
# Fails if any given ELF file needs libMLIR/libLLVM (directly or through its
# dependencies): the runtime must stay free of the compiler's libraries.
status=0
for f in "$@"; do
  if [ ! -f "$f" ]; then echo "missing: $f"; status=1; continue; fi
  if readelf -d "$f" | grep -E 'NEEDED.*lib(MLIR|LLVM|clang)' ; then
    echo "FAIL: $f has a direct MLIR/LLVM dependency"; status=1
  fi
  if ldd "$f" | grep -E 'lib(MLIR|LLVM|clang)'; then
    echo "FAIL: $f pulls MLIR/LLVM in through its dependencies"; status=1
  fi
done
[ $status -eq 0 ] && echo "ok: no MLIR/LLVM in $*"
exit $status
