#!/usr/bin/python3
"""Compiled models on the CPU target against the independent PyTorch reference
(scripts/ref, float64): prompt logits, final conv/ssm states, and decode after
prefill (state handoff), over Mamba-1 and Mamba-2 checkpoints of several
layouts, dtypes and odd sizes.

usage: cpu_model_test.py --ssmc-compile BIN --runtime-lib LIB [--workdir DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "ref"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_checkpoint  # noqa: E402
import mamba_ref  # noqa: E402
from ssmc_runtime_py import Runtime, Session  # noqa: E402

ARGS = None
LOGITS_BAR = 1e-4  # PERF.md: fp32 paths <= 1e-4 on logits
STATE_BAR = 1e-4


def rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    assert np.all(np.isfinite(ours)), "non-finite values in ssmc output"
    return float(np.linalg.norm(ours - ref) / max(np.linalg.norm(ref), 1e-30))


# name -> (make_checkpoint flags, batch, prompt length, decode steps)
CASES = {
    "mamba_hf_f32": ("--arch mamba --layout hf --d-model 64 --n-layer 2 --vocab 100", 2, 9, 3),
    "mamba_ref_odd_bf16_short": ("--arch mamba --layout ref --d-model 320 --n-layer 2 --vocab 1003 "
                                 "--dt-rank 20 --dtype bf16 --untied", 1, 3, 3),
    "mamba_hf_bf16_fp32_params": ("--arch mamba --layout hf --d-model 64 --n-layer 2 --vocab 90 "
                                  "--dtype bf16 --fp32-ssm-params", 2, 5, 2),
    "mamba_hf_bias_sharded_f16": ("--arch mamba --layout hf --d-model 48 --n-layer 3 --vocab 77 "
                                  "--bias --dtype f16 --shards 3", 3, 6, 2),
    "mamba2_hf_groups": ("--arch mamba2 --layout hf --d-model 64 --n-layer 2 --vocab 100 "
                         "--d-state 16 --headdim 16 --ngroups 2 --chunk-size 16 --untied", 2, 37, 3),
    "mamba2_ref_len1_dtlimit": ("--arch mamba2 --layout ref --d-model 96 --n-layer 2 --vocab 1003 "
                                "--d-state 32 --headdim 24 --dt-limit 0.01,0.2 --shards 2", 2, 1, 4),
}


class CpuModelTest(unittest.TestCase):
    pass


def make_case(name, flags, batch, length, steps):
    def test(self):
        work = ARGS.workdir
        ckpt = os.path.join(work, name)
        artifact = ckpt + ".ssmc"
        make_checkpoint.main(flags.split() + ["--seed", "7", "--out", ckpt])
        subprocess.run([ARGS.ssmc_compile, ckpt, "-o", artifact, "--quiet"], check=True)

        ref = mamba_ref.load(ckpt)
        info_vocab = ref.cfg.get("vocab_size", None)
        gen = np.random.default_rng(abs(hash(name)) % 2**32)
        vocab = int(make_checkpoint_vocab(flags))
        tokens = gen.integers(0, vocab, size=(batch, length + steps)).astype(np.int32)
        prompt = tokens[:, :length]

        rt = Runtime(ARGS.runtime_lib)
        sess = Session(rt, artifact, batch)
        try:
            logits = sess.prefill(prompt)
            ref_logits, ref_states = ref.prefill(torch.from_numpy(prompt.astype(np.int64)))
            err = rel_err(logits, ref_logits.numpy())
            self.assertLessEqual(err, LOGITS_BAR, f"prefill logits rel err {err}")
            for i, st in enumerate(ref_states):
                for kind, key in (("conv_state", "conv"), ("ssm_state", "ssm")):
                    want = st[key].numpy()
                    got = sess.state(f"layers.{i}.{kind}", want.shape)
                    e = rel_err(got, want)
                    self.assertLessEqual(e, STATE_BAR, f"layer {i} {kind} rel err {e}")
            # Decode continues exactly like a longer prefill.
            full_logits, full_states = ref.prefill(torch.from_numpy(tokens.astype(np.int64)))
            for t in range(steps):
                step_logits = sess.decode(tokens[:, length + t])
                want = full_logits[:, length + t].numpy()
                e = rel_err(step_logits, want)
                self.assertLessEqual(e, LOGITS_BAR, f"decode step {t} rel err {e}")
            # So does a prefill continuing from the state: the whole row in
            # three pieces, the last crossing SSD chunks where there are some.
            for start, end, got in sess.prefill_in_pieces(tokens):
                e = rel_err(got, full_logits[:, start:end].numpy())
                self.assertLessEqual(e, LOGITS_BAR, f"tokens [{start}, {end}) rel err {e}")
            for i, st in enumerate(full_states):
                for kind, key in (("conv_state", "conv"), ("ssm_state", "ssm")):
                    want = st[key].numpy()
                    e = rel_err(sess.state(f"layers.{i}.{kind}", want.shape), want)
                    self.assertLessEqual(e, STATE_BAR, f"continued: layer {i} {kind} rel err {e}")
            # A plain prefill starts afresh again, whatever the state was.
            np.testing.assert_array_equal(sess.prefill(prompt), logits)
        finally:
            sess.close()
        del info_vocab
    return test


class ExternalWeightsTest(unittest.TestCase):
    """--external-weights references the checkpoint's f32 tensors in place:
    same logits as the embedded artifact, a much smaller file, and a clear
    load error once the referenced file changes."""

    def test_external_weights(self):
        ckpt = os.path.join(ARGS.workdir, "external")
        make_checkpoint.main("--arch mamba --d-model 64 --n-layer 2 --vocab 120 --seed 3 --out".split() + [ckpt])
        embedded, external = ckpt + "-embedded.ssmc", ckpt + "-external.ssmc"
        subprocess.run([ARGS.ssmc_compile, ckpt, "-o", embedded, "--quiet"], check=True)
        subprocess.run([ARGS.ssmc_compile, ckpt, "-o", external, "--quiet", "--external-weights"], check=True)
        self.assertLess(os.path.getsize(external), os.path.getsize(embedded) / 2)
        prompt = np.array([[5, 17, 99, 3]], dtype=np.int32)
        rt = Runtime(ARGS.runtime_lib)
        logits = []
        for path in (embedded, external):
            sess = Session(rt, path, 1)
            logits.append(sess.prefill(prompt))
            sess.close()
        np.testing.assert_array_equal(logits[0], logits[1])
        # Corrupt one referenced byte: the checksum catches it at load time.
        weights = os.path.join(ckpt, "model.safetensors")
        with open(weights, "r+b") as f:
            f.seek(-4, os.SEEK_END)
            f.write(b"\x7f\x7f\x7f\x7f")
        with self.assertRaises(Exception) as ctx:
            Session(rt, external, 1)
        self.assertIn("checksum", str(ctx.exception))


class StorageDTypeTest(unittest.TestCase):
    """ssmc-compile --dtype: `auto` keeps a bf16 or f16 checkpoint's bytes, so
    its logits equal the f32 artifact's bit for bit in fewer bytes (also with
    --external-weights, which then references those tensors in place); bf16
    and f16 storage of an f32 checkpoint stay within the bf16 bar of the
    float64 reference."""

    def compile(self, ckpt, out, *flags):
        subprocess.run([ARGS.ssmc_compile, ckpt, "-o", out, "--quiet", *flags], check=True)
        return out

    def logits(self, artifact, prompt):
        sess = Session(Runtime(ARGS.runtime_lib), artifact, prompt.shape[0])
        try:
            out = sess.prefill(prompt)
            return np.concatenate([out.reshape(-1), sess.decode(np.array([7] * prompt.shape[0])).reshape(-1)])
        finally:
            sess.close()

    def test_auto_is_lossless(self):
        for dtype in ("bf16", "f16"):
            ckpt = os.path.join(ARGS.workdir, "storage-" + dtype)
            make_checkpoint.main(["--arch", "mamba2", "--layout", "hf", "--d-model", "64", "--n-layer", "2",
                                  "--vocab", "100", "--d-state", "16", "--headdim", "16", "--chunk-size", "8",
                                  "--dtype", dtype, "--seed", "4", "--out", ckpt])
            full = self.compile(ckpt, ckpt + "-f32.ssmc")
            auto = self.compile(ckpt, ckpt + "-auto.ssmc", "--dtype", "auto")
            external = self.compile(ckpt, ckpt + "-ext.ssmc", "--dtype", "auto", "--external-weights")
            self.assertLess(os.path.getsize(external), os.path.getsize(auto))
            prompt = np.array([[5, 17, 99, 3, 42]], dtype=np.int32)
            want = self.logits(full, prompt)
            np.testing.assert_array_equal(self.logits(auto, prompt), want, err_msg=dtype)
            np.testing.assert_array_equal(self.logits(external, prompt), want, err_msg=dtype)

    def test_narrow_storage_of_f32_weights(self):
        ckpt = os.path.join(ARGS.workdir, "storage-f32")
        make_checkpoint.main("--arch mamba --layout hf --d-model 64 --n-layer 2 --vocab 100 --seed 6 --out".split()
                             + [ckpt])
        prompt = np.array([[5, 17, 99, 3, 42, 8], [1, 2, 3, 4, 5, 6]], dtype=np.int32)
        ref_logits, _ = mamba_ref.load(ckpt).prefill(torch.from_numpy(prompt.astype(np.int64)))
        full = self.compile(ckpt, ckpt + "-f32.ssmc")
        for dtype in ("bf16", "f16"):
            narrow = self.compile(ckpt, ckpt + f"-{dtype}.ssmc", "--dtype", dtype)
            self.assertLess(os.path.getsize(narrow), os.path.getsize(full))
            sess = Session(Runtime(ARGS.runtime_lib), narrow, 2)
            err = rel_err(sess.prefill(prompt), ref_logits.numpy())
            sess.close()
            self.assertLess(err, 1e-2, f"{dtype}: rel err {err}")
            self.assertGreater(err, 1e-7, f"{dtype}: no rounding at all?")


def make_checkpoint_vocab(flags):
    parts = flags.split()
    return parts[parts.index("--vocab") + 1]


for case_name, (case_flags, b, L, n) in CASES.items():
    setattr(CpuModelTest, "test_" + case_name, make_case(case_name, case_flags, b, L, n))


class GenerationTest(unittest.TestCase):
    """Generation and snapshots on real compiled models (padded vocabulary):
    batched greedy == each sequence alone; a forked snapshot continues
    exactly (bit for bit) like the original; greedy tokens == argmax of the
    PyTorch reference step by step."""

    MODELS = {
        "gen_mamba": "--arch mamba --layout ref --d-model 64 --n-layer 2 --vocab 1003",
        "gen_mamba2": "--arch mamba2 --layout hf --d-model 64 --n-layer 2 --vocab 1003 "
                      "--d-state 16 --headdim 16 --chunk-size 16",
    }

    @classmethod
    def setUpClass(cls):
        from ssmc_generate_py import (generate, prefill_sequence, prefill_varlen, set_prefill_logits,
                                      snapshot_fork, snapshot_save)
        cls.last_only = staticmethod(set_prefill_logits)
        cls.varlen = staticmethod(prefill_varlen)
        cls.one_sequence = staticmethod(prefill_sequence)
        cls.gen = staticmethod(generate)
        cls.fork = staticmethod(snapshot_fork)
        cls.save = staticmethod(snapshot_save)
        cls.rt = Runtime(ARGS.runtime_lib)
        cls.artifacts = {}
        for name, flags in cls.MODELS.items():
            ckpt = os.path.join(ARGS.workdir, name)
            make_checkpoint.main(flags.split() + ["--seed", "5", "--out", ckpt])
            subprocess.run([ARGS.ssmc_compile, ckpt, "-o", ckpt + ".ssmc", "--quiet"], check=True)
            cls.artifacts[name] = ckpt

    def prompts(self, batch, length):
        return np.random.default_rng(17).integers(0, 1003, size=(batch, length)).astype(np.int32)

    def test_batched_greedy_equals_singles(self):
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(3, 6)
            sess = Session(self.rt, ckpt + ".ssmc", 3)
            batched = self.gen(sess, prompt, 6)
            sess.close()
            for b in range(3):
                one = Session(self.rt, ckpt + ".ssmc", 1)
                self.assertEqual(self.gen(one, prompt[b:b + 1], 6)[0], batched[b], f"{name} seq {b}")
                one.close()

    def test_fork_continues_like_the_original(self):
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(2, 7)
            orig = Session(self.rt, ckpt + ".ssmc", 2)
            orig.prefill(prompt)
            snap = self.save(orig, 1)
            steps = [np.array([5, 9]), np.array([1, 400]), np.array([77, 2])]
            want = [orig.decode(t)[1] for t in steps]
            forked = Session(self.rt, ckpt + ".ssmc", 3)
            self.fork(forked, snap, [0, 1, 2])
            for t, w in zip(steps, want):
                got = forked.decode(np.full(3, t[1], dtype=np.int32))
                for b in range(3):
                    np.testing.assert_array_equal(got[b], w, err_msg=f"{name} fork slot {b}")
            orig.close()
            forked.close()

    def test_varlen_prefill_matches_reference(self):
        """Prompts of 7, 1 and 12 tokens in one session, no padding: each
        sequence's next-token logits and states equal the reference run of
        that prompt alone, and decoding on continues each one exactly."""
        for name, ckpt in self.artifacts.items():
            gen = np.random.default_rng(23)
            full = [list(gen.integers(0, 1003, size=n + 2)) for n in (7, 1, 12)]
            prompts = [seq[:-2] for seq in full]
            ref = mamba_ref.load(ckpt)
            sess = Session(self.rt, ckpt + ".ssmc", 3)
            got = self.varlen(sess, prompts)
            self.assertEqual(got.shape[0], 3)
            for b, prompt in enumerate(prompts):
                logits, states = ref.prefill(torch.tensor([prompt], dtype=torch.int64))
                self.assertLess(rel_err(got[b], logits[0, -1].numpy()), 1e-4, f"{name} seq {b}")
                for i, st in enumerate(states):
                    for kind, key in (("conv_state", "conv"), ("ssm_state", "ssm")):
                        want = st[key].numpy()
                        mine = sess.state(f"layers.{i}.{kind}", (3,) + want.shape[1:])[b:b + 1]
                        self.assertLess(rel_err(mine, want), 1e-4, f"{name} seq {b} {kind} {i}")
            for step in range(2):
                got = sess.decode(np.array([seq[len(p) + step] for seq, p in zip(full, prompts)]))
                for b, (seq, p) in enumerate(zip(full, prompts)):
                    logits, _ = ref.prefill(torch.tensor([seq[:len(p) + step + 1]], dtype=torch.int64))
                    self.assertLess(rel_err(got[b], logits[0, -1].numpy()), 1e-4,
                                    f"{name} seq {b} decode {step}")
            sess.close()

    def test_last_position_logits(self):
        """SSMC_PREFILL_LOGITS_LAST: [batch, padded_vocab], each sequence's
        last-position logits, as the reference computes them."""
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(2, 9)
            ref_logits, _ = mamba_ref.load(ckpt).prefill(torch.from_numpy(prompt.astype(np.int64)))
            sess = Session(self.rt, ckpt + ".ssmc", 2)
            self.last_only(sess, True)
            got = sess.prefill(prompt)
            self.assertEqual(got.shape, (2, ref_logits.shape[-1]), name)
            self.assertLess(rel_err(got, ref_logits[:, -1].numpy()), 1e-4, name)
            sess.close()

    def test_new_sequence_joins_a_running_batch(self):
        """Continuous batching: sequence 1 is replaced by a new prompt between
        decode steps; it then decodes like that prompt alone, and sequence 0
        goes on exactly (bit for bit) as if nothing had happened."""
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(2, 6)
            steps = [np.array([5, 9]), np.array([1, 400]), np.array([77, 2])]
            alone = Session(self.rt, ckpt + ".ssmc", 2)
            alone.prefill(prompt)
            want0 = [alone.decode(t)[0] for t in steps]
            alone.close()
            newcomer = [11, 3, 900, 42]
            single = Session(self.rt, ckpt + ".ssmc", 1)
            single.prefill(np.array([newcomer]))
            want1 = [single.decode(np.array([t[1]]))[0] for t in steps[1:]]
            single.close()

            sess = Session(self.rt, ckpt + ".ssmc", 2)
            sess.prefill(prompt)
            np.testing.assert_array_equal(sess.decode(steps[0])[0], want0[0])
            rows = self.one_sequence(sess, 1, newcomer)
            np.testing.assert_array_equal(rows[0], want0[0], err_msg=f"{name}: seq 0 logits kept")
            for t, w0, w1 in zip(steps[1:], want0[1:], want1):
                got = sess.decode(t)
                np.testing.assert_array_equal(got[0], w0, err_msg=f"{name}: seq 0 disturbed")
                self.assertLess(rel_err(got[1], w1), 1e-6, f"{name}: newcomer")
            sess.close()

    def test_one_sequence_continues_from_its_state(self):
        """ssmc_prefill_sequence_continue: sequence 1 takes 5 more tokens
        after its prompt and 2 decode steps; its next-token logits and states
        are the reference's for the whole row, and sequence 0 keeps its
        logits and state bit for bit."""
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(2, 6)
            more = [8, 1, 500, 33, 7]
            sess = Session(self.rt, ckpt + ".ssmc", 2)
            sess.prefill(prompt)
            before = sess.decode(np.array([4, 9]))
            before = sess.decode(np.array([2, 6]))
            state0 = {}
            ref = mamba_ref.load(ckpt)
            _, states = ref.prefill(torch.from_numpy(prompt[:1].astype(np.int64)))
            for i, st in enumerate(states):
                for kind, key in (("conv_state", "conv"), ("ssm_state", "ssm")):
                    shape = (2,) + tuple(st[key].shape[1:])
                    state0[i, kind] = sess.state(f"layers.{i}.{kind}", shape)[0]
            rows = self.one_sequence(sess, 1, more, continuing=True)
            np.testing.assert_array_equal(rows[0], before[0], err_msg=f"{name}: seq 0 logits kept")
            seq1 = list(prompt[1]) + [9, 6] + more
            logits, states = ref.prefill(torch.tensor([seq1], dtype=torch.int64))
            self.assertLess(rel_err(rows[1], logits[0, -1].numpy()), 1e-4, name)
            for i, st in enumerate(states):
                for kind, key in (("conv_state", "conv"), ("ssm_state", "ssm")):
                    want = st[key].numpy()
                    mine = sess.state(f"layers.{i}.{kind}", (2,) + want.shape[1:])
                    self.assertLess(rel_err(mine[1:2], want), 1e-4, f"{name} {kind} {i}")
                    np.testing.assert_array_equal(mine[0], state0[i, kind], err_msg=f"{name}: seq 0")
            sess.close()

    def test_greedy_matches_reference_argmax(self):
        for name, ckpt in self.artifacts.items():
            prompt = self.prompts(2, 5)
            sess = Session(self.rt, ckpt + ".ssmc", 2)
            tokens = self.gen(sess, prompt, 4)
            sess.close()
            ref = mamba_ref.load(ckpt)
            for b in range(2):
                seq = list(prompt[b])
                for i, tok in enumerate(tokens[b]):
                    logits, _ = ref.prefill(torch.tensor([seq], dtype=torch.int64))
                    row = logits[0, -1, :ref.vocab_size].numpy()
                    top2 = np.sort(row)[-2:]
                    # Only a near-tie could let fp32 and float64 disagree.
                    if top2[1] - top2[0] > 1e-4 * max(1.0, abs(top2[1])):
                        self.assertEqual(int(tok), int(np.argmax(row)), f"{name} seq {b} step {i}")
                    seq.append(int(tok))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ssmc-compile", required=True)
    ap.add_argument("--runtime-lib", required=True)
    ap.add_argument("--workdir", default=None)
    ARGS, rest = ap.parse_known_args()
    if ARGS.workdir is None:
        ARGS.workdir = tempfile.mkdtemp(prefix="ssmc-cpu-model-")
    os.makedirs(ARGS.workdir, exist_ok=True)
    torch.set_num_threads(1)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
