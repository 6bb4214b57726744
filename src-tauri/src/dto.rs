//! Data shapes at the UI boundary, and parsing UI input into domain types. Every
//! amount crosses as integer minor units; the UI formats them with `exponent`.

use crate::error::{ApiError, ApiResult};
use rustok_core::domain::cash::CashSession;
use rustok_core::domain::category::{Category, CategoryFields, CategoryName};
use rustok_core::domain::content::{
    AnyContent, ContentBody, ContentExcerpt, ContentFields, ContentKind, ContentSlug, ContentTitle,
    Translation, MAX_PROMO_PRODUCTS,
};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::error::Errors;
use rustok_core::domain::event::Envelope;
use rustok_core::domain::ids::{CategoryId, OperatorId, OrderId, ProductId};
use rustok_core::domain::image::ImageDigest;
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{Operator, OperatorName, Pin};
use rustok_core::domain::order::{refunded_units, AnyOrder, Discount, OrderActionKind, OrderLine};
use rustok_core::domain::payment::{Payment, PaymentReference, Refund, RefundedItems, Tender};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    Barcode, Product, ProductDescription, ProductFields, ProductTitle, Sku, TaxRate,
};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::{
    Features, ShopAddress, ShopName, TaxMode, Tenant, TenantSettings, TenantSlug,
    KIOSK_IDLE_MAX_SECS, KIOSK_IDLE_MIN_SECS,
};
use rustok_core::domain::FieldError;
use rustok_core::service::{NewLine, OperatorRights, Quote, ShiftReport, ShopSetup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod import;
pub mod settings;
pub mod sync;

/// The shop as the UI needs it to format and label things.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfoDto {
    /// Whether the device has a shop yet.
    pub set_up: bool,
    /// Whether it can be used: a till that joined a chain is set up but not ready
    /// until its first pull brought the chain's settings and operators.
    pub ready: bool,
    /// Shop name.
    pub shop_name: Option<String>,
    /// Shop address, for receipts.
    pub shop_address: Option<String>,
    /// Device code.
    pub device_code: Option<String>,
    /// Currency code.
    pub currency: Option<String>,
    /// Decimals of the currency.
    pub exponent: u32,
    /// Default locale of the content.
    pub default_locale: Option<String>,
    /// Whether the shop uses content pages and promos (the Content screen).
    pub content: bool,
    /// Whether the shop has self-service kiosks.
    pub kiosk: bool,
    /// Whether this window was started as a kiosk (`--kiosk`).
    pub kiosk_device: bool,
    /// Whether it is locked in kiosk mode now (a manager's PIN unlocks it).
    pub kiosk_locked: bool,
    /// Seconds an untouched kiosk waits before it counts down and starts over
    /// (this device's config, else the shop's).
    pub kiosk_idle_secs: u32,
    /// The UI's language until someone picks one at this device (the config's).
    pub language: crate::config::file::Language,
    /// The receipt paper (the config's).
    pub paper: crate::config::file::Paper,
}

/// An operator on the login screen.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LoginChoiceDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: &'static str,
}

/// Who is logged in.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SessionDto {
    /// Operator id.
    pub operator_id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: &'static str,
    /// Operations the role allows (names of `Operation`), decided by the core.
    pub can: Vec<&'static str>,
}

/// A product.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProductDto {
    /// Id.
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Barcode.
    pub barcode: Option<String>,
    /// Title in the shop's default locale (or any).
    pub title: String,
    /// Titles per locale.
    pub titles: BTreeMap<String, String>,
    /// Unit price in minor units.
    pub price: i64,
    /// Tax rate in basis points.
    pub tax_rate_bp: u32,
    /// `draft`, `active` or `archived`.
    pub status: &'static str,
    /// Stock on hand.
    pub on_hand: i64,
    /// Low-stock threshold.
    pub low_stock_threshold: i64,
    /// At or below the threshold.
    pub low_stock: bool,
    /// For optimistic concurrency.
    pub version: u32,
    /// Descriptions per locale.
    pub descriptions: BTreeMap<String, String>,
    /// Category id.
    pub category: Option<String>,
    /// Digest of its picture (shown from `image://localhost/<digest>`).
    pub image: Option<String>,
    /// Who last changed it, when that was not this till: `head_office` or
    /// `another_till` (only in catalog lists).
    pub changed_by: Option<&'static str>,
    /// When, RFC 3339 (the change's clock time).
    pub changed_at: Option<String>,
    /// What that change set (`price`, `image`, `titles`…).
    pub changed_fields: Vec<String>,
}

impl ProductDto {
    /// With who last changed it, when that was not this till.
    pub fn changed_by(mut self, change: Option<&rustok_core::service::ChangedElsewhere>) -> Self {
        if let Some(c) = change {
            let s = &c.stamp;
            self.changed_fields = c.fields.clone();
            self.changed_by = Some(match s.origin {
                rustok_core::domain::event::Origin::Central => "head_office",
                rustok_core::domain::event::Origin::Device => "another_till",
            });
            self.changed_at = Some(
                rustok_core::domain::clock::Timestamp::from_unix_millis(s.hlc.millis())
                    .to_rfc3339(),
            );
        }
        self
    }

    /// From a product, titled in `locale`.
    pub fn new(p: &Product, locale: &Locale) -> Self {
        let f = &p.fields;
        Self {
            id: p.id.to_string(),
            sku: f.sku.to_string(),
            barcode: f.barcode.as_ref().map(ToString::to_string),
            title: f
                .titles
                .resolve(locale, locale)
                .map(ToString::to_string)
                .unwrap_or_default(),
            titles: f
                .titles
                .iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect(),
            price: f.price.minor,
            tax_rate_bp: f.tax_rate.basis_points(),
            status: p.status.as_str(),
            on_hand: p.on_hand,
            low_stock_threshold: f.low_stock_threshold,
            low_stock: p.is_low_on_stock(),
            version: p.version,
            descriptions: f
                .descriptions
                .iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect(),
            category: f.category.map(|c| c.to_string()),
            image: f.image.as_ref().map(ToString::to_string),
            changed_by: None,
            changed_at: None,
            changed_fields: Vec::new(),
        }
    }
}

