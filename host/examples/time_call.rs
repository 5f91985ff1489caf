//! Times calls of a plugin function in a warm instance, for the scripts in
//! `benches/`: prints the median of many batches, in nanoseconds per call.
//!
//! ```text
//! time_call typed COMPONENT FUNCTION STRING [METERING]   # a `string -> bool` function, typed
//! time_call wave COMPONENT FUNCTION METERING WAVE...     # any function, arguments as WAVE
//! time_call bytes COMPONENT FUNCTION METERING ARG...     # arguments as byte strings, as FCALL
//! ```
//!
//! An argument `@FILE` is read from FILE (for values too long for a
//! command line).
//!
//! METERING is what the host checks in compiled code: `epoch` (the default,
//! the wall-clock deadline alone), `fuel`, `both` or `none`.

use std::time::{Duration, Instant};

use ferrite_plugin_host::{Host, HostConfig, LoadOptions};

fn host(metering: &str) -> Result<Host, Box<dyn std::error::Error>> {
    let (fuel, epoch) = match metering {
        "none" => (false, false),
        "fuel" => (true, false),
        "epoch" => (false, true),
        "both" => (true, true),
        other => return Err(format!("unknown metering `{other}`").into()),
    };
    Ok(Host::new(HostConfig {
        max_fuel: fuel.then_some(u64::MAX / 2),
        max_timeout: epoch.then_some(Duration::from_secs(600)),
        ..HostConfig::default()
    })?)
}

/// The median time per call of `call`, over batches of at least 50 ms.
fn median(
    mut call: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let start = Instant::now();
    call()?;
    let once = start.elapsed().max(Duration::from_nanos(50));
    let batch = (Duration::from_millis(50).as_nanos() / once.as_nanos()).clamp(1, 20_000) as u32;
    let mut samples = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        for _ in 0..batch {
            call()?;
        }
        samples.push(start.elapsed().as_nanos() as f64 / f64::from(batch));
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let warm = LoadOptions {
        warm: Some(1),
        ..LoadOptions::default()
    };
    let ns = match args.as_slice() {
        [mode, component, function, arg, rest @ ..] if mode == "typed" => {
            let host = host(rest.first().map_or("epoch", String::as_str))?;
            let plugin = host.load(&std::fs::read(component)?, warm)?;
            let f = host.typed::<(&str,), (bool,)>(plugin.name(), function)?;
            median(|| {
                std::hint::black_box(f.call((std::hint::black_box(arg.as_str()),))?);
                Ok(())
            })?
        }
        [mode, component, function, metering, values @ ..] if mode == "wave" || mode == "bytes" => {
            let host = host(metering)?;
            let plugin = host.load(&std::fs::read(component)?, warm)?;
            let values = values
                .iter()
                .map(|w| match w.strip_prefix('@') {
                    Some(file) => std::fs::read_to_string(file),
                    None => Ok(w.clone()),
                })
                .collect::<Result<Vec<String>, _>>()?;
            if mode == "wave" {
                let wave: Vec<&str> = values.iter().map(String::as_str).collect();
                median(|| {
                    std::hint::black_box(host.call_wave(plugin.name(), function, &wave).result?);
                    Ok(())
                })?
            } else {
                let bytes: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
                let opts = ferrite_plugin_host::CallOptions::default();
                median(|| {
                    let r = host.call_bytes(plugin.name(), function, &bytes, &opts);
                    std::hint::black_box(r.result?);
                    Ok(())
                })?
            }
        }
        _ => {
            return Err("usage: time_call typed COMPONENT FUNCTION STRING [METERING] | time_call wave COMPONENT FUNCTION METERING WAVE...".into());
        }
    };
    println!("{ns:.1}");
    Ok(())
}
