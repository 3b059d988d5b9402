#!/usr/bin/python3
"""Self-consistency tests of the Python reference (scripts/ref). Run:
    /usr/bin/python3 test/Integration/ref/test_reference.py
These catch mistakes in the reference itself: two independent paths computing the same thing
(SSD vs sequential scan, prefill vs decode, layouts, shards, dtypes) and tiny hand-computed cases.
"""
import contextlib
import io
import json
import math
import os
import shutil
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "scripts", "ref"))
import compare  # noqa: E402
import make_checkpoint  # noqa: E402
import mamba_ref  # noqa: E402
import run_ref  # noqa: E402
import safetensors_io  # noqa: E402

F64 = torch.float64


def rel(a, b):
    return float(torch.linalg.norm((a - b).flatten()) / torch.linalg.norm(b.flatten()))


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        rc = fn(*args)
    return rc, out.getvalue()


class TmpDirCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ssmc_ref_test_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ckpt(self, name, *args):
        """Writes a checkpoint with make_checkpoint.py's CLI arguments; returns its directory."""
        out = os.path.join(self.tmp, name)
        quiet(make_checkpoint.main, list(args) + ["--out", out])
        return out


# Small shapes so the whole file runs in a few seconds.
M1 = ["--arch", "mamba", "--d-model", "48", "--n-layer", "2", "--vocab", "101", "--dt-rank", "5",
      "--d-state", "8", "--seed", "3"]
M2 = ["--arch", "mamba2", "--d-model", "64", "--n-layer", "2", "--vocab", "101", "--d-state", "16",
      "--headdim", "16", "--ngroups", "2", "--chunk-size", "8", "--seed", "4"]


