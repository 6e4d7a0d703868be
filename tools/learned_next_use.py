#!/usr/bin/python3
"""A learned next-use model (LRB-style) on a Mooncake-format trace (docs/policies.md, "Fourth attempt").

By hand, not CI. Needs numpy and scikit-learn from Debian (`apt-get install python3-numpy python3-sklearn`), so it
runs under /usr/bin/python3. About 10 to 40 s per mode and trace on one core.

    /usr/bin/python3 tools/learned_next_use.py calibrate TRACE     # sampled OPT and sampled LRU in this replay
    /usr/bin/python3 tools/learned_next_use.py hindsight TRACE     # fit on TRACE, replay TRACE (look-ahead)
    /usr/bin/python3 tools/learned_next_use.py transfer TRAIN TEST # fit on TRAIN, replay TRAIN and TEST
    /usr/bin/python3 tools/learned_next_use.py online TRACE [HORIZON_MULT AGE_DECAY CHUNK]   # 4 1 1000
    /usr/bin/python3 tools/learned_next_use.py requests TRACE      # does anything predict a conversation's next turn?

Every block access (every block of every request, in order) gets twelve features a store could know when the block
is read or written: its position in the request, the request's length in blocks, the request's new blocks and
prefix hit under an infinite cache, whether the block is new, its accesses so far, log2 of the accesses since its
last one, the conversation turn (a request whose prefix passes an earlier request's last full block is that
request's next turn), log2 of the accesses since that previous turn ended, the blocks after it in the request, the
distinct children it has had, and whether it is the request's trailing partial block. Its label is the number of
accesses until the same block is accessed again (none: never).

The replay is a prefix cache of CAPACITY blocks (1/2/5/10/25% of unique blocks): a request's hit is its leading run
of cached blocks; a missing block is stored, except a trailing partial block; when full, the victim is the block
with the lowest value among 64 sampled residents, and a candidate worth less than that victim bypasses the cache.

- hindsight, transfer: a gradient-boosted regressor of log2(next-use distance) (capped at 2^19); a block's value is
  minus its predicted next-use time (last access + prediction; once overdue, now + time since its last access): LRB's
  relaxed Belady.
- online: a gradient-boosted classifier of "used again within HORIZON_MULT x capacity accesses", retrained every CHUNK
  requests on the accesses whose label is already known at that point (reused within the horizon, or the horizon has
  passed without reuse); nothing before the first retraining is predicted (0.5). A block's value is the predicted
  probability, divided by (1 + AGE_DECAY x accesses since its last access / capacity), so that a block predicted
  useful and never read again ages out.
- requests: per request, whether it gets a next turn (its follow-up), and nine request features (turn, new blocks,
  length in blocks, prefix hit, input and output tokens, seconds since the previous turn and since the conversation's
  first, input tokens mod 512): each feature's ROC AUC on the second half, and that of a gradient-boosted classifier
  over all nine fitted on the first half (held out) and scored on it (in sample). The last 10% of each half is left
  out (its follow-ups may fall beyond the half).
- calibrate: the same replay with the true next-use distance (sampled Belady) and with the access time as the value
  (sampled LRU, no bypass), to compare with the simulator's exact OPT and LRU.
"""
import collections
import gzip
import json
import math
import random
import sys

import numpy as np

FRACTIONS = (0.01, 0.02, 0.05, 0.10, 0.25)
CAP_DISTANCE = 2 ** 19
SAMPLES = 64


