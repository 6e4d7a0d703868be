"""Every call of the client against the real daemon (shared, auth tokens configured; see daemon.py)."""
import os
import random
import socket
import unittest
import uuid

from kvstore_client import (AuthenticationError, ClientClosedError, ConnectionClosedError, KeyOutcome,
                            KvStoreClient, Namespace, PutCode, ServerError, TimeoutError_, connect)

from . import daemon

TPB = 16
BLOCK = 16 << 10


def namespace(tenant=""):
    """A fresh namespace per test (unique model id), so tests never see each other's blocks."""
    return Namespace("py-test/" + uuid.uuid4().hex[:12], "bf16", 2, 2, 64, TPB, tenant=tenant)


def tokens(blocks, seed, extra=0):
    r = random.Random(seed)
    return [r.randrange(1 << 17) for _ in range(blocks * TPB + extra)]


def payloads(n, seed, size=BLOCK):
    return [random.Random(seed * 1000 + i).randbytes(size) for i in range(n)]


class ClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.d = daemon.shared()

    def open(self, ns=None, token=daemon.TOKEN, **kw):
        c = connect(self.d.host, self.d.port, ns or namespace(), token=token, timeout=10, **kw)
        self.addCleanup(c.close)
        return c

    def test_hello_reports_the_servers_session(self):
        ns = namespace()
        c = self.open(ns)
        self.assertEqual(c.version, 1)
        self.assertEqual(c.namespace_id, ns.id)
        self.assertGreater(c.max_frame_bytes, 1 << 20)
        self.assertGreater(c.max_keys_per_request, 0)
        self.assertTrue(c.tiers)
        self.assertEqual(c.ping(b"hello"), b"hello")

    def test_put_lookup_stream_round_trip_byte_identical_and_in_order(self):
        c = self.open()
        t, p = tokens(8, 1, extra=5), payloads(8, 1)
        ack = c.put_blocks(t, p)
        self.assertEqual(ack.codes, [PutCode.STORED] * 8)
        self.assertTrue(ack.all_stored)
        self.assertFalse(ack.durable)
        hit = c.lookup_prefix(t)
        self.assertEqual((hit.hit_blocks, hit.hit_tokens, hit.full_hit), (8, 8 * TPB, True))
        self.assertEqual(len(hit.tiers), 8)
        self.assertTrue(set(hit.tiers) <= set(c.tiers), hit.tiers)
        keys = c.block_keys(t)
        with c.stream_prefix(t) as s:
            got = []
            for b in s:
                self.assertIsInstance(b.payload, memoryview)
                got.append(b)
                self.assertEqual(s.blocks_received, len(got))
        self.assertEqual([b.position for b in got], list(range(8)))
        self.assertEqual([b.key for b in got], keys)
        self.assertEqual([b.parent for b in got], [c.namespace.root] + keys[:-1])
        self.assertEqual([bytes(b.payload) for b in got], p)
        self.assertTrue(all(b.layout_id == c.namespace.layout_id for b in got))
        # storing again is ALREADY_PRESENT
        self.assertEqual(c.put_blocks(t, p[:2]).codes, [PutCode.ALREADY_PRESENT] * 2)

    def test_miss(self):
        c = self.open()
        t = tokens(4, 2)
        hit = c.lookup_prefix(t)
        self.assertEqual((hit.hit_blocks, hit.tiers, hit.full_hit), (0, [], False))
        self.assertEqual(c.get_prefix(t), [])
        self.assertEqual(c.exists(c.block_keys(t)), [KeyOutcome.NOT_FOUND] * 4)
        self.assertEqual(c.lookup_prefix([1, 2, 3]).hit_blocks, 0)  # no full block: nothing to look up

    def test_partial_prefix_stops_at_the_first_missing_block(self):
        c = self.open()
        t = tokens(6, 3)
        p = payloads(6, 3)
        c.put_blocks(t, p[:3])                   # blocks 0..2
        c.put_blocks(t, p[4:6], first_block=4)   # 4, 5 cached but 3 missing
        hit = c.lookup_prefix(t)
        self.assertEqual((hit.hit_blocks, hit.full_hit), (3, False))
        self.assertEqual(hit.hit_keys, c.block_keys(t)[:3])
        got = c.get_prefix(t)
        self.assertEqual([bytes(b.payload) for b in got], p[:3])
        # store after prefill: the rest of the chain, then the whole prefix is a hit
        self.assertEqual(c.put_blocks(t, p[3:], first_block=3).codes,
                         [PutCode.STORED, PutCode.ALREADY_PRESENT, PutCode.ALREADY_PRESENT])
        self.assertEqual(c.lookup_prefix(t).hit_blocks, 6)

    def test_stream_into_caller_buffers(self):
        c = self.open()
        t, p = tokens(4, 4), payloads(4, 4)
        c.put_blocks(t, p)
        engine = bytearray(4 * BLOCK)        # e.g. a paged KV buffer
        view = memoryview(engine)
        slots = [view[i * BLOCK:(i + 1) * BLOCK] for i in (2, 0, 3, 1)]
        got = list(c.stream_prefix(t, into=slots))
        self.assertEqual(len(got), 4)
        for i, slot in enumerate((2, 0, 3, 1)):
            self.assertEqual(bytes(engine[slot * BLOCK:(slot + 1) * BLOCK]), p[i])
            self.assertTrue(got[i].payload.obj is engine)
        with self.assertRaisesRegex(ValueError, "buffer holds"):
            list(c.stream_prefix(t, into=lambda i: bytearray(10)))

    def test_abandoned_stream_is_drained_and_the_connection_stays_usable(self):
        c = self.open(verify_checksums=True)
        t, p = tokens(6, 5), payloads(6, 5)
        c.put_blocks(t, p)
        s = c.stream_prefix(t)
        first = next(s)
        self.assertEqual(bytes(first.payload), p[0])
        # a new call while the stream is open: the rest of the stream is read and dropped
        self.assertEqual(c.lookup_prefix(t).hit_blocks, 6)
        self.assertEqual(list(s), [])
        for b in c.stream_prefix(t):
            if b.position == 1:
                break
        self.assertEqual([bytes(b.payload) for b in c.get_prefix(t)], p)

    def test_pin_unpin_exists_delete(self):
        c = self.open()
        t, p = tokens(3, 6), payloads(3, 6)
        c.put_blocks(t, p)
        keys = c.block_keys(t)
        missing = namespace().block_keys(t)[0]
        self.assertEqual(c.pin(keys[:2] + [missing]), [KeyOutcome.PINNED, KeyOutcome.PINNED, KeyOutcome.NOT_FOUND])
        self.assertEqual(c.exists(keys), [KeyOutcome.PRESENT] * 3)
        self.assertEqual(c.unpin(keys), [KeyOutcome.UNPINNED, KeyOutcome.UNPINNED, KeyOutcome.NOT_PINNED])
        self.assertEqual(c.delete(keys[2:] + [missing]), [KeyOutcome.DELETED, KeyOutcome.NOT_FOUND])
        self.assertEqual(c.lookup_prefix(t).hit_blocks, 2)

    def test_skip_present_sends_only_the_blocks_the_server_lacks(self):
        c = self.open()
        t, p = tokens(6, 16), payloads(6, 16)
        c.put_blocks(t, p[:4])
        keys = c.block_keys(t)
        self.assertEqual(c.delete([keys[1]]), [KeyOutcome.DELETED])  # a gap: blocks 2 and 3 still cached
        sent = []
        put = c.put
        c.put = lambda blocks, persisted=False: sent.append([b.position for b in blocks]) or put(blocks, persisted)
        ack = c.put_blocks(t, p[1:], first_block=1, skip_present=True)  # an engine that missed at block 1
        self.assertEqual(ack.codes, [PutCode.STORED, PutCode.ALREADY_PRESENT, PutCode.ALREADY_PRESENT,
                                     PutCode.STORED, PutCode.STORED])
        self.assertEqual(sent, [[1, 4, 5]])
        self.assertEqual(c.lookup_prefix(t).hit_blocks, 6)
        self.assertEqual([bytes(b.payload) for b in c.get_prefix(t)], p)
        sent.clear()
        self.assertEqual(c.put_blocks(t, p, skip_present=True).codes, [PutCode.ALREADY_PRESENT] * 6)
        self.assertEqual(sent, [])

    def test_stats_count_blocks_and_hits(self):
        c = self.open()
        t = tokens(2, 7)
        c.put_blocks(t, payloads(2, 7))
        c.get_prefix(t)
        st = c.stats()
        self.assertGreaterEqual(st.blocks, 2)
        self.assertEqual([x.name for x in st.tiers], c.tiers)
        self.assertGreaterEqual(sum(x.blocks for x in st.tiers), 2)
        self.assertGreaterEqual(sum(x.hits for x in st.tiers), 2)
        self.assertTrue(all(x.capacity_bytes > 0 and x.policy for x in st.tiers))

    def test_lease_and_prefetch_flags_are_accepted(self):
        c = self.open()
        t = tokens(2, 8)
        c.put_blocks(t, payloads(2, 8))
        self.assertEqual(c.lookup_prefix(t, lease_millis=1000, prefetch=True).hit_blocks, 2)

    def test_persisted_put_reports_durability(self):
        c = self.open()
        t = tokens(1, 9)
        ack = c.put_blocks(t, payloads(1, 9), persisted=True)
        self.assertEqual(ack.codes, [PutCode.STORED])
        self.assertIs(ack.durable, False, "stored in the top tier, the emulated HBM, which is not durable")
        # only NVMe with a write-ahead log is durable: a daemon whose only tier it is says so
        d = daemon.Daemon(args=["--set", "hbmCapacityBytes=0", "--set", "dramCapacityBytes=0",
                                "--set", "nvmeWalMode=buffered"]).start()
        self.addCleanup(d.stop)
        nvme = connect(d.host, d.port, namespace(), timeout=10)
        self.addCleanup(nvme.close)
        ack = nvme.put_blocks(t, payloads(1, 9), persisted=True)
        self.assertEqual(ack.codes, [PutCode.STORED])
        self.assertIs(ack.durable, True)
        self.assertIs(nvme.put_blocks(tokens(1, 11), payloads(1, 11)).durable, False, "not asked: not reported")

    def test_more_keys_than_one_request_allows_are_sent_as_several_requests(self):
        c = self.open()
        c.max_keys_per_request = 3  # pretend the server allows 3 keys per request
        t, p = tokens(7, 10), payloads(7, 10, size=512)
        self.assertEqual(c.put_blocks(t, p).codes, [PutCode.STORED] * 7)
        self.assertEqual(c.lookup_prefix(t).hit_blocks, 7)
        self.assertEqual([bytes(b.payload) for b in c.get_prefix(t)], p)
        self.assertEqual(len(c.exists(c.block_keys(t))), 7)

    def test_namespaces_are_isolated(self):
        t = tokens(2, 11)
        a = self.open(namespace())
        b = self.open(namespace())
        a.put_blocks(t, payloads(2, 11))
        self.assertEqual(b.lookup_prefix(t).hit_blocks, 0)
        # even with a's keys, b sees nothing of a
        self.assertEqual(b.lookup(a.block_keys(t)).hit_blocks, 0)

    def test_refused_token(self):
        with self.assertRaises(AuthenticationError) as e:
            connect(self.d.host, self.d.port, namespace(), token="not-a-token", timeout=5)
        self.assertEqual((e.exception.code, e.exception.code_name), (8, "AUTH_FAILED"))
        self.assertTrue(e.exception.fatal)
        self.assertIn("AUTH_FAILED", str(e.exception))
        self.assertIn("HELLO", str(e.exception))
        with self.assertRaises(AuthenticationError) as e:
            connect(self.d.host, self.d.port, namespace(tenant="globex"), token=daemon.ACME_TOKEN, timeout=5)
        self.assertEqual(e.exception.code_name, "NAMESPACE_DENIED")
        self.assertTrue(e.exception.server_message)
        # the same token is fine for its own tenant
        self.assertEqual(self.open(namespace(tenant="acme"), token=daemon.ACME_TOKEN).ping(b"x"), b"x")

    def test_non_fatal_server_error_leaves_the_connection_usable(self):
        c = self.open()
        with self.assertRaises(ServerError) as e:
            c.ping(b"x" * 5000)  # PING bodies are limited to 4 KiB
        self.assertFalse(e.exception.fatal)
        self.assertEqual((e.exception.code, e.exception.code_name), (6, "LIMIT_EXCEEDED"))
        self.assertIn("4096", e.exception.server_message)
        self.assertEqual(c.ping(b"still here"), b"still here")

    def test_bad_arguments(self):
        c = self.open()
        with self.assertRaisesRegex(ValueError, "full blocks"):
            c.put_blocks(tokens(2, 12), payloads(3, 12))
        with self.assertRaisesRegex(ValueError, "32 bytes"):
            c.lookup([b"short"])
        with self.assertRaisesRegex(ValueError, "frame limit"):
            c.put_blocks(tokens(1, 12), [bytearray(c.max_frame_bytes)])
        with self.assertRaisesRegex(ValueError, "frame limit"):  # one bad block: nothing of the request is sent
            c.put_blocks(tokens(2, 12), [b"fine", bytearray(c.max_frame_bytes)])
        self.assertEqual(c.lookup_prefix(tokens(2, 12)).hit_blocks, 0)
        with self.assertRaises(TypeError):
            KvStoreClient(self.d.host, self.d.port, "not a namespace")
        self.assertEqual(c.ping(), b"")

    def test_use_after_close_is_loud(self):
        c = self.open()
        c.close()
        c.close()
        with self.assertRaises(ClientClosedError):
            c.lookup_prefix(tokens(1, 13))

    def test_connection_refused_and_timeout(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with self.assertRaises(ConnectionClosedError):
            connect("127.0.0.1", port, namespace(), connect_timeout=2)
        # a peer that accepts but never answers: HELLO times out, no hang
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        self.addCleanup(silent.close)
        with self.assertRaises(TimeoutError_) as e:
            connect("127.0.0.1", silent.getsockname()[1], namespace(), connect_timeout=0.5)
        self.assertIsInstance(e.exception, TimeoutError)
        self.assertIn("HELLO", str(e.exception))


if __name__ == "__main__":
    unittest.main()
