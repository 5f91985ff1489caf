//! Measures whether a long plugin call stalls other clients of a running
//! server (`benches/fcall/stall.sh` runs it against `cargo ferrite-plugin
//! run --release`): 49 paced GET clients, alone and beside a 50th client
//! that calls a function computing to its limit in a loop, alternated,
//! three rounds each.
//!
//!   cargo run --release -p ferrite-plugin-server --example stall_probe -- PORT [FUNCTION [ARG]]
//!
//! FUNCTION defaults to `spin` with ARG `1` (the host's test plugin).

#[path = "../tests/support/probe.rs"]
mod probe;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(port) = args.first().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: stall_probe PORT [FUNCTION [ARG]]");
        std::process::exit(2);
    };
    let function = args.get(1).cloned().unwrap_or_else(|| "spin".into());
    let arg = args.get(2).cloned().unwrap_or_else(|| "1".into());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let client = redis::Client::open(format!("redis://{addr}/")).expect("a client");
    let mut con = client.get_connection().expect("connect");
    let _: () = redis::cmd("SET")
        .arg("stall:key")
        .arg("value")
        .query(&mut con)
        .expect("SET");
    let (clients, every, run) = (49, Duration::from_millis(5), Duration::from_secs(3));
    println!(
        "GET latency, {clients} clients each every {every:?}, {run:?} a round; `{function}` is called in a loop beside them"
    );
    for round in 1..=3 {
        let alone = probe::probe(addr, clients, every, run, "stall:key", "value");
        println!("  round {round} alone:     {}", alone.summary());
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicU64::new(0));
        let spinner = {
            let (stop, calls, client) = (stop.clone(), calls.clone(), client.clone());
            let (function, arg) = (function.clone(), arg.clone());
            std::thread::spawn(move || {
                let mut con = client.get_connection().expect("connect");
                let mut last = String::new();
                while !stop.load(Ordering::Relaxed) {
                    let r: redis::RedisResult<redis::Value> = redis::cmd("FCALL")
                        .arg(&function)
                        .arg(0)
                        .arg(&arg)
                        .query(&mut con);
                    last = format!("{r:?}");
                    calls.fetch_add(1, Ordering::Relaxed);
                }
                last
            })
        };
        let beside = probe::probe(addr, clients, every, run, "stall:key", "value");
        stop.store(true, Ordering::Relaxed);
        let last = spinner.join().expect("the spinning client");
        println!("  round {round} beside:    {}", beside.summary());
        println!(
            "    ({} calls of `{function}` meanwhile; the last: {})",
            calls.load(Ordering::Relaxed),
            last.chars().take(120).collect::<String>()
        );
    }
}
