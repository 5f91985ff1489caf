//! Replies, and their RESP2 / RESP3 encodings.

use bytes::{BufMut, BytesMut};

/// The protocol a connection speaks (`HELLO 3` switches to RESP3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// RESP2, the default.
    Resp2,
    /// RESP3.
    Resp3,
}

/// A reply to one command.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`.
    Ok,
    /// A simple string (no CR or LF).
    Simple(String),
    /// An error; the text starts with its code (`ERR ...`, `WRONGTYPE ...`).
    Error(String),
    /// An integer.
    Integer(i64),
    /// A double: RESP3 `,`; RESP2 a bulk string.
    Double(f64),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// Null: RESP3 `_`; RESP2 `$-1`.
    Null,
    /// An array.
    Array(Vec<Reply>),
    /// A map: RESP3 `%`; RESP2 a flat key, value, ... array.
    Map(Vec<(Reply, Reply)>),
    /// A set: RESP3 `~`; RESP2 an array.
    Set(Vec<Reply>),
    /// A null array (`EXEC` of a transaction whose watched keys changed,
    /// `LPOP key count` of a missing key): RESP3 `_`; RESP2 `*-1`.
    NullArray,
}

impl Reply {
    /// An `ERR` error.
    pub fn err(text: impl std::fmt::Display) -> Reply {
        Reply::Error(format!("ERR {text}"))
    }

    /// A bulk string from text.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Bulk(text.into().into_bytes())
    }

    /// A bulk string, or null.
    pub fn bulk_or_null(value: Option<Vec<u8>>) -> Reply {
        value.map_or(Reply::Null, Reply::Bulk)
    }

    /// Whether this is an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends this reply's encoding in `protocol` to `out`.
    pub fn encode(&self, protocol: Protocol, out: &mut BytesMut) {
        Out::new(out, protocol).reply(self);
    }
}

/// Replies written straight into a connection's output buffer, in the
/// connection's protocol: what commands answer with, without building a
/// [`Reply`] first.
pub struct Out<'a> {
    buf: &'a mut BytesMut,
    protocol: Protocol,
}

impl<'a> Out<'a> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'a mut BytesMut, protocol: Protocol) -> Out<'a> {
        Out { buf, protocol }
    }

    /// The protocol replies are written in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Where the next reply starts, to [`Out::truncate`] to or look at.
    pub fn mark(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything written since `mark`.
    pub fn truncate(&mut self, mark: usize) {
        self.buf.truncate(mark);
    }

    /// Whether the reply written at `mark` is an error.
    pub fn is_error_at(&self, mark: usize) -> bool {
        self.buf.get(mark) == Some(&b'-')
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.put_slice(b"+OK\r\n");
    }

    /// A simple string; CR and LF become spaces.
    pub fn simple(&mut self, text: &str) {
        line(self.buf, b'+', clean(text).as_bytes());
    }

    /// An error whose text starts with its code (`WRONGTYPE ...`); CR and LF
    /// become spaces.
    pub fn error(&mut self, text: &str) {
        line(self.buf, b'-', clean(text).as_bytes());
    }

    /// An `ERR` error, formatted in place.
    pub fn err(&mut self, text: impl std::fmt::Display) {
        use std::fmt::Write;
        self.buf.put_slice(b"-ERR ");
        let _ = write!(Clean(self.buf), "{text}");
        self.buf.put_slice(b"\r\n");
    }

    /// An integer.
    pub fn integer(&mut self, n: i64) {
        let mut digits = itoa::Buffer::new();
        line(self.buf, b':', digits.format(n).as_bytes());
    }

    /// A double: RESP3 `,`; RESP2 a bulk string.
    pub fn double(&mut self, d: f64) {
        let text = double(d);
        match self.protocol {
            Protocol::Resp3 => line(self.buf, b',', text.as_bytes()),
            Protocol::Resp2 => bulk(self.buf, text.as_bytes()),
        }
    }

    /// A bulk string.
    pub fn bulk(&mut self, body: &[u8]) {
        bulk(self.buf, body);
    }

    /// A bulk string, or null.
    pub fn bulk_or_null(&mut self, body: Option<&[u8]>) {
        match body {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// Null: RESP3 `_`; RESP2 `$-1`.
    pub fn null(&mut self) {
        self.buf.put_slice(match self.protocol {
            Protocol::Resp3 => b"_\r\n",
            Protocol::Resp2 => b"$-1\r\n",
        });
    }

    /// The header of an array of `n` items, which follow.
    pub fn array(&mut self, n: usize) {
        header(self.buf, b'*', n);
    }

    /// A null array: RESP3 `_`; RESP2 `*-1`.
    pub fn null_array(&mut self) {
        self.buf.put_slice(match self.protocol {
            Protocol::Resp3 => b"_\r\n",
            Protocol::Resp2 => b"*-1\r\n",
        });
    }

    /// The header of a set of `n` items, which follow: RESP3 `~`; RESP2 an
    /// array.
    pub fn set(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp3 => header(self.buf, b'~', n),
            Protocol::Resp2 => header(self.buf, b'*', n),
        }
    }

    /// The header of an out-of-band message of `n` items (pub/sub), which
    /// follow: RESP3 a push `>`; RESP2 an array.
    pub fn push(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp3 => header(self.buf, b'>', n),
            Protocol::Resp2 => header(self.buf, b'*', n),
        }
    }

    /// The header of a map of `n` pairs, which follow (key, value, ...): RESP3
    /// `%`; RESP2 an array of twice as many items.
    pub fn map(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp3 => header(self.buf, b'%', n),
            Protocol::Resp2 => header(self.buf, b'*', n * 2),
        }
    }

    /// A built reply.
    pub fn reply(&mut self, reply: &Reply) {
        match reply {
            Reply::Ok => self.ok(),
            Reply::Simple(s) => self.simple(s),
            Reply::Error(e) => self.error(e),
            Reply::Integer(n) => self.integer(*n),
            Reply::Double(d) => self.double(*d),
            Reply::Bulk(b) => self.bulk(b),
            Reply::Null => self.null(),
            Reply::Array(items) => {
                self.array(items.len());
                for item in items {
                    self.reply(item);
                }
            }
            Reply::Map(pairs) => {
                self.map(pairs.len());
                for (k, v) in pairs {
                    self.reply(k);
                    self.reply(v);
                }
            }
            Reply::Set(items) => {
                self.set(items.len());
                for item in items {
                    self.reply(item);
                }
            }
            Reply::NullArray => self.null_array(),
        }
    }

    /// A command's result: its reply, or its error reply.
    pub fn result(&mut self, result: Result<Reply, Reply>) {
        match result {
            Ok(r) | Err(r) => self.reply(&r),
        }
    }
}

