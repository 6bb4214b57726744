//! Domain events and their envelope (DESIGN §4).
//!
//! Persisted and on the wire: changing a payload's meaning bumps its schema version
//! and adds an upcaster ([`crate::upcast`]); a JSON fixture of every
//! `(type, version)` ever shipped lives in `core/tests/fixtures/events/`.

use crate::cash::CashMoveKind;
use crate::category::CategoryFields;
use crate::clock::Timestamp;
use crate::content::ContentFields;
use crate::device::DeviceCode;
use crate::error::Errors;
use crate::hlc::Hlc;
use crate::ids::{
    CashSessionId, CategoryId, ContentId, CorrelationId, DeviceId, EventId, MovementId, OperatorId,
    OrderId, ParkedSaleId, ProductId, TenantId, TicketId,
};
use crate::money::{self, Currency, Money};
use crate::operator::OperatorName;
use crate::order::{Amounts, Customer, OrderLine, OrderNumber, ParkedBasket, TrackingNumber};
use crate::payment::{Payment, Refund};
use crate::permission::Role;
use crate::product::{ProductFields, ProductStatus};
use crate::stock::{MovementKind, Quantity};
use crate::tenant::{TaxMode, TenantSettings, TenantSlug};
use crate::text::{Note, Reason};
use crate::ticket::Ticket;
use crate::upcast::{UpcastError, Upcasters};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

/// Version of the envelope layout itself.
pub const ENVELOPE_VERSION: u32 = 1;

/// Where an event was first written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// On this or another device.
    Device,
    /// On the central server (pulled changes).
    Central,
}

impl Origin {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Origin::Device => "device",
            Origin::Central => "central",
        }
    }

    /// Inverse of [`Origin::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s {
            "device" => Ok(Origin::Device),
            "central" => Ok(Origin::Central),
            _ => Err(FieldError::new(
                "origin",
                "invalid_origin",
                "must be device or central",
            )),
        }
    }
}

/// The persisted and wire form of an event. The payload stays raw JSON so that an
/// event of an unknown type or a newer version can still be stored and forwarded.
///
/// Persisted (events table) and sent to the central server: field names are frozen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// UUIDv7, unique forever.
    pub id: EventId,
    /// Event type name, e.g. `OrderPaid`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of this type's payload.
    pub schema_version: u32,
    /// Shop.
    pub tenant_id: TenantId,
    /// Device that wrote it.
    pub device_id: DeviceId,
    /// Per device, gapless from 1.
    pub seq: u64,
    /// Hybrid logical clock.
    pub hlc: Hlc,
    /// Wall time on the writing device.
    pub occurred_at: Timestamp,
    /// Operator who caused it, if any.
    pub actor_id: Option<OperatorId>,
    /// Shared by all events of one user intent.
    pub correlation_id: CorrelationId,
    /// The event that caused this one, if any.
    pub causation_id: Option<EventId>,
    /// Device or central.
    pub origin: Origin,
    /// The payload.
    pub data: Box<RawValue>,
}

impl PartialEq for Envelope {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id
            && self.event_type == o.event_type
            && self.schema_version == o.schema_version
            && self.tenant_id == o.tenant_id
            && self.device_id == o.device_id
            && self.seq == o.seq
            && self.hlc == o.hlc
            && self.occurred_at == o.occurred_at
            && self.actor_id == o.actor_id
            && self.correlation_id == o.correlation_id
            && self.causation_id == o.causation_id
            && self.origin == o.origin
            && self.data.get() == o.data.get()
    }
}

impl Envelope {
    /// Decodes the payload into the current version of its type.
    pub fn decode(&self, upcasters: &Upcasters) -> Result<DomainEvent, EventDecodeError> {
        DomainEvent::decode(
            &self.event_type,
            self.schema_version,
            self.data.get(),
            upcasters,
        )
    }
}

/// Why a stored or received payload could not become a [`DomainEvent`].
#[derive(Debug, thiserror::Error)]
pub enum EventDecodeError {
    /// No such event type in this version of the app.
    #[error("unknown event type '{0}'")]
    UnknownType(String),
    /// The payload is newer than this app understands.
    #[error("{event_type} v{found} is newer than the supported v{supported}; upgrade the app")]
    UnknownSchemaVersion {
        /// Type.
        event_type: &'static str,
        /// Version found.
        found: u32,
        /// Newest version this app reads.
        supported: u32,
    },
    /// An upcaster is missing or refused the payload.
    #[error("cannot upcast {event_type} from v{from}: {source}")]
    Upcast {
        /// Type.
        event_type: &'static str,
        /// Version the failing step starts from.
        from: u32,
        /// Cause.
        #[source]
        source: UpcastError,
    },
    /// The JSON does not match the payload's shape.
    #[error("malformed {event_type} payload: {source}")]
    Malformed {
        /// Type.
        event_type: &'static str,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// The payload is well-formed but breaks a rule.
    #[error("invalid {event_type} payload: {source}")]
    Invalid {
        /// Type.
        event_type: &'static str,
        /// The rules broken.
        #[source]
        source: DomainError,
    },
}

/// Kind of aggregate an event is about (its table on the device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    /// `tenants`.
    Tenant,
    /// `device`.
    Device,
    /// `operators`.
    Operator,
    /// `products`.
    Product,
    /// `orders`.
    Order,
    /// `cash_sessions`.
    CashSession,
    /// `content_nodes`.
    Content,
    /// `categories`.
    Category,
}

