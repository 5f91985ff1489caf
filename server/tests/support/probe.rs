//! A latency probe: many clients, each sending `GET` at a steady pace on
//! its own connection from one event loop (as redis-benchmark's clients
//! run), each reply's latency recorded. Paced rather than flat out, so that
//! what it sees is how long the server keeps a request waiting, not how
//! long a saturated two-core machine keeps the client waiting. Shared by
//! the server's load test and `benches/fcall/stall.sh` (through the
//! `stall_probe` example).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a probe saw.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Every reply's latency, sorted.
    pub sorted: Vec<Duration>,
}

impl Latencies {
    /// The `p`-th percentile (0..=100).
    pub fn percentile(&self, p: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.sorted.len() - 1) as f64).round() as usize;
        self.sorted[rank.min(self.sorted.len() - 1)]
    }

    /// The worst latency seen.
    pub fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }

    /// One line: count and percentiles in milliseconds.
    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "{} GETs  p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3} ms",
            self.sorted.len(),
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(99.9)),
            ms(self.max()),
        )
    }
}

/// `clients` connections to `addr`, each sending `GET key` every `every`
/// for `run` (their starts spread over one period), where `key` holds
/// `value`. Panics on a wrong reply.
pub fn probe(
    addr: SocketAddr,
    clients: usize,
    every: Duration,
    run: Duration,
    key: &str,
    value: &str,
) -> Latencies {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the probe");
    let request = format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).into_bytes();
    let reply = format!("${}\r\n{value}\r\n", value.len()).into_bytes();
    runtime.block_on(async move {
        let until = Instant::now() + run;
        let mut tasks = Vec::new();
        for i in 0..clients {
            let (request, reply) = (request.clone(), reply.clone());
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                tokio::time::sleep(every.mul_f64(i as f64 / clients as f64)).await;
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut seen = Vec::new();
                let mut buf = vec![0; reply.len()];
                while Instant::now() < until {
                    tick.tick().await;
                    let sent = Instant::now();
                    stream.write_all(&request).await.expect("send GET");
                    stream.read_exact(&mut buf).await.expect("read the reply");
                    seen.push(sent.elapsed());
                    assert_eq!(
                        buf,
                        reply,
                        "GET's reply: {:?}",
                        String::from_utf8_lossy(&buf)
                    );
                }
                seen
            }));
        }
        let mut sorted = Vec::new();
        for t in tasks {
            sorted.extend(t.await.expect("a probe client"));
        }
        sorted.sort();
        Latencies { sorted }
    })
}
