"""Who computes PUT checksums (HELLO feature SERVER_CHECKSUM) and the buffers put/stream accept, against the
real daemon. Standard library only; the torch and numpy cases are in clients/python/torch_tests."""
import array
import unittest

from kvstore_client import KvStoreClient, PutCode, crc32c
from kvstore_client.buffers import byte_view
from kvstore_client.crc32c import crc32c_pure

from . import daemon
from .test_client import namespace, payloads, tokens


class ChecksumNegotiationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.d = daemon.shared()

    def open(self, ns, **kw):
        c = KvStoreClient(self.d.host, self.d.port, ns, token=daemon.TOKEN, timeout=10, verify_checksums=True, **kw)
        self.addCleanup(c.close)
        return c

    def test_server_computed_checksums_are_the_payloads_crc32c(self):
        ns = namespace()
        c = self.open(ns, checksum="server")
        self.assertTrue(c.put_checksum_by_server)
        t, p = tokens(6, 31), payloads(6, 31, size=100_003)
        self.assertEqual(c.put_blocks(t, p).codes, [PutCode.STORED] * 6)
        # a client computing its own checksums reads them back and verifies them (verify_checksums=True)
        got = self.open(ns, checksum="client").get_prefix(t)
        self.assertEqual([bytes(b.payload) for b in got], p)
        self.assertEqual([b.crc32c for b in got], [crc32c_pure(x) for x in p])

    def test_client_computed_checksums_still_work_and_a_wrong_one_is_refused(self):
        ns = namespace()
        c = self.open(ns, checksum="client")
        self.assertFalse(c.put_checksum_by_server)
        t, p = tokens(3, 32), payloads(3, 32)
        self.assertEqual(c.put_blocks(t, p).codes, [PutCode.STORED] * 3)
        from kvstore_client import BlockToPut
        keys = ns.block_keys(tokens(1, 33))
        ack = c.put([BlockToPut(keys[0], ns.root, 0, b"x" * 1000, crc=crc32c(b"y" * 1000))])
        self.assertEqual(ack.codes, [PutCode.BAD_CHECKSUM])

    def test_auto_lets_a_daemon_on_this_host_compute(self):
        # the test daemon listens on loopback: whatever CRC32C is importable, the server computes PUT checksums
        c = self.open(namespace())
        self.assertTrue(c.put_checksum_by_server)
        t, p = tokens(2, 34), payloads(2, 34)
        self.assertEqual(c.put_blocks(t, p).codes, [PutCode.STORED] * 2)
        got = self.open(c.namespace, checksum="client").get_prefix(t)  # verify_checksums=True: checked on arrival
        self.assertEqual([b.crc32c for b in got], [crc32c_pure(x) for x in p])

    def test_only_a_loopback_or_unix_peer_counts_as_this_host(self):
        import socket
        from kvstore_client.client import _local_peer
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        remote = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        local = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for s in (a, b, remote, local):
            self.addCleanup(s.close)
        remote.connect(("192.0.2.1", 9))  # TEST-NET-1: a datagram socket's connect sends nothing
        local.connect(("127.0.0.1", 9))
        self.assertTrue(_local_peer(a))
        self.assertTrue(_local_peer(local))
        self.assertFalse(_local_peer(remote), "a daemon across a network keeps the client's end-to-end CRC32C")

    def test_a_bad_checksum_choice_is_a_value_error(self):
        with self.assertRaisesRegex(ValueError, "checksum must be"):
            KvStoreClient(self.d.host, self.d.port, namespace(), checksum="fast")


class BufferTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.d = daemon.shared()

    def test_byte_view_accepts_typed_and_multidimensional_buffers_without_copying(self):
        a = array.array("f", [1.0, 2.0, 3.0])
        v = byte_view(a)
        self.assertEqual((v.format, len(v)), ("B", 12))
        a[0] = 5.0
        self.assertEqual(bytes(v[:4]), array.array("f", [5.0]).tobytes())  # a view, not a copy
        m = memoryview(bytearray(24)).cast("B", (4, 6))
        self.assertEqual(len(byte_view(m, writable=True)), 24)

    def test_byte_view_refuses_what_it_cannot_send_or_fill(self):
        with self.assertRaisesRegex(ValueError, "read-only"):
            byte_view(b"abc", writable=True, what="into buffer 0")
        with self.assertRaisesRegex(ValueError, "not C-contiguous"):
            byte_view(memoryview(bytearray(16)).cast("B", (4, 4))[::2])
        with self.assertRaisesRegex(TypeError, "payload must be bytes-like"):
            byte_view(3.5, what="payload")

    def test_typed_arrays_round_trip_into_typed_arrays(self):
        c = KvStoreClient(self.d.host, self.d.port, namespace(), token=daemon.TOKEN, timeout=10)
        self.addCleanup(c.close)
        t = tokens(3, 34)
        src = [array.array("d", [i + 0.5] * 1000) for i in range(3)]
        self.assertTrue(c.put_blocks(t, src).all_stored)
        dst = [array.array("d", [0.0] * 1000) for _ in range(3)]
        with c.stream_prefix(t, into=dst) as s:
            self.assertEqual(len(list(s)), 3)
        self.assertEqual(dst, src)
        with self.assertRaisesRegex(TypeError, "payload of block 0"):
            c.put_blocks(t, [object()])


if __name__ == "__main__":
    unittest.main()
