//! One client connection: frames in, replies out.
//!
//! Requests are RESP arrays of bulk strings (decoded by `redis-protocol`), or
//! inline commands (`PING\r\n`) as `telnet` sends them. Before a frame is
//! complete, its declared lengths are checked against the caps, so a client
//! that announces a 4 GB bulk string is refused at once, without the server
//! reserving anything for it. A protocol error is answered and the
//! connection closed, as Redis does; every other error is a reply and the
//! connection stays.

use bytes::{Bytes, BytesMut};
use redis_protocol::resp2::decode::decode_bytes_mut;
use redis_protocol::resp2::types::BytesFrame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::reply::Reply;
use crate::server::Session;

/// The longest inline command line accepted (as Redis: 64 KiB).
const MAX_INLINE: usize = 64 * 1024;

/// What feeding bytes to a session led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Wait for more bytes.
    More,
    /// Close the connection after writing what was produced (`QUIT`, or a
    /// protocol error).
    Close,
}

/// Handles complete requests in `buf` (removing them), appending replies to
/// `out`. Incomplete input stays in `buf`.
pub fn feed(session: &mut Session, buf: &mut BytesMut, out: &mut BytesMut) -> Flow {
    loop {
        if buf.is_empty() {
            return Flow::More;
        }
        let args = if buf[0] == b'*' {
            match decode_bytes_mut(buf) {
                Ok(Some((frame, _, _))) => match arguments(frame) {
                    Ok(args) => args,
                    Err(e) => return protocol_error(session, out, e),
                },
                Ok(None) => {
                    if let Err(e) = check_declared(buf, session.max_bulk(), session.max_args()) {
                        return protocol_error(session, out, &e);
                    }
                    return Flow::More;
                }
                Err(e) => return protocol_error(session, out, e.details()),
            }
        } else {
            let Some(end) = buf.iter().position(|&b| b == b'\n') else {
                if buf.len() > MAX_INLINE {
                    return protocol_error(session, out, "too big inline request");
                }
                return Flow::More;
            };
            let line = buf.split_to(end + 1).freeze();
            match inline(&line) {
                Ok(args) => args,
                Err(e) => return protocol_error(session, out, e),
            }
        };
        if args.is_empty() {
            continue;
        }
        let reply = session.execute(&args);
        reply.encode(session.protocol(), out);
        if session.quitting() {
            return Flow::Close;
        }
    }
}

fn protocol_error(session: &Session, out: &mut BytesMut, what: &str) -> Flow {
    Reply::Error(format!("ERR Protocol error: {what}")).encode(session.protocol(), out);
    Flow::Close
}

/// A request frame's arguments: it must be an array of bulk strings.
fn arguments(frame: BytesFrame) -> Result<Vec<Bytes>, &'static str> {
    let BytesFrame::Array(items) = frame else {
        return Err("expected an array of bulk strings");
    };
    items
        .into_iter()
        .map(|item| match item {
            BytesFrame::BulkString(b) => Ok(b),
            _ => Err("expected '$', got something else"),
        })
        .collect()
}

/// Splits an inline command by spaces, honouring "double" and 'single' quotes.
fn inline(line: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut args = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        let mut arg = Vec::new();
        if line[i] == b'"' || line[i] == b'\'' {
            let quote = line[i];
            i += 1;
            loop {
                match line.get(i) {
                    None => return Err("unbalanced quotes in request"),
                    Some(&c) if c == quote => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if quote == b'"' && i + 1 < line.len() => {
                        arg.push(match line[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            c => c,
                        });
                        i += 2;
                    }
                    Some(&c) => {
                        arg.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < line.len() && !line[i].is_ascii_whitespace() {
                arg.push(line[i]);
                i += 1;
            }
        }
        args.push(Bytes::from(arg));
    }
    Ok(args)
}

/// Walks the headers of the incomplete array frame at the start of `buf` and
/// refuses declared sizes over the caps before anything is read into them.
fn check_declared(buf: &[u8], max_bulk: usize, max_args: usize) -> Result<(), String> {
    let mut at = 0;
    let Some((count, next)) = header(buf, at, b'*')? else {
        return Ok(());
    };
    if count > max_args as i64 {
        return Err("invalid multibulk length".into());
    }
    at = next;
    for _ in 0..count.max(0) {
        let Some((len, next)) = header(buf, at, b'$')? else {
            return Ok(());
        };
        if len > max_bulk as i64 {
            return Err(format!(
                "invalid bulk length (this server accepts at most {max_bulk} bytes)"
            ));
        }
        at = next.saturating_add(len.max(0) as usize).saturating_add(2);
        if at > buf.len() {
            return Ok(());
        }
    }
    Ok(())
}

/// The number in a `<prefix><digits>\r\n` header at `at`, and where the next
/// item starts; `None` if the header is not all there yet.
fn header(buf: &[u8], at: usize, prefix: u8) -> Result<Option<(i64, usize)>, String> {
    let Some(&first) = buf.get(at) else {
        return Ok(None);
    };
    if first != prefix {
        return Err(format!(
            "expected '{}', got '{}'",
            prefix as char,
            first.escape_ascii()
        ));
    }
    let rest = &buf[at + 1..];
    let Some(end) = rest.iter().position(|&b| b == b'\r') else {
        if rest.len() > 20 {
            return Err("invalid length".into());
        }
        return Ok(None);
    };
    let n = std::str::from_utf8(&rest[..end])
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| "invalid length".to_string())?;
    Ok(Some((n, at + 1 + end + 2)))
}

/// Serves one client until it leaves.
pub async fn serve(mut session: Session, mut stream: TcpStream) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut out = BytesMut::with_capacity(16 * 1024);
    loop {
        let flow = feed(&mut session, &mut buf, &mut out);
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if flow == Flow::Close {
            return stream.shutdown().await;
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
        // Reclaim the space of consumed frames.
        if buf.is_empty() && buf.capacity() > 1 << 20 {
            buf = BytesMut::with_capacity(16 * 1024);
        }
    }
}
