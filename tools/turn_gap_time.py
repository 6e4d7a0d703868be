#!/usr/bin/env python3
"""Does wall-clock time predict a conversation's next turn better than counted accesses? (docs/policies.md, issue #21)

Standard library only; by hand, not CI (a few seconds per trace):
    python3 tools/turn_gap_time.py mooncake TRACE.jsonl.gz          # e.g. half A of Mooncake
    python3 tools/turn_gap_time.py weka DIR [SEED] [SPAN_SECONDS]    # kv-cache-tester sessions merged

Conversations are found as in tools/hitrate_bounds.py (Mooncake: a request is a follow-up of an earlier one when its
prefix, under an infinite cache, passes that request's last full block; WEKA: the session's previous request). For
every request that has a previous turn it measures the gap since that turn ("prev") and, when it is followed, the
gap until its next turn ("next"), each three ways: seconds (arrival times), requests of the whole stream, and block
accesses of the whole stream (what the earlier attempts counted). WEKA sessions are merged as the simulator does in
spirit (a uniform random start in [0, span) per session, Python's random with SEED, so not the Java draw).

Prints: how closely seconds and counted accesses agree on the same gaps (Spearman); how well the previous gap ranks
the next one in each unit (Spearman); the AUC of "next turn within H" when ranked by the previous gap (smaller
first) with H the median next gap; and, for the decision a cache makes, the probability that a conversation silent
for e (in seconds and in accesses, both as quantiles of the same pooled gaps) still has a next turn within the
median next gap from now, i.e. the hazard that a policy could learn.
"""
import bisect
import collections
import glob
import gzip
import json
import os
import random
import sys


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va and vb else float("nan")


def auc(score, label):
    """P(score of a positive > score of a negative), ties half."""
    r = ranks(score)
    pos = [x for x, l in zip(r, label) if l]
    npos, nneg = len(pos), len(label) - len(pos)
    if not npos or not nneg:
        return float("nan")
    return (sum(pos) - npos * (npos - 1) / 2) / (npos * nneg)


def mooncake(path):
    with gzip.open(path, "rt") as f:
        reqs = [json.loads(line) for line in f if line.strip()]
    t = [r["timestamp"] / 1000.0 for r in reqs]
    seen = set()
    last_full = {}
    prev = [-1] * len(reqs)
    for i, r in enumerate(reqs):
        h = r["hash_ids"]
        k = 0
        while k < len(h) and h[k] in seen:
            k += 1
        for j in range(k - 1, 0, -1):
            if h[j] in last_full:
                prev[i] = last_full[h[j]]
                break
        seen.update(h)
        lf = len(h) - 1 if r["input_length"] % 512 == 0 else len(h) - 2
        if lf >= 1:
            last_full[h[lf]] = i
    blocks = [len(r["hash_ids"]) for r in reqs]
    return t, prev, blocks


def weka(directory, seed, span):
    rnd = random.Random(seed)
    rows = []  # (time, session, index in session, blocks)
    for s, p in enumerate(sorted(glob.glob(os.path.join(directory, "*.json*")))):
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt") as f:
            d = json.load(f)
        off = rnd.random() * span
        for k, r in enumerate(x for x in d["requests"] if x.get("hash_ids")):
            rows.append((off + r["t"], s, k, len(r["hash_ids"])))
    rows.sort()
    t = [r[0] for r in rows]
    prev = [-1] * len(rows)
    last = {}
    for i, (_, s, _, _) in enumerate(rows):
        prev[i] = last.get(s, -1)
        last[s] = i
    return t, prev, [r[3] for r in rows]


def main():
    kind, src = sys.argv[1], sys.argv[2]
    if kind == "mooncake":
        t, prev, blocks = mooncake(src)
    else:
        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
        span = float(sys.argv[4]) if len(sys.argv) > 4 else 3600.0
        t, prev, blocks = weka(src, seed, span)
    n = len(t)
    acc = [0] * (n + 1)
    for i, b in enumerate(blocks):
        acc[i + 1] = acc[i] + b
    nxt = [-1] * n
    for i in range(n):
        if prev[i] >= 0 and nxt[prev[i]] < 0:
            nxt[prev[i]] = i

    def gap(a, b):
        return (t[b] - t[a], b - a, acc[b] - acc[a])

    pairs = [(gap(prev[i], i), gap(i, nxt[i]) if nxt[i] >= 0 else None) for i in range(n) if prev[i] >= 0]
    followed = [(p, q) for p, q in pairs if q is not None]
    print(f"{n} requests, {sum(1 for p in prev if p >= 0)} follow-ups, "
          f"{len(pairs)} requests with a previous turn, of which {len(followed)} followed again")
    allgaps = [gap(prev[i], i) for i in range(n) if prev[i] >= 0]
    print(f"same gaps, seconds vs accesses: Spearman {spearman([g[0] for g in allgaps], [g[2] for g in allgaps]):.3f}; "
          f"seconds vs requests {spearman([g[0] for g in allgaps], [g[1] for g in allgaps]):.3f}")
    q = sorted(g[0] for g in allgaps)
    qa = sorted(g[2] for g in allgaps)
    print("gap quantiles (10/50/90%): seconds " + " / ".join(f"{q[int(f * (len(q) - 1))]:.0f}" for f in (.1, .5, .9))
          + ", accesses " + " / ".join(f"{qa[int(f * (len(qa) - 1))]}" for f in (.1, .5, .9)))
    for u, name in enumerate(("seconds", "requests", "accesses")):
        a = [p[u] for p, _ in followed]
        b = [q_[u] for _, q_ in followed]
        med = sorted(b)[len(b) // 2]
        lab = [x <= med for x in b]
        print(f"{name:>8}: Spearman(prev gap, next gap) {spearman(a, b):.3f}; "
              f"AUC of prev gap for next gap <= median ({med:.0f}) {auc([-x for x in a], lab):.3f}; "
              f"also the cross unit: prev in seconds for next in {name} "
              f"{spearman([p[0] for p, _ in followed], b):.3f}")
    # Hazard a policy could learn: conversations silent for e still get a turn within H from now?
    # Every request is at risk from its own arrival; its next turn (if any) ends the wait.
    for u, name in ((0, "seconds"), (2, "accesses")):
        waits = []  # (time to next turn or None, censor horizon)
        end = (t[-1], n - 1, acc[n - 1])
        for i in range(n):
            horizon = gap(i, n - 1)[u] if u != 0 else end[0] - t[i]
            waits.append((gap(i, nxt[i])[u] if nxt[i] >= 0 else None, horizon))
        nextgaps = sorted(w for w, _ in waits if w is not None)
        h = nextgaps[len(nextgaps) // 2]
        cuts = [nextgaps[int(f * (len(nextgaps) - 1))] for f in (0, .25, .5, .75, .9)]
        row = []
        for e in cuts:
            at_risk = [(w, hz) for w, hz in waits if hz >= e + h and (w is None or w > e)]
            if not at_risk:
                continue
            hit = sum(1 for w, _ in at_risk if w is not None and w <= e + h)
            row.append(f"e={e:.0f}: {hit / len(at_risk):.3f} ({len(at_risk)})")
        print(f"P(next turn within {h:.0f} {name} | silent for e {name}): " + "; ".join(row))


main()
