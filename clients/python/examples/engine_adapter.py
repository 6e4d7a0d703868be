#!/usr/bin/env python3
"""Where an inference engine's KV-connector hooks call kvstore, shown with a fake engine and fake tensors.

Engines with a pluggable KV cache (vLLM's KVConnector, SGLang's HiCache storage backend) call a connector at
three points of a request's life; this adapter fills them with kvstore calls:

1. before scheduling  `matched_tokens(request)`   LOOKUP (with a lease): how many prompt tokens are cached, so
                                                  the scheduler only allocates and computes the rest;
2. before the forward `load(request, pages)`      GET, each block streamed straight into the engine's
                                                  KV pages (`into=`: no intermediate copy);
3. after prefill      `save(request, pages)`      PUT of the blocks kvstore did not have yet.

The "engine" here is a paged KV buffer (one bytearray, one page per block) and a prefill that derives each
block's KV bytes from its tokens, so that loaded pages can be checked against recomputed ones.

    ./kvstore serve --port 7379 &          # or any running daemon
    python3 clients/python/examples/engine_adapter.py --port 7379
"""
import argparse
import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kvstore_client import Namespace, connect  # noqa: E402

LAYERS, KV_HEADS, HEAD_DIM, TOKENS_PER_BLOCK, DTYPE_BYTES = 4, 2, 64, 16, 2
# bytes of one block of KV: K and V, every layer, every head, every token of the block
BLOCK_BYTES = 2 * LAYERS * KV_HEADS * HEAD_DIM * TOKENS_PER_BLOCK * DTYPE_BYTES


class KvStoreConnector:
    """The connector: one kvstore client per engine worker (the client is not thread-safe)."""

    def __init__(self, client):
        self.kv = client
        self.tpb = client.namespace.tokens_per_block

    # 1. scheduler: before allocating pages for a new request
    def matched_tokens(self, prompt):
        """Cached prompt tokens (whole blocks). At least one token is left to compute (the engine needs the
        last token's logits). The lease keeps the hit blocks from being evicted until they are loaded."""
        hit = self.kv.lookup_prefix(prompt[:len(prompt) - 1], lease_millis=5000)
        return hit.hit_tokens

    # 2. worker: before the forward pass, for the pages of the matched prefix
    def load(self, prompt, pages):
        """Streams the cached blocks into `pages` (writable memoryviews, one per block), in order, as they
        arrive. Returns the blocks loaded (fewer than len(pages) if some were evicted meanwhile: the engine
        then recomputes the rest)."""
        n = len(pages)
        with self.kv.stream_prefix(prompt[:n * self.tpb], into=pages) as s:
            for _ in s:
                pass
            return s.blocks_received

    # 3. worker: after prefill computed the pages of blocks first_block..
    def save(self, prompt, pages, first_block):
        """Stores the newly computed full blocks (no copy: the payloads are the page views)."""
        ack = self.kv.put_blocks(prompt, pages, first_block=first_block)
        return ack.stored


class FakeEngine:
    """A paged KV buffer and a 'prefill' that writes deterministic bytes derived from the tokens."""

    def __init__(self, pages):
        self.buffer = bytearray(pages * BLOCK_BYTES)
        self.view = memoryview(self.buffer)
        self.free = list(range(pages))

    def alloc(self, n):
        got, self.free = self.free[:n], self.free[n:]
        return got

    def page(self, p):
        return self.view[p * BLOCK_BYTES:(p + 1) * BLOCK_BYTES]

    @staticmethod
    def kv_of_block(prompt, b):
        """What the model would compute for block b (it depends on the whole prefix, like real KV)."""
        seed = hashlib.sha256(repr(prompt[:(b + 1) * TOKENS_PER_BLOCK]).encode()).digest()
        return (seed * (BLOCK_BYTES // len(seed) + 1))[:BLOCK_BYTES]

    def prefill(self, prompt, pages, first_block):
        for b in range(first_block, len(prompt) // TOKENS_PER_BLOCK):
            self.page(pages[b])[:] = self.kv_of_block(prompt, b)


def serve_request(engine, conn, name, prompt):
    t0 = time.perf_counter()
    cached = conn.matched_tokens(prompt)                           # 1. before scheduling
    hit_blocks = cached // TOKENS_PER_BLOCK
    full_blocks = len(prompt) // TOKENS_PER_BLOCK
    pages = engine.alloc(full_blocks + 1)                          # + a page for the partial tail
    loaded = conn.load(prompt, [engine.page(p) for p in pages[:hit_blocks]])   # 2. stream into pages
    engine.prefill(prompt, pages, loaded)                          # compute what was not loaded
    stored = conn.save(prompt, [engine.page(p) for p in pages[loaded:full_blocks]], loaded)  # 3. store
    ok = all(engine.page(pages[b]) == engine.kv_of_block(prompt, b) for b in range(full_blocks))
    print("%-9s prompt %4d tokens: cached %4d, loaded %2d blocks, computed %2d, stored %2d, kv %s, %.1f ms"
          % (name, len(prompt), cached, loaded, full_blocks - loaded, stored, "ok" if ok else "MISMATCH",
             (time.perf_counter() - t0) * 1e3))
    engine.free.extend(pages)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7379)
    ap.add_argument("--token", default=os.environ.get("KVSTORE_TOKEN", ""))
    args = ap.parse_args()
    ns = Namespace("example/fake-model-" + os.urandom(4).hex(), "bf16", LAYERS, KV_HEADS, HEAD_DIM,
                   TOKENS_PER_BLOCK)
    system = list(range(1000, 1000 + 200))                 # a shared 200-token system prompt
    with connect(args.host, args.port, ns, token=args.token) as client:
        print("connected: protocol v%d, tiers %s, block %d bytes" % (client.version, client.tiers, BLOCK_BYTES))
        engine, conn = FakeEngine(pages=64), KvStoreConnector(client)
        ok = serve_request(engine, conn, "user A", system + list(range(5, 105)))
        ok &= serve_request(engine, conn, "user B", system + list(range(7, 57)))     # shares the system prompt
        ok &= serve_request(engine, conn, "user A+1", system + list(range(5, 105)) + list(range(9, 89)))
        ok &= serve_request(engine, conn, "user A", system + list(range(5, 105)))     # the same prompt again
        st = client.stats()
        print("daemon: %d blocks; %s" % (st.blocks, ", ".join("%s %d blocks %d hits" % (t.name, t.blocks, t.hits)
                                                           for t in st.tiers)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
