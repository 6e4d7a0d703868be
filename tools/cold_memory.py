#!/usr/bin/env python3
"""How much slower memory is to use after it has sat idle, on this machine (docs/bench-load.md, "Memory that sat idle").

A cache's bytes are, by design, the ones nobody touched for a while: a demotion reads the least recently used block,
a PUT lands in the pages an eviction freed, a GET reads a block written seconds ago. Baselines that re-send one
buffer (a raw socket, a raw disk write) read memory that is always warm. On some virtual machines memory left idle
for a fraction of a second is far slower to touch again (the guest sees no page fault: it happens below it), so
such a baseline and the daemon do not measure the same thing. This prints, in one run:

  copy    128 MiB copied between two buffers, again after pauses of 0 to 2 s (MB/s of each copy);
  write   512 MiB written with O_DIRECT in 512 KiB writes (the daemon's demotion size) to DIR: from one warm
          512 KiB buffer (what a raw-disk baseline does), from 512 MiB of distinct memory written just before, and
          from the same memory after 2 s idle (what a demotion of a block written seconds ago does).

    python3 tools/cold_memory.py [DIR]      # DIR: a directory on the NVMe tier's filesystem (default /tmp)
"""
import mmap
import os
import sys
import time

MIB = 1 << 20


def copies():
    n = 128 * MIB
    src = bytearray(os.urandom(MIB)) * 128
    dst = bytearray(n)
    dst[:] = src
    out = []
    for pause in (0, 0.1, 0.25, 0.5, 1.0, 2.0):
        time.sleep(pause)
        t0 = time.perf_counter()
        dst[:] = src
        out.append("%.2f s idle: %.0f" % (pause, n / (time.perf_counter() - t0) / 1e6))
    print("copy  128 MiB (MB/s): " + ", ".join(out), flush=True)


def writes(directory):
    n, chunk = 512 * MIB, 512 * 1024
    path = os.path.join(directory, "kvstore-cold-memory-%d.bin" % os.getpid())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    try:
        big = mmap.mmap(-1, n)  # page-aligned, as O_DIRECT needs
        warm = mmap.mmap(-1, chunk)
        pattern = os.urandom(MIB)
        warm[:] = pattern[:chunk]
        whole, one = memoryview(big), memoryview(warm)

        def fill():
            for i in range(0, n, MIB):
                big[i:i + MIB] = pattern

        def run(label, view_of, pause):
            time.sleep(pause)
            os.lseek(fd, 0, 0)
            t0 = time.perf_counter()
            for off in range(0, n, chunk):
                os.write(fd, view_of(off))
            os.fsync(fd)
            print("write 512 MiB O_DIRECT, %-44s %6.0f MB/s" % (label, n / (time.perf_counter() - t0) / 1e6),
                  flush=True)

        for _ in range(2):
            run("from one warm 512 KiB buffer:", lambda off: one, 0)
            fill()
            run("from distinct memory written just before:", lambda off: whole[off:off + chunk], 0)
            run("from the same memory after 2 s idle:", lambda off: whole[off:off + chunk], 2)
        one.release()
        whole.release()
        warm.close()
        big.close()
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == "__main__":
    copies()
    writes(sys.argv[1] if len(sys.argv) > 1 else "/tmp")
