#!/usr/bin/env bash
# Where a request's time goes in `cargo ferrite-plugin run`: samples the
# server's worker thread with `perf` (Debian's linux-perf) while
# redis-benchmark drives one workload, and prints the CPU time per request
# by part of the path (RESP parse, dispatch, lookup, host call set-up,
# wasmtime's lowering and lifting, guest code, reply, syscalls).
#
#   bash benches/fcall/profile.sh fcall           # FCALL check_email 0 a@b.com
#   bash benches/fcall/profile.sh set-before      # SET with a before_command hook
#   bash benches/fcall/profile.sh get|set|command|set-after|set-write
#
# CLI=path/to/cargo-ferrite-plugin profiles another build (it needs line
# tables: CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
# CARGO_PROFILE_RELEASE_STRIP=none); the default builds one into
# target/profiling. P (pipeline, default 32), C (clients, default 50),
# SECONDS_SAMPLED (default 4).
set -euo pipefail
cd "$(dirname "$0")/../.."
workload=${1:?usage: profile.sh fcall|command|get|set|set-before|set-after|set-write}
P=${P:-32}
C=${C:-50}
SECONDS_SAMPLED=${SECONDS_SAMPLED:-4}
PORT=${PORT:-16390}
for tool in perf redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install linux-perf redis-tools)" >&2; exit 1; }
done
if [ -z "${CLI:-}" ]; then
  CARGO_TARGET_DIR=target/profiling CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    CARGO_PROFILE_RELEASE_STRIP=none cargo build --release -q -p cargo-ferrite-plugin
  CLI=target/profiling/release/cargo-ferrite-plugin
fi

hook=""
case $workload in
  fcall) cmd=(FCALL check_email 0 a@b.com) ;;
  command) cmd=(BENCH.CHECK a@b.com) ;;
  get) cmd=(GET bench:key) ;;
  set) cmd=(SET bench:key value) ;;
  set-before|set-after|set-write) cmd=(SET bench:key value); hook=${workload#set-} ;;
  *) echo "error: unknown workload \`$workload\`" >&2; exit 1 ;;
esac

"$CLI" ferrite-plugin run --release -q --port "$PORT" --plugin benches/fcall/plugins/check >/dev/null 2>&1 &
server=$!
data=$(mktemp)
trap 'kill $server 2>/dev/null || true; rm -f "$data"' EXIT
for _ in $(seq 1 600); do
  redis-cli -p "$PORT" PING >/dev/null 2>&1 && break
  sleep 0.5
done
redis-cli -p "$PORT" SET bench:key value >/dev/null
if [ -n "$hook" ]; then
  wasm=$("$CLI" ferrite-plugin build --release -q --message-format json \
    --manifest-path "benches/fcall/plugins/hook_$hook/Cargo.toml" |
    python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin if l.strip()][-1]["path"])')
  redis-cli -p "$PORT" -x FUNCTION LOAD < "$wasm" >/dev/null
fi
commands() { redis-cli -p "$PORT" INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'; }

redis-benchmark -p "$PORT" -c "$C" -n 200000 -P "$P" "${cmd[@]}" >/dev/null # warm up
redis-benchmark -p "$PORT" -c "$C" -n 100000000 -P "$P" -q "${cmd[@]}" >/dev/null 2>&1 &
load=$!
sleep 1
before=$(commands)
perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 -p "$server" -o "$data" -- sleep "$SECONDS_SAMPLED" 2>/dev/null
after=$(commands)
kill $load 2>/dev/null || true
wait $load 2>/dev/null || true

perf script -i "$data" -F comm,ip,sym,dso 2>/dev/null |
  python3 <(cat <<'PY'
import sys, collections

requests, seconds = int(sys.argv[1]), float(sys.argv[2])
label = " ".join(sys.argv[3:])
# (category, substrings of a frame's symbol or object), tried on each frame
# from the innermost outwards: the first frame that matches names the
# sample's category, so malloc or memcpy count towards their caller.
RULES = [
    ("syscalls (read, write, epoll)", ["[kernel", "__send", "__libc_recv", "epoll_wait", "__libc_write", "writev", "__libc_read"]),
    ("wasmtime: enter, lower, lift, post-return", ["wasmtime::", "wasmtime_internal", "wasmtime_environ", "cranelift"]),
    ("host: instance, limits, report", ["ferrite_plugin_host::call::", "ferrite_plugin_host::plugin::", "ferrite_plugin_host::state::", "CallState", "Idle"]),
    ("host: argument parsing", ["ferrite_plugin_host::fast::", "ferrite_plugin_host::args::"]),
    ("host: commands and hooks", ["ferrite_plugin_host::dispatch::"]),
    ("lookup (function, plugin)", ["Host::lookup", "Server::function", "Server::dispatch", "ferrite_plugin_server::commands::lookup"]),
    ("reply encoding", ["ferrite_plugin_server::reply::", "ferrite_plugin_server::value::", "frames_to_reply"]),
    ("RESP parse", ["redis_protocol", "ferrite_plugin_server::conn::feed", "ferrite_plugin_server::conn::arguments", "ferrite_plugin_server::resp::"]),
    ("keyspace", ["ferrite_plugin_server::keyspace::", "MemoryKeyspace", "ferrite_plugin_host::keyspace::"]),
    ("dispatch (command, hooks)", ["ferrite_plugin_server::server::", "ferrite_plugin_server::commands::"]),
    ("tokio", ["tokio::", "mio::"]),
]

samples = collections.Counter()
total = 0
frames, comm = [], None
def flush():
    global total
    if comm is None or not comm.startswith("tokio-rt-worke"):
        return
    total += 1
    if not frames or frames[0][1] in ("[unknown]", "") or "[JIT]" in frames[0][1] or frames[0][0] == "[unknown]":
        samples["guest code (wasm, JIT)"] += 1
        return
    for sym, dso in frames:
        for name, keys in RULES:
            if any(k in sym or k in dso for k in keys):
                samples[name] += 1
                return
    samples["other: " + frames[0][0][:60]] += 1

for line in sys.stdin:
    if not line.strip():
        flush()
        frames, comm = [], None
    elif not line.startswith((" ", "\t")):
        comm = line.split()[0]
    else:
        parts = line.strip().split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        if rest.endswith(")") and "(" in rest:
            sym, dso = rest[: rest.rfind("(")].strip(), rest[rest.rfind("(") :]
        else:
            sym, dso = rest, ""
        frames.append((sym, dso))
flush()

if not total or not requests:
    sys.exit("error: no samples of the worker thread, or no requests served")
cpu = total / 999.0  # seconds of worker CPU sampled
print(f"{label}: {requests / seconds:,.0f} requests/s while sampled, "
      f"{cpu * 1e9 / requests:,.0f} ns of worker CPU per request ({total} samples)")
others = 0
for name, n in samples.most_common():
    if name.startswith("other: ") and n / total < 0.01:
        others += n
        continue
    print(f"  {name:<44} {100 * n / total:5.1f} %  {cpu * 1e9 * n / total / requests:7.0f} ns")
if others:
    print(f"  {'other (each < 1 %)':<44} {100 * others / total:5.1f} %  {cpu * 1e9 * others / total / requests:7.0f} ns")
PY
) "$((after - before))" "$SECONDS_SAMPLED" "${cmd[*]}" -P "$P"
