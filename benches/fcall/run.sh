#!/usr/bin/env bash
# The hot path against Redis 7 + Lua, with equal work on both sides, in one
# run: `cargo ferrite-plugin run --release` and Debian's `redis-server`,
# driven by `redis-benchmark`, alternating the servers, best of ROUNDS.
#
#   bash benches/fcall/run.sh     # needs redis-server and redis-benchmark
#                                 # (Debian: redis-server redis-tools)
#
# What it measures, unpipelined and with -P 32 (requests per second):
#   FCALL check_email       benches/fcall/plugins/check against check.lua:
#                           the same trivial check (an '@', then a '.')
#   FCALL validate_email    examples/validate_email against validate_email.lua
#                           (the example's full rules, ported)
#   BENCH.CHECK             the check as a plugin's custom command, against
#                           the Lua function called by FCALL
#   GET, SET                the servers' own string commands
#   SET + hook              SET with a minimal before_command, after_command
#                           or on_key_write hook loaded, against SET without
#                           (both on `run`)
#
# Environment: N (requests unpipelined, default 300000), NP (pipelined,
# default 1000000), C (clients, default 50),
# ROUNDS (default 3), THREADS (`run --threads`, default: half the cores),
# PIPELINES (default "1 32").
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-300000}
NP=${NP:-1000000}
C=${C:-50}
ROUNDS=${ROUNDS:-3}
PIPELINES=${PIPELINES:-"1 32"}
FERRITE_PORT=${FERRITE_PORT:-16379}
REDIS_PORT=${REDIS_PORT:-16380}
for tool in redis-server redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

cargo build --release -q -p cargo-ferrite-plugin
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"

hooks=(before after write)
declare -A hook_wasm
for h in "${hooks[@]}"; do
  hook_wasm[$h]=$("$cli" ferrite-plugin build --release -q --message-format json \
    --manifest-path "benches/fcall/plugins/hook_$h/Cargo.toml" |
    python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin if l.strip()][-1]["path"])')
done

pids=()
results=$(mktemp)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -f "$results"; }
trap cleanup EXIT

"$cli" ferrite-plugin run --release -q ${THREADS:+--threads "$THREADS"} --port "$FERRITE_PORT" \
  --plugin benches/fcall/plugins/check --plugin examples/validate_email &
pids+=($!)
redis-server --port "$REDIS_PORT" --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
pids+=($!)
for port in "$FERRITE_PORT" "$REDIS_PORT"; do
  for _ in $(seq 1 600); do
    redis-cli -p "$port" PING >/dev/null 2>&1 && break
    sleep 0.5
  done
done
redis-cli -p "$REDIS_PORT" -x FUNCTION LOAD REPLACE < benches/fcall/validate_email.lua >/dev/null
redis-cli -p "$REDIS_PORT" -x FUNCTION LOAD REPLACE < benches/fcall/check.lua >/dev/null

expect() { # port want command...
  local port=$1 want=$2; shift 2
  local got
  got=$(redis-cli -p "$port" "$@")
  [ "$got" = "$want" ] || { echo "error: \`$*\` on port $port answers \`$got\`, not \`$want\`" >&2; exit 1; }
}
for port in "$FERRITE_PORT" "$REDIS_PORT"; do
  for f in check_email validate_email; do
    expect "$port" 1 FCALL "$f" 0 a@b.com
    expect "$port" 0 FCALL "$f" 0 nobody
  done
  expect "$port" OK SET bench:key value
done
expect "$FERRITE_PORT" 1 BENCH.CHECK a@b.com
expect "$FERRITE_PORT" 0 BENCH.CHECK a.b@c

rps() { # port pipeline command...
  local port=$1 pipeline=$2 n=$N; shift 2
  [ "$pipeline" -gt 1 ] && n=$NP
  redis-benchmark -p "$port" -c "$C" -n "$n" -P "$pipeline" --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'
}
record() { # name server pipeline port command...
  local name=$1 server=$2 pipeline=$3 port=$4; shift 4
  printf '%s\t%s\t%s\t%s\n' "$name" "$server" "$pipeline" "$(rps "$port" "$pipeline" "$@")" >>"$results"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS ..." >&2
  for p in $PIPELINES; do
    record "FCALL check_email (equal work)" run "$p" "$FERRITE_PORT" FCALL check_email 0 a@b.com
    record "FCALL check_email (equal work)" redis "$p" "$REDIS_PORT" FCALL check_email 0 a@b.com
    record "BENCH.CHECK / FCALL check_email" run "$p" "$FERRITE_PORT" BENCH.CHECK a@b.com
    record "BENCH.CHECK / FCALL check_email" redis "$p" "$REDIS_PORT" FCALL check_email 0 a@b.com
    record "FCALL validate_email (full rules)" run "$p" "$FERRITE_PORT" FCALL validate_email 0 a@b.com
    record "FCALL validate_email (full rules)" redis "$p" "$REDIS_PORT" FCALL validate_email 0 a@b.com
    record "GET" run "$p" "$FERRITE_PORT" GET bench:key
    record "GET" redis "$p" "$REDIS_PORT" GET bench:key
    record "SET" run "$p" "$FERRITE_PORT" SET bench:key value
    record "SET" redis "$p" "$REDIS_PORT" SET bench:key value
    for h in "${hooks[@]}"; do
      redis-cli -p "$FERRITE_PORT" -x FUNCTION LOAD < "${hook_wasm[$h]}" >/dev/null
      record "SET + $h hook / SET" run "$p" "$FERRITE_PORT" SET bench:key value
      redis-cli -p "$FERRITE_PORT" FUNCTION DELETE "bench_hook_$h" >/dev/null
      record "SET + $h hook / SET" redis "$p" "$FERRITE_PORT" SET bench:key value
    done
  done
done

echo "redis-benchmark -c $C -n $N (-P 1) / $NP (-P 32), best of $ROUNDS rounds; requests per second"
echo "(ferrite-plugin run | redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2); for hooks: with | without, both on run)"
python3 - "$results" <<'PY'
import sys, collections
best = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, server, p, value = line.rstrip("\n").split("\t")
    key = (int(p), name)
    best.setdefault(key, {}).setdefault(server, 0.0)
    best[key][server] = max(best[key][server], float(value))
for (p, name), b in sorted(best.items(), key=lambda kv: kv[0][0]):
    f, r = b.get("run", 0.0), b.get("redis", 0.0)
    ratio = f / r if r else float("nan")
    print(f"  -P {p:>2}  {name:<36} {f:>12,.0f} | {r:>12,.0f}  ratio {ratio:.2f}x")
PY
