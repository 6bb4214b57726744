//! One place to build a shop on a real SQLite file, with an operator of every role.

use rustok_core::domain::clock::Timestamp;
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::ids::{OrderId, TenantId};
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::order::{price_lines, AnyOrder, LineSpec, OrderData, OrderNumber};
use rustok_core::domain::payment::{PaymentMethod, RefundLineRequest, RefundRequest, Tender};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    gs1_check_digit, Barcode, Product, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::{
    Features, ShopAddress, ShopName, TaxMode, TenantSettings, TenantSlug,
};
use rustok_core::service::{Actor, NewLine, NewOrder, Shop, ShopSetup};
use rustok_core::store::{ImageStore, Store};
use rustok_core::testing::{ManualClock, SeededEntropy};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// 2026-11-21T11:20:00Z.
pub const START: Timestamp = Timestamp::from_unix_millis(1_795_260_000_000);

pub fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

pub fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

pub fn eur_cents(minor: i64) -> Money {
    Money::new(minor, eur())
}

pub fn en() -> Locale {
    Locale::parse("en").unwrap()
}

pub fn ru() -> Locale {
    Locale::parse("ru").unwrap()
}

/// A valid EAN-13 built from `n`.
pub fn ean13(n: u64) -> Barcode {
    let body = format!("{:012}", n % 1_000_000_000_000);
    let check = gs1_check_digit(body.as_bytes()) as char;
    Barcode::parse(&format!("{body}{check}")).unwrap()
}

pub fn settings(tax_mode: TaxMode, allow_oversell: bool) -> TenantSettings {
    TenantSettings {
        name: ShopName::parse("Corner Shop").unwrap(),
        currency: eur(),
        default_locale: en(),
        tax_mode,
        features: Features::default(),
        allow_oversell,
        shift_difference_limit: None,
        blind_count: false,
        discount_limit: Some(1000),
        address: Some(ShopAddress::parse("3 Corner Lane, Townsville").unwrap()),
        kiosk_idle_secs: None,
    }
}

pub fn product_fields(sku: &str, price: i64, barcode: Option<Barcode>) -> ProductFields {
    ProductFields {
        sku: Sku::parse(sku).unwrap(),
        barcode,
        titles: Localized::new()
            .with(en(), ProductTitle::parse(&format!("Item {sku}")).unwrap())
            .with(ru(), ProductTitle::parse(&format!("Товар {sku}")).unwrap()),
        descriptions: Localized::new(),
        price: eur_cents(price),
        tax_rate: TaxRate::from_basis_points(2000).unwrap(),
        low_stock_threshold: 2,
        category: None,
        image: None,
    }
}

/// A category named `name` in English and Russian, at `position`, under `parent`.
pub fn category_fields(
    name: &str,
    position: u32,
    parent: Option<rustok_core::domain::ids::CategoryId>,
) -> rustok_core::domain::category::CategoryFields {
    use rustok_core::domain::category::{CategoryFields, CategoryName};
    CategoryFields {
        names: Localized::new()
            .with(en(), CategoryName::parse(name).unwrap())
            .with(
                ru(),
                CategoryName::parse(&format!("Раздел {name}")).unwrap(),
            ),
        position,
        parent,
    }
}

/// A PNG of `w`×`h` pixels, half transparent red (a real file, as a camera or an
/// editor would write it).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 0, 0, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub struct TestShop {
    pub dir: TempDir,
    pub shop: Arc<Shop>,
    pub clock: Arc<ManualClock>,
    pub admin: Actor,
    pub manager: Actor,
    pub cashier: Actor,
    pub kiosk: Actor,
}

pub const PINS: [(Role, &str); 4] = [
    (Role::Admin, "1111"),
    (Role::Manager, "2222"),
    (Role::Cashier, "3333"),
    (Role::Kiosk, "4444"),
];

pub fn open_shop(path: &Path, clock: Arc<ManualClock>, seed: u64) -> Shop {
    let store = Arc::new(Store::open(path).unwrap());
    Shop::new(store, clock, Arc::new(SeededEntropy::new(seed)))
}

/// A set-up shop with an operator of every role, logged in.
pub fn spawn_shop() -> TestShop {
    spawn_shop_with(TaxMode::Inclusive, false)
}

