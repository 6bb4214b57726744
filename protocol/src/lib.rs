//! The wire protocol between a device and the central server, shared by both sides:
//! the request and reply types here, request signing in [`signing`], and the framing
//! of a push body in [`push`]. Central depends on this crate, never on the sync
//! client.
//!
//! Versioned: every request body carries [`PROTOCOL_VERSION`]; a server refuses a
//! version it does not speak with `400 unsupported_protocol`. Field names are frozen
//! once shipped (add optional fields only). Events travel as the persisted
//! [`Envelope`], whose own format is frozen by the core.

// Numbers here come from central or the wire: arithmetic is checked.
#![deny(clippy::arithmetic_side_effects)]

use rustok_domain::event::Envelope;
use rustok_domain::ids::{DeviceId, EventId, TenantId};
use serde::{Deserialize, Serialize};

pub mod push;
pub mod signing;

/// The protocol spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;

/// Paths of the central server's endpoints.
pub mod paths {
    /// `POST`: a device redeems an enrolment code (unsigned; the code is the secret).
    pub const ENROL: &str = "/v1/enrol";
    /// `POST`, signed: push a batch of events.
    pub const EVENTS: &str = "/v1/events";
    /// `POST`, signed: report this device's health.
    pub const HEALTH: &str = "/v1/health";
    /// `GET`, signed or admin: a device's last health report (`/v1/devices/{id}/health`).
    pub const DEVICE_HEALTH: &str = "/v1/devices/{device_id}/health";
    /// `GET`, signed or admin: per-store daily sales (`?day=YYYY-MM-DD`, admin adds `&tenant=`).
    pub const DAILY_SALES: &str = "/v1/reports/daily-sales";
    /// `POST`, admin: create a one-time enrolment code for a tenant.
    pub const ADMIN_ENROLMENTS: &str = "/v1/admin/enrolments";
    /// `GET`, signed: the entries of the tenant's feed after a position
    /// (`?after=N&limit=M&wait=S`).
    pub const FEED: &str = "/v1/feed";
    /// `PUT`, admin: create or rename a store of a tenant
    /// (`/v1/admin/tenants/{slug}/stores/{code}`).
    pub const ADMIN_STORE: &str = "/v1/admin/tenants/{slug}/stores/{code}";
    /// `POST`, admin: head office's changes to a tenant's records
    /// (`/v1/admin/tenants/{slug}/changes`).
    pub const ADMIN_CHANGES: &str = "/v1/admin/tenants/{slug}/changes";
    /// `GET`, admin: every record of a kind that central holds for a tenant
    /// (`/v1/admin/tenants/{slug}/records/{kind}`).
    pub const ADMIN_RECORDS: &str = "/v1/admin/tenants/{slug}/records/{kind}";
    /// `GET`, admin: a tenant's stores.
    pub const ADMIN_STORES: &str = "/v1/admin/tenants/{slug}/stores";
    /// `PUT`, signed: a device sends a picture it added, named by its digest; `GET`,
    /// signed: a device fetches one a pulled product names (`/v1/images/{digest}`).
    pub const IMAGE: &str = "/v1/images/{digest}";
    /// `POST`, admin: head office uploads a picture for products
    /// (`/v1/admin/tenants/{slug}/images`).
    pub const ADMIN_IMAGES: &str = "/v1/admin/tenants/{slug}/images";
    /// `GET`, admin: a picture central holds for a tenant
    /// (`/v1/admin/tenants/{slug}/images/{digest}`).
    pub const ADMIN_IMAGE: &str = "/v1/admin/tenants/{slug}/images/{digest}";
    /// `GET`, admin: every device of a tenant with its health and state
    /// (`/v1/admin/tenants/{slug}/devices`).
    pub const ADMIN_DEVICES: &str = "/v1/admin/tenants/{slug}/devices";
    /// `POST`, admin: revoke a device (`/v1/admin/devices/{id}/revoke`).
    pub const ADMIN_REVOKE: &str = "/v1/admin/devices/{device_id}/revoke";
    /// `GET`: liveness and database check.
    pub const HEALTHZ: &str = "/healthz";
    /// `GET`: Prometheus text metrics.
    pub const METRICS: &str = "/metrics";
    /// `GET`: the OpenAPI document.
    pub const OPENAPI: &str = "/openapi.json";
}

/// Events a batch may carry at most; the server answers more with 422.
pub const MAX_BATCH_EVENTS: usize = 1_000;
/// Request bodies the server reads at most; more is refused with 413 unread.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Feed entries one pull returns at most (and by default).
pub const MAX_FEED_ENTRIES: usize = 1_000;
/// Bytes of events one pull returns at most (one entry is returned even when it is
/// larger, so no entry can block the feed).
pub const MAX_FEED_BYTES: usize = 2 * 1024 * 1024;
/// Seconds a pull may wait for the feed to move (`wait=`).
pub const MAX_FEED_WAIT_SECS: u64 = 30;
/// The store every tenant has from the start, and the one a code names by default.
pub const MAIN_STORE: &str = "main";

