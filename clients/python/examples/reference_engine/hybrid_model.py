"""A small hybrid decoder (attention + recurrent layers, Jamba-style) for the hybrid reference engine.

`HybridConfig.pattern` says which layer is which: "attention" layers are model.py's (RoPE attention over a paged
KV cache); "recurrent" layers are a diagonal state-space layer in the manner of Mamba: per channel c and state
dimension s,

    state[c, s] = decay[c, s] * state[c, s] + u_t[c] * B_t[s]        y_t[c] = sum_s state[c, s] * C_t[s]

with u, B, C and a SiLU gate projected from the layer's input. The state is updated in place, token by token, so a
prefix can be resumed only from the state taken exactly at its end: a snapshot of every recurrent layer's state,
`[recurrent layers, d_inner, state_size]` in the model's dtype.

As in model.py, prefill runs one page per chunk and the recurrence runs token by token, so the arithmetic of
chunk j is the same whether the state and the KV before it were computed in this call or loaded from kvstore:
a prefix restored from kvstore gives bit-identical logits to a full prefill.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .model import ModelConfig, TinyDecoder

ATTENTION, RECURRENT = "attention", "recurrent"


@dataclass(frozen=True)
class HybridConfig(ModelConfig):
    layers: int = 4
    pattern: tuple = (ATTENTION, RECURRENT, RECURRENT, RECURRENT)
    d_inner: int = 128
    state_size: int = 8

    def __post_init__(self):
        if len(self.pattern) != self.layers or any(k not in (ATTENTION, RECURRENT) for k in self.pattern):
            raise ValueError("pattern must name each of the %d layers 'attention' or 'recurrent'" % self.layers)
        if ATTENTION not in self.pattern:
            raise ValueError("a hybrid needs at least one attention layer")

    @property
    def attention_layers(self):
        return self.pattern.count(ATTENTION)

    @property
    def recurrent_layers(self):
        return self.pattern.count(RECURRENT)

    @property
    def state_shape(self):
        return (self.recurrent_layers, self.d_inner, self.state_size)


class TinyHybrid(TinyDecoder):
    """Weights and forward passes of a `HybridConfig` model; inference only."""

    def __init__(self, cfg: HybridConfig):
        super().__init__(cfg)
        g = torch.Generator().manual_seed(cfg.seed + 1)
        d, n, s, dt = cfg.d_model, cfg.d_inner, cfg.state_size, cfg.dtype

        def w(*shape, scale):
            return (torch.randn(*shape, generator=g) * scale).to(dt)
        for kind, blk in zip(cfg.pattern, self.blocks):
            if kind == RECURRENT:
                blk["w_in"] = w(d, 2 * n, scale=1 / math.sqrt(d))        # u and the gate
                blk["w_bc"] = w(d, 2 * s, scale=1 / math.sqrt(d))        # B and C
                blk["decay"] = torch.sigmoid(torch.randn(n, s, generator=g) + 2).to(dt)  # in (0, 1), near 0.9
                blk["w_out"] = w(n, d, scale=1 / math.sqrt(n))

    def new_cache(self, num_pages):
        """KV pages of the attention layers only (the recurrent layers keep a state instead)."""
        c = self.cfg
        return [torch.zeros(2, num_pages, c.page_tokens, c.heads, c.head_dim, dtype=c.dtype)
                for _ in range(c.attention_layers)]

    def new_state(self):
        """The recurrent state before the first token: zeros."""
        return torch.zeros(self.cfg.state_shape, dtype=self.cfg.dtype)

    def _recur(self, blk, h, state):
        c = self.cfg
        u, gate = (h @ blk["w_in"]).split(c.d_inner, dim=-1)
        bmat, cmat = (h @ blk["w_bc"]).split(c.state_size, dim=-1)
        ys = []
        for t in range(h.shape[0]):  # in place, token by token: what makes a snapshot exact
            state.mul_(blk["decay"]).add_(u[t][:, None] * bmat[t][None, :])
            ys.append(state @ cmat[t])
        y = torch.stack(ys) * F.silu(gate)
        return y @ blk["w_out"]

    @torch.no_grad()
    def forward_chunk(self, tokens, start, cache, pages, state=None):
        """As `TinyDecoder.forward_chunk`, with `state` (`new_state()` shaped) advanced in place over the chunk."""
        c = self.cfg
        x = self.embed[torch.as_tensor(tokens)]
        geo = self._geometry(start, len(tokens), pages)
        a = r = 0
        for kind, blk in zip(c.pattern, self.blocks):
            h = F.layer_norm(x, (c.d_model,), blk["ln1"])
            if kind == ATTENTION:
                o = self._attend(blk, h, cache[a], pages, geo)
                x = x + o @ blk["wo"]
                a += 1
            else:
                x = x + self._recur(blk, h, state[r])
                r += 1
            h = F.layer_norm(x, (c.d_model,), blk["ln2"])
            x = x + F.gelu(h @ blk["w1"]) @ blk["w2"]
        x = F.layer_norm(x[-1:], (c.d_model,), self.ln_f)
        return (x @ self.unembed)[0]

    def prefill(self, tokens, start, cache, pages, state, snapshot_at=None):
        """Chunked prefill of tokens[start:] from `state` (the state after tokens[:start]), one page per chunk;
        returns the logits of the last token and, if `snapshot_at` (a page boundary) is passed on the way, a copy
        of the state there (else None)."""
        p = self.cfg.page_tokens
        if start % p:
            raise ValueError("prefill must start on a page boundary, not at %d" % start)
        if start >= len(tokens):
            raise ValueError("nothing to prefill: %d tokens, start %d" % (len(tokens), start))
        logits = snap = None
        for s in range(start, len(tokens), p):
            logits = self.forward_chunk(tokens[s:s + p], s, cache, pages, state)
            if snapshot_at is not None and s + p == snapshot_at:
                snap = state.clone()
        return logits, snap
