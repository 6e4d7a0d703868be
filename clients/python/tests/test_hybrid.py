"""Group-object keys of hybrid models (docs/hashing.md, "Group objects") and which objects a resume needs."""
import unittest

from kvstore_client import Namespace
from kvstore_client.hybrid import Group, check_groups, group_key

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


if __name__ == "__main__":
    unittest.main()
