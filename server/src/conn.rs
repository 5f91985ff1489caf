//! One client connection: frames in, replies out.
//!
//! Requests are RESP arrays of bulk strings, parsed in place ([`crate::resp`]:
//! a command runs on slices of the read buffer), or inline commands
//! (`PING\r\n`) as `telnet` sends them. Before a frame is complete, its
//! declared lengths are checked against the caps, so a client that announces
//! a 4 GB bulk string is refused at once, without the server reserving
//! anything for it. Replies are written straight into the output buffer, and
//! a pipelined batch goes out in one write. A protocol error is answered and the
//! connection closed, as Redis does; every other error is a reply and the
//! connection stays.
//!
//! A batch of requests runs holding the server's transaction lock shared;
//! an `EXEC` takes it exclusively, so a transaction runs alone. While it
//! waits for requests, the connection also waits for messages published to
//! the session's channels, and writes them as they come.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::reply::Out;
use crate::resp::{self, Caps, MAX_INLINE};
use crate::server::Session;

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
    let caps = Caps {
        max_bulk: session.max_bulk(),
        max_args: session.max_args(),
    };
    let mut ranges = Vec::new();
    let server = session.server().clone();
    let exclusive = server.exclusive();
    let mut shared = Some(exclusive.read().unwrap_or_else(|e| e.into_inner()));
    let mut run = |session: &mut Session, args: &[&[u8]], out: &mut BytesMut| {
        if session.runs_alone(args) {
            shared = None;
            let alone = exclusive.write().unwrap_or_else(|e| e.into_inner());
            session.execute(args, out);
            drop(alone);
            shared = Some(exclusive.read().unwrap_or_else(|e| e.into_inner()));
        } else {
            session.execute(args, out);
        }
    };
    let flow = loop {
        if buf.is_empty() {
            break Flow::More;
        }
        let used = if buf[0] == b'*' {
            match resp::parse_array(buf, caps, &mut ranges) {
                Ok(Some(used)) => {
                    if !ranges.is_empty() {
                        resp::with_args(buf, &ranges, |args| run(session, args, out));
                    }
                    used
                }
                Ok(None) => break Flow::More,
                Err(e) => break protocol_error(session, out, &e),
            }
        } else {
            let Some(end) = buf.iter().position(|&b| b == b'\n') else {
                if buf.len() > MAX_INLINE {
                    break protocol_error(session, out, "too big inline request");
                }
                break Flow::More;
            };
            let line = &buf[..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match resp::parse_inline(line) {
                Ok(args) if args.is_empty() => {}
                Ok(args) => {
                    let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                    run(session, &args, out);
                }
                Err(e) => break protocol_error(session, out, e),
            }
            end + 1
        };
        buf.advance(used);
        if session.quitting() {
            break Flow::Close;
        }
    };
    session.flush_stats();
    flow
}

fn protocol_error(session: &Session, out: &mut BytesMut, what: &str) -> Flow {
    Out::new(out, session.protocol()).err(format_args!("Protocol error: {what}"));
    Flow::Close
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
        tokio::select! {
            read = stream.read_buf(&mut buf) => {
                if read? == 0 {
                    return Ok(());
                }
            }
            Some(message) = session.messages().recv() => {
                session.deliver(&message, &mut out);
                while let Ok(more) = session.messages().try_recv() {
                    session.deliver(&more, &mut out);
                }
                continue;
            }
        }
        // Reclaim the space of consumed frames.
        if buf.is_empty() && buf.capacity() > 1 << 20 {
            buf = BytesMut::with_capacity(16 * 1024);
        }
    }
}

/// Moves this tokio worker's other tasks to another thread, for a plugin
/// call that has run for a slice and goes on (`CallOptions::on_long_call`):
/// the other connections are served there meanwhile, and this thread,
/// which keeps running the call, leaves the runtime's workers when the
/// connection's task next yields.
///
/// `block_in_place` hands the worker's core to a new thread, but takes it
/// back if the closure returns before that thread has picked it up; so the
/// closure waits for a probe task, which only the core's new owner can run.
/// Outside a multi-threaded runtime's worker (a test's host, a
/// current-thread runtime) it does nothing.
pub(crate) fn yield_worker() {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let Ok(handle) = Handle::try_current() else {
        return;
    };
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return;
    }
    tokio::task::block_in_place(|| {
        let (moved, wait) = std::sync::mpsc::sync_channel(1);
        handle.spawn(async move {
            let _ = moved.send(());
        });
        // If no thread takes the core in time (the blocking pool is full),
        // the call goes on here as before, holding up this worker.
        let _ = wait.recv_timeout(std::time::Duration::from_millis(5));
    });
}
