"""Paged-KV layouts of the common engines mapped to kvstore block payloads and back (needs torch; optional).

One kvstore block holds the K and V of every layer for the tokens of one page. Its payload is the C-contiguous
tensor `[layers, 2, page_tokens, kv_heads, head_dim]` (layer-major, K before V), whatever the engine's layout:

- vLLM: one tensor per layer, `[2, num_blocks, block_size, kv_heads, head_dim]` (`VllmPagedKV`);
- SGLang's page-first host pool: one tensor `[2, num_tokens, layers, kv_heads, head_dim]` in which a page is
  `page_size` consecutive token slots (`SglangPageFirstKV`).

`gather(pages)` copies pages out of the engine's cache into one staging tensor `[n, layers, 2, page_tokens,
kv_heads, head_dim]` (one copy; allocate it in pinned memory with `pin_memory=True` when the cache is on a GPU)
whose rows are handed to `put_blocks` as they are; `staging(n)` allocates such a tensor to stream GET answers
into (`stream_prefix(tokens, into=staging)`), and `scatter(pages, staging)` copies received blocks back into
the cache. The payload layout is identical for both engines, so blocks saved by one are read by the other.
"""
import torch


class _Layout:
    layers: int
    page_tokens: int
    kv_heads: int
    head_dim: int
    dtype: torch.dtype

    @property
    def block_shape(self):
        """The shape of one block payload: [layers, 2, page_tokens, kv_heads, head_dim]."""
        return (self.layers, 2, self.page_tokens, self.kv_heads, self.head_dim)

    @property
    def block_bytes(self):
        n = 1
        for d in self.block_shape:
            n *= d
        return n * torch.tensor([], dtype=self.dtype).element_size()

    def staging(self, n, pin_memory=False):
        """An uninitialised host tensor for `n` block payloads (row i = block i)."""
        return torch.empty((n,) + self.block_shape, dtype=self.dtype, pin_memory=pin_memory)

    def _check(self, pages, staging):
        if staging is not None and (tuple(staging.shape[1:]) != self.block_shape or staging.shape[0] < len(pages)
                                    or staging.dtype != self.dtype):
            raise ValueError("staging tensor %s %s does not hold %d blocks of %s %s"
                             % (tuple(staging.shape), staging.dtype, len(pages), self.block_shape, self.dtype))


class VllmPagedKV(_Layout):
    """vLLM's paged KV cache: `kv_caches[layer]` of shape `[2, num_blocks, block_size, kv_heads, head_dim]`;
    a page is a vLLM block id."""

    def __init__(self, kv_caches):
        kv_caches = list(kv_caches)
        if not kv_caches:
            raise ValueError("kv_caches is empty")
        shape = tuple(kv_caches[0].shape)
        if len(shape) != 5 or shape[0] != 2:
            raise ValueError("a vLLM layer cache is [2, num_blocks, block_size, kv_heads, head_dim], got %s"
                             % (shape,))
        for i, c in enumerate(kv_caches):
            if tuple(c.shape) != shape or c.dtype != kv_caches[0].dtype:
                raise ValueError("layer %d cache is %s %s, layer 0 %s %s" % (i, tuple(c.shape), c.dtype, shape,
                                                                            kv_caches[0].dtype))
        self.kv_caches = kv_caches
        self.layers = len(kv_caches)
        _, self.num_blocks, self.page_tokens, self.kv_heads, self.head_dim = shape
        self.dtype = kv_caches[0].dtype

    def gather(self, pages, out=None):
        """Block payloads of vLLM blocks `pages`, in order: `out` (or a new tensor) `[n, *block_shape]`."""
        out = self.staging(len(pages)) if out is None else out
        self._check(pages, out)
        idx = torch.as_tensor(list(pages), dtype=torch.long, device=self.kv_caches[0].device)
        for layer, cache in enumerate(self.kv_caches):
            # cache[:, idx] is [2, n, bs, h, d]; the payload wants [n, 2, bs, h, d] for this layer
            out[:len(idx), layer].copy_(cache.index_select(1, idx).transpose(0, 1))
        return out

    def scatter(self, pages, staging):
        """Copies block payloads `staging[i]` into vLLM blocks `pages[i]`."""
        self._check(pages, staging)
        idx = torch.as_tensor(list(pages), dtype=torch.long, device=self.kv_caches[0].device)
        for layer, cache in enumerate(self.kv_caches):
            cache.index_copy_(1, idx, staging[:len(idx), layer].transpose(0, 1).to(cache.device))


class SglangPageFirstKV(_Layout):
    """SGLang's page-first host KV pool: `kv_buffer` of shape `[2, num_tokens, layers, kv_heads, head_dim]`;
    a page is identified by its first token slot (`page_size` consecutive slots)."""

    def __init__(self, kv_buffer, page_size):
        shape = tuple(kv_buffer.shape)
        if len(shape) != 5 or shape[0] != 2:
            raise ValueError("a page-first pool is [2, num_tokens, layers, kv_heads, head_dim], got %s" % (shape,))
        if page_size <= 0 or shape[1] % page_size:
            raise ValueError("page_size %d does not divide the pool's %d token slots" % (page_size, shape[1]))
        self.kv_buffer = kv_buffer
        _, self.num_tokens, self.layers, self.kv_heads, self.head_dim = shape
        self.page_tokens = page_size
        self.dtype = kv_buffer.dtype

    def page_view(self, start):
        """The pool's page starting at token slot `start`: [2, page_tokens, layers, kv_heads, head_dim]."""
        if start % self.page_tokens or not 0 <= start < self.num_tokens:
            raise ValueError("token slot %d does not start a page" % start)
        return self.kv_buffer[:, start:start + self.page_tokens]

    def gather(self, page_starts, out=None):
        out = self.staging(len(page_starts)) if out is None else out
        self._check(page_starts, out)
        for i, s in enumerate(page_starts):
            out[i].copy_(self.page_view(s).permute(2, 0, 1, 3, 4))
        return out

    def scatter(self, page_starts, staging):
        self._check(page_starts, staging)
        for i, s in enumerate(page_starts):
            self.page_view(s).copy_(staging[i].permute(1, 2, 0, 3, 4))
