#!/usr/bin/env python3
"""Offline bounds for the Mooncake conversation trace (docs/policies.md, "Closing the gap to OPT").

Standard library only; by hand, not CI (about a minute):
    python3 tools/hitrate_bounds.py [traces/mooncake/conversation_trace.jsonl.gz]

Prints (1) the conversation structure: a request is a follow-up of an earlier one when its prefix hit (under an
infinite cache) passes the earlier request's last full block; its turn is the earlier request's turn + 1; then the
probability that a request is followed, by turn and by the number of new blocks it adds; (2) the block hit ratio
of a plain LRU cache at 1/2/5/10/25% of unique blocks, of the same LRU with oracle admission (a block is stored only if
it will be requested again), and of LRU that admits a request's new blocks only when the follow-up probability of
its (turn, new blocks) class, computed offline on the whole trace, is at least a threshold, and of a cache that
holds a fixed set, the blocks used most over the whole trace (static frequency oracle). Trailing partial blocks are
never stored, as in the default policy.
"""
import collections
import gzip
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "traces/mooncake/conversation_trace.jsonl.gz"
with gzip.open(path, "rt") as f:
    reqs = [json.loads(line) for line in f if line.strip()]



def prefix_len(h, present):
    """How many of the request's blocks, from its first, are in present: what a prefix cache serves."""
    k = 0
    while k < len(h) and h[k] in present:
        k += 1
    return k


def full_blocks(r):
    """How many of the request's blocks are full ones: all but a partial last one (never stored, as in the default
    policy)."""
    return len(r["hash_ids"]) - (1 if r["input_length"] % 512 != 0 else 0)


seen = set()
last_full = {}
turn = [0] * len(reqs)
followed = [False] * len(reqs)
new_blocks = [0] * len(reqs)
for i, r in enumerate(reqs):
    h = r["hash_ids"]
    k = prefix_len(h, seen)
    new_blocks[i] = len(h) - k
    for j in range(k - 1, 0, -1):
        if h[j] in last_full:
            parent = last_full[h[j]]
            turn[i] = turn[parent] + 1
            followed[parent] = True
            break
    seen.update(h)
    lf = full_blocks(r) - 1
    if lf >= 1:
        last_full[h[lf]] = i


def size_bucket(n):
    return 0 if n <= 2 else 1 if n <= 8 else 2 if n <= 24 else 3


SIZES = ["<=2", "3-8", "9-24", ">24"]
cls = [(min(turn[i], 3), size_bucket(new_blocks[i])) for i in range(len(reqs))]
count = collections.Counter(cls)
fol = collections.Counter(c for c, x in zip(cls, followed) if x)
p_follow = {c: fol[c] / count[c] for c in count}

print(f"{len(reqs)} requests, {len(seen)} unique blocks")
print("P(followed) by turn (3 = 3 or more) and new blocks:")
print("turn  " + "  ".join(f"{s:>13}" for s in SIZES))
for t in range(4):
    cells = [f"{p_follow[(t, s)]:.3f} ({count[(t, s)]:>5})" if (t, s) in count else " " * 13 for s in range(4)]
    print(f"{t:>4}  " + "  ".join(cells))

flat = [b for r in reqs for b in r["hash_ids"]]
nxt = [0] * len(flat)
nxt_seen = {}
for i in range(len(flat) - 1, -1, -1):
    nxt[i] = nxt_seen.get(flat[i], -1)
    nxt_seen[flat[i]] = i


def lru(cap, admit):
    cache = collections.OrderedDict()
    hit = tot = a = 0
    for i, r in enumerate(reqs):
        h = r["hash_ids"]
        stored = full_blocks(r)
        hit += prefix_len(h, cache)
        tot += len(h)
        for j, b in enumerate(h):
            if b in cache:
                cache.move_to_end(b)
            elif j < stored and admit(i, a):
                cache[b] = True
                if len(cache) > cap:
                    cache.popitem(last=False)
            a += 1
    return hit / tot


uses = collections.Counter(flat)


def static_top(cap):
    """A cache that holds, from its first access on, the cap blocks used most over the whole trace (an oracle)."""
    top = {b for b, _ in uses.most_common(cap)}
    held = set()
    hit = tot = 0
    for r in reqs:
        h = r["hash_ids"]
        hit += prefix_len(h, held)
        tot += len(h)
        held.update(b for b in h[:full_blocks(r)] if b in top)
    return hit / tot


print("block hit ratio: LRU | LRU + oracle admission | LRU admitting classes with P(followed) >= 0.25 / 0.3 / 0.4"
      " | the most used blocks, fixed (oracle)")
for frac in (0.01, 0.02, 0.05, 0.10, 0.25):
    cap = int(frac * len(seen))
    row = [lru(cap, lambda i, a: True), lru(cap, lambda i, a: nxt[a] >= 0)]
    row += [lru(cap, lambda i, a, th=th: p_follow[cls[i]] >= th) for th in (0.25, 0.3, 0.4)]
    row.append(static_top(cap))
    print(f"{frac:.0%} ({cap} blocks): " + " | ".join(f"{x:.4f}" for x in row))
