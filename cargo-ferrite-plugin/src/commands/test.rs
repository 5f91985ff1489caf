use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use ferrite_plugin_build::BuildOptions;

use crate::TestsFailed;
use crate::ops::test::{TestOptions, test};
use crate::shell::Shell;

/// Run the plugin's #[ferrite_plugin::test] functions inside the plugin host
///
/// Builds the plugin with its tests (they never reach the published component),
/// then runs each test in the embedded host under the plugin's production
/// limits and permissions, with a fresh in-memory keyspace per test.
#[derive(Args, Debug)]
pub struct TestCommand {
    /// Run only tests whose name contains this text
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

    /// Mix this into every test's random seed, for other (still repeatable) random numbers
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

impl TestCommand {
    pub fn exec(self, shell: &mut Shell) -> Result<()> {
        let opts = TestOptions {
            build: BuildOptions {
                release: self.release,
                manifest_path: self.manifest_path,
                packages: self.packages,
                tests: true,
                ferrite_version: self.ferrite_version,
            },
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
