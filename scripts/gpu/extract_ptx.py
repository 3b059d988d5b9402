#!/usr/bin/env python3
"""Writes the PTX of a module lowered by gpu-lower-to-nvvm-pipeline
(cubin-format=isa): its first object's `assembly` string, in which MLIR
escapes bytes as \\XX.

usage: extract_ptx.py LOWERED.mlir OUT.ptx
"""
import re
import sys

text = open(sys.argv[1]).read()
m = re.search(r'assembly = "((?:[^"\\]|\\[0-9A-Fa-f]{2})*)"', text)
if not m:
    sys.exit(f"extract_ptx: no PTX in {sys.argv[1]}")
ptx = re.sub(r'\\([0-9A-Fa-f]{2})', lambda h: chr(int(h.group(1), 16)), m.group(1))
open(sys.argv[2], "w").write(ptx)
