//! The PostgreSQL backend: a chain's central, on a database that several central
//! processes may share. `tokio-postgres` through a `deadpool-postgres` pool; every
//! call is async (no blocking thread); pushes are batched into one statement per
//! table (`INSERT … SELECT FROM unnest($arrays)`), in one transaction per push.

use super::{
    sum_sales, AuditEntry, Backend, Counts, DeviceRecord, FeedAsk, FeedRows, Fut, HealthSample,
    Ingested, NewCode, NewSession, Office, OfficeIds, Person, Redemption, ReportBatch,
    ReportPending, SaleRow, Session, SignIn, OFFICE_DEVICE_CODE,
};
use crate::ingest::Record;
use crate::ingest::{self, Checked, CountDelta, Derived, Held, IngestTx, NewEvent, Quarantined};
use crate::report::{self, Ask, Raw};
use crate::CentralError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rustok_domain::event::Envelope;
use rustok_domain::event::Reach;
use rustok_domain::hlc::Hlc;
use rustok_domain::ids::{DeviceId, EventId, TenantId};
use rustok_domain::image::ImageDigest;
use rustok_domain::replica::{Kind, Replica};
use rustok_protocol::{DailySales, DeviceHealth, HealthReport, Store, StoreFields, MAIN_STORE};
use std::collections::HashMap;
use std::time::Duration;
use tokio_postgres::NoTls;
use uuid::Uuid;

/// Add-only migrations, embedded at compile time: (version, name, SQL).
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "0001_init",
        include_str!("../../../migrations/central-pg/0001_init.sql"),
    ),
    (
        2,
        "0002_stores_and_feed",
        include_str!("../../../migrations/central-pg/0002_stores_and_feed.sql"),
    ),
    (
        3,
        "0003_replicas",
        include_str!("../../../migrations/central-pg/0003_replicas.sql"),
    ),
    (
        4,
        "0004_images",
        include_str!("../../../migrations/central-pg/0004_images.sql"),
    ),
    (
        5,
        "0005_console",
        include_str!("../../../migrations/central-pg/0005_console.sql"),
    ),
    (
        6,
        "0006_reports",
        include_str!("../../../migrations/central-pg/0006_reports.sql"),
    ),
    (
        7,
        "0007_report_rollups",
        include_str!("../../../migrations/central-pg/0007_report_rollups.sql"),
    ),
];

/// The migration that made the replicas table: the events held before are replayed
/// into it in the same transaction.
const REPLICAS_MIGRATION: i32 = 3;

/// Connections one central process keeps open at most.
const POOL_SIZE: usize = 16;

/// Any number, the same in every central: the advisory lock taken while migrating,
/// so two processes starting at once apply each migration once.
const MIGRATION_LOCK: i64 = 0x5255_5354_4f4b; // "RUSTOK"

impl From<tokio_postgres::Error> for CentralError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => CentralError::Storage(format!("{} ({})", db.message(), db.code().code())),
            // The client's own message is short ("error connecting to server"); the
            // cause beneath it says why ("Connection refused", "host missing").
            None => {
                let mut message = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    message.push_str(": ");
                    message.push_str(&c.to_string());
                    cause = c.source();
                }
                CentralError::Storage(message)
            }
        }
    }
}

impl From<deadpool_postgres::PoolError> for CentralError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => CentralError::Storage(format!("database connection: {other}")),
        }
    }
}

/// Central's tables in one PostgreSQL database (the schema first on the connection's
/// `search_path`: `?options=-c%20search_path%3Dname` in the URL chooses another).
pub struct Postgres {
    pool: Pool,
}