/// Records that share a code two tills made while cut off from each other.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClashDto {
    /// `sku`, `barcode`, `slug` or `operator_name`.
    pub field: &'static str,
    /// The shared value.
    pub value: String,
    /// The records, first made first.
    pub holders: Vec<ClashHolderDto>,
}

/// One record in a clash.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClashHolderDto {
    /// Its id.
    pub id: String,
    /// A product's or page's title, an operator's role.
    pub label: String,
    /// Its status.
    pub status: String,
}

impl From<&rustok_core::store::Clash> for ClashDto {
    fn from(c: &rustok_core::store::Clash) -> Self {
        Self {
            field: c.field.as_str(),
            value: c.value.clone(),
            holders: c
                .holders
                .iter()
                .map(|h| ClashHolderDto {
                    id: h.id.to_string(),
                    label: h.label.clone(),
                    status: h.status.clone(),
                })
                .collect(),
        }
    }
}

/// A catalog category.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CategoryDto {
    /// Id.
    pub id: String,
    /// Name in the shop's main language (or any).
    pub name: String,
    /// Names per locale.
    pub names: BTreeMap<String, String>,
    /// Order among its siblings.
    pub position: u32,
    /// The category it sits under.
    pub parent: Option<String>,
    /// For optimistic concurrency.
    pub version: u32,
}

impl CategoryDto {
    /// From a category, named in `locale`.
    pub fn new(k: &Category, locale: &Locale) -> Self {
        Self {
            id: k.id.to_string(),
            name: k
                .fields
                .names
                .resolve(locale, locale)
                .map(ToString::to_string)
                .unwrap_or_default(),
            names: k
                .fields
                .names
                .iter()
                .map(|(l, n)| (l.to_string(), n.to_string()))
                .collect(),
            position: k.fields.position,
            parent: k.fields.parent.map(|p| p.to_string()),
            version: k.version,
        }
    }
}

/// A category form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryInput {
    /// Names per locale (empty ones are left out).
    pub names: BTreeMap<String, String>,
    /// Order among its siblings.
    pub position: u32,
    /// The category it sits under (empty or absent: top level).
    #[serde(default)]
    pub parent: Option<String>,
}

/// Parses a category form, reporting every invalid field at once.
pub fn parse_category(input: &CategoryInput) -> ApiResult<CategoryFields> {
    let mut e = Errors::new();
    let mut names = Localized::new();
    for (locale, name) in input.names.iter().filter(|(_, t)| !t.trim().is_empty()) {
        let field = format!("names.{locale}");
        if let (Some(l), Some(n)) = (
            e.take(&field, Locale::parse(locale)),
            e.take(&field, CategoryName::parse(name)),
        ) {
            names.insert(l, n);
        }
    }
    let parent = optional_field(&mut e, "parent", input.parent.as_deref(), CategoryId::parse);
    finish(e)?;
    let parent = parent.ok_or_else(|| ApiError::new("validation", "invalid category"))?;
    Ok(CategoryFields {
        names,
        position: input.position,
        parent,
    })
}

/// An order line.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LineDto {
    /// Product.
    pub product_id: String,
    /// SKU.
    pub sku: String,
    /// Title.
    pub title: String,
    /// Unit price.
    pub unit_price: i64,
    /// Quantity.
    pub quantity: i64,
    /// Net.
    pub net: i64,
    /// Tax.
    pub tax: i64,
    /// Gross.
    pub gross: i64,
    /// Titles at the time of sale per locale (the UI shows its language's).
    pub titles: BTreeMap<String, String>,
    /// Tax rate, basis points.
    pub tax_rate_bp: u32,
    /// Minor units off by the line's own discount.
    pub line_discount: i64,
    /// Minor units off as the line's share of the order's discount.
    pub order_discount: i64,
    /// The line's discount as a percentage, in basis points, when given as one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_bp: Option<u32>,
}

impl From<&OrderLine> for LineDto {
    fn from(l: &OrderLine) -> Self {
        Self {
            product_id: l.product_id.to_string(),
            sku: l.sku.to_string(),
            title: l.title.to_string(),
            unit_price: l.unit_price,
            quantity: l.quantity.get(),
            net: l.amounts.net,
            tax: l.amounts.tax,
            gross: l.amounts.gross,
            titles: l
                .titles
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            tax_rate_bp: l.tax_rate.basis_points(),
            line_discount: l.line_discount,
            order_discount: l.order_discount,
            discount_bp: match l.discount {
                Some(Discount::Percent(bp)) => Some(bp),
                _ => None,
            },
        }
    }
}

/// A priced basket.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QuoteDto {
    /// Lines.
    pub lines: Vec<LineDto>,
    /// Net total.
    pub net: i64,
    /// Tax total.
    pub tax: i64,
    /// Gross total.
    pub gross: i64,
    /// Lines asking for more than is on hand.
    pub short: Vec<ShortLineDto>,
    /// Whether the shop sells beyond its stock without asking.
    pub oversell_allowed: bool,
    /// Whether the logged-in operator may sell beyond stock without a manager.
    pub approves_oversell: bool,
    /// Minor units off by discounts.
    pub discount: i64,
    /// Whether the discounts need a manager's PIN for the logged-in operator.
    pub discount_needs_approval: bool,
}

/// A basket line short of stock.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShortLineDto {
    /// Position in the basket.
    pub line: usize,
    /// SKU.
    pub sku: String,
    /// Units on hand for it.
    pub on_hand: i64,
    /// Units asked for.
    pub quantity: i64,
}

