#!/usr/bin/env python3
"""PUT and GET throughput of the Python client against a real daemon, next to raw Python sockets moving the
same bytes in the same run (docs/python.md, "Throughput").

Starts its own daemon (`./kvstore serve` on port 0, shared-memory DRAM arena in /dev/shm) and a raw sink/source
subprocess, then measures, each `--runs` times (median reported):

  raw PUT   a Python socket sending the same frames (header + block header + payload) to a Python process that
            reads and drops them (recv_into) -- the ceiling for any Python client's PUT;
  PUT       put_blocks of `--blocks` x `--block-size` (the checksum computed by the server when only the
            standard library is present, by the C `crc32c` module when importable, or as `--checksum` says);
  raw GET   a Python process sending as many distinct bytes (block by block from one buffer), read here with
            recv_into into one preallocated buffer;
  GET       stream_prefix(into=...) over TCP into one preallocated buffer;
  SHM GET   stream_prefix(into=...) through the shared-memory mapping (into a torch tensor when torch is
            importable, else a bytearray);
  SHM PUT   put_blocks through the shared-memory mapping (SHM_PUT: one copy into the server's arena, no socket),
            next to its like-with-like limit: the same bytes copied into a bytearray in this process.

    python3 tools/python_wire_bench.py                 # standard library only
    /usr/bin/python3 tools/python_wire_bench.py        # with Debian's python3-crc32c / python3-torch if installed
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))

from kvstore_client import Namespace, connect, crc32c as _crcmod  # noqa: E402,F401
from kvstore_client import crc32c as crc_impl  # noqa: E402
from kvstore_client.crc32c import IMPLEMENTATION  # noqa: E402
from tests import daemon  # noqa: E402

PEER = r"""
import socket, sys
mode, port, total, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
# the source sends `total` distinct bytes (as the daemon serves distinct blocks), not one chunk over and over: a
# buffer re-sent stays in the CPU cache, the daemon's blocks do not
buf = memoryview(bytearray(chunk) if mode == "sink" else bytearray(range(256)) * (total // 256 + 1))
for _ in range(int(sys.argv[5])):
    if mode == "sink":
        got = 0
        while got < total:
            n = s.recv_into(buf)
            if not n:
                sys.exit(1)
            got += n
        s.sendall(b"k")
    else:
        s.recv(1)
        for off in range(0, total, chunk):
            s.sendall(buf[off:min(off + chunk, total)])
"""


def peer(mode, total, chunk, runs):
    srv = socket.create_server(("127.0.0.1", 0))
    p = subprocess.Popen([sys.executable, "-c", PEER, mode, str(srv.getsockname()[1]), str(total), str(chunk),
                          str(runs)])
    c, _ = srv.accept()
    srv.close()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return p, c


def raw_put(frames, total, runs):
    """The PUT frames' bytes sent by a Python socket to a Python sink; MB/s per run."""
    p, c = peer("sink", total, 1 << 20, runs)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for head, payload in frames:
            c.sendmsg([head, payload])
        c.recv(1)
        out.append(total / (time.perf_counter() - t0) / 1e6)
    c.close()
    p.wait(30)
    return out


def raw_get(total, chunk, runs):
    """`total` bytes from a Python source, recv_into one preallocated buffer; MB/s per run."""
    p, c = peer("source", total, chunk, runs)
    buf = memoryview(bytearray(total))
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        c.sendall(b"g")
        got = 0
        while got < total:
            got += c.recv_into(buf[got:])
        out.append(total / (time.perf_counter() - t0) / 1e6)
    c.close()
    p.wait(30)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=64)
    ap.add_argument("--block-size", type=int, default=2 << 20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=20,
                    help="uncounted rounds of each path first, TCP and shared memory (the daemon's JIT)")
    ap.add_argument("--checksum", default="auto", choices=["auto", "client", "server"])
    a = ap.parse_args()
    total = a.blocks * a.block_size
    shm_root = tempfile.mkdtemp(prefix="kvstore-pybench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    cap = max(512 << 20, 4 * total)
    d = daemon.Daemon(args=["--set", "hbmCapacityBytes=0", "--set", "dramCapacityBytes=%d" % cap,
                            "--set", "dramPersist=true", "--set", "dramSharedMemoryDir=" + os.path.join(shm_root, "d")],
                      env={"KVSTORE_JAVA_OPTS": "-Xmx2g -XX:MaxDirectMemorySize=%d" % (cap + (1 << 30))})
    d.start()
    try:
        ns = Namespace("pybench/" + os.urandom(4).hex(), "bf16", 32, 8, 128, 16)
        payloads = [bytearray(os.urandom(a.block_size)) for _ in range(a.blocks)]
        puts, gets, shms = [], [], []
        with connect(d.host, d.port, ns, timeout=60, checksum=a.checksum, shared_memory=False) as c:
            by_server = c.put_checksum_by_server
            for w in range(a.warmup):
                tokens = [-(w + 1) * 1000003 - i for i in range(a.blocks * 16)]
                tokens = [t & 0x7FFFFFFF for t in tokens]
                assert c.put_blocks(tokens, payloads).all_stored
                assert sum(1 for _ in c.stream_prefix(tokens)) == a.blocks
                c.delete(ns.block_keys(tokens))
            for r in range(a.runs):
                if r:  # only the last run's blocks stay: the DRAM tier never overflows (no demotions to NVMe
                    c.delete(ns.block_keys(tokens))  # running behind the measured GETs)
                tokens = [r * 1000003 + i for i in range(a.blocks * 16)]  # fresh keys each run
                t0 = time.perf_counter()
                ack = c.put_blocks(tokens, payloads)
                puts.append(total / (time.perf_counter() - t0) / 1e6)
                assert ack.all_stored, ack.codes
            big = bytearray(total)
            slots = [memoryview(big)[i * a.block_size:(i + 1) * a.block_size] for i in range(a.blocks)]
            for _ in range(a.runs):
                t0 = time.perf_counter()
                n = sum(len(b.payload) for b in c.stream_prefix(tokens, into=slots))
                gets.append(total / (time.perf_counter() - t0) / 1e6)
                assert n == total
            assert slots[-1] == payloads[-1]
        try:
            import torch
            target, kind = torch.empty((a.blocks, a.block_size), dtype=torch.uint8), "torch tensor"
        except ImportError:
            target, kind = bytearray(total), "bytearray"
            target = [memoryview(target)[i * a.block_size:(i + 1) * a.block_size] for i in range(a.blocks)]
        shm_puts, copies = [], []
        with connect(d.host, d.port, ns, timeout=60, checksum=a.checksum) as s:
            if s.uses_shared_memory:
                for w in range(a.warmup):  # the shared-memory paths have code of their own for the JIT to compile
                    warm = [(w + 1000) * 1000003 + i for i in range(a.blocks * 16)]
                    assert s.put_blocks(warm, payloads).all_stored
                    assert sum(len(b.payload) for b in s.stream_prefix(warm, into=target)) == total
                    s.delete(ns.block_keys(warm))
                for _ in range(a.runs):
                    t0 = time.perf_counter()
                    n = sum(len(b.payload) for b in s.stream_prefix(tokens, into=target))
                    shms.append(total / (time.perf_counter() - t0) / 1e6)
                    assert n == total
                for r in range(a.runs):  # PUT through shared memory (SHM_PUT), fresh keys each run
                    fresh = [(r + 100) * 1000003 + i for i in range(a.blocks * 16)]
                    t0 = time.perf_counter()
                    ack = s.put_blocks(fresh, payloads)
                    shm_puts.append(total / (time.perf_counter() - t0) / 1e6)
                    assert ack.all_stored, ack.codes
                    s.delete(ns.block_keys(fresh))
                for _ in range(a.runs):  # its like-with-like limit: the same bytes copied in this process
                    t0 = time.perf_counter()
                    for i, p in enumerate(payloads):
                        big[i * a.block_size:(i + 1) * a.block_size] = p
                    copies.append(total / (time.perf_counter() - t0) / 1e6)
        frames = [(b"\0" * 100, p) for p in payloads]
        rput = raw_put(frames, total + 100 * a.blocks, a.runs)
        rget = raw_get(total, a.block_size, a.runs)
    finally:
        d.stop()
        shutil.rmtree(shm_root, ignore_errors=True)
    m = statistics.median
    print("python %s, crc32c %s, PUT checksum by %s; %d blocks x %d KiB, %d warm-up rounds, median of %d runs "
          "(MB/s); load average %s:" % (sys.version.split()[0], IMPLEMENTATION, "server" if by_server else "client",
                                        a.blocks, a.block_size >> 10, a.warmup, a.runs,
                                        " ".join(open("/proc/loadavg").read().split()[:3])))
    print("  runs: PUT %s raw %s; GET %s raw %s; SHM %s" % ([round(x) for x in puts], [round(x) for x in rput],
                                                       [round(x) for x in gets], [round(x) for x in rget],
                                                       [round(x) for x in shms]))
    print("  raw PUT %7.0f   PUT %7.0f   ratio %.2f" % (m(rput), m(puts), m(puts) / m(rput)))
    print("  raw GET %7.0f   GET %7.0f   ratio %.2f" % (m(rget), m(gets), m(gets) / m(rget)))
    if shm_puts:
        print("  SHM PUT %7.0f   memcpy of the same bytes %7.0f   ratio %.2f   (SHM PUT / raw socket PUT %.2f)"
              % (m(shm_puts), m(copies), m(shm_puts) / m(copies), m(shm_puts) / m(rput)))
    if shms:
        print("  SHM GET into a %s %7.0f" % (kind, m(shms)))
    else:
        print("  SHM GET: not offered")


if __name__ == "__main__":
    main()
