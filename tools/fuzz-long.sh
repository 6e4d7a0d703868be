#!/usr/bin/env bash
# Long coverage-guided fuzzing of the protocol parsers with Jazzer (docs/reliability.md).
# usage: tools/fuzz-long.sh [seconds-per-target] [target...]
#   targets: frameDecoder hello lookupRequest keyList putBlock responses (default: all)
# Each target fuzzes for the given time (default 300 s); libFuzzer's "Done N runs" line gives the input count.
# Findings (crash inputs) are written by Jazzer next to the corpus in
# kvstore-protocol/src/test/resources/io/kvstore/protocol/fuzz/ProtocolFuzzTestInputs/<target>/ : commit them,
# they become regression inputs of the normal test run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-300}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frameDecoder hello lookupRequest keyList putBlock responses)
LOGDIR="$ROOT/target/fuzz"; mkdir -p "$LOGDIR"
cd "$ROOT"
for t in "${TARGETS[@]}"; do
  log="$LOGDIR/$t.log"
  echo "fuzzing $t for ${SECS}s -> $log"
  JAZZER_FUZZ=1 ./mvnw -B -ntp -pl kvstore-protocol -am test -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest="ProtocolFuzzTest#$t" -Djazzer.max_duration="${SECS}s" -Dkvstore.test.flags="-Dio.netty.leakDetection.level=disabled -Xmx2g" \
    -Djunit.jupiter.execution.timeout.default="$((SECS + 120)) s" >"$log" 2>&1 || { echo "FAILED: $t (see $log)"; tail -30 "$log"; exit 1; }
  grep -E "Done [0-9]+ runs" "$log" | tail -1 | sed "s/^/$t: /"
done
