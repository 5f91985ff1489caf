//! Custom commands: `#[ferrite_plugin::command]` and what it hands your
//! function.
//!
//! A command is called with its arguments as byte strings, exactly as the
//! client sent them, and answers with a [`PluginResponse`], which the server
//! writes back as RESP.
//!
//! ```
//! use ferrite_plugin::command::{CommandContext, PluginResponse};
//! use ferrite_plugin::prelude::*;
//!
//! /// `GK.SUM n...`: the sum of its integer arguments.
//! #[ferrite_plugin::command(name = "GK.SUM", arity = -2)]
//! fn sum(ctx: &CommandContext) -> Result<PluginResponse, PluginError> {
//!     let mut total = 0i64;
//!     for i in 0..ctx.args().len() {
//!         total += ctx.arg_i64(i)?;
//!     }
//!     Ok(total.into())
//! }
//! ```

use crate::PluginError;
use crate::words::{Args, Words};

/// A reply to a command, shaped like RESP.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginResponse {
    /// `+OK`.
    Ok,
    /// A simple string (`+text`); must not contain CR or LF.
    Simple(String),
    /// A bulk string: any bytes.
    Bulk(Vec<u8>),
    /// An integer.
    Integer(i64),
    /// A double (RESP3 `,`; a bulk string in RESP2).
    Double(f64),
    /// Null.
    Null,
    /// An array of replies.
    Array(Vec<PluginResponse>),
    /// An error reply; the text should start with a code such as `ERR`.
    Error(String),
}

impl From<i64> for PluginResponse {
    fn from(n: i64) -> Self {
        PluginResponse::Integer(n)
    }
}

macro_rules! integer_from {
    ($($t:ty),*) => {$(
        impl From<$t> for PluginResponse {
            fn from(n: $t) -> Self {
                PluginResponse::Integer(n.into())
            }
        }
    )*};
}
integer_from!(i8, i16, i32, u16, u32);

impl From<u64> for PluginResponse {
    /// An integer reply, or its decimal text past `i64::MAX`.
    fn from(n: u64) -> Self {
        i64::try_from(n).map_or_else(|_| n.to_string().into(), PluginResponse::Integer)
    }
}

impl From<usize> for PluginResponse {
    /// An integer reply, or its decimal text past `i64::MAX`.
    fn from(n: usize) -> Self {
        (n as u64).into()
    }
}

impl From<f32> for PluginResponse {
    fn from(d: f32) -> Self {
        PluginResponse::Double(d.into())
    }
}

impl From<bool> for PluginResponse {
    /// `true` → 1, `false` → 0, as Redis answers.
    fn from(b: bool) -> Self {
        PluginResponse::Integer(i64::from(b))
    }
}

impl From<f64> for PluginResponse {
    fn from(d: f64) -> Self {
        PluginResponse::Double(d)
    }
}

impl From<String> for PluginResponse {
    fn from(s: String) -> Self {
        PluginResponse::Bulk(s.into_bytes())
    }
}

