//! Whole-file writes and locks.

use std::io::Write;
use std::path::Path;

use crate::error::{Result, write_error};

/// Writes `bytes` to `path` through a temporary file in the same directory and
/// a rename, with Unix permissions `mode`: readers see the old file or the new.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_atomic_at(path, bytes, mode, None)
}

/// [`write_atomic`], stopping at crash point `crash` halfway through the
/// temporary file (see [`crate::crash_point`]).
pub fn write_atomic_at(path: &Path, bytes: &[u8], mode: u32, crash: Option<&str>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |e: std::io::Error| write_error(path, e);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(err)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    tmp.write_all(first).map_err(err)?;
    if let Some(step) = crash {
        tmp.as_file().sync_all().map_err(err)?;
        crate::crash_point(step);
    }
    tmp.write_all(rest).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// An exclusive lock on `path` (created if missing), released when dropped.
pub struct Lock(#[allow(dead_code)] std::fs::File);

/// Takes the exclusive lock on `path`, waiting for other holders.
pub fn lock(path: &Path) -> Result<Lock> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| write_error(path, e))?;
    file.lock().map_err(|e| write_error(path, e))?;
    Ok(Lock(file))
}
