#!/usr/bin/env bash
# Does a long plugin call stall other clients? `cargo ferrite-plugin run
# --release --threads 1` (one worker thread, the default on two cores) with
# the host's test plugin; 49 clients send GET, each every 5 ms on its own
# connection (paced, so that what is measured is how long the server keeps a
# request waiting, not how long a saturated machine keeps the client
# waiting), alone and then beside a 50th client that calls `spin` (which
# computes until its 2 s deadline) in a loop; three rounds of each,
# alternating. Prints each round's latency percentiles
# (`server/examples/stall_probe.rs`, the load test's probe).
#
#   bash benches/fcall/stall.sh [CLI [PLUGIN_DIR]]
#
# CLI defaults to a release build of this checkout, PLUGIN_DIR to
# host/tests/testbed (give an older checkout's testbed with an older CLI).
# Environment: PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-16393}
cli=${1:-}
plugin=${2:-host/tests/testbed}
cargo build --release -q -p ferrite-plugin-server --example stall_probe
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [ -z "$cli" ]; then
  cargo build --release -q -p cargo-ferrite-plugin
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
echo "$cli, run --release --threads 1:"
"$target/release/examples/stall_probe" "$PORT" spin 1
