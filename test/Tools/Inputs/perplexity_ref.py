#!/usr/bin/python3
"""Independent check of `ssmc-run --perplexity --json`.

Recomputes the numbers from the logits that `ssmc-run --dump-logits` writes for
each window (windows of at most CONTEXT tokens overlapping by one, each token
after the first scored once), with torch's log_softmax in float64 over the real
vocabulary, and compares them with the report (relative tolerance 1e-4).
Prints "perplexity ok" or exits non-zero with the differences.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--report", required=True, help="ssmc-run --perplexity --json output")
    ap.add_argument("--vocab", type=int, required=True, help="real vocabulary size")
    ap.add_argument("--context", type=int, required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--byte-text", help="a text file; ids are its bytes (byte tokenizer)")
    src.add_argument("--ids", help="a file of comma-separated ids")
    a = ap.parse_args()

    if a.byte_text:
        data = open(a.byte_text, "rb").read()
        ids = list(data)
    else:
        text = open(a.ids).read().replace(",", " ")
        ids = [int(t) for t in text.split()]

    nll, scored, windows = 0.0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        start = 0
        while start + 1 < len(ids):
            win = ids[start:start + a.context]
            npy = os.path.join(tmp, "w.npy")
            subprocess.run(["ssmc-run", a.model, "--tokens", ",".join(map(str, win)),
                            "--max-new-tokens", "0", "--dump-logits", npy], check=True)
            logits = torch.from_numpy(np.load(npy)).to(torch.float64)[0, :, :a.vocab]
            logp = torch.log_softmax(logits, dim=-1)
            target = torch.tensor(win[1:])
            nll -= logp[torch.arange(len(win) - 1), target].sum().item()
            scored += len(win) - 1
            windows += 1
            start += a.context - 1

    want = {"perplexity": math.exp(nll / scored),
            "bits_per_token": nll / scored / math.log(2),
            "nll_nats": nll}
    if a.byte_text:
        want["bits_per_byte"] = nll / math.log(2) / len(data)
    got = json.load(open(a.report))
    bad = []
    for key, value in want.items():
        if abs(got[key] - value) > 1e-4 * abs(value):
            bad.append(f"{key}: report {got[key]!r}, expected {value!r}")
    for key, value in {"tokens": len(ids), "scored_tokens": scored, "windows": windows}.items():
        if got[key] != value:
            bad.append(f"{key}: report {got[key]!r}, expected {value!r}")
    if bad:
        sys.exit("perplexity mismatch:\n  " + "\n  ".join(bad))
    print(f"perplexity ok ({windows} windows, {scored} scored tokens)")


if __name__ == "__main__":
    main()
