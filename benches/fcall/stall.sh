#!/usr/bin/env bash
# Does a long plugin call stall other clients? `cargo ferrite-plugin run
# --release --threads 1` (one worker thread, the default on two cores) with
# the host's test plugin; one client calls `spin` (which computes until the
# call's limit stops it) in a loop, while redis-benchmark's 49 other clients
# send GET. Prints redis-benchmark's latency summary of the GETs, and the
# same without the spinning client for comparison.
#
#   bash benches/fcall/stall.sh [CLI [PLUGIN_DIR]]
#
# CLI defaults to a release build of this checkout, PLUGIN_DIR to
# host/tests/testbed (give an older checkout's testbed with an older CLI).
# Environment: N (GETs, default 200000), P (pipeline, default 1), PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
P=${P:-1}
PORT=${PORT:-16393}
cli=${1:-}
plugin=${2:-host/tests/testbed}
if [ -z "$cli" ]; then
  cargo build --release -q -p cargo-ferrite-plugin
  target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  cli="$target/release/cargo-ferrite-plugin"
fi
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$cli" ferrite-plugin run --release -q --threads 1 --port "$PORT" --plugin "$plugin" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  redis-cli -p "$PORT" PING >/dev/null 2>&1 && break
  sleep 0.5
done
redis-cli -p "$PORT" SET bench:key value >/dev/null
summary() {
  redis-benchmark -p "$PORT" -c 49 -n "$N" -P "$P" GET bench:key 2>/dev/null |
    tr '\r' '\n' | grep -A2 'latency summary' | tail -1 | awk '{ printf "avg %s  p50 %s  p95 %s  p99 %s  max %s ms\n", $1, $3, $4, $5, $6 }'
}
echo "GET latency, 49 clients, -P $P ($cli):"
printf '  alone:                     '; summary
( while true; do redis-cli -p "$PORT" FCALL spin 0 1 >/dev/null 2>&1 || true; done ) &
pids+=($!)
sleep 0.5
printf '  beside a spinning client:  '; summary
running=$(redis-cli -p "$PORT" FUNCTION STATS 2>/dev/null | tr '\n' ' ' || true)
echo "  (FUNCTION STATS at the end: ${running:-not supported})"
