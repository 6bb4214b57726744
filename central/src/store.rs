//! Storage of the central server behind one small trait, [`Backend`], with SQLite
//! (WAL, `synchronous=FULL`) as the embedded implementation. Every write that a reply
//! acknowledges is committed durably before the reply is sent.

use crate::ingest::{Checked, Derived, Verdict};
use crate::CentralError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustok_domain::event::Envelope;
use rustok_domain::ids::{DeviceId, TenantId};
use rustok_protocol::{
    DailySales, DeviceHealth, HealthReport, PushResponse, RejectCode, Rejection, StoreSales,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Add-only migrations, embedded at compile time: (version, name, SQL).
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "0001_init",
        include_str!("../../migrations/central/0001_init.sql"),
    ),
    (
        2,
        "0002_tenant_scope",
        include_str!("../../migrations/central/0002_tenant_scope.sql"),
    ),
    (
        3,
        "0003_device_codes_and_signatures",
        include_str!("../../migrations/central/0003_device_codes_and_signatures.sql"),
    ),
];

/// A device as central knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Id.
    pub device_id: DeviceId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Tenant slug.
    pub tenant_slug: String,
    /// Order-number prefix.
    pub device_code: String,
    /// HMAC key.
    pub secret: Vec<u8>,
    /// Revoked devices are refused.
    pub revoked: bool,
    /// Highest contiguous seq held.
    pub acked_through: u64,
}

/// A device redeeming a code.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// SHA-256 of the code, hex.
    pub code_sha256: String,
    /// Device id.
    pub device_id: DeviceId,
    /// Its tenant id.
    pub tenant_id: TenantId,
    /// Order-number prefix.
    pub device_code: String,
    /// Freshly drawn secret (kept when the device re-enrols with a new code).
    pub secret: Vec<u8>,
}

/// What one ingest did: the answer for the device, and what it stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The answer.
    pub reply: PushResponse,
    /// Events newly stored (taken out of quarantine included).
    pub stored: u64,
    /// Events newly quarantined.
    pub quarantined: u64,
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Enrolled devices.
    pub devices: u64,
    /// Events stored.
    pub events: u64,
    /// Events quarantined.
    pub quarantined: u64,
}

/// What central stores. The server is written against this trait only.
pub trait Backend: Send + Sync + 'static {
    /// Stores a new code for `tenant_slug` (creating the tenant if new); with
    /// `device`, the code re-enrols only that device.
    fn create_enrolment(
        &self,
        tenant_slug: &str,
        code_sha256: &str,
        expires_at: i64,
        now_ms: i64,
        device: Option<DeviceId>,
    ) -> Result<(), CentralError>;
    /// Records a signature as used until `void_after` (Unix seconds); false when it
    /// was used before (a replay). `now` is the current Unix second.
    fn first_use(
        &self,
        signature: [u8; 32],
        void_after: i64,
        now: i64,
    ) -> Result<bool, CentralError>;
    /// Redeems a code once; returns the registered device.
    fn redeem(&self, r: &Redemption, now_ms: i64) -> Result<DeviceRecord, CentralError>;
    /// A device by id.
    fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, CentralError>;
    /// Revokes a device; false when unknown.
    fn revoke(&self, id: DeviceId) -> Result<bool, CentralError>;
    /// Applies a checked batch in one durable transaction.
    fn ingest(
        &self,
        device: DeviceId,
        batch: &[Checked],
        now_ms: i64,
    ) -> Result<Ingested, CentralError>;
    /// Records a health report.
    fn record_health(
        &self,
        device: DeviceId,
        report: &HealthReport,
        skew_ms: i64,
        now_ms: i64,
    ) -> Result<(), CentralError>;
    /// The last health of a device.
    fn health(&self, device: DeviceId) -> Result<Option<DeviceHealth>, CentralError>;
    /// Per-store sales of a tenant on a day.
    fn daily_sales(&self, tenant: TenantId, day: &str) -> Result<DailySales, CentralError>;
    /// Tenant id bound to a slug, if any.
    fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantId>, CentralError>;
    /// Every stored event of a device, in seq order.
    fn events_of(&self, device: DeviceId) -> Result<Vec<Envelope>, CentralError>;
    /// Counts for metrics. Must be O(1) and never wait for a write: `/metrics` is
    /// public and may be called in a flood.
    fn counts(&self) -> Result<Counts, CentralError>;
    /// A trivial query, for `/healthz`.
    fn ping(&self) -> Result<(), CentralError>;
}