impl QuoteDto {
    /// From the core's quote, for `role`.
    pub fn new(q: &Quote, role: Role) -> Self {
        Self {
            lines: q.lines.iter().map(LineDto::from).collect(),
            net: q.totals.net,
            tax: q.totals.tax,
            gross: q.totals.gross,
            short: q
                .short
                .iter()
                .map(|s| ShortLineDto {
                    line: s.line,
                    sku: s.sku.to_string(),
                    on_hand: s.on_hand,
                    quantity: s.quantity,
                })
                .collect(),
            oversell_allowed: q.oversell_allowed,
            approves_oversell: role.approves_oversell(),
            discount: q.discount,
            discount_needs_approval: q.discount_needs_approval,
        }
    }
}

/// A payment.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PaymentDto {
    /// `cash`, `card` or `other`.
    pub method: &'static str,
    /// Amount.
    pub amount: i64,
    /// Cash handed over.
    pub tendered: Option<i64>,
    /// Change given.
    pub change: Option<i64>,
    /// Reference.
    pub reference: Option<String>,
}

impl From<&Payment> for PaymentDto {
    fn from(p: &Payment) -> Self {
        Self {
            method: p.method.as_str(),
            amount: p.amount,
            tendered: p.tendered,
            change: p.change,
            reference: p.reference.as_ref().map(ToString::to_string),
        }
    }
}

/// One event of an order's history.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct HistoryDto {
    /// Outbox sequence number.
    pub seq: u64,
    /// Event type.
    pub event_type: String,
    /// When.
    pub occurred_at: String,
}

impl From<&Envelope> for HistoryDto {
    fn from(e: &Envelope) -> Self {
        Self {
            seq: e.seq,
            event_type: e.event_type.clone(),
            occurred_at: e.occurred_at.to_rfc3339(),
        }
    }
}

/// An order.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OrderDto {
    /// Id.
    pub id: String,
    /// Number.
    pub number: String,
    /// Status.
    pub status: &'static str,
    /// Created at (RFC 3339).
    pub created_at: String,
    /// Lines.
    pub lines: Vec<LineDto>,
    /// Net total.
    pub net: i64,
    /// Tax total.
    pub tax: i64,
    /// Gross total.
    pub gross: i64,
    /// Payments.
    pub payments: Vec<PaymentDto>,
    /// Tracking number.
    pub tracking: Option<String>,
    /// Money refunded in all (0 when none).
    pub refunded: i64,
    /// Units refunded so far, per line (same order as `lines`).
    pub refunded_units: Vec<i64>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundDto>,
    /// Customer name.
    pub customer: Option<String>,
    /// Transitions the logged-in operator may perform now.
    #[ts(
        type = r#"Array<"confirm" | "pay" | "ship" | "deliver" | "hand_over" | "cancel" | "refund">"#
    )]
    pub actions: Vec<OrderActionKind>,
    /// Events of the order.
    pub history: Vec<HistoryDto>,
    /// The operator who made the sale (the actor of its first event), when known.
    pub cashier_id: Option<String>,
}

impl OrderDto {
    /// From an order, with what the operator may do and (optionally) its history.
    pub fn new(o: &AnyOrder, actions: Vec<OrderActionKind>, history: &[Envelope]) -> Self {
        let d = o.data();
        Self {
            id: d.id.to_string(),
            number: d.number.to_string(),
            status: o.status().as_str(),
            created_at: d.created_at.to_rfc3339(),
            lines: d.lines.iter().map(LineDto::from).collect(),
            net: d.totals.net,
            tax: d.totals.tax,
            gross: d.totals.gross,
            payments: d.payments.iter().map(PaymentDto::from).collect(),
            tracking: d.tracking.as_ref().map(ToString::to_string),
            refunded: d
                .refunds
                .iter()
                .fold(0i64, |sum, r| sum.saturating_add(r.amount)),
            refunded_units: refunded_units(d),
            refunds: d.refunds.iter().map(RefundDto::from).collect(),
            customer: d.customer.as_ref().map(|c| c.name.to_string()),
            actions,
            history: history.iter().map(HistoryDto::from).collect(),
            cashier_id: history
                .first()
                .and_then(|e| e.actor_id)
                .map(|id| id.to_string()),
        }
    }
}

/// One refund of an order.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RefundDto {
    /// Money given back.
    pub amount: i64,
    /// Per tender.
    pub payments: Vec<RefundPaymentDto>,
    /// Lines and units given back; `None` for an old refund of the whole order.
    pub lines: Option<Vec<RefundLineDto>>,
    /// Why.
    pub reason: Option<String>,
}

/// Money given back through one tender.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RefundPaymentDto {
    /// `cash`, `card` or `other`.
    pub method: &'static str,
    /// Amount.
    pub amount: i64,
}

/// Units of one line given back.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RefundLineDto {
    /// Position of the line in the order.
    pub line: u32,
    /// Units.
    pub quantity: i64,
    /// Money.
    pub amount: i64,
    /// Whether they went back on the shelf.
    pub restock: bool,
}

impl From<&Refund> for RefundDto {
    fn from(r: &Refund) -> Self {
        Self {
            amount: r.amount,
            payments: r
                .payments
                .iter()
                .map(|p| RefundPaymentDto {
                    method: p.method.as_str(),
                    amount: p.amount,
                })
                .collect(),
            lines: match &r.items {
                RefundedItems::Lines(lines) => Some(
                    lines
                        .iter()
                        .map(|l| RefundLineDto {
                            line: l.line,
                            quantity: l.quantity.get(),
                            amount: l.amount,
                            restock: l.restock,
                        })
                        .collect(),
                ),
                RefundedItems::Every { .. } => None,
            },
            reason: r.reason.as_ref().map(ToString::to_string),
        }
    }
}

