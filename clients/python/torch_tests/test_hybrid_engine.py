"""The hybrid reference engine (examples/reference_engine/hybrid_engine.py) against a real daemon: resuming from
attention blocks and a recurrent-state snapshot stored in and read back from kvstore gives the same logits and
tokens as a full prefill (fp32 and bf16); attention blocks without a snapshot at the resume point are not a hit;
and the snapshot carries what the recurrent layers need (resuming from a zero state gives other logits)."""
import os
import unittest

import torch
from _setup import assert_same_turn, prompt, session  # also puts kvstore_client, tests and examples/ on the path

from kvstore_client import connect
from kvstore_client.hybrid import Group, group_key, resume_point
from reference_engine.hybrid_engine import HybridEngine, HybridTurn, hybrid_namespace
from reference_engine.hybrid_model import HybridConfig, TinyHybrid
from tests import daemon

torch.set_num_threads(1)


class HybridEngineTest(daemon.DaemonPerClass, unittest.TestCase):

    daemon_args = ["--set", "hbmCapacityBytes=0"]

    def engine(self, cfg, tag):
        ns = hybrid_namespace(cfg, "test/hybrid-engine/" + tag + os.urandom(4).hex())
        e = HybridEngine(TinyHybrid(cfg), lambda: connect(self.d.host, self.d.port, ns, timeout=10,
                                                          verify_checksums=True, shared_memory=False))
        self.addCleanup(e.close)
        return e

    def check_identical(self, dtype):
        cfg = HybridConfig(dtype=dtype, page_tokens=16, max_tokens=512)
        plain = HybridEngine(TinyHybrid(cfg))
        cached = self.engine(cfg, str(dtype))
        turns = session(100, 60, 45)
        for i, t in enumerate(turns):
            want = plain.run_turn(t, max_new_tokens=4)
            got = cached.run_turn(t, max_new_tokens=4)
            # the previous turn saved its last full block's attention KV and the state snapshot there
            assert_same_turn(self, got, want, i, 0 if i == 0 else len(turns[i - 1]) // 16 * 16)
            self.assertTrue(got.saved_snapshot)
        return cfg, cached, turns

    def test_resuming_from_a_stored_snapshot_gives_identical_logits_and_tokens_fp32(self):
        self.check_identical(torch.float32)

    def test_resuming_from_a_stored_snapshot_gives_identical_logits_and_tokens_bf16(self):
        self.check_identical(torch.bfloat16)

    def test_attention_blocks_without_a_snapshot_there_are_not_a_resume_point(self):
        cfg = HybridConfig(page_tokens=16, max_tokens=512)
        e = self.engine(cfg, "branch")
        base = prompt(100, 4)  # 6 full blocks; the snapshot is at block 5 only
        e.run_turn(base)
        branch = base[:64] + prompt(50, 5)  # shares blocks 0-3 with it
        want = HybridEngine(TinyHybrid(cfg)).run_turn(branch, max_new_tokens=3)
        got = e.run_turn(branch, max_new_tokens=3)
        self.assertEqual(got.attention_hit_tokens, 64)  # the attention blocks are there...
        self.assertEqual(got.hit_tokens, 0)             # ...but no state at block 3: recompute from the start
        self.assertTrue(torch.equal(got.first_logits, want.first_logits))
        self.assertEqual(got.tokens, want.tokens)
        kv = e.kv
        r = resume_point(kv, base + prompt(20, 6), e.groups)
        self.assertEqual(r.blocks, 6)
        self.assertEqual(r.keys[1], [group_key(kv.block_keys(base)[5], 1)])
        self.assertEqual(len(r.keys[0]), 6)

    def test_the_snapshot_is_what_the_recurrent_layers_need(self):
        cfg = HybridConfig(page_tokens=16, max_tokens=512)
        e = self.engine(cfg, "zero")
        t = prompt(100, 7)
        e.run_turn(t)
        longer = t + prompt(30, 8)
        model = e.model
        cache = model.new_cache(e.pages)
        pages = list(range(e.pages))
        full, _ = model.prefill(longer, 0, cache, pages, model.new_state())
        hit, state = e._load(longer, HybridTurn(None, [], len(longer), 0, 0))
        self.assertEqual(hit, 6)
        restored, _ = model.prefill(longer, hit * 16, e.cache, pages, state)
        self.assertTrue(torch.equal(restored, full))
        zero, _ = model.prefill(longer, hit * 16, e.cache, pages, model.new_state())
        self.assertFalse(torch.equal(zero, full))

    def test_groups_are_checked(self):
        with self.assertRaises(ValueError):
            Group.window(0)
        with self.assertRaises(ValueError):
            resume_point(None, [], [Group.state(8)])
        with self.assertRaises(ValueError):
            group_key(b"\0" * 32, 0)


if __name__ == "__main__":
    unittest.main()