def load(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def conversations(reqs):
    """Per request, in order: (index, request, its blocks, the blocks seen before it, its prefix hit under an infinite
    cache, the request whose next turn it is or -1, its full blocks). A request is an earlier one's next turn when its
    prefix hit passes that request's last full block (the trailing partial block aside)."""
    seen, last_full = set(), {}
    for i, r in enumerate(reqs):
        h = r["hash_ids"]
        k = 0
        while k < len(h) and h[k] in seen:
            k += 1
        parent = -1
        for j in range(k - 1, 0, -1):
            if h[j] in last_full:
                parent = last_full[h[j]]
                break
        full = len(h) - (1 if r["input_length"] % 512 else 0)
        yield i, r, h, seen, k, parent, full
        seen.update(h)
        if full - 1 >= 1:
            last_full[h[full - 1]] = i


def features(reqs):
    """Rows of features per block access, the accessed keys, the next-use distance (inf: never), the partial flag."""
    last, count, children, edges = {}, collections.Counter(), collections.Counter(), set()
    turn, turn_end = [0] * len(reqs), [0] * len(reqs)
    rows, keys, partial = [], [], []
    t = 0
    for i, r, h, seen, k, parent, full in conversations(reqs):
        n = len(h)
        if parent >= 0:
            turn[i] = turn[parent] + 1
        since_turn = math.log2(t - turn_end[parent] + 1) if parent >= 0 else -1
        for j, b in enumerate(h):
            if j and (h[j - 1], b) not in edges:
                edges.add((h[j - 1], b))
                children[h[j - 1]] += 1
            since = math.log2(t - last[b] + 1) if b in last else -1
            rows.append([j, n, n - k, k, 0 if b in seen else 1, count[b], since, turn[i], since_turn, n - j,
                         children[b], 1 if j >= full else 0])
            keys.append(b)
            partial.append(j >= full)
            last[b] = t
            count[b] += 1
            t += 1
        turn_end[i] = t
    nxt = np.full(len(keys), np.inf)
    later = {}
    for a in range(len(keys) - 1, -1, -1):
        if keys[a] in later:
            nxt[a] = later[keys[a]] - a
        later[keys[a]] = a
    request_of = np.repeat(np.arange(len(reqs)), [len(r["hash_ids"]) for r in reqs])
    return np.array(rows, dtype=np.float32), keys, nxt, partial, request_of


def replay(reqs, partial, capacity, value_at, seed=1, bypass=True):
    """Prefix-hit ratio of a sampled-eviction cache; value_at(a, now, last) is the value of the block whose last
    access was a (its time `last`) at time now."""
    rng = random.Random(seed)
    resident, slots, where = {}, [], {}
    hits = total = a = 0
    for r in reqs:
        h = r["hash_ids"]
        k = 0
        while k < len(h) and h[k] in resident:
            k += 1
        hits += k
        total += len(h)
        for b in h:
            if b in resident:
                resident[b] = a
            elif not partial[a]:
                if len(resident) >= capacity:
                    sample = [slots[rng.randrange(len(slots))] for _ in range(SAMPLES)]
                    victim = min(sample, key=lambda x: value_at(resident[x], a, resident[x]))
                    if bypass and value_at(resident[victim], a, resident[victim]) >= value_at(a, a, a):
                        a += 1
                        continue
                    i = where.pop(victim)
                    moved = slots.pop()
                    if moved != victim:
                        slots[i] = moved
                        where[moved] = i
                    del resident[victim]
                resident[b] = a
                where[b] = len(slots)
                slots.append(b)
            a += 1
    return hits / total


def next_time_value(distance):
    """Relaxed Belady: the sooner the (predicted) next use, the higher the value; overdue blocks age like LRU."""
    def value(a, now, last):
        due = last + distance[a]
        return -(due if due > now else now + (now - last))
    return value


def regressor():
    from sklearn.ensemble import HistGradientBoostingRegressor
    return HistGradientBoostingRegressor(max_iter=200, max_leaf_nodes=63, learning_rate=0.1, random_state=0)


def log_label(nxt):
    return np.log2(np.minimum(nxt, CAP_DISTANCE) + 1)


def sizes(keys):
    unique = len(set(keys))
    return [(f, int(f * unique)) for f in FRACTIONS]


def report(name, results):
    print(name + "  " + "  ".join("%g%%: %.4f" % (f * 100, v) for f, v in results), flush=True)


def calibrate(path):
    reqs = load(path)
    _, keys, nxt, partial, _ = features(reqs)
    report("sampled-opt", [(f, replay(reqs, partial, c, next_time_value(nxt))) for f, c in sizes(keys)])
    report("sampled-lru", [(f, replay(reqs, partial, c, lambda a, now, last: last, bypass=False))
                           for f, c in sizes(keys)])


def hindsight(path):
    reqs = load(path)
    x, keys, nxt, partial, _ = features(reqs)
    model = regressor().fit(x, log_label(nxt))
    predicted = 2 ** model.predict(x) - 1
    report("hindsight-gbm", [(f, replay(reqs, partial, c, next_time_value(predicted))) for f, c in sizes(keys)])


def transfer(train_path, test_path):
    train, test = load(train_path), load(test_path)
    xa, ka, na, pa, _ = features(train)
    xb, kb, nb, pb, _ = features(test)
    model = regressor().fit(xa, log_label(na))
    for name, reqs, x, keys, partial in (("fitted-on", train, xa, ka, pa), ("held-out", test, xb, kb, pb)):
        predicted = 2 ** model.predict(x) - 1
        report(name, [(f, replay(reqs, partial, c, next_time_value(predicted))) for f, c in sizes(keys)])


def online(path, horizon_mult=4.0, age_decay=1.0, chunk=1000):
    from sklearn.ensemble import HistGradientBoostingClassifier
    reqs = load(path)
    x, keys, nxt, partial, request_of = features(reqs)
    n = len(keys)
    times = np.arange(n)
    results = []
    for f, capacity in sizes(keys):
        horizon = horizon_mult * capacity
        probability = np.full(n, 0.5)
        bounds = [int(np.searchsorted(request_of, c)) for c in range(0, len(reqs), chunk)] + [n]
        for start, end in zip(bounds[:-1], bounds[1:]):
            if start == 0:
                continue
            past = times[:start]
            reused = (past + nxt[:start] < start) & (nxt[:start] <= horizon)
            expired = ~reused & (start - past >= horizon)
            known = reused | expired
            if reused.sum() < 50 or expired.sum() < 50:
                continue
            model = HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15, min_samples_leaf=100,
                                                   random_state=0).fit(x[:start][known], reused[known])
            probability[start:end] = model.predict_proba(x[start:end])[:, 1]

        def value(a, now, last, p=probability, cap=capacity):
            return p[a] / (1.0 + age_decay * (now - last) / cap)
        results.append((f, replay(reqs, partial, capacity, value)))
    report("online-gbm", results)


