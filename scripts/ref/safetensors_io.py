#!/usr/bin/python3
"""Minimal safetensors reader/writer (F32, F16, BF16) written from the format description.

File = 8-byte little-endian u64 header length n, n bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then raw little-endian tensor bytes; offsets are relative to the end of the header.
"""
import json
import os
import struct

import numpy as np
import torch

# dtype tag -> (torch dtype, numpy dtype used to move the raw bytes, bytes per element).
# bf16 has no numpy dtype: its bytes travel as int16 and are reinterpreted by torch.
_DTYPES = {
    "F32": (torch.float32, np.dtype("<f4"), 4),
    "F16": (torch.float16, np.dtype("<f2"), 2),
    "BF16": (torch.bfloat16, np.dtype("<i2"), 2),
}
_TAG = {v[0]: k for k, v in _DTYPES.items()}

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"


def read(path):
    """Returns ({name: torch tensor}, metadata dict) for one .safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        tag = info["dtype"]
        if tag not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {tag} "
                             f"(supported: {', '.join(_DTYPES)})")
        tdtype, ndtype, size = _DTYPES[tag]
        shape = [int(s) for s in info["shape"]]
        begin, end = info["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * size or end > len(data):
            raise ValueError(f"{path}: tensor {name!r} offsets {begin}..{end} do not match "
                             f"shape {shape} x {size} bytes")
        arr = np.frombuffer(data, dtype=ndtype, count=count, offset=begin)
        t = torch.from_numpy(arr.astype(ndtype.newbyteorder("=")))  # copy, native byte order
        if tdtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        out[name] = t.reshape(shape)
    return out, meta


def write(path, tensors, metadata=None):
    """Writes {name: torch tensor} (F32/F16/BF16) to one .safetensors file."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TAG:
            raise ValueError(f"tensor {name!r}: unsupported dtype {t.dtype}")
        tag = _TAG[t.dtype]
        arr = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()
        b = arr.astype(_DTYPES[tag][1]).tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)  # data starts 8-byte aligned, as usual
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in chunks:
            f.write(b)


def write_dir(out_dir, tensors, shards=1, metadata=None):
    """Writes model.safetensors, or N shards plus model.safetensors.index.json."""
    os.makedirs(out_dir, exist_ok=True)
    metadata = dict(metadata or {"format": "pt"})
    if shards <= 1:
        write(os.path.join(out_dir, SINGLE_NAME), tensors, metadata)
        return
    names = sorted(tensors)
    # Greedy split by bytes so shards are roughly balanced; every shard gets >= 1 tensor.
    shards = min(shards, len(names))
    total = sum(tensors[n].numel() * tensors[n].element_size() for n in names)
    groups, cur, acc = [], [], 0
    for i, n in enumerate(names):
        cur.append(n)
        acc += tensors[n].numel() * tensors[n].element_size()
        left_names, left_groups = len(names) - i - 1, shards - len(groups) - 1
        if left_groups > 0 and (acc >= total * (len(groups) + 1) / shards
                                or left_names == left_groups):
            groups.append(cur)
            cur = []
    groups.append(cur)
    weight_map = {}
    for k, g in enumerate(groups):
        fname = f"model-{k + 1:05d}-of-{len(groups):05d}.safetensors"
        write(os.path.join(out_dir, fname), {n: tensors[n] for n in g}, metadata)
        weight_map.update({n: fname for n in g})
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(out_dir, INDEX_NAME), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)


def read_dir(model_dir):
    """Reads all tensors of a checkpoint directory (single file or sharded with an index)."""
    index_path = os.path.join(model_dir, INDEX_NAME)
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        out = {}
        for fname in sorted(set(weight_map.values())):
            tensors, _ = read(os.path.join(model_dir, fname))
            out.update(tensors)
        missing = [n for n in weight_map if n not in out]
        if missing:
            raise ValueError(f"{model_dir}: index names tensors missing from shards: {missing[:5]}")
        return out
    single = os.path.join(model_dir, SINGLE_NAME)
    if os.path.exists(single):
        return read(single)[0]
    files = sorted(f for f in os.listdir(model_dir) if f.endswith(".safetensors"))
    if not files:
        raise FileNotFoundError(f"{model_dir}: no .safetensors files")
    out = {}
    for fname in files:
        out.update(read(os.path.join(model_dir, fname))[0])
    return out