macro_rules! events {
    ($($(#[$doc:meta])* $name:ident = $ver:literal),* $(,)?) => {
        /// Every event the domain emits, at its current payload version.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum DomainEvent {
            $($(#[$doc])* $name($name),)*
        }

        /// The names of the event types.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($(#[$doc])* $name,)*
        }

        impl EventType {
            /// Every event type.
            pub const ALL: &'static [EventType] = &[$(EventType::$name,)*];

            /// The type name used in envelopes.
            pub const fn as_str(self) -> &'static str {
                match self { $(EventType::$name => stringify!($name),)* }
            }

            /// Looks up a type name.
            pub fn parse(s: &str) -> Option<EventType> {
                match s { $(stringify!($name) => Some(EventType::$name),)* _ => None }
            }

            /// The payload version this app writes.
            pub const fn current_version(self) -> u32 {
                match self { $(EventType::$name => $ver,)* }
            }
        }

        impl DomainEvent {
            /// Its type.
            pub const fn event_type(&self) -> EventType {
                match self { $(DomainEvent::$name(_) => EventType::$name,)* }
            }

            /// The payload as JSON.
            pub fn payload_json(&self) -> Result<String, serde_json::Error> {
                match self { $(DomainEvent::$name(p) => serde_json::to_string(p),)* }
            }

            /// The payload as a raw JSON value (serialised once, not re-parsed).
            pub fn payload_raw(&self) -> Result<Box<RawValue>, serde_json::Error> {
                match self { $(DomainEvent::$name(p) => serde_json::value::to_raw_value(p),)* }
            }

            fn from_current_json(t: EventType, json: &str) -> Result<DomainEvent, serde_json::Error> {
                Ok(match t { $(EventType::$name => DomainEvent::$name(serde_json::from_str(json)?),)* })
            }

            fn from_current_value(t: EventType, v: serde_json::Value) -> Result<DomainEvent, serde_json::Error> {
                Ok(match t { $(EventType::$name => DomainEvent::$name(serde_json::from_value(v)?),)* })
            }
        }

        $(impl From<$name> for DomainEvent {
            fn from(p: $name) -> DomainEvent { DomainEvent::$name(p) }
        })*
    };
}

events! {
    /// A shop was set up on this device.
    TenantCreated = 1,
    /// Shop settings changed.
    TenantSettingsChanged = 1,
    /// This device got its identity.
    DeviceRegistered = 1,
    /// An operator was added.
    OperatorCreated = 1,
    /// An operator's role changed.
    OperatorRoleChanged = 1,
    /// An operator was deactivated.
    OperatorDeactivated = 1,
    /// An operator's PIN was replaced.
    OperatorPinReset = 1,
    /// An operator logged in.
    OperatorLoggedIn = 1,
    /// A wrong PIN was entered (and maybe locked the operator).
    OperatorPinRejected = 1,
    /// A product was added.
    ProductCreated = 1,
    /// A product's fields changed.
    ProductUpdated = 1,
    /// A product was activated or archived.
    ProductStatusChanged = 1,
    /// Stock moved.
    StockMoved = 1,
    /// An order was started.
    OrderCreated = 1,
    /// An order was confirmed.
    OrderConfirmed = 1,
    /// An order was paid.
    OrderPaid = 1,
    /// An order was shipped.
    OrderShipped = 1,
    /// An order reached the customer.
    OrderDelivered = 1,
    /// An order was cancelled.
    OrderCancelled = 1,
    /// Lines of an order were refunded (schema 2: per line and tender; schema 1 was
    /// one amount for the whole order).
    OrderRefunded = 2,
    /// A cash session was opened.
    CashSessionOpened = 1,
    /// Cash was put in or taken out.
    CashMoved = 1,
    /// A cash session was closed.
    CashSessionClosed = 1,
    /// A content node was added.
    ContentCreated = 1,
    /// A content node changed.
    ContentUpdated = 1,
    /// A content node was published.
    ContentPublished = 1,
    /// A content node was archived.
    ContentArchived = 1,
    /// A manager discarded an event a handler (e.g. sync) had given up on.
    DeadLetterDiscarded = 1,
    /// A cart was put aside at the till, to be taken up again on this device.
    SaleParked = 1,
    /// A parked cart was taken up again (it is no longer parked).
    ParkedSaleResumed = 1,
    /// A kiosk gave a customer a ticket to pay at the counter.
    TicketIssued = 2,
    /// A catalog category was added.
    CategoryCreated = 1,
    /// A catalog category changed (names, position, parent).
    CategoryUpdated = 1,
    /// This device applied a page of its tenant's feed (what other devices and head
    /// office changed): the read side refreshes what it touched.
    FeedApplied = 1,
}

/// Which devices of a tenant apply an event pulled from central's feed (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Only the device that wrote it (sales, shifts, tickets, logins): never in the feed.
    Device,
    /// Every other device of the tenant: catalog, categories, content, operators and
    /// settings are tenant-wide.
    Tenant,
    /// The other devices of the writer's store: stock is per store.
    Store,
}

