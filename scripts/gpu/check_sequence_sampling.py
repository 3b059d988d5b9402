#!/usr/bin/env python3
"""Device check of per-sequence sampling settings (ssmc_sampler_set_sequence_params):
a batch whose sequences have their own top-k, top-p and min-p (one temperature
and penalty) and one whose temperatures and penalties differ, both sampled on
the device, must emit the same tokens as with SSMC_HOST_SAMPLING=1, where every
row is copied and sampled on the host. Runs itself once per mode and compares.

usage: check_sequence_sampling.py MODEL.ssmc --runtime-lib LIB [--steps 24]
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "..", "test", "Integration")]
from ssmc_runtime_py import Runtime, Session  # noqa: E402
from ssmc_generate_py import SamplerParams, _bind  # noqa: E402

# Per sequence: (temperature, top_k, top_p, min_p, repetition_penalty).
CASES = {
    "shared temperature": [(0.8, 5, 1.0, 0.0, 1.2), (0.8, 0, 0.7, 0.0, 1.2),
                           (0.8, 0, 1.0, 0.1, 1.2), (0.8, 40, 0.95, 0.02, 1.2)],
    "own temperatures": [(0.0, 0, 1.0, 0.0, 1.0), (0.7, 0, 0.9, 0.0, 1.0),
                         (1.2, 20, 1.0, 0.0, 1.3), (1.0, 0, 1.0, 0.05, 1.0)],
}


def run(model, lib_path, steps, device):
    """{case: tokens [steps][batch]} in this process's sampling mode."""
    rt = Runtime(lib_path)
    lib = rt.lib
    _bind(lib)
    vp, i32p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)
    lib.ssmc_sampler_set_sequence_params.argtypes = [vp, ctypes.c_int64, ctypes.POINTER(SamplerParams)]
    result = {}
    for name, rows in CASES.items():
        batch = len(rows)
        sess = Session(rt, model, batch, device=device, verify=False)
        try:
            prompt = np.random.default_rng(3).integers(0, 50, size=(batch, 12)).astype(np.int32)
            rt.check(lib.ssmc_prefill(sess.session, prompt.ctypes.data_as(i32p), prompt.shape[1]))
            p = SamplerParams()
            lib.ssmc_sampler_params_init(ctypes.byref(p))
            p.seed = 17
            sampler = vp()
            rt.check(lib.ssmc_sampler_create(ctypes.byref(p), batch, ctypes.byref(sampler)))
            for b, (t, k, top_p, min_p, pen) in enumerate(rows):
                q = SamplerParams()
                lib.ssmc_sampler_params_init(ctypes.byref(q))
                q.temperature, q.top_k, q.top_p, q.min_p, q.repetition_penalty = t, k, top_p, min_p, pen
                rt.check(lib.ssmc_sampler_set_sequence_params(sampler, b, ctypes.byref(q)))
            rt.check(lib.ssmc_sampler_observe(sampler, prompt.ctypes.data_as(i32p), prompt.shape[1]))
            tokens = []
            ids = np.empty(batch, dtype=np.int32)
            start = time.perf_counter()
            for _ in range(steps):
                rt.check(lib.ssmc_sample(sampler, sess.session, ids.ctypes.data_as(i32p)))
                tokens.append(ids.tolist())
                rt.check(lib.ssmc_decode(sess.session, ids.ctypes.data_as(i32p)))
            seconds = time.perf_counter() - start
            lib.ssmc_sampler_free(sampler)
            result[name] = {"tokens": tokens, "ms_per_step": seconds * 1e3 / steps}
        finally:
            sess.close()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--runtime-lib", required=True)
    p.add_argument("--steps", type=int, default=24)
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu (both modes then sample on the host)")
    p.add_argument("--one-mode", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one_mode:
        print(json.dumps(run(a.model, a.runtime_lib, a.steps, a.device)))
        return
    modes = {}
    for mode in ("0", "1"):
        env = dict(os.environ, SSMC_HOST_SAMPLING=mode)
        out = subprocess.run([sys.executable, __file__, a.model, "--runtime-lib", a.runtime_lib,
                              "--steps", str(a.steps), "--device", a.device, "--one-mode"],
                             env=env, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"SSMC_HOST_SAMPLING={mode}: exit {out.returncode}\n{out.stderr}")
        modes[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    failed = 0
    for name in CASES:
        device, host = modes["0"][name]["tokens"], modes["1"][name]["tokens"]
        same = device == host
        distinct = len({t for step in device for t in step})
        print(f"per-sequence sampling, {name}: {'same tokens' if same else 'DIFFERENT tokens'} "
              f"on the device path and the host path ({a.steps} steps, {distinct} distinct ids; "
              f"sample + decode {modes['0'][name]['ms_per_step']:.3f} ms a step on the device "
              f"path, {modes['1'][name]['ms_per_step']:.3f} on the host path, first step included)")
        failed += not same or distinct < 2
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
