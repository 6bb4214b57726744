//! Storage of the central server behind one small trait, [`Backend`], with two
//! implementations: [`Sqlite`] (embedded, the default: WAL, `synchronous=FULL`) and
//! [`Postgres`] (a chain's central, several processes on one database). Every write
//! that a reply acknowledges is committed durably before the reply is sent. Ingest is
//! one algorithm, [`crate::ingest::apply`], over each backend's
//! [`crate::ingest::IngestTx`]; no backend contains it.

mod postgres;
mod sqlite;

pub use crate::ingest::Ingested;
pub use postgres::{Postgres, COPY_EVENTS, COPY_EVENT_TYPES};
pub use sqlite::{Sqlite, SQLITE_SCHEMA_VERSION};

use crate::ingest::Checked;
use crate::CentralError;
use rustok_domain::event::Envelope;
use rustok_domain::ids::{DeviceId, TenantId};
use rustok_domain::image::ImageDigest;
use rustok_domain::replica::{Kind, Replica};
use rustok_protocol::{DailySales, DeviceHealth, HealthReport, Store, StoreFields, StoreSales};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// What a backend's call returns: a future that may be sent between threads.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, CentralError>> + Send + 'a>>;

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
    /// The code of its store.
    pub store: String,
}

/// A new enrolment code, as stored.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    /// The tenant (created, with its main store, if new).
    pub tenant_slug: &'a str,
    /// SHA-256 of the code, hex.
    pub code_sha256: &'a str,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// Set: the code re-enrols only this device.
    pub device: Option<DeviceId>,
    /// The store the device joins (it must exist).
    pub store: &'a str,
}

/// Head office as a writer of its tenant's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Office {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The device head office writes as.
    pub device_id: DeviceId,
    /// Its highest seq held.
    pub acked_through: u64,
    /// The greatest HLC in the tenant's feed (head office's clock goes past it).
    pub last_hlc: rustok_domain::hlc::Hlc,
}

/// Ids and a secret central drew, for a tenant or an office device it may create.
#[derive(Debug, Clone)]
pub struct OfficeIds {
    /// The tenant's id, when the tenant has none yet (no device enrolled).
    pub tenant_id: TenantId,
    /// The office device's id, when the tenant has none yet.
    pub device_id: DeviceId,
    /// A secret for its row (it never signs: the row is revoked).
    pub secret: Vec<u8>,
}

/// The order-number prefix of head office's device.
pub const OFFICE_DEVICE_CODE: &str = "HQ";

/// A page of a tenant's feed for one device, as stored: each entry's position and
/// the event's text as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedRows {
    /// In position order.
    pub entries: Vec<(u64, String)>,
    /// The cursor to ask after next.
    pub next: u64,
    /// The feed's last position when read.
    pub head: u64,
}

/// What a device may read of its tenant's feed in one page.
#[derive(Debug, Clone, Copy)]
pub struct FeedAsk<'a> {
    /// The reader.
    pub device: &'a DeviceRecord,
    /// Entries after this position.
    pub after: u64,
    /// At most this many entries.
    pub limit: usize,
    /// At most this many bytes of events (one entry is returned in any case).
    pub max_bytes: usize,
}

/// Cuts the rows a feed query returned (at most `limit`, in position order, none
/// past `head`) to `max_bytes`, and says where the next page starts: after the last
/// row returned when the page is full, else at `head` (every entry up to it was
/// looked at: the rest were the reader's own or another store's).
pub(crate) fn feed_page(
    mut rows: Vec<(u64, String)>,
    limit: usize,
    max_bytes: usize,
    head: u64,
) -> FeedRows {
    let full = rows.len() >= limit;
    let mut bytes = 0usize;
    let keep = rows
        .iter()
        .position(|(_, e)| {
            bytes = bytes.saturating_add(e.len());
            bytes > max_bytes
        })
        .map_or(rows.len(), |i| i.max(1));
    let cut = keep < rows.len();
    rows.truncate(keep);
    let next = match rows.last() {
        Some((p, _)) if full || cut => *p,
        _ => head,
    };
    FeedRows {
        entries: rows,
        next,
        head,
    }
}

/// Checks what an admin sets of a store.
pub(crate) fn check_store(code: &str, f: &StoreFields) -> Result<(), CentralError> {
    if !rustok_protocol::valid_store_code(code) {
        return Err(CentralError::Invalid(
            "a store code is 1 to 32 of a-z, 0-9 and '-', starting with a letter or digit",
        ));
    }
    let name = f.name.trim().chars().count();
    if name == 0 || name > 100 || f.name.contains('\0') {
        return Err(CentralError::Invalid(
            "a store's name is 1 to 100 characters",
        ));
    }
    if f.address.chars().count() > 500 || f.address.contains('\0') {
        return Err(CentralError::Invalid(
            "a store's address is at most 500 characters",
        ));
    }
    Ok(())
}

