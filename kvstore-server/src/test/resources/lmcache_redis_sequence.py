"""LMCache's RedisConnector sequence (lmcache/v1/storage_backend/connector/redis_connector.py) through redis-py.

For each chunk: SET <key>kv_bytes, SET <key>metadata (RemoteMetadata: struct "iiiiiii" = length, fmt, dtype,
shape0..3), EXISTS <key>metadata, GET <key>metadata, GET <key>kv_bytes, and the DELETE of <key>metadata that the
connector sends when it finds metadata without KV bytes. Usage: lmcache_redis_sequence.py PORT
"""
import os
import struct
import sys

import redis

port = int(sys.argv[1])
r = redis.Redis.from_url(f"redis://127.0.0.1:{port}")
chunks = 3
for i in range(chunks):
    key = f"vllm@meta-llama/Llama-3.1-8B@1@0@{i:064x}"
    kv = os.urandom((1 << 20) + i)
    meta = struct.pack("iiiiiii", len(kv), 1, 3, 2, 16, 8, 128)
    # kv bytes first, as the connector does (to avoid a race with a reader)
    assert r.set(key + "kv_bytes", kv) is True
    assert r.set(key + "metadata", meta) is True
    assert r.exists(key + "metadata") == 1
    got_meta = r.get(key + "metadata")
    length, fmt, dtype, s0, s1, s2, s3 = struct.unpack_from("iiiiiii", memoryview(got_meta))
    assert (length, fmt, dtype, s0, s1, s2, s3) == (len(kv), 1, 3, 2, 16, 8, 128)
    got = r.get(key + "kv_bytes")
    assert got == kv, f"chunk {i}: {len(got)} bytes back, {len(kv)} stored"
    assert r.exists(key + "missing") == 0
    assert r.get(key + "missing") is None
    if i == 0:
        assert r.delete(key + "metadata") == 1
        assert r.exists(key + "metadata") == 0
print(f"lmcache sequence ok: {chunks} chunks")
