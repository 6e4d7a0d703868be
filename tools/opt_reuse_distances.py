#!/usr/bin/env python3
"""Where Belady's OPT finds its hits on a Mooncake-format trace (docs/policies.md, "Closing the gap to OPT").

Standard library only; by hand, not CI (under a minute per capacity):
    python3 tools/opt_reuse_distances.py [TRACE] [FRACTION ...]     # defaults: the Mooncake trace, 0.01 0.02

Replays the trace's block accesses (every block of every request, in order) through OPT at a capacity of
FRACTION x unique blocks, without prefix structure and without partial-block handling (a block is one hash id): on
a miss the block is stored unless it is never used again or its next use is farther than every resident block's, in
which case it bypasses; when full, the resident block used farthest in the future leaves. Prints OPT's block hit
ratio and its hits split by reuse distance (block accesses since the block's previous access, in powers of two, also
as a multiple of the capacity) and by the number of earlier accesses of the block.
"""
import collections
import gzip
import heapq
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "traces/mooncake/conversation_trace.jsonl.gz"
fractions = [float(f) for f in sys.argv[2:]] or [0.01, 0.02]
with gzip.open(path, "rt") as f:
    acc = [b for line in f if line.strip() for b in json.loads(line)["hash_ids"]]
n = len(acc)
uniq = len(set(acc))
nxt = [n] * n
later = {}
for i in range(n - 1, -1, -1):
    nxt[i] = later.get(acc[i], n)
    later[acc[i]] = i

for frac in fractions:
    cap = int(frac * uniq)
    resident = {}  # block -> its next use
    heap = []      # (-next use, block), lazily cleaned
    seen = collections.Counter()
    prev = {}
    hits = 0
    by_dist = collections.Counter()
    by_prior = collections.Counter()
    for i, b in enumerate(acc):
        if b in resident:
            hits += 1
            by_dist[(i - prev[b]).bit_length()] += 1
            by_prior[min(seen[b], 5)] += 1
            if nxt[i] < n:
                resident[b] = nxt[i]
                heapq.heappush(heap, (-nxt[i], b))
            else:
                del resident[b]
        elif nxt[i] < n:
            if len(resident) >= cap:
                while True:
                    nu, v = heapq.heappop(heap)
                    if resident.get(v) == -nu:
                        break
                if -nu > nxt[i]:
                    del resident[v]
                else:
                    heapq.heappush(heap, (nu, v))
                    v = None
            else:
                v = ""
            if v is not None:
                resident[b] = nxt[i]
                heapq.heappush(heap, (-nxt[i], b))
        seen[b] += 1
        prev[b] = i
    print(f"{path}: {n} accesses, {uniq} unique blocks; OPT at {frac:.0%} ({cap} blocks): hit ratio {hits / n:.4f}")
    print("  hits by reuse distance (accesses since the previous access of the block):")
    for k in sorted(by_dist):
        lo, hi = (1 << (k - 1)), (1 << k) - 1
        print(f"    {lo:>8}-{hi:<8} ({lo / cap:7.2f}-{hi / cap:7.2f} x capacity): {by_dist[k]:7d} ({by_dist[k] / hits:.1%})")
    print("  hits by earlier accesses of the block: " + ", ".join(
        f"{'5+' if k == 5 else k}: {v} ({v / hits:.1%})" for k, v in sorted(by_prior.items())))
