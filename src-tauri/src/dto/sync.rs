//! Sync shapes at the UI boundary: the status and the dead letters.

use rustok_core::domain::clock::{Clock, Timestamp};
use rustok_core::service::DeadLetterDetail;
use rustok_core::system::SystemClock;
use rustok_sync::agent::SyncStatus;
use serde::Serialize;

/// What the sync panel and the status-bar indicator show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncStatusDto {
    /// `not_enrolled`, `starting`, `syncing`, `online`, `offline`, `breaker_open`,
    /// `refused`.
    pub state: &'static str,
    /// Central's URL, once enrolled.
    pub central_url: Option<String>,
    /// This shop's name at central.
    pub tenant: Option<String>,
    /// The store this till belongs to, by name.
    pub store: Option<String>,
    /// This till's code (it begins its receipt numbers).
    pub till: Option<String>,
    /// Events not yet at central.
    pub pending: u64,
    /// Age of the oldest of them, seconds.
    pub oldest_pending_secs: Option<u64>,
    /// When central last answered, RFC 3339.
    pub last_success: Option<String>,
    /// Seconds since then.
    pub last_success_secs: Option<u64>,
    /// The last failure, until the next success (English detail).
    pub last_error: Option<String>,
    /// Its kind (`network`, `timeout`, `refused`…), which the UI words.
    pub last_error_kind: Option<&'static str>,
    /// `closed`, `open`, `half_open`.
    pub breaker: &'static str,
    /// Events central rejected (see the dead letters).
    pub rejected: u64,
    /// Seconds since central last answered a pull (none: never pulled).
    pub pulled_secs: Option<u64>,
    /// Changes in the tenant's feed not yet taken (as of the last answer).
    pub behind: u64,
    /// Changes pulled that could not be applied yet (kept, tried again).
    pub set_aside: u64,
    /// The last problem pulling, until the next pull that works (English detail).
    pub pull_error: Option<String>,
    /// Its kind (`network`, `timeout`…), which the UI words; none when the detail
    /// is from before this run.
    pub pull_error_kind: Option<&'static str>,
    /// This till's clock minus central's, seconds, at the last answer.
    pub clock_skew_secs: Option<i64>,
    /// The clock is more than two minutes off central's: the operator is told.
    pub clock_off: bool,
    /// Product pictures this till has not yet sent to central or fetched from it.
    pub pictures_waiting: u64,
    /// Why the last try at one of them failed, while any waits (English detail).
    pub pictures_problem: Option<String>,
}

/// How far a till that joined a chain has taken the chain's records.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct JoinProgressDto {
    /// The chain's settings and an operator are in: the till can be used.
    pub ready: bool,
    /// Feed entries taken so far.
    pub taken: u64,
    /// Feed entries central holds for it (as of its last answer).
    pub total: u64,
    /// Central has answered a pull at least once.
    pub pulled: bool,
    /// The last problem (English detail).
    pub problem: Option<String>,
    /// Its kind (`network`, `refused`…), which the UI words.
    pub problem_kind: Option<&'static str>,
}

/// One dead letter.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeadLetterDto {
    /// Which part gave up: `sync` (central rejected it), `index`, …
    pub handler: String,
    /// Outbox seq of the event.
    pub seq: u64,
    /// Its type.
    pub event_type: String,
    /// When it happened, RFC 3339.
    pub occurred_at: String,
    /// Why it failed, last time.
    pub error: String,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was set aside, RFC 3339.
    pub recorded_at: String,
}

impl From<&DeadLetterDetail> for DeadLetterDto {
    fn from(d: &DeadLetterDetail) -> Self {
        Self {
            handler: d.letter.handler.clone(),
            seq: d.letter.seq,
            event_type: d.event_type.clone(),
            occurred_at: d.occurred_at.to_rfc3339(),
            error: d.letter.error.clone(),
            attempts: d.letter.attempts,
            recorded_at: d.letter.recorded_at.to_rfc3339(),
        }
    }
}

fn secs_since(now: Timestamp, t: Timestamp) -> u64 {
    u64::try_from((now.unix_millis() - t.unix_millis()).max(0) / 1000).unwrap_or(0)
}

/// The status as the UI sees it, ages as of now.
pub fn dto(s: &SyncStatus) -> SyncStatusDto {
    let now = SystemClock.now();
    SyncStatusDto {
        state: s.state.as_str(),
        central_url: s.central.as_ref().map(|c| c.0.clone()),
        tenant: s.central.as_ref().map(|c| c.1.clone()),
        store: s.store.clone(),
        till: None,
        pending: s.pending,
        oldest_pending_secs: s.oldest_pending.map(|t| secs_since(now, t)),
        last_success: s.last_success.map(|t| t.to_rfc3339()),
        last_success_secs: s.last_success.map(|t| secs_since(now, t)),
        last_error: s.last_error.clone(),
        last_error_kind: s.last_error_kind,
        breaker: s.breaker.as_str(),
        rejected: s.rejected,
        pulled_secs: s
            .pull
            .pulled_at_ms
            .map(|ms| secs_since(now, Timestamp::from_unix_millis(ms))),
        behind: s.pull.head.saturating_sub(s.pull.cursor),
        set_aside: s.pull.set_aside,
        pull_error: s.pull.error.clone(),
        pull_error_kind: s.pull.error.as_ref().and(s.pull_error_kind),
        clock_skew_secs: s.pull.clock_skew_ms.map(|ms| ms / 1000),
        clock_off: s.pull.clock_skew_ms.is_some_and(|ms| {
            ms.unsigned_abs() > rustok_sync::protocol::CLOCK_OFF_MS.unsigned_abs()
        }),
        pictures_waiting: s.pictures.waiting,
        pictures_problem: s.pictures.last_error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustok_core::store::{ImageTransfers, PullState};
    use rustok_sync::agent::SyncState;
    use rustok_sync::breaker::BreakerState;

    fn with_skew(ms: Option<i64>) -> SyncStatusDto {
        dto(&SyncStatus {
            state: SyncState::Online,
            central: None,
            store: None,
            pending: 0,
            oldest_pending: None,
            last_attempt: None,
            last_success: None,
            last_error: None,
            last_error_kind: None,
            breaker: BreakerState::Closed,
            rejected: 0,
            pull_error_kind: None,
            pull: PullState {
                clock_skew_ms: ms,
                cursor: 3,
                head: 10,
                ..PullState::default()
            },
            pictures: ImageTransfers::default(),
        })
    }

    /// DESIGN §7: a clock more than two minutes from central's is shown to the
    /// operator; within two minutes it is not, either way round.
    #[test]
    fn a_clock_more_than_two_minutes_off_is_flagged() {
        for (skew, off) in [
            (None, false),
            (Some(0), false),
            (Some(120_000), false),
            (Some(-120_000), false),
            (Some(120_001), true),
            (Some(-150_000), true),
            (Some(i64::MIN), true),
        ] {
            let d = with_skew(skew);
            assert_eq!(d.clock_off, off, "{skew:?}");
            assert_eq!(d.behind, 7);
        }
    }
}