impl From<&str> for PluginResponse {
    fn from(s: &str) -> Self {
        PluginResponse::Bulk(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for PluginResponse {
    fn from(b: Vec<u8>) -> Self {
        PluginResponse::Bulk(b)
    }
}

impl From<&[u8]> for PluginResponse {
    fn from(b: &[u8]) -> Self {
        PluginResponse::Bulk(b.to_vec())
    }
}

impl From<()> for PluginResponse {
    fn from(_: ()) -> Self {
        PluginResponse::Ok
    }
}

impl<T: Into<PluginResponse>> From<Option<T>> for PluginResponse {
    fn from(v: Option<T>) -> Self {
        v.map_or(PluginResponse::Null, Into::into)
    }
}

impl<T: Into<PluginResponse>> From<Vec<T>> for PluginResponse {
    fn from(items: Vec<T>) -> Self {
        PluginResponse::Array(items.into_iter().map(Into::into).collect())
    }
}

impl From<PluginError> for PluginResponse {
    fn from(e: PluginError) -> Self {
        PluginResponse::Error(format!("ERR {e}"))
    }
}

/// One frame of a reply as it crosses into the host. WIT types cannot be
/// recursive, so a reply travels as its frames in pre-order: `array(n)` is
/// followed by the frames of its `n` items, each of which may be an array.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, crate::Enum)]
#[ferrite_plugin(name = "resp-frame")]
pub enum Frame {
    /// `+OK`.
    Ok,
    /// A simple string.
    Simple(String),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// An integer.
    Integer(i64),
    /// A double.
    Double(f64),
    /// Null.
    Null,
    /// An array of this many items, whose frames follow.
    Array(u32),
    /// An error reply.
    Error(String),
}

impl PluginResponse {
    /// The reply's frames in pre-order.
    pub fn into_frames(self) -> Vec<Frame> {
        let mut out = Vec::new();
        self.push_frames(&mut out);
        out
    }

    fn push_frames(self, out: &mut Vec<Frame>) {
        out.push(match self {
            PluginResponse::Ok => Frame::Ok,
            PluginResponse::Simple(s) => Frame::Simple(s),
            PluginResponse::Bulk(b) => Frame::Bulk(b),
            PluginResponse::Integer(n) => Frame::Integer(n),
            PluginResponse::Double(d) => Frame::Double(d),
            PluginResponse::Null => Frame::Null,
            PluginResponse::Error(e) => Frame::Error(e),
            PluginResponse::Array(items) => {
                out.push(Frame::Array(items.len() as u32));
                for item in items {
                    item.push_frames(out);
                }
                return;
            }
        });
    }
}

/// What a command is called with.
#[derive(Debug, Clone)]
pub struct CommandContext {
    /// The command's name, then its arguments.
    words: Words,
}

impl CommandContext {
    /// A context, as the host would give it (for native tests of a command).
    pub fn new(name: impl Into<String>, args: Vec<Vec<u8>>) -> CommandContext {
        let name = name.into();
        let words = crate::words::pack(
            std::iter::once(name.as_bytes()).chain(args.iter().map(Vec::as_slice)),
        );
        CommandContext {
            words: Words::new(words),
        }
    }

    /// The command's name, upper-case (`GK.SUM`).
    pub fn name(&self) -> &str {
        self.words
            .get(0)
            .and_then(|name| std::str::from_utf8(name).ok())
            .unwrap_or("")
    }

    /// The arguments after the command name, byte for byte as sent.
    pub fn args(&self) -> Args<'_> {
        self.words.from(1)
    }

    /// Argument `i` as text, or an error naming it.
    pub fn arg_str(&self, i: usize) -> Result<&str, PluginError> {
        let arg = self.arg(i)?;
        std::str::from_utf8(arg).map_err(|_| {
            PluginError::invalid_argument(format!(
                "argument {} of {} is not UTF-8 text",
                i + 1,
                self.name()
            ))
        })
    }

    /// Argument `i` as a decimal integer, or an error naming it.
    pub fn arg_i64(&self, i: usize) -> Result<i64, PluginError> {
        let text = self.arg_str(i)?;
        text.parse().map_err(|_| {
            PluginError::invalid_argument(format!(
                "argument {} of {} must be an integer, not `{}`",
                i + 1,
                self.name(),
                text.chars().take(40).collect::<String>()
            ))
        })
    }

    /// Argument `i` as a decimal number, or an error naming it.
    pub fn arg_f64(&self, i: usize) -> Result<f64, PluginError> {
        let text = self.arg_str(i)?;
        text.parse().map_err(|_| {
            PluginError::invalid_argument(format!(
                "argument {} of {} must be a number, not `{}`",
                i + 1,
                self.name(),
                text.chars().take(40).collect::<String>()
            ))
        })
    }

    /// Argument `i`'s bytes, or an error if there are fewer arguments.
    pub fn arg(&self, i: usize) -> Result<&[u8], PluginError> {
        self.args().get(i).ok_or_else(|| {
            PluginError::invalid_argument(format!(
                "{} takes at least {} argument{}",
                self.name(),
                i + 1,
                if i == 0 { "" } else { "s" }
            ))
        })
    }
}

/// The glue behind `#[ferrite_plugin::command]`: `words` are the command's
/// name and arguments, packed (see [`crate::words`]).
#[doc(hidden)]
pub fn __call(
    f: impl FnOnce(&CommandContext) -> Result<PluginResponse, PluginError>,
    words: Vec<u8>,
) -> Result<Vec<Frame>, PluginError> {
    f(&CommandContext {
        words: Words::new(words),
    })
    .map(PluginResponse::into_frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_flatten_in_pre_order() {
        let r = PluginResponse::Array(vec![
            1i64.into(),
            PluginResponse::Array(vec!["a".into(), PluginResponse::Null]),
            PluginResponse::Ok,
        ]);
        assert_eq!(
            r.into_frames(),
            vec![
                Frame::Array(3),
                Frame::Integer(1),
                Frame::Array(2),
                Frame::Bulk(b"a".to_vec()),
                Frame::Null,
                Frame::Ok,
            ]
        );
    }

    #[test]
    fn arguments_read_with_clear_errors() {
        let ctx = CommandContext::new("GK.SUM", vec![b"12".to_vec(), b"x".to_vec(), vec![0xff]]);
        assert_eq!(ctx.arg_i64(0).unwrap(), 12);
        assert!(
            ctx.arg_i64(1)
                .unwrap_err()
                .to_string()
                .contains("must be an integer, not `x`")
        );
        assert!(
            ctx.arg_str(2)
                .unwrap_err()
                .to_string()
                .contains("not UTF-8")
        );
        assert!(
            ctx.arg(3)
                .unwrap_err()
                .to_string()
                .contains("at least 4 arguments")
        );
    }
}
