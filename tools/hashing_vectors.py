#!/usr/bin/env python3
"""Reference implementation of kvstore's prefix-block hashing (docs/hashing.md), standard library only.

    python3 tools/hashing_vectors.py            # prints the test vectors as JSON
    python3 tools/hashing_vectors.py --check    # checks docs/hashing-vectors.json, exit 1 on any mismatch
"""
import hashlib
import json
import os
import struct
import sys

TAG = "kvstore-namespace-v1"


def _str(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def namespace_encoding(ns):
    return (_str(TAG) + _str(ns["model_id"]) + _str(ns["dtype"])
            + struct.pack(">IIII", ns["layers"], ns["kv_heads"], ns["head_dim"], ns["tokens_per_block"])
            + _str(ns.get("tenant", "")) + _str(ns.get("cache_salt", "")) + _str(ns.get("lora_id", "")))


def namespace_root(ns):
    return hashlib.sha256(namespace_encoding(ns)).digest()


def block_keys(ns, tokens):
    """Keys of the full blocks of `tokens`; a trailing partial block has no key."""
    b = ns["tokens_per_block"]
    parent = namespace_root(ns)
    keys = []
    for i in range(len(tokens) // b):
        chunk = tokens[i * b:(i + 1) * b]
        parent = hashlib.sha256(parent + struct.pack(">%dI" % b, *chunk)).digest()
        keys.append(parent.hex())
    return keys


def vectors():
    llama = dict(model_id="meta-llama/Llama-3.1-8B", dtype="bf16", layers=32, kv_heads=8, head_dim=128)
    cases = [
        ("two blocks of 4", dict(llama, tokens_per_block=4), list(range(8))),
        ("partial tail is not hashed", dict(llama, tokens_per_block=4), list(range(10))),
        ("tenant and salt change every key", dict(llama, tokens_per_block=4, tenant="acme", cache_salt="s3cr3t"),
         list(range(8))),
        ("lora adapter", dict(llama, tokens_per_block=4, lora_id="sql-lora-v2"), list(range(8))),
        ("large token ids", dict(llama, tokens_per_block=2), [2147483647, 0, 128000, 128009]),
        ("16-token blocks, 40 tokens", dict(llama, tokens_per_block=16), [(7 * i + 3) % 32000 for i in range(40)]),
        ("fewer tokens than a block", dict(llama, tokens_per_block=16), [1, 2, 3]),
        ("unicode model id", dict(llama, model_id="qwen/Qwen3-\u00e9", tokens_per_block=4), [9, 8, 7, 6]),
    ]
    out = []
    for name, ns, tokens in cases:
        out.append(dict(name=name, namespace=ns, tokens=tokens, root=namespace_root(ns).hex(),
                        keys=block_keys(ns, tokens)))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "docs", "hashing-vectors.json")
    computed = vectors()
    if "--check" in sys.argv:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        bad = 0
        for want in stored:
            root = namespace_root(want["namespace"]).hex()
            keys = block_keys(want["namespace"], want["tokens"])
            if root != want["root"] or keys != want["keys"]:
                print("MISMATCH: %s" % want["name"])
                bad += 1
        print("%d vectors checked, %d mismatches" % (len(stored), bad))
        sys.exit(1 if bad or not stored else 0)
    print(json.dumps(computed, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