/// A device redeeming a code.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// SHA-256 of the code, hex.
    pub code_sha256: String,
    /// Device id.
    pub device_id: DeviceId,
    /// Its tenant id; `None` for a till joining the code's tenant.
    pub tenant_id: Option<TenantId>,
    /// Order-number prefix.
    pub device_code: String,
    /// Freshly drawn secret (kept when the device re-enrols with a new code).
    pub secret: Vec<u8>,
}

/// A person who signs in to the console.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// Id.
    pub person_id: Uuid,
    /// Their tenant; `None` for the chain operator, who sees every tenant.
    pub tenant_slug: Option<String>,
    /// Lower-case login.
    pub login: String,
    /// Display name.
    pub name: String,
}

/// A person with what signing in checks.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The person.
    pub person: Person,
    /// Their argon2id PHC string.
    pub password_hash: String,
    /// Unix milliseconds until which sign-in is refused (0: never locked).
    pub locked_until_ms: i64,
}

/// A live console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose.
    pub person: Person,
    /// The token every change must carry back.
    pub csrf_token: String,
    /// Unix milliseconds when it ends.
    pub expires_at_ms: i64,
}

/// A new session, as stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie's token, hex.
    pub token_sha256: String,
    /// Whose.
    pub person_id: Uuid,
    /// Its CSRF token.
    pub csrf_token: String,
    /// Started, Unix milliseconds.
    pub created_at_ms: i64,
    /// Ends, Unix milliseconds.
    pub expires_at_ms: i64,
}

/// One change in the audit log: who, what, when.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Its place in the log (0 before it is written).
    pub id: i64,
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// A person's login, or `admin-token`.
    pub actor: String,
    /// The tenant it concerns, if one.
    pub tenant_slug: Option<String>,
    /// What was done (`sign_in`, `revoke_device`, …).
    pub action: String,
    /// Its particulars.
    pub detail: serde_json::Value,
}

/// One health report of a device's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealthSample {
    /// When central received it, Unix milliseconds.
    pub reported_at_ms: i64,
    /// Device clock minus central's then, milliseconds.
    pub clock_skew_ms: i64,
    /// The report.
    pub report: HealthReport,
}

/// A device whose sale events are not all in the report tables yet.
#[derive(Debug, Clone)]
pub struct ReportPending {
    /// The device.
    pub device_id: DeviceId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its store.
    pub store: String,
    /// Its sale events after its cursor, in seq order: seq and the event's text.
    pub events: Vec<(u64, String)>,
    /// Where its cursor goes once they are applied.
    pub cursor_to: u64,
}

