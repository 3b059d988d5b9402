"""ctypes binding of the runtime's generation and snapshot C API
(ssmc_generate, ssmc_snapshot_*), on top of ssmc_runtime_py.Session."""
import ctypes

import numpy as np


class SamplerParams(ctypes.Structure):
    _fields_ = [("temperature", ctypes.c_double), ("top_k", ctypes.c_int32),
                ("top_p", ctypes.c_double), ("min_p", ctypes.c_double),
                ("repetition_penalty", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("seeds", ctypes.POINTER(ctypes.c_uint64)),
                ("stop_tokens", ctypes.POINTER(ctypes.c_int32)), ("n_stop_tokens", ctypes.c_int32),
                ("max_new_tokens", ctypes.c_int64)]


def _bind(lib):
    vp = ctypes.c_void_p
    lib.ssmc_sampler_params_init.argtypes = [ctypes.POINTER(SamplerParams)]
    lib.ssmc_generate.argtypes = [vp, ctypes.POINTER(ctypes.c_int32), ctypes.c_int64,
                                  ctypes.POINTER(SamplerParams), ctypes.POINTER(ctypes.c_int32),
                                  ctypes.POINTER(ctypes.c_int64), vp, vp]
    lib.ssmc_snapshot_size.argtypes = [vp, ctypes.POINTER(ctypes.c_size_t)]
    lib.ssmc_snapshot_save.argtypes = [vp, ctypes.c_int64, vp, ctypes.c_size_t]
    lib.ssmc_snapshot_load.argtypes = [vp, ctypes.c_int64, vp, ctypes.c_size_t]
    lib.ssmc_snapshot_fork.argtypes = [vp, vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64),
                                       ctypes.c_int64]
    i32p = ctypes.POINTER(ctypes.c_int32)
    lib.ssmc_sampler_create.argtypes = [ctypes.POINTER(SamplerParams), ctypes.c_int64,
                                        ctypes.POINTER(vp)]
    lib.ssmc_sampler_free.argtypes = [vp]
    lib.ssmc_sampler_observe.argtypes = [vp, i32p, ctypes.c_int64]
    lib.ssmc_sample.argtypes = [vp, vp, i32p]
    lib.ssmc_sample_logits.argtypes = [vp, ctypes.POINTER(ctypes.c_float), ctypes.c_int64,
                                       ctypes.c_int64, i32p]


def generate(sess, prompt, max_new_tokens, temperature=0.0, seed=0):
    """Greedy (temperature 0) or sampled generation; returns a list of id lists."""
    return generate_with(sess, prompt, max_new_tokens, {"temperature": temperature, "seed": seed})


def generate_with(sess, prompt, max_new_tokens, settings):
    """Generation with the sampler settings `settings` (SamplerParams fields)."""
    lib = sess.rt.lib
    _bind(lib)
    prompt = np.ascontiguousarray(prompt, dtype=np.int32)
    batch, length = prompt.shape
    p = SamplerParams()
    lib.ssmc_sampler_params_init(ctypes.byref(p))
    for k, v in settings.items():
        setattr(p, k, v)
    p.max_new_tokens = max_new_tokens
    out = np.empty(batch * max_new_tokens, dtype=np.int32)
    counts = np.empty(batch, dtype=np.int64)
    sess.rt.check(lib.ssmc_generate(sess.session, prompt.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                                    length, ctypes.byref(p),
                                    out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                                    counts.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), None, None))
    out = out.reshape(batch, max_new_tokens)
    return [list(out[b, :counts[b]]) for b in range(batch)]


def snapshot_save(sess, sequence):
    lib = sess.rt.lib
    _bind(lib)
    n = ctypes.c_size_t()
    sess.rt.check(lib.ssmc_snapshot_size(sess.session, ctypes.byref(n)))
    buf = ctypes.create_string_buffer(n.value)
    sess.rt.check(lib.ssmc_snapshot_save(sess.session, sequence, buf, n))
    return buf


def snapshot_fork(sess, snap, sequences):
    lib = sess.rt.lib
    _bind(lib)
    seqs = (ctypes.c_int64 * len(sequences))(*sequences)
    sess.rt.check(lib.ssmc_snapshot_fork(sess.session, snap, ctypes.sizeof(snap), seqs, len(sequences)))


def prefill_varlen(sess, prompts):
    """Each sequence prefilled from its own prompt (a list of id lists, one per
    sequence, lengths may differ); returns the [batch, padded_vocab] logits."""
    lib = sess.rt.lib
    tokens = np.ascontiguousarray(np.concatenate([np.asarray(p) for p in prompts]), dtype=np.int32)
    lengths = np.array([len(p) for p in prompts], dtype=np.int64)
    lib.ssmc_prefill_varlen.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32),
                                        ctypes.POINTER(ctypes.c_int64)]
    sess.rt.check(lib.ssmc_prefill_varlen(sess.session,
                                          tokens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                                          lengths.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))))
    return sess._logits()


def prefill_sequence(sess, sequence, prompt, continuing=False):
    """Sequence `sequence` alone from `prompt` (a list of ids), going on from
    its state when `continuing`; returns the [batch, padded_vocab] next-token
    logits of every sequence."""
    lib = sess.rt.lib
    tokens = np.ascontiguousarray(prompt, dtype=np.int32)
    run = lib.ssmc_prefill_sequence_continue if continuing else lib.ssmc_prefill_sequence
    run.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_int32), ctypes.c_int64]
    sess.rt.check(run(sess.session, sequence, tokens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                      len(tokens)))
    return sess._logits()


def set_prefill_logits(sess, last):
    """Prefill logits of every position (last=False) or the last only."""
    lib = sess.rt.lib
    lib.ssmc_session_set_prefill_logits.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    sess.rt.check(lib.ssmc_session_set_prefill_logits(sess.session, 1 if last else 0))


def sampling_mismatches(sess, prompt, vocab, settings, steps):
    """Tokens sampled through the session (ssmc_sample: on the device where
    the artifact has a sampler kernel) against the same sampler settings on
    the host copy of the logits (ssmc_sample_logits), step after step from
    `prompt` [batch, length]; returns how many tokens differed."""
    lib = sess.rt.lib
    _bind(lib)
    vp, i32p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)
    prompt = np.ascontiguousarray(prompt, dtype=np.int32)
    batch, length = prompt.shape
    differed = 0
    for s in settings:
        p = SamplerParams()
        lib.ssmc_sampler_params_init(ctypes.byref(p))
        for k, v in s.items():
            setattr(p, k, v)
        pair = [vp(), vp()]
        for h in pair:
            sess.rt.check(lib.ssmc_sampler_create(ctypes.byref(p), batch, ctypes.byref(h)))
            sess.rt.check(lib.ssmc_sampler_observe(h, prompt.ctypes.data_as(i32p), length))
        try:
            sess.prefill(prompt)
            for _ in range(steps):
                logits = sess._logits()
                rows = np.ascontiguousarray(logits.reshape(batch, -1, logits.shape[-1])[:, -1])
                ours = np.empty(batch, dtype=np.int32)
                host = np.empty(batch, dtype=np.int32)
                sess.rt.check(lib.ssmc_sample(pair[0], sess.session, ours.ctypes.data_as(i32p)))
                sess.rt.check(lib.ssmc_sample_logits(
                    pair[1], rows.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), rows.shape[1],
                    vocab, host.ctypes.data_as(i32p)))
                differed += int(np.sum(ours != host))
                sess.decode(ours)
        finally:
            for h in pair:
                lib.ssmc_sampler_free(h)
    return differed
