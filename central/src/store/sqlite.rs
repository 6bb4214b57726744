//! The embedded SQLite backend (WAL, `synchronous=FULL`): one connection, writes
//! serialised, each call on a blocking thread so no request's runtime waits on disk.

use super::{
    sum_sales, AuditEntry, Backend, Counts, DeviceRecord, FeedAsk, FeedRows, Fut, HealthSample,
    Ingested, NewCode, NewSession, Office, OfficeIds, Person, Redemption, ReportBatch,
    ReportPending, SaleRow, Session, SignIn, OFFICE_DEVICE_CODE,
};
use crate::ingest::Record;
use crate::ingest::{self, Checked, CountDelta, Derived, Held, IngestTx, NewEvent, Quarantined};
use crate::report::{self, Ask, Raw};
use crate::CentralError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustok_domain::event::Envelope;
use rustok_domain::event::Reach;
use rustok_domain::hlc::Hlc;
use rustok_domain::ids::{DeviceId, EventId, TenantId};
use rustok_domain::image::ImageDigest;
use rustok_domain::replica::{Kind, Replica};
use rustok_protocol::{DailySales, DeviceHealth, HealthReport, Store, StoreFields, MAIN_STORE};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

/// Add-only migrations, embedded at compile time: (version, name, SQL).
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "0001_init",
        include_str!("../../../migrations/central/0001_init.sql"),
    ),
    (
        2,
        "0002_tenant_scope",
        include_str!("../../../migrations/central/0002_tenant_scope.sql"),
    ),
    (
        3,
        "0003_device_codes_and_signatures",
        include_str!("../../../migrations/central/0003_device_codes_and_signatures.sql"),
    ),
    (
        4,
        "0004_stores_and_feed",
        include_str!("../../../migrations/central/0004_stores_and_feed.sql"),
    ),
    (
        5,
        "0005_replicas",
        include_str!("../../../migrations/central/0005_replicas.sql"),
    ),
    (
        6,
        "0006_images",
        include_str!("../../../migrations/central/0006_images.sql"),
    ),
    (
        7,
        "0007_replicas_in_rowid_table",
        include_str!("../../../migrations/central/0007_replicas_in_rowid_table.sql"),
    ),
    (
        8,
        "0008_console",
        include_str!("../../../migrations/central/0008_console.sql"),
    ),
    (
        9,
        "0009_reports",
        include_str!("../../../migrations/central/0009_reports.sql"),
    ),
    (
        10,
        "0010_report_rollups",
        include_str!("../../../migrations/central/0010_report_rollups.sql"),
    ),
];

/// The schema version this central's SQLite database is at once migrated.
pub const SQLITE_SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migration that made the replicas table: the events held before are replayed
/// into it in the same transaction.
const REPLICAS_MIGRATION: u32 = 5;

impl From<rusqlite::Error> for CentralError {
    fn from(e: rusqlite::Error) -> Self {
        CentralError::Storage(e.to_string())
    }
}

/// The embedded SQLite backend: one connection, writes serialised.
pub struct Sqlite {
    inner: Arc<Inner>,
}

struct Inner {
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
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                counts,
            }),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &KeptCounts) -> Result<T, CentralError> + Send + 'static,
    ) -> Fut<'static, T> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut c = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
                f(&mut c, &inner.counts)
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "a database task failed");
                CentralError::Storage(format!("a database task failed: {e}"))
            })?
        })
    }
}

fn count_rows(c: &Connection) -> Result<Counts, CentralError> {
    Ok(c.query_row(
        "SELECT (SELECT count(*) FROM devices WHERE device_id NOT IN
                    (SELECT office_device_id FROM tenants WHERE office_device_id IS NOT NULL)),
                (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine)",
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
        if *version == REPLICAS_MIGRATION {
            backfill_replicas(&tx)?;
        }
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
    "device_id, tenant_id, tenant_slug, device_code, secret, revoked, acked_through, store";

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
        store: r.get(7)?,
    })
}

/// Creates a tenant with its main store, if new.
fn ensure_tenant(c: &Connection, slug: &str, now_ms: i64) -> Result<(), CentralError> {
    if c.execute(
        "INSERT OR IGNORE INTO tenants (slug, created_at_ms) VALUES (?1, ?2)",
        params![slug, now_ms],
    )? == 1
    {
        c.execute(
            "INSERT INTO stores (tenant_slug, code, name, created_at_ms) VALUES (?1, ?2, 'Main store', ?3)",
            params![slug, MAIN_STORE, now_ms],
        )?;
    }
    Ok(())
}

/// A stored replica.
fn read_replica(doc: &str) -> Result<Replica, CentralError> {
    serde_json::from_str(doc).map_err(|e| CentralError::Corrupt(format!("replicas.doc: {e}")))
}

/// The replicas of `tenant` at `keys` (those that exist).
fn replicas_of(
    c: &Connection,
    tenant: &str,
    keys: &[(Kind, uuid::Uuid)],
) -> Result<HashMap<(Kind, uuid::Uuid), Replica>, CentralError> {
    let mut st = c.prepare_cached(
        "SELECT doc FROM replicas WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
    )?;
    let mut out = HashMap::new();
    for &(kind, id) in keys {
        let doc: Option<String> = st
            .query_row(params![tenant, kind.as_str(), id.to_string()], |r| r.get(0))
            .optional()?;
        if let Some(doc) = doc {
            out.insert((kind, id), read_replica(&doc)?);
        }
    }
    Ok(out)
}