impl Postgres {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, or any
    /// form `tokio-postgres` reads) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Postgres, CentralError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| CentralError::Config(format!("database URL: {e}")))?;
        // A session that hangs (a frozen process holding a device's row lock) must
        // not hold that device, or a pooled connection, for ever. The URL's own
        // options come after these, so an operator's setting wins.
        let own = config.get_options().unwrap_or_default().to_owned();
        config.options(format!(
            "-c statement_timeout=60000 -c idle_in_transaction_session_timeout=60000 {own}"
        ));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| CentralError::Config(format!("database pool: {e}")))?;
        let pg = Postgres { pool };
        let encoding: String = pg
            .pool
            .get()
            .await?
            .query_one("SHOW server_encoding", &[])
            .await?
            .try_get(0)?;
        if encoding != "UTF8" {
            return Err(CentralError::Config(format!(
                "the database's encoding is {encoding}; central needs UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0), or events in other scripts would be refused"
            )));
        }
        pg.migrate().await?;
        Ok(pg)
    }

    async fn migrate(&self) -> Result<(), CentralError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.query_one("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS rustok_migrations (
                 version     integer PRIMARY KEY,
                 name        text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
        let found: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM rustok_migrations",
                &[],
            )
            .await?
            .get(0);
        let supported = MIGRATIONS.len();
        if usize::try_from(found).unwrap_or(usize::MAX) > supported {
            return Err(CentralError::SchemaTooNew {
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported: u32::try_from(supported).unwrap_or(u32::MAX),
            });
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            tx.batch_execute(sql).await?;
            if *version == REPLICAS_MIGRATION {
                backfill_replicas(&tx).await?;
            }
            tx.execute(
                "INSERT INTO rustok_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Text as PostgreSQL can hold it: `text` refuses the NUL character, which a hostile
/// event can carry into what central writes about it (a type name quoted in a
/// rejection). SQLite keeps it; here it becomes U+FFFD, so that event is quarantined
/// like any other and never fails its device's whole push. Only rejection messages
/// need it: an event's text is JSON (which writes NUL as `\u0000`), and a stored
/// event's type is one central knows.
fn pg_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A number from the database that must fit a `u64` (seqs, counts).
fn unsigned(v: i64, what: &str) -> Result<u64, CentralError> {
    u64::try_from(v).map_err(|_| CentralError::Corrupt(format!("{what} is negative: {v}")))
}

/// A seq for the database. Seqs above `i64::MAX` never reach a table (ingest stores
/// only the seq after one held), so this refuses, never wraps.
fn signed(v: u64) -> Result<i64, CentralError> {
    i64::try_from(v).map_err(|_| CentralError::Invalid("a seq beyond what central can hold"))
}

const DEVICE_COLUMNS: &str =
    "device_id, tenant_id, tenant_slug, device_code, secret, revoked, acked_through, store";

/// A device with its health columns, for [`health_row`] (add `WHERE …`).
fn health_select() -> String {
    format!(
        "SELECT {DEVICE_COLUMNS}, health, reported_at_ms, clock_skew_ms,
                (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id)
         FROM devices d"
    )
}

fn health_row(row: &tokio_postgres::Row) -> Result<DeviceHealth, CentralError> {
    super::device_health(
        device_row(row)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
        unsigned(row.try_get(11)?, "quarantine count")?,
    )
}

/// A person from the first four columns: id, tenant, login, name.
fn person_row(r: &tokio_postgres::Row) -> Result<Person, CentralError> {
    Ok(Person {
        person_id: r.try_get(0)?,
        tenant_slug: r.try_get(1)?,
        login: r.try_get(2)?,
        name: r.try_get(3)?,
    })
}

fn device_row(r: &tokio_postgres::Row) -> Result<DeviceRecord, CentralError> {
    Ok(DeviceRecord {
        device_id: DeviceId::from_uuid(r.try_get(0)?),
        tenant_id: TenantId::from_uuid(r.try_get(1)?),
        tenant_slug: r.try_get(2)?,
        device_code: r.try_get(3)?,
        secret: r.try_get(4)?,
        revoked: r.try_get(5)?,
        acked_through: unsigned(r.try_get(6)?, "devices.acked_through")?,
        store: r.try_get(7)?,
    })
}

/// Creates a tenant with its main store, if new.
async fn ensure_tenant(
    tx: &deadpool_postgres::Transaction<'_>,
    slug: &str,
    now_ms: i64,
) -> Result<(), CentralError> {
    let created = tx
        .execute(
            "INSERT INTO tenants (slug, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&slug, &now_ms],
        )
        .await?;
    if created == 1 {
        tx.execute(
            "INSERT INTO stores (tenant_slug, code, name, created_at_ms) VALUES ($1, $2, 'Main store', $3)",
            &[&slug, &MAIN_STORE, &now_ms],
        )
        .await?;
    }
    Ok(())
}

/// A stored replica.
fn read_replica(doc: &str) -> Result<Replica, CentralError> {
    serde_json::from_str(doc).map_err(|e| CentralError::Corrupt(format!("replicas.doc: {e}")))
}

/// The replicas of `tenant` at `keys` (those that exist).
async fn replicas_of(
    c: &impl deadpool_postgres::GenericClient,
    tenant: Uuid,
    keys: &[(Kind, Uuid)],
) -> Result<HashMap<(Kind, Uuid), Replica>, CentralError> {
    let kinds: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let ids: Vec<Uuid> = keys.iter().map(|(_, id)| *id).collect();
    let st = c
        .prepare_cached(
            "SELECT r.kind, r.id, r.doc FROM replicas r
             JOIN unnest($2::text[], $3::uuid[]) AS k (kind, id) ON r.kind = k.kind AND r.id = k.id
             WHERE r.tenant_id = $1",
        )
        .await?;
    let mut out = HashMap::new();
    for row in c.query(&st, &[&tenant, &kinds, &ids]).await? {
        let kind: &str = row.try_get(0)?;
        let kind = Kind::parse(kind)
            .ok_or_else(|| CentralError::Corrupt(format!("replicas.kind: {kind}")))?;
        out.insert((kind, row.try_get(1)?), read_replica(row.try_get(2)?)?);
    }
    Ok(out)
}

/// Inserts or replaces replicas of `tenant`.
async fn put_replicas(
    c: &impl deadpool_postgres::GenericClient,
    tenant: Uuid,
    rows: &[Record<'_>],
) -> Result<(), CentralError> {
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let docs = rows
        .iter()
        .map(|r| serde_json::to_string(r.replica).map_err(|e| CentralError::Corrupt(e.to_string())))
        .collect::<Result<Vec<String>, _>>()?;
    let skus: Vec<Option<&str>> = rows.iter().map(|r| r.sku).collect();
    let barcodes: Vec<Option<&str>> = rows.iter().map(|r| r.barcode).collect();
    let st = c
        .prepare_cached(
            "INSERT INTO replicas (tenant_id, kind, id, doc, sku, barcode)
             SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[])
             ON CONFLICT (tenant_id, kind, id) DO UPDATE
                 SET doc = excluded.doc, sku = excluded.sku, barcode = excluded.barcode",
        )
        .await?;
    c.execute(&st, &[&tenant, &kinds, &ids, &docs, &skus, &barcodes])
        .await?;
    Ok(())
}

/// Fills the replicas from the events held before central kept them (migration 3),
/// each tenant's in its feed's order.
async fn backfill_replicas(c: &impl deadpool_postgres::GenericClient) -> Result<(), CentralError> {
    let rows = c
        .query(
            "SELECT f.tenant_id, e.envelope FROM feed f
             JOIN events e ON e.device_id = f.device_id AND e.seq = f.seq
             ORDER BY f.tenant_id, f.position",
            &[],
        )
        .await?;
    let mut by_tenant: std::collections::BTreeMap<Uuid, Vec<Envelope>> = Default::default();
    for row in rows {
        // An event central held but can no longer read writes no record.
        if let Ok(e) = serde_json::from_str(row.try_get::<_, &str>(1)?) {
            by_tenant.entry(row.try_get(0)?).or_default().push(e);
        }
    }
    let upcasters = rustok_domain::upcast::Upcasters::standard();
    for (tenant, events) in by_tenant {
        let replicas = ingest::replay(&events, &upcasters);
        let rows: Vec<Record<'_>> = replicas
            .iter()
            .map(|((kind, id), r)| Record::of(*kind, *id, r))
            .collect();
        put_replicas(c, tenant, &rows).await?;
    }
    Ok(())
}

fn store_row(r: &tokio_postgres::Row) -> Result<Store, CentralError> {
    Ok(Store {
        code: r.try_get(0)?,
        name: r.try_get(1)?,
        address: r.try_get(2)?,
    })
}

async fn load_device(
    c: &impl deadpool_postgres::GenericClient,
    id: DeviceId,
    lock: &str,
) -> Result<Option<DeviceRecord>, CentralError> {
    c.query_opt(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1 {lock}"),
        &[&id.as_uuid()],
    )
    .await?
    .map(|r| device_row(&r))
    .transpose()
}

impl Backend for Postgres {
    fn create_enrolment<'a>(&'a self, code: &'a NewCode<'a>, now_ms: i64) -> Fut<'a, ()> {
        Box::pin(async move {
            if code.store.contains('\0') {
                return Err(CentralError::Invalid("not a store code"));
            }
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            ensure_tenant(&tx, code.tenant_slug, now_ms).await?;
            let known: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM stores WHERE tenant_slug = $1 AND code = $2)",
                    &[&code.tenant_slug, &code.store],
                )
                .await?
                .try_get(0)?;
            if !known {
                return Err(CentralError::Invalid(
                    "the tenant has no store with that code; create it first (PUT /v1/admin/tenants/{slug}/stores/{code})",
                ));
            }
            tx.execute(
                "INSERT INTO enrolment_codes (code_sha256, tenant_slug, created_at_ms, expires_at, device_id, store)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &code.code_sha256,
                    &code.tenant_slug,
                    &now_ms,
                    &code.expires_at,
                    &code.device.map(|d| d.as_uuid()),
                    &code.store,
                ],
            )
            .await?;
            tx.commit().await?;
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
        Box::pin(async move {
            super::check_store(code, fields)?;
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            ensure_tenant(&tx, tenant_slug, now_ms).await?;
            let row = tx
                .query_one(
                    "INSERT INTO stores (tenant_slug, code, name, address, created_at_ms) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (tenant_slug, code) DO UPDATE SET name = excluded.name, address = excluded.address
                     RETURNING code, name, address",
                    &[&tenant_slug, &code, &fields.name.trim(), &fields.address, &now_ms],
                )
                .await?;
            let store = store_row(&row)?;
            tx.commit().await?;
            Ok(store)
        })
    }

    fn stores<'a>(&'a self, tenant_slug: &'a str) -> Fut<'a, Option<Vec<Store>>> {
        Box::pin(async move {
            if tenant_slug.contains('\0') {
                return Ok(None);
            }
            let c = self.pool.get().await?;
            let known: bool = c
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1)",
                    &[&tenant_slug],
                )
                .await?
                .try_get(0)?;
            if !known {
                return Ok(None);
            }
            let rows = c
                .query(
                    "SELECT code, name, address FROM stores WHERE tenant_slug = $1 ORDER BY code",
                    &[&tenant_slug],
                )
                .await?;
            rows.iter()
                .map(store_row)
                .collect::<Result<_, _>>()
                .map(Some)
        })
    }

    fn records(&self, tenant: TenantId, kind: Kind) -> Fut<'_, Vec<(Uuid, Replica)>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let rows = c
                .query(
                    "SELECT id, doc FROM replicas WHERE tenant_id = $1 AND kind = $2 ORDER BY id",
                    &[&tenant.as_uuid(), &kind.as_str()],
                )
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, read_replica(r.try_get(1)?)?)))
                .collect()
        })
    }

    fn replicas<'a>(
        &'a self,
        tenant: TenantId,
        keys: &'a [(Kind, Uuid)],
    ) -> Fut<'a, HashMap<(Kind, Uuid), Replica>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            replicas_of(&c, tenant.as_uuid(), keys).await
        })
    }

    fn office<'a>(&'a self, slug: &'a str, ids: &'a OfficeIds, now_ms: i64) -> Fut<'a, Office> {
        Box::pin(async move {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            ensure_tenant(&tx, slug, now_ms).await?;
            let row = tx
                .query_one(
                    "SELECT tenant_id, office_device_id FROM tenants WHERE slug = $1 FOR UPDATE",
                    &[&slug],
                )
                .await?;
            let tenant = match row.try_get::<_, Option<Uuid>>(0)? {
                Some(t) => t,
                None => {
                    let t = ids.tenant_id.as_uuid();
                    tx.execute(
                        "UPDATE tenants SET tenant_id = $2 WHERE slug = $1",
                        &[&slug, &t],
                    )
                    .await?;
                    t
                }
            };
            let office = match row.try_get::<_, Option<Uuid>>(1)? {
                Some(o) => o,
                None => {
                    let o = ids.device_id.as_uuid();
                    tx.execute(
                        "UPDATE tenants SET office_device_id = $2 WHERE slug = $1",
                        &[&slug, &o],
                    )
                    .await?;
                    tx.execute(
                        "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, revoked, enrolled_at_ms, store)
                         VALUES ($1, $2, $3, $4, $5, true, $6, $7)",
                        &[&o, &tenant, &slug, &OFFICE_DEVICE_CODE, &ids.secret, &now_ms, &MAIN_STORE],
                    )
                    .await?;
                    o
                }
            };
            let acked: i64 = tx
                .query_one(
                    "SELECT acked_through FROM devices WHERE device_id = $1",
                    &[&office],
                )
                .await?
                .try_get(0)?;
            let last: Option<String> = tx
                .query_opt(
                    "SELECT last_hlc FROM feed_heads WHERE tenant_id = $1",
                    &[&tenant],
                )
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            tx.commit().await?;
            Ok(Office {
                tenant_id: TenantId::from_uuid(tenant),
                device_id: DeviceId::from_uuid(office),
                acked_through: unsigned(acked, "devices.acked_through")?,
                last_hlc: last
                    .map_or(Ok(Hlc::ZERO), |h| Hlc::parse(&h))
                    .map_err(|e| CentralError::Corrupt(e.to_string()))?,
            })
        })
    }

    fn clashes<'a>(
        &'a self,
        tenant: TenantId,
        except: Uuid,
        sku: &'a str,
        barcode: Option<&'a str>,
    ) -> Fut<'a, Vec<Uuid>> {
        Box::pin(async move {
            if sku.contains('\0') || barcode.is_some_and(|b| b.contains('\0')) {
                return Ok(Vec::new());
            }
            let c = self.pool.get().await?;
            let rows = c
                .query(
                    // Two index lookups (see the SQLite backend: one OR scanned
                    // every product of the tenant there).
                    "SELECT id FROM replicas WHERE tenant_id = $1 AND sku = $3 AND kind = 'product' AND id <> $2
                     UNION
                     SELECT id FROM replicas WHERE tenant_id = $1 AND barcode = $4 AND kind = 'product' AND id <> $2
                     ORDER BY 1",
                    &[&tenant.as_uuid(), &except, &sku, &barcode],
                )
                .await?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    fn feed<'a>(&'a self, ask: FeedAsk<'a>) -> Fut<'a, FeedRows> {
        Box::pin(async move {
            let after = signed(ask.after)?;
            let limit = i64::try_from(ask.limit).unwrap_or(i64::MAX);
            let c = self.pool.get().await?;
            let tenant = ask.device.tenant_id.as_uuid();
            // The head first: every position up to a committed head is committed
            // (positions are taken under the head's row lock, held to the commit),
            // so the entries read next, bounded by it, have no holes.
            let st = c
                .prepare_cached("SELECT head FROM feed_heads WHERE tenant_id = $1")
                .await?;
            let head = match c.query_opt(&st, &[&tenant]).await? {
                Some(r) => unsigned(r.try_get(0)?, "feed_heads.head")?,
                None => 0,
            };
            let st = c
                .prepare_cached(
                    "SELECT f.position, e.envelope FROM feed f
                     JOIN events e ON e.device_id = f.device_id AND e.seq = f.seq
                     WHERE f.tenant_id = $1 AND f.position > $2 AND f.position <= $3
                       AND f.device_id <> $4 AND (f.store IS NULL OR f.store = $5)
                     ORDER BY f.position LIMIT $6",
                )
                .await?;
            let rows = c
                .query(
                    &st,
                    &[
                        &tenant,
                        &after,
                        &signed(head)?,
                        &ask.device.device_id.as_uuid(),
                        &ask.device.store,
                        &limit,
                    ],
                )
                .await?;
            let rows = rows
                .iter()
                .map(|r| Ok((unsigned(r.try_get(0)?, "feed.position")?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, CentralError>>()?;
            Ok(super::feed_page(rows, ask.limit, ask.max_bytes, head))
        })
    }

    fn first_use(&self, signature: [u8; 32], void_after: i64, now: i64) -> Fut<'_, bool> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let st = c
                .prepare_cached(
                    "INSERT INTO seen_signatures (signature, void_after) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .await?;
            let fresh = c.execute(&st, &[&&signature[..], &void_after]).await? == 1;
            // Forget what is void anyway, now and then (amortised: one in 256).
            if fresh && signature[0] == 0 {
                c.execute("DELETE FROM seen_signatures WHERE void_after < $1", &[&now])
                    .await?;
            }
            Ok(fresh)
        })
    }

    fn redeem<'a>(&'a self, r: &'a Redemption, now_ms: i64) -> Fut<'a, DeviceRecord> {
        Box::pin(async move {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            // The code's row is locked: another process redeeming it waits, then
            // finds it used.
            let code = tx
                .query_opt(
                    "SELECT tenant_slug, expires_at, redeemed_by, device_id, store FROM enrolment_codes
                     WHERE code_sha256 = $1 FOR UPDATE",
                    &[&r.code_sha256],
                )
                .await?;
            let Some(code) = code else {
                return Err(CentralError::BadCode("unknown enrolment code"));
            };
            let slug: String = code.try_get(0)?;
            let expires_at: i64 = code.try_get(1)?;
            let redeemed_by: Option<Uuid> = code.try_get(2)?;
            let for_device: Option<Uuid> = code.try_get(3)?;
            let store: String = code.try_get(4)?;
            let device = r.device_id.as_uuid();
            if for_device.is_some_and(|d| d != device) {
                return Err(CentralError::Forbidden(
                    "this enrolment code is for another device",
                ));
            }
            if redeemed_by.is_some() {
                return Err(CentralError::BadCode("enrolment code already used"));
            }
            if now_ms / 1000 > expires_at {
                return Err(CentralError::BadCode("enrolment code expired"));
            }
            let bound: Option<Uuid> = tx
                .query_one(
                    "SELECT tenant_id FROM tenants WHERE slug = $1 FOR UPDATE",
                    &[&slug],
                )
                .await?
                .try_get(0)?;
            let tenant = match (r.tenant_id, bound) {
                (Some(t), _) => t.as_uuid(),
                // A till joining the code's tenant takes its id.
                (None, Some(b)) => b,
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
                    // The UNIQUE constraint decides a race between two slugs.
                    let bound = tx
                        .execute(
                            "UPDATE tenants SET tenant_id = $2 WHERE slug = $1
                             AND NOT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $2)",
                            &[&slug, &tenant],
                        )
                        .await?;
                    if bound != 1 {
                        return Err(CentralError::Forbidden(
                            "this device's tenant is enrolled under another slug",
                        ));
                    }
                }
            }
            // A till code is one till's in a tenant (head office's `HQ` included,
            // revoked tills too): it begins every receipt number the till prints. A
            // till enrolling again under the code it has keeps it, whoever else
            // shared it before this rule. Redemptions of one tenant are serialised
            // by its row's lock above.
            let taken: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM devices
                     WHERE tenant_id = $1 AND device_code = $2 AND device_id <> $3)
                     AND NOT EXISTS (SELECT 1 FROM devices WHERE device_id = $3 AND device_code = $2)",
                    &[&tenant, &r.device_code, &device],
                )
                .await?
                .try_get(0)?;
            if taken {
                return Err(CentralError::TillCodeTaken(r.device_code.clone()));
            }
            if let Some(existing) = load_device(&tx, r.device_id, "FOR UPDATE").await? {
                if existing.tenant_id.as_uuid() != tenant {
                    return Err(CentralError::Forbidden(
                        "device enrolled for another tenant",
                    ));
                }
                if existing.revoked {
                    return Err(CentralError::Forbidden(
                        "this device was revoked by head office",
                    ));
                }
                if for_device.is_none() {
                    return Err(CentralError::Forbidden(
                        "this device is enrolled already; re-enrolling it needs a code made for it (POST /v1/admin/enrolments with its device_id)",
                    ));
                }
                tx.execute(
                    "UPDATE devices SET secret = $2, device_code = $3 WHERE device_id = $1",
                    &[&device, &r.secret, &r.device_code],
                )
                .await?;
            } else {
                let inserted = tx
                    .execute(
                        "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms, store)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                        &[&device, &tenant, &slug, &r.device_code, &r.secret, &now_ms, &store],
                    )
                    .await?;
                if inserted != 1 {
                    // Another process enrolled it a moment ago with another code.
                    return Err(CentralError::Forbidden(
                        "this device is enrolled already; re-enrolling it needs a code made for it (POST /v1/admin/enrolments with its device_id)",
                    ));
                }
            }
            tx.execute(
                "UPDATE enrolment_codes SET redeemed_by = $2, redeemed_at_ms = $3 WHERE code_sha256 = $1",
                &[&r.code_sha256, &device, &now_ms],
            )
            .await?;
            let record = load_device(&tx, r.device_id, "")
                .await?
                .ok_or(CentralError::Corrupt(
                    "device vanished in its own transaction".into(),
                ))?;
            tx.commit().await?;
            Ok(record)
        })
    }

    fn device(&self, id: DeviceId) -> Fut<'_, Option<DeviceRecord>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            load_device(&c, id, "").await
        })
    }

    fn revoke(&self, id: DeviceId) -> Fut<'_, bool> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            Ok(c.execute(
                "UPDATE devices SET revoked = true WHERE device_id = $1",
                &[&id.as_uuid()],
            )
            .await?
                == 1)
        })
    }

    fn ingest(&self, device: DeviceId, batch: Vec<Checked>, now_ms: i64) -> Fut<'_, Ingested> {
        Box::pin(async move {
            let mut c = self.pool.get().await?;
            let tx = PgTx {
                tx: c.transaction().await?,
                device: device.as_uuid(),
                tenant: Uuid::nil(),
                now_ms,
            };
            ingest::apply(tx, &batch).await
        })
    }

    fn record_health<'a>(
        &'a self,
        device: DeviceId,
        report: &'a HealthReport,
        skew_ms: i64,
        now_ms: i64,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let json =
                serde_json::to_string(report).map_err(|e| CentralError::Corrupt(e.to_string()))?;
            let id = device.as_uuid();
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            tx.execute(
                "UPDATE devices SET health = $2, reported_at_ms = $3, clock_skew_ms = $4 WHERE device_id = $1",
                &[&id, &json, &now_ms, &skew_ms],
            )
            .await?;
            let last = tx
                .query_opt(
                    "SELECT reported_at_ms, health FROM health_history
                     WHERE device_id = $1 ORDER BY reported_at_ms DESC LIMIT 1",
                    &[&id],
                )
                .await?;
            let last = match last {
                Some(row) => {
                    let at: i64 = row.try_get(0)?;
                    let h: String = row.try_get(1)?;
                    serde_json::from_str::<HealthReport>(&h)
                        .ok()
                        .map(|r| (at, r))
                }
                None => None,
            };
            if crate::fleet::worth_keeping(last.as_ref().map(|(at, r)| (*at, r)), now_ms, report) {
                tx.execute(
                    "INSERT INTO health_history (device_id, reported_at_ms, clock_skew_ms, health)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (device_id, reported_at_ms)
                     DO UPDATE SET clock_skew_ms = EXCLUDED.clock_skew_ms, health = EXCLUDED.health",
                    &[&id, &now_ms, &skew_ms, &json],
                )
                .await?;
                tx.execute(
                    "DELETE FROM health_history WHERE device_id = $1 AND reported_at_ms < $2",
                    &[&id, &now_ms.saturating_sub(crate::fleet::HISTORY_KEPT_MS)],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn health(&self, device: DeviceId) -> Fut<'_, Option<DeviceHealth>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    &format!("{} WHERE device_id = $1", health_select()),
                    &[&device.as_uuid()],
                )
                .await?;
            row.as_ref().map(health_row).transpose()
        })
    }

    fn fleet(&self, tenant: TenantId) -> Fut<'_, Vec<(String, DeviceHealth)>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let rows = c
                .query(
                    &format!(
                        "{} WHERE tenant_id = $1 AND device_id NOT IN
                             (SELECT office_device_id FROM tenants WHERE office_device_id IS NOT NULL)
                         ORDER BY store, device_code, device_id",
                        health_select()
                    ),
                    &[&tenant.as_uuid()],
                )
                .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(7)?, health_row(row)?)))
                .collect()
        })
    }

    fn daily_sales<'a>(&'a self, tenant: TenantId, day: &'a str) -> Fut<'a, DailySales> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            // Summed in i128 by `sum_sales`, not by the database: one device's absurd
            // figures must not fail every store's report.
            let rows = c
                .query(
                    "SELECT s.device_id, d.device_code, coalesce(oc.currency, ''), s.kind, s.amount
                     FROM sales s
                     JOIN devices d ON d.device_id = s.device_id
                     LEFT JOIN order_currency oc ON oc.tenant_id = s.tenant_id AND oc.order_id = s.order_id
                     WHERE s.tenant_id = $1 AND s.day = $2",
                    &[&tenant.as_uuid(), &day],
                )
                .await?;
            let rows = rows
                .iter()
                .map(|r| {
                    Ok(SaleRow {
                        device_id: DeviceId::from_uuid(r.try_get(0)?),
                        device_code: r.try_get(1)?,
                        currency: r.try_get(2)?,
                        refund: r.try_get::<_, &str>(3)? == "refunded",
                        amount: r.try_get(4)?,
                    })
                })
                .collect::<Result<Vec<_>, CentralError>>()?;
            Ok(DailySales {
                tenant_id: tenant,
                day: day.to_owned(),
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
        Box::pin(async move {
            let c = self.pool.get().await?;
            let added = c
                .execute(
                    "INSERT INTO images (tenant_id, digest, bytes, stored_at_ms)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&tenant.as_uuid(), &digest.as_str(), &bytes, &now_ms],
                )
                .await?;
            Ok(added > 0)
        })
    }

    fn image<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    "SELECT bytes FROM images WHERE tenant_id = $1 AND digest = $2",
                    &[&tenant.as_uuid(), &digest.as_str()],
                )
                .await?;
            Ok(match row {
                Some(r) => Some(r.try_get::<_, Vec<u8>>(0)?),
                None => None,
            })
        })
    }

    fn image_held<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, bool> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    "SELECT 1 FROM images WHERE tenant_id = $1 AND digest = $2",
                    &[&tenant.as_uuid(), &digest.as_str()],
                )
                .await?;
            Ok(row.is_some())
        })
    }

    fn tenant_by_slug<'a>(&'a self, slug: &'a str) -> Fut<'a, Option<TenantId>> {
        Box::pin(async move {
            if slug.contains('\0') {
                return Ok(None); // no slug holds one (PostgreSQL's text cannot)
            }
            let c = self.pool.get().await?;
            let row = c
                .query_opt("SELECT tenant_id FROM tenants WHERE slug = $1", &[&slug])
                .await?;
            Ok(match row {
                Some(r) => r.try_get::<_, Option<Uuid>>(0)?.map(TenantId::from_uuid),
                None => None,
            })
        })
    }

    fn events_of(&self, device: DeviceId) -> Fut<'_, Vec<Envelope>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let rows = c
                .query(
                    "SELECT envelope FROM events WHERE device_id = $1 ORDER BY seq",
                    &[&device.as_uuid()],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    serde_json::from_str(r.try_get::<_, &str>(0)?)
                        .map_err(|e| CentralError::Corrupt(format!("events.envelope: {e}")))
                })
                .collect()
        })
    }

    fn report_pending(&self, limit: usize) -> Fut<'_, Vec<ReportPending>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let behind = c
                .query(
                    "SELECT d.device_id, d.tenant_id, d.store, d.acked_through, coalesce(r.seq, 0)
                     FROM devices d LEFT JOIN report_cursors r ON r.device_id = d.device_id
                     WHERE d.acked_through > coalesce(r.seq, 0)
                     ORDER BY d.device_id",
                    &[],
                )
                .await?;
            let st = c
                .prepare_cached(
                    "SELECT seq, envelope FROM events
                     WHERE device_id = $1 AND seq > $2 AND seq <= $3
                       AND type IN ('OrderCreated', 'OrderPaid', 'OrderRefunded')
                     ORDER BY seq LIMIT $4",
                )
                .await?;
            let mut left = limit;
            let mut out = Vec::new();
            for row in behind {
                if left == 0 {
                    break;
                }
                let device: Uuid = row.try_get(0)?;
                let acked: i64 = row.try_get(3)?;
                let cursor: i64 = row.try_get(4)?;
                let page = i64::try_from(left).unwrap_or(i64::MAX);
                let rows = c.query(&st, &[&device, &cursor, &acked, &page]).await?;
                let events = rows
                    .iter()
                    .map(|r| Ok((unsigned(r.try_get(0)?, "events.seq")?, r.try_get(1)?)))
                    .collect::<Result<Vec<(u64, String)>, CentralError>>()?;
                let cursor_to = match events.last() {
                    Some((seq, _)) if events.len() >= left => *seq,
                    _ => unsigned(acked, "devices.acked_through")?,
                };
                left = left.saturating_sub(events.len());
                out.push(ReportPending {
                    device_id: DeviceId::from_uuid(device),
                    tenant_id: TenantId::from_uuid(row.try_get(1)?),
                    store: row.try_get(2)?,
                    events,
                    cursor_to,
                });
            }
            Ok(out)
        })
    }

    fn report_apply<'a>(&'a self, batch: &'a ReportBatch) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let (mut ot, mut oo, mut oc, mut od) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let (mut lt, mut lo, mut ln, mut lp, mut ltt, mut lq, mut la) = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            for (tenant, o) in &batch.orders {
                ot.push(tenant.as_uuid());
                oo.push(o.order_id.as_str());
                oc.push(o.currency.as_str());
                od.push(o.discount);
                for (n, l) in o.lines.iter().enumerate() {
                    lt.push(tenant.as_uuid());
                    lo.push(o.order_id.as_str());
                    ln.push(i32::try_from(n).unwrap_or(i32::MAX));
                    lp.push(l.product_id.as_str());
                    ltt.push(pg_text(&l.title));
                    lq.push(l.quantity);
                    la.push(l.amount);
                }
            }
            tx.execute(
                "INSERT INTO report_orders (tenant_id, order_id, currency, discount)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[])
                 ON CONFLICT DO NOTHING",
                &[&ot, &oo, &oc, &od],
            )
            .await?;
            tx.execute(
                "INSERT INTO report_lines (tenant_id, order_id, line, product_id, title, quantity, amount)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
                 ON CONFLICT DO NOTHING",
                &[&lt, &lo, &ln, &lp, &ltt, &lq, &la],
            )
            .await?;
            let (mut sd, mut ss, mut st, mut sst, mut so, mut sat, mut sk, mut sa) = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            let (mut td, mut ts, mut tn, mut tt, mut to, mut tat, mut tk, mut tm, mut ta) = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            for (device, seq, tenant, store, r) in &batch.sales {
                let seq = signed(*seq)?;
                sd.push(device.as_uuid());
                ss.push(seq);
                st.push(tenant.as_uuid());
                sst.push(store.as_str());
                so.push(r.order_id.as_str());
                sat.push(r.at_ms);
                sk.push(r.kind);
                sa.push(r.amount);
                for (n, (method, amount)) in r.tenders.iter().enumerate() {
                    td.push(device.as_uuid());
                    ts.push(seq);
                    tn.push(i32::try_from(n).unwrap_or(i32::MAX));
                    tt.push(tenant.as_uuid());
                    to.push(r.order_id.as_str());
                    tat.push(r.at_ms);
                    tk.push(r.kind);
                    tm.push(*method);
                    ta.push(*amount);
                }
            }
            tx.execute(
                // Only the sales inserted here (not projected before: a concurrent
                // projection's rows wait on the key, then are not returned) grow
                // the roll-ups.
                "WITH ins AS (
                     INSERT INTO report_sales (device_id, seq, tenant_id, store, order_id, at_ms, kind, amount)
                     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])
                     ON CONFLICT DO NOTHING
                     RETURNING tenant_id, store, order_id, at_ms, kind, amount
                 ), quarters AS (
                     INSERT INTO report_quarters (tenant_id, quarter, store, currency, kind, count, high, low, disc_high, disc_low)
                     SELECT i.tenant_id, i.at_ms / 900000, i.store, coalesce(o.currency, ''), i.kind, count(*),
                            sum(i.amount / 1000000)::bigint, sum(i.amount % 1000000)::bigint,
                            sum(CASE WHEN i.kind = 'paid' THEN coalesce(o.discount, 0) / 1000000 ELSE 0 END)::bigint,
                            sum(CASE WHEN i.kind = 'paid' THEN coalesce(o.discount, 0) % 1000000 ELSE 0 END)::bigint
                     FROM ins i
                     LEFT JOIN report_orders o ON o.tenant_id = i.tenant_id AND o.order_id = i.order_id
                     GROUP BY 1, 2, 3, 4, 5
                     ON CONFLICT (tenant_id, quarter, store, currency, kind) DO UPDATE SET
                         count = report_quarters.count + excluded.count,
                         high = report_quarters.high + excluded.high,
                         low = report_quarters.low + excluded.low,
                         disc_high = report_quarters.disc_high + excluded.disc_high,
                         disc_low = report_quarters.disc_low + excluded.disc_low
                 )
                 INSERT INTO report_product_days (tenant_id, day, product_id, currency, title, quantity, high, low)
                 SELECT i.tenant_id, i.at_ms / 86400000, l.product_id, coalesce(o.currency, ''), max(l.title),
                        sum(l.quantity)::bigint, sum(l.amount / 1000000)::bigint, sum(l.amount % 1000000)::bigint
                 FROM ins i
                 JOIN report_lines l ON l.tenant_id = i.tenant_id AND l.order_id = i.order_id
                 LEFT JOIN report_orders o ON o.tenant_id = i.tenant_id AND o.order_id = i.order_id
                 WHERE i.kind = 'paid'
                 GROUP BY 1, 2, 3, 4
                 ON CONFLICT (tenant_id, day, product_id, currency) DO UPDATE SET
                     title = excluded.title,
                     quantity = report_product_days.quantity + excluded.quantity,
                     high = report_product_days.high + excluded.high,
                     low = report_product_days.low + excluded.low",
                &[&sd, &ss, &st, &sst, &so, &sat, &sk, &sa],
            )
            .await?;
            tx.execute(
                "WITH ins AS (
                     INSERT INTO report_tenders (device_id, seq, n, tenant_id, order_id, at_ms, kind, method, amount)
                     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::uuid[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[])
                     ON CONFLICT DO NOTHING
                     RETURNING tenant_id, order_id, at_ms, kind, method, amount
                 )
                 INSERT INTO report_tender_quarters (tenant_id, quarter, method, currency, kind, high, low)
                 SELECT i.tenant_id, i.at_ms / 900000, i.method, coalesce(o.currency, ''), i.kind,
                        sum(i.amount / 1000000)::bigint, sum(i.amount % 1000000)::bigint
                 FROM ins i
                 LEFT JOIN report_orders o ON o.tenant_id = i.tenant_id AND o.order_id = i.order_id
                 GROUP BY 1, 2, 3, 4, 5
                 ON CONFLICT (tenant_id, quarter, method, currency, kind) DO UPDATE SET
                     high = report_tender_quarters.high + excluded.high,
                     low = report_tender_quarters.low + excluded.low",
                &[&td, &ts, &tn, &tt, &to, &tat, &tk, &tm, &ta],
            )
            .await?;
            for (device, seq) in &batch.cursors {
                tx.execute(
                    "INSERT INTO report_cursors (device_id, seq) VALUES ($1, $2)
                     ON CONFLICT (device_id) DO UPDATE SET seq = greatest(report_cursors.seq, excluded.seq)",
                    &[&device.as_uuid(), &signed(*seq)?],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn sales_report(&self, tenant: TenantId, ask: Ask) -> Fut<'_, Raw> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let t = tenant.as_uuid();
            let sales = c
                .query(
                    report::sql::SALES,
                    &[&t, &ask.from_ms, &ask.to_ms, &ask.offset_ms],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok(report::SalesRow {
                        store: r.try_get(0)?,
                        day: r.try_get(1)?,
                        hour: r.try_get(2)?,
                        currency: r.try_get(3)?,
                        kind: r.try_get(4)?,
                        count: r.try_get(5)?,
                        high: r.try_get(6)?,
                        low: r.try_get(7)?,
                    })
                })
                .collect::<Result<_, CentralError>>()?;
            let p: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&t, &ask.from_ms, &ask.to_ms];
            let tenders = c
                .query(report::sql::TENDERS, &p)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                    ))
                })
                .collect::<Result<_, CentralError>>()?;
            let discounts = c
                .query(
                    report::sql::DISCOUNTS,
                    &[&t, &ask.from_ms, &ask.to_ms, &ask.offset_ms],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                    ))
                })
                .collect::<Result<_, CentralError>>()?;
            let spans = report::product_spans(ask.from_ms, ask.to_ms);
            let mut reads: Vec<(&str, i64, i64)> = Vec::new();
            if let Some((first, last)) = spans.days {
                reads.push((report::sql::PRODUCT_DAYS, first, last));
            }
            reads.extend(
                spans
                    .edges
                    .iter()
                    .map(|(a, b)| (report::sql::PRODUCTS, *a, *b)),
            );
            let mut products = Vec::new();
            for (sql, a, b) in reads {
                for r in c.query(sql, &[&t, &a, &b]).await? {
                    products.push((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ));
                }
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
        Box::pin(async move {
            let c = self.pool.get().await?;
            let rows = c
                .query("SELECT slug FROM tenants ORDER BY slug", &[])
                .await?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    fn add_person<'a>(
        &'a self,
        p: &'a Person,
        password_hash: &'a str,
        now_ms: i64,
    ) -> Fut<'a, bool> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let added = c
                .execute(
                    "INSERT INTO people (person_id, tenant_slug, login, name, password_hash, created_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login) DO NOTHING",
                    &[&p.person_id, &p.tenant_slug, &p.login, &p.name, &password_hash, &now_ms],
                )
                .await?;
            Ok(added == 1)
        })
    }

    fn sign_in_of<'a>(&'a self, login: &'a str) -> Fut<'a, Option<SignIn>> {
        Box::pin(async move {
            if login.contains('\0') {
                return Ok(None);
            }
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    "SELECT person_id, tenant_slug, login, name, password_hash, locked_until_ms
                     FROM people WHERE login = $1",
                    &[&login],
                )
                .await?;
            row.map(|r| {
                Ok(SignIn {
                    person: person_row(&r)?,
                    password_hash: r.try_get(4)?,
                    locked_until_ms: r.try_get(5)?,
                })
            })
            .transpose()
        })
    }

    fn wrong_password(&self, person: Uuid, lock_after: u32, lock_until_ms: i64) -> Fut<'_, i64> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let lock_after = i32::try_from(lock_after).unwrap_or(i32::MAX);
            let row = c
                .query_opt(
                    "UPDATE people SET
                         locked_until_ms = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until_ms END,
                         failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END
                     WHERE person_id = $1 RETURNING locked_until_ms",
                    &[&person, &lock_after, &lock_until_ms],
                )
                .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
        })
    }

    fn start_session<'a>(&'a self, s: &'a NewSession) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            tx.execute(
                "DELETE FROM console_sessions WHERE expires_at_ms <= $1",
                &[&s.created_at_ms],
            )
            .await?;
            tx.execute(
                "UPDATE people SET failed_attempts = 0 WHERE person_id = $1",
                &[&s.person_id],
            )
            .await?;
            tx.execute(
                "INSERT INTO console_sessions (token_sha256, person_id, csrf_token, created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&s.token_sha256, &s.person_id, &s.csrf_token, &s.created_at_ms, &s.expires_at_ms],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn session<'a>(&'a self, token_sha256: &'a str, now_ms: i64) -> Fut<'a, Option<Session>> {
        Box::pin(async move {
            if token_sha256.contains('\0') {
                return Ok(None);
            }
            let c = self.pool.get().await?;
            let row = c
                .query_opt(
                    "SELECT p.person_id, p.tenant_slug, p.login, p.name, s.csrf_token, s.expires_at_ms
                     FROM console_sessions s JOIN people p ON p.person_id = s.person_id
                     WHERE s.token_sha256 = $1 AND s.expires_at_ms > $2",
                    &[&token_sha256, &now_ms],
                )
                .await?;
            row.map(|r| {
                Ok(Session {
                    person: person_row(&r)?,
                    csrf_token: r.try_get(4)?,
                    expires_at_ms: r.try_get(5)?,
                })
            })
            .transpose()
        })
    }

    fn end_session<'a>(&'a self, token_sha256: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            c.execute(
                "DELETE FROM console_sessions WHERE token_sha256 = $1",
                &[&pg_text(token_sha256)],
            )
            .await?;
            Ok(())
        })
    }

    fn audit<'a>(&'a self, e: &'a AuditEntry) -> Fut<'a, ()> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            c.execute(
                "INSERT INTO audit_log (at_ms, actor, tenant_slug, action, detail)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &e.at_ms,
                    &pg_text(&e.actor),
                    &e.tenant_slug,
                    &pg_text(&e.action),
                    &e.detail.to_string(),
                ],
            )
            .await?;
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
        Box::pin(async move {
            let c = self.pool.get().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c
                .query(
                    "SELECT id, at_ms, actor, tenant_slug, action, detail FROM audit_log
                     WHERE ($1::text IS NULL OR tenant_slug = $1 OR ($4 AND tenant_slug IS NULL))
                       AND id < $2
                     ORDER BY id DESC LIMIT $3",
                    &[&tenant, &before_id.unwrap_or(i64::MAX), &limit, &chain],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let detail: String = r.try_get(5)?;
                    Ok(AuditEntry {
                        id: r.try_get(0)?,
                        at_ms: r.try_get(1)?,
                        actor: r.try_get(2)?,
                        tenant_slug: r.try_get(3)?,
                        action: r.try_get(4)?,
                        detail: serde_json::from_str(&detail)
                            .map_err(|e| CentralError::Corrupt(format!("audit_log.detail: {e}")))?,
                    })
                })
                .collect()
        })
    }

    fn health_history(&self, device: DeviceId, limit: usize) -> Fut<'_, Vec<HealthSample>> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c
                .query(
                    "SELECT reported_at_ms, clock_skew_ms, health FROM health_history
                     WHERE device_id = $1 ORDER BY reported_at_ms DESC LIMIT $2",
                    &[&device.as_uuid(), &limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let health: String = r.try_get(2)?;
                    super::health_sample(r.try_get(0)?, r.try_get(1)?, &health)
                })
                .collect()
        })
    }

    fn counts(&self) -> Fut<'_, Counts> {
        Box::pin(async move {
            // One row per device, each kept by its own ingests: O(devices), and a
            // read never waits for a write in PostgreSQL.
            let c = self.pool.get().await?;
            let r = c
                .query_one(
                    "SELECT count(*) FILTER (WHERE device_id NOT IN
                                (SELECT office_device_id FROM tenants WHERE office_device_id IS NOT NULL)),
                            coalesce(sum(events_stored), 0)::bigint,
                            coalesce(sum(events_quarantined), 0)::bigint
                     FROM devices",
                    &[],
                )
                .await?;
            Ok(Counts {
                devices: unsigned(r.try_get(0)?, "device count")?,
                events: unsigned(r.try_get(1)?, "event count")?,
                quarantined: unsigned(r.try_get(2)?, "quarantine count")?,
            })
        })
    }

    fn ping(&self) -> Fut<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            c.query_one("SELECT 1", &[]).await?;
            Ok(())
        })
    }
}

