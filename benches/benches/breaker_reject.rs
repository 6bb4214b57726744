//! `breaker_reject`: the cost of a call the open circuit breaker rejects (target
//! ≤ 1 µs), against the floor of one uncontended mutex lock and unlock plus a clock
//! read — the least any shared breaker must do — in one run.

use criterion::{criterion_group, Criterion};
use rustok_sync::breaker::{Breaker, BreakerConfig, Monotonic, SystemMonotonic};
use std::sync::{Arc, Mutex};

const GROUP: &str = "breaker_reject";

fn bench(c: &mut Criterion) {
    let clock = Arc::new(SystemMonotonic::default());
    let breaker = Breaker::new(BreakerConfig::default(), clock.clone());
    while breaker.try_acquire().map(|p| p.failure()).is_ok() {}
    let floor = Mutex::new(0u64);
    let mut g = c.benchmark_group(GROUP);
    g.bench_function("rejected_call", |b| {
        b.iter(|| breaker.try_acquire().is_err())
    });
    g.bench_function("mutex_and_clock", |b| {
        b.iter(|| {
            let now = clock.now();
            let mut guard = floor
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *guard = guard.wrapping_add(now.subsec_nanos().into());
            *guard
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    let since = std::time::SystemTime::now();
    benches();
    rustok_benches::finish(GROUP, &[("rejected_call", "mutex_and_clock")], since);
}
