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
//! an `EXEC` takes it exclusively, so a transaction runs alone; `FUNCTION
//! KILL` and `FUNCTION STATS` take nothing, so they answer while a
//! transaction runs a long call. No wait for the lock holds up a tokio
//! worker: it moves the worker's other connections to another thread. While it
//! waits for requests, the connection also waits for messages published to
//! the session's channels, and writes them as they come.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::reply::Out;
use crate::resp::{self, Caps, MAX_INLINE};
use crate::server::{Hold, Session};

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
    let mut shared = None;
    let mut run =
        |session: &mut Session, args: &[&[u8]], out: &mut BytesMut| match session.hold(args) {
            Hold::Shared => {
                if shared.is_none() {
                    shared = Some(read(exclusive));
                }
                session.execute(args, out);
            }
            Hold::Alone => {
                shared = None;
                let alone = write(exclusive, server.host());
                session.execute(args, out);
                drop(alone);
            }
            Hold::Nothing => session.execute(args, out),
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

/// The transaction lock, shared. If a transaction holds it (one running a
/// long plugin call, say), the wait gives this worker's other connections
/// to another thread.
fn read(lock: &RwLock<()>) -> RwLockReadGuard<'_, ()> {
    match lock.try_read() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            off_worker(|| lock.read().unwrap_or_else(|e| e.into_inner()))
        }
    }
}

/// The transaction lock, exclusively, for `EXEC`: it waits for the batches
/// holding it shared, among them any long plugin call, which may run for
/// seconds. A waiting writer would hold up every new reader behind it (the
/// lock prefers writers), so while a long call runs the transaction polls
/// instead of queueing, and only queues for the short waits; either way off
/// this worker.
fn write<'a>(lock: &'a RwLock<()>, host: &ferrite_plugin_host::Host) -> RwLockWriteGuard<'a, ()> {
    let attempt = || match lock.try_write() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    };
    if let Some(guard) = attempt() {
        return guard;
    }
    off_worker(|| {
        loop {
            if let Some(guard) = attempt() {
                return guard;
            }
            if !host.has_running_calls() {
                return lock.write().unwrap_or_else(|e| e.into_inner());
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    })
}

/// Runs `wait`, which blocks, without holding up this tokio worker's other
/// tasks (`block_in_place`) where the runtime allows it.
fn off_worker<T>(wait: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
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
