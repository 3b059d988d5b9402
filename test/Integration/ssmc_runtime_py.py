"""ctypes binding of the ssmc runtime's C API (runtime/include/ssmc/runtime.h),
just enough for the integration tests: load, prefill, decode, logits, state."""
import ctypes

import numpy as np


class RuntimeError_(Exception):
    pass


class Runtime:
    def __init__(self, library_path):
        lib = ctypes.CDLL(library_path)
        vp = ctypes.c_void_p
        lib.ssmc_model_load.argtypes = [ctypes.c_char_p, vp, ctypes.POINTER(vp)]
        lib.ssmc_model_free.argtypes = [vp]
        lib.ssmc_session_create.argtypes = [vp, ctypes.c_int64, ctypes.POINTER(vp)]
        lib.ssmc_session_free.argtypes = [vp]
        lib.ssmc_prefill.argtypes = [vp, ctypes.POINTER(ctypes.c_int32), ctypes.c_int64]
        lib.ssmc_prefill_continue.argtypes = lib.ssmc_prefill.argtypes
        lib.ssmc_decode.argtypes = [vp, ctypes.POINTER(ctypes.c_int32)]
        lib.ssmc_logits.argtypes = [vp, ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
                                    ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int32)]
        lib.ssmc_state_nbytes.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t)]
        lib.ssmc_state_read.argtypes = [vp, ctypes.c_char_p, vp, ctypes.c_size_t]
        lib.ssmc_last_error.restype = ctypes.c_char_p
        self.lib = lib

    def check(self, status):
        if status != 0:
            raise RuntimeError_(self.lib.ssmc_last_error().decode())


class LoadOptions(ctypes.Structure):
    _fields_ = [("verify_checksums", ctypes.c_int), ("num_threads", ctypes.c_int),
                ("device", ctypes.c_int), ("cuda_device", ctypes.c_int)]


DEVICES = {None: 0, "auto": 0, "cpu": 1, "cuda": 2}  # ssmc_device


class Session:
    """One model + one session of `batch` sequences, on `device` (cpu, cuda;
    None: the runtime's automatic choice). verify=False skips the checksums
    (weights regenerated elsewhere for timing)."""

    def __init__(self, runtime, artifact, batch, device=None, verify=True):
        self.rt = runtime
        self.model = ctypes.c_void_p()
        options = LoadOptions(1 if verify else 0, 0, DEVICES[device], 0)
        runtime.check(runtime.lib.ssmc_model_load(artifact.encode(), ctypes.byref(options),
                                                  ctypes.byref(self.model)))
        self.session = ctypes.c_void_p()
        runtime.check(runtime.lib.ssmc_session_create(self.model, batch, ctypes.byref(self.session)))

    def close(self):
        self.rt.lib.ssmc_session_free(self.session)
        self.rt.lib.ssmc_model_free(self.model)

    def _logits(self):
        data = ctypes.POINTER(ctypes.c_float)()
        dims = (ctypes.c_int64 * 8)()
        rank = ctypes.c_int32()
        self.rt.check(self.rt.lib.ssmc_logits(self.session, ctypes.byref(data), dims, ctypes.byref(rank)))
        shape = tuple(dims[i] for i in range(rank.value))
        return np.ctypeslib.as_array(data, shape=shape).copy()

    def prefill(self, tokens, continuing=False):
        """tokens [batch, L]; continuing: every sequence goes on from its
        state (ssmc_prefill_continue) instead of starting afresh."""
        tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        ptr = tokens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
        run = self.rt.lib.ssmc_prefill_continue if continuing else self.rt.lib.ssmc_prefill
        self.rt.check(run(self.session, ptr, tokens.shape[1]))
        return self._logits()

    def prefill_in_pieces(self, tokens):
        """tokens [batch, L] in three prefills, the later two continuing from
        the state: the middle one a single token (shorter than the conv
        window), the last the rest. Returns [(start, end, logits)]."""
        total = tokens.shape[1]
        cuts = [0, (total + 1) // 2, (total + 1) // 2 + 1, total]
        return [(start, end, self.prefill(tokens[:, start:end], continuing=start > 0))
                for start, end in zip(cuts, cuts[1:]) if end > start]

    def decode(self, tokens):
        tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        self.rt.check(self.rt.lib.ssmc_decode(self.session, tokens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))))
        return self._logits()

    def state(self, name, shape):
        nbytes = ctypes.c_size_t()
        self.rt.check(self.rt.lib.ssmc_state_nbytes(self.session, name.encode(), ctypes.byref(nbytes)))
        out = np.empty(nbytes.value // 4, dtype=np.float32)
        self.rt.check(self.rt.lib.ssmc_state_read(self.session, name.encode(),
                                                  out.ctypes.data_as(ctypes.c_void_p), nbytes))
        return out.reshape(shape)
