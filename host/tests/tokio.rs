//! Calls from tokio (`Host::call_*_async`, feature `tokio`): a long call
//! leaves the runtime's other tasks running, on a multi-threaded runtime
//! with one worker and on a current-thread runtime alike.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrite_plugin_host::{CallError, CallOptions, Host, HostConfig, LoadOptions, wasm_wave};

/// The testbed on a host without fuel, so `spin` runs until it is killed
/// (or its timeout).
fn spinning_host() -> Host {
    let host = Host::new(HostConfig {
        max_fuel: None,
        ..common::config()
    })
    .unwrap();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    host
}

/// Runs `spin` from a task while another task ticks every millisecond and a
/// third kills the call after 150 ms; returns the call's error, how many
/// ticks happened during the call, and the longest gap between two ticks.
async fn spin_beside_a_ticker(host: Host) -> (CallError, usize, Duration) {
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                worst = worst.max(last.elapsed());
                last = Instant::now();
                ticks.fetch_add(1, Ordering::Relaxed);
                if ticks.load(Ordering::Relaxed) >= 1_000_000 {
                    return worst;
                }
            }
        })
    };
    let killer = {
        let host = host.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            host.kill(|c| c.function == "spin")
        })
    };
    let before = ticks.load(Ordering::Relaxed);
    let report = host
        .call_wave_async("testbed", "spin", vec!["1".into()], CallOptions::default())
        .await;
    let during = ticks.load(Ordering::Relaxed) - before;
    assert_eq!(killer.await.unwrap(), 1);
    // The ticker's worst gap so far: stop it and read it.
    ticks.store(1_000_000, Ordering::Relaxed);
    let worst = ticker.await.unwrap();
    (report.result.unwrap_err(), during, worst)
}

fn killed() -> CallError {
    CallError::Killed {
        function: "spin".into(),
    }
}

#[test]
fn a_long_call_hands_a_one_worker_runtime_to_its_other_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // On the worker, beside the ticker and the killer (`block_on` itself
    // runs on this thread, not a worker).
    let host = spinning_host();
    let (err, during, worst) = runtime
        .block_on(async { tokio::spawn(spin_beside_a_ticker(host)).await })
        .unwrap();
    eprintln!("{during} ticks during the call, worst gap {worst:?}");
    assert_eq!(err, killed());
    // Without the hand-over, the ticker (and the killer) would wait for the
    // whole call: no ticks during it, and no kill.
    assert!(during >= 20, "{during} ticks during a 150 ms call");
    assert!(worst < Duration::from_millis(100), "worst gap {worst:?}");
}

#[test]
fn a_long_call_on_a_current_thread_runtime_runs_on_the_blocking_pool() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (err, during, worst) = runtime.block_on(spin_beside_a_ticker(spinning_host()));
    eprintln!("{during} ticks during the call, worst gap {worst:?}");
    assert_eq!(err, killed());
    assert!(during >= 20, "{during} ticks during a 150 ms call");
    assert!(worst < Duration::from_millis(100), "worst gap {worst:?}");
}

#[test]
fn async_calls_return_what_blocking_calls_do() {
    let host = spinning_host();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let text = |r: ferrite_plugin_host::CallReport| {
        r.result
            .map(|v| v.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap()))
    };
    for flavor in ["multi-thread", "current-thread", "outside tokio"] {
        let calls = async {
            let opts = CallOptions::default();
            (
                text(
                    host.call_wave_async(
                        "testbed",
                        "add",
                        vec!["2".into(), "40".into()],
                        opts.clone(),
                    )
                    .await,
                ),
                text(
                    host.call_bytes_async("testbed", "shout", vec![b"hi".to_vec()], opts.clone())
                        .await,
                ),
                text(
                    host.call_vals_async(
                        "testbed",
                        "add",
                        vec![
                            ferrite_plugin_host::Val::U32(1),
                            ferrite_plugin_host::Val::U32(2),
                        ],
                        opts.clone(),
                    )
                    .await,
                ),
                text(host.call_wave_async("testbed", "nope", vec![], opts).await),
            )
        };
        let got = match flavor {
            "multi-thread" => runtime.block_on(calls),
            "current-thread" => tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(calls),
            _ => poll_once(calls),
        };
        assert_eq!(got.0.as_deref(), Ok("42"), "{flavor}");
        assert_eq!(got.1.as_deref(), Ok("\"HI\""), "{flavor}");
        assert_eq!(got.2.as_deref(), Ok("3"), "{flavor}");
        assert!(
            got.3.as_ref().unwrap_err().to_string().contains("nope"),
            "{flavor}: {:?}",
            got.3
        );
    }
}

#[test]
fn yielding_keeps_the_on_long_call_already_set() {
    let host = spinning_host();
    let seen = Arc::new(AtomicUsize::new(0));
    let opts = CallOptions {
        on_long_call: Some({
            let seen = seen.clone();
            Arc::new(move || {
                seen.fetch_add(1, Ordering::Relaxed);
            })
        }),
        ..CallOptions::default()
    }
    .yielding();
    let killer = {
        let host = host.clone();
        std::thread::spawn(move || {
            while host.kill(|_| true) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let err = host
        .call_wave_with("testbed", "spin", &["1"], &opts)
        .result
        .unwrap_err();
    killer.join().unwrap();
    assert_eq!(err, killed());
    assert_eq!(seen.load(Ordering::Relaxed), 1);
}

/// Polls a future that never waits to completion, outside any runtime.
fn poll_once<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("an async call outside tokio waited"),
    }
}
