"""The reference engine (examples/reference_engine) end to end against a real daemon: KV restored from kvstore
gives the same logits and tokens as a full prefill (fp32 and bf16); a corrupt block is a miss and recomputed; a
daemon killed in the middle of a load falls back to prefill."""
import os
import struct
import unittest

import torch
from _setup import assert_same_turn, prompt, session  # also puts kvstore_client, tests and examples/ on the path

from kvstore_client import connect, wire
from reference_engine.engine import ReferenceEngine, namespace_for
from reference_engine.model import ModelConfig, TinyDecoder
from tests import daemon

torch.set_num_threads(1)


class ReferenceEngineTest(daemon.DaemonPerClass, unittest.TestCase):

    shared_memory = True

    def engine(self, cfg, d=None, tag="", **kw):
        d = d or self.d
        ns = namespace_for(cfg, "test/reference-engine/" + tag + os.urandom(4).hex())
        e = ReferenceEngine(TinyDecoder(cfg), lambda: connect(d.host, d.port, ns, timeout=10,
                                                              verify_checksums=True, **kw))
        self.addCleanup(e.close)
        return e

    def check_identical(self, dtype):
        cfg = ModelConfig(dtype=dtype, page_tokens=16, max_tokens=1024)
        plain = ReferenceEngine(TinyDecoder(cfg))
        cached = self.engine(cfg, tag=str(dtype))
        turns = session(150, 90, 70)
        for i, t in enumerate(turns):
            want = plain.run_turn(t, max_new_tokens=4)
            got = cached.run_turn(t, max_new_tokens=4)
            assert_same_turn(self, got, want, i, 0 if i == 0 else len(turns[i - 1]) // 16 * 16)
        again = cached.run_turn(turns[-1], max_new_tokens=4)  # the whole prompt's pages are cached now
        self.assertEqual(again.hit_tokens, (len(turns[-1]) - 1) // 16 * 16)
        self.assertTrue(torch.equal(again.first_logits, want.first_logits))

    def test_restored_prefix_gives_identical_logits_and_tokens_fp32(self):
        self.check_identical(torch.float32)

    def test_restored_prefix_gives_identical_logits_and_tokens_bf16(self):
        self.check_identical(torch.bfloat16)

    def test_a_corrupt_block_is_a_miss_and_is_recomputed(self):
        cfg = ModelConfig(page_tokens=16, max_tokens=1024)
        t = prompt(200, 4)
        want = ReferenceEngine(TinyDecoder(cfg)).run_turn(t)
        e = self.engine(cfg, tag="corrupt", shared_memory=False)
        self.assertEqual(e.run_turn(t).saved_blocks, 12)
        self.corrupt(e.kv, e.kv.block_keys(t)[5])
        got = e.run_turn(t)
        self.assertEqual(got.hit_tokens, 5 * 16, got.notes)  # blocks 0-4 loaded, 5 failed its CRC32C
        self.assertTrue(any("CRC32C" in n for n in got.notes), got.notes)
        self.assertTrue(torch.equal(got.first_logits, want.first_logits))
        healed = e.run_turn(t)  # the corrupt block was deleted and saved again by the previous turn
        self.assertEqual(healed.hit_tokens, (200 - 1) // 16 * 16, healed.notes)
        self.assertTrue(torch.equal(healed.first_logits, want.first_logits))

    def test_a_daemon_killed_during_a_load_falls_back_to_prefill(self):
        cfg = ModelConfig(page_tokens=16, max_tokens=1024)
        t = prompt(300, 5)
        want = ReferenceEngine(TinyDecoder(cfg)).run_turn(t, max_new_tokens=3)
        d = daemon.Daemon(args=["--set", "hbmCapacityBytes=0"]).start()
        self.addCleanup(d.stop)
        e = self.engine(cfg, d=d, tag="kill", shared_memory=False)
        e.run_turn(t)

        def kill_between_lookup_and_get(n):
            # a kill after the first block would race the socket buffers (the whole answer may be in them)
            if n == 0:
                d.kill()
        got = e.run_turn(t, max_new_tokens=3, on_block=kill_between_lookup_and_get)
        self.assertEqual(got.hit_tokens, 0)
        self.assertTrue(any("load stopped" in n for n in got.notes), got.notes)
        self.assertTrue(torch.equal(got.first_logits, want.first_logits))
        self.assertEqual(got.tokens, want.tokens)
        after = e.run_turn(t, max_new_tokens=3)  # the daemon is gone: every turn is a plain prefill
        self.assertEqual(after.hit_tokens, 0)
        self.assertEqual(after.tokens, want.tokens)

    def corrupt(self, client, key):
        """Flips a byte of a stored block's payload in the daemon's shared-memory DRAM arena (where SHM_GET
        says it lies): what a bit flip in the server's memory would do."""
        with connect(self.d.host, self.d.port, client.namespace) as c:
            self.assertTrue(c.uses_shared_memory)
            r = wire.Reader(c._unary(wire.Opcode.SHM_GET, 0, struct.pack(">I", 0) + wire.keys_body([key])), "shm")
            lease, _, n = r.u64("lease"), r.u8("more"), r.u32("n")
            self.assertEqual(n, 1)
            r.take(wire.BLOCK_HEADER_BYTES, "header")
            name, offset = r.str("file"), r.u64("offset")
            with open(os.path.join(c._shm_dir, name), "r+b") as f:
                f.seek(offset + 100)
                b = f.read(1)
                f.seek(offset + 100)
                f.write(bytes([b[0] ^ 0xFF]))
            c._unary(wire.Opcode.SHM_RELEASE, 0, struct.pack(">Q", lease))


if __name__ == "__main__":
    unittest.main()
