#!/usr/bin/env python3
"""GET throughput of the Python client against a daemon, next to a raw-socket baseline measured in the same run.

Stores `--blocks` blocks of `--block-size` bytes, then streams them `--runs` times (a) into fresh buffers,
(b) into one preallocated buffer (`into=`), and measures (c) a plain Python socket pair on loopback moving the
same bytes with recv_into (the ceiling for any pure-Python client). Prints the median MB/s of each.

    ./kvstore serve --port 7379 &
    python3 clients/python/examples/stream_throughput.py --port 7379
"""
import argparse
import os
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kvstore_client import BlockToPut, Namespace, connect, crc32c  # noqa: E402


def raw_loopback(total, chunk):
    srv = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(srv.getsockname())
    b, _ = srv.accept()
    srv.close()
    data = os.urandom(chunk)

    def send():
        left = total
        while left > 0:
            a.sendall(data[:min(chunk, left)])
            left -= chunk
    buf = memoryview(bytearray(chunk))
    t = threading.Thread(target=send)
    t0 = time.perf_counter()
    t.start()
    got = 0
    while got < total:
        got += b.recv_into(buf)
    dt = time.perf_counter() - t0
    t.join()
    a.close()
    b.close()
    return total / dt / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7379)
    ap.add_argument("--token", default="")
    ap.add_argument("--blocks", type=int, default=64)
    ap.add_argument("--block-size", type=int, default=1 << 20)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    ns = Namespace("bench/" + os.urandom(4).hex(), "bf16", 2, 2, 64, 16)
    tokens = list(range(a.blocks * 16))
    payload = os.urandom(a.block_size)
    crc = crc32c(payload)
    keys = ns.block_keys(tokens)
    total = a.blocks * a.block_size
    with connect(a.host, a.port, ns, token=a.token, timeout=30) as c:
        c.put([BlockToPut(k, keys[i - 1] if i else ns.root, i, payload, crc) for i, k in enumerate(keys)])
        fresh, into = [], []
        big = bytearray(total)
        slots = [memoryview(big)[i * a.block_size:(i + 1) * a.block_size] for i in range(a.blocks)]
        for _ in range(a.runs):
            t0 = time.perf_counter()
            n = sum(len(b.payload) for b in c.stream_prefix(tokens))
            fresh.append(n / (time.perf_counter() - t0) / 1e6)
            t0 = time.perf_counter()
            n = sum(len(b.payload) for b in c.stream_prefix(tokens, into=slots))
            into.append(n / (time.perf_counter() - t0) / 1e6)
        assert n == total and bytes(slots[-1]) == payload
    raw = [raw_loopback(total, 1 << 20) for _ in range(a.runs)]
    m = statistics.median
    print("%d x %d KiB, %d runs, medians: stream_prefix %.0f MB/s, stream_prefix(into=) %.0f MB/s, "
          "raw python loopback %.0f MB/s (client/raw %.2f)"
          % (a.blocks, a.block_size >> 10, a.runs, m(fresh), m(into), m(raw), m(into) / m(raw)))


if __name__ == "__main__":
    main()
