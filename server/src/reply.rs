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
        match self {
            Reply::Ok => out.put_slice(b"+OK\r\n"),
            Reply::Simple(s) => line(out, b'+', clean(s).as_bytes()),
            Reply::Error(e) => line(out, b'-', clean(e).as_bytes()),
            Reply::Integer(n) => {
                let mut buf = itoa::Buffer::new();
                line(out, b':', buf.format(*n).as_bytes());
            }
            Reply::Double(d) => {
                let text = double(*d);
                match protocol {
                    Protocol::Resp3 => line(out, b',', text.as_bytes()),
                    Protocol::Resp2 => bulk(out, text.as_bytes()),
                }
            }
            Reply::Bulk(b) => bulk(out, b),
            Reply::Null => match protocol {
                Protocol::Resp3 => out.put_slice(b"_\r\n"),
                Protocol::Resp2 => out.put_slice(b"$-1\r\n"),
            },
            Reply::Array(items) => {
                header(out, b'*', items.len());
                for item in items {
                    item.encode(protocol, out);
                }
            }
            Reply::Map(pairs) => {
                match protocol {
                    Protocol::Resp3 => header(out, b'%', pairs.len()),
                    Protocol::Resp2 => header(out, b'*', pairs.len() * 2),
                }
                for (k, v) in pairs {
                    k.encode(protocol, out);
                    v.encode(protocol, out);
                }
            }
        }
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