/// Formats into an output buffer with CR and LF replaced by spaces.
struct Clean<'a>(&'a mut BytesMut);

impl std::fmt::Write for Clean<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(clean(s).as_bytes());
        Ok(())
    }
}

/// Text for a simple string or error line: CR and LF would end the frame.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\r', '\n']) {
        text.replace(['\r', '\n'], " ").into()
    } else {
        text.into()
    }
}

fn line(out: &mut BytesMut, prefix: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(prefix);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut buf = itoa::Buffer::new();
    line(out, prefix, buf.format(n).as_bytes());
}

fn bulk(out: &mut BytesMut, body: &[u8]) {
    header(out, b'$', body.len());
    out.reserve(body.len() + 2);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

/// A double as Redis writes it: `inf`, `-inf`, `nan`, or the shortest
/// round-tripping decimal.
pub fn double(d: f64) -> String {
    if d.is_nan() {
        "nan".into()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        let mut s = format!("{d}");
        if s.ends_with(".0") {
            s.truncate(s.len() - 2);
        }
        s
    }
}

/// A RESP2 reply read back (`+OK` as [`Reply::Ok`]), for tests.
#[cfg(test)]
pub(crate) fn decode(buf: &[u8]) -> Reply {
    use redis_protocol::resp2::types::OwnedFrame;
    fn convert(frame: OwnedFrame) -> Reply {
        match frame {
            OwnedFrame::SimpleString(s) if s == b"OK" => Reply::Ok,
            OwnedFrame::SimpleString(s) => Reply::Simple(String::from_utf8(s).unwrap()),
            OwnedFrame::Error(e) => Reply::Error(e.to_string()),
            OwnedFrame::Integer(n) => Reply::Integer(n),
            OwnedFrame::BulkString(b) => Reply::Bulk(b),
            OwnedFrame::Array(items) => Reply::Array(items.into_iter().map(convert).collect()),
            OwnedFrame::Null => Reply::Null,
        }
    }
    let (frame, used) = redis_protocol::resp2::decode::decode(buf)
        .expect("a valid reply")
        .expect("a complete reply");
    assert_eq!(used, buf.len(), "one reply");
    convert(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, p: Protocol) -> String {
        let mut out = BytesMut::new();
        r.encode(p, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn it_encodes_both_protocols() {
        use Protocol::*;
        assert_eq!(enc(&Reply::Ok, Resp2), "+OK\r\n");
        assert_eq!(enc(&Reply::Integer(-7), Resp2), ":-7\r\n");
        assert_eq!(enc(&Reply::Null, Resp2), "$-1\r\n");
        assert_eq!(enc(&Reply::Null, Resp3), "_\r\n");
        assert_eq!(enc(&Reply::Double(1.5), Resp2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(2.0), Resp3), ",2\r\n");
        assert_eq!(enc(&Reply::Double(f64::NEG_INFINITY), Resp3), ",-inf\r\n");
        assert_eq!(
            enc(&Reply::err("bad\r\nthing"), Resp2),
            "-ERR bad  thing\r\n"
        );
        let map = Reply::Map(vec![(Reply::text("a"), Reply::Integer(1))]);
        assert_eq!(enc(&map, Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&map, Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        let mut out = BytesMut::new();
        Reply::Array(vec![Reply::Bulk(vec![0, 255])]).encode(Resp2, &mut out);
        assert_eq!(&out[..], b"*1\r\n$2\r\n\0\xff\r\n");
    }
}
