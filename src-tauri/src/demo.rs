//! The demo shop a fresh installation can create: one operator per role with
//! documented PINs, 200 products with valid EAN-13 barcodes and English and Russian
//! titles, and a few content pages. Deterministic, so tests and the README can name
//! its barcodes.

use rustok_core::domain::content::{
    ContentBody, ContentExcerpt, ContentFields, ContentKind, ContentSlug, ContentTitle, Translation,
};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    gs1_check_digit, Barcode, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::{
    Features, ShopAddress, ShopName, TaxMode, TenantSettings, TenantSlug,
};
use rustok_core::domain::FieldError;
use rustok_core::service::{Actor, Shop, ShopError, ShopSetup};

/// The demo shop's address, printed on its receipts.
pub const ADDRESS: &str = "12 Market Street, Springfield";

/// The demo operators: name, role, PIN (documented in the README).
pub const OPERATORS: &[(&str, Role, &str)] = &[
    ("Alice Admin", Role::Admin, "1111"),
    ("Max Manager", Role::Manager, "2222"),
    ("Cara Cashier", Role::Cashier, "3333"),
    ("Kiosk", Role::Kiosk, "4444"),
];

/// Number of demo products.
pub const PRODUCTS: usize = 200;

const ITEMS: &[(&str, &str, i64)] = &[
    ("Tea", "Чай", 249),
    ("Coffee", "Кофе", 599),
    ("Milk", "Молоко", 119),
    ("Bread", "Хлеб", 189),
    ("Apples", "Яблоки", 229),
    ("Cheese", "Сыр", 459),
    ("Butter", "Масло", 279),
    ("Honey", "Мёд", 649),
    ("Chocolate", "Шоколад", 199),
    ("Juice", "Сок", 169),
    ("Rice", "Рис", 149),
    ("Pasta", "Макароны", 129),
    ("Sugar", "Сахар", 99),
    ("Eggs", "Яйца", 259),
    ("Yogurt", "Йогурт", 89),
    ("Buckwheat", "Гречка", 139),
    ("Salmon", "Лосось", 1299),
    ("Pelmeni", "Пельмени", 399),
    ("Kefir", "Кефир", 109),
    ("Cookies", "Печенье", 179),
];

const VARIANTS: &[(&str, &str, i64)] = &[
    ("Classic", "Классика", 0),
    ("Organic", "Органик", 60),
    ("Premium", "Премиум", 120),
    ("Family pack", "Семейная упаковка", 200),
    ("Mini", "Мини", -40),
    ("Extra", "Экстра", 30),
    ("Gold", "Золото", 150),
    ("Light", "Лайт", 10),
    ("Farm", "Ферма", 80),
    ("North", "Север", 40),
];

/// The EAN-13 barcode of demo product `i` (0-based): prefix 200 (GS1's range for
/// in-store numbers), the number, and the check digit.
pub fn barcode(i: usize) -> String {
    let body = format!("200{:09}", i + 1);
    let check = gs1_check_digit(body.as_bytes()) as char;
    format!("{body}{check}")
}

/// English title, Russian title and price (minor units) of demo product `i`.
pub fn product(i: usize) -> (String, String, i64) {
    let (en, ru, base) = ITEMS[i % ITEMS.len()];
    let (ven, vru, extra) = VARIANTS[(i / ITEMS.len()) % VARIANTS.len()];
    (format!("{en} {ven}"), format!("{ru} {vru}"), base + extra)
}

fn field<T>(r: Result<T, FieldError>) -> Result<T, ShopError> {
    r.map_err(ShopError::from)
}

fn locale(tag: &str) -> Result<Locale, ShopError> {
    field(Locale::parse(tag))
}

/// Creates the demo shop on an empty device and returns the admin, logged in.
pub fn create(shop: &Shop) -> Result<Actor, ShopError> {
    let (en, ru) = (locale("en")?, locale("ru")?);
    let currency = field(Currency::parse("EUR"))?;
    let (admin_name, _, admin_pin) = OPERATORS[0];
    let admin = shop.set_up(ShopSetup {
        slug: field(TenantSlug::parse("demo-shop"))?,
        settings: TenantSettings {
            name: field(ShopName::parse("RusToK Demo Shop"))?,
            currency,
            default_locale: en.clone(),
            tax_mode: TaxMode::Inclusive,
            features: Features {
                commerce: true,
                content: true,
                kiosk: true,
            },
            allow_oversell: false,
            // A shortfall or surplus above 5.00 needs a manager.
            shift_difference_limit: Some(500),
            blind_count: false,
            // A cashier gives up to 10 % off a sale; more needs a manager.
            discount_limit: Some(1000),
            address: Some(field(ShopAddress::parse(ADDRESS))?),
            kiosk_idle_secs: None,
        },
        device_code: field(DeviceCode::parse("POS1"))?,
        admin_name: field(OperatorName::parse(admin_name))?,
        admin_pin: field(Pin::parse(admin_pin))?,
    })?;
    for (name, role, pin) in &OPERATORS[1..] {
        shop.create_operator(
            &admin,
            field(OperatorName::parse(name))?,
            *role,
            &field(Pin::parse(pin))?,
        )?;
    }
    for i in 0..PRODUCTS {
        let (title_en, title_ru, price) = product(i);
        let fields = ProductFields {
            sku: field(Sku::parse(&format!("DEMO-{:03}", i + 1)))?,
            barcode: Some(field(Barcode::parse(&barcode(i)))?),
            titles: Localized::new()
                .with(en.clone(), field(ProductTitle::parse(&title_en))?)
                .with(ru.clone(), field(ProductTitle::parse(&title_ru))?),
            descriptions: Localized::new(),
            price: Money::new(price, currency),
            tax_rate: field(TaxRate::from_basis_points(if i % 4 == 0 {
                1000
            } else {
                2000
            }))?,
            low_stock_threshold: 5,
            category: None,
            image: None,
        };
        let p = shop.create_product(&admin, fields, ProductStatus::Active)?;
        // Every seventh product is nearly sold out, so low stock shows up in the demo.
        let stock = if i % 7 == 3 { 4 } else { 50 };
        shop.receive_stock(&admin, p.id, field(Quantity::new(stock))?, None)?;
    }
    for (slug, kind, en_title, ru_title, publish) in [
        (
            "opening-hours",
            ContentKind::Page,
            "Opening hours",
            "Часы работы",
            true,
        ),
        (
            "spring-sale",
            ContentKind::Promo,
            "Spring sale: 10 % off tea",
            "Весенняя распродажа: чай −10 %",
            true,
        ),
        (
            "returns",
            ContentKind::Article,
            "How returns work",
            "Как вернуть товар",
            false,
        ),
    ] {
        let text = |t: &str| -> Result<Translation, ShopError> {
            Ok(Translation {
                title: field(ContentTitle::parse(t))?,
                excerpt: Some(field(ContentExcerpt::parse(t))?),
                body: Some(field(ContentBody::parse(&format!(
                    "# {t}\n\nRusToK Demo Shop"
                )))?),
            })
        };
        let node = shop.create_content(
            &admin,
            ContentFields {
                kind,
                slug: field(ContentSlug::parse(slug))?,
                position: 0,
                translations: Localized::new()
                    .with(en.clone(), text(en_title)?)
                    .with(ru.clone(), text(ru_title)?),
            },
        )?;
        if publish {
            shop.publish_content(&admin, node.data().id)?;
        }
    }
    tracing::info!(products = PRODUCTS, "demo shop created");
    Ok(admin)
}
