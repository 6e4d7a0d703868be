"""Token ids with PUT: a daemon that publishes KV events says so in HELLO, and the client sends each block's
token ids (docs/events.md); a daemon without events gets none. The stream itself is read in client-lib's
KvEventsStreamTest (pyzmq, msgpack); this client stays standard-library only."""
import unittest

from kvstore_client import BlockToPut, PutCode, connect

from . import daemon
from .test_client import namespace, payloads, tokens


class EventsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.d = daemon.Daemon(args=["--set", "kvEventsEndpoint=tcp://127.0.0.1:*"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def test_a_daemon_with_events_gets_token_ids_with_every_block(self):
        with connect(self.d.host, self.d.port, namespace(), timeout=10) as c:
            self.assertTrue(c.wants_token_ids)
            t = tokens(4, 1)
            ack = c.put_blocks(t, payloads(4, 1))
            self.assertTrue(ack.all_stored)
            self.assertEqual(4, c.lookup_prefix(t).hit_blocks)

    def test_a_block_with_the_wrong_number_of_token_ids_is_refused_before_sending(self):
        with connect(self.d.host, self.d.port, namespace(), timeout=10) as c:
            keys = c.block_keys(tokens(1, 2))
            with self.assertRaises(ValueError):
                c.put([BlockToPut(keys[0], c.namespace.root, 0, b"x" * 64, token_ids=[1, 2, 3])])

    def test_a_daemon_without_events_does_not_ask_for_token_ids(self):
        with connect(daemon.shared().host, daemon.shared().port, namespace(), token=daemon.TOKEN, timeout=10) as c:
            self.assertFalse(c.wants_token_ids)
            self.assertEqual([PutCode.STORED], c.put_blocks(tokens(1, 3), payloads(1, 3)).codes)


if __name__ == "__main__":
    unittest.main()
