//! The native side: a small harness crate that links the plugin's rlib and
//! calls its functions' native entry points (`__ferrite_native__<path>`,
//! which `#[ferrite_plugin::function]` exports outside wasm32), built with
//! cargo and run once per plugin, inputs streamed through it.
//!
//! The harness lives in `<target>/ferrite-plugin/fuzz/<package>/`, its own
//! workspace with the plugin's `Cargo.lock` and profiles, built into the
//! plugin's target directory. Requests go to its stdin (a `u32` function
//! index, a `u32` length, the arguments as `ferrite_plugin::dynamic` encodes
//! them); each answer comes on its stdout after the marker `\0FPR` (a `u32`
//! length, the encoded outcome), so that what the plugin prints natively
//! does not get in the way.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ferrite_plugin::dynamic::{self, NativeOutcome, Value};
use ferrite_plugin_build::cargo_metadata::{Message, Package, TargetKind};

use crate::shell::{Shell, Verbosity};
use ferrite_plugin_build::{CompileFailed, fs_util};

/// The marker before each answer.
const MARKER: &[u8; 4] = b"\0FPR";

/// What a harness is built from.
pub struct Plan<'a> {
    /// The plugin's package.
    pub package: &'a Package,
    /// Its workspace root (for `Cargo.lock` and the profiles).
    pub workspace_root: &'a Path,
    /// The target directory to build in.
    pub target_dir: &'a Path,
    /// The Rust paths of the functions to call, in the order of their indices.
    pub functions: &'a [String],
    /// Build with the release profile.
    pub release: bool,
}

/// Fails, saying how to fix it, when `package` builds no Rust library that
/// a native program can link.
pub fn check_rlib(package: &Package) -> Result<()> {
    let lib = package.targets.iter().find(|t| {
        t.kind.iter().any(|k| {
            matches!(
                k,
                TargetKind::Lib | TargetKind::RLib | TargetKind::CDyLib | TargetKind::DyLib
            )
        })
    });
    let links = lib.is_some_and(|t| {
        t.crate_types.iter().any(|c| {
            matches!(
                c,
                ferrite_plugin_build::cargo_metadata::CrateType::Lib
                    | ferrite_plugin_build::cargo_metadata::CrateType::RLib
            )
        })
    });
    if !links {
        bail!(
            "`test --fuzz` calls the functions of `{}` natively too, to compare them with the host's results, which needs its Rust library: add \"rlib\" to `crate-type` under `[lib]` in `{}`: crate-type = [\"cdylib\", \"rlib\"]",
            package.name,
            package.manifest_path
        );
    }
    Ok(())
}