/// Inserts or replaces replicas of `tenant`.
fn put_replicas(c: &Connection, tenant: &str, rows: &[Record<'_>]) -> Result<(), CentralError> {
    let mut st = c.prepare_cached(
        "INSERT INTO replicas (tenant_id, kind, id, doc, sku, barcode) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, kind, id) DO UPDATE SET doc = excluded.doc, sku = excluded.sku, barcode = excluded.barcode",
    )?;
    for r in rows {
        let doc =
            serde_json::to_string(r.replica).map_err(|e| CentralError::Corrupt(e.to_string()))?;
        st.execute(params![
            tenant,
            r.kind.as_str(),
            r.id.to_string(),
            doc,
            r.sku,
            r.barcode
        ])?;
    }
    Ok(())
}

/// Fills the replicas from the events held before central kept them (migration 5),
/// each tenant's in its feed's order.
fn backfill_replicas(c: &Connection) -> Result<(), CentralError> {
    let mut st = c.prepare(
        "SELECT f.tenant_id, e.envelope FROM feed f
         JOIN events e ON e.device_id = f.device_id AND e.seq = f.seq
         ORDER BY f.tenant_id, f.position",
    )?;
    let mut by_tenant: std::collections::BTreeMap<String, Vec<Envelope>> = Default::default();
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (tenant, envelope) = row?;
        // An event central held but can no longer read writes no record.
        if let Ok(e) = serde_json::from_str(&envelope) {
            by_tenant.entry(tenant).or_default().push(e);
        }
    }
    let upcasters = rustok_domain::upcast::Upcasters::standard();
    for (tenant, events) in by_tenant {
        let replicas = ingest::replay(&events, &upcasters);
        let rows: Vec<Record<'_>> = replicas
            .iter()
            .map(|((kind, id), r)| Record::of(*kind, *id, r))
            .collect();
        put_replicas(c, &tenant, &rows)?;
    }
    Ok(())
}

fn store_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Store> {
    Ok(Store {
        code: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
    })
}

/// Adds the sales in `new_sales` to the report roll-ups (per quarter of an hour,
/// per tender, per product and UTC day). `WHERE true`: an upsert's SELECT needs one.
const ROLL_UP: &str = "
INSERT INTO report_quarters (tenant_id, quarter, store, currency, kind, count, high, low, disc_high, disc_low)
SELECT s.tenant_id, s.at_ms / 900000, s.store, coalesce(o.currency, ''), s.kind, count(*),
       sum(s.amount / 1000000), sum(s.amount % 1000000),
       sum(CASE WHEN s.kind = 'paid' THEN coalesce(o.discount, 0) / 1000000 ELSE 0 END),
       sum(CASE WHEN s.kind = 'paid' THEN coalesce(o.discount, 0) % 1000000 ELSE 0 END)
FROM new_sales n
JOIN report_sales s ON s.device_id = n.device_id AND s.seq = n.seq
LEFT JOIN report_orders o ON o.tenant_id = s.tenant_id AND o.order_id = s.order_id
WHERE true
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (tenant_id, quarter, store, currency, kind) DO UPDATE SET
    count = count + excluded.count, high = high + excluded.high, low = low + excluded.low,
    disc_high = disc_high + excluded.disc_high, disc_low = disc_low + excluded.disc_low;
INSERT INTO report_tender_quarters (tenant_id, quarter, method, currency, kind, high, low)
SELECT t.tenant_id, t.at_ms / 900000, t.method, coalesce(o.currency, ''), t.kind,
       sum(t.amount / 1000000), sum(t.amount % 1000000)
FROM new_sales n
JOIN report_tenders t ON t.device_id = n.device_id AND t.seq = n.seq
LEFT JOIN report_orders o ON o.tenant_id = t.tenant_id AND o.order_id = t.order_id
WHERE true
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (tenant_id, quarter, method, currency, kind) DO UPDATE SET
    high = high + excluded.high, low = low + excluded.low;
INSERT INTO report_product_days (tenant_id, day, product_id, currency, title, quantity, high, low)
SELECT s.tenant_id, s.at_ms / 86400000, l.product_id, coalesce(o.currency, ''), max(l.title),
       sum(l.quantity), sum(l.amount / 1000000), sum(l.amount % 1000000)
FROM new_sales n
JOIN report_sales s ON s.device_id = n.device_id AND s.seq = n.seq
JOIN report_lines l ON l.tenant_id = s.tenant_id AND l.order_id = s.order_id
LEFT JOIN report_orders o ON o.tenant_id = s.tenant_id AND o.order_id = s.order_id
WHERE s.kind = 'paid'
GROUP BY 1, 2, 3, 4
ON CONFLICT (tenant_id, day, product_id, currency) DO UPDATE SET
    title = excluded.title, quantity = quantity + excluded.quantity,
    high = high + excluded.high, low = low + excluded.low;
";

/// Devices with their health columns, then `rest` (a filter and order);
/// [`health_row`] reads a row of it.
fn health_select(rest: &str) -> String {
    format!(
        "SELECT {DEVICE_COLUMNS}, health, reported_at_ms, clock_skew_ms,
                (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id)
         FROM devices d {rest}"
    )
}

/// A row of [`health_select`]: the device's store, and its health once the stored
/// report is parsed (a report that does not parse is a corrupt database, not a
/// failed query).
fn health_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, impl FnOnce() -> Result<DeviceHealth, CentralError>)> {
    let d = device_row(r)?;
    let (health, reported_at_ms, clock_skew_ms, quarantined) =
        (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?);
    Ok((d.store.clone(), move || {
        super::device_health(d, health, reported_at_ms, clock_skew_ms, quarantined)
    }))
}

/// A person from the first four columns: id, tenant, login, name.
fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let id: String = r.get(0)?;
    Ok(Person {
        person_id: Uuid::parse_str(&id).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        tenant_slug: r.get(1)?,
        login: r.get(2)?,
        name: r.get(3)?,
    })
}

fn load_device(c: &Connection, id: DeviceId) -> Result<Option<DeviceRecord>, CentralError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ?1"
    ))?
    .query_row([id.to_string()], device_row)
    .optional()?)
}

/// One device's ingest on the SQLite connection: `BEGIN IMMEDIATE` takes the write
/// lock (writes are serialised anyway); dropped uncommitted, it rolls back.
struct SqliteTx<'c> {
    conn: &'c mut Connection,
    counts: &'c KeptCounts,
    device: String,
    /// The device's tenant, read with its acknowledged seq.
    tenant: String,
    now_ms: i64,
    open: bool,
}