pub fn spawn_shop_with(tax_mode: TaxMode, allow_oversell: bool) -> TestShop {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let shop = Arc::new(open_shop(&dir.path().join("shop.db"), clock.clone(), 7));
    shop.attach_images(ImageStore::open(&dir.path().join("images")).unwrap());
    let admin = shop
        .set_up(ShopSetup {
            slug: TenantSlug::parse("corner").unwrap(),
            settings: settings(tax_mode, allow_oversell),
            device_code: DeviceCode::parse("POS1").unwrap(),
            admin_name: OperatorName::parse("Ada Admin").unwrap(),
            admin_pin: pin(PINS[0].1),
        })
        .unwrap();
    let login = |role: Role, name: &str, p: &str| {
        let op = shop
            .create_operator(&admin, OperatorName::parse(name).unwrap(), role, &pin(p))
            .unwrap();
        shop.login(op.id, &pin(p)).unwrap()
    };
    let manager = login(Role::Manager, "Max Manager", PINS[1].1);
    let cashier = login(Role::Cashier, "Cara Cashier", PINS[2].1);
    let kiosk = login(Role::Kiosk, "Kiosk 1", PINS[3].1);
    TestShop {
        dir,
        shop,
        clock,
        admin,
        manager,
        cashier,
        kiosk,
    }
}

impl TestShop {
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("shop.db")
    }

    pub fn actor(&self, role: Role) -> &Actor {
        match role {
            Role::Admin => &self.admin,
            Role::Manager => &self.manager,
            Role::Cashier => &self.cashier,
            Role::Kiosk => &self.kiosk,
        }
    }

    /// An active product with `stock` units on hand.
    pub fn product(&self, sku: &str, price: i64, stock: i64) -> Product {
        let n: u64 = sku
            .bytes()
            .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let p = self
            .shop
            .create_product(
                &self.manager,
                product_fields(sku, price, Some(ean13(n))),
                ProductStatus::Active,
            )
            .unwrap();
        if stock > 0 {
            self.shop
                .receive_stock(&self.manager, p.id, Quantity::new(stock).unwrap(), None)
                .unwrap();
        }
        self.shop.product(&self.manager, p.id).unwrap()
    }

    pub fn open_shift(&self, float: i64) {
        self.shop.open_cash_session(&self.cashier, float).unwrap();
    }

    /// A counter sale paid exactly by card.
    pub fn sell(&self, lines: &[(&Product, i64)]) -> AnyOrder {
        let order = NewOrder {
            lines: lines
                .iter()
                .map(|(p, q)| NewLine {
                    product_id: p.id,
                    quantity: Quantity::new(*q).unwrap(),
                    discount: None,
                })
                .collect(),
            ..NewOrder::default()
        };
        let total: i64 = lines.iter().map(|(p, q)| p.fields.price.minor * q).sum();
        self.shop
            .counter_sale(
                &self.cashier,
                order,
                &[Tender::Card {
                    amount: total,
                    reference: None,
                }],
            )
            .unwrap()
    }

    pub fn event_count(&self) -> u64 {
        self.shop.store().outbox_status().unwrap().last_seq
    }

    /// Every row of every table, so a test can tell whether anything changed.
    pub fn fingerprint(&self) -> Vec<String> {
        fingerprint(&self.db_path())
    }
}

pub fn new_order(lines: &[(&Product, i64)]) -> NewOrder {
    NewOrder {
        lines: lines
            .iter()
            .map(|(p, q)| NewLine {
                product_id: p.id,
                quantity: Quantity::new(*q).unwrap(),
                discount: None,
            })
            .collect(),
        ..NewOrder::default()
    }
}

pub fn fingerprint(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// A full refund to the card, with the goods put back on the shelf or not.
pub fn card_refund(restock: bool) -> RefundRequest {
    RefundRequest {
        to: Some(PaymentMethod::Card),
        ..RefundRequest::everything(restock)
    }
}

/// `units` of line `line`, restocked or not.
pub fn line_refund(line: usize, units: i64, restock: bool) -> RefundLineRequest {
    RefundLineRequest {
        line,
        quantity: Quantity::new(units).unwrap(),
        restock,
    }
}

/// An order as the domain builds it, from priced `specs` (no storage).
pub fn order_data(specs: Vec<LineSpec>, mode: TaxMode) -> OrderData {
    let (lines, totals) = price_lines(specs, mode, None).unwrap();
    OrderData {
        id: OrderId::from_uuid(uuid::Uuid::from_u128(2)),
        tenant_id: TenantId::from_uuid(uuid::Uuid::from_u128(3)),
        number: OrderNumber::parse("POS1-000001").unwrap(),
        currency: eur(),
        tax_mode: mode,
        lines,
        totals,
        customer: None,
        notes: None,
        payments: Vec::new(),
        tracking: None,
        cancel_reason: None,
        refunds: Vec::new(),
        created_at: Timestamp::from_unix_millis(0),
    }
}