/// Report rows to apply in one transaction, with the cursors they move.
#[derive(Debug, Clone, Default)]
pub struct ReportBatch {
    /// Each device's new cursor.
    pub cursors: Vec<(DeviceId, u64)>,
    /// Orders made.
    pub orders: Vec<(TenantId, crate::report::OrderRows)>,
    /// Money taken or given back: device, seq, tenant, store and the rows.
    pub sales: Vec<(DeviceId, u64, TenantId, String, crate::report::SaleRows)>,
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
    /// Stores a new code (creating the tenant and its main store if new).
    fn create_enrolment<'a>(&'a self, code: &'a NewCode<'a>, now_ms: i64) -> Fut<'a, ()>;
    /// Creates a store of a tenant (and the tenant, if new), or sets its name and
    /// address.
    fn put_store<'a>(
        &'a self,
        tenant_slug: &'a str,
        code: &'a str,
        fields: &'a StoreFields,
        now_ms: i64,
    ) -> Fut<'a, Store>;
    /// A tenant's stores by code; `None` when the tenant is unknown.
    fn stores<'a>(&'a self, tenant_slug: &'a str) -> Fut<'a, Option<Vec<Store>>>;
    /// Every record of `kind` that central holds for a tenant, by id.
    fn records(&self, tenant: TenantId, kind: Kind) -> Fut<'_, Vec<(Uuid, Replica)>>;
    /// The records of a tenant at `keys` (those that exist).
    fn replicas<'a>(
        &'a self,
        tenant: TenantId,
        keys: &'a [(Kind, Uuid)],
    ) -> Fut<'a, HashMap<(Kind, Uuid), Replica>>;
    /// Head office of the tenant `slug` as a writer: the tenant (and its main store)
    /// is created if new, bound to `ids.tenant_id` if no device bound it yet, and
    /// gets its office device (`ids.device_id`) if it has none.
    fn office<'a>(&'a self, slug: &'a str, ids: &'a OfficeIds, now_ms: i64) -> Fut<'a, Office>;
    /// Products of the tenant other than `except` with this SKU or barcode.
    fn clashes<'a>(
        &'a self,
        tenant: TenantId,
        except: Uuid,
        sku: &'a str,
        barcode: Option<&'a str>,
    ) -> Fut<'a, Vec<Uuid>>;
    /// A page of the device's tenant's feed: entries after `after`, without the
    /// device's own events and without stock of other stores.
    fn feed<'a>(&'a self, ask: FeedAsk<'a>) -> Fut<'a, FeedRows>;
    /// Records a signature as used until `void_after` (Unix seconds); false when it
    /// was used before (a replay). `now` is the current Unix second.
    fn first_use(&self, signature: [u8; 32], void_after: i64, now: i64) -> Fut<'_, bool>;
    /// Redeems a code once; returns the registered device.
    fn redeem<'a>(&'a self, r: &'a Redemption, now_ms: i64) -> Fut<'a, DeviceRecord>;
    /// A device by id.
    fn device(&self, id: DeviceId) -> Fut<'_, Option<DeviceRecord>>;
    /// Revokes a device; false when unknown.
    fn revoke(&self, id: DeviceId) -> Fut<'_, bool>;
    /// Applies a checked batch of an enrolled device in one durable transaction
    /// ([`crate::ingest::apply`]).
    fn ingest(&self, device: DeviceId, batch: Vec<Checked>, now_ms: i64) -> Fut<'_, Ingested>;
    /// Records a health report, and adds it to the device's history when
    /// [`crate::fleet::worth_keeping`] says so (dropping what is older than
    /// [`crate::fleet::HISTORY_KEPT_MS`]).
    fn record_health<'a>(
        &'a self,
        device: DeviceId,
        report: &'a HealthReport,
        skew_ms: i64,
        now_ms: i64,
    ) -> Fut<'a, ()>;
    /// The last health of a device.
    fn health(&self, device: DeviceId) -> Fut<'_, Option<DeviceHealth>>;
    /// Every device of a tenant (not head office's writer) with its store and
    /// health, by store, till code and id.
    fn fleet(&self, tenant: TenantId) -> Fut<'_, Vec<(String, DeviceHealth)>>;
    /// Per-store sales of a tenant on a day (`YYYY-MM-DD`).
    fn daily_sales<'a>(&'a self, tenant: TenantId, day: &'a str) -> Fut<'a, DailySales>;
    /// Keeps a picture's bytes for a tenant under their digest (checked by the
    /// caller); true when it was not held before. Keeping it again changes nothing.
    fn put_image<'a>(
        &'a self,
        tenant: TenantId,
        digest: &'a ImageDigest,
        bytes: &'a [u8],
        now_ms: i64,
    ) -> Fut<'a, bool>;
    /// A picture of the tenant's, if central holds it.
    fn image<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, Option<Vec<u8>>>;
    /// Whether central holds the tenant's picture.
    fn image_held<'a>(&'a self, tenant: TenantId, digest: &'a ImageDigest) -> Fut<'a, bool>;
    /// Tenant id bound to a slug, if any.
    fn tenant_by_slug<'a>(&'a self, slug: &'a str) -> Fut<'a, Option<TenantId>>;
    /// Every stored event of a device, in seq order.
    fn events_of(&self, device: DeviceId) -> Fut<'_, Vec<Envelope>>;
    /// Every tenant's slug, in order.
    fn tenants(&self) -> Fut<'_, Vec<String>>;
    /// Adds a person; false (nothing written) when the login is taken. The tenant,
    /// if any, must exist.
    fn add_person<'a>(
        &'a self,
        p: &'a Person,
        password_hash: &'a str,
        now_ms: i64,
    ) -> Fut<'a, bool>;
    /// A person by (lower-case) login, with what signing in checks.
    fn sign_in_of<'a>(&'a self, login: &'a str) -> Fut<'a, Option<SignIn>>;
    /// Counts a wrong password; the `lock_after`th in a row locks the account until
    /// `lock_until_ms` and starts the count again. Returns the lock now in effect
    /// (Unix milliseconds, 0 if none).
    fn wrong_password(&self, person: Uuid, lock_after: u32, lock_until_ms: i64) -> Fut<'_, i64>;
    /// Starts a session: the person's wrong passwords are forgotten, and sessions
    /// that have ended are dropped.
    fn start_session<'a>(&'a self, s: &'a NewSession) -> Fut<'a, ()>;
    /// The session with this token digest, if it has not ended at `now_ms`.
    fn session<'a>(&'a self, token_sha256: &'a str, now_ms: i64) -> Fut<'a, Option<Session>>;
    /// Ends a session (nothing if there is none).
    fn end_session<'a>(&'a self, token_sha256: &'a str) -> Fut<'a, ()>;
    /// Appends to the audit log.
    fn audit<'a>(&'a self, e: &'a AuditEntry) -> Fut<'a, ()>;
    /// The audit log of a tenant (every entry when `None`; with `chain`, also the
    /// entries that concern no one tenant), newest first: at most `limit` entries
    /// before `before_id` (from the newest when `None`).
    fn audit_log<'a>(
        &'a self,
        tenant: Option<&'a str>,
        chain: bool,
        before_id: Option<i64>,
        limit: usize,
    ) -> Fut<'a, Vec<AuditEntry>>;
    /// A device's kept health reports, newest first, at most `limit`.
    fn health_history(&self, device: DeviceId, limit: usize) -> Fut<'_, Vec<HealthSample>>;
    /// Devices whose sale events are not all projected into the report tables, with
    /// those events (at most `limit` in all).
    fn report_pending(&self, limit: usize) -> Fut<'_, Vec<ReportPending>>;
    /// Applies report rows (a row already there is left as it is) and moves the
    /// cursors forward, in one transaction.
    fn report_apply<'a>(&'a self, batch: &'a ReportBatch) -> Fut<'a, ()>;
    /// The report queries over the projection ([`crate::report::sql`]).
    fn sales_report(
        &self,
        tenant: TenantId,
        ask: crate::report::Ask,
    ) -> Fut<'_, crate::report::Raw>;
    /// Counts for metrics. Cheap and never waiting for a write: `/metrics` is public
    /// and may be called in a flood.
    fn counts(&self) -> Fut<'_, Counts>;
    /// A trivial query, for `/healthz`.
    fn ping(&self) -> Fut<'_, ()>;
}