/// A store (a location) of a tenant. Every device is enrolled into one; stock is
/// per store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// Its code, unique in the tenant: `[a-z0-9][a-z0-9-]{0,31}`.
    pub code: String,
    /// Its name, 1 to 100 characters.
    pub name: String,
    /// Its address as printed on receipts, at most 500 characters.
    #[serde(default)]
    pub address: String,
}

/// What an admin sets of a store (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreFields {
    /// Its name, 1 to 100 characters.
    pub name: String,
    /// Its address as printed on receipts, at most 500 characters.
    #[serde(default)]
    pub address: String,
}

/// Whether `code` is a store code: `[a-z0-9][a-z0-9-]{0,31}`.
pub fn valid_store_code(code: &str) -> bool {
    let b = code.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(ok) && b.len() <= 32 && b.iter().all(|c| ok(c) || *c == b'-')
}

/// One entry of a tenant's feed: an event other devices apply, at its position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Its position in the tenant's feed (increasing, never reused).
    pub position: u64,
    /// The event as its writer sent it.
    pub event: Envelope,
}

/// A page of the feed for one device: the entries after its cursor, without its
/// own events and without stock of other stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    /// In position order.
    pub entries: Vec<FeedEntry>,
    /// The cursor to ask after next time (past every entry this page looked at,
    /// returned or not).
    pub next: u64,
    /// The feed's last position when the page was read; `next == head` means the
    /// device has everything.
    pub head: u64,
    /// Central's clock when it answered, Unix milliseconds (a device compares its
    /// own with it).
    pub central_time_ms: i64,
}

/// Edits one request may carry at most.
pub const MAX_OFFICE_EDITS: usize = 1_000;

/// Head office's changes: each an edit of one record (some of its fields), applied
/// in order, all or none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeChanges {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// At most [`MAX_OFFICE_EDITS`].
    pub changes: Vec<rustok_domain::office::Edit>,
}

/// What head office's changes wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeWritten {
    /// Events written (none when nothing changed).
    pub events: u64,
    /// The tenant id (bound now if no device had bound it).
    pub tenant_id: TenantId,
}

/// A picture head office uploaded, as central stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStored {
    /// The digest a product's `image` field names.
    pub digest: String,
    /// The stored JPEG's size.
    pub bytes: u64,
}

/// A record as central holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its fields that are set.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Who wrote it last.
    pub last: rustok_domain::replica::Stamp,
}

/// An admin asks for an enrolment code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEnrolment {
    /// Slug of the tenant the device will belong to (created at central if new).
    pub tenant_slug: String,
    /// How long the code stays valid (default one day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_for_secs: Option<u64>,
    /// Set to re-enrol this enrolled device (a reinstalled till that kept its id);
    /// a code without it enrols new devices only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<DeviceId>,
    /// The code of the store the device joins ([`MAIN_STORE`] when absent); the
    /// store must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// A one-time enrolment code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The code an operator types into the device.
    pub code: String,
    /// Tenant it is for.
    pub tenant_slug: String,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// The store the device joins.
    #[serde(default = "main_store")]
    pub store: String,
}

fn main_store() -> String {
    MAIN_STORE.to_owned()
}

/// A device redeems a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The enrolment code.
    pub code: String,
    /// The device's own id (its events carry it).
    pub device_id: DeviceId,
    /// The device's tenant id. The first device of a tenant binds the central tenant
    /// to it; later devices must carry the same id. Absent: the till joins the
    /// code's tenant (which must have an id: a till's own shop or head office's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    /// Order-number prefix, shown in reports.
    pub device_code: String,
    /// App version, for device health.
    pub app_version: String,
}

/// What the device keeps after enrolling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The device id the server registered.
    pub device_id: DeviceId,
    /// The tenant the device may push to.
    pub tenant_id: TenantId,
    /// Tenant slug at central.
    pub tenant_slug: String,
    /// HMAC key for request signing, hex.
    pub secret: String,
    /// Highest contiguous seq central already holds for this device (0 when new).
    pub acked_through: u64,
    /// The store the device belongs to (absent from centrals before stores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<Store>,
}

/// A batch of events, in seq order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Consecutive events of the signing device.
    pub events: Vec<Envelope>,
}

/// The server's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every event of the device up to here is held (stored or quarantined).
    pub acked_through: u64,
    /// Set when the batch did not continue at `acked_through + 1`: the seq to send next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    /// Events of this batch that central quarantined instead of storing, reported
    /// again whenever they are resent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
}

/// One event central would not accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Its seq.
    pub seq: u64,
    /// Its id.
    pub id: EventId,
    /// Machine-readable reason.
    pub code: RejectCode,
    /// Human-readable reason.
    pub message: String,
}

