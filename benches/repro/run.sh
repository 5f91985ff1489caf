#!/usr/bin/env bash
# What reproducible builds cost: `cargo ferrite-plugin build --release` of
# example plugins with the paths remapped (every build) and without
# (FERRITE_PLUGIN_NO_REMAP=1, plain cargo's flags), alternating the two in
# one run, best of ROUNDS. "full" starts from an empty target directory (the
# dependencies compiled too); "no-op" is the build right after, nothing to
# compile (the remap flags' cost is then the extra `cargo metadata` and the
# `rustc -vV` each build runs).
#
#   bash benches/repro/run.sh            # ROUNDS=3 PLUGINS="validate_email ak_npm_format"
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
PLUGINS=${PLUGINS:-validate_email ak_npm_format}

cargo build --release -q -p cargo-ferrite-plugin
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

seconds() { # command...: wall seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}

build() { # plugin mode target
  if [ "$2" = plain ]; then
    (cd "examples/$1" && FERRITE_PLUGIN_NO_REMAP=1 CARGO_TARGET_DIR="$3" "$cli" ferrite-plugin build --release -q)
  else
    (cd "examples/$1" && CARGO_TARGET_DIR="$3" "$cli" ferrite-plugin build --release -q)
  fi
}

min() { python3 -c "import sys; print(f'{min(map(float, sys.argv[1:])):.2f}')" "$@"; }

printf '| plugin | build | remapped (s) | plain (s) | ratio |\n|---|---|---:|---:|---:|\n'
for plugin in $PLUGINS; do
  declare -A full=() noop=()
  for _ in $(seq 1 "$ROUNDS"); do
    for mode in remapped plain; do
      t="$scratch/$plugin-$mode"
      rm -rf "$t"
      full[$mode]+=" $(seconds build "$plugin" "$mode" "$t")"
      noop[$mode]+=" $(seconds build "$plugin" "$mode" "$t")"
    done
  done
  for kind in full no-op; do
    if [ "$kind" = full ]; then r=$(min ${full[remapped]}); p=$(min ${full[plain]});
    else r=$(min ${noop[remapped]}); p=$(min ${noop[plain]}); fi
    printf '| `%s` | %s | %s | %s | %s× |\n' "$plugin" "$kind" "$r" "$p" \
      "$(python3 -c "print(f'{$r / $p:.2f}')")"
  done
  unset full noop
done