impl EventType {
    /// Which devices apply an event of this type besides the one that wrote it. A new
    /// type must be placed here (the match has no catch-all).
    pub const fn reach(self) -> Reach {
        use EventType as T;
        match self {
            T::TenantCreated
            | T::TenantSettingsChanged
            | T::OperatorCreated
            | T::OperatorRoleChanged
            | T::OperatorDeactivated
            | T::OperatorPinReset
            | T::ProductCreated
            | T::ProductUpdated
            | T::ProductStatusChanged
            | T::ContentCreated
            | T::ContentUpdated
            | T::ContentPublished
            | T::ContentArchived
            | T::CategoryCreated
            | T::CategoryUpdated => Reach::Tenant,
            T::StockMoved => Reach::Store,
            T::DeviceRegistered
            | T::OperatorLoggedIn
            | T::OperatorPinRejected
            | T::OrderCreated
            | T::OrderConfirmed
            | T::OrderPaid
            | T::OrderShipped
            | T::OrderDelivered
            | T::OrderCancelled
            | T::OrderRefunded
            | T::CashSessionOpened
            | T::CashMoved
            | T::CashSessionClosed
            | T::DeadLetterDiscarded
            | T::SaleParked
            | T::ParkedSaleResumed
            | T::TicketIssued
            | T::FeedApplied => Reach::Device,
        }
    }
}

/// Payload of [`DomainEvent::TenantCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantCreated {
    /// Shop.
    pub tenant_id: TenantId,
    /// Slug.
    pub slug: TenantSlug,
    /// Settings.
    pub settings: TenantSettings,
}

/// Payload of [`DomainEvent::TenantSettingsChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettingsChanged {
    /// Shop.
    pub tenant_id: TenantId,
    /// New settings.
    pub settings: TenantSettings,
    /// The fields this edit set, by name; absent: all of them (events written
    /// before per-field merging). Another replica takes only these (DESIGN §7);
    /// names this version does not know are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

/// Payload of [`DomainEvent::DeviceRegistered`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegistered {
    /// Device.
    pub device_id: DeviceId,
    /// Order-number prefix.
    pub device_code: DeviceCode,
}

/// Payload of [`DomainEvent::OperatorCreated`]. It carries the PIN's argon2 hash
/// (never the PIN), so the operator can log in on every device of the tenant;
/// events written before operators were shared have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorCreated {
    /// Operator.
    pub operator_id: OperatorId,
    /// Name.
    pub name: OperatorName,
    /// Role.
    pub role: Role,
    /// The PIN's argon2 hash in PHC form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
}

/// Payload of [`DomainEvent::OperatorPinReset`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorPinReset {
    /// Operator.
    pub operator_id: OperatorId,
    /// The new PIN's argon2 hash in PHC form (absent from events written before
    /// operators were shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
}

/// Longest PIN hash an event may carry.
pub const MAX_PIN_HASH: usize = 256;

/// Payload of [`DomainEvent::OperatorRoleChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRoleChanged {
    /// Operator.
    pub operator_id: OperatorId,
    /// Old role.
    pub from: Role,
    /// New role.
    pub to: Role,
}

macro_rules! ref_payloads {
    ($($name:ident { $field:ident: $ty:ty }),* $(,)?) => {$(
        #[doc = concat!("Payload of [`DomainEvent::", stringify!($name), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// The entity the event is about.
            pub $field: $ty,
        }
    )*};
}

ref_payloads! {
    OperatorDeactivated { operator_id: OperatorId },
    OperatorLoggedIn { operator_id: OperatorId },
    OrderConfirmed { order_id: OrderId },
}

/// Payload of [`DomainEvent::OperatorPinRejected`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorPinRejected {
    /// Operator.
    pub operator_id: OperatorId,
    /// Wrong PINs in a row after this one (0 once locked).
    pub wrong_in_row: u32,
    /// Set when this attempt locked the operator.
    pub locked_until: Option<Timestamp>,
}