impl From<rusqlite::Error> for CentralError {
    fn from(e: rusqlite::Error) -> Self {
        CentralError::Storage(e.to_string())
    }
}

/// The embedded SQLite backend: one connection, writes serialised.
pub struct Sqlite {
    conn: Mutex<Connection>,
    /// Rows counted once at open, then kept up to date by each commit.
    counts: KeptCounts,
}

#[derive(Default)]
struct KeptCounts {
    devices: AtomicU64,
    events: AtomicU64,
    quarantined: AtomicU64,
}

/// What one committed ingest changed in the counts.
#[derive(Default)]
struct CountDelta {
    events: u64,
    quarantined: u64,
    released: u64,
}

impl Sqlite {
    /// Opens (creating) `dir/central.db` and applies pending migrations.
    pub fn open(dir: &Path) -> Result<Sqlite, CentralError> {
        std::fs::create_dir_all(dir).map_err(|e| CentralError::Io(e.to_string()))?;
        let path = dir.join("central.db");
        // Device secrets live here: owner-only. SQLite gives its -wal and -shm files
        // the permissions of the database file.
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&path)
            .map_err(|e| CentralError::Io(format!("{}: {e}", path.display())))?;
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let counts = KeptCounts::default();
        let Counts {
            devices,
            events,
            quarantined,
        } = count_rows(&conn)?;
        counts.devices.store(devices, Ordering::Relaxed);
        counts.events.store(events, Ordering::Relaxed);
        counts.quarantined.store(quarantined, Ordering::Relaxed);
        Ok(Sqlite {
            conn: Mutex::new(conn),
            counts,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, CentralError>,
    ) -> Result<T, CentralError> {
        let mut c = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut c)
    }
}

fn count_rows(c: &Connection) -> Result<Counts, CentralError> {
    Ok(c.query_row(
        "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine)",
        [],
        |r| {
            Ok(Counts {
                devices: r.get(0)?,
                events: r.get(1)?,
                quarantined: r.get(2)?,
            })
        },
    )?)
}

fn migrate(conn: &mut Connection) -> Result<(), CentralError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as u32;
    if found > supported {
        return Err(CentralError::SchemaTooNew { found, supported });
    }
    for (version, _name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

fn parse_id<T>(
    r: &rusqlite::Row<'_>,
    i: usize,
    f: fn(&str) -> Result<T, rustok_domain::FieldError>,
) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    f(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

const DEVICE_COLUMNS: &str =
    "device_id, tenant_id, tenant_slug, device_code, secret, revoked, acked_through";

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRecord> {
    let secret: String = r.get(4)?;
    Ok(DeviceRecord {
        device_id: parse_id(r, 0, DeviceId::parse)?,
        tenant_id: parse_id(r, 1, TenantId::parse)?,
        tenant_slug: r.get(2)?,
        device_code: r.get(3)?,
        secret: hex::decode(secret).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
        revoked: r.get(5)?,
        acked_through: r.get(6)?,
    })
}

fn load_device(c: &Connection, id: DeviceId) -> Result<Option<DeviceRecord>, CentralError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ?1"
    ))?
    .query_row([id.to_string()], device_row)
    .optional()?)
}

fn rejection_of(c: &Connection, device: &str, seq: u64) -> Result<Option<Rejection>, CentralError> {
    let row: Option<(String, String, String)> = c
        .prepare_cached(
            "SELECT id, code, message FROM quarantine WHERE device_id = ?1 AND seq = ?2",
        )?
        .query_row(params![device, seq], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, code, message)) = row else {
        return Ok(None);
    };
    let id = rustok_domain::ids::EventId::parse(&id)
        .map_err(|e| CentralError::Corrupt(format!("quarantine id: {e}")))?;
    let code = serde_json::from_value(serde_json::Value::String(code))
        .map_err(|e| CentralError::Corrupt(format!("quarantine code: {e}")))?;
    Ok(Some(Rejection {
        seq,
        id,
        code,
        message,
    }))
}

