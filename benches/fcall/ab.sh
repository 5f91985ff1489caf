#!/usr/bin/env bash
# Two builds of `cargo ferrite-plugin run` against each other: both serve
# benches/fcall/plugins/check at once, and redis-benchmark drives GET, SET
# and FCALL check_email against each in turn, ROUNDS times. For a change to
# the request path, build the CLI before it in a worktree, e.g.
#
#   git worktree add /tmp/before HEAD~1
#   (cd /tmp/before && CARGO_TARGET_DIR=/tmp/before-target cargo build --release -p cargo-ferrite-plugin)
#   cargo build --release -p cargo-ferrite-plugin
#   bash benches/fcall/ab.sh /tmp/before-target/release/cargo-ferrite-plugin target/release/cargo-ferrite-plugin
#
# When the two builds' SDKs differ (a new host API), give both one component
# both hosts load, built for the older one, e.g.
#
#   cargo ferrite-plugin build --release --ferrite-version 0.2.0 \
#     --manifest-path benches/fcall/plugins/check/Cargo.toml
#   PLUGIN=target/ferrite-plugin/api-0.1.0/bench_check.wasm bash benches/fcall/ab.sh ...
#
# Each round also loads the `before_command` hook of
# benches/fcall/plugins/hook_$HOOK into both (built by the after CLI) and
# measures SET through it ("SET+hook"), then unloads it.
#
# Environment: ROUNDS (default 3), NP (requests, default 1000000), P
# (pipeline, default 32), C (clients, default 50), PLUGIN (default
# benches/fcall/plugins/check), HOOK (before, after or write; default
# before; empty for none).
set -euo pipefail
cd "$(dirname "$0")/../.."
a=${1:?usage: ab.sh CLI_BEFORE CLI_AFTER}
b=${2:?usage: ab.sh CLI_BEFORE CLI_AFTER}
ROUNDS=${ROUNDS:-3}
NP=${NP:-1000000}
P=${P:-32}
C=${C:-50}
PLUGIN=${PLUGIN:-benches/fcall/plugins/check}
HOOK=${HOOK-before}
hook_wasm=
if [ -n "$HOOK" ]; then
  hook_wasm=$("$b" ferrite-plugin build --release -q --message-format json \
    --manifest-path "benches/fcall/plugins/hook_$HOOK/Cargo.toml" |
    python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin if l.strip()][-1]["path"])')
fi
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$a" ferrite-plugin run --release -q --port 16391 --plugin "$PLUGIN" >/dev/null &
pids+=($!)
"$b" ferrite-plugin run --release -q --port 16392 --plugin "$PLUGIN" >/dev/null &
pids+=($!)
for port in 16391 16392; do
  for _ in $(seq 1 600); do
    redis-cli -p "$port" PING >/dev/null 2>&1 && break
    sleep 0.5
  done
  redis-cli -p "$port" SET bench:key value >/dev/null
done
results=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
  for cmd in "GET bench:key" "SET bench:key value" "FCALL check_email 0 a@b.com"; do
    for port in 16391 16392; do
      # shellcheck disable=SC2086
      rps=$(redis-benchmark -p "$port" -c "$C" -n "$NP" -P "$P" --csv $cmd | tail -1 | cut -d, -f2 | tr -d '"')
      echo "$port ${cmd%% *} $rps" >>"$results"
    done
  done
  if [ -n "$hook_wasm" ]; then
    for port in 16391 16392; do
      redis-cli -p "$port" -x FUNCTION LOAD < "$hook_wasm" >/dev/null
      rps=$(redis-benchmark -p "$port" -c "$C" -n "$NP" -P "$P" --csv SET bench:key value | tail -1 | cut -d, -f2 | tr -d '"')
      echo "$port SET+hook $rps" >>"$results"
      redis-cli -p "$port" FUNCTION DELETE "bench_hook_$HOOK" >/dev/null
    done
  fi
done
echo "redis-benchmark -c $C -n $NP -P $P, best of $ROUNDS; requests per second (before | after)"
python3 - "$results" <<'PY'
import sys, collections
best = collections.defaultdict(float)
for line in open(sys.argv[1]):
    port, cmd, rps = line.split()
    best[(cmd, port)] = max(best[(cmd, port)], float(rps))
for cmd in ["GET", "SET", "FCALL", "SET+hook"]:
    a, b = best[(cmd, "16391")], best[(cmd, "16392")]
    if not a or not b:
        continue
    print(f"  {cmd:6} {a:>12,.0f} | {b:>12,.0f}  after/before {b / a:.2f}x")
PY
rm -f "$results"
