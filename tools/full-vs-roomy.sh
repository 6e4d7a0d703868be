#!/usr/bin/env bash
# The engine issue's steady-state measurement, by hand (not CI): the synthetic agent workload of `bench net`
# against a daemon whose DRAM holds the working set ("roomy") and one whose working set overflows DRAM into NVMe
# ("full"), alternating, RUNS times each. Prints one line per run: turns/s, client LOOKUP/GET/PUT latencies, the
# daemon's disk write_bytes over bytes PUT (write amplification), and with JFR=1 the recording file.
#
#   tools/full-vs-roomy.sh [ROOT] [RUNS] [SECONDS] [BLOCK] [CONNECTIONS]
#   ROOT: a kvstore checkout (default: this one), so an older commit can be measured in the same conditions.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "${1:-$HERE}" && pwd)"; RUNS="${2:-3}"; SECONDS_PER_RUN="${3:-40}"; BLOCK="${4:-512KiB}"; CONNS="${5:-8}"
OUT="${OUT:-$(mktemp -d /tmp/full-vs-roomy.XXXX)}"; mkdir -p "$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$ROOT/kvstore" serve --help >/dev/null 2>&1 || true   # builds on first use
run_one() { # name dram
  local name="$1" dram="$2" port admin data pid jfr=""
  port=$(free_port); admin=$(free_port); data=$(mktemp -d /tmp/kvdata.XXXX)
  [ "${JFR:-0}" = 1 ] && jfr="-XX:StartFlightRecording=filename=$OUT/$name-$run.jfr,settings=profile"
  KVSTORE_SKIP_BUILD=1 KVSTORE_JAVA_OPTS="$jfr" "$ROOT/kvstore" serve --port "$port" --admin-port "$admin" \
      --data-dir "$data" --set hbmCapacityBytes=0 --set dramCapacityBytes="$dram" --set nvmeCapacityBytes=1GiB --set dramPersist=false \
      > "$OUT/$name-$run.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local jpid; jpid=$(pgrep -f -- "--port $port" | head -1)
  local w0; w0=$(awk '/^write_bytes/{print $2}' /proc/$jpid/io)
  KVSTORE_SKIP_BUILD=1 "$ROOT/kvstore" bench net --port "$port" --lookup-only --lookup-samples 200 --runs 1 \
      --agent-seconds "$SECONDS_PER_RUN" --agent-block-size "$BLOCK" --connections "$CONNS" \
      --json "$OUT/$name-$run.json" > "$OUT/$name-$run.bench" 2>&1
  local w1; w1=$(awk '/^write_bytes/{print $2}' /proc/$jpid/io)
  curl -sf "http://127.0.0.1:$admin/metrics" > "$OUT/$name-$run.metrics" || true
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  python3 - "$OUT/$name-$run.json" "$name" "$run" "$w0" "$w1" "$OUT/$name-$run.metrics" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1])); name, run, w0, w1 = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def find(d, k):
    if isinstance(d, dict):
        if k in d: return d[k]
        for v in d.values():
            r = find(v, k)
            if r is not None: return r
    return None
put = (find(j, "put_gbps") or 0) * (find(j, "seconds") or 0) * 1e9
buckets = []  # server-side LOOKUP latency from the daemon's histogram
for line in open(sys.argv[6]):
    if line.startswith("kvstore_request_duration_seconds_bucket") and 'opcode="LOOKUP"' in line:
        le = re.search(r'le="([^"]+)"', line).group(1)
        buckets.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
def q(p):
    if not buckets or buckets[-1][1] == 0: return float("nan")
    for le, c in buckets:
        if c >= p * buckets[-1][1]: return le * 1e6
srv = q(0.99)
print(f"{name:5s} run {run}: turns/s {find(j,'turns_per_s'):.1f}  hit {find(j,'hit_rate'):.3f}  client lookup p99 "
      f"{find(j,'lookup_p99_us')} us  server lookup p99 <= {srv:.0f} us  get p99 {find(j,'get_p99_us')} us  "
      f"put p99 {find(j,'put_p99_us')} us  disk WA {((w1-w0)/put if put else float('nan')):.2f} "
      f"({(w1-w0)>>20} MiB written, {int(put)>>20} MiB put)")
PY
}
echo "root $ROOT, $RUNS runs x $SECONDS_PER_RUN s, blocks $BLOCK, $CONNS connections, output in $OUT"
for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then run_one roomy 5GiB; run_one full 128MiB; else run_one full 128MiB; run_one roomy 5GiB; fi
done
