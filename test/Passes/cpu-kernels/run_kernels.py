#!/usr/bin/python3
"""Runs every CPU kernel of ssm-outline-cpu-kernels on random data and checks
it against NumPy references written from docs (SEMANTICS.md, SSMOps.td), not
from the kernels. This is the numerical oracle of the CPU backend.

Steps: one MLIR module with one tensor function per case -> ssmc-opt
-ssm-outline-cpu-kernels -> tensor functions stripped -> lowered to the LLVM
dialect -> mlir-translate -> clang -shared -> ctypes calls of
_mlir_ciface_ssmc_kN with memref descriptors of NumPy arrays. Inputs are often
strided views with an offset (as the schedule passes slices of bigger
buffers), outputs are views into sentinel-filled buffers, and decode states are
updated in place (output aliased to input) where the ops allow it.

Prints one line per case and `numerics: P passed, F failed`; exits 1 on any
failure.
"""
import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

LOWERING = [
    "--convert-scf-to-cf", "--convert-math-to-llvm", "--expand-strided-metadata",
    "--finalize-memref-to-llvm", "--convert-arith-to-llvm", "--convert-cf-to-llvm",
    "--convert-func-to-llvm", "--reconcile-unrealized-casts",
]
TOL = 1e-5
SENTINEL = 12345.0
rng = np.random.default_rng(1234)

# ---------------------------------------------------------------------------
# References (float64), straight from the written semantics.


def silu(x):
    return x / (1.0 + np.exp(-x))


def softplus(x):
    return np.log1p(np.exp(x))


