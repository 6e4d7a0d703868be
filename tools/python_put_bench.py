#!/usr/bin/env python3
"""PUT bandwidth of the Python client: `--blocks` blocks of `--block-size` bytes per put_blocks call, `--runs` runs
after one warm-up run, each run fresh keys (new tokens) into the same namespace and connection. Prints who computed
the CRC32C (`put_checksum_by_server`), whether shared memory was used, each run's GB/s and the median
(docs/python.md, "Checksums").

    ./kvstore serve --port 7379 --set dramPersist=false &        # private DRAM: the PUT goes over TCP
    /usr/bin/python3 tools/python_put_bench.py --port 7379 [--checksum auto|client|server]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

from kvstore_client import Namespace, connect  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7379)
    ap.add_argument("--blocks", type=int, default=64)
    ap.add_argument("--block-size", type=int, default=4 << 20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checksum", default="auto", choices=("auto", "client", "server"))
    a = ap.parse_args()
    payloads = [os.urandom(a.block_size) for _ in range(8)]
    ns = Namespace("python-put-bench/" + os.urandom(4).hex(), "bf16", 2, 2, 64, 16)
    rates = []
    with connect(a.host, a.port, ns, checksum=a.checksum) as c:
        print("put_checksum_by_server=%s uses_shared_memory=%s" % (c.put_checksum_by_server, c.uses_shared_memory))
        for run in range(a.runs + 1):  # run 0 warms up
            tokens = [run * 10_000_000 + i for i in range(a.blocks * 16)]
            t0 = time.perf_counter()
            ack = c.put_blocks(tokens, [payloads[i % len(payloads)] for i in range(a.blocks)])
            dt = time.perf_counter() - t0
            if not ack.all_stored:
                sys.exit("not every block was stored: %s" % (ack.codes,))
            if run:
                rates.append(a.blocks * a.block_size / dt / 1e9)
    print("runs GB/s: %s; median %.2f GB/s" % (", ".join("%.2f" % r for r in rates), statistics.median(rates)))


if __name__ == "__main__":
    main()
