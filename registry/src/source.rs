//! Where a registry is: a directory (or `file://` URL), or an `http(s)://` URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{RegistryError, Result, read_error};
use crate::format::{self, Index, Keys};

/// The most bytes an index or key file may have.
pub const MAX_INDEX: u64 = 64 << 20;
/// The most bytes a component may have.
pub const MAX_COMPONENT: u64 = 256 << 20;

/// A registry's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory: readable and writable.
    Dir(PathBuf),
    /// A base URL: read-only.
    Http(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Dir(p) => write!(f, "{}", p.display()),
            Source::Http(u) => f.write_str(u),
        }
    }
}

impl Source {
    /// A directory path, a `file://` URL or an `http(s)://` URL.
    pub fn parse(text: &str) -> Source {
        if text.starts_with("http://") || text.starts_with("https://") {
            Source::Http(text.trim_end_matches('/').to_string())
        } else if let Some(path) = text.strip_prefix("file://") {
            Source::Dir(PathBuf::from(path))
        } else {
            Source::Dir(PathBuf::from(text))
        }
    }

    /// The directory, for writing; an HTTP registry is read-only.
    pub fn dir(&self) -> Result<&Path> {
        match self {
            Source::Dir(p) => Ok(p),
            Source::Http(u) => Err(RegistryError::ReadOnly(u.clone())),
        }
    }

    /// The file at `rel` (a path built from checked names only), or `None` if
    /// it does not exist. At most `limit` bytes.
    pub fn fetch(&self, rel: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        match self {
            Source::Dir(dir) => {
                let path = dir.join(rel);
                match std::fs::metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(read_error(&path, e)),
                    Ok(m) if m.len() > limit => {
                        return Err(RegistryError::Io {
                            action: "refusing to read",
                            path,
                            reason: format!("it is larger than {limit} bytes"),
                        });
                    }
                    Ok(_) => {}
                }
                std::fs::read(&path)
                    .map(Some)
                    .map_err(|e| read_error(&path, e))
            }
            Source::Http(base) => {
                let url = format!("{base}/{rel}");
                let network = |reason: String| RegistryError::Network {
                    url: url.clone(),
                    reason,
                };
                let agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(120)))
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                let mut response = agent.get(&url).call().map_err(|e| network(e.to_string()))?;
                match response.status().as_u16() {
                    200 => {}
                    404 => return Ok(None),
                    status => return Err(network(format!("the server answered HTTP {status}"))),
                }
                let expected = response.body().content_length();
                let bytes = response
                    .body_mut()
                    .with_config()
                    .limit(limit)
                    .read_to_vec()
                    .map_err(|e| match expected {
                        Some(n) => network(format!(
                            "the download was truncated: the connection ended before all {n} bytes arrived ({e})"
                        )),
                        None => network(format!("the download failed: {e}")),
                    })?;
                if let Some(n) = expected
                    && n != bytes.len() as u64
                {
                    return Err(network(format!(
                        "the download was truncated ({} of {n} bytes)",
                        bytes.len()
                    )));
                }
                Ok(Some(bytes))
            }
        }
    }

    /// Its index.
    pub fn index(&self) -> Result<Index> {
        match self.fetch("registry.json", MAX_INDEX)? {
            Some(bytes) => format::parse_index(&self.to_string(), &bytes),
            None => Err(RegistryError::Malformed {
                registry: self.to_string(),
                file: "registry.json",
                reason: "it does not exist: is this a registry? (`cargo ferrite-plugin publish` creates one)".into(),
            }),
        }
    }

    /// Its keys (none if it has no `keys.json`).
    pub fn keys(&self) -> Result<Keys> {
        match self.fetch("keys.json", MAX_INDEX)? {
            Some(bytes) => format::parse_keys(&self.to_string(), &bytes),
            None => Ok(Keys {
                format: format::FORMAT,
                keys: Vec::new(),
            }),
        }
    }
}

/// The path of a version's file in a registry.
pub fn artifact_path(name: &str, version: &semver::Version, file: &str) -> String {
    format!("plugins/{name}/{version}/{file}")
}