/// A device's health from its record and the health columns.
fn device_health(
    d: DeviceRecord,
    health: Option<String>,
    reported_at_ms: Option<i64>,
    clock_skew_ms: Option<i64>,
    quarantined: u64,
) -> Result<DeviceHealth, CentralError> {
    let report = health
        .map(|h| serde_json::from_str(&h))
        .transpose()
        .map_err(|e| CentralError::Corrupt(format!("devices.health: {e}")))?;
    Ok(DeviceHealth {
        device_id: d.device_id,
        tenant_id: d.tenant_id,
        device_code: d.device_code,
        revoked: d.revoked,
        acked_through: d.acked_through,
        quarantined,
        reported_at_ms,
        report,
        clock_skew_ms,
    })
}

/// A kept health report from its columns.
fn health_sample(
    reported_at_ms: i64,
    clock_skew_ms: i64,
    health: &str,
) -> Result<HealthSample, CentralError> {
    Ok(HealthSample {
        reported_at_ms,
        clock_skew_ms,
        report: serde_json::from_str(health)
            .map_err(|e| CentralError::Corrupt(format!("health_history.health: {e}")))?,
    })
}

/// A quarantined event's rejection, as stored (its code in text form).
fn rejection(
    seq: u64,
    id: rustok_domain::ids::EventId,
    code: &str,
    message: String,
) -> Result<rustok_protocol::Rejection, CentralError> {
    let code = serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|e| CentralError::Corrupt(format!("quarantine code: {e}")))?;
    Ok(rustok_protocol::Rejection {
        seq,
        id,
        code,
        message,
    })
}

/// One row of the `sales` table with its store and currency.
pub(crate) struct SaleRow {
    pub(crate) device_id: DeviceId,
    pub(crate) device_code: String,
    pub(crate) currency: String,
    pub(crate) refund: bool,
    pub(crate) amount: i64,
}

/// Per store and currency, ordered by device code then currency: counts and sums
/// taken in i128, each amount clamped to `i64` with `out_of_range` set when it
/// does not fit.
pub(crate) fn sum_sales(rows: Vec<SaleRow>) -> Vec<StoreSales> {
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
