#!/usr/bin/env bash
# The foreign doors' acceptance figures (docs/protocol-resp.md, docs/protocol-lmcache.md), in one run:
#   1. redis-benchmark against kvstore's Redis door and against a real redis-server, interleaved run by run:
#      SET/GET of 1 MiB values (-d 1048576 -n 2000, redis-benchmark's default 50 clients) and
#      SET/GET of 4 KiB values pipelined (-d 4096 -P 16 -n 200000);
#   2. tools/LmBench.java: lm:// PUT and EXIST+GET+HEALTH round trips of 4 MiB chunks against raw loopback, the
#      daemon's own time per lm:// PUT in the measured runs (CRC32C and the store's put, from /metrics), and tools/NativePutBench.java:
#      the same bytes PUT through kvstore's binary protocol (what the engine's put allows whatever the door).
# Medians of RUNS runs and the ratios are printed at the end (and as JSON in $OUT/doors-bench.json), with the CPU
# time each server spent per request (user + system, from /proc/PID/stat): on a busy shared machine that figure is
# disturbed less than requests per second.
#
# Usage: tools/doors-bench.sh [RUNS=3]      (needs redis-server, redis-benchmark: Debian redis-server, redis-tools)
# LM_PLACEMENT=none|cross|same chooses the cores of the lm:// part (below).
# The Redis door's daemon runs on its embedded defaults (HBM 256 MiB, DRAM 1 GiB, NVMe 4 GiB under a temporary data
# dir, DRAM in private memory) with respPort on a free port; the lm:// door gets a daemon of its own, a full cache of
# DRAM alone (LM_DRAM=4GiB, LRU, no NVMe tier: LMCache's chunks are fresh keys, and with an NVMe tier every new chunk
# would demote one to disk, so the disk would bound the PUT), warmed up by at most LM_WARMUP_MIB=24576 of runs of
# LM_CHUNKS=256 chunks; Redis
# with --save "" --appendonly no and as many I/O threads as the daemon has event loops (its default ioThreads: one
# per core), so that both servers may use the same threads; REDIS_IO_THREADS=1 gives Redis's single-threaded default.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-3}"
OUT="$(mktemp -d /tmp/doors-bench.XXXXXX)"
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
  || { echo "doors-bench: needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)" >&2; exit 2; }

