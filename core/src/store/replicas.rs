//! Replicated records on the device (`replicas`): per field, the value and the stamp
//! of the write that set it (`rustok_domain::replica`). Every event this device
//! appends that writes such a record is merged here in its transaction, and so is
//! every change it pulls; the state tables hold what the replicas say.

use super::StoreError;
use crate::domain::event::{DomainEvent, EventType, Origin, Reach};
use crate::domain::hlc::Hlc;
use crate::domain::ids::DeviceId;
use crate::domain::replica::{Change, Kind, Replica, Stamp};
use crate::domain::upcast::Upcasters;
use rusqlite::{params, Connection, OptionalExtension};

/// The replica of one record, if this device holds one.
pub fn replica(c: &Connection, kind: Kind, id: uuid::Uuid) -> Result<Option<Replica>, StoreError> {
    let doc: Option<String> = c
        .prepare_cached("SELECT doc FROM replicas WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind.as_str(), id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn save(c: &Connection, kind: Kind, id: uuid::Uuid, r: &Replica) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO replicas (kind, id, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
    )?
    .execute(params![
        kind.as_str(),
        id.to_string(),
        serde_json::to_string(r)?
    ])?;
    Ok(())
}

/// Merges a write into its record's replica (saved when a value or a stamp
/// changed); returns the replica when a value changed (the caller brings the state
/// tables in line), `None` otherwise.
pub fn merge_replica(
    c: &Connection,
    change: &Change,
    stamp: Stamp,
) -> Result<Option<Replica>, StoreError> {
    let mut r = replica(c, change.kind, change.id)?.unwrap_or_default();
    let merged = r.merge(change, stamp);
    if merged.stamps {
        save(c, change.kind, change.id, &r)?;
    }
    Ok(merged.values.then_some(r))
}

/// Every replica of a kind, by id.
pub fn replicas_of_kind(
    c: &Connection,
    kind: Kind,
) -> Result<Vec<(uuid::Uuid, Replica)>, StoreError> {
    let mut st = c.prepare_cached("SELECT id, doc FROM replicas WHERE kind = ?1 ORDER BY id")?;
    let rows = st.query_map([kind.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (id, doc) = row?;
        let id = uuid::Uuid::parse_str(&id)
            .map_err(|e| StoreError::Io(std::io::Error::other(format!("replicas.id: {e}"))))?;
        Ok((id, serde_json::from_str(&doc)?))
    })
    .collect()
}

/// Fills the replicas from this device's events (the migration that made them):
/// each tenant-wide event's write, with its own stamp, in seq order.
pub(super) fn replay(c: &Connection) -> Result<(), StoreError> {
    let types: Vec<String> = EventType::ALL
        .iter()
        .filter(|t| t.reach() == Reach::Tenant)
        .map(|t| format!("'{}'", t.as_str()))
        .collect();
    let mut st = c.prepare(&format!(
        "SELECT type, schema_version, data, hlc, origin, device_id FROM events
         WHERE type IN ({}) ORDER BY seq",
        types.join(", ")
    ))?;
    let upcasters = Upcasters::standard();
    let mut rows = st.query([])?;
    let mut replicas: std::collections::BTreeMap<(Kind, uuid::Uuid), Replica> = Default::default();
    while let Some(r) = rows.next()? {
        let (t, v, data): (String, u32, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        // An event this version cannot read writes no record (it was never applied).
        let Ok(event) = DomainEvent::decode(&t, v, &data, &upcasters) else {
            continue;
        };
        let Some(change) = crate::domain::replica::change_of(&event) else {
            continue;
        };
        let stamp = Stamp {
            hlc: super::rows::parse(r, 3, Hlc::parse)?,
            origin: super::rows::parse(r, 4, Origin::parse)?,
            device: super::rows::parse(r, 5, DeviceId::parse)?,
        };
        replicas
            .entry((change.kind, change.id))
            .or_default()
            .merge(&change, stamp);
    }
    for ((kind, id), r) in &replicas {
        save(c, *kind, *id, r)?;
    }
    Ok(())
}
