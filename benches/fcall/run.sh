#!/usr/bin/env bash
# FCALL throughput: `cargo ferrite-plugin run` with examples/validate_email
# against Redis 7 running the same check as a Lua function, measured by
# redis-benchmark in one run, unpipelined and with -P 32; GET on both as the
# baseline. Prints requests per second and the ratios.
#
#   bash benches/fcall/run.sh            # needs redis-server and redis-benchmark
#                                        # (Debian: redis-server redis-tools)
# Environment: N (requests, default 300000), C (clients, default 50),
# THREADS (`run --threads`, default: half the cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-300000}
C=${C:-50}
FERRITE_PORT=${FERRITE_PORT:-16379}
REDIS_PORT=${REDIS_PORT:-16380}
for tool in redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

cargo build --release -q -p cargo-ferrite-plugin
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$cli" ferrite-plugin run --release -q ${THREADS:+--threads "$THREADS"} --port "$FERRITE_PORT" --plugin examples/validate_email &
pids+=($!)
redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no --loglevel warning &
pids+=($!)
for port in "$FERRITE_PORT" "$REDIS_PORT"; do
  for _ in $(seq 1 600); do
    redis-cli -p "$port" PING >/dev/null 2>&1 && break
    sleep 0.5
  done
done
redis-cli -p "$REDIS_PORT" -x FUNCTION LOAD REPLACE < benches/fcall/validate_email.lua >/dev/null
for port in "$FERRITE_PORT" "$REDIS_PORT"; do
  [ "$(redis-cli -p "$port" FCALL validate_email 0 a@b.com)" = 1 ] || { echo "error: FCALL on port $port does not answer 1" >&2; exit 1; }
  [ "$(redis-cli -p "$port" FCALL validate_email 0 nobody)" = 0 ] || { echo "error: FCALL on port $port does not answer 0" >&2; exit 1; }
done
redis-cli -p "$FERRITE_PORT" SET key value >/dev/null
redis-cli -p "$REDIS_PORT" SET key value >/dev/null

rps() { # port pipeline command...
  local port=$1 pipeline=$2; shift 2
  redis-benchmark -p "$port" -c "$C" -n "$N" -P "$pipeline" --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'
}

echo "redis-benchmark -c $C -n $N; requests per second (ferrite-plugin run | redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2)):"
for pipeline in 1 32; do
  f_fcall=$(rps "$FERRITE_PORT" "$pipeline" FCALL validate_email 0 a@b.com)
  r_fcall=$(rps "$REDIS_PORT" "$pipeline" FCALL validate_email 0 a@b.com)
  f_get=$(rps "$FERRITE_PORT" "$pipeline" GET key)
  r_get=$(rps "$REDIS_PORT" "$pipeline" GET key)
  python3 - "$pipeline" "$f_fcall" "$r_fcall" "$f_get" "$r_get" <<'PY'
import sys
p, ff, rf, fg, rg = sys.argv[1], *map(float, sys.argv[2:])
print(f"  -P {p:>2}  FCALL validate_email: {ff:>10,.0f} | {rf:>10,.0f}  ratio {ff / rf:.2f}x")
print(f"  -P {p:>2}  GET key:              {fg:>10,.0f} | {rg:>10,.0f}  ratio {fg / rg:.2f}x")
PY
done
