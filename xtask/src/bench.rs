//! `cargo xtask bench-report`: medians and ratios from one criterion run.

use std::path::Path;

/// The median of a benchmark in nanoseconds, from criterion's estimates.
fn median(criterion: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(criterion.join(id).join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Prints the report for the run under `criterion` (`target/criterion`).
pub fn report(criterion: &Path) -> Result<(), String> {
    let m = |id: &str| {
        median(criterion, id).ok_or_else(|| format!("no result for `{id}` under {}; run `cargo bench -p ferrite-plugin-host --bench host` first", criterion.display()))
    };
    println!("| benchmark | median |\n|---|---:|");
    for id in [
        "dispatch/native",
        "dispatch/typed",
        "dispatch/typed_noop",
        "dispatch/wave",
        "dispatch/bytes",
        "bare/typed_func",
        "per_call/fresh_pooled",
        "per_call/fresh_on_demand",
        "per_call/warm",
        "load/compile",
        "load/cache_hit",
        "metering/neither",
        "metering/fuel_only",
        "metering/epoch_only",
        "metering/fuel_and_epoch",
        "entries/function",
        "entries/command",
        "entries/hook",
    ] {
        println!("| {id} | {} |", time(m(id)?));
    }
    let r = |a: &str, b: &str| -> Result<f64, String> { Ok(m(a)? / m(b)?) };
    println!("\n| ratio | value | target |\n|---|---:|---|");
    println!(
        "| dispatch: WAVE / typed | {:.2}× | ≤ 1.3× |",
        r("dispatch/wave", "dispatch/typed")?
    );
    println!(
        "| dispatch: byte strings / typed | {:.2}× | ≤ 1.3× |",
        r("dispatch/bytes", "dispatch/typed")?
    );
    println!(
        "| dispatch: typed / native Rust (same opt-level) | {:.2}× | ≤ 2× |",
        r("dispatch/typed", "dispatch/native")?
    );
    println!(
        "| per call: on-demand / pooled instantiation | {:.2}× | ≥ 3× |",
        r("per_call/fresh_on_demand", "per_call/fresh_pooled")?
    );
    println!(
        "| per call: pooled, median | {} | ≤ 20 µs |",
        time(m("per_call/fresh_pooled")?)
    );
    println!(
        "| warm: median | {} | ≤ 1.5 µs |",
        time(m("per_call/warm")?)
    );
    println!(
        "| warm / bare typed call | {:.2}× | ≤ 1.3× |",
        r("per_call/warm", "bare/typed_func")?
    );
    println!(
        "| load: compile / cache hit | {:.1}× | ≥ 50× |",
        r("load/compile", "load/cache_hit")?
    );
    println!(
        "| metering: fuel and epoch / neither | {:.2}× | (reported) |",
        r("metering/fuel_and_epoch", "metering/neither")?
    );
    println!(
        "| metering: fuel only / neither | {:.2}× | (reported) |",
        r("metering/fuel_only", "metering/neither")?
    );
    println!(
        "| metering: epoch only (the default) / neither | {:.2}× | below fuel and epoch |",
        r("metering/epoch_only", "metering/neither")?
    );
    Ok(())
}
