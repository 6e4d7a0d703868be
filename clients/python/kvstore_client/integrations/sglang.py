"""kvstore as an SGLang HiCache storage backend (L3 under SGLang's host-memory KV pool).

SGLang loads it with its `dynamic` storage backend:

    python -m sglang.launch_server --model-path MODEL --enable-hierarchical-cache \\
        --hicache-storage-backend dynamic \\
        --hicache-storage-backend-extra-config '{"backend_name": "kvstore",
            "module_path": "kvstore_client.integrations.sglang", "class_name": "KvstoreHiCacheStorage",
            "host": "127.0.0.1", "port": 7379}'

which imports `module_path`, takes `class_name` and calls it with `(storage_config, kwargs)`. Keys: SGLang
names each page by a SHA-256 hex digest chained from the previous page's; the digest's 32 bytes are used as the
kvstore block key, the previous page's key as its parent (the namespace root for a chain's first page, or the
last of `extra_info.prefix_keys` when SGLang passes them) and the page index as its position. Keys that are not
64 hex digits are hashed with SHA-256 first. One page = one block: the K and V of all layers of the page's tokens
(`kvstore_client.torch`'s block layout for the zero-copy `*_v1` calls).

The namespace (model, dtype, layers, heads, head dim, page size) comes from the host pool SGLang registers, or
from `extra_config` (`model`, `dtype`, `layers`, `kv_heads`, `head_dim`, `page_size`) before one is
registered; `tenant` and `token` come from `extra_config` too. Each tensor-parallel (and pipeline, context
parallel) rank stores its own slice of every page, so the rank coordinates go into the cache salt (MLA models,
whose ranks hold identical pages, share one). Connections are one per calling thread (SGLang's prefetch and
backup threads run concurrently; a `KvStoreClient` is single-threaded).

A daemon that is down makes every call a miss (`exists` False, `get` None, `set` False) and is retried on the next
call, so SGLang keeps serving from GPU and host memory.
"""
import hashlib
import logging
import threading

from .. import Namespace, connect
from ..errors import KvStoreError

try:  # SGLang's factory checks issubclass(backend_class, HiCacheStorage)
    from sglang.srt.mem_cache.hicache_storage import HiCacheStorage as _Base  # type: ignore
except ImportError:  # SGLang not installed: the class still works on its own
    _Base = object

logger = logging.getLogger(__name__)


def _empty_like(t):
    import torch
    return torch.empty_like(t)


def _key_bytes(key):
    if len(key) == 64:
        try:
            return bytes.fromhex(key)
        except ValueError:
            pass
    return hashlib.sha256(key.encode("utf-8")).digest()


