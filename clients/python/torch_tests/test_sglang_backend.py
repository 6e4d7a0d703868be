"""The SGLang HiCache backend (kvstore_client.integrations.sglang) against a real daemon with real tensors.

SGLang cannot be installed here, so its contract is reproduced from its documentation and source
(python/sglang/srt/mem_cache/hicache_storage.py, storage/backend_factory.py): `HiCacheStorage` with abstract
get/batch_get/set/batch_set/exists, the config dataclass, and the `dynamic` factory's loading (importlib on
`module_path`, `getattr(class_name)`, issubclass check, `backend_class(storage_config, kwargs)`). The stand-in
module is installed under SGLang's module name before the backend is imported, so the backend subclasses it as it
would subclass SGLang's own.
"""
import abc
import dataclasses
import hashlib
import importlib
import sys
import types
import unittest
from typing import Optional

import _setup  # noqa: F401
import torch

from kvstore_client.torch import SglangPageFirstKV
from tests import daemon


class HiCacheStorage(abc.ABC):
    """Stand-in for sglang.srt.mem_cache.hicache_storage.HiCacheStorage (its abstract surface)."""

    def register_mem_pool_host(self, mem_pool_host):
        self.mem_pool_host = mem_pool_host

    @abc.abstractmethod
    def get(self, key, target_location=None, target_sizes=None): ...

    @abc.abstractmethod
    def batch_get(self, keys, target_locations=None, target_sizes=None): ...

    @abc.abstractmethod
    def set(self, key, value=None, target_location=None, target_sizes=None): ...

    @abc.abstractmethod
    def batch_set(self, keys, values=None, target_locations=None, target_sizes=None): ...

    @abc.abstractmethod
    def exists(self, key): ...


@dataclasses.dataclass
class HiCacheStorageConfig:
    tp_rank: int
    tp_size: int
    pp_rank: int
    pp_size: int
    attn_cp_rank: int
    attn_cp_size: int
    is_mla_model: bool
    enable_storage_metrics: bool
    is_page_first_layout: bool
    model_name: Optional[str]
    extra_config: Optional[dict] = None


@dataclasses.dataclass
class HiCacheStorageExtraInfo:
    prefix_keys: Optional[list] = None
    extra_info: Optional[dict] = None


def install_sglang_stand_in():
    names = ["sglang", "sglang.srt", "sglang.srt.mem_cache", "sglang.srt.mem_cache.hicache_storage"]
    for n in names:
        sys.modules.setdefault(n, types.ModuleType(n))
    m = sys.modules["sglang.srt.mem_cache.hicache_storage"]
    m.HiCacheStorage, m.HiCacheStorageConfig, m.HiCacheStorageExtraInfo = (HiCacheStorage, HiCacheStorageConfig,
                                                                           HiCacheStorageExtraInfo)
    sys.modules.pop("kvstore_client.integrations.sglang", None)


def create_dynamic_backend(storage_config, **kwargs):
    """What SGLang's StorageBackendFactory does for --hicache-storage-backend dynamic."""
    cfg = storage_config.extra_config
    for field in ("backend_name", "module_path", "class_name"):
        if field not in cfg:
            raise ValueError("Missing required field '%s'" % field)
    backend_class = getattr(importlib.import_module(cfg["module_path"]), cfg["class_name"])
    if not issubclass(backend_class, HiCacheStorage):
        raise TypeError("Backend class must inherit from HiCacheStorage")
    return backend_class(storage_config, kwargs)


class PageFirstHostPool:
    """The parts of SGLang's page-first host pool (MHATokenToKVPoolHost, layout 'page_first') the backend uses."""
    layout = "page_first"

    def __init__(self, pages, page_size, layers, heads, dim, dtype):
        self.page_size, self.layer_num, self.head_num, self.head_dim, self.dtype = page_size, layers, heads, dim, dtype
        self.kv_buffer = torch.zeros(2, pages * page_size, layers, heads, dim, dtype=dtype)


def page_keys(token_pages, prior=""):
    """SGLang's page keys: SHA-256 of the page's tokens chained from the previous page's key."""
    keys = []
    for page in token_pages:
        h = hashlib.sha256()
        if prior:
            h.update(bytes.fromhex(prior))
        h.update(b"".join(t.to_bytes(4, "little") for t in page))
        prior = h.hexdigest()
        keys.append(prior)
    return keys


PAGE, LAYERS, HEADS, DIM = 4, 3, 2, 8


class SglangBackendTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        install_sglang_stand_in()
        cls.d = daemon.Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def backend(self, port=None, tp_rank=0, model="sglang-test/model", pool=None):
        cfg = HiCacheStorageConfig(tp_rank, 2, 0, 1, 0, 1, False, False, True, model, extra_config={
            "backend_name": "kvstore", "module_path": "kvstore_client.integrations.sglang",
            "class_name": "KvstoreHiCacheStorage", "host": self.d.host, "port": port or self.d.port})
        b = create_dynamic_backend(cfg)
        if pool is not None:
            b.register_mem_pool_host(pool)
        self.addCleanup(b.close)
        return b

    def pool(self, pages=6):
        return PageFirstHostPool(pages, PAGE, LAYERS, HEADS, DIM, torch.bfloat16)

    def test_loaded_by_the_dynamic_factory_as_a_hicache_storage(self):
        b = self.backend()
        self.assertIsInstance(b, HiCacheStorage)
        self.assertEqual(type(b).__name__, "KvstoreHiCacheStorage")

    def test_set_get_exists_and_batch_exists_counts_leading_pages(self):
        b = self.backend(model="sglang-test/basic")
        keys = page_keys([[i, i + 1, i + 2, i + 3] for i in range(0, 20, 4)])
        values = [torch.randn(2, PAGE, LAYERS, HEADS, DIM).to(torch.bfloat16) for _ in keys]
        self.assertTrue(b.batch_set(keys[:3], values[:3]))
        self.assertTrue(b.set(keys[4], values[4]))
        self.assertEqual(b.batch_exists(keys), 3)  # page 3 is missing: the prefix stops there
        self.assertTrue(b.exists(keys[4]))
        self.assertFalse(b.exists(keys[3]))
        target = torch.zeros_like(values[1])
        self.assertIs(b.get(keys[1], target), target)
        self.assertTrue(torch.equal(target, values[1]))
        self.assertIsNone(b.get(keys[3], torch.zeros_like(values[3])))
        got = b.batch_get(keys[:4], [torch.zeros_like(v) for v in values[:4]])
        self.assertEqual([g is not None for g in got], [True, True, True, False])
        self.assertTrue(all(torch.equal(g, v) for g, v in zip(got[:3], values[:3])))
        raw = b.batch_get(keys[:1])[0]  # no target: a new uint8 tensor
        self.assertEqual(raw.dtype, torch.uint8)
        self.assertEqual(bytes(raw.numpy()), bytes(values[0].view(torch.uint8).numpy()))

    def test_zero_copy_v1_calls_move_pages_between_host_pools(self):
        src = self.pool()
        src.kv_buffer.copy_(torch.randn(src.kv_buffer.shape).to(torch.bfloat16))
        writer = self.backend(model="sglang-test/v1", pool=src)
        keys = page_keys([[7, 8, 9, i] for i in range(4)])
        slots = torch.tensor([s for p in (2, 0, 5, 1) for s in range(p * PAGE, (p + 1) * PAGE)])
        self.assertEqual(writer.batch_set_v1(keys, slots), [True] * 4)
        dst = self.pool()
        reader = self.backend(model="sglang-test/v1", pool=dst)
        self.assertEqual(reader.batch_exists(keys), 4)
        into = torch.tensor([s for p in (3, 4, 0, 1) for s in range(p * PAGE, (p + 1) * PAGE)])
        self.assertEqual(reader.batch_get_v1(keys + page_keys([[1]], keys[-1]), torch.cat(
            [into, torch.arange(2 * PAGE, 3 * PAGE)])), [True] * 4 + [False])
        for a, b in zip((2, 0, 5, 1), (3, 4, 0, 1)):
            self.assertTrue(torch.equal(dst.kv_buffer[:, b * PAGE:(b + 1) * PAGE], src.kv_buffer[:, a * PAGE:(a + 1) * PAGE]))
        # the blocks have kvstore's canonical layout: an engine-neutral reader sees [layers, 2, page, heads, dim]
        canon = SglangPageFirstKV(src.kv_buffer, PAGE).gather([2 * PAGE])[0]
        self.assertTrue(torch.equal(reader.batch_get(keys[:1], [torch.zeros_like(canon)])[0], canon))

    def test_tensor_parallel_ranks_do_not_see_each_others_pages(self):
        keys = page_keys([[3, 1, 4, 1]])
        v = torch.ones(2, PAGE, LAYERS, HEADS, DIM, dtype=torch.bfloat16)
        self.assertTrue(self.backend(model="sglang-test/tp", tp_rank=0).batch_set(keys, [v]))
        self.assertEqual(self.backend(model="sglang-test/tp", tp_rank=1).batch_exists(keys), 0)
        self.assertEqual(self.backend(model="sglang-test/tp", tp_rank=0).batch_exists(keys), 1)

    def test_a_daemon_that_is_down_is_a_miss_not_an_exception(self):
        d = daemon.Daemon().start()
        b = self.backend(port=d.port, model="sglang-test/down")
        keys = page_keys([[5, 5, 5, 5]])
        v = torch.ones(2, PAGE, LAYERS, HEADS, DIM, dtype=torch.bfloat16)
        self.assertTrue(b.batch_set(keys, [v]))
        d.kill()
        d.stop()
        self.assertEqual(b.batch_exists(keys), 0)
        self.assertFalse(b.exists(keys[0]))
        self.assertIsNone(b.get(keys[0], torch.zeros_like(v)))
        self.assertFalse(b.set(keys[0], v))


if __name__ == "__main__":
    unittest.main()