free_port() { /usr/bin/env python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RESP_PORT=$(free_port); LM_PORT=$(free_port); REDIS_PORT=$(free_port)

KV_PID=""; REDIS_PID=""; LM_PID=""; SINK_PID=""
cleanup() {
  [ -n "$KV_PID" ] && kill "$KV_PID" 2>/dev/null || true
  [ -n "$LM_PID" ] && kill "$LM_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$OUT/data" "$OUT/lmdata"
}
trap cleanup EXIT
await_ready() { # log name: waits up to 300 s for a daemon's ready line, or stops the script
  for _ in $(seq 300); do grep -q 'kvstore ready' "$1" && return; sleep 1; done
  echo "doors-bench: $2 did not start; see $1" >&2; exit 1
}

"$ROOT/kvstore" serve --port 0 --admin-port 0 --data-dir "$OUT/data" --set dramPersist=false \
  --set respPort="$RESP_PORT" >"$OUT/kvstore.log" 2>&1 &
KV_PID=$!
REDIS_IO_THREADS="${REDIS_IO_THREADS:-$(nproc)}"
REDIS_THREADS=()
[ "$REDIS_IO_THREADS" -gt 1 ] && REDIS_THREADS=(--io-threads "$REDIS_IO_THREADS" --io-threads-do-reads yes)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT" "${REDIS_THREADS[@]}" \
  >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
await_ready "$OUT/kvstore.log" kvstore
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "doors-bench: kvstore redis://127.0.0.1:$RESP_PORT lm://127.0.0.1:$LM_PORT, redis-server :$REDIS_PORT" \
  "(io-threads $REDIS_IO_THREADS), $RUNS runs," \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# name|redis-benchmark arguments (each test runs on its own, SET first, so that GET finds the value it wrote)
CASES=("1MiB|-d 1048576 -n 2000" "4KiB-P16|-d 4096 -P 16 -n 200000")
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system clock ticks of a server process
bench() { # port pid test case-args -> "rps cpu_ticks requests"
  local before after
  before=$(cpu "$2")
  # shellcheck disable=SC2086
  rps=$(redis-benchmark -p "$1" -t "$3" $4 --csv 2>/dev/null | awk -F'","' '/^"[A-Z]/ {gsub(/"/,"",$2); print $2}')
  after=$(cpu "$2")
  n=$(echo "$4" | sed -E 's/.*-n ([0-9]+).*/\1/')
  echo "$rps $((after - before)) $n"
}
# warm-up: the JIT of the daemon's paths (Redis needs none), not counted
for _ in 1 2 3; do for c in "${CASES[@]}"; do for t in set get; do bench "$RESP_PORT" "$KV_PID" $t "${c#*|}" >/dev/null; done; done; done
: >"$OUT/resp.txt"
for run in $(seq "$RUNS"); do
  for c in "${CASES[@]}"; do
    name="${c%%|*}"; args="${c#*|}"
    for t in set get; do
      T=$(echo $t | tr a-z A-Z)
      echo "$run $name $T redis $(bench "$REDIS_PORT" "$REDIS_PID" $t "$args")" >>"$OUT/resp.txt"
      echo "$run $name $T kvstore $(bench "$RESP_PORT" "$KV_PID" $t "$args")" >>"$OUT/resp.txt"
    done
  done
  tail -n 8 "$OUT/resp.txt" | sed 's/^/  run /'
done

DATA_PORT=$(grep -o 'data 127.0.0.1:[0-9]*' "$OUT/kvstore.log" | head -1 | cut -d: -f2)
# lm:// runs against a daemon of its own: fresh keys, as LMCache's content-addressed chunks are, into a full cache
# of DRAM alone (LM_DRAM, 4 GiB; no NVMe tier, so a PUT's victim is dropped, not written to disk, and the ratio is the
# door's cost, not the disk's) under LRU (the default policy would refuse one-off chunks into a full cache and the
# round trips would miss), after warm-up rounds that bring the daemon's code to its compiled speed (LmBench stops
# them when the daemon's JIT compilers are quiet, or at LM_WARMUP_MIB; docs/protocol-lmcache.md).
LM_CHUNKS="${LM_CHUNKS:-256}"
LM_WARMUP_MIB="${LM_WARMUP_MIB:-24576}"
# Where the lm:// part's threads run (docs/protocol-lmcache.md, "Where the threads run"): none (the default) leaves
# it to the scheduler, the sinks being threads of the client's process; cross puts the client on core 0 and the
# daemon and the sinks (then a process of their own) on the other cores; same puts all three on core 0.
LM_PLACEMENT="${LM_PLACEMENT:-none}"
case "$LM_PLACEMENT" in
  cross) LM_SERVER_CPUS=(taskset -c "1-$(( $(nproc) - 1 ))"); LM_CLIENT_CPUS=(taskset -c 0) ;;
  same) LM_SERVER_CPUS=(taskset -c 0); LM_CLIENT_CPUS=(taskset -c 0) ;;
  none) LM_SERVER_CPUS=(); LM_CLIENT_CPUS=() ;;
  *) echo "doors-bench: LM_PLACEMENT must be cross, same or none, not '$LM_PLACEMENT'" >&2; exit 2 ;;
esac
"${LM_SERVER_CPUS[@]}" "$ROOT/kvstore" serve --port 0 --admin-port 0 --data-dir "$OUT/lmdata" --set dramPersist=false \
  --set hbmCapacityBytes=0 --set dramCapacityBytes="${LM_DRAM:-4GiB}" --set nvmeCapacityBytes=0 --set dramPolicy=lru \
  --set lmPort="$LM_PORT" >"$OUT/lm-daemon.log" 2>&1 &
LM_PID=$!
await_ready "$OUT/lm-daemon.log" "the lm:// daemon"
LM_ADMIN_PORT=$(grep -o 'admin http://127.0.0.1:[0-9]*' "$OUT/lm-daemon.log" | head -1 | cut -d: -f3)
LM_SINK_PORTS=""
if [ "$LM_PLACEMENT" != none ]; then
  "${LM_SERVER_CPUS[@]}" java "$ROOT/tools/LmBench.java" sink 4194304 >"$OUT/lm-sink.txt" 2>&1 &
  SINK_PID=$!
  for _ in $(seq 100); do grep -q '^sink ' "$OUT/lm-sink.txt" && break; sleep 0.2; done
  LM_SINK_PORTS=$(awk '/^sink /{print $2 "," $3}' "$OUT/lm-sink.txt")
  [ -n "$LM_SINK_PORTS" ] || { echo "doors-bench: the sinks did not start; see $OUT/lm-sink.txt" >&2; exit 1; }