/// A cash session.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShiftDto {
    /// Id.
    pub id: String,
    /// Opened at.
    pub opened_at: String,
    /// Closed at, once closed.
    pub closed_at: Option<String>,
    /// Float.
    pub float: i64,
    /// Cash sales.
    pub sales: i64,
    /// Cash refunds.
    pub refunds: i64,
    /// Cash in.
    pub cash_in: i64,
    /// Cash out.
    pub cash_out: i64,
    /// Expected in the drawer (at closing, what was expected then); absent while
    /// the operator counts blind.
    pub expected: Option<i64>,
    /// Counted at closing.
    pub counted: Option<i64>,
    /// Counted − expected.
    pub difference: Option<i64>,
    /// Events not yet synced at closing.
    pub unsynced_events: Option<u64>,
}

impl ShiftDto {
    /// The shift as the operator may see it: `blind` hides what the drawer should
    /// hold while it is open (see `TenantSettings::counts_blind`).
    pub fn new(s: &CashSession, blind: bool) -> Self {
        let c = s.closing.as_ref();
        Self {
            id: s.id.to_string(),
            opened_at: s.opened_at.to_rfc3339(),
            closed_at: c.map(|c| c.closed_at.to_rfc3339()),
            float: s.totals.float,
            sales: s.totals.sales,
            refunds: s.totals.refunds,
            cash_in: s.totals.cash_in,
            cash_out: s.totals.cash_out,
            expected: match c {
                Some(c) => Some(c.expected),
                None if blind => None,
                None => Some(s.totals.expected()),
            },
            counted: c.map(|c| c.counted),
            difference: c.map(|c| c.difference),
            unsynced_events: c.map(|c| c.unsynced_events),
        }
    }
}

/// What closing the shift with a count would record.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClosePreviewDto {
    /// Counted, minor units.
    pub counted: i64,
    /// What the drawer should hold.
    pub expected: i64,
    /// Counted − expected: negative is a shortfall.
    pub difference: i64,
    /// The shop's limit, when the difference is above it.
    pub limit: Option<i64>,
    /// Whether a manager must approve (with their PIN) before the shift closes.
    pub approval_needed: bool,
}

/// An operator.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OperatorDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: &'static str,
    /// Active.
    pub active: bool,
}

impl From<&Operator> for OperatorDto {
    fn from(o: &Operator) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name.to_string(),
            role: o.role.as_str(),
            active: o.active,
        }
    }
}

/// The Operators screen: every operator with what the operator asking may do to it,
/// and the roles a new operator may be given. Nothing else is offered.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OperatorsDto {
    /// Every operator.
    pub operators: Vec<OperatorRowDto>,
    /// Roles a new operator may get (empty: may not create operators).
    pub create_roles: Vec<&'static str>,
}

/// One operator and what may be done to it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OperatorRowDto {
    /// The operator.
    #[serde(flatten)]
    pub operator: OperatorDto,
    /// Roles the operator can be given (empty: the role is shown, not offered).
    pub roles: Vec<&'static str>,
    /// May be deactivated.
    pub deactivate: bool,
    /// May get a new PIN.
    pub reset_pin: bool,
}

impl OperatorRowDto {
    /// From an operator and the caller's rights over it.
    pub fn new(o: &Operator, r: &OperatorRights) -> Self {
        Self {
            operator: OperatorDto::from(o),
            roles: r.roles.iter().map(|r| r.as_str()).collect(),
            deactivate: r.deactivate,
            reset_pin: r.reset_pin,
        }
    }
}

/// What the status bar shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StatusBarDto {
    /// Who is logged in.
    pub operator: Option<SessionDto>,
    /// The open shift.
    pub shift: Option<ShiftDto>,
    /// Sync with the central server (roles that may see it).
    pub sync: Option<sync::SyncStatusDto>,
}

/// A real shop as the first-run form sends it (amounts as decimal text).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopSetupInput {
    /// Shop name.
    pub name: String,
    /// URL-safe name, used by head office.
    pub slug: String,
    /// ISO 4217 code.
    pub currency: String,
    /// `inclusive` or `exclusive`.
    pub tax_mode: String,
    /// Language of the content when a translation is missing (`en`, `ru`).
    pub default_locale: String,
    /// This till's code, printed in order numbers.
    pub device_code: String,
    /// The first administrator.
    pub admin_name: String,
    /// Their PIN.
    pub admin_pin: String,
    /// Whether a sale may take stock below zero.
    pub allow_oversell: bool,
    /// Shift difference a manager must approve (decimal text, empty for none).
    pub shift_difference_limit: String,
    /// The largest discount a cashier gives alone, percent text (empty: no limit).
    #[serde(default)]
    pub discount_limit: String,
    /// The shop's address for receipts (empty: none).
    #[serde(default)]
    pub address: String,
    /// Whether the shop has self-service kiosks.
    #[serde(default)]
    pub kiosk: bool,
    /// Whether the shop uses content pages and promos.
    #[serde(default = "yes")]
    pub content: bool,
    /// Seconds an untouched kiosk waits before starting over (empty: the default).
    #[serde(default)]
    pub kiosk_idle_secs: String,
}

fn yes() -> bool {
    true
}

/// Parses a kiosk idle time in whole seconds (empty: the shop's default).
fn parse_idle_secs(text: &str) -> Result<Option<u32>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .ok()
        .filter(|s| (KIOSK_IDLE_MIN_SECS..=KIOSK_IDLE_MAX_SECS).contains(s))
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                "kiosk_idle_secs",
                "out_of_range",
                format!("must be {KIOSK_IDLE_MIN_SECS} to {KIOSK_IDLE_MAX_SECS} seconds"),
            )
            .with_param("min", KIOSK_IDLE_MIN_SECS)
            .with_param("max", KIOSK_IDLE_MAX_SECS)
        })
}