class HandComputed(unittest.TestCase):
    def test_mamba1_scan_e1_n1_l3(self):
        x = torch.tensor([1.0, -1.0, 2.0], dtype=F64)
        delta = torch.tensor([0.5, 1.0, 0.25], dtype=F64)
        B = torch.tensor([1.0, 2.0, 3.0], dtype=F64)
        C = torch.tensor([2.0, 1.0, 0.5], dtype=F64)
        A, D = -1.0, 0.5
        # s_t = exp(delta_t A) s_{t-1} + delta_t B_t x_t ;  y_t = C_t s_t + D x_t
        s1 = 0.5 * 1 * 1
        s2 = math.exp(-1.0) * s1 + 1.0 * 2 * -1
        s3 = math.exp(-0.25) * s2 + 0.25 * 3 * 2
        want = torch.tensor([2 * s1 + 0.5, 1 * s2 - 0.5, 0.5 * s3 + 1.0], dtype=F64)
        y, s = mamba_ref.scan_mamba1(x.view(1, 3, 1), delta.view(1, 3, 1),
                                     torch.tensor([[A]], dtype=F64), B.view(1, 3, 1),
                                     C.view(1, 3, 1), torch.tensor([D], dtype=F64),
                                     torch.zeros(1, 1, 1, dtype=F64))
        self.assertLess((y.flatten() - want).abs().max().item(), 1e-15)
        self.assertAlmostEqual(s.item(), s3, places=15)
        # The Mamba-2 scan with H=P=N=G=1 is the same recurrence (D added outside).
        y2, s2_ = mamba_ref.scan_mamba2(x.view(1, 3, 1, 1), delta.view(1, 3, 1),
                                        torch.tensor([A], dtype=F64), B.view(1, 3, 1, 1),
                                        C.view(1, 3, 1, 1), torch.zeros(1, 1, 1, 1, dtype=F64))
        self.assertLess((y2.flatten() + D * x - want).abs().max().item(), 1e-15)

    def test_rmsnorm(self):
        x = torch.tensor([3.0, 4.0], dtype=F64)
        w = torch.tensor([1.0, 2.0], dtype=F64)
        r = math.sqrt((9 + 16) / 2 + 1e-5)
        got = mamba_ref.rmsnorm(x, w, 1e-5)
        self.assertLess((got - torch.tensor([3 / r, 8 / r], dtype=F64)).abs().max().item(), 1e-15)

    def test_gated_rmsnorm_groups(self):
        # G=2 groups of width 2: each group normalised on its own, after the silu(z) gate.
        y = torch.tensor([1.0, 2.0, 3.0, -1.0], dtype=F64)
        z = torch.tensor([0.0, 1.0, -2.0, 5.0], dtype=F64)
        w = torch.tensor([1.0, 0.5, 2.0, 1.5], dtype=F64)
        silu = lambda v: v / (1 + math.exp(-v))  # noqa: E731
        u = [y[i].item() * silu(z[i].item()) for i in range(4)]
        want = []
        for g in (0, 1):
            a, b = u[2 * g], u[2 * g + 1]
            r = math.sqrt((a * a + b * b) / 2 + 1e-5)
            want += [a / r, b / r]
        want = torch.tensor(want, dtype=F64) * w
        got = mamba_ref.gated_rmsnorm(y, z, w, 1e-5, 2)
        self.assertLess((got - want).abs().max().item(), 1e-14)

    def test_causal_conv(self):
        # W=2: out[t] = bias + w0 x[t-1] + w1 x[t], x[-1] = 0.
        x = torch.tensor([1.0, 2.0, 4.0], dtype=F64).view(1, 3, 1)
        w = torch.tensor([[0.5, -1.0]], dtype=F64)
        out = mamba_ref.causal_conv(x, w, torch.tensor([0.25], dtype=F64)).flatten()
        want = [0.25 - 1.0, 0.25 + 0.5 - 2.0, 0.25 + 1.0 - 4.0]
        self.assertEqual(out.tolist(), want)
        st = mamba_ref.conv_state_of(x, 4)
        self.assertEqual(st.flatten().tolist(), [0.0, 1.0, 2.0, 4.0])

    def test_softplus_stable(self):
        x = torch.tensor([-800.0, -30.0, 0.0, 30.0, 800.0], dtype=F64)
        want = [math.log1p(math.exp(v)) if v < 700 else v for v in x.tolist()]
        got = mamba_ref.softplus(x).tolist()
        for g, w in zip(got, want):
            self.assertAlmostEqual(g / w if w else g + 1.0, 1.0, places=14)

    def test_head_to_group(self):
        # H=4, G=2: heads 0,1 read group 0; heads 2,3 read group 1 (h // (H/G)).
        t = torch.tensor([[10.0], [20.0]])
        self.assertEqual(mamba_ref.heads_of_groups(t, 4).flatten().tolist(), [10, 10, 20, 20])


def silu_(v):
    return v / (1 + math.exp(-v))


def softplus_(v):
    return math.log1p(math.exp(v))


