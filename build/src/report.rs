//! How a build tells its caller what it does: the [`Reporter`] trait, and
//! [`Quiet`], which reports nothing.

use std::process::Stdio;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Status lines and warnings.
    Normal,
    /// Also the commands run.
    Verbose,
}

/// Where a build reports its progress, in cargo's style.
///
/// Two kinds of output reach the user during a build:
///
/// * cargo's own — its `Compiling` and `Finished` lines and the compiler's
///   rendered diagnostics — which cargo writes itself to
///   [`cargo_stderr`](Reporter::cargo_stderr) (this process's standard error
///   by default), told [`verbosity`](Reporter::verbosity) (`--quiet`,
///   `--verbose`) and [`cargo_color`](Reporter::cargo_color) (`--color`);
/// * the build's: [`warn`](Reporter::warn)ings about a plugin and, with
///   [`Verbosity::Verbose`], the commands it runs
///   ([`verbose`](Reporter::verbose)).
///
/// A failed compile is [`CompileFailed`](crate::CompileFailed): cargo has
/// already said why, so a caller reports it once, not again.
///
/// `cargo ferrite-plugin` implements it with its shell; [`Quiet`] is for
/// tests and tools.
pub trait Reporter {
    /// How much to print; cargo runs with `--quiet` or `--verbose` to match.
    fn verbosity(&self) -> Verbosity;

    /// `   Compiling foo`: a status line, a right-aligned verb and a message.
    fn status(&mut self, verb: &str, message: &str);

    /// `warning: ...`.
    fn warn(&mut self, message: &str);

    /// A status line shown only at [`Verbosity::Verbose`].
    fn verbose(&mut self, verb: &str, message: &str) {
        if self.verbosity() == Verbosity::Verbose {
            self.status(verb, message);
        }
    }

    /// The value of cargo's `--color`: `auto`, `always` or `never`.
    fn cargo_color(&self) -> &'static str {
        "auto"
    }

    /// Where cargo writes its own output (status lines and diagnostics):
    /// by default this process's standard error, as if the user had run
    /// cargo. The build reads cargo's standard output itself.
    fn cargo_stderr(&mut self) -> Stdio {
        Stdio::inherit()
    }
}

/// Reports nothing. cargo runs with `--quiet --color never` and still writes
/// the errors of a failed compile to standard error, so a test that fails to
/// build its plugin says why.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Reporter for Quiet {
    fn verbosity(&self) -> Verbosity {
        Verbosity::Quiet
    }

    fn status(&mut self, _verb: &str, _message: &str) {}

    fn warn(&mut self, _message: &str) {}

    fn cargo_color(&self) -> &'static str {
        "never"
    }
}

/// A failed compile. cargo has already printed the compiler's errors (to
/// [`Reporter::cargo_stderr`]), so a caller should not print them again:
/// `cargo ferrite-plugin` exits with cargo's status 101 without a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileFailed;

impl std::fmt::Display for CompileFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the build failed; see the errors above")
    }
}

impl std::error::Error for CompileFailed {}