/// Parses the first-run form, reporting every invalid field at once.
pub fn parse_setup(i: &ShopSetupInput) -> ApiResult<ShopSetup> {
    let mut e = Errors::new();
    let name = e.take("name", ShopName::parse(&i.name));
    let slug = e.take("slug", TenantSlug::parse(&i.slug));
    let currency = e.take("currency", Currency::parse(&i.currency));
    let tax_mode = e.take("tax_mode", TaxMode::parse(&i.tax_mode));
    let default_locale = e.take("default_locale", Locale::parse(&i.default_locale));
    let device_code = e.take("device_code", DeviceCode::parse(&i.device_code));
    let admin_name = e.take("admin_name", OperatorName::parse(&i.admin_name));
    let admin_pin = e.take("admin_pin", Pin::parse(&i.admin_pin));
    let address = match i.address.trim() {
        "" => Some(None),
        text => e.take("address", ShopAddress::parse(text)).map(Some),
    };
    let limit = match (currency, i.shift_difference_limit.trim()) {
        (Some(c), text) if !text.is_empty() => e
            .take("shift_difference_limit", Money::parse_decimal(text, c))
            .map(|m| Some(m.minor)),
        _ => Some(None),
    };
    let discount_limit = match i.discount_limit.trim() {
        "" => Some(None),
        text => e
            .take("discount_limit", Discount::parse_percent(text))
            .map(|d| match d {
                Discount::Percent(bp) => Some(bp),
                Discount::Amount(_) => None,
            }),
    };
    let kiosk_idle_secs = e.take("kiosk_idle_secs", parse_idle_secs(&i.kiosk_idle_secs));
    finish(e)?;
    // Every `None` recorded an error above, and `finish` returned it.
    let setup = || {
        Some(ShopSetup {
            slug: slug?,
            settings: TenantSettings {
                name: name?,
                currency: currency?,
                default_locale: default_locale?,
                tax_mode: tax_mode?,
                features: Features {
                    commerce: true,
                    content: i.content,
                    kiosk: i.kiosk,
                },
                allow_oversell: i.allow_oversell,
                shift_difference_limit: limit?,
                blind_count: false,
                discount_limit: discount_limit?,
                address: address?,
                kiosk_idle_secs: kiosk_idle_secs?,
            },
            device_code: device_code?,
            admin_name: admin_name?,
            admin_pin: admin_pin?,
        })
    };
    setup().ok_or_else(|| ApiError::new("validation", "invalid shop"))
}

/// A basket line as the UI sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineInput {
    /// Product id.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
    /// The line's discount.
    #[serde(default)]
    pub discount: Option<DiscountInput>,
}

/// A discount as the UI sends it: a percentage or an amount (decimal text in the
/// shop currency), exactly one of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountInput {
    /// `10`, `12.5`.
    pub percent: Option<String>,
    /// `1.50`.
    pub amount: Option<String>,
}

/// Parses a discount; its errors are at `field`.
pub fn parse_discount(
    d: Option<&DiscountInput>,
    currency: Currency,
    field: &str,
) -> Result<Option<Discount>, FieldError> {
    let Some(d) = d else { return Ok(None) };
    match (d.percent.as_deref(), d.amount.as_deref()) {
        (Some(p), None) => Discount::parse_percent(p).map(Some),
        (None, Some(a)) => {
            Money::parse_decimal(a, currency).map(|m| Some(Discount::Amount(m.minor)))
        }
        _ => Err(FieldError::new(
            "discount",
            "required",
            "give a percentage or an amount",
        )),
    }
    .map_err(|e| e.at(field))
}

/// Parses basket lines.
pub fn parse_lines(lines: &[LineInput], currency: Currency) -> ApiResult<Vec<NewLine>> {
    let mut e = Errors::new();
    let out: Vec<Option<NewLine>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let product_id = e.take(
                &format!("lines[{i}].product_id"),
                ProductId::parse(&l.product_id),
            );
            let quantity = e.take(&format!("lines[{i}].quantity"), Quantity::new(l.quantity));
            let field = format!("lines[{i}].discount");
            let discount = e.take(
                &field,
                parse_discount(l.discount.as_ref(), currency, &field),
            );
            Some(NewLine {
                product_id: product_id?,
                quantity: quantity?,
                discount: discount?,
            })
        })
        .collect();
    finish(e)?;
    Ok(out.into_iter().flatten().collect())
}

/// A payment as the UI sends it; amounts are decimal text in the shop currency.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInput {
    /// `cash`, `card` or `other`.
    pub method: String,
    /// Part of the total.
    pub amount: String,
    /// Cash handed over (cash only; defaults to the amount).
    pub tendered: Option<String>,
    /// Reference (card, other).
    pub reference: Option<String>,
}

/// Parses payments into tenders.
pub fn parse_tenders(payments: &[PaymentInput], currency: Currency) -> ApiResult<Vec<Tender>> {
    let mut e = Errors::new();
    let mut out = Vec::new();
    for (i, p) in payments.iter().enumerate() {
        let amount = e
            .take(
                &format!("payments[{i}].amount"),
                Money::parse_decimal(&p.amount, currency),
            )
            .map(|m| m.minor);
        let reference = match p
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => e.take(
                &format!("payments[{i}].reference"),
                PaymentReference::parse(r),
            ),
            None => None,
        };
        let Some(amount) = amount else { continue };
        match p.method.as_str() {
            "cash" => {
                let tendered = match p
                    .tendered
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                {
                    Some(t) => e
                        .take(
                            &format!("payments[{i}].tendered"),
                            Money::parse_decimal(t, currency),
                        )
                        .map(|m| m.minor),
                    None => Some(amount),
                };
                if let Some(tendered) = tendered {
                    out.push(Tender::Cash { amount, tendered });
                }
            }
            "card" => out.push(Tender::Card { amount, reference }),
            "other" => out.push(Tender::Other { amount, reference }),
            _ => e.push(FieldError::new(
                format!("payments[{i}].method"),
                "invalid_method",
                "must be cash, card or other",
            )),
        }
    }
    finish(e)?;
    Ok(out)
}

