"""kvstore_client: a standard-library Python client of the kvstore KV-cache daemon (docs/python.md).

    from kvstore_client import Namespace, connect
    ns = Namespace("meta-llama/Llama-3.1-8B", "bf16", layers=32, kv_heads=8, head_dim=128, tokens_per_block=16)
    with connect("127.0.0.1", 7379, ns) as kv:
        kv.put_blocks(tokens, payloads)
        hit = kv.lookup_prefix(tokens)
        for block in kv.stream_prefix(tokens): ...
"""
from .client import (DEFAULT_PORT, Block, BlockStream, BlockToPut, KvStoreClient, PrefixLookup, PutAck, Stats,
                     TierStats, connect)
from .crc32c import crc32c
from .errors import (AuthenticationError, BusyError, ClientClosedError, ConnectionClosedError, KvStoreError,
                     ProtocolError, ServerError, ShuttingDownError, TimeoutError_)
from .hashing import Namespace, block_keys
from .wire import KeyOutcome, PutCode

__all__ = [
    "DEFAULT_PORT", "Block", "BlockStream", "BlockToPut", "KvStoreClient", "PrefixLookup", "PutAck", "Stats",
    "TierStats", "connect", "crc32c", "AuthenticationError", "BusyError", "ClientClosedError",
    "ConnectionClosedError", "KvStoreError", "ProtocolError", "ServerError", "ShuttingDownError",
    "TimeoutError_", "Namespace", "block_keys", "KeyOutcome", "PutCode",
]
__version__ = "0.1.0"