/// Why an event was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// Central does not know the event type.
    UnknownType,
    /// The payload is newer than central understands.
    UnknownVersion,
    /// The payload does not match its type.
    Malformed,
    /// The payload breaks a rule.
    Invalid,
    /// Central already holds a different event at this seq.
    SeqConflict,
}

impl RejectCode {
    /// The stable text form.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectCode::UnknownType => "unknown_type",
            RejectCode::UnknownVersion => "unknown_version",
            RejectCode::Malformed => "malformed",
            RejectCode::Invalid => "invalid",
            RejectCode::SeqConflict => "seq_conflict",
        }
    }
}

/// A device's health report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// App version.
    pub app_version: String,
    /// Device database schema version.
    pub schema_version: u32,
    /// Events not yet acknowledged.
    pub queue_depth: u64,
    /// Age of the oldest unacknowledged event, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_pending_secs: Option<u64>,
    /// Circuit breaker state as text (`closed`, `open`, `half_open`).
    pub breaker: String,
    /// The device's wall clock, Unix milliseconds, for the skew.
    pub device_time_ms: i64,
    /// What the device serves as; absent from devices that do not say (older apps,
    /// the headless `sync` command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<DeviceKind>,
}

/// What a device serves as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A till at the counter.
    Till,
    /// A self-service kiosk.
    Kiosk,
}

/// A device's last health report as central sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// Device.
    pub device_id: DeviceId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Order-number prefix.
    pub device_code: String,
    /// Revoked devices can no longer sign.
    pub revoked: bool,
    /// Highest contiguous seq held.
    pub acked_through: u64,
    /// Events quarantined for it.
    pub quarantined: u64,
    /// Unix milliseconds of the last report, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at_ms: Option<i64>,
    /// The last report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<HealthReport>,
    /// Device clock minus central clock at the last report, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_ms: Option<i64>,
}

/// How a device is doing, as head office sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Reporting, nothing wrong.
    Healthy,
    /// Reporting, with something to look at (see the reasons).
    Warning,
    /// Not heard from lately (offline, switched off, or never reported).
    Stale,
    /// Revoked: it can no longer sign.
    Revoked,
}

/// How far a device's clock may be from central's before it is said to be off
/// (DESIGN §7: two minutes): the till tells its operator, head office sees it.
pub const CLOCK_OFF_MS: i64 = 2 * 60 * 1000;

/// What makes a device not healthy, one code each (the console words them).
pub mod device_reasons {
    /// Revoked by an admin.
    pub const REVOKED: &str = "revoked";
    /// Enrolled, but no health report has come yet.
    pub const NEVER_REPORTED: &str = "never_reported";
    /// The last health report is older than the stale threshold.
    pub const SILENT: &str = "silent";
    /// Events central quarantined (dead letters on the device).
    pub const DEAD_LETTERS: &str = "dead_letters";
    /// Its oldest unsent event waits longer than the queue threshold.
    pub const QUEUE_OLD: &str = "queue_old";
    /// Its circuit breaker is not closed.
    pub const BREAKER: &str = "breaker";
    /// Its clock is more than two minutes from central's.
    pub const CLOCK: &str = "clock";
}

/// One device of a tenant's fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetDevice {
    /// The code of its store.
    pub store: String,
    /// Its state.
    pub state: DeviceState,
    /// Why it is not healthy ([`device_reasons`]); empty when healthy.
    pub reasons: Vec<String>,
    /// Its last health report as central sees it.
    pub health: DeviceHealth,
}

/// Every device of a tenant (head office's own writer not counted), by store and
/// till code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fleet {
    /// Central's clock when it answered, Unix milliseconds (the states are as of it).
    pub checked_at_ms: i64,
    /// The devices.
    pub devices: Vec<FleetDevice>,
}

/// Sales of one store (device) on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSales {
    /// Device.
    pub device_id: DeviceId,
    /// Its order-number prefix.
    pub device_code: String,
    /// ISO 4217 currency of the amounts.
    pub currency: String,
    /// Orders paid.
    pub orders: u64,
    /// Sum paid, minor units.
    pub paid: i64,
    /// Refunds given.
    pub refunds: u64,
    /// Sum refunded, minor units.
    pub refunded: i64,
    /// Set when a sum did not fit the amount fields; they then hold the largest
    /// amount they can. Each event's amounts are bounded, so this takes thousands
    /// of absurd sales in one day; the report says so instead of failing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_range: bool,
}

/// The daily sales report of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySales {
    /// Tenant.
    pub tenant_id: TenantId,
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// One row per store with activity that day.
    pub stores: Vec<StoreSales>,
}

/// Every error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine-readable code (`bad_signature`, `rate_limited`, …).
    pub code: String,
    /// Human-readable text.
    pub message: String,
}