/// The binary COPY of event rows, as a push writes them (its column types in
/// [`COPY_EVENT_TYPES`]).
pub const COPY_EVENTS: &str = "COPY events (device_id, seq, id, tenant_id, type, schema_version, occurred_at_ms, envelope, received_at_ms) FROM STDIN (FORMAT binary)";

/// The column types of [`COPY_EVENTS`].
pub const COPY_EVENT_TYPES: [tokio_postgres::types::Type; 9] = {
    use tokio_postgres::types::Type;
    [
        Type::UUID,
        Type::INT8,
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
    ]
};

/// One device's ingest in a PostgreSQL transaction, its device row locked.
struct PgTx<'c> {
    tx: deadpool_postgres::Transaction<'c>,
    device: Uuid,
    /// The device's tenant, read with its acknowledged seq.
    tenant: Uuid,
    now_ms: i64,
}

impl PgTx<'_> {
    /// The events by binary COPY, all or none.
    async fn copy_events(&self, events: &[NewEvent<'_>]) -> Result<(), tokio_postgres::Error> {
        use tokio_postgres::types::ToSql;
        let sink = self.tx.copy_in(COPY_EVENTS).await?;
        let writer = tokio_postgres::binary_copy::BinaryCopyInWriter::new(sink, &COPY_EVENT_TYPES);
        let mut writer = std::pin::pin!(writer);
        for NewEvent { envelope: e, raw } in events {
            // Checked by the caller.
            let seq = i64::try_from(e.seq).unwrap_or(i64::MAX);
            let row: [&(dyn ToSql + Sync); 9] = [
                &self.device,
                &seq,
                &e.id.as_uuid(),
                &e.tenant_id.as_uuid(),
                &e.event_type,
                &i64::from(e.schema_version),
                &e.occurred_at.unix_millis(),
                raw,
                &self.now_ms,
            ];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
        Ok(())
    }

    /// The events by one INSERT that skips any whose id the tenant holds; returns
    /// the seqs stored.
    async fn insert_skipping_held(
        &self,
        events: &[NewEvent<'_>],
    ) -> Result<Vec<u64>, CentralError> {
        let n = events.len();
        let (mut seqs, mut ids, mut tenants) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut types, mut versions, mut occurred, mut raws) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for NewEvent { envelope: e, raw } in events {
            seqs.push(signed(e.seq)?);
            ids.push(e.id.as_uuid());
            tenants.push(e.tenant_id.as_uuid());
            types.push(e.event_type.as_str());
            versions.push(i64::from(e.schema_version));
            occurred.push(e.occurred_at.unix_millis());
            raws.push(*raw);
        }
        // One statement for the whole batch; a duplicate id (this tenant holds it at
        // another seq) is skipped by the unique index, and left out of RETURNING.
        let st = self
            .tx
            .prepare_cached(
                "INSERT INTO events (device_id, seq, id, tenant_id, type, schema_version, occurred_at_ms, envelope, received_at_ms)
                 SELECT $1, seq, id, tenant_id, type, schema_version, occurred_at_ms, envelope, $2
                 FROM unnest($3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])
                      AS b (seq, id, tenant_id, type, schema_version, occurred_at_ms, envelope)
                 ON CONFLICT DO NOTHING
                 RETURNING seq",
            )
            .await?;
        let rows = self
            .tx
            .query(
                &st,
                &[
                    &self.device,
                    &self.now_ms,
                    &seqs,
                    &ids,
                    &tenants,
                    &types,
                    &versions,
                    &occurred,
                    &raws,
                ],
            )
            .await?;
        rows.iter()
            .map(|r| unsigned(r.try_get(0)?, "events.seq"))
            .collect()
    }
}

