#!/usr/bin/env bash
# Starts or stops a throw-away Redis Cluster on loopback for kvstore's remote tier (manual runs, benchmarks, the
# multi-node simulator). Tests do not need it: they start their own (tier-remote's LocalRedisCluster).
#
#   tools/redis-cluster.sh start [DIR] [MASTERS] [MAXMEMORY] [POLICY]   # prints the seeds, host:port,...
#   tools/redis-cluster.sh stop  [DIR]
#
# Defaults: DIR=/tmp/kvstore-redis-cluster, 3 masters (+1 replica each), maxmemory 1gb per node, allkeys-lru.
# Ports: BASE_PORT (env, default 30001) .. BASE_PORT+2*MASTERS-1; the cluster bus uses port+10000.
# Persistence is off (--save "" --appendonly no): the shared tier is a cache.
set -euo pipefail

cmd=${1:-}
dir=${2:-/tmp/kvstore-redis-cluster}
masters=${3:-3}
maxmemory=${4:-1gb}
policy=${5:-allkeys-lru}
base=${BASE_PORT:-30001}

need() { command -v "$1" >/dev/null 2>&1 || { echo "redis-cluster: $1 not found (apt-get install redis-server)" >&2; exit 1; }; }

case "$cmd" in
  start)
    need redis-server; need redis-cli
    if [ -e "$dir/pids" ]; then echo "redis-cluster: $dir/pids exists; stop it first" >&2; exit 1; fi
    mkdir -p "$dir"
    nodes=()
    for ((i = 0; i < 2 * masters; i++)); do
      port=$((base + i))
      mkdir -p "$dir/$port"
      redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --daemonize no --dir "$dir/$port" \
        --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
        --cluster-require-full-coverage no --repl-diskless-sync-delay 0 \
        --save "" --appendonly no --maxmemory "$maxmemory" --maxmemory-policy "$policy" \
        --logfile "$dir/$port/redis.log" >/dev/null 2>&1 &
      echo $! >> "$dir/pids"
      nodes+=("127.0.0.1:$port")
    done
    for n in "${nodes[@]}"; do
      for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "${n#*:}" ping >/dev/null 2>&1 && break; sleep 0.05; done
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
      || { cat "$dir/create.log" >&2; "$0" stop "$dir"; exit 1; }
    for _ in $(seq 150); do
      redis-cli -h 127.0.0.1 -p "$base" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break; sleep 0.1
    done
    (IFS=,; echo "${nodes[*]}")
    ;;
  stop)
    if [ -f "$dir/pids" ]; then
      while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$dir/pids"
    fi
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,11p' "$0"; exit 2 ;;
esac
