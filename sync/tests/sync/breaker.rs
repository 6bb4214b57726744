//! The circuit breaker, table-driven, on a fake clock.

use rustok_sync::breaker::{Breaker, BreakerConfig, BreakerState, Monotonic, Permit, Rejected};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct FakeClock(AtomicU64);

impl Monotonic for FakeClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

fn config() -> BreakerConfig {
    BreakerConfig {
        window: 10,
        minimum_calls: 5,
        failure_rate_percent: 50,
        slow_call: Duration::from_millis(1_000),
        open_for: Duration::from_millis(30_000),
        half_open_calls: 2,
        half_open_timeout: Duration::from_millis(5_000),
    }
}

/// One step of a scenario.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A call that succeeds after this many ms.
    Ok(u64),
    /// A call that fails at once.
    Fail,
    /// This many calls that succeed at once.
    Oks(usize),
    /// This many calls that fail at once.
    Fails(usize),
    /// A call that must be rejected.
    Rejected,
    /// Time passes.
    Wait(u64),
    /// Admit a call and keep it open (it ends with `FinishOk` / `FinishFail`).
    Start,
    /// The oldest started call succeeds.
    FinishOk,
    /// The oldest started call fails.
    FinishFail,
    /// The state must be this.
    Is(BreakerState),
}

use BreakerState::{Closed, HalfOpen, Open};
use Step::*;

fn run(name: &str, steps: &[Step]) {
    let clock = Arc::new(FakeClock::default());
    let b = Breaker::new(config(), clock.clone());
    let mut open: Vec<Permit> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name}, step {i} {step:?}");
        match *step {
            Ok(ms) => {
                let p = b.try_acquire().unwrap_or_else(|e| panic!("{at}: {e}"));
                clock.0.fetch_add(ms, Ordering::SeqCst);
                p.success();
            }
            Fail => b
                .try_acquire()
                .unwrap_or_else(|e| panic!("{at}: {e}"))
                .failure(),
            Oks(n) => (0..n).for_each(|_| b.try_acquire().expect(&at).success()),
            Fails(n) => (0..n).for_each(|_| b.try_acquire().expect(&at).failure()),
            Rejected => assert!(b.try_acquire().is_err(), "{at}: admitted"),
            Wait(ms) => {
                clock.0.fetch_add(ms, Ordering::SeqCst);
            }
            Start => open.push(b.try_acquire().unwrap_or_else(|e| panic!("{at}: {e}"))),
            FinishOk => open.remove(0).success(),
            FinishFail => open.remove(0).failure(),
            Is(s) => assert_eq!(b.state(), s, "{at}"),
        }
    }
}

#[test]
fn the_breaker_follows_its_table() {
    let cases: &[(&str, &[Step])] = &[
        (
            "never opens below the minimum number of calls",
            &[Fails(4), Is(Closed), Ok(0), Is(Open)],
        ),
        (
            "stays closed below the failure rate",
            &[
                Oks(3),
                Fail,
                Fail,
                Is(Closed),
                Ok(0),
                Ok(0),
                Fail,
                Is(Closed),
            ],
        ),
        (
            "opens exactly at the failure rate",
            &[Oks(3), Fail, Fail, Is(Closed), Fail, Is(Open), Rejected],
        ),
        (
            "only the last window of calls counts",
            &[Oks(20), Fails(4), Is(Closed), Fail, Is(Open)],
        ),
        (
            "slow successes count as failures",
            &[
                Ok(0),
                Ok(999),
                Ok(1_000),
                Ok(1_500),
                Is(Closed),
                Ok(5_000),
                Is(Open),
            ],
        ),
        (
            "rejects while open, half-opens after the wait",
            &[
                Fails(5),
                Is(Open),
                Rejected,
                Wait(29_999),
                Rejected,
                Is(Open),
                Wait(1),
                Is(HalfOpen),
            ],
        ),
        (
            "allows exactly the trial calls when half-open",
            &[
                Fails(5),
                Wait(30_000),
                Start,
                Start,
                Rejected,
                Rejected,
                Is(HalfOpen),
            ],
        ),
        (
            "closes after the trials succeed",
            &[
                Fails(5),
                Wait(30_000),
                Start,
                Start,
                FinishOk,
                Is(HalfOpen),
                FinishOk,
                Is(Closed),
                Ok(0),
                Fails(3),
                Is(Closed),
            ],
        ),
        (
            "re-opens on a failed trial",
            &[
                Fails(5),
                Wait(30_000),
                Start,
                Start,
                FinishFail,
                Is(Open),
                Rejected,
                FinishOk,
                Is(Open),
            ],
        ),
        (
            "re-opens on a slow trial",
            &[Fails(5), Wait(30_000), Ok(1_000), Is(Open)],
        ),
        (
            "re-opens when the trials do not finish in time",
            &[
                Fails(5),
                Wait(30_000),
                Start,
                Wait(5_000),
                Is(Open),
                Rejected,
                FinishOk,
                Is(Open),
                Wait(30_000),
                Is(HalfOpen),
                Ok(0),
                Ok(0),
                Is(Closed),
            ],
        ),
        (
            "outcomes of calls admitted before a change are ignored",
            &[
                Start,
                Fails(5),
                Is(Open),
                Wait(30_000),
                Ok(0),
                FinishFail,
                Is(HalfOpen),
                Ok(0),
                Is(Closed),
            ],
        ),
    ];
    for (name, steps) in cases {
        run(name, steps);
    }
}

#[test]
fn a_rejection_says_how_long_and_changes_are_counted() {
    let clock = Arc::new(FakeClock::default());
    let b = Breaker::new(config(), clock.clone());
    for _ in 0..5 {
        b.try_acquire().unwrap().failure();
    }
    clock.0.fetch_add(10_000, Ordering::SeqCst);
    assert_eq!(
        b.try_acquire().unwrap_err(),
        Rejected {
            retry_after: Duration::from_millis(20_000)
        }
    );
    assert_eq!(b.transitions(), 1);
    // A permit dropped without an outcome is a failure.
    clock.0.fetch_add(20_000, Ordering::SeqCst);
    drop(b.try_acquire().unwrap());
    assert_eq!(b.state(), BreakerState::Open);
    assert_eq!(b.transitions(), 3, "closed → open → half-open → open");
}