class ScalarLoops(TmpDirCase):
    """Each mixer against a scalar-loop transcription of SEMANTICS.md (explicit indices for the
    in_proj split, x/B/C split, head -> group map and norm groups)."""

    def params(self, d, i=0):
        t = {k: v.to(F64) for k, v in safetensors_io.read_dir(d).items()}
        pre = f"backbone.layers.{i}.mixer."
        return {k[len(pre):]: v for k, v in t.items() if k.startswith(pre)}

    def test_mamba1_mixer(self):
        d = self.ckpt("loop1", "--arch", "mamba", "--d-model", "8", "--n-layer", "1", "--vocab",
                      "16", "--d-state", "3", "--dt-rank", "2", "--d-conv", "3", "--seed", "9")
        p = self.params(d)
        e, N, R, W, L = 16, 3, 2, 3, 5
        h = torch.randn(L, 8, dtype=F64, generator=torch.Generator().manual_seed(1))
        xz = [p["in_proj.weight"] @ h[t] for t in range(L)]
        x = [[xz[t][c].item() for c in range(e)] for t in range(L)]
        z = [[xz[t][e + c].item() for c in range(e)] for t in range(L)]
        cw, cb = p["conv1d.weight"][:, 0, :], p["conv1d.bias"]
        xc = [[silu_(cb[c].item() + sum(cw[c, k].item() * x[t - (W - 1) + k][c]
                                         for k in range(W) if t - (W - 1) + k >= 0))
               for c in range(e)] for t in range(L)]
        s = [[0.0] * N for _ in range(e)]
        out = []
        for t in range(L):
            dbl = (p["x_proj.weight"] @ torch.tensor(xc[t], dtype=F64)).tolist()
            dt_in, B, C = dbl[:R], dbl[R:R + N], dbl[R + N:]
            y = []
            for c in range(e):
                dt = sum(p["dt_proj.weight"][c, r].item() * dt_in[r] for r in range(R))
                delta = softplus_(dt + p["dt_proj.bias"][c].item())
                yc = p["D"][c].item() * xc[t][c]
                for n in range(N):
                    A = -math.exp(p["A_log"][c, n].item())
                    s[c][n] = math.exp(delta * A) * s[c][n] + delta * B[n] * xc[t][c]
                    yc += C[n] * s[c][n]
                y.append(yc * silu_(z[t][c]))
            out.append(p["out_proj.weight"] @ torch.tensor(y, dtype=F64))
        m = mamba_ref.load(d).layers[0][1]
        got, st = m.prefill(h[None])
        self.assertLess(rel(got[0], torch.stack(out)), 1e-12)
        self.assertLess(rel(st["ssm"][0], torch.tensor(s, dtype=F64)), 1e-12)

    def test_mamba2_mixer(self):
        G, N, P, H, W, L = 2, 3, 2, 4, 4, 5
        d = self.ckpt("loop2", "--arch", "mamba2", "--d-model", "4", "--n-layer", "1", "--vocab",
                      "16", "--d-state", str(N), "--headdim", str(P), "--ngroups", str(G),
                      "--seed", "8")
        p = self.params(d)
        e = H * P
        h = torch.randn(L, 4, dtype=F64, generator=torch.Generator().manual_seed(2))
        zxbcdt = [(p["in_proj.weight"] @ h[t]).tolist() for t in range(L)]
        z = [r[:e] for r in zxbcdt]
        xbc = [r[e:2 * e + 2 * G * N] for r in zxbcdt]
        dt = [r[2 * e + 2 * G * N:] for r in zxbcdt]
        self.assertEqual(len(dt[0]), H)
        cw, cb = p["conv1d.weight"][:, 0, :], p["conv1d.bias"]
        xc = [[silu_(cb[c].item() + sum(cw[c, k].item() * xbc[t - (W - 1) + k][c]
                                         for k in range(W) if t - (W - 1) + k >= 0))
               for c in range(len(xbc[0]))] for t in range(L)]
        s = [[[0.0] * N for _ in range(P)] for _ in range(H)]
        out = []
        for t in range(L):
            x = xc[t][:e]
            B = xc[t][e:e + G * N]
            C = xc[t][e + G * N:]
            y = []
            for hh in range(H):
                g = hh // (H // G)
                delta = softplus_(dt[t][hh] + p["dt_bias"][hh].item())
                A = -math.exp(p["A_log"][hh].item())
                for pp in range(P):
                    xv = x[hh * P + pp]
                    yv = p["D"][hh].item() * xv
                    for n in range(N):
                        s[hh][pp][n] = (math.exp(delta * A) * s[hh][pp][n]
                                        + delta * B[g * N + n] * xv)
                        yv += C[g * N + n] * s[hh][pp][n]
                    y.append(yv)
            u = [y[c] * silu_(z[t][c]) for c in range(e)]
            gs = e // G
            normed = []
            for g in range(G):
                grp = u[g * gs:(g + 1) * gs]
                r = math.sqrt(sum(v * v for v in grp) / gs + 1e-5)
                normed += [v / r for v in grp]
            normed = torch.tensor(normed, dtype=F64) * p["norm.weight"]
            out.append(p["out_proj.weight"] @ normed)
        m = mamba_ref.load(d).layers[0][1]
        got, st = m.prefill(h[None])
        self.assertLess(rel(got[0], torch.stack(out)), 1e-12)
        self.assertLess(rel(st["ssm"][0], torch.tensor(s, dtype=F64)), 1e-12)


