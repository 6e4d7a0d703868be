#!/usr/bin/env bash
# The hit-ratio table of docs/policies.md: every trace x OPT and every registered single policy x 1/2/5/10/25% of
# unique blocks, one JSON file per trace in OUT (default hitrate-table/). Long (the 200 Claude Code sessions take
# 30-60 minutes on 2 cores); run by hand from the checkout's top, with the traces in traces/ (docs/traces.md).
#   tools/hitrate-table.sh [OUT] [THREADS]     (KVSTORE=path/to/launcher to run another build)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-hitrate-table}"
THREADS="${2:-2}"
POLICIES=lru,fifo,fifo-reinsert,lfu,arc,s3fifo,sieve,tinylfu,gdsf,default
CAPS=1%,2%,5%,10%,25%
mkdir -p "$OUT"
run() { # name trace
  echo "== $1 ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
  ${KVSTORE:-./kvstore} bench hitrate --trace "$2" --policies "$POLICIES" --capacities "$CAPS" --threads "$THREADS" \
      --json "$OUT/$1.json" | tee "$OUT/$1.txt"
}
run mooncake traces/mooncake/conversation_trace.jsonl.gz
run synthetic synthetic
run weka-claude-code traces/weka-claude-code
echo "== done ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
