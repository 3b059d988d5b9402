#!/usr/bin/env python3
"""Writes a small byte-level BPE tokenizer.json (GPT-2 style: 256 byte tokens
plus a few merges and one added token) for the ssmc-compile tokenizer tests.

  make_tokenizer.py OUT.json [--max-id N]   (--max-id: the added token's id)
"""
import json
import sys


def byte_chars():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    out, n = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + n)
            n += 1
    return out


def main():
    out = sys.argv[1]
    max_id = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--max-id" else 259
    vocab = {c: b for b, c in byte_chars().items()}
    vocab.update({"he": 256, "ll": 257, "hell": 258})
    tok = {"version": "1.0",
           "added_tokens": [{"id": max_id, "content": "<|endoftext|>", "special": True}],
           "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
           "decoder": {"type": "ByteLevel"},
           "model": {"type": "BPE", "vocab": vocab, "merges": ["h e", "l l", ["he", "ll"]]}}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
