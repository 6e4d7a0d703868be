"""Same-host shared-memory reads (docs/protocol.md): a daemon with `dramSharedMemoryDir`, the same results
as over TCP, leases released."""
import os
import unittest

from kvstore_client import Namespace, connect

from . import daemon


def namespace(tenant="acme"):
    return Namespace("py-shm-model", "bf16", layers=2, kv_heads=2, head_dim=64, tokens_per_block=16, tenant=tenant)


class SharedMemoryTest(daemon.DaemonPerClass, unittest.TestCase):

    shared_memory = True

    def open(self, **kw):
        c = connect(self.d.host, self.d.port, namespace(), verify_checksums=True, **kw)
        self.addCleanup(c.close)
        return c

    def test_same_blocks_as_tcp_in_order_partial_and_miss(self):
        shm, tcp = self.open(), self.open(shared_memory=False)
        self.assertTrue(shm.uses_shared_memory)
        self.assertFalse(tcp.uses_shared_memory)
        tokens = list(range(1000, 1000 + 16 * 12))
        payloads = [os.urandom(40000 + i) for i in range(8)]
        self.assertTrue(shm.put_blocks(tokens, payloads).all_stored)
        for c in (shm, tcp):
            got = c.get_prefix(tokens)
            self.assertEqual(len(got), 8)  # partial: 8 of 12 cached
            self.assertEqual([bytes(b.payload) for b in got], payloads)
            self.assertEqual([b.position for b in got], list(range(8)))
        self.assertEqual(shm.get_prefix(list(range(5, 5 + 64))), [])  # miss
        bufs = [bytearray(50000) for _ in range(8)]
        with shm.stream_prefix(tokens, into=bufs) as s:
            n = sum(1 for _ in s)
        self.assertEqual(n, 8)
        self.assertEqual(bytes(bufs[3][:len(payloads[3])]), payloads[3])
        self.assertEqual(shm.ping(b"ok"), b"ok")  # the lease was released on the same connection

    def test_put_copies_into_the_mapping_not_the_socket(self):
        for checksum in ("client", "server"):
            shm, tcp = self.open(checksum=checksum), self.open(shared_memory=False)

            def no_socket_put(frames, persisted):
                raise AssertionError("%d blocks went over the socket" % len(frames))
            shm._put_frames = no_socket_put
            tokens = list(range(3000 + (checksum == "server") * 500, 3000 + (checksum == "server") * 500 + 16 * 6))
            payloads = [os.urandom(65536 + i) for i in range(6)]
            ack = shm.put_blocks(tokens, payloads)
            self.assertTrue(ack.all_stored, ack)
            self.assertEqual([bytes(b.payload) for b in tcp.get_prefix(tokens)], payloads)
            again = shm.put_blocks(tokens, payloads)
            self.assertEqual(again.stored, 6)  # answered ALREADY_PRESENT at reservation: nothing written
            self.assertEqual(shm.ping(b"ok"), b"ok")

    def test_other_tenant_sees_nothing(self):
        a = self.open()
        tokens = list(range(7000, 7000 + 16 * 2))
        a.put_blocks(tokens, [b"x" * 5000, b"y" * 5000])
        b = connect(self.d.host, self.d.port, namespace("globex"))
        self.addCleanup(b.close)
        self.assertTrue(b.uses_shared_memory)
        self.assertEqual(list(b.stream(a.block_keys(tokens))), [])


if __name__ == "__main__":
    unittest.main()