/// A product form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    /// SKU.
    pub sku: String,
    /// Barcode (empty for none).
    pub barcode: Option<String>,
    /// Titles per locale (empty ones are left out).
    pub titles: BTreeMap<String, String>,
    /// Price as decimal text.
    pub price: String,
    /// Tax rate in basis points.
    pub tax_rate_bp: u32,
    /// Low-stock threshold.
    pub low_stock_threshold: i64,
    /// Descriptions per locale (empty ones are left out).
    #[serde(default)]
    pub descriptions: BTreeMap<String, String>,
    /// Category id (empty or absent for none).
    #[serde(default)]
    pub category: Option<String>,
    /// Digest of a picture stored with `store_image` (absent for none).
    #[serde(default)]
    pub image: Option<String>,
}

/// Parses a product form, reporting every invalid field at once.
pub fn parse_product(input: &ProductInput, currency: Currency) -> ApiResult<ProductFields> {
    let mut e = Errors::new();
    let sku = e.take("sku", Sku::parse(&input.sku));
    let barcode = match input
        .barcode
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(b) => e.take("barcode", Barcode::parse(b)).map(Some),
        None => Some(None),
    };
    let mut titles = Localized::new();
    for (locale, title) in input.titles.iter().filter(|(_, t)| !t.trim().is_empty()) {
        let field = format!("titles.{locale}");
        if let (Some(l), Some(t)) = (
            e.take(&field, Locale::parse(locale)),
            e.take(&field, ProductTitle::parse(title)),
        ) {
            titles.insert(l, t);
        }
    }
    let mut descriptions = Localized::new();
    for (locale, text) in input
        .descriptions
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
    {
        let field = format!("descriptions.{locale}");
        if let (Some(l), Some(t)) = (
            e.take(&field, Locale::parse(locale)),
            e.take(&field, ProductDescription::parse(text)),
        ) {
            descriptions.insert(l, t);
        }
    }
    let price = e.take("price", Money::parse_decimal(&input.price, currency));
    let tax_rate = e.take("tax_rate_bp", TaxRate::from_basis_points(input.tax_rate_bp));
    let category = optional_field(
        &mut e,
        "category",
        input.category.as_deref(),
        CategoryId::parse,
    );
    let image = optional_field(&mut e, "image", input.image.as_deref(), ImageDigest::parse);
    finish(e)?;
    match (sku, barcode, price, tax_rate, category, image) {
        (Some(sku), Some(barcode), Some(price), Some(tax_rate), Some(category), Some(image)) => {
            Ok(ProductFields {
                sku,
                barcode,
                titles,
                descriptions,
                price,
                tax_rate,
                low_stock_threshold: input.low_stock_threshold,
                category,
                image,
            })
        }
        // Unreachable: every None above recorded an error and `finish` returned it.
        _ => Err(ApiError::new("validation", "invalid product")),
    }
}

/// An optional field: absent or blank is `Some(None)`; text that does not parse
/// records an error (under `field`) and is `None`.
fn optional_field<T>(
    e: &mut Errors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => e.take(field, parse(s)).map(Some),
    }
}

/// Turns collected field errors into a `validation` error.
pub fn finish(e: Errors) -> ApiResult<()> {
    e.finish().map_err(|err| match err {
        rustok_core::domain::DomainError::Validation(fields) => ApiError::validation(fields),
        other => ApiError::new("validation", other.to_string()),
    })
}

/// Parses an optional text field: absent or blank means none.
pub fn optional<T>(
    v: Option<String>,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> ApiResult<Option<T>> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| parse(&s).map_err(ApiError::from))
        .transpose()
}

/// Parses an id from the UI.
pub fn order_id(s: &str) -> ApiResult<OrderId> {
    OrderId::parse(s).map_err(|e| e.at("id").into())
}

/// Parses an id from the UI.
pub fn product_id(s: &str) -> ApiResult<ProductId> {
    ProductId::parse(s).map_err(|e| e.at("id").into())
}

/// Parses an id from the UI.
pub fn operator_id(s: &str) -> ApiResult<OperatorId> {
    OperatorId::parse(s).map_err(|e| e.at("id").into())
}

/// The shop's currency and default locale.
pub fn shop_format(t: &Tenant) -> (Currency, Locale) {
    (t.settings.currency, t.settings.default_locale.clone())
}

/// A parked sale, as the list of parked sales shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ParkedDto {
    /// Id.
    pub id: String,
    /// When it was parked (RFC 3339).
    pub parked_at: String,
    /// Lines.
    pub lines: usize,
    /// Units in all.
    pub units: i64,
    /// The first products' titles (in the shop's language, and per locale), for the
    /// cashier to recognise the customer's cart.
    pub titles: Vec<TitlesDto>,
}

/// A title in the shop's language and in every locale it has.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TitlesDto {
    /// In the shop's default locale.
    pub title: String,
    /// Per locale.
    pub titles: BTreeMap<String, String>,
}

/// A discount as the UI's cart holds it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CartDiscountDto {
    /// `percent` or `amount`.
    #[ts(type = r#""percent" | "amount""#)]
    pub kind: &'static str,
    /// Decimal text, as typed (`10`, `1.50`).
    pub value: String,
}

impl CartDiscountDto {
    /// From a discount, amounts in `currency`.
    pub fn new(d: Discount, currency: Currency) -> Self {
        match d {
            Discount::Percent(bp) => Self {
                kind: "percent",
                value: format!("{}", f64::from(bp) / 100.0),
            },
            Discount::Amount(minor) => Self {
                kind: "amount",
                value: Money { minor, currency }.to_decimal_string(),
            },
        }
    }
}

/// A line of a cart taken up again: the product as it is now.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CartLineDto {
    /// The product, at today's price.
    pub product: ProductDto,
    /// Units.
    pub qty: i64,
    /// Its discount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<CartDiscountDto>,
}

/// A cart taken up again.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CartDto {
    /// Lines whose products the shop still has.
    pub lines: Vec<CartLineDto>,
    /// The discount on the whole sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<CartDiscountDto>,
    /// Lines left out because their product is gone.
    pub missing: usize,
}

/// A kiosk's ticket line as the UI sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLineInput {
    /// Product id.
    pub product_id: String,
    /// Units (1–999).
    pub quantity: i64,
}

