#!/usr/bin/env bash
# The release profile of plugins, measured: examples/validate_email built at
# opt-level "s", 2 and 3, each without and with LTO (codegen-units = 1,
# strip = "debuginfo" throughout), and for each the component's size, a warm
# typed call in the host (default metering: the wall-clock deadline), and
# the same Rust function compiled natively with the same profile.
#
#   bash benches/profiles/run.sh
#
# Each build is a standalone copy of the example (its own target directory,
# the workspace's Cargo.lock), so the profiles cannot leak into each other.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
EMAIL=${EMAIL:-first.last@example.com}

cargo build --release -q -p cargo-ferrite-plugin
cargo build --release -q -p ferrite-plugin-host --example time_call
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cli="$target/release/cargo-ferrite-plugin"
timer="$target/release/examples/time_call"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results"

for opt in s 2 3; do
  for lto in false true; do
    d="$work/ve-$opt-$lto"
    mkdir -p "$d/src/bin"
    cp -r examples/validate_email/src/. "$d/src/"
    cp examples/validate_email/plugin.toml Cargo.lock "$d/"
    case $opt in s|z) level="\"$opt\"" ;; *) level=$opt ;; esac
    cat >"$d/Cargo.toml" <<EOF
[package]
name = "validate_email"
version = "1.0.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
ferrite-plugin = { path = "$root/sdk" }

[profile.release]
opt-level = $level
lto = $lto
codegen-units = 1
strip = "debuginfo"

[workspace]
EOF
    cat >"$d/src/bin/native_time.rs" <<'EOF'
//! The native side of benches/profiles/run.sh: the same timing loop as
//! host/examples/time_call.rs, calling the function directly.
fn main() {
    let arg = std::env::args().nth(1).expect("an argument");
    const BATCH: u32 = 20_000;
    let mut samples = Vec::new();
    for _ in 0..60 {
        let start = std::time::Instant::now();
        for _ in 0..BATCH {
            std::hint::black_box(validate_email::validate_email(std::hint::black_box(arg.clone())));
        }
        samples.push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
    }
    samples.sort_by(f64::total_cmp);
    println!("{:.1}", samples[samples.len() / 2]);
}
EOF
    echo "building validate_email at opt-level $opt, lto $lto ..." >&2
    "$cli" ferrite-plugin build --release -q --manifest-path "$d/Cargo.toml"
    cargo build --release -q --manifest-path "$d/Cargo.toml" --bin native_time
    wasm="$d/target/ferrite-plugin/validate_email.wasm"
    size=$(stat -c %s "$wasm")
    # Alternate the two sides, best (lowest median) of three.
    best_w=inf best_n=inf
    for _ in 1 2 3; do
      w=$("$timer" typed "$wasm" validate_email "$EMAIL")
      n=$("$d/target/release/native_time" "$EMAIL")
      best_w=$(python3 -c "print(min(float('$best_w'), $w))")
      best_n=$(python3 -c "print(min(float('$best_n'), $n))")
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$opt" "$lto" "$size" "$best_w" "$best_n" >>"$results"
  done
done

echo "validate_email(\"$EMAIL\"): component size, warm typed call in the host, native call (ns)"
python3 - "$results" <<'PY'
import sys
print(f"  {'opt-level':<10}{'lto':<7}{'bytes':>8}{'wasm ns':>10}{'native ns':>11}{'ratio':>8}")
for line in open(sys.argv[1]):
    opt, lto, size, w, n = line.split()
    print(f"  {opt:<10}{lto:<7}{int(size):>8}{float(w):>10.1f}{float(n):>11.1f}{float(w) / float(n):>7.2f}x")
PY
