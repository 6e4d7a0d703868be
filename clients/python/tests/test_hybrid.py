"""Group-object keys of hybrid models (docs/hashing.md, "Group objects") and which objects a resume needs."""
import unittest
import uuid

from kvstore_client import Namespace, connect
from kvstore_client.hybrid import Group, check_groups, group_key, groups_body, put_group_objects, resume_point

from . import daemon

NS = Namespace("meta-llama/Llama-3.1-8B", "bf16", 32, 8, 128, 4)


class GroupKeyTest(unittest.TestCase):

    def test_vectors(self):
        k0, k1 = NS.block_keys(list(range(8)))
        self.assertEqual(k0.hex(), "13faf65e54b138bc365eb5001aadfd221708aa13498588f74dae6f30f9ca033f")
        self.assertEqual(group_key(k0, 1).hex(), "668b2c37e20b702bac5cc66626e947af69a090edff490bb74df2d7437e195ddc")
        self.assertEqual(group_key(k1, 1).hex(), "c0841e7d3a1f0a8e26f634832c7eee6fb4d6e404930a49eb7d5185f04effd587")
        self.assertEqual(group_key(k1, 2).hex(), "d2c6198e030ce49f3d32844f50a4e7a2ef7a958ddb266d4281a0e4f8b427e708")

    def test_bad_input_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "32 bytes"):
            group_key(b"short", 1)
        with self.assertRaisesRegex(ValueError, "group 0 is the prefix blocks"):
            group_key(bytes(32), 0)
        with self.assertRaisesRegex(ValueError, "group 0 must be Group.full"):
            check_groups([Group.state(8)])
        with self.assertRaisesRegex(ValueError, "only group 0"):
            check_groups([Group.full(), Group.full()])

    def test_blocks_a_resume_needs(self):
        self.assertEqual(Group.full().blocks_before(5, 16), [0, 1, 2, 3, 4])
        self.assertEqual(Group.window(40).blocks_before(5, 16), [2, 3, 4])  # ceil(40 / 16) = 3 blocks
        self.assertEqual(Group.window(40).blocks_before(2, 16), [0, 1])
        self.assertEqual(Group.state(8).blocks_before(5, 16), [4])
        self.assertEqual(Group.state(8).blocks_before(0, 16), [])


    def test_groups_body_layout(self):
        self.assertEqual(groups_body([Group.full(), Group.state(8716288), Group.window(4096)]).hex(),
                         "03" + "0000000000" + "0200850000" + "0100001000")


class HybridLookupTest(unittest.TestCase):
    """resume_point against the real daemon: its HYBRID_LOOKUP and the path for older daemons agree."""
    TPB = 16
    GROUPS = [Group.full(), Group.state(1000), Group.window(32)]  # a 2-block window, shorter than the prefix

    @classmethod
    def setUpClass(cls):
        cls.d = daemon.shared()

    def setUp(self):
        ns = Namespace("py-test-hybrid/" + uuid.uuid4().hex[:12], "bf16", 1, 2, 64, self.TPB)
        self.c = connect(self.d.host, self.d.port, ns, token=daemon.TOKEN, timeout=10)
        self.addCleanup(self.c.close)
        self.tokens = [i * 7 for i in range(6 * self.TPB)]
        self.keys = ns.block_keys(self.tokens)
        ack = self.c.put_blocks(self.tokens, [bytes([i]) * 4096 for i in range(6)])
        self.assertTrue(ack.all_stored)
        # snapshots after blocks 2 and 5, window KV for every block but 4
        put_group_objects(self.c, self.tokens, 1, 2, [b"\x66" * 1000])
        put_group_objects(self.c, self.tokens, 1, 5, [b"\x69" * 1000])
        for i in (0, 1, 2, 3, 5):
            put_group_objects(self.c, self.tokens, 2, i, [bytes([200 + i]) * 2048])

    def resume(self, tokens, **kw):
        a = resume_point(self.c, tokens, self.GROUPS, **kw)
        b = resume_point(self.c, tokens, self.GROUPS, server=False)
        self.assertEqual((a.blocks, a.keys), (b.blocks, b.keys))
        return a

    def test_the_daemon_answers_and_both_paths_agree(self):
        self.assertTrue(self.c.answers_hybrid_lookup)
        r = self.resume(self.tokens)
        self.assertEqual(r.blocks, 3)  # block 5's window needs block 4's window KV, which is missing
        self.assertEqual(r.keys[1], [group_key(self.keys[2], 1)])
        self.assertEqual(r.keys[2], [group_key(self.keys[1], 2), group_key(self.keys[2], 2)])
        got = [bytes(b.payload) for b in self.c.stream(r.objects)]
        self.assertEqual(len(got), 6)
        self.assertEqual(got[3], b"\x66" * 1000)
        put_group_objects(self.c, self.tokens, 2, 4, [bytes([204]) * 2048])
        r = self.resume(self.tokens)
        self.assertEqual(r.blocks, 6)
        self.assertEqual(r.keys[2], [group_key(self.keys[4], 2), group_key(self.keys[5], 2)])
        self.c.delete([group_key(self.keys[0], 2)])  # outside the window of block 6: no change
        self.assertEqual(self.resume(self.tokens).blocks, 6)

    def test_a_missing_snapshot_or_attention_block_moves_the_resume_point_back(self):
        put_group_objects(self.c, self.tokens, 2, 4, [bytes([204]) * 2048])
        other = list(self.tokens)
        other[4 * self.TPB] = 99999
        self.assertEqual(self.resume(other).blocks, 3)
        resume, hit, tiers = self.c.hybrid_lookup(groups_body(self.GROUPS), self.c.namespace.block_keys(other))
        self.assertEqual((resume, hit, len(tiers)), (3, 4, 3 + 1 + 2))
        self.c.delete([self.keys[4]])
        self.assertEqual(self.resume(self.tokens).blocks, 3)
        self.c.delete([group_key(self.keys[2], 1)])
        self.assertEqual(self.resume(self.tokens).blocks, 0)
        self.assertEqual(self.resume([]).blocks, 0)

    def test_a_transformer_namespace_is_unchanged(self):
        self.assertEqual(self.c.lookup(self.keys).hit_blocks, 6)
        resume, hit, tiers = self.c.hybrid_lookup(groups_body([Group.full()]), self.keys)
        self.assertEqual((resume, hit, tiers), (6, 6, self.c.lookup(self.keys).tiers))


if __name__ == "__main__":
    unittest.main()