/// Parses a kiosk's lines, reporting every invalid one at once.
pub fn parse_ticket_lines(lines: &[TicketLineInput]) -> ApiResult<Vec<(ProductId, Quantity)>> {
    let mut e = Errors::new();
    let parsed: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let id = e.take(
                &format!("lines[{i}].product_id"),
                ProductId::parse(&l.product_id),
            );
            let qty = e.take(&format!("lines[{i}].quantity"), Quantity::new(l.quantity));
            id.zip(qty)
        })
        .collect();
    finish(e)?;
    Ok(parsed.into_iter().flatten().collect())
}

/// A ticket as the kiosk shows and prints it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TicketDto {
    /// The number the customer tells the counter.
    pub number: u32,
    /// The text of its QR code, which the counter's scanner types.
    pub code: String,
    /// Modules per side of the QR code.
    pub qr_size: u32,
    /// The QR code's dark modules as an SVG path, one unit per module.
    pub qr_path: String,
    /// What the lines came to at the kiosk, minor units.
    pub total: i64,
    /// When (RFC 3339).
    pub issued_at: String,
    /// Until when the counter takes it (RFC 3339).
    pub expires_at: String,
}

impl TicketDto {
    /// From an issued ticket; `None` when its code does not fit a QR code (a
    /// ticket's lines are capped far below that).
    pub fn new(t: &rustok_core::service::IssuedTicket) -> Option<Self> {
        let qr = rustok_core::domain::qr::qr_path(&t.code)?;
        let total = t.ticket.lines.iter().try_fold(0i64, |sum, l| {
            l.unit_price
                .checked_mul(l.quantity.get())
                .and_then(|v| sum.checked_add(v))
        })?;
        Some(Self {
            number: t.ticket.number,
            code: t.code.clone(),
            qr_size: qr.size,
            qr_path: qr.path,
            total,
            issued_at: t.issued_at.to_rfc3339(),
            expires_at: t.ticket.expires_at.to_rfc3339(),
        })
    }
}

/// A scanned kiosk ticket, read into the counter's cart.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TicketCartDto {
    /// The ticket, for the sale to record.
    pub ticket_id: String,
    /// The number the kiosk showed the customer.
    pub number: u32,
    /// Lines whose product is still for sale, at today's prices.
    pub lines: Vec<TicketLineDto>,
    /// Lines left out: the product is gone or no longer for sale.
    pub missing: usize,
}

/// One line of a scanned ticket.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TicketLineDto {
    /// The product as it is now.
    pub product: ProductDto,
    /// Units.
    pub qty: i64,
    /// The unit price the customer saw at the kiosk.
    pub price_then: i64,
}

impl TicketCartDto {
    /// From the core's reading, titled in `locale`.
    pub fn new(c: &rustok_core::service::TicketCart, locale: &Locale) -> Self {
        Self {
            ticket_id: c.ticket_id.to_string(),
            number: c.number,
            lines: c
                .lines
                .iter()
                .map(|l| TicketLineDto {
                    product: ProductDto::new(&l.product, locale),
                    qty: l.quantity.get(),
                    price_then: l.price_then,
                })
                .collect(),
            missing: c.missing,
        }
    }
}

/// A shift's report (X while open, Z once closed); amounts in minor units.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShiftReportDto {
    /// The shift and its cash.
    pub shift: ShiftDto,
    /// Whether it is closed (a Z report).
    pub closed: bool,
    /// When it closed (RFC 3339).
    pub closed_at: Option<String>,
    /// Sales paid.
    pub receipts: u32,
    /// Their net, tax and gross.
    pub net: i64,
    /// Tax.
    pub tax: i64,
    /// Gross.
    pub gross: i64,
    /// Taken off by discounts.
    pub discounts: i64,
    /// Sales per tender.
    pub tenders: Vec<TenderTotalDto>,
    /// Sales per tax rate.
    pub tax_rates: Vec<TaxLineDto>,
    /// Refunds made.
    pub refunds: u32,
    /// Given back.
    pub refunded: i64,
    /// Refunds per tender.
    pub refund_tenders: Vec<TenderTotalDto>,
    /// The till's code.
    pub till: String,
    /// Who opened the shift.
    pub opened_by: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Who approved its difference, when that was needed.
    pub approved_by: Option<String>,
}

/// A tender's total.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TenderTotalDto {
    /// `cash`, `card` or `other`.
    pub method: &'static str,
    /// Amount.
    pub amount: i64,
}

/// Sales at one tax rate.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TaxLineDto {
    /// Basis points.
    pub rate_bp: u32,
    /// Net.
    pub net: i64,
    /// Tax.
    pub tax: i64,
    /// Gross.
    pub gross: i64,
}

impl ShiftReportDto {
    /// From the core's report.
    pub fn new(r: &ShiftReport) -> Self {
        let tenders = |v: &[(rustok_core::domain::payment::PaymentMethod, i64)]| {
            v.iter()
                .map(|(m, a)| TenderTotalDto {
                    method: m.as_str(),
                    amount: *a,
                })
                .collect()
        };
        Self {
            shift: ShiftDto::new(&r.session, !r.shows_expected),
            closed: r.session.closing.is_some(),
            closed_at: r.session.closing.as_ref().map(|c| c.closed_at.to_rfc3339()),
            till: r.till.as_str().to_owned(),
            opened_by: r.opened_by.as_ref().map(|n| n.as_str().to_owned()),
            closed_by: r.closed_by.as_ref().map(|n| n.as_str().to_owned()),
            approved_by: r.approved_by.as_ref().map(|n| n.as_str().to_owned()),
            receipts: r.receipts,
            net: r.sales.net,
            tax: r.sales.tax,
            gross: r.sales.gross,
            discounts: r.discounts,
            tenders: tenders(&r.tenders),
            tax_rates: r
                .tax
                .iter()
                .map(|l| TaxLineDto {
                    rate_bp: l.rate.basis_points(),
                    net: l.amounts.net,
                    tax: l.amounts.tax,
                    gross: l.amounts.gross,
                })
                .collect(),
            refunds: r.refunds,
            refunded: r.refunded,
            refund_tenders: tenders(&r.refund_tenders),
        }
    }
}

