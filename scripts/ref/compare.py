#!/usr/bin/python3
"""Compares two arrays by relative norm error ||a - b|| / ||b|| (b is the reference).

  compare.py ours.npy ref.npy --rtol-norm 1e-4
  compare.py ours.npz ref.npz --rtol-norm 1e-4     # every key of ref.npz, worst one decides
Prints one JSON line {rel_err, max_abs, shape, pass} and exits 0 on pass, 1 on fail.
Fails on shape mismatch and on any NaN/Inf in either input.
"""
import argparse
import json
import sys

import numpy as np


def compare(a, b, rtol):
    """Returns the result dict for one pair of arrays."""
    res = {"rel_err": None, "max_abs": None, "shape": list(b.shape), "pass": False}
    if a.shape != b.shape:
        res["error"] = f"shape mismatch: {list(a.shape)} vs {list(b.shape)}"
        return res
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    bad = [n for n, x in (("first", a64), ("second", b64)) if not np.all(np.isfinite(x))]
    if bad:
        res["error"] = "NaN/Inf in " + " and ".join(bad) + " input"
        return res
    diff = a64 - b64
    nb = np.linalg.norm(b64)
    nd = np.linalg.norm(diff)
    rel = float(nd / nb) if nb > 0 else (0.0 if nd == 0 else float("inf"))
    res.update(rel_err=rel, max_abs=float(np.abs(diff).max()) if diff.size else 0.0,
               **{"pass": rel <= rtol})
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("ref")
    ap.add_argument("--rtol-norm", type=float, default=1e-4)
    a = ap.parse_args(argv)
    x, y = np.load(a.ours), np.load(a.ref)
    if isinstance(y, np.ndarray):
        res = compare(np.asarray(x), y, a.rtol_norm)
    else:  # npz: compare key by key; report the worst
        per = {}
        for k in y.files:
            per[k] = (compare(x[k], y[k], a.rtol_norm) if k in x.files
                      else {"pass": False, "error": "missing in first input"})
        worst = max(per, key=lambda k: (not per[k]["pass"], per[k].get("rel_err") or 0))
        res = dict(per[worst], key=worst, pass_all=all(r["pass"] for r in per.values()))
        res["pass"] = res.pop("pass_all")
    print(json.dumps(res))
    return 0 if res["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
