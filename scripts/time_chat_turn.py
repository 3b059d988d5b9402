#!/usr/bin/env python3
"""A chat turn's cost: after a prompt of --prompt-len tokens, the next
--turn-len tokens fed as one prefill continuing from the state
(ssmc_prefill_continue) against one decode step per token (what artifacts
without it need). Prints one JSON line per repeat (the first includes
building the plans) and checks that both end on the same logits.

usage: time_chat_turn.py MODEL.ssmc --runtime-lib LIB [--device cpu|cuda]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "test", "Integration"))
from ssmc_runtime_py import Runtime, Session  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--runtime-lib", required=True)
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto")
    p.add_argument("--prompt-len", type=int, default=256)
    p.add_argument("--turn-len", type=int, default=64)
    p.add_argument("--vocab", type=int, default=50277)
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args()
    sess = Session(Runtime(a.runtime_lib), a.model, 1, device=a.device, verify=False)
    gen = np.random.default_rng(1)
    prompt = gen.integers(0, a.vocab, size=(1, a.prompt_len)).astype(np.int32)
    turn = gen.integers(0, a.vocab, size=(1, a.turn_len)).astype(np.int32)
    for rep in range(a.repeat):
        sess.prefill(prompt)
        t = time.perf_counter()
        continued = sess.prefill(turn, continuing=True)[0, -1]  # returns after the logits copy
        t_continue = time.perf_counter() - t
        sess.prefill(prompt)
        t = time.perf_counter()
        for i in range(a.turn_len):
            stepped = sess.decode(turn[:, i])[0]
        t_decode = time.perf_counter() - t
        diff = float(np.linalg.norm(continued - stepped) / np.linalg.norm(stepped))
        print(json.dumps({"bench": "chat_turn", "model": a.model, "device": a.device,
                          "prompt_len": a.prompt_len, "turn_len": a.turn_len, "repeat": rep,
                          "continue_ms": t_continue * 1e3, "decode_steps_ms": t_decode * 1e3,
                          "logits_rel_diff": diff}))


if __name__ == "__main__":
    main()