fi
echo "doors-bench: lm:// placement $LM_PLACEMENT"
LM_SINK_PORTS="$LM_SINK_PORTS" "${LM_CLIENT_CPUS[@]}" java "$ROOT/tools/LmBench.java" "$LM_PORT" "$LM_CHUNKS" "$RUNS" \
  4194304 fresh "$LM_WARMUP_MIB" "http://127.0.0.1:$LM_ADMIN_PORT/metrics" | tee "$OUT/lm.txt"
kill "$LM_PID" 2>/dev/null || true
[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null || true
java -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" "$ROOT/tools/NativePutBench.java" "$DATA_PORT" 64 "$RUNS" \
  2>/dev/null | tee "$OUT/native.txt"

/usr/bin/env python3 - "$OUT" <<'PY'
import json, os, statistics, sys, collections
out = sys.argv[1]
TICK = os.sysconf("SC_CLK_TCK")
rows = collections.defaultdict(list)
cpu = collections.defaultdict(list)
for line in open(f"{out}/resp.txt"):
    run, case, test, server, rps, ticks, n = line.split()
    rows[(case, test, server)].append(float(rps))
    cpu[(case, test, server)].append(int(ticks) * 1e6 / TICK / int(n))
result = {"resp": {}, "lm": json.loads(open(f"{out}/lm.txt").read().strip().splitlines()[-1])}
result["lm"]["native_put_gbps"] = json.loads(open(f"{out}/native.txt").read().strip().splitlines()[-1])["native_put_gbps"]
lm = result["lm"]
print("\nlm:// PUT %.2f GB/s (%.2fx loopback %.2f, %.2fx with distinct memory %.2f); EXIST+GET+HEALTH round trips "
      "%.2f GB/s (%.2fx loopback %.2f, %.2fx with distinct memory %.2f); the binary protocol's PUT of the same bytes "
      "%.2f GB/s; daemon time per lm:// PUT in the runs %.2f ms, its JIT compilers' time in the runs %.2f s" % (lm["kvstore_put_gbps"], lm["put_ratio"], lm["loopback_put_gbps"],
      lm["put_ratio_distinct"], lm["loopback_distinct_put_gbps"], lm["kvstore_roundtrip_gbps"], lm["roundtrip_ratio"],
      lm["loopback_roundtrip_gbps"], lm["roundtrip_ratio_distinct"], lm["loopback_distinct_roundtrip_gbps"],
      lm["native_put_gbps"], lm["daemon_ms_per_put"], lm["daemon_jit_seconds_in_runs"]))
print("\nredis-benchmark, requests/s, median of %d runs (each run: redis, then kvstore)" % len(next(iter(rows.values()))))
print("%-10s %-4s %12s %12s %7s %20s" % ("case", "test", "redis", "kvstore", "ratio", "CPU us/req redis/kv"))
for case in ("1MiB", "4KiB-P16"):
    for test in ("SET", "GET"):
        r = statistics.median(rows[(case, test, "redis")]); k = statistics.median(rows[(case, test, "kvstore")])
        cr = statistics.median(cpu[(case, test, "redis")]); ck = statistics.median(cpu[(case, test, "kvstore")])
        print("%-10s %-4s %12.0f %12.0f %6.2fx %9.2f / %-9.2f runs redis %s kvstore %s" % (case, test, r, k, k / r,
              cr, ck, [round(x) for x in rows[(case, test, "redis")]], [round(x) for x in rows[(case, test, "kvstore")]]))
        result["resp"][f"{case}-{test}"] = {"redis_rps": r, "kvstore_rps": k, "ratio": round(k / r, 3),
                                            "redis_cpu_us_per_request": cr, "kvstore_cpu_us_per_request": ck}
json.dump(result, open(f"{out}/doors-bench.json", "w"), indent=1)
print(f"\nJSON: {out}/doors-bench.json")
PY
