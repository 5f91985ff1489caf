#!/usr/bin/env bash
# Component sizes: the examples built by `cargo ferrite-plugin build --release`,
# and validate_email hand-written with wit-bindgen (same rules, same profile,
# componentized by the same wit-component). Prints a table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"

cargo run -q -p cargo-ferrite-plugin -- build --release -q \
    -p validate_email -p geo_fence -p json_transform -p rate_limiter
cargo build -q --release --target wasm32-unknown-unknown \
    --manifest-path benches/size/wit-bindgen-validate-email/Cargo.toml \
    --target-dir "$target/size-bench"
core="$target/size-bench/wasm32-unknown-unknown/release/wit_bindgen_validate_email.wasm"
baseline="$target/size-bench/wit_bindgen_validate_email.component.wasm"
cargo xtask componentize "$core" "$baseline"

size() { stat -c %s "$1"; }
sdk=$(size "$target/ferrite-plugin/validate_email.wasm")
wb=$(size "$baseline")
printf '| component | bytes | KiB |\n|---|---:|---:|\n'
row() { printf '| %s | %d | %.1f |\n' "$1" "$2" "$(echo "$2/1024" | bc -l)"; }
row "validate_email (cargo ferrite-plugin build --release)" "$sdk"
row "validate_email (hand-written, wit-bindgen 0.61.1)" "$wb"
for p in geo_fence json_transform rate_limiter; do
    row "$p (cargo ferrite-plugin build --release)" "$(size "$target/ferrite-plugin/$p.wasm")"
done
printf '\nvalidate_email SDK / wit-bindgen: %.3f\n' "$(echo "$sdk/$wb" | bc -l)"
