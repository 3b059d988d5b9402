#!/usr/bin/python3
"""Reference Mamba-1 / Mamba-2 language model, written from design/SEMANTICS.md only.

Plain loops and einsums in float64 (or float32): slow, but every step is the math in the spec.
API:
    model = load(dir, dtype=torch.float64)
    logits, states = model.prefill(tokens[b, L])     # logits [b, L, V_padded]
    logits, states = model.decode(tokens[b], states)  # logits [b, V_padded]
states: one dict per layer {"conv": [b, C, W], "ssm": [b, e, N] (Mamba-1) or [b, H, P, N]}.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


# ----------------------------------------------------------------------------- basic ops

def silu(x):
    return x * torch.sigmoid(x)


def softplus(x):
    # log(1 + exp(x)), written stably; torch's softplus switches to identity above a threshold
    # (20), which is an approximation we do not want in a reference.
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def rmsnorm(x, w, eps):
    """x / sqrt(mean(x^2) + eps) * w over the last dim."""
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def gated_rmsnorm(y, z, w, eps, groups):
    """Mamba-2 norm (norm_before_gate=False): u = y*silu(z), RMSNorm per group of e/G channels."""
    u = y * silu(z)
    shp = u.shape
    u = u.reshape(*shp[:-1], groups, shp[-1] // groups)
    u = u / torch.sqrt((u * u).mean(-1, keepdim=True) + eps)
    return u.reshape(shp) * w


def causal_conv(x, w, bias):
    """Depthwise causal conv. x [b, L, C], w [C, W], bias [C]:
    out[t, c] = bias[c] + sum_k w[c, k] * x[t - (W-1) + k, c], x[<0] = 0."""
    W = w.shape[1]
    L = x.shape[1]
    xp = F.pad(x, (0, 0, W - 1, 0))  # zeros on the left of the time axis
    out = bias.expand_as(x).clone()
    for k in range(W):
        out = out + w[:, k] * xp[:, k:k + L, :]
    return out


def conv_state_of(x, W):
    """Last W pre-conv inputs as [b, C, W], left zero padded when L < W."""
    xp = F.pad(x, (0, 0, max(0, W - x.shape[1]), 0))
    return xp[:, -W:, :].transpose(1, 2).contiguous()


def conv_step(state, x_new, w, bias):
    """Decode conv: shift the [b, C, W] state left, put x_new at the last slot, dot with w."""
    state = torch.cat([state[:, :, 1:], x_new[:, :, None]], dim=2)
    return (state * w).sum(-1) + bias, state


def linear(x, w, b=None):
    y = x @ w.t()
    return y if b is None else y + b


# ----------------------------------------------------------------------------- scans

def scan_mamba1(x, delta, A, B, C, D, s):
    """Sequential selective scan. x, delta [b, L, e]; A [e, N]; B, C [b, L, N]; D [e];
    s [b, e, N] initial state. Returns y [b, L, e] and the final state."""
    ys = []
    for t in range(x.shape[1]):
        dA = torch.exp(delta[:, t, :, None] * A)                           # [b, e, N]
        s = dA * s + (delta[:, t] * x[:, t])[:, :, None] * B[:, t, None, :]
        ys.append((s * C[:, t, None, :]).sum(-1) + D * x[:, t])
    return torch.stack(ys, dim=1), s


def heads_of_groups(t, H):
    """[..., G, N] -> [..., H, N]: head h reads group h // (H/G)."""
    G = t.shape[-2]
    return t.repeat_interleave(H // G, dim=-2)


def scan_mamba2(x, delta, A, B, C, s):
    """Sequential Mamba-2 scan without the D skip. x [b, L, H, P]; delta [b, L, H]; A [H];
    B, C [b, L, G, N]; s [b, H, P, N]. Returns y [b, L, H, P] and the final state."""
    H = x.shape[2]
    Bh, Ch = heads_of_groups(B, H), heads_of_groups(C, H)                 # [b, L, H, N]
    ys = []
    for t in range(x.shape[1]):
        dA = torch.exp(delta[:, t] * A)[:, :, None, None]                  # [b, H, 1, 1]
        s = dA * s + (delta[:, t, :, None] * x[:, t])[..., None] * Bh[:, t, :, None, :]
        ys.append((s * Ch[:, t, :, None, :]).sum(-1))
    return torch.stack(ys, dim=1), s


def ssd_chunked(x, delta, A, B, C, s, Q):
    """SSD chunked form of scan_mamba2 (the 4 parts of SEMANTICS.md), chunk length Q; the last
    chunk is shorter when Q does not divide L. Same arguments and results as scan_mamba2."""
    H = x.shape[2]
    Bh, Ch = heads_of_groups(B, H), heads_of_groups(C, H)
    ys = []
    for c0 in range(0, x.shape[1], Q):
        xc, dc = x[:, c0:c0 + Q], delta[:, c0:c0 + Q]
        Bc, Cc = Bh[:, c0:c0 + Q], Ch[:, c0:c0 + Q]
        n = xc.shape[1]
        cs = torch.cumsum(dc * A, dim=1)                                   # [b, n, H]
        # intra-chunk: masked "attention" (C_t . B_s) * exp(cs_t - cs_s) for s <= t.
        seg = cs[:, :, None, :] - cs[:, None, :, :]                        # [b, t, s, H]
        mask = torch.tril(torch.ones(n, n, dtype=torch.bool))[None, :, :, None]
        decay = torch.exp(seg.masked_fill(~mask, -math.inf))
        cb = torch.einsum("bthn,bshn->btsh", Cc, Bc)
        y = torch.einsum("btsh,bsh,bshp->bthp", cb * decay, dc, xc)
        # inter-chunk: contribution of the state carried in from earlier chunks.
        y = y + torch.exp(cs)[..., None] * torch.einsum("bthn,bhpn->bthp", Cc, s)
        # chunk state and state passing.
        w = torch.exp(cs[:, -1:, :] - cs) * dc                             # [b, n, H]
        Sk = torch.einsum("bsh,bshp,bshn->bhpn", w, xc, Bc)
        s = torch.exp(cs[:, -1])[:, :, None, None] * s + Sk
        ys.append(y)
    return torch.cat(ys, dim=1), s


# ----------------------------------------------------------------------------- mixers

class Mamba1Mixer:
    def __init__(self, p):
        self.p = p
        self.e, self.N = p["A_log"].shape
        self.R = p["dt_proj.weight"].shape[1]
        self.W = p["conv1d.weight"].shape[-1]

    def _after_conv(self, x, z, s):
        """Steps 3-8 from the post-conv activation x [b, L, e]."""
        p, R, N = self.p, self.R, self.N
        x_dbl = linear(x, p["x_proj.weight"])
        dt_in, B, C = x_dbl[..., :R], x_dbl[..., R:R + N], x_dbl[..., R + N:R + 2 * N]
        delta = softplus(linear(dt_in, p["dt_proj.weight"]) + p["dt_proj.bias"])
        A = -torch.exp(p["A_log"])
        y, s = scan_mamba1(x, delta, A, B, C, p["D"], s)
        y = y * silu(z)
        return linear(y, p["out_proj.weight"], p.get("out_proj.bias")), s

    def prefill(self, h):
        p = self.p
        xz = linear(h, p["in_proj.weight"], p.get("in_proj.bias"))
        x, z = xz[..., :self.e], xz[..., self.e:]
        conv = conv_state_of(x, self.W)
        x = silu(causal_conv(x, p["conv_w"], p["conv_b"]))
        s0 = h.new_zeros(h.shape[0], self.e, self.N)
        out, s = self._after_conv(x, z, s0)
        return out, {"conv": conv, "ssm": s}

    def decode(self, h, state):
        p = self.p
        xz = linear(h, p["in_proj.weight"], p.get("in_proj.bias"))       # [b, 2e]
        x, z = xz[:, :self.e], xz[:, self.e:]
        x, conv = conv_step(state["conv"], x, p["conv_w"], p["conv_b"])
        out, s = self._after_conv(silu(x)[:, None], z[:, None], state["ssm"])
        return out[:, 0], {"conv": conv, "ssm": s}


class Mamba2Mixer:
    def __init__(self, p, G, N, eps, dt_limit, use_ssd=0):
        self.p, self.G, self.N, self.eps = p, G, N, eps
        self.dt_limit = dt_limit
        self.use_ssd = use_ssd  # chunk size for the SSD path; 0 = sequential scan
        self.H = p["A_log"].numel()
        self.W = p["conv1d.weight"].shape[-1]
        conv_dim = p["conv1d.weight"].shape[0]
        self.e = conv_dim - 2 * G * N                      # e_ssm
        if self.e <= 0 or self.e % self.H or self.H % G or self.e % G:
            raise ValueError(f"inconsistent Mamba-2 dims: conv_dim {conv_dim}, G {G}, N {N}, "
                             f"H {self.H}")
        self.P = self.e // self.H
        rows = p["in_proj.weight"].shape[0]
        self.d_mlp = (rows - 2 * self.e - 2 * G * N - self.H) // 2
        if self.d_mlp < 0 or 2 * self.d_mlp + 2 * self.e + 2 * G * N + self.H != rows:
            raise ValueError(f"in_proj has {rows} rows, inconsistent with e {self.e}, G {G}, "
                             f"N {N}, H {self.H}")

    def _split(self, zxbcdt):
        m, e, GN = self.d_mlp, self.e, self.G * self.N
        z0, x0 = zxbcdt[..., :m], zxbcdt[..., m:2 * m]
        z = zxbcdt[..., 2 * m:2 * m + e]
        xBC = zxbcdt[..., 2 * m + e:2 * m + 2 * e + 2 * GN]
        dt = zxbcdt[..., 2 * m + 2 * e + 2 * GN:]
        return z0, x0, z, xBC, dt

    def _after_conv(self, xBC, z0, x0, z, dt, s):
        """Steps 3-7 from the post-conv xBC [b, L, e + 2GN]."""
        p, e, G, N, H, P = self.p, self.e, self.G, self.N, self.H, self.P
        b, L = xBC.shape[:2]
        x = xBC[..., :e].reshape(b, L, H, P)
        B = xBC[..., e:e + G * N].reshape(b, L, G, N)
        C = xBC[..., e + G * N:].reshape(b, L, G, N)
        delta = softplus(dt + p["dt_bias"])
        lo, hi = self.dt_limit
        if (lo, hi) != (0.0, math.inf):
            delta = torch.clamp(delta, min=lo, max=hi)
        A = -torch.exp(p["A_log"])
        if self.use_ssd:
            y, s = ssd_chunked(x, delta, A, B, C, s, self.use_ssd)
        else:
            y, s = scan_mamba2(x, delta, A, B, C, s)
        D = p["D"].reshape(H, -1)                           # [H, 1] or [H, P] (D per channel)
        y = (y + D * x).reshape(b, L, e)
        y = gated_rmsnorm(y, z, p["norm.weight"], self.eps, G)
        if self.d_mlp:
            y = torch.cat([silu(z0) * x0, y], dim=-1)
        return linear(y, p["out_proj.weight"], p.get("out_proj.bias")), s

    def prefill(self, h):
        p = self.p
        z0, x0, z, xBC, dt = self._split(linear(h, p["in_proj.weight"], p.get("in_proj.bias")))
        conv = conv_state_of(xBC, self.W)
        xBC = silu(causal_conv(xBC, p["conv_w"], p["conv_b"]))
        s0 = h.new_zeros(h.shape[0], self.H, self.P, self.N)
        out, s = self._after_conv(xBC, z0, x0, z, dt, s0)
        return out, {"conv": conv, "ssm": s}

    def decode(self, h, state):
        p = self.p
        z0, x0, z, xBC, dt = self._split(linear(h, p["in_proj.weight"], p.get("in_proj.bias")))
        xBC, conv = conv_step(state["conv"], xBC, p["conv_w"], p["conv_b"])
        u = lambda t: t[:, None]  # noqa: E731  one-step sequence
        out, s = self._after_conv(u(silu(xBC)), u(z0), u(x0), u(z), u(dt), state["ssm"])
        return out[:, 0], {"conv": conv, "ssm": s}


# ----------------------------------------------------------------------------- model

class Model:
    def __init__(self, cfg, embed, lm_head, norm_f, layers):
        self.cfg = cfg
        self.embed, self.lm_head, self.norm_f = embed, lm_head, norm_f
        self.layers = layers            # list of (norm weight, mixer)
        self.vocab_size = cfg["vocab_size"]           # real vocabulary
        self.vocab_padded = lm_head.shape[0]          # logits width

    def prefill(self, tokens):
        tokens = torch.as_tensor(tokens, dtype=torch.long)
        h = self.embed[tokens]
        residual = torch.zeros_like(h)
        states = []
        for norm_w, mixer in self.layers:
            residual = residual + h
            h, st = mixer.prefill(rmsnorm(residual, norm_w, self.cfg["eps"]))
            states.append(st)
        h = rmsnorm(residual + h, self.norm_f, self.cfg["eps"])
        return h @ self.lm_head.t(), states

    def decode(self, tokens, states):
        tokens = torch.as_tensor(tokens, dtype=torch.long)
        h = self.embed[tokens]
        residual = torch.zeros_like(h)
        new_states = []
        for (norm_w, mixer), st in zip(self.layers, states):
            residual = residual + h
            h, st = mixer.decode(rmsnorm(residual, norm_w, self.cfg["eps"]), st)
            new_states.append(st)
        h = rmsnorm(residual + h, self.norm_f, self.cfg["eps"])
        return h @ self.lm_head.t(), new_states


def read_config(model_dir):
    """Normalizes the three config.json flavours into one dict."""
    with open(os.path.join(model_dir, "config.json")) as f:
        raw = json.load(f)
    archs = raw.get("architectures") or []
    if "d_model" in raw:  # the reference repository's own format
        ssm = raw.get("ssm_cfg") or {}
        layer = ssm.get("layer", "Mamba1")
        if layer not in ("Mamba1", "Mamba2"):
            raise ValueError(f"unknown ssm_cfg.layer {layer!r}")
        if raw.get("attn_layer_idx") or raw.get("d_intermediate", 0):
            raise ValueError("hybrid attention / MLP layers are not supported")
        if not raw.get("rms_norm", True):
            raise ValueError("rms_norm=false (LayerNorm) is not supported")
        arch = "mamba2" if layer == "Mamba2" else "mamba1"
        if arch == "mamba2" and (not ssm.get("rmsnorm", True) or ssm.get("norm_before_gate")):
            raise ValueError("only rmsnorm=true, norm_before_gate=false Mamba-2 is supported")
        eps = raw.get("norm_epsilon", 1e-5)
        return {
            "layout": "ref", "arch": arch, "n_layer": raw["n_layer"], "d_model": raw["d_model"],
            "vocab_size": raw["vocab_size"], "eps": eps, "mixer_eps": 1e-5,
            "d_state": ssm.get("d_state", 128 if arch == "mamba2" else 16),
            "ngroups": ssm.get("ngroups", 1), "chunk_size": ssm.get("chunk_size", 256),
            "dt_limit": tuple(ssm.get("dt_limit", (0.0, math.inf))),
            "tied": raw.get("tie_embeddings", True),
            "residual_in_fp32": raw.get("residual_in_fp32", True),
        }
    mt = raw.get("model_type", "")
    if "Mamba2ForCausalLM" in archs or mt == "mamba2":
        arch = "mamba2"
    elif "MambaForCausalLM" in archs or mt == "mamba":
        arch = "mamba1"
    else:
        raise ValueError(f"{model_dir}: config.json is neither HF Mamba/Mamba2 nor ref format")
    eps = raw.get("layer_norm_epsilon", 1e-5)
    return {
        "layout": "hf", "arch": arch, "n_layer": raw["num_hidden_layers"],
        "d_model": raw["hidden_size"], "vocab_size": raw["vocab_size"], "eps": eps,
        "mixer_eps": eps, "d_state": raw.get("state_size", 128 if arch == "mamba2" else 16),
        "ngroups": raw.get("n_groups", 1), "chunk_size": raw.get("chunk_size", 256),
        "dt_limit": tuple(raw.get("time_step_limit", (0.0, math.inf))),
        "tied": raw.get("tie_word_embeddings", True),
        "residual_in_fp32": raw.get("residual_in_fp32", True),
    }


def load(model_dir, dtype=torch.float64, use_ssd=0):
    """Loads a checkpoint directory (HF Mamba, HF Mamba2 or reference format, sharded or not).
    Everything is cast to `dtype`; use_ssd=Q makes Mamba-2 layers use the SSD chunked scan."""
    cfg = read_config(model_dir)
    t = {k: v.to(dtype) for k, v in safetensors_io.read_dir(model_dir).items()}

    def get(name):
        if name not in t:
            raise KeyError(f"{model_dir}: missing tensor {name}")
        return t[name]

    embed_name = next((n for n in ("backbone.embeddings.weight", "backbone.embedding.weight")
                       if n in t), "backbone.embeddings.weight")
    embed = get(embed_name)
    if cfg["tied"]:
        lm_head = embed
    else:
        lm_head = get("lm_head.weight")
    layers = []
    for i in range(cfg["n_layer"]):
        pre = f"backbone.layers.{i}.mixer."
        p = {k[len(pre):]: v for k, v in t.items() if k.startswith(pre)}
        W = get(pre + "conv1d.weight").shape[-1]
        p["conv_w"] = p["conv1d.weight"].reshape(-1, W)
        p["conv_b"] = p.get("conv1d.bias", torch.zeros(p["conv_w"].shape[0], dtype=dtype))
        if cfg["arch"] == "mamba1":
            mixer = Mamba1Mixer(p)
            if mixer.N != cfg["d_state"]:
                raise ValueError(f"layer {i}: A_log has N={mixer.N}, config says {cfg['d_state']}")
        else:
            mixer = Mamba2Mixer(p, cfg["ngroups"], cfg["d_state"], cfg["mixer_eps"],
                                cfg["dt_limit"], use_ssd)
        layers.append((get(f"backbone.layers.{i}.norm.weight"), mixer))
    if embed.shape[0] < cfg["vocab_size"]:
        raise ValueError(f"embedding has {embed.shape[0]} rows < vocab_size {cfg['vocab_size']}")
    return Model(cfg, embed, lm_head, get("backbone.norm_f.weight"), layers)
