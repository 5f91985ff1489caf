//! `cargo ferrite-plugin`: build, test and ship Ferrite plugins.
//!
//! The binary is a thin clap front end over this library: [`commands`] holds
//! one module per subcommand, [`ops`] the work they do. Building a plugin is
//! `ferrite-plugin-build`'s, which reports through [`shell::Shell`].

pub mod commands;
pub mod ops;
pub mod shell;

use clap::{Parser, Subcommand};
use ferrite_plugin_build::CompileFailed;

/// Some tests failed; the test output said which.
#[derive(Debug)]
pub struct TestsFailed(pub usize);

impl std::fmt::Display for TestsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} test{} failed",
            self.0,
            if self.0 == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for TestsFailed {}

/// Some exports failed `test --fuzz`; the output said which and with what.
#[derive(Debug)]
pub struct FuzzFailed(pub usize);

impl std::fmt::Display for FuzzFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} export{} failed fuzzing",
            self.0,
            if self.0 == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for FuzzFailed {}

/// Build, test and ship Ferrite plugins
#[derive(Parser, Debug)]
#[command(
    name = "cargo-ferrite-plugin",
    bin_name = "cargo ferrite-plugin",
    version
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print the commands run
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Coloring: auto, always, never
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: shell::Color,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    New(commands::new::NewCommand),
    Build(commands::build::BuildCommand),
    Test(commands::test::TestCommand),
    Call(commands::call::CallCommand),
    Inspect(commands::inspect::InspectCommand),
    Keygen(commands::keygen::KeygenCommand),
    Publish(commands::publish::PublishCommand),
    Yank(commands::yank::YankCommand),
    /// Make a yanked version resolvable again
    Unyank(commands::yank::YankCommand),
    Refresh(commands::refresh::RefreshCommand),
    Registry(commands::registry::RegistryCommand),
    Verify(commands::verify::VerifyCommand),
    Search(commands::search::SearchCommand),
    Info(commands::info::InfoCommand),
    Install(commands::install::InstallCommand),
    List(commands::list::ListCommand),
    Remove(commands::remove::RemoveCommand),
    Run(commands::run::RunCommand),
}

impl Cli {
    /// Parses `args` as given to `cargo-ferrite-plugin`, with or without the
    /// `ferrite-plugin` that cargo inserts when run as `cargo ferrite-plugin`.
    pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Cli {
        let mut args: Vec<_> = args.into_iter().collect();
        if args.get(1).is_some_and(|a| a == "ferrite-plugin") {
            args.remove(1);
        }
        Cli::parse_from(args)
    }

    /// Runs the command, reporting errors through `shell`. Returns the exit code.
    pub fn run(self) -> i32 {
        let verbosity = if self.quiet {
            shell::Verbosity::Quiet
        } else if self.verbose {
            shell::Verbosity::Verbose
        } else {
            shell::Verbosity::Normal
        };
        let mut shell = shell::Shell::new(verbosity, self.color);
        let result = match self.command {
            Command::New(cmd) => cmd.exec(&mut shell),
            Command::Build(cmd) => cmd.exec(&mut shell),
            Command::Test(cmd) => cmd.exec(&mut shell),
            Command::Call(cmd) => cmd.exec(&mut shell),
            Command::Inspect(cmd) => cmd.exec(&mut shell),
            Command::Keygen(cmd) => cmd.exec(&mut shell),
            Command::Publish(cmd) => cmd.exec(&mut shell),
            Command::Yank(cmd) => cmd.exec(&mut shell, true),
            Command::Unyank(cmd) => cmd.exec(&mut shell, false),
            Command::Refresh(cmd) => cmd.exec(&mut shell),
            Command::Registry(cmd) => cmd.exec(&mut shell),
            Command::Verify(cmd) => cmd.exec(&mut shell),
            Command::Search(cmd) => cmd.exec(&mut shell),
            Command::Info(cmd) => cmd.exec(&mut shell),
            Command::Install(cmd) => cmd.exec(&mut shell),
            Command::List(cmd) => cmd.exec(&mut shell),
            Command::Remove(cmd) => cmd.exec(&mut shell),
            Command::Run(cmd) => cmd.exec(&mut shell),
        };
        match result {
            Ok(()) => 0,
            // cargo printed the compiler's errors.
            Err(e) if e.is::<CompileFailed>() => 101,
            Err(e) if e.is::<TestsFailed>() || e.is::<FuzzFailed>() => {
                shell.error(&e);
                101
            }
            Err(e) => {
                shell.error(&e);
                1
            }
        }
    }
}
