//! The outbox relay: reads pending events in seq order, in batches bounded by count
//! and bytes, pushes them through the breaker, and records what central answered —
//! the acknowledged seq, and rejected events as dead letters of the `sync` handler.

// Numbers here come from central or the wire: arithmetic is checked.
#![deny(clippy::arithmetic_side_effects)]

use crate::breaker::Breaker;
use crate::client::Client;
use crate::protocol::push::PushBody;
use crate::protocol::{HealthReport, PushResponse};
use crate::SyncError;
use rustok_core::domain::clock::Clock;
use rustok_core::store::{DeadLetter, Store};
use std::sync::{Arc, Mutex, PoisonError};

/// Handler name of sync's dead letters (events central rejected).
pub const DEAD_LETTER_HANDLER: &str = "sync";

/// Bounds of one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most events.
    pub max_events: u32,
    /// Most bytes of request body (one event is always sent, however large).
    pub max_bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            max_events: 500,
            max_bytes: 1024 * 1024,
        }
    }
}

/// What one push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// Events sent.
    pub sent: usize,
    /// Events newly acknowledged.
    pub acked: u64,
    /// Events newly dead-lettered.
    pub rejected: usize,
    /// Events still pending afterwards.
    pub pending: u64,
}

/// The relay of one device.
pub struct Relay {
    store: Arc<Store>,
    client: Client,
    breaker: Breaker,
    limits: BatchLimits,
    clock: Arc<dyn Clock>,
    /// Set when central expects an earlier seq than the device's acknowledged one
    /// (central restored from a backup): send from there.
    resend_from: Mutex<Option<u64>>,
}

impl Relay {
    /// A relay for `store` through `client`.
    pub fn new(
        store: Arc<Store>,
        client: Client,
        breaker: Breaker,
        limits: BatchLimits,
        clock: Arc<dyn Clock>,
    ) -> Relay {
        Relay {
            store,
            client,
            breaker,
            limits,
            clock,
            resend_from: Mutex::new(None),
        }
    }

    /// The breaker in front of central.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// The client in use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The serialized request of the next batch and how many events it carries; `None`
    /// when nothing is pending.
    fn next_batch(&self, acked: u64) -> Result<Option<(Vec<u8>, usize)>, SyncError> {
        let from = self
            .resend_from
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map_or(acked, |s| s.saturating_sub(1).min(acked));
        let events = self
            .store
            .events_after(from, self.limits.max_events.max(1))?;
        if events.is_empty() {
            return Ok(None);
        }
        let mut body = PushBody::new(self.limits.max_bytes);
        for e in &events {
            if !body
                .push(e)
                .map_err(|err| SyncError::Protocol(err.to_string()))?
            {
                break;
            }
        }
        let taken = body.events();
        Ok(Some((body.finish(), taken)))
    }

    /// Pushes one batch. With nothing pending it makes no request.
    pub async fn push_once(&self) -> Result<PushOutcome, SyncError> {
        let status = self.store.outbox_status()?;
        let acked = status.last_seq.saturating_sub(status.pending);
        let Some((body, sent)) = self.next_batch(acked)? else {
            return Ok(PushOutcome {
                sent: 0,
                acked: 0,
                rejected: 0,
                pending: status.pending,
            });
        };
        let reply = self.send(body).await?;
        self.apply(acked, &reply)?;
        let after = self.store.outbox_status()?;
        Ok(PushOutcome {
            sent,
            acked: after
                .last_seq
                .saturating_sub(after.pending)
                .saturating_sub(acked),
            rejected: reply.rejected.iter().filter(|r| r.seq > acked).count(),
            pending: after.pending,
        })
    }

    /// Reports the device's health, through the breaker like every call to central.
    pub async fn report_health(&self, report: &HealthReport) -> Result<(), SyncError> {
        self.guarded(self.client.report_health(report)).await
    }

    /// One push request through the breaker.
    async fn send(&self, body: Vec<u8>) -> Result<PushResponse, SyncError> {
        self.guarded(self.client.push_raw(body)).await
    }

