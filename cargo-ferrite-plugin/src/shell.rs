//! Output in cargo's style: right-aligned green status verbs, `warning:` and
//! `error:` prefixes, `--quiet`, `--verbose` and `--color`.

use std::fmt::Display;
use std::io::Write;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use ferrite_plugin_build::Reporter;
pub use ferrite_plugin_build::Verbosity;

/// When to color output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// Color when writing to a terminal (honours `CARGO_TERM_COLOR` and `NO_COLOR`).
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// Where status and diagnostics go: standard error.
pub struct Shell {
    verbosity: Verbosity,
    err: AutoStream<std::io::Stderr>,
    color: ColorChoice,
}

const STATUS: Style = AnsiColor::Green.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();

impl Shell {
    /// A shell printing at `verbosity`, colored per `color`.
    pub fn new(verbosity: Verbosity, color: Color) -> Shell {
        let choice = match color {
            Color::Always => ColorChoice::Always,
            Color::Never => ColorChoice::Never,
            Color::Auto => match std::env::var("CARGO_TERM_COLOR").as_deref() {
                Ok("always") => ColorChoice::Always,
                Ok("never") => ColorChoice::Never,
                _ => ColorChoice::Auto,
            },
        };
        Shell {
            verbosity,
            err: AutoStream::new(std::io::stderr(), choice),
            color: choice,
        }
    }

    /// Another shell printing like this one (for a background thread).
    pub fn fork(&self) -> Shell {
        Shell {
            verbosity: self.verbosity,
            err: AutoStream::new(std::io::stderr(), self.color),
            color: self.color,
        }
    }

    /// The verbosity.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// The `--color` value to pass on to cargo.
    pub fn color_arg(&self) -> &'static str {
        match self.color {
            ColorChoice::Always | ColorChoice::AlwaysAnsi => "always",
            ColorChoice::Never => "never",
            ColorChoice::Auto => "auto",
        }
    }

    /// `   Compiling foo`: a status line, unless quiet.
    pub fn status(&mut self, verb: &str, message: impl Display) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(self.err, "{STATUS}{verb:>12}{STATUS:#} {message}");
        }
    }

    /// A status line shown only with `--verbose`.
    pub fn verbose(&mut self, verb: &str, message: impl Display) {
        if self.verbosity == Verbosity::Verbose {
            self.status(verb, message);
        }
    }

    /// `warning: ...`, unless quiet.
    pub fn warn(&mut self, message: impl Display) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(self.err, "{WARN}warning{WARN:#}: {message}");
        }
    }

    /// `note: ...`, unless quiet.
    pub fn note(&mut self, message: impl Display) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(self.err, "{NOTE}note{NOTE:#}: {message}");
        }
    }

    /// `error: ...` with the error's causes, as cargo prints them.
    pub fn error(&mut self, error: &anyhow::Error) {
        let _ = writeln!(self.err, "{ERROR}error{ERROR:#}: {error}");
        let causes: Vec<String> = error.chain().skip(1).map(|c| c.to_string()).collect();
        if !causes.is_empty() {
            let _ = writeln!(self.err, "\nCaused by:");
            for cause in causes {
                for line in cause.lines() {
                    let _ = writeln!(self.err, "  {line}");
                }
            }
        }
    }

    /// A plain line on standard error (test output, logs).
    pub fn line(&mut self, message: impl Display) {
        let _ = writeln!(self.err, "{message}");
    }
}

/// A build reports through the shell; cargo writes its own output to standard
/// error, as the shell does.
impl Reporter for Shell {
    fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    fn status(&mut self, verb: &str, message: &str) {
        Shell::status(self, verb, message);
    }

    fn warn(&mut self, message: &str) {
        Shell::warn(self, message);
    }

    fn cargo_color(&self) -> &'static str {
        self.color_arg()
    }
}

/// A size as cargo-ish humans read it: `17.3 KiB`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