fn apply_derived(
    tx: &Connection,
    device: &str,
    e: &Envelope,
    derived: &Derived,
) -> Result<(), CentralError> {
    let (kind, order, amount) = match derived {
        Derived::Nothing => return Ok(()),
        Derived::OrderCurrency { order_id, currency } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO order_currency (tenant_id, order_id, currency) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![e.tenant_id.to_string(), order_id, currency])?;
            return Ok(());
        }
        Derived::Paid { order_id, amount } => ("paid", order_id, amount),
        Derived::Refunded { order_id, amount } => ("refunded", order_id, amount),
    };
    tx.prepare_cached(
        "INSERT INTO sales (device_id, seq, tenant_id, day, order_id, kind, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        device,
        e.seq,
        e.tenant_id.to_string(),
        e.occurred_at.day(),
        order,
        kind,
        amount
    ])?;
    Ok(())
}

impl Backend for Sqlite {
    fn create_enrolment(
        &self,
        tenant_slug: &str,
        code_sha256: &str,
        expires_at: i64,
        now_ms: i64,
        device: Option<DeviceId>,
    ) -> Result<(), CentralError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR IGNORE INTO tenants (slug, created_at_ms) VALUES (?1, ?2)",
                params![tenant_slug, now_ms],
            )?;
            tx.execute(
                "INSERT INTO enrolment_codes (code_sha256, tenant_slug, created_at_ms, expires_at, device_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    code_sha256,
                    tenant_slug,
                    now_ms,
                    expires_at,
                    device.map(|d| d.to_string())
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn first_use(
        &self,
        signature: [u8; 32],
        void_after: i64,
        now: i64,
    ) -> Result<bool, CentralError> {
        self.with(|c| {
            let fresh = c
                .prepare_cached(
                    "INSERT OR IGNORE INTO seen_signatures (signature, void_after) VALUES (?1, ?2)",
                )?
                .execute(params![&signature[..], void_after])?
                == 1;
            // Forget what is void anyway, now and then (amortised: one in 256).
            if fresh && signature[0] == 0 {
                c.prepare_cached("DELETE FROM seen_signatures WHERE void_after < ?1")?
                    .execute([now])?;
            }
            Ok(fresh)
        })
    }

    fn redeem(&self, r: &Redemption, now_ms: i64) -> Result<DeviceRecord, CentralError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let code: Option<(String, i64, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT tenant_slug, expires_at, redeemed_by, device_id FROM enrolment_codes WHERE code_sha256 = ?1",
                    [&r.code_sha256],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((slug, expires_at, redeemed_by, for_device)) = code else {
                return Err(CentralError::BadCode("unknown enrolment code"));
            };
            if for_device.as_ref().is_some_and(|d| *d != r.device_id.to_string()) {
                return Err(CentralError::Forbidden("this enrolment code is for another device"));
            }
            if redeemed_by.is_some() {
                return Err(CentralError::BadCode("enrolment code already used"));
            }
            if now_ms / 1000 > expires_at {
                return Err(CentralError::BadCode("enrolment code expired"));
            }
            let bound: Option<String> = tx.query_row(
                "SELECT tenant_id FROM tenants WHERE slug = ?1",
                [&slug],
                |row| row.get(0),
            )?;
            let tenant = r.tenant_id.to_string();
            match bound {
                Some(t) if t != tenant => {
                    return Err(CentralError::Forbidden(
                        "this device belongs to another tenant than the code",
                    ))
                }
                Some(_) => {}
                None => {
                    let taken: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = ?1)",
                        [&tenant],
                        |row| row.get(0),
                    )?;
                    if taken {
                        return Err(CentralError::Forbidden(
                            "this device's tenant is enrolled under another slug",
                        ));
                    }
                    tx.execute(
                        "UPDATE tenants SET tenant_id = ?2 WHERE slug = ?1",
                        params![slug, tenant],
                    )?;
                }
            }
            let id = r.device_id.to_string();
            let mut new_device = false;
            if let Some(existing) = load_device(&tx, r.device_id)? {
                if existing.tenant_id != r.tenant_id {
                    return Err(CentralError::Forbidden("device enrolled for another tenant"));
                }
                // Re-enrolment (a reinstalled app, a lost secret): new secret, same
                // history; a revoked device stays revoked. Only with a code made
                // for this device: a plain code cannot take over an enrolled till.
                if existing.revoked {
                    return Err(CentralError::Forbidden("this device was revoked by head office"));
                }
                if for_device.is_none() {
                    return Err(CentralError::Forbidden(
                        "this device is enrolled already; re-enrolling it needs a code made for it (POST /v1/admin/enrolments with its device_id)",
                    ));
                }
                tx.execute(
                    "UPDATE devices SET secret = ?2, device_code = ?3 WHERE device_id = ?1",
                    params![id, hex::encode(&r.secret), r.device_code],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, tenant, slug, r.device_code, hex::encode(&r.secret), now_ms],
                )?;
                new_device = true;
            }
            tx.execute(
                "UPDATE enrolment_codes SET redeemed_by = ?2, redeemed_at_ms = ?3 WHERE code_sha256 = ?1",
                params![r.code_sha256, id, now_ms],
            )?;
            let device = load_device(&tx, r.device_id)?
                .ok_or(CentralError::Corrupt("device vanished in its own transaction".into()))?;
            tx.commit()?;
            if new_device {
                self.counts.devices.fetch_add(1, Ordering::Relaxed);
            }
            Ok(device)
        })
    }

    fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, CentralError> {
        self.with(|c| load_device(c, id))
    }

    fn revoke(&self, id: DeviceId) -> Result<bool, CentralError> {
        self.with(|c| {
            Ok(c.execute(
                "UPDATE devices SET revoked = 1 WHERE device_id = ?1",
                [id.to_string()],
            )? == 1)
        })
    }

    fn ingest(
        &self,
        device: DeviceId,
        batch: &[Checked],
        now_ms: i64,
    ) -> Result<Ingested, CentralError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = device.to_string();
            let mut acked: u64 = tx.query_row(
                "SELECT acked_through FROM devices WHERE device_id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let start = acked;
            let mut rejected = Vec::new();
            let mut expected = None;
            let mut delta = CountDelta::default();
            for item in batch {
                let (seq, event_id) = (item.seq, item.id);
                if seq <= acked {
                    // Held already: a resend after a lost reply. Report a quarantined
                    // event again; a different event at a held seq is a conflict.
                    if let Some(r) = rejection_of(&tx, &id, seq)? {
                        match (&item.verdict, &item.envelope) {
                            // Sent again from the device's dead letters and accepted
                            // now (central was upgraded since): out of quarantine.
                            (Verdict::Accept(derived), Some(e))
                                if r.id == event_id && r.code != RejectCode::SeqConflict =>
                            {
                                if insert_event(&tx, &id, e, &item.raw, now_ms)? {
                                    tx.prepare_cached(
                                        "DELETE FROM quarantine WHERE device_id = ?1 AND seq = ?2",
                                    )?
                                    .execute(params![id, seq])?;
                                    delta.events = delta.events.saturating_add(1);
                                    delta.released = delta.released.saturating_add(1);
                                    apply_derived(&tx, &id, e, derived)?;
                                } else {
                                    rejected.push(r);
                                }
                            }
                            _ if r.id != event_id => rejected.push(conflict(seq, event_id)),
                            _ => rejected.push(r),
                        }
                        continue;
                    }
                    let held: Option<String> = tx
                        .prepare_cached("SELECT id FROM events WHERE device_id = ?1 AND seq = ?2")?
                        .query_row(params![id, seq], |r| r.get(0))
                        .optional()?;
                    if held.as_deref() != Some(event_id.to_string().as_str()) {
                        rejected.push(conflict(seq, event_id));
                    }
                    continue;
                }
                let next = acked.checked_add(1);
                if Some(seq) != next {
                    expected = next;
                    break;
                }
                match (&item.verdict, &item.envelope) {
                    (Verdict::Accept(derived), Some(e)) => {
                        if !insert_event(&tx, &id, e, &item.raw, now_ms)? {
                            // The id exists at another (device, seq) of this tenant:
                            // never store twice.
                            quarantine(
                                &tx,
                                &id,
                                item,
                                RejectCode::SeqConflict,
                                "event id already held at another seq",
                                now_ms,
                                &mut rejected,
                            )?;
                            delta.quarantined = delta.quarantined.saturating_add(1);
                        } else {
                            delta.events = delta.events.saturating_add(1);
                            apply_derived(&tx, &id, e, derived)?;
                        }
                    }
                    (Verdict::Accept(_), None) => {
                        quarantine(
                            &tx,
                            &id,
                            item,
                            RejectCode::Malformed,
                            "not an event envelope",
                            now_ms,
                            &mut rejected,
                        )?;
                        delta.quarantined = delta.quarantined.saturating_add(1);
                    }
                    (Verdict::Reject(code, message), _) => {
                        quarantine(&tx, &id, item, *code, message, now_ms, &mut rejected)?;
                        delta.quarantined = delta.quarantined.saturating_add(1);
                    }
                }
                acked = seq;
            }
            if acked != start {
                tx.execute(
                    "UPDATE devices SET acked_through = ?2 WHERE device_id = ?1",
                    params![id, acked],
                )?;
            }
            tx.commit()?;
            let k = &self.counts;
            k.events.fetch_add(delta.events, Ordering::Relaxed);
            k.quarantined
                .fetch_add(delta.quarantined, Ordering::Relaxed);
            k.quarantined.fetch_sub(delta.released, Ordering::Relaxed);
            Ok(Ingested {
                reply: PushResponse {
                    acked_through: acked,
                    expected,
                    rejected,
                },
                stored: delta.events,
                quarantined: delta.quarantined,
            })
        })
    }

    fn record_health(
        &self,
        device: DeviceId,
        report: &HealthReport,
        skew_ms: i64,
        now_ms: i64,
    ) -> Result<(), CentralError> {
        let json =
            serde_json::to_string(report).map_err(|e| CentralError::Corrupt(e.to_string()))?;
        self.with(|c| {
            c.execute(
                "UPDATE devices SET health = ?2, reported_at_ms = ?3, clock_skew_ms = ?4 WHERE device_id = ?1",
                params![device.to_string(), json, now_ms, skew_ms],
            )?;
            Ok(())
        })
    }

    fn health(&self, device: DeviceId) -> Result<Option<DeviceHealth>, CentralError> {
        self.with(|c| {
            let Some(d) = load_device(c, device)? else {
                return Ok(None);
            };
            let (health, reported_at_ms, clock_skew_ms, quarantined): (
                Option<String>,
                Option<i64>,
                Option<i64>,
                u64,
            ) = c.query_row(
                "SELECT health, reported_at_ms, clock_skew_ms,
                        (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id)
                 FROM devices d WHERE device_id = ?1",
                [device.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let report = health
                .map(|h| serde_json::from_str(&h))
                .transpose()
                .map_err(|e| CentralError::Corrupt(format!("devices.health: {e}")))?;
            Ok(Some(DeviceHealth {
                device_id: d.device_id,
                tenant_id: d.tenant_id,
                device_code: d.device_code,
                revoked: d.revoked,
                acked_through: d.acked_through,
                quarantined,
                reported_at_ms,
                report,
                clock_skew_ms,
            }))
        })
    }

    fn daily_sales(&self, tenant: TenantId, day: &str) -> Result<DailySales, CentralError> {
        self.with(|c| {
            // Summed here in i128, not by SQLite's sum(), which fails the whole report
            // on overflow: one device's absurd figures must not hide every store's.
            let mut st = c.prepare_cached(
                "SELECT s.device_id, d.device_code, coalesce(oc.currency, ''), s.kind, s.amount
                 FROM sales s
                 JOIN devices d ON d.device_id = s.device_id
                 LEFT JOIN order_currency oc ON oc.tenant_id = s.tenant_id AND oc.order_id = s.order_id
                 WHERE s.tenant_id = ?1 AND s.day = ?2",
            )?;
            let rows = st.query_map(params![tenant.to_string(), day], |r| {
                Ok(SaleRow {
                    device_id: parse_id(r, 0, DeviceId::parse)?,
                    device_code: r.get(1)?,
                    currency: r.get(2)?,
                    refund: r.get::<_, String>(3)? == "refunded",
                    amount: r.get(4)?,
                })
            })?;
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(DailySales {
                tenant_id: tenant,
                day: day.to_owned(),
                stores: sum_sales(rows),
            })
        })
    }

    fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantId>, CentralError> {
        self.with(|c| {
            let t: Option<Option<String>> = c
                .query_row(
                    "SELECT tenant_id FROM tenants WHERE slug = ?1",
                    [slug],
                    |r| r.get(0),
                )
                .optional()?;
            t.flatten()
                .map(|s| TenantId::parse(&s).map_err(|e| CentralError::Corrupt(e.to_string())))
                .transpose()
        })
    }

    fn events_of(&self, device: DeviceId) -> Result<Vec<Envelope>, CentralError> {
        self.with(|c| {
            let mut st =
                c.prepare_cached("SELECT envelope FROM events WHERE device_id = ?1 ORDER BY seq")?;
            let rows = st.query_map([device.to_string()], |r| r.get::<_, String>(0))?;
            rows.map(|r| {
                let s = r?;
                serde_json::from_str(&s)
                    .map_err(|e| CentralError::Corrupt(format!("events.envelope: {e}")))
            })
            .collect()
        })
    }

    fn counts(&self) -> Result<Counts, CentralError> {
        let k = &self.counts;
        Ok(Counts {
            devices: k.devices.load(Ordering::Relaxed),
            events: k.events.load(Ordering::Relaxed),
            quarantined: k.quarantined.load(Ordering::Relaxed),
        })
    }

    fn ping(&self) -> Result<(), CentralError> {
        self.with(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }
}

/// Stores an accepted event; false when its id is already held at another seq.
fn insert_event(
    tx: &Connection,
    device: &str,
    e: &Envelope,
    envelope: &str,
    now_ms: i64,
) -> Result<bool, CentralError> {
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO events (device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            device,
            e.seq,
            e.id.to_string(),
            e.tenant_id.to_string(),
            e.event_type,
            e.schema_version,
            e.occurred_at.to_rfc3339(),
            envelope,
            now_ms
        ])?;
    Ok(inserted == 1)
}

/// A different event at a seq central already holds.
fn conflict(seq: u64, id: rustok_domain::ids::EventId) -> Rejection {
    Rejection {
        seq,
        id,
        code: RejectCode::SeqConflict,
        message: format!("central holds another event at seq {seq}; this device's log was rewound"),
    }
}

fn quarantine(
    tx: &Connection,
    device: &str,
    item: &Checked,
    code: RejectCode,
    message: &str,
    now_ms: i64,
    rejected: &mut Vec<Rejection>,
) -> Result<(), CentralError> {
    tx.prepare_cached(
        "INSERT INTO quarantine (device_id, seq, id, code, message, envelope, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        device,
        item.seq,
        item.id.to_string(),
        code.as_str(),
        message,
        item.raw,
        now_ms
    ])?;
    rejected.push(Rejection {
        seq: item.seq,
        id: item.id,
        code,
        message: message.to_owned(),
    });
    Ok(())
}

