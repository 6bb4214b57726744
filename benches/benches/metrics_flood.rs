//! `metrics_flood`: a device draining its outbox into the real central over
//! loopback, while 16 clients ask `/metrics` as fast as they can, against the same
//! drain with nobody asking, in the same run. `/metrics` is public; it must cost
//! O(1) and never hold up ingest (target: flooded ingest ≥ 0.9× the quiet one).
//! Each iteration drains from a fresh central and a fresh copy of the device.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, Criterion};
use rustok_benches::outbox::device_template;
use rustok_sync::breaker::{Breaker, BreakerConfig, SystemMonotonic};
use rustok_sync::client::Client;
use rustok_sync::relay::{BatchLimits, Relay};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GROUP: &str = "metrics_flood";
const FLOODERS: usize = 16;

/// Asks `GET /metrics` over one kept-alive connection until `stop`; counts answers.
async fn flood(addr: std::net::SocketAddr, stop: Arc<AtomicBool>, answered: Arc<AtomicU64>) {
    let request = b"GET /metrics HTTP/1.1\r\nhost: central\r\n\r\n";
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            return;
        };
        while !stop.load(Ordering::Relaxed) {
            if s.write_all(request).await.is_err() {
                break;
            }
            // One answer: headers, then the body of its content-length.
            let mut got = Vec::new();
            let complete = loop {
                let Ok(n) = s.read(&mut buf).await else {
                    break false;
                };
                if n == 0 {
                    break false;
                }
                got.extend_from_slice(&buf[..n]);
                if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break true;
                    }
                }
            };
            if !complete {
                break;
            }
            answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct Run {
    rt: tokio::runtime::Runtime,
    template: PathBuf,
    answered: Arc<AtomicU64>,
}

impl Run {
    /// One whole drain, with or without the flood; returns the drain's time.
    fn drain(&self, flooded: bool) -> Duration {
        self.rt.block_on(async {
            let device = rustok_benches::outbox::enrolled(&self.template).await;
            let (store, addr, creds) =
                (Arc::clone(&device.store), device.addr, device.creds.clone());
            let clock = Arc::new(rustok_core::system::SystemClock);
            let client =
                Client::new(creds, clock.clone(), Duration::from_secs(30)).expect("client");
            let breaker = Breaker::new(
                BreakerConfig::default(),
                Arc::new(SystemMonotonic::default()),
            );
            let relay = Relay::new(
                Arc::clone(&store),
                client,
                breaker,
                BatchLimits {
                    max_events: 1_000,
                    max_bytes: 1 << 20,
                },
                clock,
            );
            let stop = Arc::new(AtomicBool::new(false));
            let flooders: Vec<_> = (0..if flooded { FLOODERS } else { 0 })
                .map(|_| tokio::spawn(flood(addr, stop.clone(), self.answered.clone())))
                .collect();
            if flooded {
                // Let the flood get going before the drain starts.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let started = Instant::now();
            loop {
                let o = relay.push_once().await.expect("push");
                if o.pending == 0 {
                    break;
                }
            }
            let took = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            for f in flooders {
                let _ = f.await;
            }
            assert_eq!(store.outbox_status().expect("status").pending, 0);
            took
        })
    }
}

fn events() -> u64 {
    if rustok_benches::full_run() {
        30_000
    } else {
        1_000
    }
}

fn bench(c: &mut Criterion) {
    let scratch = rustok_benches::fresh_dir(GROUP);
    let dir = scratch.join("template");
    std::fs::create_dir_all(&dir).expect("template dir");
    let run = Run {
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
        template: device_template(&dir, events()),
        answered: Arc::new(AtomicU64::new(0)),
    };
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("quiet", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run.drain(false)).sum())
    });
    let before = run.answered.load(Ordering::Relaxed);
    let flooded_at = Instant::now();
    g.bench_function("flooded", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run.drain(true)).sum())
    });
    let answered = run.answered.load(Ordering::Relaxed) - before;
    g.finish();
    rustok_benches::report_line(&format!(
        "LOAD {GROUP}: {answered} /metrics answers in {:.1} s of flooded runs = {:.0}/s",
        flooded_at.elapsed().as_secs_f64(),
        answered as f64 / flooded_at.elapsed().as_secs_f64().max(1e-9)
    ));
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let n = events();
    match (
        rustok_benches::median_ns(GROUP, "quiet", since),
        rustok_benches::median_ns(GROUP, "flooded", since),
    ) {
        (Some(quiet), Some(flooded)) => rustok_benches::report_line(&format!(
            "RATIO {GROUP}: ingest flooded {:.0} events/s / quiet {:.0} events/s = {:.2} (target >= 0.9)",
            n as f64 / (flooded / 1e9),
            n as f64 / (quiet / 1e9),
            quiet / flooded
        )),
        _ => eprintln!("RATIO {GROUP}: nothing measured in this run (test mode or filtered out)"),
    }
}
