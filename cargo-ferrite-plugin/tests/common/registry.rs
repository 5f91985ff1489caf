//! Helpers the registry tests share: keys made by `keygen`, the real binary
//! run in an empty directory, snapshots of directories, and a static HTTP
//! server on 127.0.0.1 serving a registry directory.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// A key pair made by `keygen` in a temporary directory.
pub struct Keys {
    pub dir: tempfile::TempDir,
}

impl Keys {
    pub fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let out = run(&["keygen", "--out"], &[dir.path()]);
        assert!(out.status.success(), "{}", stderr(&out));
        Keys { dir }
    }

    pub fn secret(&self) -> PathBuf {
        self.dir.path().join("ferrite-plugin.key")
    }

    pub fn public(&self) -> PathBuf {
        self.dir.path().join("ferrite-plugin.pub")
    }

    pub fn id(&self) -> String {
        let public: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.public()).unwrap()).unwrap();
        public["id"].as_str().unwrap().to_string()
    }
}

/// `cargo ferrite-plugin <args> <paths>`, in an empty directory.
pub fn run(args: &[&str], paths: &[&Path]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    cli()
        .arg("ferrite-plugin")
        .args(args)
        .args(paths)
        .current_dir(cwd.path())
        .env_remove("FERRITE_PLUGIN_REGISTRY")
        .env("XDG_CONFIG_HOME", cwd.path())
        .output()
        .unwrap()
}

pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out) + &stderr(&out)
}

/// Publishes `component` (written to a temporary file) with `publish --wasm`.
pub fn publish_wasm(registry: &Path, keys: &Keys, component: &[u8]) -> Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), component).unwrap();
    let secret = keys.secret();
    run(
        &["publish", "--registry"],
        &[
            registry,
            "--key".as_ref(),
            &secret,
            "--wasm".as_ref(),
            file.path(),
        ],
    )
}

/// Every file under `dir` (hidden ones too) with its contents; empty if
/// `dir` does not exist.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.insert(path.clone(), Vec::new());
            files.extend(snapshot(&path));
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("`{}` is not valid JSON: {e}", path.display()))
}

pub fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Calls `hello` in an installed component and returns its WAVE result.
pub fn call_hello(component: &Path) -> String {
    let out = run(
        &["call", "--wasm"],
        &[component, "hello".as_ref(), "\"bob\"".as_ref()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

/// A static file server for `root` on 127.0.0.1. With `truncate` set, it
/// promises whole `.wasm` files and sends half of each.
pub struct Server {
    pub addr: SocketAddr,
    pub truncate: Arc<AtomicBool>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let truncate = Arc::new(AtomicBool::new(false));
        let (root, flag) = (root.to_path_buf(), truncate.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (root, truncate) = (root.clone(), flag.load(Ordering::SeqCst));
                std::thread::spawn(move || {
                    let _ = respond(stream, &root, truncate);
                });
            }
        });
        Server { addr, truncate }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn respond(mut stream: TcpStream, root: &Path, truncate: bool) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let rel = request
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/');
    let body = if rel.split('/').any(|c| c == "..") {
        None
    } else {
        std::fs::read(root.join(rel)).ok()
    };
    match body {
        Some(body) => {
            let sent = if truncate && rel.ends_with(".wasm") {
                &body[..body.len() / 2]
            } else {
                &body[..]
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(sent)?;
        }
        None => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
    }
    stream.flush()
}