impl IngestTx for PgTx<'_> {
    async fn acked_through(&mut self) -> Result<u64, CentralError> {
        let st = self
            .tx
            .prepare_cached(
                "SELECT acked_through, tenant_id FROM devices WHERE device_id = $1 FOR UPDATE",
            )
            .await?;
        let row = self.tx.query_one(&st, &[&self.device]).await?;
        self.tenant = row.try_get(1)?;
        unsigned(row.try_get(0)?, "devices.acked_through")
    }

    async fn replicas(
        &mut self,
        keys: &[(Kind, Uuid)],
    ) -> Result<HashMap<(Kind, Uuid), Replica>, CentralError> {
        replicas_of(&self.tx, self.tenant, keys).await
    }

    async fn put_replicas(&mut self, rows: &[Record<'_>]) -> Result<(), CentralError> {
        put_replicas(&self.tx, self.tenant, rows).await
    }

    async fn held(&mut self, seqs: &[u64]) -> Result<Held, CentralError> {
        let seqs = seqs
            .iter()
            .map(|s| signed(*s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut held = Held::default();
        let st = self
            .tx
            .prepare_cached(
                "SELECT seq, id FROM events WHERE device_id = $1 AND seq = ANY($2::bigint[])",
            )
            .await?;
        for r in self.tx.query(&st, &[&self.device, &seqs]).await? {
            let seq = unsigned(r.try_get(0)?, "events.seq")?;
            held.events.insert(seq, EventId::from_uuid(r.try_get(1)?));
        }
        let st = self
            .tx
            .prepare_cached(
                "SELECT seq, id, code, message FROM quarantine WHERE device_id = $1 AND seq = ANY($2::bigint[])",
            )
            .await?;
        for r in self.tx.query(&st, &[&self.device, &seqs]).await? {
            let seq = unsigned(r.try_get(0)?, "quarantine.seq")?;
            let id = EventId::from_uuid(r.try_get(1)?);
            held.quarantined.insert(
                seq,
                super::rejection(seq, id, r.try_get(2)?, r.try_get(3)?)?,
            );
        }
        Ok(held)
    }

    async fn insert(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<u64>, CentralError> {
        // The usual push holds only new ids: COPY them (PostgreSQL's fastest write)
        // under a savepoint. A unique index refusing one (this tenant holds the id at
        // another seq) rolls that back, and the batch goes again by INSERT … ON
        // CONFLICT DO NOTHING, which stores the rest and says which it stored. Either
        // way the database's constraints decide, never a check before the write.
        for e in events {
            signed(e.envelope.seq)?;
        }
        self.tx.batch_execute("SAVEPOINT copy_events").await?;
        match self.copy_events(events).await {
            Ok(()) => {
                self.tx
                    .batch_execute("RELEASE SAVEPOINT copy_events")
                    .await?;
                return Ok(events.iter().map(|e| e.envelope.seq).collect());
            }
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                self.tx
                    .batch_execute("ROLLBACK TO SAVEPOINT copy_events")
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
        self.insert_skipping_held(events).await
    }

    async fn quarantine(&mut self, events: &[Quarantined<'_>]) -> Result<(), CentralError> {
        let seqs = events
            .iter()
            .map(|q| signed(q.seq))
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Uuid> = events.iter().map(|q| q.id.as_uuid()).collect();
        let codes: Vec<&str> = events.iter().map(|q| q.code.as_str()).collect();
        let messages: Vec<_> = events.iter().map(|q| pg_text(q.message)).collect();
        let raws: Vec<&str> = events.iter().map(|q| q.raw).collect();
        let st = self
            .tx
            .prepare_cached(
                "INSERT INTO quarantine (device_id, seq, id, code, message, envelope, received_at_ms)
                 SELECT $1, seq, id, code, message, envelope, $2
                 FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[])
                      AS b (seq, id, code, message, envelope)",
            )
            .await?;
        self.tx
            .execute(
                &st,
                &[
                    &self.device,
                    &self.now_ms,
                    &seqs,
                    &ids,
                    &codes,
                    &messages,
                    &raws,
                ],
            )
            .await?;
        Ok(())
    }

    async fn release(&mut self, seqs: &[u64]) -> Result<(), CentralError> {
        let seqs = seqs
            .iter()
            .map(|s| signed(*s))
            .collect::<Result<Vec<_>, _>>()?;
        self.tx
            .execute(
                "DELETE FROM quarantine WHERE device_id = $1 AND seq = ANY($2::bigint[])",
                &[&self.device, &seqs],
            )
            .await?;
        Ok(())
    }

    async fn derive(&mut self, rows: &[(&Envelope, &Derived)]) -> Result<(), CentralError> {
        let (mut oc_tenants, mut oc_orders, mut oc_currencies) =
            (Vec::new(), Vec::new(), Vec::new());
        let (mut seqs, mut tenants, mut days, mut orders, mut kinds, mut amounts) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (e, derived) in rows {
            let (kind, order, amount) = match derived {
                Derived::Nothing => continue,
                Derived::OrderCurrency { order_id, currency } => {
                    oc_tenants.push(e.tenant_id.as_uuid());
                    oc_orders.push(order_id.as_str());
                    oc_currencies.push(currency.as_str());
                    continue;
                }
                Derived::Paid { order_id, amount } => ("paid", order_id, *amount),
                Derived::Refunded { order_id, amount } => ("refunded", order_id, *amount),
            };
            seqs.push(signed(e.seq)?);
            tenants.push(e.tenant_id.as_uuid());
            days.push(e.occurred_at.day());
            orders.push(order.as_str());
            kinds.push(kind);
            amounts.push(amount);
        }
        if !oc_orders.is_empty() {
            let st = self
                .tx
                .prepare_cached(
                    "INSERT INTO order_currency (tenant_id, order_id, currency)
                     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
                     ON CONFLICT DO NOTHING",
                )
                .await?;
            self.tx
                .execute(&st, &[&oc_tenants, &oc_orders, &oc_currencies])
                .await?;
        }
        if !seqs.is_empty() {
            let st = self
                .tx
                .prepare_cached(
                    "INSERT INTO sales (device_id, seq, tenant_id, day, order_id, kind, amount)
                     SELECT $1, * FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[])",
                )
                .await?;
            self.tx
                .execute(
                    &st,
                    &[
                        &self.device,
                        &seqs,
                        &tenants,
                        &days,
                        &orders,
                        &kinds,
                        &amounts,
                    ],
                )
                .await?;
        }
        Ok(())
    }

    async fn feed(&mut self, seqs: &[(u64, Reach)], last_hlc: Hlc) -> Result<(), CentralError> {
        let n = i64::try_from(seqs.len()).unwrap_or(i64::MAX);
        // The head's row stays locked until this transaction commits.
        let st = self
            .tx
            .prepare_cached(
                "INSERT INTO feed_heads (tenant_id, head, last_hlc) SELECT tenant_id, $2, $3 FROM devices WHERE device_id = $1
                 ON CONFLICT (tenant_id) DO UPDATE SET head = feed_heads.head + excluded.head,
                     last_hlc = greatest(feed_heads.last_hlc, excluded.last_hlc)
                 RETURNING head",
            )
            .await?;
        let head: i64 = self
            .tx
            .query_one(&st, &[&self.device, &n, &last_hlc.to_string()])
            .await?
            .try_get(0)?;
        let first = head.checked_sub(n).ok_or(CentralError::Corrupt(format!(
            "feed head {head} is below the {n} entries just added"
        )))?;
        let mut positions = Vec::with_capacity(seqs.len());
        let mut ordered = Vec::with_capacity(seqs.len());
        let mut store_only = Vec::with_capacity(seqs.len());
        for (position, (seq, reach)) in (first.saturating_add(1)..).zip(seqs) {
            positions.push(position);
            ordered.push(signed(*seq)?);
            store_only.push(*reach == Reach::Store);
        }
        let st = self
            .tx
            .prepare_cached(
                "INSERT INTO feed (tenant_id, position, device_id, seq, store)
                 SELECT d.tenant_id, b.position, d.device_id, b.seq, CASE WHEN b.store_only THEN d.store END
                 FROM devices d, unnest($2::bigint[], $3::bigint[], $4::bool[]) AS b (position, seq, store_only)
                 WHERE d.device_id = $1",
            )
            .await?;
        self.tx
            .execute(&st, &[&self.device, &positions, &ordered, &store_only])
            .await?;
        Ok(())
    }

    async fn commit(self, acked_through: u64, delta: CountDelta) -> Result<(), CentralError> {
        let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.tx
            .execute(
                "UPDATE devices SET acked_through = $2,
                        events_stored = events_stored + $3,
                        events_quarantined = events_quarantined + $4 - $5
                 WHERE device_id = $1
                   AND (acked_through <> $2 OR $3::bigint <> 0 OR $4::bigint <> 0 OR $5::bigint <> 0)",
                &[
                    &self.device,
                    &signed(acked_through)?,
                    &count(delta.stored),
                    &count(delta.quarantined),
                    &count(delta.released),
                ],
            )
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