class KvstoreHiCacheStorage(_Base):
    """SGLang `HiCacheStorage` backed by a kvstore daemon; see the module documentation."""

    def __init__(self, storage_config, kwargs=None):
        extra = dict(getattr(storage_config, "extra_config", None) or {})
        self.storage_config = storage_config
        self.extra_config = extra
        self.host = extra.get("host", "127.0.0.1")
        self.port = int(extra.get("port", 7379))
        self.token = extra.get("token", "")
        self.timeout = float(extra.get("timeout", 10.0))
        self.mem_pool_host = (kwargs or {}).get("mem_pool_host") if isinstance(kwargs, dict) else None
        self._local = threading.local()
        self._generation = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ setup

    def register_mem_pool_host(self, mem_pool_host):
        self.mem_pool_host = mem_pool_host
        with self._lock:
            self._generation += 1  # the namespace may change: reconnect lazily

    def _namespace(self):
        c, e, pool = self.storage_config, self.extra_config, self.mem_pool_host
        model = getattr(c, "model_name", None) or e.get("model", "sglang-model")
        if pool is not None:
            layers = int(getattr(pool, "layer_num", e.get("layers", 1)))
            heads = int(getattr(pool, "head_num", e.get("kv_heads", 1)))
            dim = int(getattr(pool, "head_dim", e.get("head_dim", 1)))
            page = int(getattr(pool, "page_size", e.get("page_size", 1)))
            dtype = str(getattr(pool, "dtype", e.get("dtype", "unknown"))).replace("torch.", "")
        else:
            layers, heads, dim = int(e.get("layers", 1)), int(e.get("kv_heads", 1)), int(e.get("head_dim", 1))
            page, dtype = int(e.get("page_size", 1)), str(e.get("dtype", "unknown"))
        salt = "sglang"
        if not getattr(c, "is_mla_model", False):
            salt += ":tp%d/%d" % (getattr(c, "tp_rank", 0), getattr(c, "tp_size", 1))
        if getattr(c, "pp_size", 1) > 1:
            salt += ":pp%d/%d" % (c.pp_rank, c.pp_size)
        if getattr(c, "attn_cp_size", 1) > 1:
            salt += ":cp%d/%d" % (c.attn_cp_rank, c.attn_cp_size)
        return Namespace(model, dtype, layers, heads, dim, page, tenant=e.get("tenant", ""), cache_salt=salt)

    def _client(self):
        """This thread's connection (opened on first use, reopened after a failure or a new host pool)."""
        c = getattr(self._local, "client", None)
        if c is not None and self._local.generation == self._generation and c._broken is None and not c._closed:
            return c
        if c is not None:
            c.close()
        self._local.client = None
        self._local.generation = self._generation
        self._local.client = connect(self.host, self.port, self._namespace(), token=self.token,
                                     timeout=self.timeout)
        return self._local.client

    def _call(self, what, fn, default):
        try:
            return fn(self._client())
        except (KvStoreError, OSError) as e:
            logger.warning("kvstore %s failed (%s); treated as a miss", what, e)
            c = getattr(self._local, "client", None)
            if c is not None:
                c.close()
                self._local.client = None
            return default

    def _chain(self, keys, extra_info):
        """(key, parent, position) of each page key."""
        prefix = list(getattr(extra_info, "prefix_keys", None) or [])
        ns = self._client().namespace
        parent = _key_bytes(prefix[-1]) if prefix else ns.root
        out = []
        for i, k in enumerate(keys):
            kb = _key_bytes(k)
            out.append((kb, parent, len(prefix) + i))
            parent = kb
        return out

    # ------------------------------------------------------------------------------------------ queries

    def exists(self, key):
        from ..wire import KeyOutcome
        return self._call("exists", lambda c: c.exists([_key_bytes(key)])[0] == KeyOutcome.PRESENT, False)

    def batch_exists(self, keys, extra_info=None):
        """Number of leading keys present (one LOOKUP)."""
        if not keys:
            return 0
        return self._call("batch_exists", lambda c: c.lookup([_key_bytes(k) for k in keys]).hit_blocks, 0)

    # ------------------------------------------------------------------------------------------ reads

    def get(self, key, target_location=None, target_sizes=None):
        out = self.batch_get([key], [target_location] if target_location is not None else None)
        return out[0]

    def batch_get(self, keys, target_locations=None, target_sizes=None):
        """One GET of the keys; element i is `target_locations[i]` filled (or a new uint8 tensor) or None from
        the first miss on."""
        import torch
        keys = list(keys)

        def run(c):
            got = [None] * len(keys)
            with c.stream([_key_bytes(k) for k in keys], into=target_locations) as s:
                for i, b in enumerate(s):
                    if target_locations is not None:
                        got[i] = target_locations[i]
                    else:
                        got[i] = torch.frombuffer(bytearray(b.payload), dtype=torch.uint8)
            return got
        return self._call("batch_get", run, [None] * len(keys))

    def _pool_layout(self, what):
        """The registered host pool, and its page-first layout mapper when it has one (else None: flat pages)."""
        pool = self.mem_pool_host
        if pool is None:
            raise RuntimeError("%s needs a host pool: SGLang calls register_mem_pool_host first" % what)
        if getattr(pool, "layout", None) == "page_first" and getattr(pool, "kv_buffer", None) is not None:
            from ..torch import SglangPageFirstKV
            return pool, SglangPageFirstKV(pool.kv_buffer, pool.page_size)
        return pool, None

    def batch_get_v1(self, keys, host_indices, extra_info=None):
        """Reads pages into the registered host pool: one GET streamed into a staging tensor, then each page
        copied into place (a page-first page is two runs of memory, K and V); True per page read, False from
        the first miss on."""
        pool, layout = self._pool_layout("batch_get_v1")
        keys, page = list(keys), pool.page_size
        starts = [int(host_indices[i * page]) for i in range(len(keys))]

        def run(c):
            if layout is not None:
                staging = layout.staging(len(keys))
            else:
                dummy = pool.get_dummy_flat_data_page()
                staging = [_empty_like(dummy) for _ in keys]
            ok = [False] * len(keys)
            with c.stream([_key_bytes(k) for k in keys], into=staging) as s:
                for i, _ in enumerate(s):
                    if layout is not None:
                        layout.scatter([starts[i]], staging[i:i + 1])
                    else:
                        pool.set_from_flat_data_page(starts[i], staging[i])
                    ok[i] = True
            return ok
        return self._call("batch_get_v1", run, [False] * len(keys))

    # ------------------------------------------------------------------------------------------ writes

    def set(self, key, value=None, target_location=None, target_sizes=None):
        return self.batch_set([key], [value])

    def batch_set(self, keys, values=None, target_locations=None, target_sizes=None, extra_info=None):
        """One PUT of the pages (chained, see the module documentation); True if every page is stored."""
        return all(self._put(list(keys), [v.contiguous() for v in values], extra_info, "batch_set"))

    def batch_set_v1(self, keys, host_indices, extra_info=None):
        """PUT of pages taken from the registered host pool; True per stored page."""
        pool, layout = self._pool_layout("batch_set_v1")
        keys, page = list(keys), pool.page_size
        starts = [int(host_indices[i * page]) for i in range(len(keys))]
        if layout is not None:
            values = list(layout.gather(starts))
        else:
            values = [pool.get_data_page(s, flat=True).contiguous() for s in starts]
        return self._put(keys, values, extra_info, "batch_set_v1")

    def _put(self, keys, values, extra_info, what):
        from .. import BlockToPut

        def run(c):
            blocks = [BlockToPut(k, p, pos, v) for (k, p, pos), v in zip(self._chain(keys, extra_info), values)]
            return [code.name in ("STORED", "ALREADY_PRESENT") for code in c.put(blocks).codes]
        return self._call(what, run, [False] * len(keys))

    def clear(self):
        """kvstore evicts on its own and offers no namespace-wide delete; nothing is cleared."""
        logger.info("kvstore HiCache backend: clear() ignored (kvstore evicts by policy)")
        return False

    def get_stats(self):
        return None

    def close(self):
        c = getattr(self._local, "client", None)
        if c is not None:
            c.close()
            self._local.client = None
