"""The reference engine: prefix caching through kvstore for the small transformer of model.py.

One turn (`ReferenceEngine.run_turn`), as a production engine would do it after its GPU cache lost the context:

1. LOOKUP the prompt's full pages (one kvstore block per page: the K and V of every layer for its tokens);
2. stream the hit blocks into a staging tensor and copy them into the KV pages (`VllmPagedKV.scatter`);
3. prefill only the rest of the prompt, page by page, and take the first token (TTFT ends here);
4. save the pages it computed (PUT, the prompt's full pages after the hit);
5. decode the remaining tokens greedily (their KV is not saved: decode arithmetic differs from prefill's).

A failure of kvstore is never an error for the engine: a LOOKUP that fails is a miss; a load that breaks off
(daemon killed, a block failing its checksum) keeps the blocks that arrived whole and prefills from there; a
save that fails is logged and dropped. A block that fails its checksum is deleted from kvstore so that this
turn's save replaces it. A broken connection is reopened (through `connect`) at the next use.
"""
import logging
import time
from dataclasses import dataclass, field
from typing import List, Optional

import torch

from kvstore_client import KvStoreError, Namespace
from kvstore_client.torch import VllmPagedKV

from .model import TinyDecoder

logger = logging.getLogger(__name__)


def namespace_for(cfg, model_id="kvstore/reference-engine"):
    """The kvstore namespace of a model config (its layout fixes the block size)."""
    return Namespace(model_id, str(cfg.dtype).replace("torch.", ""), cfg.layers, cfg.heads, cfg.head_dim,
                     cfg.page_tokens)


@dataclass
class TurnResult:
    first_logits: torch.Tensor
    tokens: List[int]
    prompt_tokens: int
    hit_tokens: int
    ttft_seconds: float
    lookup_seconds: float = 0.0
    load_seconds: float = 0.0
    prefill_seconds: float = 0.0
    saved_blocks: int = 0
    notes: List[str] = field(default_factory=list)


class CacheConnection:
    """An engine's kvstore client: opened through `self._connect` on first use and again after it broke."""
    _connect = None
    _client = None

    @property
    def kv(self):
        """A live client, or None (no cache, or the daemon cannot be reached)."""
        c = self._client
        if self._connect is None:
            return None
        if c is None or c._closed or c._broken is not None:
            try:
                self._client = c = self._connect()
            except (KvStoreError, OSError) as e:
                logger.warning("kvstore unreachable: %s", e)
                self._client = None
                return None
        return c

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None


class ReferenceEngine(CacheConnection):
    """A single-sequence engine over `TinyDecoder`. `connect` opens a `KvStoreClient` in the model's namespace
    (`namespace_for`) (None: no cache); it is called again when the connection broke."""

    def __init__(self, model: TinyDecoder, connect=None, save=True):
        self.model = model
        self.cfg = model.cfg
        self._connect = connect
        self._client = None
        self.save = save
        self.pages = self.cfg.max_tokens // self.cfg.page_tokens
        self.cache = model.new_cache(self.pages)
        self.layout = VllmPagedKV(self.cache)

    def _load(self, tokens, res, on_block):
        """LOOKUP + GET of the prompt's cached prefix into pages 0..; returns the number of pages loaded."""
        p = self.cfg.page_tokens
        usable = (len(tokens) - 1) // p  # leave at least one token to prefill: its logits are the answer
        kv = self.kv
        if kv is None or usable == 0:
            return 0
        t0 = time.perf_counter()
        try:
            hit = min(kv.lookup_prefix(tokens[:usable * p]).hit_blocks, usable)
        except KvStoreError as e:
            res.notes.append("lookup failed: %s" % e)
            return 0
        finally:
            res.lookup_seconds = time.perf_counter() - t0
        if hit == 0:
            return 0
        t0 = time.perf_counter()
        staging = self.layout.staging(hit)
        got = 0
        try:
            if on_block is not None:
                on_block(0)  # the LOOKUP answered, the GET not sent yet
            with kv.stream_prefix(tokens[:hit * p], into=staging) as stream:
                for _ in stream:
                    got += 1
                    if on_block is not None:
                        on_block(got)
        except (KvStoreError, ValueError) as e:
            res.notes.append("load stopped after %d of %d blocks: %s" % (got, hit, e))
            if "CRC32C" in str(e):
                self._drop_corrupt(kv.block_keys(tokens[:hit * p])[got:hit], res)
        if got:
            self.layout.scatter(list(range(got)), staging[:got])
        res.load_seconds = time.perf_counter() - t0
        return got

    def _drop_corrupt(self, keys, res):
        kv = self.kv
        try:
            if kv is not None:
                kv.delete(keys)
                res.notes.append("deleted %d blocks from the corrupt one on" % len(keys))
        except KvStoreError as e:
            res.notes.append("could not delete the corrupt block: %s" % e)

    def run_turn(self, tokens, max_new_tokens=1, on_block=None) -> TurnResult:
        """Serves one prompt: the first token's logits, the generated tokens and where the time went.
        `on_block(n)` (tests) is called after the LOOKUP with 0 and after each loaded block with its count."""
        tokens = list(tokens)
        p = self.cfg.page_tokens
        if not 0 < len(tokens) + max_new_tokens <= self.cfg.max_tokens:
            raise ValueError("prompt of %d tokens + %d new does not fit the model's %d positions"
                             % (len(tokens), max_new_tokens, self.cfg.max_tokens))
        res = TurnResult(None, [], len(tokens), 0, 0.0)
        t_start = time.perf_counter()
        hit = self._load(tokens, res, on_block)
        res.hit_tokens = hit * p
        pages = list(range(self.pages))
        t0 = time.perf_counter()
        logits = self.model.prefill(tokens, hit * p, self.cache, pages)
        res.prefill_seconds = time.perf_counter() - t0
        res.first_logits = logits
        nxt = int(torch.argmax(logits))
        res.ttft_seconds = time.perf_counter() - t_start
        res.tokens.append(nxt)
        full = len(tokens) // p
        kv = self.kv if self.save and full > hit else None
        if kv is not None:
            try:
                ack = kv.put_blocks(tokens[:full * p], self.layout.gather(range(hit, full)), first_block=hit)
                res.saved_blocks = ack.stored
            except KvStoreError as e:
                res.notes.append("save failed: %s" % e)
        pos = len(tokens)
        for _ in range(max_new_tokens - 1):
            logits = self.model.forward_chunk([nxt], pos, self.cache, pages)
            nxt = int(torch.argmax(logits))
            res.tokens.append(nxt)
            pos += 1
        return res
