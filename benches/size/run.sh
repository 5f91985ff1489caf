#!/usr/bin/env bash
# Component sizes: the examples built by `cargo ferrite-plugin build --release`,
# and validate_email hand-written with wit-bindgen (same rules, same profile,
# componentized by the same wit-component). Prints a table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"

cargo run -q -p cargo-ferrite-plugin -- build --release -q -p validate_email -p geo_fence
cargo build -q --release --target wasm32-unknown-unknown \
    --manifest-path benches/size/wit-bindgen-validate-email/Cargo.toml \
    --target-dir "$target/size-bench"
core="$target/size-bench/wasm32-unknown-unknown/release/wit_bindgen_validate_email.wasm"
baseline="$target/size-bench/wit_bindgen_validate_email.component.wasm"
cargo xtask componentize "$core" "$baseline"

size() { stat -c %s "$1"; }
sdk=$(size "$target/ferrite-plugin/validate_email.wasm")
wb=$(size "$baseline")
geo=$(size "$target/ferrite-plugin/geo_fence.wasm")
printf '| component | bytes | KiB |\n|---|---:|---:|\n'
printf '| validate_email (cargo ferrite-plugin build --release) | %d | %.1f |\n' "$sdk" "$(echo "$sdk/1024" | bc -l)"
printf '| validate_email (hand-written, wit-bindgen 0.61.1) | %d | %.1f |\n' "$wb" "$(echo "$wb/1024" | bc -l)"
printf '| geo_fence (cargo ferrite-plugin build --release) | %d | %.1f |\n' "$geo" "$(echo "$geo/1024" | bc -l)"
printf '\nvalidate_email SDK / wit-bindgen: %.3f\n' "$(echo "$sdk/$wb" | bc -l)"
