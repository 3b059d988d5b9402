"""The few CUDA driver calls the kernel checks need (through ctypes), and the
expanded memref descriptors their kernels take, for check_scan_kernel.py and
bench_gemv.py."""
import ctypes

import torch


class Driver:
    """Loads PTX and launches its kernels on torch's current stream."""

    def __init__(self):
        self.cu = ctypes.CDLL("libcuda.so.1")
        torch.zeros(1, device="cuda")  # makes the primary context current

    def check(self, status, what):
        if status != 0:
            name = ctypes.c_char_p()
            self.cu.cuGetErrorName(status, ctypes.byref(name))
            raise RuntimeError(f"{what}: {name.value.decode() if name.value else status}")

    def module(self, ptx):
        """ptx: bytes ending in NUL."""
        module = ctypes.c_void_p()
        self.check(self.cu.cuModuleLoadData(ctypes.byref(module), ctypes.c_char_p(ptx)), "cuModuleLoadData")
        return module

    def function(self, module, name):
        function = ctypes.c_void_p()
        self.check(self.cu.cuModuleGetFunction(ctypes.byref(function), module, name.encode()),
                   f"cuModuleGetFunction {name}")
        return function

    def load(self, ptx, name):
        return self.function(self.module(ptx), name)

    def launch(self, function, grid, block, params):
        """grid, block: 3-tuples; params: the kernel's 64-bit words."""
        values = [ctypes.c_uint64(p & (2**64 - 1)) for p in params]
        pointers = (ctypes.c_void_p * len(values))(*[ctypes.cast(ctypes.byref(v), ctypes.c_void_p) for v in values])
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
        self.check(self.cu.cuLaunchKernel(function, *grid, *block, 0, stream, pointers, None), "cuLaunchKernel")


def memref(t):
    """The expanded memref descriptor: allocated, aligned, offset, sizes, strides."""
    return [t.data_ptr(), t.data_ptr(), 0, *t.shape, *t.stride()]
