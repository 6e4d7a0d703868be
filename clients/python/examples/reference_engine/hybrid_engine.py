"""The hybrid reference engine: prefix caching through kvstore for the attention + recurrent model of
hybrid_model.py, resuming from state snapshots (docs/hybrid.md).

One turn (`HybridEngine.run_turn`):

1. hybrid LOOKUP (`kvstore_client.hybrid.resume_point`): the deepest block boundary where kvstore holds both the
   attention blocks from the start and a snapshot of the recurrent state exactly there;
2. GET those attention blocks into the KV pages and the snapshot into the recurrent state;
3. prefill the rest of the prompt from there, taking a copy of the state at the prompt's last full block;
4. save the attention blocks it computed and the snapshot at the end of the input (one snapshot per turn, where the
   next turn of the conversation resumes: not one per block);
5. decode greedily.

As in engine.py, a failure of kvstore is never an error for the engine: a failed lookup or load is a miss.
"""
import time
from dataclasses import dataclass, field
from typing import List

import torch

from kvstore_client import KvStoreError, Namespace
from kvstore_client.hybrid import Group, put_group_objects, resume_point
from kvstore_client.torch import VllmPagedKV

from .engine import CacheConnection
from .hybrid_model import TinyHybrid

STATE_GROUP = 1


def hybrid_namespace(cfg, model_id="kvstore/reference-hybrid"):
    """The namespace of a hybrid config: its attention layers' KV layout (the recurrent layers' state is group 1)."""
    return Namespace(model_id, str(cfg.dtype).replace("torch.", ""), cfg.attention_layers, cfg.heads, cfg.head_dim,
                     cfg.page_tokens, cache_salt="hybrid:%s:state=%dx%dx%d" % (
                         ",".join(k[0] for k in cfg.pattern), *cfg.state_shape))


def groups_of(cfg):
    """The model's groups: full attention (group 0) and one recurrent state snapshot (group 1)."""
    return [Group.full(), Group.state(cfg.recurrent_layers * cfg.d_inner * cfg.state_size
                                      * torch.tensor([], dtype=cfg.dtype).element_size())]


@dataclass
class HybridTurn:
    first_logits: torch.Tensor
    tokens: List[int]
    prompt_tokens: int
    hit_tokens: int
    attention_hit_tokens: int
    saved_blocks: int = 0
    saved_snapshot: bool = False
    ttft_seconds: float = 0.0
    notes: List[str] = field(default_factory=list)


class HybridEngine(CacheConnection):
    """A single-sequence engine over `TinyHybrid`; `connect` opens a client in `hybrid_namespace(cfg)` (None: no
    cache)."""

    def __init__(self, model: TinyHybrid, connect=None):
        self.model = model
        self.cfg = model.cfg
        self.groups = groups_of(self.cfg)
        self._connect = connect
        self._client = None
        self.pages = self.cfg.max_tokens // self.cfg.page_tokens
        self.cache = model.new_cache(self.pages)
        self.layout = VllmPagedKV(self.cache)

    def _load(self, tokens, res):
        """Loads the resumable prefix into the KV pages and returns (blocks, state) — (0, zeros) on a miss."""
        p = self.cfg.page_tokens
        usable = (len(tokens) - 1) // p  # at least one token is prefilled: its logits are the answer
        kv = self.kv
        state = self.model.new_state()
        if kv is None or usable == 0:
            return 0, state
        try:
            res.attention_hit_tokens = min(kv.lookup_prefix(tokens[:usable * p]).hit_blocks, usable) * p
            r = resume_point(kv, tokens, self.groups, max_blocks=usable)
            if r.blocks == 0:
                return 0, state
            staging = self.layout.staging(r.blocks)
            with kv.stream(r.keys[0], into=staging) as s:
                got = sum(1 for _ in s)
            snap = bytearray(self.groups[STATE_GROUP].state_bytes)
            with kv.stream(r.keys[STATE_GROUP], into=[snap]) as s:
                got_state = sum(1 for _ in s)
            if got != r.blocks or got_state != 1:
                res.notes.append("load incomplete: %d of %d blocks, %d snapshot" % (got, r.blocks, got_state))
                return 0, state
        except (KvStoreError, ValueError) as e:
            res.notes.append("load failed: %s" % e)
            return 0, state
        self.layout.scatter(list(range(r.blocks)), staging)
        state.copy_(torch.frombuffer(snap, dtype=self.cfg.dtype).view(self.cfg.state_shape))
        return r.blocks, state

    def run_turn(self, tokens, max_new_tokens=1):
        tokens = list(tokens)
        p = self.cfg.page_tokens
        if not 0 < len(tokens) + max_new_tokens <= self.cfg.max_tokens:
            raise ValueError("prompt of %d tokens + %d new does not fit %d positions"
                             % (len(tokens), max_new_tokens, self.cfg.max_tokens))
        res = HybridTurn(None, [], len(tokens), 0, 0)
        t0 = time.perf_counter()
        hit, state = self._load(tokens, res)
        res.hit_tokens = hit * p
        full = len(tokens) // p
        pages = list(range(self.pages))
        logits, snap = self.model.prefill(tokens, hit * p, self.cache, pages, state,
                                          snapshot_at=full * p if full > hit else None)
        res.first_logits = logits
        nxt = int(torch.argmax(logits))
        res.ttft_seconds = time.perf_counter() - t0
        res.tokens.append(nxt)
        kv = self.kv if snap is not None else None
        if kv is not None:
            try:
                res.saved_blocks = kv.put_blocks(tokens[:full * p], self.layout.gather(range(hit, full)),
                                                 first_block=hit).stored
                res.saved_snapshot = put_group_objects(kv, tokens, STATE_GROUP, full - 1, [snap]).all_stored
            except KvStoreError as e:
                res.notes.append("save failed: %s" % e)
        pos = len(tokens)
        for _ in range(max_new_tokens - 1):
            logits = self.model.forward_chunk([nxt], pos, self.cache, pages, state)
            nxt = int(torch.argmax(logits))
            res.tokens.append(nxt)
            pos += 1
        return res
