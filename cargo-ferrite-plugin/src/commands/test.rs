use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_build::BuildOptions;

use crate::ops::fuzz::{DEFAULT_CASES, DEFAULT_MAX_LEN, FuzzOptions, fuzz};
use crate::ops::test::{TestOptions, test};
use crate::shell::Shell;
use crate::{FuzzFailed, TestsFailed};

/// Run the plugin's #[ferrite_plugin::test] functions inside the plugin host
///
/// Builds the plugin with its tests (they never reach the published component),
/// then runs each test in the embedded host under the plugin's production
/// limits and permissions, with a fresh in-memory keyspace per test.
///
/// With --fuzz, calls every exported function, command and hook with inputs
/// generated from its WIT types instead (extremes, NaN and -0.0, any Unicode,
/// empty and long lists, every case of each variant): each function in the
/// host under the production limits and natively (the crate's rlib), a
/// failure being a trap or panic, a limit breached, or a native result
/// other than the host's. The first failure of each export is shrunk to a
/// minimal input, printed as a `cargo ferrite-plugin call` command line.
/// `#[ferrite_plugin::fuzz(...)]` on an export narrows its inputs.
#[derive(Args, Debug)]
pub struct TestCommand {
    /// Run only tests (with --fuzz: exports) whose name contains this text
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,

    /// Build with the release profile
    #[arg(short = 'r', long)]
    pub release: bool,

    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Plugin package(s) to test [default: the current package, or every plugin in the workspace]
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub packages: Vec<String>,

    /// Show what passing tests logged, too
    #[arg(long)]
    pub nocapture: bool,

    /// Test against the host API of this Ferrite version (e.g. `0.2.0`), as
    /// a server of that release would run the plugin [default: the newest]
    #[arg(long, value_name = "VERSION")]
    pub ferrite_version: Option<semver::Version>,

    /// Mix this into every test's random seed, for other (still repeatable)
    /// random numbers; with --fuzz, the seed of the generated inputs
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Fuzz the exports with generated inputs instead of running the tests
    #[arg(long)]
    pub fuzz: bool,

    /// Inputs per export, with --fuzz
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CASES, requires = "fuzz")]
    pub cases: u32,

    /// The most items of a generated list or string (a command's words), with
    /// --fuzz; nested lists get half as many per level
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_LEN, requires = "fuzz")]
    pub max_len: usize,
}

impl TestCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let build = BuildOptions {
            release: self.release,
            manifest_path: self.manifest_path,
            packages: self.packages,
            tests: !self.fuzz,
            ferrite_version: self.ferrite_version,
        };
        if self.fuzz {
            let summary = fuzz(
                shell,
                &FuzzOptions {
                    build,
                    filter: self.filter,
                    cases: self.cases,
                    seed: self.seed,
                    max_len: self.max_len,
                },
            )?;
            if summary.failed > 0 {
                return Err(FuzzFailed(summary.failed).into());
            }
            return Ok(());
        }
        let opts = TestOptions {
            build,
            filter: self.filter,
            nocapture: self.nocapture,
            seed: self.seed,
        };
        let summary = test(shell, &opts)?;
        if summary.failed > 0 {
            return Err(TestsFailed(summary.failed).into());
        }
        Ok(())
    }
}