/// One row of the `sales` table with its store and currency.
struct SaleRow {
    device_id: DeviceId,
    device_code: String,
    currency: String,
    refund: bool,
    amount: i64,
}

/// Per store and currency, ordered by device code then currency: counts and sums
/// taken in i128, each amount clamped to `i64` with `out_of_range` set when it
/// does not fit.
fn sum_sales(rows: Vec<SaleRow>) -> Vec<StoreSales> {
    #[derive(Default)]
    struct Sums {
        counts: [u64; 2],
        amounts: [i128; 2],
    }
    let mut by_store: BTreeMap<(String, String, DeviceId), Sums> = BTreeMap::new();
    for r in rows {
        let k = usize::from(r.refund);
        let sums = by_store
            .entry((r.device_code, r.currency, r.device_id))
            .or_default();
        sums.counts[k] = sums.counts[k].saturating_add(1);
        sums.amounts[k] = sums.amounts[k].saturating_add(i128::from(r.amount));
    }
    let clamp = |v: i128| i64::try_from(v).map_err(|_| if v < 0 { i64::MIN } else { i64::MAX });
    by_store
        .into_iter()
        .map(|((device_code, currency, device_id), s)| {
            let (paid, refunded) = (clamp(s.amounts[0]), clamp(s.amounts[1]));
            StoreSales {
                device_id,
                device_code,
                currency,
                orders: s.counts[0],
                paid: paid.unwrap_or_else(|c| c),
                refunds: s.counts[1],
                refunded: refunded.unwrap_or_else(|c| c),
                out_of_range: paid.is_err() || refunded.is_err(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_that_do_not_fit_an_i64_are_clamped_and_flagged() {
        let device = DeviceId::parse("0192f0e4-3000-7000-8000-000000000001").unwrap();
        let row = |amount, refund| SaleRow {
            device_id: device,
            device_code: "POS1".into(),
            currency: "EUR".into(),
            refund,
            amount,
        };
        let mut rows: Vec<SaleRow> = (0..10_000)
            .map(|_| row(rustok_domain::money::MAX_MINOR, false))
            .collect();
        rows.push(row(5, true));
        let stores = sum_sales(rows);
        assert_eq!(stores.len(), 1);
        let s = &stores[0];
        assert_eq!(
            (s.orders, s.paid, s.refunds, s.refunded),
            (10_000, i64::MAX, 1, 5)
        );
        assert!(s.out_of_range);
        let stores = sum_sales(vec![row(7, false), row(5, true)]);
        assert_eq!(
            (stores[0].paid, stores[0].refunded, stores[0].out_of_range),
            (7, 5, false)
        );
    }
}