class SSDvsSequential(unittest.TestCase):
    def test_chunk_sizes(self):
        g = torch.Generator().manual_seed(0)
        b, L, H, P, G, N = 2, 37, 4, 3, 2, 5
        x = torch.randn(b, L, H, P, generator=g, dtype=F64)
        delta = torch.rand(b, L, H, generator=g, dtype=F64) * 0.5 + 0.01
        A = -torch.rand(H, generator=g, dtype=F64) * 4 - 0.5
        B = torch.randn(b, L, G, N, generator=g, dtype=F64)
        C = torch.randn(b, L, G, N, generator=g, dtype=F64)
        s0 = torch.randn(b, H, P, N, generator=g, dtype=F64)  # nonzero carried-in state
        y_ref, s_ref = mamba_ref.scan_mamba2(x, delta, A, B, C, s0)
        for Q in (1, 4, 8, 10, 37, 64):  # 37 % {4, 8, 10} != 0; 1 and 64 are the extremes
            y, s = mamba_ref.ssd_chunked(x, delta, A, B, C, s0, Q)
            self.assertLess(rel(y, y_ref), 1e-10, f"y, Q={Q}")
            self.assertLess(rel(s, s_ref), 1e-10, f"state, Q={Q}")

    def test_model_with_ssd(self):
        d = tempfile.mkdtemp(prefix="ssmc_ref_ssd_")
        try:
            quiet(make_checkpoint.main, M2 + ["--out", d])
            tok = torch.tensor([[5, 9, 2, 77, 31, 8, 0, 100, 42, 3, 6, 7, 12]])
            a, sa = mamba_ref.load(d).prefill(tok)
            b, sb = mamba_ref.load(d, use_ssd=5).prefill(tok)
            self.assertLess(rel(b, a), 1e-10)
            self.assertLess(rel(sb[1]["ssm"], sa[1]["ssm"]), 1e-10)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class PrefillVsDecode(TmpDirCase):
    def check(self, ckpt_dir, L1=5, L2=6, batch=2):
        m = mamba_ref.load(ckpt_dir)
        g = torch.Generator().manual_seed(7)
        tok = torch.randint(0, m.vocab_size, (batch, L1 + L2), generator=g)
        full, full_states = m.prefill(tok)
        logits, states = m.prefill(tok[:, :L1])
        self.assertLess(rel(logits, full[:, :L1]), 1e-12)
        for t in range(L1, L1 + L2):
            lg, states = m.decode(tok[:, t], states)
            self.assertLess(rel(lg, full[:, t]), 1e-10, f"decode step {t}")
        for a, b in zip(states, full_states):
            self.assertLess(rel(a["conv"], b["conv"]), 1e-12)
            self.assertLess(rel(a["ssm"], b["ssm"]), 1e-10)
        self.assertTrue(torch.isfinite(full).all())
        # Logits must depend on the token and position: not all equal.
        self.assertGreater(full.std(-1).min().item(), 0.1)

    def test_mamba1(self):
        self.check(self.ckpt("m1", *M1))

    def test_mamba1_bias_no_conv_bias_short_prompt(self):
        # L1=2 < W: decode starts from a zero-padded conv state.
        self.check(self.ckpt("m1b", *M1, "--bias", "--no-conv-bias"), L1=2, L2=4)

    def test_mamba2(self):
        self.check(self.ckpt("m2", *M2))

    def test_mamba2_dt_limit(self):
        d = self.ckpt("m2lim", *M2, "--dt-limit", "0.01,0.05")
        self.check(d)
        self.assertEqual(mamba_ref.read_config(d)["dt_limit"], (0.01, 0.05))
        tok = torch.tensor([[1, 2, 3, 4]])
        a = mamba_ref.load(d).prefill(tok)[0]
        b = mamba_ref.load(self.ckpt("m2nolim", *M2)).prefill(tok)[0]
        self.assertGreater(rel(a, b), 1e-3)  # the clamp really acts

    def test_odd_sizes(self):
        # d_model 320 (dt_rank 20), vocab 1003 unpadded (hf), G=2 with headdim 40 (H=16).
        self.check(self.ckpt("odd1", "--arch", "mamba", "--d-model", "320", "--n-layer", "1",
                             "--vocab", "1003", "--dt-rank", "20"), L1=3, L2=2, batch=1)
        d2 = self.ckpt("odd2", "--arch", "mamba2", "--d-model", "320", "--n-layer", "1",
                       "--vocab", "1003", "--d-state", "24", "--headdim", "40", "--ngroups", "2",
                       "--layout", "ref", "--pad-multiple", "16")
        self.check(d2, L1=3, L2=2, batch=1)
        m = mamba_ref.load(d2)
        self.assertEqual((m.vocab_size, m.vocab_padded), (1003, 1008))


