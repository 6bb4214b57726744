//! `sync_drain`: pending events drained to the real central server over loopback,
//! with central committing each batch durably (WAL, synchronous=FULL). Three runs in
//! one binary: batched (100k events; target ≤ 3 s), batched through a proxy failing
//! 30 % of requests with 503 (target ≤ 2× the clean run), and one request per event
//! (the baseline; target: batched ≥ 10× its events/s). Each iteration is one whole
//! drain from a fresh central and a fresh copy of the device; setup is not timed.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, Criterion};
use rustok_benches::outbox::device_template;
use rustok_sync::breaker::{Breaker, BreakerConfig, SystemMonotonic};
use rustok_sync::client::Client;
use rustok_sync::credentials::Credentials;
use rustok_sync::relay::{BatchLimits, Relay};
use rustok_sync::retry::{Backoff, RetryPolicy};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GROUP: &str = "sync_drain";

/// Answers 503 to requests 3, 6 and 9 of every 10 (30 %) and forwards the rest.
async fn failing_proxy(upstream: std::net::SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy listens");
    let url = format!("http://{}", listener.local_addr().expect("proxy address"));
    let n = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let i = n.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let Ok(req) = read_http(&mut client).await else {
                    return;
                };
                let reply = if matches!(i % 10, 2 | 5 | 8) {
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
                } else {
                    let Ok(mut up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    if up.write_all(&req).await.is_err() {
                        return;
                    }
                    let Ok(mut r) = read_http(&mut up).await else {
                        return;
                    };
                    let at = r.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
                    r.splice(at..at, b"connection: close\r\n".iter().copied());
                    r
                };
                let _ = client.write_all(&reply).await;
                let _ = client.shutdown().await;
            });
        }
    });
    url
}

async fn read_http(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let need = |buf: &[u8]| {
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Some(end + 4 + len)
    };
    loop {
        if need(&buf).is_some_and(|total| buf.len() >= total) {
            return Ok(buf);
        }
        let k = s.read(&mut chunk).await?;
        if k == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..k]);
    }
}

struct Run {
    rt: tokio::runtime::Runtime,
    template: PathBuf,
}

impl Run {
    /// One whole drain; returns the time of the drain alone.
    fn drain(&self, limits: BatchLimits, faulty: bool) -> Duration {
        self.rt.block_on(async {
            let device = rustok_benches::outbox::enrolled(&self.template).await;
            let store = Arc::clone(&device.store);
            let addr = device.addr;
            let base = device.creds.central_url.clone();
            let url = if faulty {
                failing_proxy(addr).await
            } else {
                base
            };
            let creds = Credentials {
                central_url: url,
                ..device.creds.clone()
            };
            let clock = Arc::new(rustok_core::system::SystemClock);
            let client =
                Client::new(creds, clock.clone(), Duration::from_secs(10)).expect("client");
            let breaker = Breaker::new(
                BreakerConfig::default(),
                Arc::new(SystemMonotonic::default()),
            );
            let relay = Relay::new(Arc::clone(&store), client, breaker, limits, clock);
            let mut backoff = Backoff::new(
                RetryPolicy {
                    min_delay: Duration::from_millis(1),
                    max_delay: Duration::from_millis(20),
                    ..RetryPolicy::default()
                },
                Some(7),
            );
            let started = Instant::now();
            loop {
                match relay.push_once().await {
                    Ok(o) if o.pending == 0 => break,
                    Ok(_) => backoff.reset(),
                    Err(e) => tokio::time::sleep(backoff.next_delay(&e)).await,
                }
            }
            let took = started.elapsed();
            assert_eq!(store.outbox_status().expect("status").pending, 0);
            took
        })
    }
}

fn bench(c: &mut Criterion) {
    let (big, small) = sizes();
    let scratch = rustok_benches::fresh_dir("sync_drain");
    let rt = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    };
    let mk = |n: u64| {
        let dir = scratch.join(format!("template-{n}"));
        std::fs::create_dir_all(&dir).expect("template dir");
        Run {
            rt: rt(),
            template: device_template(&dir, n),
        }
    };
    let batched = mk(big);
    let single = mk(small);
    let batch = BatchLimits {
        max_events: 1_000,
        max_bytes: 1 << 20,
    };
    let one = BatchLimits {
        max_events: 1,
        max_bytes: 1 << 20,
    };

    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("batched", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| batched.drain(batch, false)).sum())
    });
    g.bench_function("batched_30pct_failing", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| batched.drain(batch, true)).sum())
    });
    g.bench_function("one_request_per_event", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| single.drain(one, false)).sum())
    });
    g.finish();
}

/// Events of the batched runs and of the per-event baseline: 100k and 2k under
/// `cargo bench`, small in a smoke run.
fn sizes() -> (u64, u64) {
    if rustok_benches::full_run() {
        (100_000, 2_000)
    } else {
        (2_000, 100)
    }
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let (big, small) = sizes();
    let per = |id: &str, n: u64| {
        rustok_benches::median_ns(GROUP, id, since).map(|ns| (ns, ns / n as f64))
    };
    match (
        per("batched", big),
        per("batched_30pct_failing", big),
        per("one_request_per_event", small),
    ) {
        (Some((clean, clean_ev)), Some((faulty, _)), Some((_, single_ev))) => {
            rustok_benches::report_line(&format!(
                "RESULT {GROUP}: {big} events batched in {:.2} s = {:.0} events/s; with 30 % failing requests {:.2} s = {:.2}x the clean run; one request per event {:.0} events/s; batched/per-event throughput = {:.1}x",
                clean / 1e9,
                1e9 / clean_ev,
                faulty / 1e9,
                faulty / clean,
                1e9 / single_ev,
                single_ev / clean_ev,
            ));
        }
        _ => eprintln!("RESULT {GROUP}: nothing measured in this run (test mode or filtered out)"),
    }
}
