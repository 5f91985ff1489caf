//! The on-disk cache of precompiled components.
//!
//! An entry is keyed by the component's SHA-256 and the engine's compatibility
//! hash (wasmtime version and every setting that changes the machine code), so
//! a component compiled under other settings is never looked up. Each file is
//! `MAGIC`, the SHA-256 of the payload, then the payload that
//! `Component::serialize` wrote. A file whose checksum does not match (torn,
//! corrupted, tampered with) is recompiled and overwritten, never loaded, and
//! wasmtime itself refuses a payload from another engine build.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"FPCACHE1";

/// Where the cache entry of `component` lives for `engine`.
pub(crate) fn entry_path(dir: &Path, engine: &Engine, component: &[u8]) -> PathBuf {
    struct ShaHasher(Sha256);
    impl Hasher for ShaHasher {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut h = ShaHasher(Sha256::new());
    h.0.update(Sha256::digest(component));
    engine.precompile_compatibility_hash().hash(&mut h);
    let key: String = h.0.finalize().iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{key}.cwasm"))
}

/// What [`load`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The entry was used.
    Hit,
    /// No entry: compiled and stored.
    Miss,
    /// An entry existed but was unusable: compiled and replaced.
    Replaced,
}

/// The component for `bytes`: from the cache in `dir` when a valid entry
/// exists, else compiled (and, best effort, stored).
pub(crate) fn load(
    dir: &Path,
    engine: &Engine,
    bytes: &[u8],
) -> wasmtime::Result<(Component, CacheOutcome)> {
    let path = entry_path(dir, engine, bytes);
    let mut outcome = CacheOutcome::Miss;
    if let Ok(data) = std::fs::read(&path) {
        outcome = CacheOutcome::Replaced;
        if let Some(payload) = verified(&data) {
            // SAFETY: the payload is what `Component::serialize` wrote for this
            // engine (its checksum matches, and wasmtime checks the engine's
            // version and settings before using it), in a directory the
            // operator trusts.
            if let Ok(component) = unsafe { Component::deserialize(engine, payload) } {
                return Ok((component, CacheOutcome::Hit));
            }
        }
        tracing::warn!(path = %path.display(), "ignoring an unusable cache entry; recompiling");
    }
    let component = Component::new(engine, bytes)?;
    if let Err(e) = store(&path, &component.serialize()?) {
        tracing::warn!(path = %path.display(), error = %e, "could not write the compilation cache");
    }
    Ok((component, outcome))
}

fn verified(data: &[u8]) -> Option<&[u8]> {
    let rest = data.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < 32 {
        return None;
    }
    let (sum, payload) = rest.split_at(32);
    (Sha256::digest(payload).as_slice() == sum).then_some(payload)
}

fn store(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(MAGIC)?;
    tmp.write_all(&Sha256::digest(payload))?;
    tmp.write_all(payload)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_accepts_only_intact_entries() {
        let payload = b"compiled code".to_vec();
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(&Sha256::digest(&payload));
        data.extend_from_slice(&payload);
        assert_eq!(verified(&data), Some(payload.as_slice()));

        let mut flipped = data.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(verified(&flipped), None);
        assert_eq!(verified(&data[..data.len() - 1]), None);
        assert_eq!(verified(b"FPCACHE1"), None);
        assert_eq!(verified(b"something else entirely"), None);
    }
}
