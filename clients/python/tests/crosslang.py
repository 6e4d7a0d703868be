#!/usr/bin/env python3
"""Python half of the cross-language acceptance test (client-lib's CrossLanguageTest runs it).

Against a daemon where the Java client stored the `--java-seed` prefix: finds it with LOOKUP, streams it and
checks it byte-identical to what the Java side generated (same generator, below); then stores the
`--python-seed` prefix for the Java side to check. Prints one line per step; exit 0 = all good.

The shared generators (mirrored in CrossLanguageTest.java):
  token i of seed s        = (s * 7919 + i * 13) % 100000
  payload of block b, seed s = SHA-256("s:b:0") || SHA-256("s:b:1") || ... truncated to the block size
"""
import argparse
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kvstore_client import Namespace, connect  # noqa: E402

NAMESPACE = Namespace("xlang/mod\u00e8le-\u6a21\u578b", "bf16", 2, 2, 64, 16, tenant="acme", cache_salt="salt",
                      lora_id="lora-1")


def tokens(seed, blocks):
    return [(seed * 7919 + i * 13) % 100000 for i in range(blocks * NAMESPACE.tokens_per_block)]


def payload(seed, block, size):
    out = bytearray()
    k = 0
    while len(out) < size:
        out += hashlib.sha256(("%d:%d:%d" % (seed, block, k)).encode("ascii")).digest()
        k += 1
    return bytes(out[:size])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--java-seed", type=int, required=True)
    ap.add_argument("--python-seed", type=int, required=True)
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--block-size", type=int, default=64 << 10)
    a = ap.parse_args()
    with connect(a.host, a.port, NAMESPACE, timeout=20, verify_checksums=True) as c:
        jt = tokens(a.java_seed, a.blocks)
        hit = c.lookup_prefix(jt)
        print("python: lookup of the Java prefix: %d of %d blocks, tiers %s" % (hit.hit_blocks, a.blocks, hit.tiers))
        if hit.hit_blocks != a.blocks:
            return 1
        keys = NAMESPACE.block_keys(jt)
        n = 0
        for b in c.stream_prefix(jt):
            want = payload(a.java_seed, b.position, a.block_size)
            if b.position != n or b.key != keys[n] or bytes(b.payload) != want:
                print("python: block %d differs from the Java side's (position %d, key %s, %d bytes)"
                      % (n, b.position, b.key.hex(), len(b.payload)))
                return 1
            if b.layout_id != NAMESPACE.layout_id or b.parent != (keys[n - 1] if n else NAMESPACE.root):
                print("python: block %d has layout id %d / parent %s, expected %d / %s"
                      % (n, b.layout_id, b.parent.hex(), NAMESPACE.layout_id,
                         (keys[n - 1] if n else NAMESPACE.root).hex()))
                return 1
            n += 1
        print("python: streamed %d blocks of the Java prefix, byte-identical" % n)
        if n != a.blocks:
            return 1
        pt = tokens(a.python_seed, a.blocks)
        ack = c.put_blocks(pt, [payload(a.python_seed, i, a.block_size) for i in range(a.blocks)])
        print("python: stored its prefix: %s" % [x.name for x in ack.codes])
        return 0 if ack.all_stored else 1


if __name__ == "__main__":
    sys.exit(main())
