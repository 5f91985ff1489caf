//! Any command of the server, as Redis's Lua scripts reach them with
//! `redis.call`.
//!
//! Needs `keys = true` under `[permissions]` in `plugin.toml`, as [`crate::kv`]
//! does. The server refuses commands a plugin may never run (`FLUSHALL`,
//! `CONFIG`, `FUNCTION`, `PLUGIN`, `WASM.*`, `MULTI`, `SUBSCRIBE`, ...)
//! and, in a read-only call (`FCALL_RO`), every command that writes: both are
//! [`PluginError::PermissionDenied`].
//!
//! The reply is a [`Reply`] (the type commands answer with), read with its
//! accessors. It is the reply a RESP3 client gets (scores as doubles,
//! `ZRANGE ... WITHSCORES` as `[member, score]` pairs), except that a map
//! is an array of its keys and values in turn:
//!
//! ```no_run
//! use ferrite_plugin::server;
//!
//! server::call(&["HSET", "user:1", "name", "Ada", "lang", "en"])?;
//! let n = server::call(&["HLEN", "user:1"])?.as_integer();
//! assert_eq!(n, Some(2));
//! let fields = server::call(&["HKEYS", "user:1"])?;
//! assert_eq!(fields.as_array().map(<[_]>::len), Some(2));
//! // A command's own error reply is an `Err` from `call`, a value from `pcall`.
//! assert!(server::call(&["LPUSH", "user:1", "x"]).is_err());
//! assert!(server::pcall(&["LPUSH", "user:1", "x"])?.error().unwrap().starts_with("WRONGTYPE"));
//! # Ok::<(), ferrite_plugin::PluginError>(())
//! ```
//!
//! Needs host API 0.2.0 (Ferrite 0.3).
#![cfg(not(feature = "host-api-0-1"))]

use crate::PluginError;
use crate::command::Frame;
pub use crate::command::PluginResponse as Reply;

/// Runs the command `args` (its name first) and returns its reply; the
/// command's own error reply (`WRONGTYPE ...`, `ERR syntax error`) is
/// [`PluginError::InvalidArgument`] with the server's text.
pub fn call<A: AsRef<[u8]>>(args: &[A]) -> Result<Reply, PluginError> {
    match pcall(args)? {
        Reply::Error(text) => Err(PluginError::InvalidArgument(text)),
        reply => Ok(reply),
    }
}

/// Runs the command `args` and returns its reply, an error reply included
/// (`redis.pcall`). Refusals (a permission, a write in a read-only call) are
/// still an `Err`.
pub fn pcall<A: AsRef<[u8]>>(args: &[A]) -> Result<Reply, PluginError> {
    let words: Vec<&[u8]> = args.iter().map(AsRef::as_ref).collect();
    if words.is_empty() {
        return Err(PluginError::InvalidArgument(
            "`server::call` needs a command: pass its name first, then its arguments".into(),
        ));
    }
    #[cfg(target_arch = "wasm32")]
    {
        let frames = crate::bindings::server::call(&words)?;
        Reply::from_frames(frames)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::dynamic::reached_host_api("server");
        Err(PluginError::Host(
            "server commands are only available inside a plugin host; run `cargo ferrite-plugin test`"
                .into(),
        ))
    }
}

impl Reply {
    /// Rebuilds a reply from its frames in pre-order.
    pub fn from_frames(frames: Vec<Frame>) -> Result<Reply, PluginError> {
        fn next(it: &mut std::vec::IntoIter<Frame>, depth: usize) -> Result<Reply, PluginError> {
            let bad = || PluginError::Host("the server sent a malformed reply".into());
            if depth > 512 {
                return Err(bad());
            }
            Ok(match it.next().ok_or_else(bad)? {
                Frame::Ok => Reply::Ok,
                Frame::Simple(s) => Reply::Simple(s),
                Frame::Bulk(b) => Reply::Bulk(b),
                Frame::Integer(n) => Reply::Integer(n),
                Frame::Double(d) => Reply::Double(d),
                Frame::Null => Reply::Null,
                Frame::Error(e) => Reply::Error(e),
                Frame::Array(n) => {
                    let mut items = Vec::with_capacity((n as usize).min(it.len()));
                    for _ in 0..n {
                        items.push(next(it, depth + 1)?);
                    }
                    Reply::Array(items)
                }
            })
        }
        let mut it = frames.into_iter();
        let reply = next(&mut it, 0)?;
        if it.next().is_some() {
            return Err(PluginError::Host(
                "the server sent frames past its reply".into(),
            ));
        }
        Ok(reply)
    }

    /// A bulk or simple string's bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// A bulk or simple string as text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The bytes of a bulk or simple string, by value.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Simple(s) => Some(s.into_bytes()),
            _ => None,
        }
    }

    /// An integer, or a string holding a decimal integer (as RESP2 sends
    /// some numbers).
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            _ => self.as_str().and_then(|s| s.parse().ok()),
        }
    }

    /// A double, an integer, or a string holding a number (`ZSCORE` in RESP2).
    pub fn as_double(&self) -> Option<f64> {
        match self {
            Reply::Double(d) => Some(*d),
            Reply::Integer(n) => Some(*n as f64),
            _ => self.as_str().and_then(|s| match s {
                "inf" | "+inf" => Some(f64::INFINITY),
                "-inf" => Some(f64::NEG_INFINITY),
                s => s.parse().ok(),
            }),
        }
    }

    /// An array's items.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(items) => Some(items),
            _ => None,
        }
    }

    /// An array's items, by value.
    pub fn into_array(self) -> Option<Vec<Reply>> {
        match self {
            Reply::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is the null reply (a missing key's `GET`).
    pub fn is_null(&self) -> bool {
        matches!(self, Reply::Null)
    }

    /// Whether this is `+OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Reply::Ok) || matches!(self, Reply::Simple(s) if s == "OK")
    }

    /// An error reply's text.
    pub fn error(&self) -> Option<&str> {
        match self {
            Reply::Error(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_rebuild_nested_replies() {
        let reply = Reply::Array(vec![
            Reply::Integer(1),
            Reply::Array(vec![Reply::Bulk(b"a".to_vec()), Reply::Null]),
            Reply::Error("ERR x".into()),
        ]);
        assert_eq!(Reply::from_frames(reply.clone().into_frames()), Ok(reply));
    }

    #[test]
    fn malformed_frames_are_an_error() {
        assert!(Reply::from_frames(vec![Frame::Array(2), Frame::Null]).is_err());
        assert!(Reply::from_frames(vec![Frame::Null, Frame::Null]).is_err());
        assert!(Reply::from_frames(Vec::new()).is_err());
        let deep = std::iter::repeat_n(Frame::Array(1), 10_000).collect();
        assert!(Reply::from_frames(deep).is_err());
    }

    #[test]
    fn accessors_read_what_redis_sends() {
        assert_eq!(Reply::Bulk(b"12".to_vec()).as_integer(), Some(12));
        assert_eq!(Reply::Bulk(b"1.5".to_vec()).as_double(), Some(1.5));
        assert_eq!(
            Reply::Bulk(b"-inf".to_vec()).as_double(),
            Some(f64::NEG_INFINITY)
        );
        assert!(Reply::Simple("OK".into()).is_ok());
        assert_eq!(Reply::Error("ERR no".into()).error(), Some("ERR no"));
        assert_eq!(Reply::Integer(3).as_bytes(), None);
        assert!(Reply::Null.is_null());
        assert_eq!(Reply::Array(vec![]).as_array().map(<[_]>::len), Some(0));
    }
}