def requests(path):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    reqs = load(path)
    turn, followed, first, rows = [0] * len(reqs), [0] * len(reqs), [0] * len(reqs), []
    for i, r, h, _, k, parent, _ in conversations(reqs):
        if parent >= 0:
            turn[i], followed[parent], first[i] = turn[parent] + 1, 1, first[parent]
        else:
            first[i] = r["timestamp"]
        gap = r["timestamp"] - reqs[parent]["timestamp"] if parent >= 0 else -1
        rows.append([turn[i], len(h) - k, len(h), k, r["input_length"], r["output_length"], gap,
                     r["timestamp"] - first[i], r["input_length"] % 512])
    x, y = np.array(rows, dtype=float), np.array(followed)
    half = len(reqs) // 2
    a, b = slice(0, int(half * 0.9)), slice(half, half + int((len(reqs) - half) * 0.9))
    names = ["turn", "new blocks", "blocks", "prefix hit", "input tokens", "output tokens", "seconds since turn",
             "seconds since first", "input mod 512"]
    print("followed: %.3f of requests (first half), %.3f (second)" % (y[a].mean(), y[b].mean()))
    for c, name in enumerate(names):
        print("AUC %-20s %.3f" % (name, roc_auc_score(y[b], x[b][:, c])))
    model = HistGradientBoostingClassifier(max_iter=200, min_samples_leaf=50, random_state=0).fit(x[a], y[a])
    print("AUC gbm, all nine: held out %.3f, in sample %.3f" % (
        roc_auc_score(y[b], model.predict_proba(x[b])[:, 1]), roc_auc_score(y[a], model.predict_proba(x[a])[:, 1])))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    args = sys.argv[2:]
    if mode == "calibrate" and len(args) == 1:
        calibrate(args[0])
    elif mode == "hindsight" and len(args) == 1:
        hindsight(args[0])
    elif mode == "transfer" and len(args) == 2:
        transfer(args[0], args[1])
    elif mode == "requests" and len(args) == 1:
        requests(args[0])
    elif mode == "online" and len(args) in (1, 4):
        online(args[0], *(float(v) for v in args[1:3]), *(int(v) for v in args[3:4]))
    else:
        sys.exit("usage: learned_next_use.py calibrate TRACE | hindsight TRACE | transfer TRAIN TEST | "
                 "online TRACE [HORIZON_MULT AGE_DECAY CHUNK] | requests TRACE")