/// Payload of [`DomainEvent::ProductCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCreated {
    /// Product.
    pub product_id: ProductId,
    /// Fields.
    #[serde(flatten)]
    pub fields: ProductFields,
    /// Initial status.
    pub status: ProductStatus,
}

/// Payload of [`DomainEvent::ProductUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductUpdated {
    /// Product.
    pub product_id: ProductId,
    /// Version after the edit.
    pub version: u32,
    /// New fields.
    #[serde(flatten)]
    pub fields: ProductFields,
    /// The fields this edit set, by name; absent: all of them (events written
    /// before per-field merging). Another replica takes only these (DESIGN §7);
    /// names this version does not know are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

/// Payload of [`DomainEvent::ProductStatusChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductStatusChanged {
    /// Product.
    pub product_id: ProductId,
    /// Version after the change.
    pub version: u32,
    /// Old status.
    pub from: ProductStatus,
    /// New status.
    pub to: ProductStatus,
}

/// Payload of [`DomainEvent::StockMoved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMoved {
    /// Movement.
    pub movement_id: MovementId,
    /// Product.
    pub product_id: ProductId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed change of stock on hand.
    pub delta: i64,
    /// Stock on hand on this device after the movement.
    pub on_hand_after: i64,
    /// Why (adjustments, notes on receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Order, for sales and returns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
}

/// Payload of [`DomainEvent::OrderCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// Order.
    pub order_id: OrderId,
    /// Number.
    pub number: OrderNumber,
    /// Currency.
    pub currency: Currency,
    /// How the lines were priced.
    pub tax_mode: TaxMode,
    /// Lines with product snapshots.
    pub lines: Vec<OrderLine>,
    /// Sum of the lines.
    pub totals: Amounts,
    /// Customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Note>,
    /// The manager who approved a discount above the shop's limit for the
    /// operator's role (absent when none was needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_approved_by: Option<OperatorId>,
    /// The kiosk ticket the sale was made from (absent for every other sale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<TicketId>,
}

/// Payload of [`DomainEvent::OrderPaid`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPaid {
    /// Order.
    pub order_id: OrderId,
    /// Payments.
    pub payments: Vec<Payment>,
    /// Cash session the payment went through.
    pub cash_session_id: CashSessionId,
    /// Lines (positions from 0) sold beyond the stock on hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oversold: Vec<u32>,
    /// The manager who approved selling them, when the shop does not allow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversell_approved_by: Option<OperatorId>,
}

/// Payload of [`DomainEvent::OrderShipped`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipped {
    /// Order.
    pub order_id: OrderId,
    /// Tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<TrackingNumber>,
}

/// Payload of [`DomainEvent::OrderDelivered`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDelivered {
    /// Order.
    pub order_id: OrderId,
    /// True when handed over at the counter rather than shipped.
    pub handed_over: bool,
}

/// Payload of [`DomainEvent::OrderCancelled`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// Order.
    pub order_id: OrderId,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// Payload of [`DomainEvent::OrderRefunded`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRefunded {
    /// Order.
    pub order_id: OrderId,
    /// The refund.
    pub refund: Refund,
    /// Cash session, when cash went back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_session_id: Option<CashSessionId>,
    /// Whether every unit of every line is now refunded (the order is `Refunded`,
    /// else `PartiallyRefunded`).
    pub complete: bool,
}

/// A refund's own rules: no negative money, the tenders add up to the amount, and
/// (per line) the tax is within the amount and at least a unit is given back.
fn validate_refund(e: &mut Errors, r: &Refund) {
    amount(e, "refund.amount", r.amount);
    e.check(
        r.amount < 0,
        "refund.amount",
        "negative",
        "must not be negative",
    );
    let mut paid: Option<i64> = Some(0);
    for (i, p) in r.payments.iter().enumerate() {
        let field = format!("refund.payments[{i}].amount");
        e.check(
            p.amount <= 0,
            &field,
            "not_positive",
            "must be more than zero",
        );
        amount(e, &field, p.amount);
        paid = paid.and_then(|s| s.checked_add(p.amount));
    }
    e.check(
        paid != Some(r.amount),
        "refund.payments",
        "sum_mismatch",
        "the tenders do not add up to the refund",
    );
    if let crate::payment::RefundedItems::Lines(lines) = &r.items {
        e.check(
            lines.is_empty(),
            "refund.items",
            "required",
            "a refund gives back at least one line",
        );
        let mut sum: Option<i64> = Some(0);
        for (i, l) in lines.iter().enumerate() {
            let field = format!("refund.items[{i}]");
            e.check(
                l.amount < 0 || l.tax < 0 || l.tax > l.amount,
                &field,
                "out_of_range",
                "amount and tax must not be negative, tax at most the amount",
            );
            sum = sum.and_then(|s| s.checked_add(l.amount));
        }
        e.check(
            sum != Some(r.amount),
            "refund.amount",
            "sum_mismatch",
            "the lines do not add up to the refund",
        );
    }
}

