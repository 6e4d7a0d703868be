"""A small decoder-only transformer with a paged KV cache, in plain torch (the reference engine's model).

Deterministic random weights (`torch.manual_seed(seed)`; nothing downloaded), pre-norm blocks with RoPE
multi-head attention and a GELU MLP. The KV cache is vLLM-shaped: per layer `[2, num_pages, page_tokens,
kv_heads, head_dim]`, so `kvstore_client.torch.VllmPagedKV` maps its pages to kvstore blocks.

Prefill runs in chunks of exactly one page, each chunk's queries attending to every key before it. The
arithmetic of chunk j is then the same whether the pages before it were computed in this call or loaded from
kvstore (same shapes, same inputs), so a prefix restored from kvstore gives bit-identical logits to a full
prefill, in fp32 and in bf16.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ModelConfig:
    vocab: int = 2048
    layers: int = 2
    d_model: int = 64
    heads: int = 2
    ffn: int = 256
    page_tokens: int = 64
    max_tokens: int = 32768
    dtype: torch.dtype = torch.float32
    seed: int = 1234

    @property
    def head_dim(self):
        return self.d_model // self.heads

    @property
    def kv_bytes_per_token(self):
        return self.layers * 2 * self.heads * self.head_dim * torch.tensor([], dtype=self.dtype).element_size()

    @property
    def parameters(self):
        d = self.d_model
        return self.vocab * d * 2 + self.layers * (4 * d * d + 2 * d * self.ffn + 4 * d) + 2 * d


class TinyDecoder:
    """Weights and forward passes; not an nn.Module (inference only, no autograd)."""

    def __init__(self, cfg: ModelConfig):
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        d, dt = cfg.d_model, cfg.dtype

        def w(*shape, scale):
            return (torch.randn(*shape, generator=g) * scale).to(dt)
        self.embed = w(cfg.vocab, d, scale=1.0)
        self.blocks = []
        for _ in range(cfg.layers):
            self.blocks.append({
                "ln1": torch.ones(d, dtype=dt), "ln2": torch.ones(d, dtype=dt),
                "wqkv": w(d, 3 * d, scale=1 / math.sqrt(d)), "wo": w(d, d, scale=1 / math.sqrt(d)),
                "w1": w(d, cfg.ffn, scale=1 / math.sqrt(d)), "w2": w(cfg.ffn, d, scale=1 / math.sqrt(cfg.ffn)),
            })
        self.ln_f = torch.ones(d, dtype=dt)
        self.unembed = w(d, cfg.vocab, scale=1 / math.sqrt(d))
        half = cfg.head_dim // 2
        inv = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float64) / half))
        ang = torch.arange(cfg.max_tokens, dtype=torch.float64)[:, None] * inv[None, :]
        self.cos, self.sin = ang.cos().to(dt), ang.sin().to(dt)

    def new_cache(self, num_pages):
        c = self.cfg
        return [torch.zeros(2, num_pages, c.page_tokens, c.heads, c.head_dim, dtype=c.dtype) for _ in range(c.layers)]

    def _rope(self, x, pos):
        # x [n, heads, head_dim]
        half = x.shape[-1] // 2
        cos, sin = self.cos[pos][:, None, :], self.sin[pos][:, None, :]
        a, b = x[..., :half], x[..., half:]
        return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)

    def _geometry(self, start, n, pages):
        """Where the chunk of n tokens at `start` lies in the paged cache: (positions, pages used, their page
        indexes, each token's page and offset, whether the used pages are consecutive)."""
        c = self.cfg
        end = start + n
        pos = torch.arange(start, end)
        used = (end + c.page_tokens - 1) // c.page_tokens
        page_idx = torch.as_tensor(pages[:used])
        slot_page = torch.as_tensor([pages[p // c.page_tokens] for p in range(start, end)])
        slot_off = pos % c.page_tokens
        contiguous = list(pages[:used]) == list(range(pages[0], pages[0] + used))
        return pos, used, page_idx, slot_page, slot_off, contiguous

    def _attend(self, blk, h, kv, pages, geo):
        """One attention layer over the chunk's normalised inputs `h` (placed by `_geometry`): writes their K and V
        into the layer's cache `kv` and returns the attention output (before the output projection)."""
        c = self.cfg
        pos, used, page_idx, slot_page, slot_off, contiguous = geo
        n = h.shape[0]
        end = int(pos[-1]) + 1
        q, k, v = (h @ blk["wqkv"]).split(c.d_model, dim=-1)
        q = self._rope(q.view(n, c.heads, c.head_dim), pos)
        k = self._rope(k.view(n, c.heads, c.head_dim), pos)
        kv[0, slot_page, slot_off] = k
        kv[1, slot_page, slot_off] = v.view(n, c.heads, c.head_dim)
        if contiguous:  # the sequence's pages are consecutive: a view, no gather
            keys = kv[0, pages[0]:pages[0] + used].reshape(-1, c.heads, c.head_dim)[:end]
            vals = kv[1, pages[0]:pages[0] + used].reshape(-1, c.heads, c.head_dim)[:end]
        else:
            keys = kv[0, page_idx].reshape(-1, c.heads, c.head_dim)[:end]      # [end, heads, hd]
            vals = kv[1, page_idx].reshape(-1, c.heads, c.head_dim)[:end]
        scores = torch.einsum("qhd,khd->hqk", q, keys) / math.sqrt(c.head_dim)
        mask = torch.arange(end)[None, :] > pos[:, None]                 # causal
        scores = scores.masked_fill(mask[None], float("-inf"))
        att = torch.softmax(scores.float(), dim=-1).to(c.dtype)
        return torch.einsum("hqk,khd->qhd", att, vals).reshape(n, c.d_model)

    @torch.no_grad()
    def forward_chunk(self, tokens, start, cache, pages):
        """Runs tokens at positions start..start+len-1 (within one page, or one token for decode), writes their
        K and V into the cache pages (`pages[i]` = the cache page of the sequence's page i) and returns the
        logits of the last token. Keys of positions < start must already be in the cache."""
        c = self.cfg
        x = self.embed[torch.as_tensor(tokens)]
        geo = self._geometry(start, len(tokens), pages)
        for layer, blk in enumerate(self.blocks):
            h = F.layer_norm(x, (c.d_model,), blk["ln1"])
            o = self._attend(blk, h, cache[layer], pages, geo)
            x = x + o @ blk["wo"]
            h = F.layer_norm(x, (c.d_model,), blk["ln2"])
            x = x + F.gelu(h @ blk["w1"]) @ blk["w2"]
        x = F.layer_norm(x[-1:], (c.d_model,), self.ln_f)
        return (x @ self.unembed)[0]

    def prefill(self, tokens, start, cache, pages):
        """Chunked prefill of tokens[start:] (start on a page boundary), one page per chunk; the logits of the
        last token."""
        p = self.cfg.page_tokens
        if start % p:
            raise ValueError("prefill must start on a page boundary, not at %d" % start)
        if start >= len(tokens):
            raise ValueError("nothing to prefill: %d tokens, start %d" % (len(tokens), start))
        logits = None
        for s in range(start, len(tokens), p):
            logits = self.forward_chunk(tokens[s:s + p], s, cache, pages)
        return logits
