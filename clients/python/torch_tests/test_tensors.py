"""Torch tensors and numpy arrays as payloads and GET targets, the engine layouts (kvstore_client.torch) through
a real daemon, and shared-memory GET into a tensor. Run by /usr/bin/python3 (Debian's python3-torch)."""
import os
import unittest

import _setup  # noqa: F401
import numpy as np
import torch

from kvstore_client import Namespace, PutCode, connect
from kvstore_client.torch import SglangPageFirstKV, VllmPagedKV
from tests import daemon

LAYERS, HEADS, DIM, TPB = 4, 2, 16, 8


def namespace(tag):
    return Namespace("torch-test/" + tag + os.urandom(4).hex(), "bf16", LAYERS, HEADS, DIM, TPB)


class TensorTest(daemon.DaemonPerClass, unittest.TestCase):

    shared_memory = True

    def open(self, ns, **kw):
        c = connect(self.d.host, self.d.port, ns, timeout=20, verify_checksums=True, **kw)
        self.addCleanup(c.close)
        return c

    def test_bf16_tensors_in_and_out_without_copies_tcp_and_shared_memory(self):
        ns = namespace("bf16")
        tokens = list(range(5 * TPB))
        src = torch.randn(5, LAYERS, 2, TPB, HEADS, DIM).to(torch.bfloat16)
        c = self.open(ns, shared_memory=False)
        self.assertEqual(c.put_blocks(tokens, src).codes, [PutCode.STORED] * 5)  # rows of one tensor
        for shm in (False, True):
            r = self.open(ns, shared_memory=shm)
            self.assertEqual(r.uses_shared_memory, shm)
            dst = torch.zeros_like(src)
            with r.stream_prefix(tokens, into=dst) as s:
                self.assertEqual(len(list(s)), 5)
            self.assertTrue(torch.equal(dst, src), "shared memory" if shm else "tcp")

    def test_numpy_arrays_and_refused_tensors(self):
        ns = namespace("np")
        c = self.open(ns)
        tokens = list(range(2 * TPB))
        src = [np.arange(1000, dtype=np.float16) + i for i in range(2)]
        self.assertTrue(c.put_blocks(tokens, src).all_stored)
        dst = np.zeros((2, 1000), dtype=np.float16)
        self.assertEqual(len(list(c.stream_prefix(tokens, into=dst))), 2)
        self.assertTrue((dst == np.stack(src)).all())
        with self.assertRaisesRegex(ValueError, "non-contiguous tensor"):
            c.put_blocks(tokens, [torch.zeros(8, 8).t()])
        with self.assertRaisesRegex(ValueError, "too small|holds"):
            list(c.stream_prefix(tokens, into=[torch.zeros(10, dtype=torch.uint8)] * 2))

    def test_vllm_layout_to_sglang_layout_through_the_daemon(self):
        ns = namespace("layout")
        blocks, num = 3, 8
        vllm = VllmPagedKV([torch.randn(2, num, TPB, HEADS, DIM).to(torch.bfloat16) for _ in range(LAYERS)])
        tokens = list(range(100, 100 + blocks * TPB))
        pages = [5, 1, 6]  # the sequence's pages sit anywhere in the cache
        c = self.open(ns)
        self.assertTrue(c.put_blocks(tokens, vllm.gather(pages)).all_stored)
        # an SGLang-style page-first pool reads the same blocks into pages 2, 0, 3 (token slots 16, 0, 24)
        pool = SglangPageFirstKV(torch.zeros(2, 4 * TPB, LAYERS, HEADS, DIM, dtype=torch.bfloat16), TPB)
        staging = pool.staging(blocks)
        self.assertEqual(len(list(c.stream_prefix(tokens, into=staging))), blocks)
        starts = [2 * TPB, 0, 3 * TPB]
        pool.scatter(starts, staging)
        for layer in range(LAYERS):
            for kv in range(2):
                for p, s in zip(pages, starts):
                    self.assertTrue(torch.equal(pool.kv_buffer[kv, s:s + TPB, layer], vllm.kv_caches[layer][kv, p]))
        # and back into a fresh vLLM cache
        fresh = VllmPagedKV([torch.zeros(2, num, TPB, HEADS, DIM, dtype=torch.bfloat16) for _ in range(LAYERS)])
        fresh.scatter([0, 2, 4], pool.gather(starts))
        for layer in range(LAYERS):
            self.assertTrue(torch.equal(fresh.kv_caches[layer][:, [0, 2, 4]], vllm.kv_caches[layer][:, pages]))

    def test_layout_shape_errors_name_the_problem(self):
        with self.assertRaisesRegex(ValueError, r"\[2, num_blocks"):
            VllmPagedKV([torch.zeros(3, 4, 5)])
        with self.assertRaisesRegex(ValueError, "page_size 5 does not divide"):
            SglangPageFirstKV(torch.zeros(2, 16, 1, 1, 1), 5)
        v = VllmPagedKV([torch.zeros(2, 4, TPB, HEADS, DIM)])
        with self.assertRaisesRegex(ValueError, "staging tensor"):
            v.scatter([0, 1], torch.zeros(1, 1, 2, TPB, HEADS, DIM))


if __name__ == "__main__":
    unittest.main()
