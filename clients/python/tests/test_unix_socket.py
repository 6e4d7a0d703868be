"""The daemon's Unix domain socket (`dataSocket`, docs/server.md): the same protocol as the TCP port, the same
blocks, shared memory offered (a Unix-socket peer is on the daemon's host), a clear error for a missing socket."""
import os
import shutil
import stat
import tempfile
import unittest

from kvstore_client import ConnectionClosedError, Namespace, connect

from . import daemon


def namespace(tenant="acme"):
    return Namespace("py-uds-model", "bf16", layers=2, kv_heads=2, head_dim=64, tokens_per_block=16, tenant=tenant)


class UnixSocketTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sock_dir = tempfile.mkdtemp(prefix="kvstore-pytest-uds-")
        cls.sock = os.path.join(cls.sock_dir, "kv.sock")
        cls.d = daemon.SharedMemoryDaemon(args=["--set", "dataSocket=" + cls.sock]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        gone = not os.path.exists(cls.sock)
        shutil.rmtree(cls.sock_dir, ignore_errors=True)
        super().tearDownClass()
        if not gone:
            raise AssertionError("the daemon left its socket file after a clean stop")

    def open(self, **kw):
        c = connect(namespace=namespace(), unix_socket=self.sock, verify_checksums=True, **kw)
        self.addCleanup(c.close)
        return c

    def test_the_ready_line_names_the_socket_and_it_is_owner_only(self):
        self.assertIn("socket unix:%s," % self.sock, "".join(self.d.log))
        mode = os.stat(self.sock).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o600)

    def test_put_lookup_get_and_stream_as_over_tcp(self):
        uds = self.open(shared_memory=False)
        tcp = connect(self.d.host, self.d.port, namespace(), shared_memory=False)
        self.addCleanup(tcp.close)
        self.assertFalse(uds.uses_shared_memory)
        tokens = list(range(3000, 3000 + 16 * 6))
        payloads = [os.urandom(30000 + i) for i in range(5)]
        self.assertTrue(uds.put_blocks(tokens, payloads).all_stored)
        for c in (uds, tcp):
            self.assertEqual(c.lookup_prefix(tokens).hit_blocks, 5)
            got = c.get_prefix(tokens)
            self.assertEqual([bytes(b.payload) for b in got], payloads)
            self.assertEqual([b.position for b in got], list(range(5)))
        with uds.stream_prefix(tokens) as s:
            self.assertEqual([bytes(b.payload) for b in s], payloads)
        self.assertEqual(uds.ping(b"uds"), b"uds")

    def test_shared_memory_is_offered_over_the_socket(self):
        c = self.open()
        self.assertTrue(c.uses_shared_memory)
        tokens = list(range(9000, 9000 + 16 * 3))
        payloads = [os.urandom(20000) for _ in range(3)]
        self.assertTrue(c.put_blocks(tokens, payloads).all_stored)
        self.assertEqual([bytes(b.payload) for b in c.get_prefix(tokens)], payloads)

    def test_a_missing_socket_is_a_connection_error_naming_it(self):
        missing = os.path.join(self.sock_dir, "nobody.sock")
        with self.assertRaises(ConnectionClosedError) as e:
            connect(namespace=namespace(), unix_socket=missing)
        self.assertIn("unix:" + missing, str(e.exception))


if __name__ == "__main__":
    unittest.main()