class Layouts(TmpDirCase):
    TOK = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6, 5, 3], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8]])

    def logits(self, d, dtype=F64):
        return mamba_ref.load(d, dtype).prefill(self.TOK)[0]

    def test_hf_vs_ref(self):
        for name, base in (("m1", M1), ("m2", M2)):
            for tie in ("--tied", "--untied"):
                hf = self.ckpt(f"{name}hf{tie}", *base, tie, "--layout", "hf",
                               "--pad-multiple", "8")
                ref = self.ckpt(f"{name}ref{tie}", *base, tie, "--layout", "ref")
                self.assertEqual(mamba_ref.read_config(hf)["layout"], "hf")
                self.assertEqual(mamba_ref.read_config(ref)["layout"], "ref")
                a, b = self.logits(hf), self.logits(ref)
                self.assertEqual(tuple(a.shape), (2, 10, 104))
                self.assertTrue(torch.equal(a, b), f"{name} {tie}")

    def test_sharded(self):
        for name, base in (("m1", M1), ("m2", M2)):
            one = self.ckpt(f"{name}s1", *base)
            many = self.ckpt(f"{name}s3", *base, "--shards", "3", "--untied")
            untied1 = self.ckpt(f"{name}s1u", *base, "--untied")
            files = [f for f in os.listdir(many) if f.endswith(".safetensors")]
            self.assertEqual(len(files), 3)
            with open(os.path.join(many, safetensors_io.INDEX_NAME)) as f:
                wm = json.load(f)["weight_map"]
            self.assertEqual(set(wm.values()), set(files))
            self.assertIn("lm_head.weight", wm)
            self.assertTrue(torch.equal(self.logits(many), self.logits(untied1)))
            self.assertFalse(torch.equal(self.logits(one), self.logits(untied1)))

    def test_bf16_and_f16(self):
        for name, base in (("m1", M1), ("m2", M2)):
            f32 = self.ckpt(f"{name}f32", *base)
            bf = self.ckpt(f"{name}bf16", *base, "--dtype", "bf16")
            hf = self.ckpt(f"{name}f16mix", *base, "--dtype", "f16", "--fp32-ssm-params")
            t32 = safetensors_io.read_dir(f32)
            tbf = safetensors_io.read_dir(bf)
            t16 = safetensors_io.read_dir(hf)
            for k, v in t32.items():  # the stored values are exactly the rounded f32 weights
                self.assertEqual(tbf[k].dtype, torch.bfloat16)
                self.assertTrue(torch.equal(tbf[k], v.to(torch.bfloat16)), k)
                keep32 = k.endswith(("A_log", ".D", "dt_bias", "dt_proj.bias"))
                self.assertEqual(t16[k].dtype, torch.float32 if keep32 else torch.float16, k)
            ref = self.logits(f32)
            for d, tol in ((bf, 5e-2), (hf, 5e-3)):
                lg = self.logits(d)
                self.assertTrue(torch.isfinite(lg).all())
                self.assertLess(rel(lg, ref), tol)


