#!/usr/bin/env bash
# Fuzzing throughput: inputs per second of `cargo ferrite-plugin test --fuzz`
# on small functions of fixtures/fuzz_planted. Each input is one call in the
# host (a fresh instance, fuel metered, the plugin's limits) and, for a
# function, one native call through the harness, the results compared.
# Prints a table for BENCHMARKS.md: best of ROUNDS, the plugin and harness
# built in debug and in release; the CLI itself is a release build.
#
#   bash benches/fuzz/run.sh            # CASES=20000 ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${CASES:-20000}
ROUNDS=${ROUNDS:-3}

cargo build --release -q -p cargo-ferrite-plugin
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"

rate() { # export [--release]: the best inputs per second
  local best=0
  for _ in $(seq 1 "$ROUNDS"); do
    # The summary line: "fuzz result: ok. ...; N inputs in T.TTs"
    local line
    line=$("$cli" ferrite-plugin test --fuzz -q -p fuzz_planted --cases "$CASES" "$@" | grep '^fuzz result')
    best=$(python3 - "$line" "$best" <<'PY'
import re, sys
n, t = re.search(r"(\d+) inputs in ([\d.]+)s", sys.argv[1]).groups()
print(max(float(sys.argv[2]), int(n) / max(float(t), 0.01)))
PY
)
  done
  printf '%.0f' "$best"
}

printf '| export | what an input costs | debug | release |\n|---|---|---:|---:|\n'
row() { # export description
  printf '| `%s` | %s | %s | %s |\n' "$1" "$2" "$(rate "$1")" "$(rate "$1" --release)"
}
row clamp_add "two \`s32\`s: host call and native call, compared"
row shout "a string of up to 16 characters, borrowed"
row hottest "a list of up to 16 records of a string and an \`f64\`"
row "command FP.ECHO" "a command of up to 16 words, host only"
