"""Prefix hashing matches the Java PrefixHasher: the shared vectors of docs/hashing-vectors.json."""
import json
import unittest

from kvstore_client import Namespace, block_keys, crc32c
from kvstore_client.crc32c import crc32c_pure

from .daemon import REPO


def _ns(d):
    return Namespace(d["model_id"], d["dtype"], d["layers"], d["kv_heads"], d["head_dim"], d["tokens_per_block"],
                     d.get("tenant", ""), d.get("cache_salt", ""), d.get("lora_id", ""))


class HashingVectorsTest(unittest.TestCase):

    def test_every_vector_matches(self):
        with open(REPO / "docs" / "hashing-vectors.json", encoding="utf-8") as f:
            vectors = json.load(f)
        self.assertGreaterEqual(len(vectors), 8)
        for v in vectors:
            with self.subTest(v["name"]):
                ns = _ns(v["namespace"])
                self.assertEqual(ns.root.hex(), v["root"])
                self.assertEqual([k.hex() for k in ns.block_keys(v["tokens"])], v["keys"])
                self.assertEqual([k.hex() for k in block_keys(ns, v["tokens"])], v["keys"])

    def test_namespace_id_is_the_roots_first_eight_bytes_signed(self):
        ns = Namespace("meta-llama/Llama-3.1-8B", "bf16", 32, 8, 128, 4)
        self.assertEqual(ns.root.hex(), "bc9f72b25ca7eb25857a3a4e3208d4bc06fbbcc306a00484b4d3780fad76d845")
        self.assertEqual(ns.id, int("bc9f72b25ca7eb25", 16) - 2 ** 64)

    def test_keys_are_a_chain_so_a_shared_prefix_shares_keys(self):
        ns = Namespace("m", "fp16", 2, 2, 64, 4)
        a = ns.block_keys(list(range(12)))
        b = ns.block_keys(list(range(8)) + [99, 98, 97, 96])
        self.assertEqual(a[:2], b[:2])
        self.assertNotEqual(a[2], b[2])
        other = Namespace("m", "fp16", 2, 2, 64, 4, tenant="t")
        self.assertNotEqual(ns.block_keys(list(range(4))), other.block_keys(list(range(4))))

    def test_bad_input_is_refused_with_a_clear_error(self):
        ns = Namespace("m", "fp16", 2, 2, 64, 4)
        with self.assertRaisesRegex(ValueError, "token ids"):
            ns.block_keys([1, 2, -3, 4])
        with self.assertRaisesRegex(ValueError, "token ids"):
            ns.block_keys([1, 2, 2 ** 32, 4])
        with self.assertRaisesRegex(ValueError, "tokens_per_block"):
            Namespace("m", "fp16", 2, 2, 64, 0)
        with self.assertRaisesRegex(ValueError, "model_id"):
            Namespace("", "fp16", 2, 2, 64, 4)
        self.assertEqual(ns.block_keys([1, 2, 3]), [])


class Crc32cTest(unittest.TestCase):

    def test_known_values(self):
        # RFC 3720 (iSCSI) B.4 test vectors and the classic check value
        self.assertEqual(crc32c_pure(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c_pure(bytes(32)), 0x8A9136AA)
        self.assertEqual(crc32c_pure(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(crc32c_pure(bytes(range(32))), 0x46DD794E)
        self.assertEqual(crc32c_pure(b""), 0)

    def test_every_length_and_alignment_agrees_with_the_bytewise_definition(self):
        data = bytes((i * 131 + 7) % 256 for i in range(100))

        def slow(d):
            c = 0xFFFFFFFF
            for b in d:
                c ^= b
                for _ in range(8):
                    c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            return c ^ 0xFFFFFFFF
        for start in range(0, 9):
            for end in range(start, len(data), 7):
                self.assertEqual(crc32c_pure(memoryview(data)[start:end]), slow(data[start:end]))
        self.assertEqual(crc32c(data), slow(data))


if __name__ == "__main__":
    unittest.main()
