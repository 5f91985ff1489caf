//! Calls that outlast a slice: a function whose last call went long starts
//! its next one as long (its `on_long_call` before it runs), and a long
//! call's thread runs at the lowest priority until the call ends.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrite_plugin_host::{CallError, CallOptions, Host, HostConfig, LoadOptions};

/// The testbed on a host without fuel: a call runs until its deadline (2 s)
/// or until it is killed.
fn host() -> Host {
    host_ticking(common::config().epoch_tick)
}

/// The testbed on a host without fuel whose epoch ticks every `tick`.
fn host_ticking(tick: Duration) -> Host {
    let host = Host::new(HostConfig {
        max_fuel: None,
        epoch_tick: tick,
        ..common::config()
    })
    .unwrap();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    host
}

/// Kills the running calls of `function` as soon as one is listed.
fn kill_when_listed(host: &Host, function: &'static str) -> std::thread::JoinHandle<()> {
    let host = host.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        while host.kill(|c| c.function == function) == 0 {
            assert!(started.elapsed() < Duration::from_secs(2), "never listed");
            std::thread::sleep(Duration::from_millis(1));
        }
    })
}

#[test]
fn a_function_whose_last_call_went_long_starts_its_next_call_as_long() {
    // Slices of 100 ms: a short call must stay short even on a loaded
    // machine that preempts the test's thread for a few milliseconds.
    let host = host_ticking(Duration::from_millis(50));
    // Each time `on_long_call` runs: whether the call was listed as running
    // by then. A call found long at a slice's end is listed first; one that
    // starts long runs the hook before it has run at all.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let opts = CallOptions {
        on_long_call: Some({
            let (seen, host) = (seen.clone(), host.clone());
            Arc::new(move || seen.lock().unwrap().push(!host.running_calls().is_empty()))
        }),
        ..CallOptions::default()
    };
    let crunch = |rounds: &str| {
        host.call_wave_with("testbed", "crunch", &[rounds], &opts)
            .result
            .map(|_| ())
    };
    let seen = || seen.lock().unwrap().clone();

    crunch("1").unwrap();
    assert_eq!(seen(), [false; 0], "a short call runs no hook");

    // A call that goes on until it is killed: long, found at a slice's end.
    let killer = kill_when_listed(&host, "crunch");
    let err = crunch("4294967295").unwrap_err();
    killer.join().unwrap();
    assert_eq!(
        err,
        CallError::Killed {
            function: "crunch".into()
        }
    );
    assert_eq!(seen(), [true]);

    // The next call starts long, and turns out short.
    crunch("1").unwrap();
    assert_eq!(seen(), [true, false]);

    // So the one after starts as usual again.
    crunch("1").unwrap();
    assert_eq!(seen(), [true, false]);

    // Other functions were never affected.
    assert_eq!(
        host.call_wave_with("testbed", "add", &["1", "2"], &opts)
            .result
            .unwrap()
            .map(|v| ferrite_plugin_host::wasm_wave::to_string(&v).unwrap()),
        Some("3".into())
    );
    assert_eq!(seen(), [true, false]);
}

/// The calling thread's nice value, from `/proc`.
#[cfg(target_os = "linux")]
fn nice_of(task: &str) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{task}/stat")).unwrap();
    // The fields after the command's closing parenthesis; nice is field 19.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    rest.split(' ').nth(16).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_long_call_runs_at_the_lowest_priority_and_gets_its_priority_back() {
    let host = host();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let caller = {
        let host = host.clone();
        std::thread::spawn(move || {
            // "<pid>/task/<tid>"
            let me = std::fs::read_link("/proc/thread-self").unwrap();
            let tid = me.file_name().unwrap().to_str().unwrap().to_string();
            let before = nice_of(&tid);
            tid_tx.send(tid.clone()).unwrap();
            let err = host
                .call_wave("testbed", "spin", &["1"])
                .result
                .unwrap_err();
            (err, before, nice_of(&tid))
        })
    };
    let tid = tid_rx.recv().unwrap();
    let started = Instant::now();
    while host.running_calls().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(2), "never listed");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The slice's end lowers the thread right after listing the call.
    std::thread::sleep(Duration::from_millis(20));
    let during = nice_of(&tid);
    assert_eq!(host.kill(|c| c.function == "spin"), 1);
    let (err, before, after) = caller.join().unwrap();
    assert!(matches!(err, CallError::Killed { .. }), "{err:?}");
    assert_eq!(after, before, "the priority is restored when the call ends");
    if host.lowers_long_calls() {
        assert_eq!(during, 19);
    } else {
        // This process may not raise a thread's priority again: nothing is
        // lowered.
        assert_eq!(during, before);
    }
    // A host told not to lowers nothing.
    let plain = Host::new(HostConfig {
        lower_long_calls: false,
        ..common::config()
    })
    .unwrap();
    assert!(!plain.lowers_long_calls());
}
