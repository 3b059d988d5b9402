#!/usr/bin/python3
"""Writes a random-weight Mamba-1 / Mamba-2 checkpoint directory (HF or reference layout).

Example:
  make_checkpoint.py --arch mamba --layout hf --d-model 320 --n-layer 3 --vocab 1003 \
      --dt-rank 20 --dtype bf16 --shards 2 --seed 1 --out /tmp/m1
  make_checkpoint.py --arch mamba2 --layout ref --d-model 256 --n-layer 2 --vocab 1003 \
      --d-state 64 --headdim 32 --ngroups 2 --out /tmp/m2

Distributions follow the reference initialisation so activations stay O(1): linear weights
N(0, 1/fan_in), S4D-real A_log, dt bias = softplus^-1 of log-uniform dt in [1e-3, 1e-1],
D ~ 1, norms ~ 1, conv weights U(-1/sqrt(W), 1/sqrt(W)).
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--arch", choices=["mamba", "mamba2"], required=True)
    ap.add_argument("--layout", choices=["hf", "ref"], default="hf")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=1000, help="real vocabulary size")
    ap.add_argument("--pad-multiple", type=int, default=None,
                    help="pad the embedding rows to a multiple (default: 8 for ref, 1 for hf; "
                         "hf then writes the padded vocab_size, as HF conversions do)")
    ap.add_argument("--d-state", type=int, default=None, help="N (default 16 / 128)")
    ap.add_argument("--expand", type=int, default=2)
    ap.add_argument("--d-conv", type=int, default=4)
    ap.add_argument("--dt-rank", type=int, default=None, help="Mamba-1 R (default ceil(d/16))")
    ap.add_argument("--headdim", type=int, default=64, help="Mamba-2 P")
    ap.add_argument("--ngroups", type=int, default=1, help="Mamba-2 G")
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--dt-limit", default="0,inf", help="Mamba-2 time_step_limit lo,hi")
    ap.add_argument("--bias", action="store_true", help="in_proj/out_proj biases (use_bias)")
    ap.add_argument("--no-conv-bias", action="store_true")
    ap.add_argument("--dtype", choices=list(DTYPES), default="f32")
    ap.add_argument("--fp32-ssm-params", action="store_true",
                    help="keep A_log, D, dt biases in F32 in a f16/bf16 file (mixed dtypes)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--tied", dest="tied", action="store_true", default=True)
    g.add_argument("--untied", dest="tied", action="store_false")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.d_state is None:
        a.d_state = 128 if a.arch == "mamba2" else 16
    if a.pad_multiple is None:
        a.pad_multiple = 8 if a.layout == "ref" else 1
    a.d_inner = a.expand * a.d_model
    if a.dt_rank is None:
        a.dt_rank = math.ceil(a.d_model / 16)
    if a.arch == "mamba2":
        if a.d_inner % a.headdim:
            ap.error(f"d_inner {a.d_inner} is not a multiple of headdim {a.headdim}")
        a.nheads = a.d_inner // a.headdim
        if a.nheads % a.ngroups:
            ap.error(f"nheads {a.nheads} is not a multiple of ngroups {a.ngroups}")
    lo, hi = a.dt_limit.split(",")
    a.dt_limit = (float(lo), float(hi))
    a.vocab_padded = -(-a.vocab // a.pad_multiple) * a.pad_multiple
    return a


def make_weights(a):
    """Returns {name (HF naming): float32 tensor}."""
    gen = torch.Generator().manual_seed(a.seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    def uniform(*shape, lo, hi):
        return torch.rand(*shape, generator=gen) * (hi - lo) + lo

    def dt_bias(n):
        # dt log-uniform in [1e-3, 1e-1]; bias = softplus^-1(dt) = dt + log(1 - exp(-dt)).
        dt = torch.exp(uniform(n, lo=math.log(1e-3), hi=math.log(1e-1)))
        return dt + torch.log(-torch.expm1(-dt))

    d, e, N, W = a.d_model, a.d_inner, a.d_state, a.d_conv
    w = {}
    # std 1/sqrt(d): the tied lm_head then gives logits of std ~1 from a unit-RMS hidden state.
    w["backbone.embeddings.weight"] = normal(a.vocab_padded, d, std=d ** -0.5)
    for i in range(a.n_layer):
        p = f"backbone.layers.{i}."
        w[p + "norm.weight"] = 1 + normal(d, std=0.1)
        m = p + "mixer."
        if a.arch == "mamba":
            in_rows, conv_dim, out_in = 2 * e, e, e
        else:
            GN = a.ngroups * N
            in_rows, conv_dim, out_in = 2 * e + 2 * GN + a.nheads, e + 2 * GN, e
        w[m + "in_proj.weight"] = normal(in_rows, d, std=d ** -0.5)
        w[m + "conv1d.weight"] = uniform(conv_dim, 1, W, lo=-W ** -0.5, hi=W ** -0.5)
        if not a.no_conv_bias:
            w[m + "conv1d.bias"] = uniform(conv_dim, lo=-W ** -0.5, hi=W ** -0.5)
        # Mamba-1's gated output y*silu(z) has RMS ~0.25 (Mamba-2's is RMS-normed to ~1): a gain
        # of 4 keeps both mixers' outputs at RMS ~0.7, so the residual stream is dominated by the
        # mixers, not by the small embedding (else a tied model just predicts its input token).
        gain = 4.0 if a.arch == "mamba" else 1.0
        w[m + "out_proj.weight"] = normal(d, out_in, std=gain * out_in ** -0.5)
        if a.bias:
            w[m + "in_proj.bias"] = normal(in_rows, std=0.02)
            w[m + "out_proj.bias"] = normal(d, std=0.02)
        if a.arch == "mamba":
            R = a.dt_rank
            w[m + "x_proj.weight"] = normal(R + 2 * N, e, std=e ** -0.5)
            w[m + "dt_proj.weight"] = uniform(e, R, lo=-R ** -0.5, hi=R ** -0.5)
            w[m + "dt_proj.bias"] = dt_bias(e)
            # S4D-real: A[c, n] = -(n + 1).
            w[m + "A_log"] = torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(e, 1)
            w[m + "D"] = 1 + normal(e, std=0.1)
        else:
            H = a.nheads
            w[m + "dt_bias"] = dt_bias(H)
            w[m + "A_log"] = torch.log(uniform(H, lo=1.0, hi=16.0))
            w[m + "D"] = 1 + normal(H, std=0.1)
            w[m + "norm.weight"] = 1 + normal(e, std=0.1)
    w["backbone.norm_f.weight"] = 1 + normal(d, std=0.1)
    if not a.tied:
        w["lm_head.weight"] = normal(a.vocab_padded, d, std=d ** -0.5)
    return w


def hf_config(a):
    base = {
        "hidden_size": a.d_model, "num_hidden_layers": a.n_layer, "state_size": a.d_state,
        "expand": a.expand, "conv_kernel": a.d_conv, "intermediate_size": a.d_inner,
        "vocab_size": a.vocab_padded, "pad_vocab_size_multiple": a.pad_multiple,
        "layer_norm_epsilon": 1e-5, "use_bias": a.bias, "use_conv_bias": not a.no_conv_bias,
        "residual_in_fp32": True, "tie_word_embeddings": a.tied,
        "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype],
    }
    if a.arch == "mamba":
        base.update({"architectures": ["MambaForCausalLM"], "model_type": "mamba",
                     "time_step_rank": a.dt_rank})
    else:
        base.update({"architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2",
                     "num_heads": a.nheads, "head_dim": a.headdim, "n_groups": a.ngroups,
                     "chunk_size": a.chunk_size, "time_step_limit": list(a.dt_limit),
                     "rms_norm": True, "norm_before_gate": False})
    return base


def ref_config(a):
    ssm = {"d_state": a.d_state, "d_conv": a.d_conv, "expand": a.expand, "bias": a.bias,
           "conv_bias": not a.no_conv_bias}
    if a.arch == "mamba":
        ssm.update({"layer": "Mamba1", "dt_rank": a.dt_rank})
    else:
        ssm.update({"layer": "Mamba2", "headdim": a.headdim, "ngroups": a.ngroups,
                    "chunk_size": a.chunk_size, "rmsnorm": True, "norm_before_gate": False})
        if a.dt_limit != (0.0, math.inf):
            ssm["dt_limit"] = list(a.dt_limit)
    return {"d_model": a.d_model, "d_intermediate": 0, "n_layer": a.n_layer,
            "vocab_size": a.vocab, "ssm_cfg": ssm, "attn_layer_idx": [], "attn_cfg": {},
            "rms_norm": True, "residual_in_fp32": True, "fused_add_norm": True,
            "pad_vocab_size_multiple": a.pad_multiple, "tie_embeddings": a.tied}


def main(argv=None):
    a = parse_args(argv)
    w = make_weights(a)
    if a.layout == "ref":
        w["backbone.embedding.weight"] = w.pop("backbone.embeddings.weight")
        cfg = ref_config(a)
    else:
        cfg = hf_config(a)
    dt = DTYPES[a.dtype]
    keep32 = ("A_log", ".D", "dt_bias", "dt_proj.bias")
    w = {k: v if a.fp32_ssm_params and k.endswith(keep32) else v.to(dt) for k, v in w.items()}
    os.makedirs(a.out, exist_ok=True)
    safetensors_io.write_dir(a.out, w, shards=a.shards)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)  # an infinite dt limit is written as Infinity, like HF does
    n = sum(v.numel() for v in w.values())
    print(json.dumps({"out": a.out, "arch": a.arch, "layout": a.layout, "params": n,
                      "vocab_padded": a.vocab_padded, "dtype": a.dtype}))


if __name__ == "__main__":
    main()
