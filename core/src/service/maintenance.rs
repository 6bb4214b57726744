//! Operations: doctor, online backup, export of unsynced events, dead letters, and
//! what enrolment with a central server needs to know.

use super::{Actor, Shop, ShopError};
use crate::domain::clock::Timestamp;
use crate::domain::event::{DeadLetterDiscarded, MAX_DEAD_LETTER_ERROR};
use crate::domain::ids::EventId;
use crate::domain::permission::Operation;
use crate::store::{self, BackupReport, DeadLetter, DeviceIdentity, DoctorReport, OutboxStatus};
use rusqlite::Connection;
use std::io::Write;
use std::path::Path;

impl Shop {
    /// Checks the database and the outbox.
    pub fn doctor(&self, actor: &Actor) -> Result<DoctorReport, ShopError> {
        self.query(actor, Operation::Doctor, |_, _| Ok(()))?;
        Ok(self.store.doctor()?)
    }

    /// Outbox counts (pending events, oldest pending age).
    pub fn outbox_status(&self, actor: &Actor) -> Result<OutboxStatus, ShopError> {
        self.query(actor, Operation::ViewSyncStatus, |c, _| {
            Ok(store::outbox_status_in(c)?)
        })
    }

    /// Writes a consistent copy of the database to `dest` (see [`crate::store::Store::backup_to`]).
    pub fn backup(&self, actor: &Actor, dest: &Path) -> Result<BackupReport, ShopError> {
        self.query(actor, Operation::Backup, |_, _| Ok(()))?;
        tracing::info!(dest = %dest.display(), "backup");
        Ok(self.store.backup_to(dest)?)
    }

    /// Writes every unsynced event as JSON lines; returns how many.
    pub fn export_unsynced(&self, actor: &Actor, out: &mut dyn Write) -> Result<u64, ShopError> {
        self.query(actor, Operation::ExportUnsynced, |_, _| Ok(()))?;
        Ok(self.store.export_unsynced(out)?)
    }
}

/// A dead letter with the event it is about, for a manager to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterDetail {
    /// Handler, seq, last error, attempts, when.
    pub letter: DeadLetter,
    /// The event's id.
    pub event_id: EventId,
    /// The event's type name.
    pub event_type: String,
    /// When the event happened.
    pub occurred_at: Timestamp,
}

fn detail(c: &Connection, letter: DeadLetter) -> Result<DeadLetterDetail, ShopError> {
    // Events are never deleted, so a dead letter always has its event.
    let event = store::event_in(c, letter.seq)?.ok_or(ShopError::NotFound { entity: "event" })?;
    Ok(DeadLetterDetail {
        event_id: event.id,
        event_type: event.event_type,
        occurred_at: event.occurred_at,
        letter,
    })
}

fn one_letter(c: &Connection, handler: &str, seq: u64) -> Result<DeadLetter, ShopError> {
    store::dead_letters_in(c, Some(handler), Some(seq))?
        .into_iter()
        .next()
        .ok_or(ShopError::NotFound {
            entity: "dead letter",
        })
}

impl Shop {
    /// Every dead letter (events a handler gave up on), by handler then seq.
    pub fn dead_letters(&self, actor: &Actor) -> Result<Vec<DeadLetterDetail>, ShopError> {
        self.query(actor, Operation::ListDeadLetters, |c, _| {
            store::dead_letters_in(c, None, None)?
                .into_iter()
                .map(|l| detail(c, l))
                .collect()
        })
    }

    /// The dead letter to try again; the caller (the bus for local handlers, the sync
    /// relay for `sync`) does the retry and removes the letter when it succeeds.
    pub fn dead_letter_to_retry(
        &self,
        actor: &Actor,
        handler: &str,
        seq: u64,
    ) -> Result<DeadLetterDetail, ShopError> {
        self.query(actor, Operation::RetryDeadLetter, |c, _| {
            detail(c, one_letter(c, handler, seq)?)
        })
    }

    /// Gives up on a dead letter for good: removes it and records a
    /// `DeadLetterDiscarded` event in the same transaction.
    pub fn discard_dead_letter(
        &self,
        actor: &Actor,
        handler: &str,
        seq: u64,
    ) -> Result<DeadLetterDetail, ShopError> {
        self.command(actor, Operation::DiscardDeadLetter, |tx, _| {
            let d = detail(tx, one_letter(tx, handler, seq)?)?;
            let device_id = tx.identity()?.device_id;
            store::delete_dead_letter_in(tx, handler, seq)?;
            tx.append(DeadLetterDiscarded {
                device_id,
                handler: d.letter.handler.clone(),
                seq,
                event_id: d.event_id,
                event_type: d.event_type.clone(),
                error: d.letter.error.chars().take(MAX_DEAD_LETTER_ERROR).collect(),
                attempts: d.letter.attempts,
            })?;
            tracing::warn!(handler, seq, event_type = %d.event_type, "dead letter discarded");
            Ok(d)
        })
    }

    /// Who this device is, for enrolment with a central server (admins only: it
    /// binds the device to a central tenant).
    pub fn enrolment_identity(&self, actor: &Actor) -> Result<DeviceIdentity, ShopError> {
        self.query(actor, Operation::EnrolDevice, |c, _| {
            Ok(store::device_identity(c)?.ok_or(store::StoreError::NotSetUp)?)
        })
    }
}