/// A TOML string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The harness's `Cargo.toml`.
fn manifest(plan: &Plan<'_>) -> Result<String> {
    let dir = plan
        .package
        .manifest_path
        .parent()
        .context("the package's manifest has no directory")?;
    let mut out = format!(
        "# Written by `cargo ferrite-plugin test --fuzz` on every run: it calls\n\
         # `{name}`'s functions natively.\n\
         [package]\n\
         name = {bin}\n\
         version = \"0.0.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\n\
         [dependencies]\n\
         plugin = {{ package = {name_str}, path = {dir} }}\n\n\
         [workspace]\n",
        name = plan.package.name,
        bin = toml_str(&binary_name(plan.package)),
        name_str = toml_str(&plan.package.name),
        dir = toml_str(dir.as_str()),
    );
    // The plugin's profiles, so that both builds check overflows (or do not)
    // alike; overrides of other packages are left out, as cargo warns about
    // those that match nothing here.
    let root = plan.workspace_root.join("Cargo.toml");
    let text = std::fs::read_to_string(&root)
        .with_context(|| format!("failed to read `{}`", root.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("`{}` is not valid TOML", root.display()))?;
    if let Some(toml::Value::Table(profiles)) = table.get("profile") {
        let mut kept = toml::Table::new();
        for (name, profile) in profiles {
            let toml::Value::Table(profile) = profile else {
                continue;
            };
            let mut profile = profile.clone();
            if let Some(toml::Value::Table(packages)) = profile.get_mut("package") {
                packages.retain(|p, _| p == "*" || p == plan.package.name.as_str());
                if packages.is_empty() {
                    profile.remove("package");
                }
            }
            kept.insert(name.clone(), toml::Value::Table(profile));
        }
        let mut wrapper = toml::Table::new();
        wrapper.insert("profile".into(), toml::Value::Table(kept));
        out.push('\n');
        out.push_str(&toml::to_string(&wrapper)?);
    }
    Ok(out)
}

/// The harness's binary name.
fn binary_name(package: &Package) -> String {
    format!("ferrite-fuzz-{}", package.name)
}

/// The harness's `main.rs`.
fn main_rs(plan: &Plan<'_>) -> String {
    let mut decls = String::new();
    let mut entries = Vec::new();
    for (i, path) in plan.functions.iter().enumerate() {
        decls.push_str(&format!(
            "    #[link_name = \"{}{}\"]\n    safe fn f{i}(input: &[u8]) -> Vec<u8>;\n",
            dynamic::SYMBOL_PREFIX,
            path.escape_default()
        ));
        entries.push(format!("f{i}"));
    }
    format!(
        r#"//! Written by `cargo ferrite-plugin test --fuzz` on every run: calls
//! `{name}`'s functions natively, requests on stdin, answers on stdout.

extern crate plugin as _;

unsafe extern "Rust" {{
{decls}}}

static ENTRIES: [fn(&[u8]) -> Vec<u8>; {n}] = [{entries}];

fn main() {{
    use std::io::{{Read, Write}};
    let mut stdin = std::io::stdin().lock();
    let mut input = Vec::new();
    loop {{
        let mut header = [0u8; 8];
        if stdin.read_exact(&mut header).is_err() {{
            return;
        }}
        let index = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        input.resize(len, 0);
        if stdin.read_exact(&mut input).is_err() {{
            return;
        }}
        let output = ENTRIES.get(index).map_or_else(Vec::new, |f| f(&input));
        let mut stdout = std::io::stdout().lock();
        let written = stdout
            .write_all(b"\0FPR")
            .and_then(|()| stdout.write_all(&(output.len() as u32).to_le_bytes()))
            .and_then(|()| stdout.write_all(&output))
            .and_then(|()| stdout.flush());
        if written.is_err() {{
            return;
        }}
    }}
}}
"#,
        name = plan.package.name,
        n = entries.len(),
        entries = entries.join(", "),
    )
}

/// Writes and builds the harness; returns its executable.
pub fn build(shell: &mut Shell, plan: &Plan<'_>) -> Result<PathBuf> {
    let dir = plan
        .target_dir
        .join("ferrite-plugin")
        .join("fuzz")
        .join(plan.package.name.as_str());
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    // Rewritten only when changed, so that cargo does not relink for nothing.
    let write = |path: PathBuf, text: String| -> Result<()> {
        if std::fs::read(&path).ok().as_deref() == Some(text.as_bytes()) {
            return Ok(());
        }
        fs_util::write_atomic(&path, text.as_bytes())
    };
    write(dir.join("Cargo.toml"), manifest(plan)?)?;
    write(dir.join("src/main.rs"), main_rs(plan))?;
    // The plugin's lock file: the same dependency versions, no resolution
    // from scratch (cargo adds the harness itself).
    let lock = plan.workspace_root.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .with_context(|| format!("failed to copy `{}`", lock.display()))?;
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(plan.target_dir)
        .arg("--message-format=json-render-diagnostics")
        .args(["--color", shell.color_arg()]);
    if plan.release {
        cmd.arg("--release");
    }
    match shell.verbosity() {
        Verbosity::Quiet => {
            cmd.arg("--quiet");
        }
        Verbosity::Verbose => {
            cmd.arg("--verbose");
        }
        Verbosity::Normal => {}
    }
    shell.verbose("Running", format!("{cmd:?}"));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to run `{}`", cargo.to_string_lossy()))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let stderr = child.stderr.take().context("cargo's stderr")?;
    // cargo's own output goes on to ours as it comes, and is kept for the
    // explanation of a failed link.
    let relay = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let _ = std::io::stderr().write_all(&line);
            kept.extend_from_slice(&line);
            line.clear();
        }
        kept
    });
    let mut exe = None;
    for message in Message::parse_stream(BufReader::new(stdout)) {
        if let Message::CompilerArtifact(a) = message?
            && let Some(path) = a.executable
        {
            exe = Some(path.into_std_path_buf());
        }
    }
    let status = child.wait()?;
    let errors = String::from_utf8_lossy(&relay.join().unwrap_or_default()).into_owned();
    if !status.success() {
        if errors.contains(dynamic::SYMBOL_PREFIX) {
            bail!(
                "the native build of `{}` lacks its functions' native entry points: its `ferrite-plugin` SDK is older than this cargo-ferrite-plugin (they came with `test --fuzz`), or a function is compiled for wasm32 only; update the SDK, or `#[ferrite_plugin::fuzz(wasm_only)]` such a function",
                plan.package.name
            );
        }
        return Err(CompileFailed.into());
    }
    exe.context("cargo built no executable for the fuzzing harness")
}