def ref_rms_norm(x, w, eps):
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def ref_gated_rms_norm(x, z, w, group_size, norm_before_gate, eps):
    x, z = x.astype(np.float64), z.astype(np.float64)
    u = x if norm_before_gate else x * silu(z)
    shape = u.shape
    g = u.reshape(shape[:-1] + (shape[-1] // group_size, group_size))
    g = g / np.sqrt(np.mean(g * g, axis=-1, keepdims=True) + eps)
    out = g.reshape(shape) * w
    return out * silu(z) if norm_before_gate else out


def ref_causal_conv1d(x, w, bias, init, silu_on):
    b, L, C = x.shape
    W = w.shape[1]
    # x[j] for j < 0 is initial_state[W + j]: prepend all W slots of the state.
    before = np.zeros((b, W, C)) if init is None else np.transpose(init, (0, 2, 1))
    seq = np.concatenate([before, x.astype(np.float64)], axis=1)  # index j + W
    out = np.zeros((b, L, C))
    for t in range(L):
        for k in range(W):
            out[:, t, :] += w[:, k] * seq[:, W + t - (W - 1) + k, :]
    if bias is not None:
        out += bias
    if silu_on:
        out = silu(out)
    final = np.transpose(seq[:, L:L + W, :], (0, 2, 1))  # last W inputs
    return out, final


def ref_selective_scan(u, delta, A, B, C, D, z, delta_bias, init, softplus_on):
    b, L, e = u.shape
    N = A.shape[1]
    G = B.shape[2]
    grp = np.arange(e) // (e // G)
    dt = delta.astype(np.float64)
    if delta_bias is not None:
        dt = dt + delta_bias
    if softplus_on:
        dt = softplus(dt)
    s = np.zeros((b, e, N)) if init is None else init.astype(np.float64)
    y = np.zeros((b, L, e))
    for t in range(L):
        Bt, Ct = B[:, t][:, grp, :], C[:, t][:, grp, :]  # [b, e, N]
        s = np.exp(dt[:, t, :, None] * A) * s + dt[:, t, :, None] * Bt * u[:, t, :, None]
        y[:, t] = np.sum(Ct * s, axis=-1)
    if D is not None:
        y += D * u
    if z is not None:
        y *= silu(z.astype(np.float64))
    return y, s


def ref_dt(dt, bias, softplus_on, dt_min, dt_max):
    dt = dt.astype(np.float64)
    if bias is not None:
        dt = dt + bias
    if softplus_on:
        dt = softplus(dt)
    return np.clip(dt, dt_min, dt_max)


def ref_ssd(x, dt, A, B, C, D, z, dt_bias, init, softplus_on, dt_min, dt_max):
    b, L, H, P = x.shape
    N = B.shape[3]
    G = B.shape[2]
    grp = np.arange(H) // (H // G)
    delta = ref_dt(dt, dt_bias, softplus_on, dt_min, dt_max)  # [b, L, H]
    s = np.zeros((b, H, P, N)) if init is None else init.astype(np.float64)
    y = np.zeros((b, L, H, P))
    for t in range(L):
        Bt, Ct = B[:, t][:, grp, :], C[:, t][:, grp, :]  # [b, H, N]
        dA = np.exp(delta[:, t] * A)[:, :, None, None]
        s = dA * s + delta[:, t, :, None, None] * x[:, t, :, :, None] * Bt[:, :, None, :]
        y[:, t] = np.einsum("bhpn,bhn->bhp", s, Ct)
    if D is not None:
        y += D[:, None] * x
    if z is not None:
        y *= silu(z.astype(np.float64))
    return y, s


def ref_conv_state_update(x, state, w, bias, silu_on):
    new = np.concatenate([state[:, :, 1:], x[:, :, None]], axis=2).astype(np.float64)
    out = np.sum(new * w, axis=-1)
    if bias is not None:
        out += bias
    return (silu(out) if silu_on else out), new


def ref_selective_state_update(state, x, dt, A, B, C, D, z, dt_bias, softplus_on,
                               dt_min, dt_max):
    mamba2 = state.ndim == 4
    ch = state.shape[1]
    G = B.shape[1]
    grp = np.arange(ch) // (ch // G)
    delta = ref_dt(dt, dt_bias, softplus_on, dt_min, dt_max)  # [b, ch]
    Bg, Cg = B[:, grp, :], C[:, grp, :]  # [b, ch, N]
    s = state.astype(np.float64)
    if mamba2:
        dA = np.exp(delta * A)[:, :, None, None]
        s = dA * s + delta[:, :, None, None] * x[..., None] * Bg[:, :, None, :]
        y = np.einsum("bhpn,bhn->bhp", s, Cg)
        if D is not None:
            y += D[:, None] * x
    else:
        s = np.exp(delta[..., None] * A) * s + delta[..., None] * x[..., None] * Bg
        y = np.sum(s * Cg, axis=-1)
        if D is not None:
            y += D * x
    if z is not None:
        y *= silu(z.astype(np.float64))
    return y, s


# ---------------------------------------------------------------------------
# Test data helpers.


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def strided_view(a, pad_last=3, lead=1):
    """`a`'s values as a non-contiguous view with a nonzero offset: the last
    dimension lives inside a wider row, after `lead` other columns."""
    big = np.full(a.shape[:-1] + (a.shape[-1] + pad_last,), -7777.0, dtype=a.dtype)
    view = big[..., lead:lead + a.shape[-1]]
    view[...] = a
    return view


def transposed_view(a):
    """`a`'s values stored with its first two dimensions swapped in memory."""
    store = np.ascontiguousarray(np.swapaxes(a, 0, 1))
    return np.swapaxes(store, 0, 1)


def out_buffer(shape, dtype=np.float32):
    """An output view (strided, offset) inside a sentinel-filled buffer."""
    big = np.full(tuple(shape[:-1]) + (shape[-1] + 2,), SENTINEL, dtype=dtype)
    return big[..., 1:1 + shape[-1]] if shape else big


def mlir_type(a):
    elem = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
            np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}[a.dtype]
    return "tensor<" + "".join(f"{d}x" for d in a.shape) + elem + ">"


class Case:
    """One op on concrete arrays. `asm` formats the op given operand names
    %a0.. and the result type list; `outs` are the output arrays (views),
    `alias` maps an output index to the input index it shares storage with."""

    def __init__(self, name, asm, ins, outs, ref, alias=None, tol=TOL):
        self.name, self.asm, self.ins, self.outs = name, asm, ins, outs
        self.ref, self.alias, self.tol = ref, alias or {}, tol


def cases():
    cs = []
    # --- embedding
    tok = rng.integers(0, 11, size=(2, 5)).astype(np.int32)
    table = strided_view(randn(11, 7))
    cs.append(Case("embedding [b,L]", "ssm.embedding {0}, {1}", [tok, table],
                   [out_buffer((2, 5, 7))], lambda t, w: [w[t]]))
    tok1 = rng.integers(0, 11, size=(3,)).astype(np.int32)
    cs.append(Case("embedding [b]", "ssm.embedding {0}, {1}", [tok1, table],
                   [out_buffer((3, 7))], lambda t, w: [w[t]]))
    # --- norms
    x = strided_view(randn(2, 3, 33))
    w = randn(33)
    cs.append(Case("rms_norm rank3", "ssm.rms_norm {0}, {1}", [x, w],
                   [out_buffer((2, 3, 33))], lambda x, w: [ref_rms_norm(x, w, 1e-5)]))
    x2 = randn(4, 16)
    cs.append(Case("rms_norm rank2 eps=1e-3", "ssm.rms_norm {0}, {1} {{eps = 1.0e-3 : f32}}",
                   [x2, randn(16)], [out_buffer((4, 16))],
                   lambda x, w: [ref_rms_norm(x, w, np.float32(1e-3))]))
    cs.append(Case("rms_norm f32->f16", "ssm.rms_norm {0}, {1}", [x2, randn(16)],
                   [out_buffer((4, 16), np.float16)],
                   lambda x, w: [ref_rms_norm(x, w, 1e-5)], tol=1e-3))
    xg, zg = strided_view(randn(2, 5, 24)), transposed_view(randn(2, 5, 24))
    wg = randn(24)
    cs.append(Case("gated_rms_norm G=2 gate-first", "ssm.gated_rms_norm {0}, {1}, {2} {{group_size = 12 : i64}}",
                   [xg, zg, wg], [out_buffer((2, 5, 24))],
                   lambda x, z, w: [ref_gated_rms_norm(x, z, w, 12, False, 1e-5)]))
    cs.append(Case("gated_rms_norm norm-first", "ssm.gated_rms_norm {0}, {1}, {2} {{group_size = 24 : i64, norm_before_gate = true, eps = 1.0e-6 : f32}}",
                   [xg, zg, wg], [out_buffer((2, 5, 24))],
                   lambda x, z, w: [ref_gated_rms_norm(x, z, w, 24, True, np.float32(1e-6))]))
    cs.append(Case("gated_rms_norm rank2 G=4", "ssm.gated_rms_norm {0}, {1}, {2} {{group_size = 4 : i64}}",
                   [randn(3, 16), randn(3, 16), randn(16)], [out_buffer((3, 16))],
                   lambda x, z, w: [ref_gated_rms_norm(x, z, w, 4, False, 1e-5)]))
    # --- causal conv1d (W = 4)
    for (L, bias, init, silu_on, final) in [(7, True, False, True, True),
                                            (2, False, True, False, True),   # L < W, init
                                            (1, True, True, True, True),     # L = 1
                                            (3, True, False, False, True),   # L < W, zeros
                                            (6, True, True, True, False)]:
        b, C, W = 2, 5, 4
        ins = [strided_view(randn(b, L, C)), randn(C, W)]
        parts = "ssm.causal_conv1d {0}, {1}"
        if bias:
            ins.append(randn(C))
            parts += f" bias({{{len(ins) - 1}}})"
        if init:
            ins.append(randn(b, C, W))
            parts += f" init({{{len(ins) - 1}}})"
        if silu_on:
            parts += " {{silu}}"
        outs = [out_buffer((b, L, C))] + ([out_buffer((b, C, W))] if final else [])

        def ref(*a, bias=bias, init=init, silu_on=silu_on, final=final):
            x, w = a[0], a[1]
            i = 2
            bv = a[i] if bias else None
            i += bias
            iv = a[i] if init else None
            out, fs = ref_causal_conv1d(x, w, bv, iv, silu_on)
            return [out, fs] if final else [out]
        cs.append(Case(f"causal_conv1d L={L} bias={bias} init={init} silu={silu_on} final={final}",
                       parts, ins, outs, ref))
    # --- selective scan
    for (b, L, e, N, G, D, z, db, init, sp, final) in [
            (2, 9, 6, 16, 2, True, True, True, True, True, True),
            (1, 1, 4, 4, 1, False, False, False, False, False, False),
            (2, 5, 8, 16, 4, False, True, False, False, True, True),
            (1, 3, 6, 5, 3, True, False, True, True, True, True)]:
        u = strided_view(randn(b, L, e))
        delta = (randn(b, L, e, scale=0.5) if sp
                 else rng.uniform(0.01, 0.3, size=(b, L, e)).astype(np.float32))
        A = -np.exp(randn(e, N, scale=0.5))
        ins = [u, transposed_view(delta), A, randn(b, L, G, N), strided_view(randn(b, L, G, N))]
        parts = "ssm.selective_scan {0}, {1}, {2}, {3}, {4}"
        opt = {}
        for key, on, arr, word in [("D", D, randn(e), "skip"), ("z", z, randn(b, L, e), "gate"),
                                   ("db", db, randn(e, scale=0.5), "delta_bias"),
                                   ("init", init, randn(b, e, N), "init")]:
            if on:
                ins.append(arr)
                opt[key] = len(ins) - 1
                parts += f" {word}({{{len(ins) - 1}}})"
        if sp:
            parts += " {{delta_softplus}}"
        outs = [out_buffer((b, L, e))] + ([out_buffer((b, e, N))] if final else [])

        def ref(*a, opt=opt, sp=sp, final=final):
            g = lambda k: a[opt[k]] if k in opt else None
            y, s = ref_selective_scan(a[0], a[1], a[2], a[3], a[4], g("D"), g("z"), g("db"),
                                      g("init"), sp)
            return [y, s] if final else [y]
        cs.append(Case(f"selective_scan b={b} L={L} e={e} N={N} G={G} opts={sorted(opt)} softplus={sp}",
                       parts, ins, outs, ref))
    # --- ssd
    for (b, L, H, P, N, G, D, z, db, init, sp, lo, hi, final) in [
            (2, 7, 4, 3, 16, 2, True, True, True, True, True, 0.01, 0.5, True),
            (1, 1, 2, 2, 8, 1, False, False, False, False, True, 0.0, np.inf, True),
            (1, 5, 3, 4, 16, 1, True, False, True, False, True, 0.0, np.inf, False)]:
        x = strided_view(randn(b, L, H, P))
        dt = randn(b, L, H, scale=0.7)
        A = -np.exp(randn(H, scale=0.5))
        ins = [x, dt, A, transposed_view(randn(b, L, G, N)), randn(b, L, G, N)]
        parts = "ssm.ssd {0}, {1}, {2}, {3}, {4}"
        opt = {}
        for key, on, arr, word in [("D", D, randn(H), "skip"), ("z", z, randn(b, L, H, P), "gate"),
                                   ("db", db, randn(H, scale=0.5), "dt_bias"),
                                   ("init", init, randn(b, H, P, N), "init")]:
            if on:
                ins.append(arr)
                opt[key] = len(ins) - 1
                parts += f" {word}({{{len(ins) - 1}}})"
        attrs = ["chunk_size = 4 : i64"] + (["dt_softplus"] if sp else [])
        if lo != 0.0:
            attrs.append(f"dt_min = {lo} : f32")
        if np.isfinite(hi):
            attrs.append(f"dt_max = {hi} : f32")
        parts += " {{" + ", ".join(attrs) + "}}"
        outs = [out_buffer((b, L, H, P))] + ([out_buffer((b, H, P, N))] if final else [])

        def ref(*a, opt=opt, sp=sp, lo=lo, hi=hi, final=final):
            g = lambda k: a[opt[k]] if k in opt else None
            y, s = ref_ssd(a[0], a[1], a[2], a[3], a[4], g("D"), g("z"), g("db"), g("init"),
                           sp, np.float32(lo), np.float32(hi))
            return [y, s] if final else [y]
        cs.append(Case(f"ssd b={b} L={L} H={H} P={P} N={N} G={G} opts={sorted(opt)} clamp=[{lo},{hi}]",
                       parts, ins, outs, ref))
    # --- conv_state_update (in place and not)
    b, C, W = 2, 5, 4
    state = randn(b, C, W)
    cs.append(Case("conv_state_update bias silu in-place",
                   "ssm.conv_state_update {0}, {1}, {2} bias({3}) {{silu}}",
                   [strided_view(randn(b, C)), state, randn(C, W), randn(C)],
                   [out_buffer((b, C)), state],
                   lambda x, s, w, bias: list(ref_conv_state_update(x, s, w, bias, True)),
                   alias={1: 1}))
    cs.append(Case("conv_state_update plain",
                   "ssm.conv_state_update {0}, {1}, {2}",
                   [randn(b, C), strided_view(randn(b, C, W)), randn(C, W)],
                   [out_buffer((b, C)), out_buffer((b, C, W))],
                   lambda x, s, w: list(ref_conv_state_update(x, s, w, None, False))))
    # --- selective_state_update, Mamba-1 (in place) and Mamba-2 forms
    b, e, N, G = 2, 6, 16, 2
    st = randn(b, e, N)
    cs.append(Case("selective_state_update mamba1 in-place",
                   "ssm.selective_state_update {0}, {1}, {2}, {3}, {4}, {5} skip({6}) gate({7}) dt_bias({8}) {{dt_softplus}}",
                   [st, strided_view(randn(b, e)), randn(b, e, scale=0.5), -np.exp(randn(e, N, scale=0.5)),
                    randn(b, G, N), randn(b, G, N), randn(e), randn(b, e), randn(e, scale=0.5)],
                   [out_buffer((b, e)), st],
                   lambda s, x, dt, A, B, C, D, z, db: list(ref_selective_state_update(
                       s, x, dt, A, B, C, D, z, db, True, 0.0, np.inf)),
                   alias={1: 0}))
    b, H, P, N, G = 2, 4, 3, 16, 2
    cs.append(Case("selective_state_update mamba2 clamp",
                   "ssm.selective_state_update {0}, {1}, {2}, {3}, {4}, {5} skip({6}) gate({7}) dt_bias({8}) {{dt_softplus, dt_max = 0.3 : f32}}",
                   [strided_view(randn(b, H, P, N)), randn(b, H, P), randn(b, H, scale=0.5),
                    -np.exp(randn(H, scale=0.5)), randn(b, G, N), transposed_view(randn(b, G, N)),
                    randn(H), randn(b, H, P), randn(H, scale=0.5)],
                   [out_buffer((b, H, P)), out_buffer((b, H, P, N))],
                   lambda s, x, dt, A, B, C, D, z, db: list(ref_selective_state_update(
                       s, x, dt, A, B, C, D, z, db, True, 0.0, np.float32(0.3)))))
    cs.append(Case("selective_state_update mamba2 minimal",
                   "ssm.selective_state_update {0}, {1}, {2}, {3}, {4}, {5}",
                   [randn(1, 2, 2, 4), randn(1, 2, 2), rng.uniform(0.01, 0.3, (1, 2)).astype(np.float32),
                    -np.exp(randn(2)), randn(1, 1, 4), randn(1, 1, 4)],
                   [out_buffer((1, 2, 2)), out_buffer((1, 2, 2, 4))],
                   lambda s, x, dt, A, B, C: list(ref_selective_state_update(
                       s, x, dt, A, B, C, None, None, None, False, 0.0, np.inf))))
    # --- linear (outline-linear) and elementwise
    cs.append(Case("linear bias rank3", "ssm.linear {0}, {1} bias({2})",
                   [strided_view(randn(2, 3, 10)), randn(7, 10), randn(7)], [out_buffer((2, 3, 7))],
                   lambda x, w, bias: [x.astype(np.float64) @ w.T.astype(np.float64) + bias]))
    cs.append(Case("linear rank2", "ssm.linear {0}, {1}",
                   [randn(4, 10), transposed_view(randn(7, 10))], [out_buffer((4, 7))],
                   lambda x, w: [x.astype(np.float64) @ w.T.astype(np.float64)]))
    cs.append(Case("addf rank3", "arith.addf {0}, {1}",
                   [strided_view(randn(2, 3, 5)), transposed_view(randn(2, 3, 5))],
                   [out_buffer((2, 3, 5))], lambda x, y: [x.astype(np.float64) + y]))
    cs.append(Case("mulf rank1", "arith.mulf {0}, {1}", [randn(9), randn(9)],
                   [out_buffer((9,))], lambda x, y: [x.astype(np.float64) * y]))
    cs.append(Case("mulf rank0", "arith.mulf {0}, {1}",
                   [np.array(1.5, np.float32), np.array(-2.25, np.float32)],
                   [np.full((), SENTINEL, np.float32)], lambda x, y: [np.float64(x) * y]))
    return cs


# ---------------------------------------------------------------------------
# Module building, compilation, descriptors.


def case_function(i, case):
    names = [f"%a{j}" for j in range(len(case.ins))]
    args = ", ".join(f"{n}: {mlir_type(a)}" for n, a in zip(names, case.ins))
    res_types = [mlir_type(o) for o in case.outs]
    op = case.asm.format(*names)
    if op.startswith("arith."):
        sig = res_types[0]
    else:
        sig = "(" + ", ".join(mlir_type(a) for a in case.ins) + ") -> " + (
            res_types[0] if len(res_types) == 1 else "(" + ", ".join(res_types) + ")")
    results = ", ".join(f"%r{j}" for j in range(len(case.outs)))
    lhs = results if len(case.outs) == 1 else f"%r:{len(case.outs)}"
    ret = results if len(case.outs) == 1 else ", ".join(f"%r#{j}" for j in range(len(case.outs)))
    return (f"func.func @case{i}({args}) -> ({', '.join(res_types)}) {{\n"
            f"  {lhs} = {op} : {sig}\n"
            f"  return {ret} : {', '.join(res_types)}\n}}\n")


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.stderr.write(f"command failed: {' '.join(cmd)}\n{p.stderr}\n")
        sys.exit(2)
    return p.stdout


def build_library(args, cs, work):
    src = "".join(case_function(i, c) for i, c in enumerate(cs))
    with open(os.path.join(work, "cases.mlir"), "w") as f:
        f.write(src)
    outlined = run([args.ssmc_opt, os.path.join(work, "cases.mlir"),
                    "--ssm-outline-cpu-kernels=outline-linear=true"])
    with open(os.path.join(work, "outlined.mlir"), "w") as f:
        f.write(outlined)
    # The kernel of case i is the tag on case i's op (cases are printed in order).
    tags = re.findall(r"ssm\.kernel = @(ssmc_k\d+)", outlined)
    if len(tags) != len(cs):
        sys.stderr.write(f"expected {len(cs)} tagged ops, found {len(tags)}\n")
        sys.exit(2)
    # Keep only the kernels (public, so the C interface is exported).
    kernels = re.findall(r"^  func\.func private @ssmc_k.*?^  }\n", outlined, re.S | re.M)
    module = "module {\n" + "".join(k.replace("func.func private", "func.func", 1)
                                    for k in kernels) + "}\n"
    with open(os.path.join(work, "kernels.mlir"), "w") as f:
        f.write(module)
    llvm_dialect = run([args.ssmc_opt, os.path.join(work, "kernels.mlir")] + LOWERING)
    with open(os.path.join(work, "kernels.llvm.mlir"), "w") as f:
        f.write(llvm_dialect)
    ir = run([args.mlir_translate, "--mlir-to-llvmir", os.path.join(work, "kernels.llvm.mlir")])
    with open(os.path.join(work, "kernels.ll"), "w") as f:
        f.write(ir)
    lib = os.path.join(work, "kernels.so")
    run([args.clang, "-O2", "-shared", "-fPIC", "-Wno-override-module",
         os.path.join(work, "kernels.ll"), "-o", lib, "-lm"])
    return ctypes.CDLL(lib), tags


_desc_types = {}


def descriptor(a):
    """A ranked memref descriptor viewing `a` through its base buffer, so a
    view's position shows up as the descriptor's offset."""
    rank = a.ndim
    if rank not in _desc_types:
        fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                  ("offset", ctypes.c_int64)]
        if rank:
            fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
        _desc_types[rank] = type(f"MemRef{rank}", (ctypes.Structure,), {"_fields_": fields})
    base = root(a)
    item = a.itemsize
    d = _desc_types[rank]()
    d.allocated = d.aligned = base.ctypes.data
    off = a.ctypes.data - base.ctypes.data
    assert off % item == 0
    d.offset = off // item
    for i in range(rank):
        assert a.strides[i] % item == 0
        d.sizes[i] = a.shape[i]
        d.strides[i] = a.strides[i] // item
    return d


