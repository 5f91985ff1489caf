//! [`HostConfig`]: the operator's caps and the engine's settings.

use std::path::PathBuf;
use std::time::Duration;

use crate::manifest::Limits;

/// The operator's settings for a [`Host`](crate::Host).
///
/// The caps bound every plugin: a plugin's `[limits]` may lower them, never
/// raise them. The defaults suit a server: 5 s, 64 MiB of linear memory and
/// 512 KiB of wasm stack per call, a pool of 256 instances, and no fuel
/// metering (the deadline bounds each call's CPU time too; see
/// [`HostConfig::max_fuel`]).
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Fuel per call (roughly, wasm instructions): a deterministic CPU
    /// budget, and then a plugin's `[limits] fuel` applies too. `None` (the
    /// default) turns fuel metering off: a call is then bounded by its
    /// wall-clock deadline alone, which bounds its CPU time as well, and the
    /// compiled code carries one check per loop instead of two (fuel and the
    /// deadline together cost about twice as much as the deadline alone on
    /// tight loops; BENCHMARKS.md). `cargo ferrite-plugin test` and `call`
    /// meter fuel with [`HostConfig::DEFAULT_FUEL`], so a plugin's tests
    /// report the fuel they use and fail on its limit.
    pub max_fuel: Option<u64>,
    /// Wall-clock time per call, enforced by epoch interruption. `None` turns it off.
    pub max_timeout: Option<Duration>,
    /// Linear memory per instance, in bytes.
    pub max_memory: usize,
    /// Wasm stack per call, in bytes.
    pub max_stack: usize,
    /// Instances that may exist at once across all plugins (the pooling
    /// allocator's size). `0` uses on-demand allocation instead of a pool.
    pub pool_size: u32,
    /// How often the epoch advances; the granularity of timeouts.
    pub epoch_tick: Duration,
    /// Where precompiled components are cached, keyed by content hash and
    /// engine settings. `None` compiles every load. The directory must be
    /// trusted: whoever can write to it can run native code in the host.
    pub cache_dir: Option<PathBuf>,
    /// The Ferrite version plugins' `min_ferrite_version` is checked
    /// against. It also decides which host API versions are served
    /// ([`ApiVersion::served_by`](crate::ApiVersion::served_by)): an older
    /// one makes a host that behaves as that Ferrite release does.
    pub ferrite_version: semver::Version,
    /// Seeds the numbers plugins draw from `random`, for reproducible runs;
    /// `None` draws them from the operating system.
    pub random_seed: Option<u64>,
    /// Run a call that outlasts a slice ([`SLICE_TICKS`](crate::SLICE_TICKS)
    /// epoch ticks) at the lowest CPU priority (nice 19) until it ends, so
    /// that on a machine whose cores are all busy the threads serving other
    /// clients run first. Linux only, and only where the process may give
    /// the thread its priority back (root, `CAP_SYS_NICE`, or a high enough
    /// `RLIMIT_NICE`, e.g. `ulimit -e 20`); elsewhere nothing is lowered.
    pub lower_long_calls: bool,
}

impl HostConfig {
    /// The fuel cap of a host that meters fuel: a billion units, about a
    /// second of computation.
    pub const DEFAULT_FUEL: u64 = 1_000_000_000;

    /// The defaults, with fuel metered ([`HostConfig::DEFAULT_FUEL`]): what
    /// `cargo ferrite-plugin test` and `call` run plugins under.
    pub fn metering_fuel() -> HostConfig {
        HostConfig {
            max_fuel: Some(Self::DEFAULT_FUEL),
            ..HostConfig::default()
        }
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            max_fuel: None,
            max_timeout: Some(Duration::from_secs(5)),
            max_memory: 64 << 20,
            max_stack: 512 << 10,
            pool_size: 256,
            epoch_tick: Duration::from_millis(1),
            cache_dir: None,
            ferrite_version: semver::Version::new(0, 3, 0),
            random_seed: None,
            lower_long_calls: true,
        }
    }
}

/// The limits one plugin's calls run under: its `[limits]`, capped by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveLimits {
    /// Fuel per call, if metered.
    pub fuel: Option<u64>,
    /// Wall-clock deadline per call, if enforced.
    pub timeout: Option<Duration>,
    /// Linear memory, in bytes.
    pub memory: usize,
}

impl EffectiveLimits {
    /// The lower of each of the plugin's limits and the host's caps.
    pub fn new(plugin: &Limits, host: &HostConfig) -> EffectiveLimits {
        let min = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        EffectiveLimits {
            // Metering that the host turned off stays off.
            fuel: host
                .max_fuel
                .map(|cap| min(plugin.fuel, Some(cap)).unwrap_or(cap)),
            timeout: host.max_timeout.map(|cap| {
                plugin
                    .timeout_ms
                    .map_or(cap, |ms| Duration::from_millis(ms).min(cap))
            }),
            memory: plugin.memory_mb.map_or(host.max_memory, |mb| {
                (mb as usize).saturating_mul(1 << 20).min(host.max_memory)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_of_plugin_and_host_wins() {
        let host = HostConfig::default();
        let plugin = Limits {
            fuel: Some(10),
            memory_mb: Some(1024),
            timeout_ms: Some(100),
        };
        let e = EffectiveLimits::new(&plugin, &host);
        assert_eq!(e.fuel, None, "the default host meters no fuel");
        assert_eq!(e.memory, 64 << 20);
        assert_eq!(e.timeout, Some(Duration::from_millis(100)));

        let unset = EffectiveLimits::new(&Limits::default(), &host);
        assert_eq!(unset.fuel, None, "fuel is off by default");
        let metered = HostConfig::metering_fuel();
        assert_eq!(
            EffectiveLimits::new(&plugin, &metered).fuel,
            Some(10),
            "the plugin's fuel limit applies where fuel is metered"
        );
        let unset = EffectiveLimits::new(&Limits::default(), &metered);
        assert_eq!(unset.fuel, Some(HostConfig::DEFAULT_FUEL));
        assert_eq!(unset.timeout, host.max_timeout);

        let off = HostConfig {
            max_fuel: None,
            max_timeout: None,
            ..HostConfig::default()
        };
        let e = EffectiveLimits::new(&plugin, &off);
        assert_eq!((e.fuel, e.timeout), (None, None));
    }
}
