//! Operations: doctor, online backup, export of unsynced events.

use super::{Actor, Shop, ShopError};
use crate::domain::permission::Operation;
use crate::store::{self, DoctorReport, OutboxStatus};
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

    /// Writes a consistent copy of the database to `dest`.
    pub fn backup(&self, actor: &Actor, dest: &Path) -> Result<(), ShopError> {
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
