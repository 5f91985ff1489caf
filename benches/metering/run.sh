#!/usr/bin/env bash
# What metering costs: CPU-bound plugin calls with nothing, the wall-clock
# deadline (epoch checks), fuel, or both compiled in, on a warm instance.
# Prints each workload's time per call and its ratio to the unmetered time,
# the modes alternating, best of ROUNDS.
#
#   bash benches/metering/run.sh
#
# Workloads, each spending its time in the plugin: testbed's crunch(20) (a
# sieve: a three-instruction inner loop, the worst case for per-loop
# checks), json_transform's `get` parsing a 200 KB document, testbed's
# `shout` upper-casing 100 KB of text, and validate_email (a short call).
# Arguments cross as byte strings, as FCALL passes them.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}

cargo build --release -q -p cargo-ferrite-plugin -p ferrite-plugin-host --example time_call
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"
timer="$target/release/examples/time_call"
"$cli" ferrite-plugin build --release -q -p testbed -p json_transform -p validate_email
out="$target/ferrite-plugin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
doc = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"], "price": i * 1.5} for i in range(2500)],
       "meta": {"owner": {"name": "ann"}}}
text = json.dumps(doc)
open(f"{work}/doc.json", "w").write(text)
open(f"{work}/text.txt", "w").write("Grüße, ferrite! " * 6400)
PY

run() { # name component function wave...
  local name=$1 component=$2 function=$3; shift 3
  for _ in $(seq 1 "$ROUNDS"); do
    for m in none epoch fuel both; do
      printf '%s\t%s\t%s\n' "$name" "$m" "$("$timer" bytes "$component" "$function" "$m" "$@")" >>"$work/results"
    done
  done
}
echo "timing ..." >&2
run "crunch(20) (testbed)" "$out/testbed.wasm" crunch 20
run "json get, 200 KB (json_transform)" "$out/json_transform.wasm" get "@$work/doc.json" meta.owner.name
run "shout, 100 KB (testbed)" "$out/testbed.wasm" shout "@$work/text.txt"
run "validate_email" "$out/validate_email.wasm" validate_email first.last@example.com

python3 - "$work/results" <<'PY'
import sys, collections
best = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, mode, ns = line.rstrip("\n").split("\t")
    best.setdefault(name, {})
    best[name][mode] = min(best[name].get(mode, float("inf")), float(ns))
print(f"  {'workload':<36}{'none':>12}{'epoch':>16}{'fuel':>16}{'both':>16}")
for name, b in best.items():
    none = b["none"]
    cell = lambda m: f"{b[m] / 1000:>8.1f} µs {b[m] / none:4.2f}x"
    print(f"  {name:<36}{none / 1000:>9.1f} µs" + "".join(f"{cell(m):>16}" for m in ("epoch", "fuel", "both")))
PY