/// What a native call answered.
#[derive(Debug)]
pub enum Reply {
    /// The call's outcome, and the host API it reached natively.
    Outcome(NativeOutcome, Option<String>),
    /// The harness died (an abort, `panic = "abort"`, a crash); it is started
    /// again for the next call.
    Crashed(String),
    /// No answer within the native time limit; the harness was stopped.
    TimedOut(Duration),
}

/// A running harness.
pub struct Harness {
    exe: PathBuf,
    log: PathBuf,
    timeout: Duration,
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<std::io::Result<Vec<u8>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Harness {
    /// A harness for `exe`, started on its first call; what the plugin
    /// writes to stderr natively goes to `log`. A call that takes longer
    /// than `timeout` is stopped.
    pub fn new(exe: PathBuf, log: PathBuf, timeout: Duration) -> Harness {
        Harness {
            exe,
            log,
            timeout,
            running: None,
        }
    }

    fn start(&self) -> Result<Running> {
        let log = std::fs::File::create(&self.log)
            .with_context(|| format!("failed to create `{}`", self.log.display()))?;
        let mut child = Command::new(&self.exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("failed to run `{}`", self.exe.display()))?;
        let stdin = child.stdin.take().context("the harness's stdin")?;
        let stdout = child.stdout.take().context("the harness's stdout")?;
        let (tx, answers) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let answer = next_answer(&mut reader);
                let stop = answer.is_err();
                if tx.send(answer).is_err() || stop {
                    return;
                }
            }
        });
        Ok(Running {
            child,
            stdin,
            answers,
        })
    }

    /// Calls function `index` with `args`.
    pub fn call(&mut self, index: u32, args: &[Value]) -> Result<Reply> {
        if self.running.is_none() {
            self.running = Some(self.start()?);
        }
        let running = self.running.as_mut().expect("started");
        let input = dynamic::encode_args(args);
        let mut request = Vec::with_capacity(8 + input.len());
        request.extend_from_slice(&index.to_le_bytes());
        request.extend_from_slice(&(input.len() as u32).to_le_bytes());
        request.extend_from_slice(&input);
        let sent = running
            .stdin
            .write_all(&request)
            .and_then(|()| running.stdin.flush());
        let answer = match sent {
            Ok(()) => running.answers.recv_timeout(self.timeout),
            Err(e) => Ok(Err(e)),
        };
        let reply = match answer {
            Ok(Ok(bytes)) => match dynamic::decode_outcome(&bytes) {
                Ok((outcome, host_api)) => return Ok(Reply::Outcome(outcome, host_api)),
                Err(e) => {
                    bail!("the native harness answered in a form this CLI does not read: {e}")
                }
            },
            Err(RecvTimeoutError::Timeout) => Reply::TimedOut(self.timeout),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                let status = running.child.wait().ok();
                let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Reply::Crashed(format!(
                    "the native build died ({}){}",
                    status.map_or("no status".to_string(), |s| s.to_string()),
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(":\n{}", tail.join("\n"))
                    }
                ))
            }
        };
        // Started afresh for the next call.
        self.running = None;
        Ok(reply)
    }
}

/// The next answer: what follows the next marker.
fn next_answer(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut window = [0u8; 4];
    let mut byte = [0u8; 1];
    loop {
        reader.read_exact(&mut byte)?;
        window = [window[1], window[2], window[3], byte[0]];
        if &window == MARKER {
            break;
        }
    }
    let mut len = [0u8; 4];
    reader.read_exact(&mut len)?;
    let mut answer = vec![0; u32::from_le_bytes(len) as usize];
    reader.read_exact(&mut answer)?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_found_after_what_the_plugin_printed() {
        let mut stream = b"hello\0 world\n".to_vec();
        stream.extend_from_slice(MARKER);
        stream.extend_from_slice(&3u32.to_le_bytes());
        stream.extend_from_slice(b"abc");
        stream.extend_from_slice(b"\0F");
        stream.extend_from_slice(MARKER);
        stream.extend_from_slice(&0u32.to_le_bytes());
        let mut reader = BufReader::new(&stream[..]);
        assert_eq!(next_answer(&mut reader).unwrap(), b"abc");
        assert_eq!(next_answer(&mut reader).unwrap(), b"");
        assert!(next_answer(&mut reader).is_err());
    }
}