class ConvStatePadding(TmpDirCase):
    def test_left_zero_padded(self):
        for name, base in (("m1", M1), ("m2", M2)):
            d = self.ckpt(f"{name}conv", *base)
            m = mamba_ref.load(d)
            tok = torch.tensor([[7, 11]])  # L=2 < W=4
            _, states = m.prefill(tok)
            # Pre-conv input of layer 0, computed here from the weights.
            t = safetensors_io.read_dir(d)
            pre = "backbone.layers.0."
            h = mamba_ref.rmsnorm(t["backbone.embeddings.weight"].to(F64)[tok],
                                  t[pre + "norm.weight"].to(F64), 1e-5)
            xz = h @ t[pre + "mixer.in_proj.weight"].to(F64).t()
            C = states[0]["conv"].shape[1]
            e = m.layers[0][1].e
            x = xz[0, :, :e] if name == "m1" else xz[0, :, e:e + C]  # Mamba-2: xBC follows z
            conv = states[0]["conv"][0]                               # [C, W]
            self.assertEqual(tuple(conv.shape), (C, 4))
            self.assertTrue(torch.equal(conv[:, :2], torch.zeros(C, 2, dtype=F64)))
            self.assertLess(rel(conv[:, 2:], x.t()), 1e-14)


class SafetensorsFormat(TmpDirCase):
    def test_roundtrip_and_header(self):
        p = os.path.join(self.tmp, "rt.safetensors")
        ts = {"a": torch.randn(3, 5), "b.h": torch.randn(7).to(torch.float16),
              "c": torch.randn(2, 3, 1).to(torch.bfloat16), "scalar": torch.tensor(2.5)}
        safetensors_io.write(p, ts, {"format": "pt"})
        got, meta = safetensors_io.read(p)
        self.assertEqual(meta, {"format": "pt"})
        for k, v in ts.items():
            self.assertEqual(got[k].dtype, v.dtype)
            self.assertTrue(torch.equal(got[k], v), k)
        with open(p, "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual((8 + n) % 8, 0)
        hdr = json.loads(raw[8:8 + n])
        self.assertEqual(hdr["c"]["dtype"], "BF16")
        self.assertEqual(hdr["c"]["shape"], [2, 3, 1])

    def test_rejects_unknown_dtype(self):
        p = os.path.join(self.tmp, "i64.safetensors")
        h = json.dumps({"x": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}).encode()
        with open(p, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + b"\0" * 8)
        with self.assertRaisesRegex(ValueError, "unsupported dtype I64"):
            safetensors_io.read(p)


class CLIs(TmpDirCase):
    def test_run_ref_and_compare(self):
        d = self.ckpt("cli", *M2, "--layout", "ref")
        lo, st, dec = (os.path.join(self.tmp, n) for n in ("l.npy", "s.npz", "d.npy"))
        rc, out = quiet(run_ref.main, ["--model", d, "--batch-tokens", "1,2,3;4,5,6",
                                       "--dump-logits", lo, "--dump-state", st,
                                       "--decode-tokens", "7,8", "--dump-decode-logits", dec])
        info = json.loads(out)
        self.assertEqual(info["logits_shape"], [2, 3, 104])
        self.assertEqual(np.load(lo).dtype, np.float32)
        self.assertEqual(np.load(dec).shape, (2, 2, 104))
        self.assertEqual(np.load(st)["conv_0"].shape, (2, 128 + 2 * 2 * 16, 4))
        self.assertEqual(np.load(st)["decode_ssm_1"].shape, (2, 8, 16, 16))
        # compare.py: identical passes, perturbed fails, NaN and shape mismatch fail.
        self.assertEqual(quiet(compare.main, [lo, lo])[0], 0)
        a = np.load(lo)
        for name, arr in (("pert", a * 1.01), ("nan", np.where(a > 1, np.nan, a)),
                          ("shape", a[:, :2])):
            p = os.path.join(self.tmp, name + ".npy")
            np.save(p, arr)
            rc, out = quiet(compare.main, [p, lo, "--rtol-norm", "1e-4"])
            self.assertEqual(rc, 1, name)
            self.assertFalse(json.loads(out)["pass"])
        self.assertEqual(quiet(compare.main, [st, st])[0], 0)


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main(verbosity=2)
