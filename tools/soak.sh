#!/usr/bin/env bash
# Soak test (docs/reliability.md): a real daemon (`./kvstore serve`, small DRAM tier so eviction and demotion to
# the NVMe tier run all the time) under the load generator's agent workload (`./kvstore bench net --port ...
# --agent-seconds`), sampled every 10 s: heap used, JVM direct memory, Netty direct memory, RSS, open files,
# blocks, evictions and GET / PUT / LOOKUP latency percentiles of the interval (server-side histogram).
# The daemon runs with a fixed heap (-Xms = -Xmx, pre-touched, as a production daemon would), so RSS measures
# native memory and a leak shows; SOAK_JAVA_OPTS overrides the JVM flags.
# usage: tools/soak.sh [minutes] [out.csv] [plot.svg]      e.g. tools/soak.sh 30 (the 30-minute soak)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIN="${1:-30}"; CSV="${2:-$ROOT/target/soak/soak.csv}"; SVG="${3:-$ROOT/docs/soak.svg}"
CONNS="${SOAK_CONNECTIONS:-4}"; DRAM="${SOAK_DRAM:-64MiB}"; NVME="${SOAK_NVME:-1GiB}"
mkdir -p "$(dirname "$CSV")"; WORK="$(mktemp -d)"; SRV=""; LOAD=""
cleanup() { [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null; [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); APORT=$(free_port)
cd "$ROOT"
./kvstore bench --help >/dev/null 2>&1 || true   # builds once if needed
KVSTORE_JAVA_OPTS="${SOAK_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=1g}" ./kvstore serve --port "$PORT" --admin-port "$APORT" \
  --data-dir "$WORK/data" --set hbmCapacityBytes=0 --set dramCapacityBytes="$DRAM" --set nvmeCapacityBytes="$NVME" --set dramPersist=false \
  >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$APORT/healthz" >/dev/null && break; sleep 1; done
JPID=$(pgrep -P "$SRV" java || echo "$SRV")
SECS=$((MIN * 60))
./kvstore bench net --port "$PORT" --connections "$CONNS" --runs 1 --seconds 2 --warmup-seconds 2 \
  --agent-seconds "$SECS" --json "$WORK/bench.json" >"$WORK/bench.log" 2>&1 &
LOAD=$!
echo "soak: server pid $JPID port $PORT, load pid $LOAD, ${MIN} min -> $CSV"
python3 "$ROOT/tools/soak_sample.py" --pid "$JPID" --admin "http://127.0.0.1:$APORT" --seconds "$SECS" \
  --interval 10 --csv "$CSV"
wait "$LOAD" || true; LOAD=""
python3 "$ROOT/tools/soak_sample.py" --plot --csv "$CSV" --svg "$SVG" --title "kvstore soak: ${MIN} min, $CONNS connections, DRAM $DRAM, NVMe $NVME"
echo "--- load generator"; tail -15 "$WORK/bench.log"
cp "$WORK/bench.json" "$(dirname "$CSV")/soak-bench.json" 2>/dev/null || true