/// Payload of [`DomainEvent::CashSessionOpened`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSessionOpened {
    /// Session.
    pub session_id: CashSessionId,
    /// Float.
    pub float: Money,
}

/// Payload of [`DomainEvent::CashMoved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashMoved {
    /// Session.
    pub session_id: CashSessionId,
    /// In or out.
    pub kind: CashMoveKind,
    /// How much.
    pub amount: Money,
    /// Why.
    pub reason: Reason,
}

/// Payload of [`DomainEvent::CashSessionClosed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSessionClosed {
    /// Session.
    pub session_id: CashSessionId,
    /// Cash counted.
    pub counted: Money,
    /// Cash expected.
    pub expected: Money,
    /// `counted − expected`.
    pub difference: Money,
    /// Events not yet acknowledged by central at closing.
    pub unsynced_events: u64,
    /// The manager who approved a difference above the shop's limit. Absent from
    /// closings recorded before approvals existed, and when none was needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<OperatorId>,
}

/// Payload of [`DomainEvent::ContentCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentCreated {
    /// Node.
    pub content_id: ContentId,
    /// Fields.
    #[serde(flatten)]
    pub fields: ContentFields,
}

/// Payload of [`DomainEvent::ContentUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentUpdated {
    /// Node.
    pub content_id: ContentId,
    /// Version after the edit.
    pub version: u32,
    /// New fields.
    #[serde(flatten)]
    pub fields: ContentFields,
    /// The fields this edit set, by name; absent: all of them (events written
    /// before per-field merging). Another replica takes only these (DESIGN §7);
    /// names this version does not know are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

/// Payload of [`DomainEvent::ContentPublished`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentPublished {
    /// Node.
    pub content_id: ContentId,
    /// When.
    pub published_at: Timestamp,
}

/// Payload of [`DomainEvent::ContentArchived`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentArchived {
    /// Node.
    pub content_id: ContentId,
}

/// Payload of [`DomainEvent::DeadLetterDiscarded`]: the record that an event will
/// not be retried (for `sync`: it never reaches central), and why it had failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterDiscarded {
    /// This device.
    pub device_id: DeviceId,
    /// The handler that gave up, e.g. `sync`.
    pub handler: String,
    /// Outbox seq of the discarded event.
    pub seq: u64,
    /// Its id.
    pub event_id: EventId,
    /// Its type name, as in its envelope.
    pub event_type: String,
    /// The handler's last error.
    pub error: String,
    /// Attempts the handler made.
    pub attempts: u32,
}

/// Payload of [`DomainEvent::SaleParked`]. The device holds its parked carts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleParked {
    /// This device.
    pub device_id: DeviceId,
    /// The parked sale.
    pub parked_sale_id: ParkedSaleId,
    /// The cart (prices are taken when it is taken up again).
    pub basket: ParkedBasket,
}

/// Payload of [`DomainEvent::ParkedSaleResumed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedSaleResumed {
    /// This device.
    pub device_id: DeviceId,
    /// The parked sale taken up again.
    pub parked_sale_id: ParkedSaleId,
}

/// Payload of [`DomainEvent::TicketIssued`]: what a customer chose at this kiosk,
/// at the prices shown. Not an order: the counter that scans the ticket sells it,
/// and its `OrderCreated` names the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketIssued {
    /// This kiosk.
    pub device_id: DeviceId,
    /// The ticket, as its code carries it (with the number the customer was shown).
    pub ticket: Ticket,
}

/// Payload of [`DomainEvent::CategoryCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCreated {
    /// Category.
    pub category_id: CategoryId,
    /// Fields.
    #[serde(flatten)]
    pub fields: CategoryFields,
}

/// Payload of [`DomainEvent::CategoryUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryUpdated {
    /// Category.
    pub category_id: CategoryId,
    /// Version after the edit.
    pub version: u32,
    /// New fields.
    #[serde(flatten)]
    pub fields: CategoryFields,
    /// The fields this edit set, by name; absent: all of them (events written
    /// before per-field merging). Another replica takes only these (DESIGN §7);
    /// names this version does not know are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

/// Payload of [`DomainEvent::FeedApplied`]: feed entries after `from` up to `to`
/// were applied (or set aside) in this event's transaction. What they changed is
/// kept beside it on the device (`pulled`), for the read side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedApplied {
    /// This device.
    pub device_id: DeviceId,
    /// The feed position before the page.
    pub from: u64,
    /// The feed position after it.
    pub to: u64,
    /// Entries applied.
    pub applied: u32,
    /// Entries set aside as dead letters (a newer type, a missing reference).
    pub set_aside: u32,
}