def rel_err(got, want):
    got, want = got.astype(np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return np.inf
    scale = max(np.max(np.abs(want)) if want.size else 0.0, 1e-30)
    return float(np.max(np.abs(got - want)) / scale) if want.size else 0.0


def root(a):
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def untouched_ok(view):
    """The sentinel padding around an output view must not have been written."""
    base = root(view)
    if base is view:
        return True
    item = view.itemsize
    idx = np.full(view.shape, (view.ctypes.data - base.ctypes.data) // item, np.int64)
    for i, grid in enumerate(np.indices(view.shape)):
        idx += grid * (view.strides[i] // item)
    inside = np.zeros(base.size, bool)
    inside[idx.ravel()] = True
    return bool(np.all(base.reshape(-1)[~inside] == base.dtype.type(SENTINEL)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssmc-opt", default="ssmc-opt")
    ap.add_argument("--mlir-translate", default="/usr/lib/llvm-22/bin/mlir-translate")
    ap.add_argument("--clang", default="/usr/lib/llvm-22/bin/clang")
    ap.add_argument("--workdir", default=None, help="keep intermediate files here")
    args = ap.parse_args()
    for tool in ("ssmc_opt", "mlir_translate", "clang"):
        path = getattr(args, tool)
        if not os.path.exists(path) and shutil.which(path) is None:
            sys.exit(f"tool not found: {path}")

    work = args.workdir or tempfile.mkdtemp(prefix="ssmc-kernels-")
    os.makedirs(work, exist_ok=True)
    cs = cases()
    # Inputs the kernels must not modify (except aliased in-place state).
    lib, tags = build_library(args, cs, work)

    passed = failed = 0
    for case, tag in zip(cs, tags):
        aliased_inputs = set(case.alias.values())
        before = [None if j in aliased_inputs else a.copy() for j, a in enumerate(case.ins)]
        # The reference sees the inputs before any in-place update.
        want = case.ref(*[a.copy() for a in case.ins])
        descs = [descriptor(a) for a in case.ins] + [descriptor(o) for o in case.outs]
        fn = getattr(lib, "_mlir_ciface_" + tag)
        fn.restype = None
        fn(*[ctypes.byref(d) for d in descs])
        errs = [rel_err(o, w) for o, w in zip(case.outs, want)]
        problems = []
        if len(want) != len(case.outs):
            problems.append(f"reference gives {len(want)} outputs, case has {len(case.outs)}")
        if any(not (e <= case.tol) for e in errs):
            problems.append("rel err " + ", ".join(f"{e:.2e}" for e in errs))
        for j, (a, b) in enumerate(zip(case.ins, before)):
            if b is not None and not np.array_equal(a, b):
                problems.append(f"input {j} was modified")
        for j, o in enumerate(case.outs):
            if j not in case.alias and not untouched_ok(o):
                problems.append(f"output {j} wrote outside its view")
        status = "FAIL" if problems else "PASS"
        passed += not problems
        failed += bool(problems)
        detail = "; ".join(problems) if problems else "max rel err " + ", ".join(
            f"{e:.1e}" for e in errs)
        print(f"{status}: {case.name} (@{tag}): {detail}")
    print(f"numerics: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