/// One language's text of a page or promo.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct TranslationDto {
    /// Title.
    pub title: String,
    /// Teaser (empty for none).
    #[serde(default)]
    pub excerpt: String,
    /// Markdown body (empty for none).
    #[serde(default)]
    pub body: String,
}

/// A page or promo, as the Content screen edits it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ContentDto {
    /// Id.
    pub id: String,
    /// `page`, `promo` or `article`.
    pub kind: &'static str,
    /// Slug.
    pub slug: String,
    /// Order (smaller first).
    pub position: i32,
    /// `draft`, `published` or `archived`.
    pub status: &'static str,
    /// When it was published (RFC 3339).
    pub published_at: Option<String>,
    /// For optimistic concurrency.
    pub version: u32,
    /// Texts per locale.
    pub translations: BTreeMap<String, TranslationDto>,
    /// The products a promo is about, in the manager's order (those since deleted
    /// are left out).
    pub products: Vec<ProductDto>,
}

impl ContentDto {
    /// From a stored node and its promo's products as they are now.
    pub fn new(n: &AnyContent, products: Vec<ProductDto>) -> Self {
        let d = n.data();
        Self {
            products,
            id: d.id.to_string(),
            kind: d.fields.kind.as_str(),
            slug: d.fields.slug.to_string(),
            position: d.fields.position,
            status: n.status().as_str(),
            published_at: d.published_at.map(|t| t.to_rfc3339()),
            version: d.version,
            translations: d
                .fields
                .translations
                .iter()
                .map(|(l, t)| {
                    (
                        l.to_string(),
                        TranslationDto {
                            title: t.title.to_string(),
                            excerpt: t
                                .excerpt
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            body: t.body.as_ref().map(ToString::to_string).unwrap_or_default(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// A published page or promo in one language, as a kiosk shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownContentDto {
    /// Id.
    pub id: String,
    /// `page` or `promo`.
    pub kind: &'static str,
    /// Slug.
    pub slug: String,
    /// The language shown (the one asked for, else the shop's main one).
    pub locale: String,
    /// Title.
    pub title: String,
    /// Teaser.
    pub excerpt: Option<String>,
    /// The body as safe HTML (see `markdown::safe_html`).
    pub body_html: Option<String>,
    /// The ids of the products a promo is about (the kiosk marks their tiles).
    pub products: Vec<String>,
}

impl ShownContentDto {
    /// `n` in `locale`, else in `fallback`; `None` when it has neither.
    pub fn new(n: &AnyContent, locale: &Locale, fallback: &Locale) -> Option<Self> {
        let d = n.data();
        let (shown, t) = [locale, fallback]
            .into_iter()
            .find_map(|l| d.fields.translations.get(l).map(|t| (l, t)))?;
        Some(Self {
            id: d.id.to_string(),
            kind: d.fields.kind.as_str(),
            slug: d.fields.slug.to_string(),
            locale: shown.to_string(),
            title: t.title.to_string(),
            excerpt: t.excerpt.as_ref().map(ToString::to_string),
            body_html: t
                .body
                .as_ref()
                .map(|b| crate::markdown::safe_html(b.as_str())),
            products: d.fields.products.iter().map(ToString::to_string).collect(),
        })
    }
}

/// A page or promo form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentInput {
    /// `page` or `promo`.
    pub kind: String,
    /// Slug.
    pub slug: String,
    /// Order.
    pub position: i32,
    /// Texts per locale; a language whose title is empty is left out.
    pub translations: BTreeMap<String, TranslationDto>,
    /// Ids of the products a promo is about.
    #[serde(default)]
    pub products: Vec<String>,
}

/// Parses a page or promo form, reporting every invalid field at once.
pub fn parse_content(i: &ContentInput) -> ApiResult<ContentFields> {
    let mut e = Errors::new();
    let kind = e.take("kind", ContentKind::parse(&i.kind));
    let slug = e.take("slug", ContentSlug::parse(&i.slug));
    let mut translations = Localized::new();
    for (locale, t) in &i.translations {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&t.title) && blank(&t.excerpt) && blank(&t.body) {
            continue;
        }
        let at = |f: &str| format!("translations.{locale}.{f}");
        let l = e.take(&format!("translations.{locale}"), Locale::parse(locale));
        let title = e.take(&at("title"), ContentTitle::parse(&t.title));
        let excerpt = optional_field(
            &mut e,
            &at("excerpt"),
            Some(&t.excerpt),
            ContentExcerpt::parse,
        );
        let body = optional_field(&mut e, &at("body"), Some(&t.body), ContentBody::parse);
        if let (Some(l), Some(title), Some(excerpt), Some(body)) = (l, title, excerpt, body) {
            translations.insert(
                l,
                Translation {
                    title,
                    excerpt,
                    body,
                },
            );
        }
    }
    // Counted before any is parsed: a flood of ids is one error, not one each.
    if i.products.len() > MAX_PROMO_PRODUCTS {
        return Err(ApiError::from(
            FieldError::new("products", "too_many", "at most 50 products in a promo")
                .with_param("max", MAX_PROMO_PRODUCTS),
        ));
    }
    let products: Vec<_> = i
        .products
        .iter()
        .enumerate()
        .map(|(n, id)| e.take(&format!("products[{n}]"), ProductId::parse(id)))
        .collect();
    finish(e)?;
    match (kind, slug) {
        (Some(kind), Some(slug)) => Ok(ContentFields {
            kind,
            slug,
            position: i.position,
            translations,
            products: products.into_iter().flatten().collect(),
        }),
        _ => Err(ApiError::new("validation", "invalid content")),
    }
}
