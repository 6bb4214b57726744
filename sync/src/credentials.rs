//! What a device keeps after enrolling: the central URL, its device id and tenant,
//! and the signing secret. Stored as JSON, owner-only (0600), replaced atomically.
//!
//! Persisted: field names are frozen.

use crate::SyncError;
use rustok_core::domain::ids::{DeviceId, TenantId};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// A device's enrolment.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Base URL of central, e.g. `http://127.0.0.1:8787`.
    pub central_url: String,
    /// This device.
    pub device_id: DeviceId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Tenant slug at central.
    pub tenant_slug: String,
    /// HMAC key, hex.
    pub secret: String,
    /// The store central enrolled the device into (absent from older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<crate::protocol::Store>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Credentials")
            .field("central_url", &self.central_url)
            .field("device_id", &self.device_id)
            .field("tenant_slug", &self.tenant_slug)
            .finish_non_exhaustive()
    }
}

fn fail(path: &Path, reason: impl std::fmt::Display) -> SyncError {
    SyncError::Credentials {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl Credentials {
    /// What central's answer to an enrolment at `base` leaves on the device.
    pub fn from_enrolment(base: String, reply: crate::protocol::EnrolResponse) -> Credentials {
        Credentials {
            central_url: base,
            device_id: reply.device_id,
            tenant_id: reply.tenant_id,
            tenant_slug: reply.tenant_slug,
            secret: reply.secret,
            store: reply.store,
        }
    }

    /// The secret as bytes.
    pub fn secret_bytes(&self) -> Result<Vec<u8>, SyncError> {
        hex::decode(&self.secret)
            .map_err(|_| SyncError::Invalid("the stored secret is not hex".into()))
    }

    /// Reads `path`; `None` when the device never enrolled.
    pub fn load(path: &Path) -> Result<Option<Credentials>, SyncError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| fail(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(fail(path, e)),
        }
    }

    /// Writes `path` owner-only, through a temporary file renamed into place.
    pub fn save(&self, path: &Path) -> Result<(), SyncError> {
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec_pretty(self).map_err(|e| fail(path, e))?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(|e| fail(&tmp, e))?;
        f.write_all(&json)
            .and_then(|()| f.sync_all())
            .map_err(|e| fail(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(path, e))
    }
}
