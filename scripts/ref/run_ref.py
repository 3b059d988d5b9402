#!/usr/bin/python3
"""Runs the reference model on a prompt and dumps float32 logits (and optionally states).

Examples:
  run_ref.py --model /tmp/m1 --tokens 1,2,3 --dump-logits ref.npy
  run_ref.py --model /tmp/m1 --batch-tokens "1,2,3;4,5,6" --dump-logits ref.npy \
      --dump-state ref_state.npz --decode-tokens "7,8;9,10" --dump-decode-logits dec.npy
Outputs:
  --dump-logits         prompt logits [b, L, V_padded]
  --dump-state          npz: conv_{i} [b, C, W], ssm_{i} after the prompt; with decode tokens
                        also decode_conv_{i}, decode_ssm_{i} after the last decode step
  --dump-decode-logits  [n_decode, b, V_padded], one row per decode step
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mamba_ref  # noqa: E402


def parse_rows(s):
    return [[int(t) for t in row.split(",") if t.strip()] for row in s.split(";") if row.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", required=True, help="checkpoint directory")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--tokens", help="one prompt: 1,2,3")
    g.add_argument("--batch-tokens", help='equal-length prompts: "1,2,3;4,5,6"')
    ap.add_argument("--decode-tokens", help="tokens fed one step at a time after the prompt: "
                    "'7,8' (same for every row) or '7,8;9,10' (one row per prompt)")
    ap.add_argument("--dump-logits", required=True)
    ap.add_argument("--dump-state")
    ap.add_argument("--dump-decode-logits")
    ap.add_argument("--float32", action="store_true", help="compute in float32 instead of float64")
    ap.add_argument("--ssd-chunk", type=int, default=0,
                    help="Mamba-2: use the SSD chunked scan with this chunk size")
    a = ap.parse_args(argv)

    rows = parse_rows(a.tokens if a.tokens is not None else a.batch_tokens)
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        ap.error("prompts must be non-empty and of equal length")
    model = mamba_ref.load(a.model, torch.float32 if a.float32 else torch.float64, a.ssd_chunk)
    tokens = torch.tensor(rows)
    if int(tokens.max()) >= model.vocab_padded or int(tokens.min()) < 0:
        ap.error(f"token ids must be in [0, {model.vocab_padded})")

    with torch.no_grad():
        logits, states = model.prefill(tokens)
        out_state = {}
        for i, st in enumerate(states):
            out_state[f"conv_{i}"] = st["conv"]
            out_state[f"ssm_{i}"] = st["ssm"]
        dec_logits = []
        if a.decode_tokens:
            drows = parse_rows(a.decode_tokens)
            if len(drows) == 1:
                drows = drows * len(rows)
            if len(drows) != len(rows) or len({len(r) for r in drows}) != 1:
                ap.error("decode tokens: one row, or one row per prompt, all of equal length")
            dec = torch.tensor(drows)
            for t in range(dec.shape[1]):
                lg, states = model.decode(dec[:, t], states)
                dec_logits.append(lg)
            for i, st in enumerate(states):
                out_state[f"decode_conv_{i}"] = st["conv"]
                out_state[f"decode_ssm_{i}"] = st["ssm"]

    f32 = lambda t: t.to(torch.float32).numpy()  # noqa: E731
    np.save(a.dump_logits, f32(logits))
    if a.dump_state:
        np.savez(a.dump_state, **{k: f32(v) for k, v in out_state.items()})
    if a.dump_decode_logits:
        if not dec_logits:
            ap.error("--dump-decode-logits needs --decode-tokens")
        np.save(a.dump_decode_logits, f32(torch.stack(dec_logits)))
    summary = {"model": a.model, "arch": model.cfg["arch"], "layout": model.cfg["layout"],
               "logits_shape": list(logits.shape), "vocab_size": model.vocab_size,
               "vocab_padded": model.vocab_padded,
               "argmax_last": logits[:, -1, :model.vocab_size].argmax(-1).tolist()}
    if dec_logits:
        summary["decode_argmax"] = [lg[:, :model.vocab_size].argmax(-1).tolist()
                                    for lg in dec_logits]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
