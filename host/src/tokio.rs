//! Calls from async code on tokio (feature `tokio`): a long call never
//! stalls the runtime's other tasks.
//!
//! A call starts inline on the task that makes it, so a short call costs
//! nothing more than a blocking one. If it outlasts a slice
//! ([`SLICE_TICKS`](crate::SLICE_TICKS) epoch ticks), [`yield_worker`]
//! hands the worker's other tasks to another thread (`block_in_place`) and
//! the call goes on where it was: other tasks are served meanwhile, and the
//! calling task's own order (a connection's pipelined replies) is kept. On a
//! current-thread runtime, which cannot hand its thread over, the call runs
//! on tokio's blocking pool instead.
//!
//! Why not wasmtime's async calls (fibers that suspend at epoch yields)?
//! They need `async_support` on the whole engine, which makes every call, the
//! short ones too, run on a fiber stack through a future; handing a
//! worker over costs a long call tens of microseconds once, and a short call
//! nothing.

use std::sync::Arc;
use std::time::Duration;

use ::tokio::runtime::{Handle, RuntimeFlavor};
use wasmtime::component::Val;

use crate::{CallError, CallOptions, CallReport, Host};

/// Moves this tokio worker's other tasks to another thread, for a call that
/// has run for a slice and goes on: what [`CallOptions::yielding`] runs as
/// its `on_long_call`. The other tasks are served there meanwhile, and this
/// thread, which keeps running the call, leaves the runtime's workers when
/// the calling task next yields.
///
/// `block_in_place` hands the worker's core to a new thread, but takes it
/// back if the closure returns before that thread has picked it up; so the
/// closure waits for a probe task, which only the core's new owner can run.
/// Outside a multi-threaded runtime's worker (a test's host, a
/// current-thread runtime) it does nothing.
pub fn yield_worker() {
    let Ok(handle) = Handle::try_current() else {
        return;
    };
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return;
    }
    ::tokio::task::block_in_place(|| {
        let (moved, wait) = std::sync::mpsc::sync_channel(1);
        handle.spawn(async move {
            let _ = moved.send(());
        });
        // If no thread takes the core in time (the blocking pool is full),
        // the call goes on here as before, holding up this worker.
        let _ = wait.recv_timeout(Duration::from_millis(5));
    });
}

impl CallOptions {
    /// These options, with [`yield_worker`] run when the call becomes long
    /// (after any `on_long_call` already set): for a blocking call made on a
    /// tokio worker, as a server's connection task makes them.
    pub fn yielding(mut self) -> CallOptions {
        self.on_long_call = Some(match self.on_long_call.take() {
            None => Arc::new(yield_worker),
            Some(first) => Arc::new(move || {
                first();
                yield_worker();
            }),
        });
        self
    }
}

impl Host {
    /// [`Host::call_vals`] from async code: see [the module](crate::tokio).
    pub async fn call_vals_async(
        &self,
        plugin: &str,
        function: &str,
        args: Vec<Val>,
        opts: CallOptions,
    ) -> CallReport {
        self.call_async_with(
            plugin,
            function,
            move |host, plugin, function, opts| host.call_vals(plugin, function, &args, opts),
            opts,
        )
        .await
    }

    /// [`Host::call_bytes`] from async code: see [the module](crate::tokio).
    pub async fn call_bytes_async(
        &self,
        plugin: &str,
        function: &str,
        args: Vec<Vec<u8>>,
        opts: CallOptions,
    ) -> CallReport {
        self.call_async_with(
            plugin,
            function,
            move |host, plugin, function, opts| {
                let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                host.call_bytes(plugin, function, &args, opts)
            },
            opts,
        )
        .await
    }

    /// [`Host::call_wave`] (with options) from async code: see [the
    /// module](crate::tokio).
    pub async fn call_wave_async(
        &self,
        plugin: &str,
        function: &str,
        args: Vec<String>,
        opts: CallOptions,
    ) -> CallReport {
        self.call_async_with(
            plugin,
            function,
            move |host, plugin, function, opts| {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                host.call_wave_with(plugin, function, &args, opts)
            },
            opts,
        )
        .await
    }

    async fn call_async_with<F>(
        &self,
        plugin: &str,
        function: &str,
        call: F,
        opts: CallOptions,
    ) -> CallReport
    where
        F: FnOnce(&Host, &str, &str, &CallOptions) -> CallReport + Send + 'static,
    {
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => call(self, plugin, function, &opts.yielding()),
            Ok(_) => {
                let (host, p, f) = (self.clone(), plugin.to_string(), function.to_string());
                match ::tokio::task::spawn_blocking(move || call(&host, &p, &f, &opts)).await {
                    Ok(report) => report,
                    Err(e) => CallReport::failed(CallError::Host(format!(
                        "the thread running `{plugin}.{function}` failed: {e}"
                    ))),
                }
            }
            // Polled outside tokio: nothing to hand over.
            Err(_) => call(self, plugin, function, &opts),
        }
    }
}