/// Longest handler name in a [`DeadLetterDiscarded`].
pub const MAX_HANDLER_NAME: usize = 64;
/// Longest error text kept in a [`DeadLetterDiscarded`].
pub const MAX_DEAD_LETTER_ERROR: usize = 2_000;

fn positive_money(e: &mut Errors, field: &str, m: &Money) {
    e.check(
        m.minor <= 0,
        field,
        "not_positive",
        "must be more than zero",
    );
    amount(e, field, m.minor);
}

fn non_negative_money(e: &mut Errors, field: &str, m: &Money) {
    e.check(m.minor < 0, field, "negative", "must not be negative");
    amount(e, field, m.minor);
}

/// Refuses an amount no shop can hold (see [`money::MAX_MINOR`]).
fn amount(e: &mut Errors, field: &str, minor: i64) {
    e.check(
        !money::in_range(minor),
        field,
        "out_of_range",
        "is larger than any amount a shop can hold",
    );
}

/// The sum of the payments, if it is an amount a shop can hold.
pub fn payments_total(payments: &[Payment]) -> Option<i64> {
    payments
        .iter()
        .try_fold(0i64, |sum, p| sum.checked_add(p.amount))
        .filter(|s| money::in_range(*s))
}

impl DomainEvent {
    /// The aggregate the event is about, and its id (the events table indexes it).
    pub fn aggregate(&self) -> (Aggregate, Uuid) {
        use DomainEvent as E;
        match self {
            E::TenantCreated(p) => (Aggregate::Tenant, p.tenant_id.as_uuid()),
            E::TenantSettingsChanged(p) => (Aggregate::Tenant, p.tenant_id.as_uuid()),
            E::DeviceRegistered(p) => (Aggregate::Device, p.device_id.as_uuid()),
            E::OperatorCreated(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::OperatorRoleChanged(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::OperatorDeactivated(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::OperatorPinReset(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::OperatorLoggedIn(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::OperatorPinRejected(p) => (Aggregate::Operator, p.operator_id.as_uuid()),
            E::ProductCreated(p) => (Aggregate::Product, p.product_id.as_uuid()),
            E::ProductUpdated(p) => (Aggregate::Product, p.product_id.as_uuid()),
            E::ProductStatusChanged(p) => (Aggregate::Product, p.product_id.as_uuid()),
            E::StockMoved(p) => (Aggregate::Product, p.product_id.as_uuid()),
            E::OrderCreated(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderConfirmed(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderPaid(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderShipped(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderDelivered(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderCancelled(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::OrderRefunded(p) => (Aggregate::Order, p.order_id.as_uuid()),
            E::CashSessionOpened(p) => (Aggregate::CashSession, p.session_id.as_uuid()),
            E::CashMoved(p) => (Aggregate::CashSession, p.session_id.as_uuid()),
            E::CashSessionClosed(p) => (Aggregate::CashSession, p.session_id.as_uuid()),
            E::ContentCreated(p) => (Aggregate::Content, p.content_id.as_uuid()),
            E::ContentUpdated(p) => (Aggregate::Content, p.content_id.as_uuid()),
            E::ContentPublished(p) => (Aggregate::Content, p.content_id.as_uuid()),
            E::ContentArchived(p) => (Aggregate::Content, p.content_id.as_uuid()),
            E::DeadLetterDiscarded(p) => (Aggregate::Device, p.device_id.as_uuid()),
            E::SaleParked(p) => (Aggregate::Device, p.device_id.as_uuid()),
            E::ParkedSaleResumed(p) => (Aggregate::Device, p.device_id.as_uuid()),
            E::TicketIssued(p) => (Aggregate::Device, p.device_id.as_uuid()),
            E::CategoryCreated(p) => (Aggregate::Category, p.category_id.as_uuid()),
            E::CategoryUpdated(p) => (Aggregate::Category, p.category_id.as_uuid()),
            E::FeedApplied(p) => (Aggregate::Device, p.device_id.as_uuid()),
        }
    }

    /// The id stored with the event in the device log (`events.aggregate_id`): its
    /// aggregate, except that stock leaving or returning through an order is filed
    /// with the order, whose history shows the goods moving.
    pub fn history_key(&self) -> Uuid {
        self.history_order()
            .map_or(self.aggregate().1, |o| o.as_uuid())
    }

    /// The order whose history lists this event: an order's own events and the
    /// stock it moved.
    pub fn history_order(&self) -> Option<OrderId> {
        match self {
            DomainEvent::StockMoved(StockMoved { order_id, .. }) => *order_id,
            _ => match self.aggregate() {
                (Aggregate::Order, id) => Some(OrderId::from_uuid(id)),
                _ => None,
            },
        }
    }

    /// Everything the event refers to that must exist when it is appended: its
    /// aggregate first, then any other entity it names.
    pub fn references(&self) -> Vec<(Aggregate, Uuid)> {
        let mut refs = vec![self.aggregate()];
        let category = |c: &Option<CategoryId>| c.map(|c| (Aggregate::Category, c.as_uuid()));
        match self {
            DomainEvent::ProductCreated(p) => refs.extend(category(&p.fields.category)),
            DomainEvent::ProductUpdated(p) => refs.extend(category(&p.fields.category)),
            DomainEvent::CategoryCreated(p) => refs.extend(category(&p.fields.parent)),
            DomainEvent::CategoryUpdated(p) => refs.extend(category(&p.fields.parent)),
            DomainEvent::StockMoved(StockMoved {
                order_id: Some(o), ..
            }) => {
                refs.push((Aggregate::Order, o.as_uuid()));
            }
            DomainEvent::OrderCreated(p) => {
                refs.extend(
                    p.lines
                        .iter()
                        .map(|l| (Aggregate::Product, l.product_id.as_uuid())),
                );
            }
            DomainEvent::OrderPaid(p) => {
                refs.push((Aggregate::CashSession, p.cash_session_id.as_uuid()))
            }
            DomainEvent::OrderRefunded(OrderRefunded {
                cash_session_id: Some(s),
                ..
            }) => {
                refs.push((Aggregate::CashSession, s.as_uuid()));
            }
            _ => {}
        }
        refs
    }

    /// Checks the payload's own rules (lengths and formats are already guaranteed by
    /// its types): non-negative money, consistent sums, movement signs.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut e = Errors::new();
        match self {
            DomainEvent::ProductCreated(p) => p.fields.validate()?,
            DomainEvent::ProductUpdated(p) => p.fields.validate()?,
            DomainEvent::ContentCreated(p) => p.fields.validate()?,
            DomainEvent::ContentUpdated(p) => p.fields.validate()?,
            DomainEvent::CategoryCreated(p) => p.fields.validate(Some(p.category_id))?,
            DomainEvent::CategoryUpdated(p) => p.fields.validate(Some(p.category_id))?,
            DomainEvent::StockMoved(p) => {
                e.check(
                    !p.kind.accepts(p.delta),
                    "delta",
                    "wrong_sign",
                    "sign does not fit the movement kind",
                );
                e.check(
                    p.delta.unsigned_abs() > Quantity::MAX.unsigned_abs(),
                    "delta",
                    "out_of_range",
                    "moves more stock than one movement can",
                );
                amount(&mut e, "on_hand_after", p.on_hand_after);
            }
            DomainEvent::OrderCreated(p) => validate_order_created(&mut e, p),
            DomainEvent::OrderPaid(p) => {
                for (i, pay) in p.payments.iter().enumerate() {
                    e.check(
                        pay.amount <= 0,
                        &format!("payments[{i}].amount"),
                        "not_positive",
                        "must be more than zero",
                    );
                    amount(&mut e, &format!("payments[{i}].amount"), pay.amount);
                    e.check(
                        pay.change.is_some_and(|c| c < 0),
                        &format!("payments[{i}].change"),
                        "negative",
                        "must not be negative",
                    );
                    for (name, v) in [("tendered", pay.tendered), ("change", pay.change)] {
                        if let Some(v) = v {
                            amount(&mut e, &format!("payments[{i}].{name}"), v);
                        }
                    }
                }
                e.check(
                    payments_total(&p.payments).is_none(),
                    "payments",
                    "out_of_range",
                    "the payments add up to more than any amount a shop can hold",
                );
            }
            DomainEvent::OrderRefunded(p) => validate_refund(&mut e, &p.refund),
            DomainEvent::TenantCreated(p) => p.settings.validate()?,
            DomainEvent::TenantSettingsChanged(p) => p.settings.validate()?,
            DomainEvent::CashSessionOpened(p) => non_negative_money(&mut e, "float", &p.float),
            DomainEvent::CashMoved(p) => positive_money(&mut e, "amount", &p.amount),
            DomainEvent::CashSessionClosed(p) => {
                non_negative_money(&mut e, "counted", &p.counted);
                amount(&mut e, "expected", p.expected.minor);
                amount(&mut e, "difference", p.difference.minor);
                e.check(
                    p.counted.checked_sub(p.expected).ok() != Some(p.difference),
                    "difference",
                    "inconsistent",
                    "must equal counted minus expected",
                );
            }
            DomainEvent::SaleParked(p) => p.basket.validate()?,
            DomainEvent::TicketIssued(p) => {
                let t = &p.ticket;
                let checked = Ticket::new(t.id, t.number, t.expires_at, t.lines.clone())?;
                e.check(
                    checked.expires_at != t.expires_at,
                    "ticket.expires_at",
                    "inconsistent",
                    "must be whole seconds",
                );
                e.check(
                    t.number == 0,
                    "ticket.number",
                    "not_positive",
                    "must be 1 or more",
                );
            }
            DomainEvent::OperatorCreated(OperatorCreated {
                pin_hash: Some(h), ..
            })
            | DomainEvent::OperatorPinReset(OperatorPinReset {
                pin_hash: Some(h), ..
            }) => e.check(
                !h.starts_with("$argon2") || h.len() > MAX_PIN_HASH,
                "pin_hash",
                "invalid",
                "must be an argon2 hash",
            ),
            DomainEvent::DeadLetterDiscarded(p) => {
                let name = p.handler.chars().count();
                e.check(
                    name == 0 || name > MAX_HANDLER_NAME,
                    "handler",
                    "length",
                    "must be 1 to 64 characters",
                );
                e.check(p.seq == 0, "seq", "not_positive", "must be 1 or more");
                e.check(
                    p.event_type.is_empty(),
                    "event_type",
                    "required",
                    "must name the event type",
                );
                e.check(
                    p.error.chars().count() > MAX_DEAD_LETTER_ERROR,
                    "error",
                    "length",
                    "must be at most 2000 characters",
                );
            }
            _ => {}
        }
        e.finish()
    }

    /// Decodes a payload of `event_type` at `version`, upcasting older versions.
    pub fn decode(
        event_type: &str,
        version: u32,
        data: &str,
        upcasters: &Upcasters,
    ) -> Result<DomainEvent, EventDecodeError> {
        let t = EventType::parse(event_type)
            .ok_or_else(|| EventDecodeError::UnknownType(event_type.to_owned()))?;
        let name = t.as_str();
        let current = t.current_version();
        let malformed = |source| EventDecodeError::Malformed {
            event_type: name,
            source,
        };
        let event = if version == current {
            DomainEvent::from_current_json(t, data).map_err(malformed)?
        } else if version > current {
            return Err(EventDecodeError::UnknownSchemaVersion {
                event_type: name,
                found: version,
                supported: current,
            });
        } else {
            let value: serde_json::Value = serde_json::from_str(data).map_err(malformed)?;
            let value = upcasters.upcast(t, version, value)?;
            DomainEvent::from_current_value(t, value).map_err(malformed)?
        };
        event
            .validate()
            .map_err(|source| EventDecodeError::Invalid {
                event_type: name,
                source,
            })?;
        Ok(event)
    }
}

fn validate_order_created(e: &mut Errors, p: &OrderCreated) {
    e.check(
        p.lines.is_empty(),
        "lines",
        "required",
        "an order needs at least one line",
    );
    // Sums are taken in i128: amounts come from outside and any i64 may arrive.
    let (mut net, mut tax, mut gross) = (0i128, 0i128, 0i128);
    for (i, l) in p.lines.iter().enumerate() {
        let a = l.amounts;
        e.check(
            l.unit_price < 0 || a.net < 0 || a.tax < 0 || a.gross < 0,
            &format!("lines[{i}]"),
            "negative",
            "amounts must not be negative",
        );
        e.check(
            [l.unit_price, a.net, a.tax, a.gross]
                .iter()
                .any(|v| !money::in_range(*v)),
            &format!("lines[{i}]"),
            "out_of_range",
            "an amount is larger than any a shop can hold",
        );
        e.check(
            a.net.checked_add(a.tax) != Some(a.gross),
            &format!("lines[{i}]"),
            "inconsistent",
            "net + tax must equal gross",
        );
        // A discount takes off at most what the line cost.
        let cost = i128::from(l.unit_price).saturating_mul(i128::from(l.quantity.get()));
        let off = i128::from(l.line_discount).saturating_add(i128::from(l.order_discount));
        e.check(
            l.line_discount < 0 || l.order_discount < 0 || off > cost,
            &format!("lines[{i}].discount"),
            "out_of_range",
            "a discount is 0 up to what the line cost",
        );
        net = net.saturating_add(i128::from(a.net));
        tax = tax.saturating_add(i128::from(a.tax));
        gross = gross.saturating_add(i128::from(a.gross));
    }
    let t = p.totals;
    e.check(
        (net, tax, gross) != (i128::from(t.net), i128::from(t.tax), i128::from(t.gross)),
        "totals",
        "inconsistent",
        "must be the sum of the lines",
    );
    e.check(
        !money::in_range(t.gross),
        "totals",
        "out_of_range",
        "the total is larger than any amount a shop can hold",
    );
}

impl From<EventDecodeError> for FieldError {
    fn from(e: EventDecodeError) -> Self {
        FieldError::new("data", "undecodable", e.to_string())
    }
}
