"""A server that goes away: killed in the middle of a stream, and between calls. The client raises
ConnectionClosedError (never hangs, never returns a short stream as if it were complete)."""
import random
import unittest
import uuid

import signal
import time

from kvstore_client import BlockToPut, ConnectionClosedError, Namespace, ShuttingDownError, connect, crc32c

from .daemon import Daemon

BLOCKS = 128
SIZE = 256 << 10  # 32 MiB in all: far more than the socket buffers and the server's write buffer hold


class ServerLossTest(unittest.TestCase):

    def setUp(self):
        # a small outbound watermark, so that the server holds back most of the stream
        self.d = Daemon(args=["--set", "writeBufferHighBytes=256KiB", "--set", "writeBufferLowBytes=128KiB"]).start()
        self.addCleanup(self.d.stop)
        self.ns = Namespace("py-loss/" + uuid.uuid4().hex[:8], "bf16", 2, 2, 64, 4)

    def test_daemon_killed_mid_stream(self):
        tokens = list(range(BLOCKS * 4))
        payload = random.Random(1).randbytes(SIZE)
        crc = crc32c(payload)  # one payload for every block: checksum it once
        keys = self.ns.block_keys(tokens)
        blocks = [BlockToPut(k, keys[i - 1] if i else self.ns.root, i, payload, crc) for i, k in enumerate(keys)]
        with connect(self.d.host, self.d.port, self.ns, timeout=10) as c:
            self.assertTrue(c.put(blocks).all_stored)
            stream = c.stream_prefix(tokens)
            first = next(stream)
            self.assertEqual(bytes(first.payload), payload)
            self.d.kill()
            with self.assertRaises(ConnectionClosedError) as e:
                for b in stream:
                    self.assertEqual(len(b.payload), SIZE)
            self.assertLess(stream.blocks_received, BLOCKS)
            self.assertIn("GET", str(e.exception))
            self.assertIn("of %d blocks" % BLOCKS, str(e.exception))
            # the stream is over and the client knows the connection is gone
            self.assertEqual(list(stream), [])
            with self.assertRaisesRegex(ConnectionClosedError, "earlier error"):
                c.lookup_prefix(tokens)

    def test_daemon_killed_between_calls(self):
        with connect(self.d.host, self.d.port, self.ns, timeout=10) as c:
            self.assertEqual(c.ping(b"a"), b"a")
            self.d.kill()
            with self.assertRaises(ConnectionClosedError):
                c.lookup_prefix(list(range(8)))
        with self.assertRaises(ConnectionClosedError):
            connect(self.d.host, self.d.port, self.ns, connect_timeout=2)

    def test_daemon_stopped_between_calls(self):
        """SIGTERM: an idle connection is closed at once (a request that arrives while others are still in
        flight is answered SHUTTING_DOWN); either way the next call fails clearly."""
        with connect(self.d.host, self.d.port, self.ns, timeout=10) as c:
            self.assertEqual(c.ping(b"a"), b"a")
            self.d.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            with self.assertRaises((ShuttingDownError, ConnectionClosedError)):
                while time.monotonic() < deadline:  # until the signal is handled
                    c.ping(b"a")
                    time.sleep(0.05)
            with self.assertRaises(ConnectionClosedError):
                c.ping(b"a")

if __name__ == "__main__":
    unittest.main()