impl<'c> SqliteTx<'c> {
    fn begin(
        conn: &'c mut Connection,
        counts: &'c KeptCounts,
        device: DeviceId,
        now_ms: i64,
    ) -> Result<Self, CentralError> {
        // A rollback that failed once would leave every later ingest unable to begin.
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK")?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTx {
            conn,
            counts,
            device: device.to_string(),
            tenant: String::new(),
            now_ms,
            open: true,
        })
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "rolling back an ingest failed");
            }
        }
    }
}

impl IngestTx for SqliteTx<'_> {
    async fn acked_through(&mut self) -> Result<u64, CentralError> {
        let (acked, tenant) = self.conn.query_row(
            "SELECT acked_through, tenant_id FROM devices WHERE device_id = ?1",
            [&self.device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        self.tenant = tenant;
        Ok(acked)
    }

    async fn replicas(
        &mut self,
        keys: &[(Kind, uuid::Uuid)],
    ) -> Result<HashMap<(Kind, uuid::Uuid), Replica>, CentralError> {
        replicas_of(self.conn, &self.tenant, keys)
    }

    async fn put_replicas(&mut self, rows: &[Record<'_>]) -> Result<(), CentralError> {
        put_replicas(self.conn, &self.tenant, rows)
    }

    async fn held(&mut self, seqs: &[u64]) -> Result<Held, CentralError> {
        let mut held = Held::default();
        let mut event = self
            .conn
            .prepare_cached("SELECT id FROM events WHERE device_id = ?1 AND seq = ?2")?;
        let mut quarantined = self.conn.prepare_cached(
            "SELECT id, code, message FROM quarantine WHERE device_id = ?1 AND seq = ?2",
        )?;
        for &seq in seqs {
            if let Some(id) = event
                .query_row(params![self.device, seq], |r| {
                    parse_id(r, 0, EventId::parse)
                })
                .optional()?
            {
                held.events.insert(seq, id);
            }
            let row = quarantined
                .query_row(params![self.device, seq], |r| {
                    Ok((
                        parse_id(r, 0, EventId::parse)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()?;
            if let Some((id, code, message)) = row {
                held.quarantined
                    .insert(seq, super::rejection(seq, id, &code, message)?);
            }
        }
        Ok(held)
    }

    async fn insert(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<u64>, CentralError> {
        // One prepared statement, run per row in this one transaction (0.65× the
        // floor's multi-row INSERT in `central_ingest`, HTTP and parsing included).
        let mut st = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO events (device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut stored = Vec::with_capacity(events.len());
        for NewEvent { envelope: e, raw } in events {
            let n = st.execute(params![
                self.device,
                e.seq,
                e.id.to_string(),
                e.tenant_id.to_string(),
                e.event_type,
                e.schema_version,
                e.occurred_at.to_rfc3339(),
                raw,
                self.now_ms
            ])?;
            if n == 1 {
                stored.push(e.seq);
            }
        }
        Ok(stored)
    }

    async fn quarantine(&mut self, events: &[Quarantined<'_>]) -> Result<(), CentralError> {
        let mut st = self.conn.prepare_cached(
            "INSERT INTO quarantine (device_id, seq, id, code, message, envelope, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for q in events {
            st.execute(params![
                self.device,
                q.seq,
                q.id.to_string(),
                q.code.as_str(),
                q.message,
                q.raw,
                self.now_ms
            ])?;
        }
        Ok(())
    }

    async fn release(&mut self, seqs: &[u64]) -> Result<(), CentralError> {
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM quarantine WHERE device_id = ?1 AND seq = ?2")?;
        for seq in seqs {
            st.execute(params![self.device, seq])?;
        }
        Ok(())
    }

    async fn derive(&mut self, rows: &[(&Envelope, &Derived)]) -> Result<(), CentralError> {
        for (e, derived) in rows {
            let (kind, order, amount) = match derived {
                Derived::Nothing => continue,
                Derived::OrderCurrency { order_id, currency } => {
                    self.conn
                        .prepare_cached(
                            "INSERT OR IGNORE INTO order_currency (tenant_id, order_id, currency) VALUES (?1, ?2, ?3)",
                        )?
                        .execute(params![e.tenant_id.to_string(), order_id, currency])?;
                    continue;
                }
                Derived::Paid { order_id, amount } => ("paid", order_id, amount),
                Derived::Refunded { order_id, amount } => ("refunded", order_id, amount),
            };
            self.conn
                .prepare_cached(
                    "INSERT INTO sales (device_id, seq, tenant_id, day, order_id, kind, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    self.device,
                    e.seq,
                    e.tenant_id.to_string(),
                    e.occurred_at.day(),
                    order,
                    kind,
                    amount
                ])?;
        }
        Ok(())
    }

    async fn feed(&mut self, seqs: &[(u64, Reach)], last_hlc: Hlc) -> Result<(), CentralError> {
        let n = u64::try_from(seqs.len()).unwrap_or(u64::MAX);
        let head: u64 = self.conn.prepare_cached(
            "INSERT INTO feed_heads (tenant_id, head, last_hlc) SELECT tenant_id, ?2, ?3 FROM devices WHERE device_id = ?1
             ON CONFLICT (tenant_id) DO UPDATE SET head = head + excluded.head,
                 last_hlc = max(last_hlc, excluded.last_hlc)
             RETURNING head",
        )?
        .query_row(params![self.device, n, last_hlc.to_string()], |r| r.get(0))?;
        let mut st = self.conn.prepare_cached(
            "INSERT INTO feed (tenant_id, position, device_id, seq, store)
             SELECT tenant_id, ?2, device_id, ?3, CASE WHEN ?4 THEN store END FROM devices WHERE device_id = ?1",
        )?;
        let first = head.saturating_sub(n);
        for (position, (seq, reach)) in (first.saturating_add(1)..).zip(seqs) {
            st.execute(params![self.device, position, seq, *reach == Reach::Store])?;
        }
        Ok(())
    }

    async fn commit(mut self, acked_through: u64, delta: CountDelta) -> Result<(), CentralError> {
        self.conn.execute(
            "UPDATE devices SET acked_through = ?2 WHERE device_id = ?1 AND acked_through <> ?2",
            params![self.device, acked_through],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        let k = self.counts;
        k.events.fetch_add(delta.stored, Ordering::Relaxed);
        k.quarantined
            .fetch_add(delta.quarantined, Ordering::Relaxed);
        k.quarantined.fetch_sub(delta.released, Ordering::Relaxed);
        Ok(())
    }
}

impl Backend for Sqlite {
    fn create_enrolment<'a>(&'a self, code: &'a NewCode<'a>, now_ms: i64) -> Fut<'a, ()> {
        let (slug, digest, store) = (
            code.tenant_slug.to_owned(),
            code.code_sha256.to_owned(),
            code.store.to_owned(),
        );
        let (expires_at, device) = (code.expires_at, code.device);
        self.with(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            ensure_tenant(&tx, &slug, now_ms)?;
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM stores WHERE tenant_slug = ?1 AND code = ?2)",
                params![slug, store],
                |r| r.get(0),
            )?;
            if !known {
                return Err(CentralError::Invalid(
                    "the tenant has no store with that code; create it first (PUT /v1/admin/tenants/{slug}/stores/{code})",
                ));
            }
            tx.execute(
                "INSERT INTO enrolment_codes (code_sha256, tenant_slug, created_at_ms, expires_at, device_id, store)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    digest,
                    slug,
                    now_ms,
                    expires_at,
                    device.map(|d| d.to_string()),
                    store
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn put_store<'a>(
        &'a self,
        tenant_slug: &'a str,
        code: &'a str,
        fields: &'a StoreFields,
        now_ms: i64,
    ) -> Fut<'a, Store> {
        let checked = super::check_store(code, fields);
        let (slug, code, f) = (tenant_slug.to_owned(), code.to_owned(), fields.clone());
        self.with(move |c, _| {
            checked?;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            ensure_tenant(&tx, &slug, now_ms)?;
            let store = tx.query_row(
                "INSERT INTO stores (tenant_slug, code, name, address, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant_slug, code) DO UPDATE SET name = excluded.name, address = excluded.address
                 RETURNING code, name, address",
                params![slug, code, f.name.trim(), f.address, now_ms],
                store_row,
            )?;
            tx.commit()?;
            Ok(store)
        })
    }

    fn stores<'a>(&'a self, tenant_slug: &'a str) -> Fut<'a, Option<Vec<Store>>> {
        let slug = tenant_slug.to_owned();
        self.with(move |c, _| {
            let known: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = ?1)",
                [&slug],
                |r| r.get(0),
            )?;
            if !known {
                return Ok(None);
            }
            let mut st = c.prepare_cached(
                "SELECT code, name, address FROM stores WHERE tenant_slug = ?1 ORDER BY code",
            )?;
            let rows = st.query_map([&slug], store_row)?;
            Ok(Some(rows.collect::<Result<Vec<_>, _>>()?))
        })
    }

    fn records(&self, tenant: TenantId, kind: Kind) -> Fut<'_, Vec<(uuid::Uuid, Replica)>> {
        self.with(move |c, _| {
            let mut st = c.prepare_cached(
                "SELECT id, doc FROM replicas WHERE tenant_id = ?1 AND kind = ?2 ORDER BY id",
            )?;
            let rows = st.query_map(params![tenant.to_string(), kind.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            rows.map(|row| {
                let (id, doc) = row?;
                let id = uuid::Uuid::parse_str(&id)
                    .map_err(|e| CentralError::Corrupt(format!("replicas.id: {e}")))?;
                Ok((id, read_replica(&doc)?))
            })
            .collect()
        })
    }

    fn replicas<'a>(
        &'a self,
        tenant: TenantId,
        keys: &'a [(Kind, uuid::Uuid)],
    ) -> Fut<'a, HashMap<(Kind, uuid::Uuid), Replica>> {
        let keys = keys.to_vec();
        self.with(move |c, _| replicas_of(c, &tenant.to_string(), &keys))
    }

    fn office<'a>(&'a self, slug: &'a str, ids: &'a OfficeIds, now_ms: i64) -> Fut<'a, Office> {
        let (slug, ids) = (slug.to_owned(), ids.clone());
        self.with(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            ensure_tenant(&tx, &slug, now_ms)?;
            let (tenant, office): (Option<String>, Option<String>) = tx.query_row(
                "SELECT tenant_id, office_device_id FROM tenants WHERE slug = ?1",
                [&slug],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let tenant = match tenant {
                Some(t) => t,
                None => {
                    let t = ids.tenant_id.to_string();
                    tx.execute("UPDATE tenants SET tenant_id = ?2 WHERE slug = ?1", params![slug, t])?;
                    t
                }
            };
            let office = match office {
                Some(o) => o,
                None => {
                    let o = ids.device_id.to_string();
                    tx.execute(
                        "UPDATE tenants SET office_device_id = ?2 WHERE slug = ?1",
                        params![slug, o],
                    )?;
                    tx.execute(
                        "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, revoked, enrolled_at_ms, store)
                         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
                        params![o, tenant, slug, OFFICE_DEVICE_CODE, hex::encode(&ids.secret), now_ms, MAIN_STORE],
                    )?;
                    o
                }
            };
            let acked_through: u64 = tx.query_row(
                "SELECT acked_through FROM devices WHERE device_id = ?1",
                [&office],
                |r| r.get(0),
            )?;
            let last: Option<String> = tx
                .query_row(
                    "SELECT last_hlc FROM feed_heads WHERE tenant_id = ?1",
                    [&tenant],
                    |r| r.get(0),
                )
                .optional()?;
            tx.commit()?;
            let corrupt = |e: rustok_domain::FieldError| CentralError::Corrupt(e.to_string());
            Ok(Office {
                tenant_id: TenantId::parse(&tenant).map_err(corrupt)?,
                device_id: DeviceId::parse(&office).map_err(corrupt)?,
                acked_through,
                last_hlc: last.map_or(Ok(Hlc::ZERO), |h| Hlc::parse(&h)).map_err(corrupt)?,
            })
        })
    }

    fn clashes<'a>(
        &'a self,
        tenant: TenantId,
        except: uuid::Uuid,
        sku: &'a str,
        barcode: Option<&'a str>,
    ) -> Fut<'a, Vec<uuid::Uuid>> {
        let (sku, barcode) = (sku.to_owned(), barcode.map(str::to_owned));
        self.with(move |c, _| {
            // Two lookups by index, not one `sku = ? OR barcode = ?`: with the OR,
            // SQLite walked every product of the tenant for each one checked, and
            // head office adding 100k products took quadratic time. The indexes are
            // named: left to choose, SQLite took the (tenant, kind, id) one for the
            // same walk once replicas became a rowid table.
            let mut ids = Vec::new();
            for (sql, code) in [
                (
                    "SELECT id FROM replicas INDEXED BY replicas_by_sku
                     WHERE tenant_id = ?1 AND sku = ?3 AND kind = 'product' AND id <> ?2",
                    Some(sku.as_str()),
                ),
                (
                    "SELECT id FROM replicas INDEXED BY replicas_by_barcode
                     WHERE tenant_id = ?1 AND barcode = ?3 AND kind = 'product' AND id <> ?2",
                    barcode.as_deref(),
                ),
            ] {
                let Some(code) = code else { continue };
                let mut st = c.prepare_cached(sql)?;
                let rows = st
                    .query_map(params![tenant.to_string(), except.to_string(), code], |r| {
                        r.get::<_, String>(0)
                    })?;
                for r in rows {
                    ids.push(
                        uuid::Uuid::parse_str(&r?)
                            .map_err(|e| CentralError::Corrupt(e.to_string()))?,
                    );
                }
            }
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        })
    }

    fn feed<'a>(&'a self, ask: FeedAsk<'a>) -> Fut<'a, FeedRows> {
        let (tenant, device, store) = (
            ask.device.tenant_id.to_string(),
            ask.device.device_id.to_string(),
            ask.device.store.clone(),
        );
        let (after, limit, max_bytes) = (ask.after, ask.limit, ask.max_bytes);
        self.with(move |c, _| {
            // One connection: the head and the entries are read at one moment.
            let head: u64 = c
                .prepare_cached("SELECT head FROM feed_heads WHERE tenant_id = ?1")?
                .query_row([&tenant], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            let mut st = c.prepare_cached(
                "SELECT f.position, e.envelope FROM feed f
                 JOIN events e ON e.device_id = f.device_id AND e.seq = f.seq
                 WHERE f.tenant_id = ?1 AND f.position > ?2 AND f.position <= ?3
                   AND f.device_id <> ?4 AND (f.store IS NULL OR f.store = ?5)
                 ORDER BY f.position LIMIT ?6",
            )?;
            let rows = st
                .query_map(params![tenant, after, head, device, store, limit], |r| {
                    Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(super::feed_page(rows, limit, max_bytes, head))
        })
    }

    fn first_use(&self, signature: [u8; 32], void_after: i64, now: i64) -> Fut<'_, bool> {
        self.with(move |c, _| {
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

    fn redeem<'a>(&'a self, r: &'a Redemption, now_ms: i64) -> Fut<'a, DeviceRecord> {
        let r = r.clone();
        self.with(move |c, counts| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            type CodeRow = (String, i64, Option<String>, Option<String>, String);
            let code: Option<CodeRow> = tx
                .query_row(
                    "SELECT tenant_slug, expires_at, redeemed_by, device_id, store FROM enrolment_codes WHERE code_sha256 = ?1",
                    [&r.code_sha256],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
                )
                .optional()?;
            let Some((slug, expires_at, redeemed_by, for_device, store)) = code else {
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
            let tenant = match (r.tenant_id, &bound) {
                (Some(t), _) => t.to_string(),
                // A till joining the code's tenant takes its id.
                (None, Some(b)) => b.clone(),
                (None, None) => return Err(CentralError::Forbidden("this tenant has no shop at central yet: its first till enrols with its own shop, or head office creates the tenant first")),
            };
            match bound {
                Some(t) if t != tenant => {
                    return Err(CentralError::Forbidden(
                        "this till has a shop of its own, not the code's chain; a new till joins a chain from an empty data folder (Join a chain, or `rustok-edge join`)",
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
            // A till code is one till's in a tenant (head office's `HQ` included,
            // revoked tills too): it begins every receipt number the till prints. A
            // till enrolling again under the code it has keeps it, whoever else
            // shared it before this rule.
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM devices
                 WHERE tenant_id = ?1 AND device_code = ?2 AND device_id <> ?3)
                 AND NOT EXISTS (SELECT 1 FROM devices WHERE device_id = ?3 AND device_code = ?2)",
                params![tenant, r.device_code, id],
                |row| row.get(0),
            )?;
            if taken {
                return Err(CentralError::TillCodeTaken(r.device_code.clone()));
            }
            let mut new_device = false;
            if let Some(existing) = load_device(&tx, r.device_id)? {
                if existing.tenant_id.to_string() != tenant {
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
                    "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms, store)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, tenant, slug, r.device_code, hex::encode(&r.secret), now_ms, store],
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
                counts.devices.fetch_add(1, Ordering::Relaxed);
            }
            Ok(device)
        })
    }

    fn device(&self, id: DeviceId) -> Fut<'_, Option<DeviceRecord>> {
        self.with(move |c, _| load_device(c, id))
    }

    fn revoke(&self, id: DeviceId) -> Fut<'_, bool> {
        self.with(move |c, _| {
            Ok(c.execute(
                "UPDATE devices SET revoked = 1 WHERE device_id = ?1",
                [id.to_string()],
            )? == 1)
        })
    }

    fn ingest(&self, device: DeviceId, batch: Vec<Checked>, now_ms: i64) -> Fut<'_, Ingested> {
        self.with(move |c, counts| {
            let tx = SqliteTx::begin(c, counts, device, now_ms)?;
            // SQLite answers at once: the algorithm's future never waits, and is
            // driven to completion here, on this blocking thread.
            tokio::runtime::Handle::current().block_on(ingest::apply(tx, &batch))
        })
    }

    fn record_health<'a>(
        &'a self,
        device: DeviceId,
        report: &'a HealthReport,
        skew_ms: i64,
        now_ms: i64,
    ) -> Fut<'a, ()> {
        let report = report.clone();
        self.with(move |c, _| {
            let json =
                serde_json::to_string(&report).map_err(|e| CentralError::Corrupt(e.to_string()))?;
            let id = device.to_string();
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE devices SET health = ?2, reported_at_ms = ?3, clock_skew_ms = ?4 WHERE device_id = ?1",
                params![id, json, now_ms, skew_ms],
            )?;
            let last: Option<(i64, String)> = tx
                .prepare_cached(
                    "SELECT reported_at_ms, health FROM health_history
                     WHERE device_id = ?1 ORDER BY reported_at_ms DESC LIMIT 1",
                )?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let last = last.and_then(|(at, h)| Some((at, serde_json::from_str(&h).ok()?)));
            if crate::fleet::worth_keeping(last.as_ref().map(|(at, r)| (*at, r)), now_ms, &report)
            {
                tx.execute(
                    "INSERT OR REPLACE INTO health_history (device_id, reported_at_ms, clock_skew_ms, health)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, now_ms, skew_ms, json],
                )?;
                tx.execute(
                    "DELETE FROM health_history WHERE device_id = ?1 AND reported_at_ms < ?2",
                    params![id, now_ms.saturating_sub(crate::fleet::HISTORY_KEPT_MS)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn health(&self, device: DeviceId) -> Fut<'_, Option<DeviceHealth>> {
        self.with(move |c, _| {
            let mut st = c.prepare_cached(&health_select("WHERE device_id = ?1"))?;
            let row = st.query_row([device.to_string()], health_row).optional()?;
            row.map(|(_, h)| h()).transpose()
        })
    }

    fn fleet(&self, tenant: TenantId) -> Fut<'_, Vec<(String, DeviceHealth)>> {
        self.with(move |c, _| {
            let mut st = c.prepare_cached(&health_select(
                "WHERE tenant_id = ?1 AND device_id NOT IN
                     (SELECT office_device_id FROM tenants WHERE office_device_id IS NOT NULL)
                 ORDER BY store, device_code, device_id",
            ))?;
            let rows = st.query_map([tenant.to_string()], health_row)?;
            rows.map(|row| {
                let (store, h) = row?;
                Ok((store, h()?))
            })
            .collect()
        })
    }

    fn daily_sales<'a>(&'a self, tenant: TenantId, day: &'a str) -> Fut<'a, DailySales> {
        let day = day.to_owned();
        self.with(move |c, _| {
            // Summed here in i128, not by SQLite's sum(), which fails the whole report
            // on overflow: one device's absurd figures must not hide every store's.
            let mut st = c.prepare_cached(
                "SELECT s.device_id, d.device_code, coalesce(oc.currency, ''), s.kind, s.amount
                 FROM sales s
                 JOIN devices d ON d.device_id = s.device_id
                 LEFT JOIN order_currency oc ON oc.tenant_id = s.tenant_id AND oc.order_id = s.order_id
                 WHERE s.tenant_id = ?1 AND s.day = ?2",
            )?;
            let rows = st.query_map(params![tenant.to_string(), &day], |r| {
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
                day,
                stores: sum_sales(rows),
            })
        })
    }

    fn put_image<'a>(
        &'a self,
        tenant: TenantId,
        digest: &'a ImageDigest,
        bytes: &'a [u8],
        now_ms: i64,
    ) -> Fut<'a, bool> {
        let (digest, bytes) = (digest.as_str().to_owned(), bytes.to_vec());
        self.with(move |c, _| {
            let added = c
                .prepare_cached(
                    "INSERT INTO images (tenant_id, digest, bytes, stored_at_ms)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                )?
                .execute(params![tenant.to_string(), digest, bytes, now_ms])?;
            Ok(added > 0)
        })
    }

    fn image<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, Option<Vec<u8>>> {
        let digest = digest.as_str().to_owned();
        self.with(move |c, _| {
            Ok(
                c.prepare_cached("SELECT bytes FROM images WHERE tenant_id = ?1 AND digest = ?2")?
                    .query_row(params![tenant.to_string(), digest], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn image_held<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, bool> {
        let digest = digest.as_str().to_owned();
        self.with(move |c, _| {
            Ok(
                c.prepare_cached("SELECT 1 FROM images WHERE tenant_id = ?1 AND digest = ?2")?
                    .query_row(params![tenant.to_string(), digest], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
    }

    fn tenant_by_slug<'a>(&'a self, slug: &'a str) -> Fut<'a, Option<TenantId>> {
        let slug = slug.to_owned();
        self.with(move |c, _| {
            let t: Option<Option<String>> = c
                .query_row(
                    "SELECT tenant_id FROM tenants WHERE slug = ?1",
                    [&slug],
                    |r| r.get(0),
                )
                .optional()?;
            t.flatten()
                .map(|s| TenantId::parse(&s).map_err(|e| CentralError::Corrupt(e.to_string())))
                .transpose()
        })
    }

    fn events_of(&self, device: DeviceId) -> Fut<'_, Vec<Envelope>> {
        self.with(move |c, _| {
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

    fn report_pending(&self, limit: usize) -> Fut<'_, Vec<ReportPending>> {
        self.with(move |c, _| {
            let behind: Vec<(String, String, String, u64, u64)> = c
                .prepare_cached(
                    "SELECT d.device_id, d.tenant_id, d.store, d.acked_through, coalesce(r.seq, 0)
                     FROM devices d LEFT JOIN report_cursors r ON r.device_id = d.device_id
                     WHERE d.acked_through > coalesce(r.seq, 0)
                     ORDER BY d.device_id",
                )?
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut left = limit;
            let mut out = Vec::new();
            let mut st = c.prepare_cached(
                "SELECT seq, envelope FROM events
                 WHERE device_id = ?1 AND seq > ?2 AND seq <= ?3
                   AND type IN ('OrderCreated', 'OrderPaid', 'OrderRefunded')
                 ORDER BY seq LIMIT ?4",
            )?;
            for (device, tenant, store, acked, cursor) in behind {
                if left == 0 {
                    break;
                }
                let events: Vec<(u64, String)> = st
                    .query_map(
                        params![
                            device,
                            cursor,
                            acked,
                            i64::try_from(left).unwrap_or(i64::MAX)
                        ],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?
                    .collect::<Result<_, _>>()?;
                // A full page may stop short of the device's last seq: go on from there.
                let cursor_to = match events.last() {
                    Some((seq, _)) if events.len() >= left => *seq,
                    _ => acked,
                };
                left = left.saturating_sub(events.len());
                out.push(ReportPending {
                    device_id: DeviceId::parse(&device)
                        .map_err(|e| CentralError::Corrupt(format!("devices.device_id: {e}")))?,
                    tenant_id: TenantId::parse(&tenant)
                        .map_err(|e| CentralError::Corrupt(format!("devices.tenant_id: {e}")))?,
                    store,
                    events,
                    cursor_to,
                });
            }
            Ok(out)
        })
    }

    fn report_apply<'a>(&'a self, batch: &'a ReportBatch) -> Fut<'a, ()> {
        let batch = batch.clone();
        self.with(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut order = tx.prepare_cached(
                    "INSERT OR IGNORE INTO report_orders (tenant_id, order_id, currency, discount)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                let mut line = tx.prepare_cached(
                    "INSERT OR IGNORE INTO report_lines (tenant_id, order_id, line, product_id, title, quantity, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for (tenant, o) in &batch.orders {
                    let t = tenant.to_string();
                    order.execute(params![t, o.order_id, o.currency, o.discount])?;
                    for (n, l) in o.lines.iter().enumerate() {
                        line.execute(params![t, o.order_id, n, l.product_id, l.title, l.quantity, l.amount])?;
                    }
                }
                let mut sale = tx.prepare_cached(
                    "INSERT OR IGNORE INTO report_sales (device_id, seq, tenant_id, store, order_id, at_ms, kind, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                let mut tender = tx.prepare_cached(
                    "INSERT OR IGNORE INTO report_tenders (device_id, seq, n, tenant_id, order_id, at_ms, kind, method, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                // The sales this transaction adds, for the roll-ups: a sale already
                // there (projected before) adds nothing.
                tx.execute_batch(
                    "CREATE TEMP TABLE IF NOT EXISTS new_sales (device_id TEXT, seq INTEGER,
                         PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
                     DELETE FROM new_sales;",
                )?;
                let mut new_sale =
                    tx.prepare_cached("INSERT INTO new_sales (device_id, seq) VALUES (?1, ?2)")?;
                for (device, seq, tenant, store, r) in &batch.sales {
                    let (d, t) = (device.to_string(), tenant.to_string());
                    let added = sale.execute(params![
                        d, seq, t, store, r.order_id, r.at_ms, r.kind, r.amount
                    ])?;
                    if added == 0 {
                        continue;
                    }
                    new_sale.execute(params![d, seq])?;
                    for (n, (method, amount)) in r.tenders.iter().enumerate() {
                        tender.execute(params![d, seq, n, t, r.order_id, r.at_ms, r.kind, method, amount])?;
                    }
                }
                tx.execute_batch(ROLL_UP)?;
                let mut cursor = tx.prepare_cached(
                    "INSERT INTO report_cursors (device_id, seq) VALUES (?1, ?2)
                     ON CONFLICT (device_id) DO UPDATE SET seq = max(seq, excluded.seq)",
                )?;
                for (device, seq) in &batch.cursors {
                    cursor.execute(params![device.to_string(), seq])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn sales_report(&self, tenant: TenantId, ask: Ask) -> Fut<'_, Raw> {
        self.with(move |c, _| {
            // Named: the text numbers its parameters for PostgreSQL, and SQLite's
            // numbering of `$n` follows their first use.
            let t = tenant.to_string();
            let p = rusqlite::named_params! {
                "$1": t, "$2": ask.from_ms, "$3": ask.to_ms, "$4": ask.offset_ms,
            };
            let sales = c
                .prepare_cached(report::sql::SALES)?
                .query_map(p, |r| {
                    Ok(report::SalesRow {
                        store: r.get(0)?,
                        day: r.get(1)?,
                        hour: r.get(2)?,
                        currency: r.get(3)?,
                        kind: r.get(4)?,
                        count: r.get(5)?,
                        high: r.get(6)?,
                        low: r.get(7)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let p = rusqlite::named_params! { "$1": t, "$2": ask.from_ms, "$3": ask.to_ms };
            let tenders = c
                .prepare_cached(report::sql::TENDERS)?
                .query_map(p, |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            let p4 = rusqlite::named_params! {
                "$1": t, "$2": ask.from_ms, "$3": ask.to_ms, "$4": ask.offset_ms,
            };
            let discounts = c
                .prepare_cached(report::sql::DISCOUNTS)?
                .query_map(p4, |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            let spans = report::product_spans(ask.from_ms, ask.to_ms);
            let mut products = Vec::new();
            let mut read = |sql: &str, a: i64, b: i64| -> Result<(), CentralError> {
                let p = rusqlite::named_params! { "$1": t, "$2": a, "$3": b };
                let mut st = c.prepare_cached(sql)?;
                let rows = st.query_map(p, |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?;
                for row in rows {
                    products.push(row?);
                }
                Ok(())
            };
            if let Some((first, last)) = spans.days {
                read(report::sql::PRODUCT_DAYS, first, last)?;
            }
            for (a, b) in spans.edges {
                read(report::sql::PRODUCTS, a, b)?;
            }
            Ok(Raw {
                sales,
                tenders,
                discounts,
                products,
            })
        })
    }

    fn tenants(&self) -> Fut<'_, Vec<String>> {
        self.with(|c, _| {
            let mut st = c.prepare_cached("SELECT slug FROM tenants ORDER BY slug")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn add_person<'a>(
        &'a self,
        p: &'a Person,
        password_hash: &'a str,
        now_ms: i64,
    ) -> Fut<'a, bool> {
        let (p, hash) = (p.clone(), password_hash.to_owned());
        self.with(move |c, _| {
            let added = c.execute(
                "INSERT INTO people (person_id, tenant_slug, login, name, password_hash, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (login) DO NOTHING",
                params![p.person_id.to_string(), p.tenant_slug, p.login, p.name, hash, now_ms],
            )?;
            Ok(added == 1)
        })
    }

    fn sign_in_of<'a>(&'a self, login: &'a str) -> Fut<'a, Option<SignIn>> {
        let login = login.to_owned();
        self.with(move |c, _| {
            let mut st = c.prepare_cached(
                "SELECT person_id, tenant_slug, login, name, password_hash, locked_until_ms
                 FROM people WHERE login = ?1",
            )?;
            Ok(st
                .query_row([&login], |r| {
                    Ok(SignIn {
                        person: person_row(r)?,
                        password_hash: r.get(4)?,
                        locked_until_ms: r.get(5)?,
                    })
                })
                .optional()?)
        })
    }

    fn wrong_password(&self, person: Uuid, lock_after: u32, lock_until_ms: i64) -> Fut<'_, i64> {
        self.with(move |c, _| {
            Ok(c.query_row(
                "UPDATE people SET
                     locked_until_ms = CASE WHEN failed_attempts + 1 >= ?2 THEN ?3 ELSE locked_until_ms END,
                     failed_attempts = CASE WHEN failed_attempts + 1 >= ?2 THEN 0 ELSE failed_attempts + 1 END
                 WHERE person_id = ?1 RETURNING locked_until_ms",
                params![person.to_string(), lock_after, lock_until_ms],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
        })
    }

    fn start_session<'a>(&'a self, s: &'a NewSession) -> Fut<'a, ()> {
        let s = s.clone();
        self.with(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM console_sessions WHERE expires_at_ms <= ?1",
                [s.created_at_ms],
            )?;
            tx.execute(
                "UPDATE people SET failed_attempts = 0 WHERE person_id = ?1",
                [s.person_id.to_string()],
            )?;
            tx.execute(
                "INSERT INTO console_sessions (token_sha256, person_id, csrf_token, created_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.token_sha256,
                    s.person_id.to_string(),
                    s.csrf_token,
                    s.created_at_ms,
                    s.expires_at_ms
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session<'a>(&'a self, token_sha256: &'a str, now_ms: i64) -> Fut<'a, Option<Session>> {
        let token = token_sha256.to_owned();
        self.with(move |c, _| {
            let mut st = c.prepare_cached(
                "SELECT p.person_id, p.tenant_slug, p.login, p.name, s.csrf_token, s.expires_at_ms
                 FROM console_sessions s JOIN people p ON p.person_id = s.person_id
                 WHERE s.token_sha256 = ?1 AND s.expires_at_ms > ?2",
            )?;
            Ok(st
                .query_row(params![token, now_ms], |r| {
                    Ok(Session {
                        person: person_row(r)?,
                        csrf_token: r.get(4)?,
                        expires_at_ms: r.get(5)?,
                    })
                })
                .optional()?)
        })
    }

    fn end_session<'a>(&'a self, token_sha256: &'a str) -> Fut<'a, ()> {
        let token = token_sha256.to_owned();
        self.with(move |c, _| {
            c.execute(
                "DELETE FROM console_sessions WHERE token_sha256 = ?1",
                [token],
            )?;
            Ok(())
        })
    }

    fn audit<'a>(&'a self, e: &'a AuditEntry) -> Fut<'a, ()> {
        let e = e.clone();
        self.with(move |c, _| {
            c.execute(
                "INSERT INTO audit_log (at_ms, actor, tenant_slug, action, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    e.at_ms,
                    e.actor,
                    e.tenant_slug,
                    e.action,
                    e.detail.to_string()
                ],
            )?;
            Ok(())
        })
    }

    fn audit_log<'a>(
        &'a self,
        tenant: Option<&'a str>,
        chain: bool,
        before_id: Option<i64>,
        limit: usize,
    ) -> Fut<'a, Vec<AuditEntry>> {
        let tenant = tenant.map(str::to_owned);
        self.with(move |c, _| {
            let mut st = c.prepare_cached(
                "SELECT id, at_ms, actor, tenant_slug, action, detail FROM audit_log
                 WHERE (?1 IS NULL OR tenant_slug = ?1 OR (?4 AND tenant_slug IS NULL))
                   AND id < ?2
                 ORDER BY id DESC LIMIT ?3",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = st.query_map(
                params![tenant, before_id.unwrap_or(i64::MAX), limit, chain],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )?;
            rows.map(|row| {
                let (id, at_ms, actor, tenant_slug, action, detail) = row?;
                Ok(AuditEntry {
                    id,
                    at_ms,
                    actor,
                    tenant_slug,
                    action,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| CentralError::Corrupt(format!("audit_log.detail: {e}")))?,
                })
            })
            .collect()
        })
    }

    fn health_history(&self, device: DeviceId, limit: usize) -> Fut<'_, Vec<HealthSample>> {
        self.with(move |c, _| {
            let mut st = c.prepare_cached(
                "SELECT reported_at_ms, clock_skew_ms, health FROM health_history
                 WHERE device_id = ?1 ORDER BY reported_at_ms DESC LIMIT ?2",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = st.query_map(params![device.to_string(), limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?))
            })?;
            rows.map(|row| {
                let (reported_at_ms, clock_skew_ms, health) = row?;
                super::health_sample(reported_at_ms, clock_skew_ms, &health)
            })
            .collect()
        })
    }

    fn counts(&self) -> Fut<'_, Counts> {
        let k = &self.inner.counts;
        let counts = Counts {
            devices: k.devices.load(Ordering::Relaxed),
            events: k.events.load(Ordering::Relaxed),
            quarantined: k.quarantined.load(Ordering::Relaxed),
        };
        Box::pin(std::future::ready(Ok(counts)))
    }

    fn ping(&self) -> Fut<'_, ()> {
        self.with(|c, _| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }
}
