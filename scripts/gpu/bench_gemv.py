#!/usr/bin/env python3
"""Device check and microbenchmark of the skinny-GEMM kernels (passes/gpu/GemvKernel.h).

Loads the PTX of one or more builds of the kernels (scripts/gpu/make_gemv_ptx.sh, each
with its own `gemv-stretches-per-warp` P), checks every kernel against a float64
PyTorch reference on fresh random inputs (output poisoned with NaN first), then
times the decode-step products of the 130m and 1.4b-size models: many
launches captured in one CUDA graph, cycling over enough copies of w that
they never sit in L2, median of --repeat replays. Prints one JSON line per
(build, kernel, shape) and a table last; cuBLAS through torch (bf16 and
f32 linear) for comparison.

usage: bench_gemv.py NAME=KERNELS.ptx [NAME=KERNELS.ptx ...] [--repeat R]
"""
import argparse
import json
import statistics

import torch

from cuda_ptx import Driver, memref

WARPS, STRETCH = 8, {"f32": 128, "bf16": 256}

# (model, product, n, k) of one decode step: in_proj, x_proj, dt_proj,
# out_proj, lm_head (vocabulary padded to 8).
SHAPES = [
    ("130m", "in_proj", 3072, 768), ("130m", "x_proj", 80, 1536), ("130m", "dt_proj", 1536, 48),
    ("130m", "out_proj", 768, 1536), ("130m", "lm_head", 50280, 768),
    ("1.4b", "in_proj", 8192, 2048), ("1.4b", "x_proj", 160, 4096), ("1.4b", "dt_proj", 4096, 128),
    ("1.4b", "out_proj", 2048, 4096), ("1.4b", "lm_head", 50280, 2048),
    ("mamba2-1.3b", "in_proj", 8512, 2048),
]
CHECK_SHAPES = [(1, 1, 8), (3, 5, 264), (1, 7, 4096 + 8), (2, 33, 1000), (4, 16, 8192 + 8), (1, 300, 24)]


class Gemv:
    """One kernel of one build: c = a w^T + bias."""

    def __init__(self, driver, module, weight, rows, per_warp):
        self.driver, self.weight, self.rows, self.per_warp = driver, weight, rows, per_warp
        self.function = driver.function(module, f"ssmc_gemv_{weight}_m{rows}")

    def __call__(self, a, w, bias, c):
        # The runtime's grid (CudaBackend::gemvBlocks): S warps share a row,
        # S the smallest power of two up to 8 with ceil(k / stretch) <= S x P.
        n, k = w.shape
        row_stretches, split = -(-k // STRETCH[self.weight]), 1
        while split < WARPS and row_stretches > split * self.per_warp:
            split *= 2
        grid = -(-n // (WARPS // split))
        self.driver.launch(self.function, (grid, 1, 1), (256, 1, 1),
                           memref(a) + memref(w) + memref(bias) + memref(c))


def check(gemv, gen):
    """Largest relative error over CHECK_SHAPES (bias on and off) against float64."""
    worst = 0.0
    dtype = torch.bfloat16 if gemv.weight == "bf16" else torch.float32
    for m, n, k in CHECK_SHAPES:
        m = min(m, gemv.rows)
        for with_bias in (True, False):
            a = torch.randn(m, k, device="cuda", generator=gen)
            w = torch.randn(n, k, device="cuda", generator=gen).to(dtype)
            bias = torch.randn(n if with_bias else 0, device="cuda", generator=gen)
            c = torch.full((m, n), float("nan"), device="cuda")
            gemv(a, w, bias, c)
            torch.cuda.synchronize()
            ref = a.double() @ w.double().T + (bias.double() if with_bias else 0)
            err = ((c.double() - ref).norm() / ref.norm()).item()
            if not err == err or err > 1e-5:
                raise SystemExit(f"FAIL {gemv.weight} m{gemv.rows} ({m}, {n}, {k}) bias={with_bias}: "
                                 f"relative error {err}")
            worst = max(worst, err)
    return worst


def time_launches(launch, copies, repeat):
    """Microseconds per launch: `copies` launches (one per weight copy) in one
    CUDA graph, median of `repeat` replays after two warm-up replays."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        for i in range(copies):  # first launches outside the capture
            launch(i)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, stream=stream):
        for i in range(copies):
            launch(i)
    times = []
    for r in range(repeat + 2):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        if r >= 2:
            times.append(start.elapsed_time(end) * 1000 / copies)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", nargs="+", help="NAME=PTX[:P], P the build's gemv-stretches-per-warp")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rows", default="1", help="comma-separated rows of a to time (1, 2, 4)")
    parser.add_argument("--out", help="also append the JSON lines to this file")
    args = parser.parse_args()
    driver = Driver()
    gen = torch.Generator(device="cuda")
    gen.manual_seed(7)
    rows_timed = [int(r) for r in args.rows.split(",")]
    lines, table = [], {}
    builds = []
    for spec in args.builds:
        name, rest = spec.split("=", 1)
        path, per_warp = rest.rsplit(":", 1)
        builds.append((name, driver.module(open(path, "rb").read() + b"\0"), int(per_warp)))

    for name, module, per_warp in builds:
        for weight in ("bf16", "f32"):
            for rows in (1, 2, 4):
                err = check(Gemv(driver, module, weight, rows, per_warp), gen)
                print(f"check {name} {weight} m{rows}: worst relative error {err:.2e}", flush=True)

    for m in rows_timed:
        for model, product, n, k in SHAPES:
            copies = max(8, -(-256 * 2**20 // (n * k * 2)))  # >= 256 MB of bf16 weights
            a = torch.randn(m, k, device="cuda", generator=gen)
            bias = torch.randn(0, device="cuda")
            c = torch.empty(m, n, device="cuda")
            for weight in ("bf16", "f32"):
                dtype = torch.bfloat16 if weight == "bf16" else torch.float32
                ws = [torch.randn(n, k, device="cuda", generator=gen).to(dtype) for _ in range(copies)]
                nbytes = n * k * ws[0].element_size() + 4 * m * (k + n)
                results = {}
                for name, module, per_warp in builds:
                    gemv = Gemv(driver, module, weight, {1: 1, 2: 2}.get(m, 4), per_warp)
                    results[name] = time_launches(lambda i: gemv(a, ws[i], bias, c), copies, args.repeat)
                a_cast = a.to(dtype)
                results["cublas"] = time_launches(
                    lambda i: torch.nn.functional.linear(a_cast, ws[i]), copies, args.repeat)
                for name, us in results.items():
                    line = {"bench": "gemv", "build": name, "weight": weight, "m": m, "n": n, "k": k,
                            "model": model, "product": product, "us": round(us, 2),
                            "gbs": round(nbytes / us / 1e3, 1)}
                    lines.append(line)
                    print(json.dumps(line), flush=True)
                table[(m, model, product, weight)] = results
                del ws
    if args.out:
        with open(args.out, "a") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
    names = [b[0] for b in builds] + ["cublas"]
    print("\nus per product (GB/s of w + a + c); m model product weight | " + " | ".join(names))
    for (m, model, product, weight), results in table.items():
        n, k = next((n, k) for mo, p, n, k in SHAPES if (mo, p) == (model, product))
        nbytes = n * k * (2 if weight == "bf16" else 4) + 4 * m * (k + n)
        cells = [f"{results[x]:7.2f} ({nbytes / results[x] / 1e3:5.0f})" for x in names]
        print(f"m{m} {model:11s} {product:8s} {weight:4s} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