    /// Runs `call` if the breaker lets it, and tells the breaker how it went.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, SyncError>>,
    ) -> Result<T, SyncError> {
        let permit = self
            .breaker
            .try_acquire()
            .map_err(|r| SyncError::BreakerOpen {
                retry_after: r.retry_after,
            })?;
        match call.await {
            Ok(r) => {
                permit.success();
                Ok(r)
            }
            Err(e) if e.is_unavailability() => {
                permit.failure();
                Err(e)
            }
            Err(e) => {
                // Central is up and said no: not a reason to open the breaker.
                permit.success();
                Err(e)
            }
        }
    }

    fn apply(&self, acked_before: u64, reply: &PushResponse) -> Result<(), SyncError> {
        // Rejections first: an event is never acknowledged without its dead letter.
        for r in reply.rejected.iter().filter(|r| r.seq > acked_before) {
            tracing::warn!(
                seq = r.seq,
                code = r.code.as_str(),
                "central rejected an event"
            );
            self.store.record_dead_letter(&DeadLetter {
                handler: DEAD_LETTER_HANDLER.to_owned(),
                seq: r.seq,
                error: format!("{}: {}", r.code.as_str(), r.message),
                attempts: 1,
                recorded_at: self.clock.now(),
            })?;
        }
        self.store.ack_through(reply.acked_through)?;
        let mut resend = self
            .resend_from
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *resend = match reply.expected {
            Some(x) if x <= acked_before => {
                tracing::warn!(
                    expected = x,
                    acked = acked_before,
                    "central holds less than acknowledged; resending"
                );
                Some(x)
            }
            _ if resend.is_some_and(|s| s <= reply.acked_through) => None,
            _ => *resend,
        };
        Ok(())
    }

    /// Sends the dead-lettered event at `seq` to central again (a manager's retry,
    /// e.g. after central was upgraded to understand it). Returns true when central
    /// now holds it (the dead letter is removed), false when it is rejected again
    /// (the letter keeps the new reason and one more attempt).
    pub async fn retry_dead_letter(&self, seq: u64) -> Result<bool, SyncError> {
        let event = self
            .store
            .event(seq)?
            .ok_or_else(|| SyncError::Invalid(format!("no event at seq {seq}")))?;
        // One event, whatever its size.
        let mut body = PushBody::new(0);
        body.push(&event)
            .map_err(|err| SyncError::Protocol(err.to_string()))?;
        let reply = self.send(body.finish()).await?;
        if let Some(r) = reply.rejected.iter().find(|r| r.seq == seq) {
            self.store.record_dead_letter(&DeadLetter {
                handler: DEAD_LETTER_HANDLER.to_owned(),
                seq,
                error: format!("{}: {}", r.code.as_str(), r.message),
                attempts: 1,
                recorded_at: self.clock.now(),
            })?;
            return Ok(false);
        }
        if reply.acked_through < seq {
            // Central does not hold the events before it (restored from a backup):
            // the regular push sends them first; the letter stays.
            return Err(SyncError::Protocol(format!(
                "central holds events only through seq {}; retry after it has caught up",
                reply.acked_through
            )));
        }
        self.store.delete_dead_letter(DEAD_LETTER_HANDLER, seq)?;
        tracing::info!(seq, "central accepted a dead-lettered event on retry");
        Ok(true)
    }

    /// Pushes until nothing is pending or a push fails. Returns the events acked.
    pub async fn drain(&self) -> Result<u64, SyncError> {
        let mut total: u64 = 0;
        loop {
            let o = self.push_once().await?;
            total = total.saturating_add(o.acked);
            if o.pending == 0 || o.sent == 0 {
                return Ok(total);
            }
            if o.acked == 0
                && o.rejected == 0
                && self
                    .resend_from
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_none()
            {
                // Central held nothing new: pushing again would loop.
                return Err(SyncError::Protocol(
                    "central acknowledged nothing of a batch; will retry later".into(),
                ));
            }
        }
    }
}
