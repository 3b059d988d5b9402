#!/usr/bin/env python3
"""Per-token time of generation (ssmc_generate: sample, then decode) on an
artifact, one JSON line per (batch, sampler setting). Run it with
SSMC_HOST_SAMPLING=1 and without to compare host and device sampling:
the step time is (time of N new tokens - time of 1) / (N - 1).

usage: time_sampling.py MODEL.ssmc --runtime-lib LIB [--batches 1,16] [--tokens 64]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "..", "test", "Integration")]
from ssmc_runtime_py import Runtime, Session  # noqa: E402
from ssmc_generate_py import generate_with  # noqa: E402

SETTINGS = {"greedy": {"temperature": 0.0},
            "top-k 50, T 0.8": {"temperature": 0.8, "top_k": 50},
            "top-p 0.9, penalty 1.2": {"temperature": 1.0, "top_p": 0.9, "repetition_penalty": 1.2}}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--runtime-lib", required=True)
    p.add_argument("--batches", default="1,16")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--prompt-len", type=int, default=16)
    a = p.parse_args()
    rt = Runtime(a.runtime_lib)
    mode = "host" if os.environ.get("SSMC_HOST_SAMPLING") == "1" else "device"
    for batch in (int(b) for b in a.batches.split(",")):
        sess = Session(rt, a.model, batch, device="cuda", verify=False)  # regenerated weights
        prompt = np.random.default_rng(1).integers(0, 1000, size=(batch, a.prompt_len)).astype(np.int32)
        try:
            for name, s in SETTINGS.items():
                times = {}
                for n in (1, a.tokens):
                    best = float("inf")
                    for _ in range(3):
                        t = time.perf_counter()
                        generate_with(sess, prompt, n, s)
                        best = min(best, time.perf_counter() - t)
                    times[n] = best
                step = (times[a.tokens] - times[1]) / (a.tokens - 1)
                print(json.dumps({"bench": "generate_step", "model": a.model, "sampling": mode,
                                  "batch": batch, "setting": name, "ms_per_step": step * 1e3,
                                  "tokens_per_s": batch / step}), flush=True)
        finally:
            sess.close()


if __name__ == "__main__":
    main()
