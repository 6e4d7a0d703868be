"""Namespaces and prefix-block keys, exactly as the Java `Namespace` and `PrefixHasher` (docs/hashing.md).

A `Namespace` names one model + KV layout (+ tenant, cache salt, LoRA adapter). Its *root* is the SHA-256 of a
canonical encoding; block key i is SHA-256(key[i-1] || the block's token ids as u32 big-endian), with key[-1]
= root. Only full blocks have keys. Checked against docs/hashing-vectors.json by tests/test_hashing.py.
"""
import hashlib
import struct
from dataclasses import dataclass

_TAG = "kvstore-namespace-v1"
KEY_BYTES = 32


def _str(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


@dataclass(frozen=True)
class Namespace:
    """A cache namespace: blocks are only ever shared within one. Immutable and hashable.

    Every field is sent in HELLO; the server computes the namespace id itself. Integers must be positive and
    below 2^31 (the Java `KvLayout` refuses others), strings at most 65535 UTF-8 bytes.
    """
    model_id: str
    dtype: str
    layers: int
    kv_heads: int
    head_dim: int
    tokens_per_block: int
    tenant: str = ""
    cache_salt: str = ""
    lora_id: str = ""

    def __post_init__(self):
        for name in ("model_id", "dtype", "tenant", "cache_salt", "lora_id"):
            v = getattr(self, name)
            if not isinstance(v, str):
                raise TypeError("%s must be a str, was %r" % (name, v))
            if len(v.encode("utf-8")) > 65535:
                raise ValueError("%s is longer than 65535 UTF-8 bytes" % name)
        if not self.model_id or not self.dtype:
            raise ValueError("model_id and dtype must not be empty")
        for name in ("layers", "kv_heads", "head_dim", "tokens_per_block"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 2 ** 31:
                raise ValueError("%s must be an int in 1..2^31-1, was %r" % (name, v))

    def encoding(self):
        """The canonical byte encoding hashed into the root."""
        return (_str(_TAG) + _str(self.model_id) + _str(self.dtype)
                + struct.pack(">IIII", self.layers, self.kv_heads, self.head_dim, self.tokens_per_block)
                + _str(self.tenant) + _str(self.cache_salt) + _str(self.lora_id))

    @property
    def root(self):
        """The 32-byte namespace root: parent of every chain's first block."""
        return hashlib.sha256(self.encoding()).digest()

    @property
    def id(self):
        """The namespace id the server stores with each block: the root's first 8 bytes, big-endian, signed
        like Java's `long`."""
        return struct.unpack(">q", self.root[:8])[0]

    @property
    def layout_id(self):
        """First 4 bytes (big-endian, signed like Java's `int`) of the SHA-256 of the layout fields alone."""
        enc = _str(self.dtype) + struct.pack(">IIII", self.layers, self.kv_heads, self.head_dim,
                                             self.tokens_per_block)
        return struct.unpack(">i", hashlib.sha256(enc).digest()[:4])[0]

    def block_keys(self, tokens):
        """The 32-byte keys of the full blocks of `tokens` (a sequence of ints in 0..2^32-1); the trailing
        partial block has none."""
        return block_keys(self, tokens)


def block_keys(ns, tokens):
    """Keys (list of 32-byte `bytes`) of the full blocks of `tokens` in namespace `ns`."""
    b = ns.tokens_per_block
    n = len(tokens) // b
    fmt = struct.Struct(">%dI" % b)
    parent = ns.root
    keys = []
    try:
        for i in range(n):
            parent = hashlib.sha256(parent + fmt.pack(*tokens[i * b:(i + 1) * b])).digest()
            keys.append(parent)
    except struct.error:
        bad = next(t for t in tokens[:n * b] if not isinstance(t, int) or not 0 <= t < 2 ** 32)
        raise ValueError("token ids must be ints in 0..2^32-1, got %r" % (bad,)) from None
    return keys
