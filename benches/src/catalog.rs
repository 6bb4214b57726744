//! A seeded generator of a realistic shop: English and Russian product titles
//! (brand, adjective, product, size), EAN-13 barcodes, orders; written straight into
//! the state tables of a set-up shop, the way a migration or an import would.

// Benchmark set-up that fails has nothing to measure: the panic is the report.
#![allow(clippy::expect_used)]

use rusqlite::{params, Connection};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::locale::Locale;
use rustok_core::domain::money::Currency;
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::product::gs1_check_digit;
use rustok_core::domain::tenant::{Features, ShopName, TaxMode, TenantSettings, TenantSlug};
use rustok_core::service::{Actor, Shop, ShopSetup};
use rustok_core::store::Store;
use rustok_core::system::{OsEntropy, SystemClock};
use rustok_core::testing::SeededEntropy;
use std::path::Path;
use std::sync::Arc;

const BRANDS: &[&str] = &[
    "Vkusno",
    "Prostokvashino",
    "Babushkino",
    "Severnaya",
    "Zolotoe",
    "Lukoshko",
    "Volga",
    "Ural",
    "Sibir",
    "Kuban",
    "Altai",
    "Baltika",
    "Krasny",
    "Dobry",
    "Fruktovy",
    "Moloko+",
    "Greenfield",
    "Hillside",
    "Riverside",
    "Sunny Farm",
    "Nordic",
    "Valley",
    "Oakwood",
    "Bluebell",
    "Meadow",
    "Harvest",
    "Golden Field",
    "Silver Lake",
    "Evergreen",
    "Maple",
];

/// Products as (English, Russian).
const PRODUCTS: &[(&str, &str)] = &[
    ("milk", "молоко"),
    ("kefir", "кефир"),
    ("yogurt", "йогурт"),
    ("cheese", "сыр"),
    ("butter", "масло"),
    ("sour cream", "сметана"),
    ("cottage cheese", "творог"),
    ("bread", "хлеб"),
    ("baguette", "багет"),
    ("buns", "булочки"),
    ("cookies", "печенье"),
    ("crackers", "крекеры"),
    ("chocolate", "шоколад"),
    ("candy", "конфеты"),
    ("tea", "чай"),
    ("coffee", "кофе"),
    ("cocoa", "какао"),
    ("juice", "сок"),
    ("mineral water", "минеральная вода"),
    ("lemonade", "лимонад"),
    ("kvass", "квас"),
    ("apples", "яблоки"),
    ("pears", "груши"),
    ("bananas", "бананы"),
    ("oranges", "апельсины"),
    ("lemons", "лимоны"),
    ("grapes", "виноград"),
    ("potatoes", "картофель"),
    ("carrots", "морковь"),
    ("onions", "лук"),
    ("tomatoes", "помидоры"),
    ("cucumbers", "огурцы"),
    ("cabbage", "капуста"),
    ("beetroot", "свёкла"),
    ("rice", "рис"),
    ("buckwheat", "гречка"),
    ("oatmeal", "овсянка"),
    ("pasta", "макароны"),
    ("flour", "мука"),
    ("sugar", "сахар"),
    ("salt", "соль"),
    ("honey", "мёд"),
    ("jam", "варенье"),
    ("sunflower oil", "подсолнечное масло"),
    ("olive oil", "оливковое масло"),
    ("eggs", "яйца"),
    ("chicken", "курица"),
    ("beef", "говядина"),
    ("pork", "свинина"),
    ("sausages", "сосиски"),
    ("ham", "ветчина"),
    ("salmon", "лосось"),
    ("herring", "сельдь"),
    ("shrimp", "креветки"),
    ("dumplings", "пельмени"),
    ("pancakes", "блины"),
    ("ice cream", "мороженое"),
    ("cake", "торт"),
    ("muesli", "мюсли"),
    ("nuts", "орехи"),
];

/// Adjectives as (English, Russian).
const ADJECTIVES: &[(&str, &str)] = &[
    ("fresh", "свежий"),
    ("organic", "органический"),
    ("classic", "классический"),
    ("premium", "премиум"),
    ("light", "лёгкий"),
    ("whole", "цельный"),
    ("smoked", "копчёный"),
    ("sweet", "сладкий"),
    ("salted", "солёный"),
    ("frozen", "замороженный"),
    ("homemade", "домашний"),
    ("natural", "натуральный"),
    ("farm", "фермерский"),
    ("spicy", "острый"),
    ("creamy", "сливочный"),
    ("crispy", "хрустящий"),
    ("dark", "тёмный"),
    ("green", "зелёный"),
    ("red", "красный"),
    ("wholegrain", "цельнозерновой"),
];

const SIZES: &[(&str, &str)] = &[
    ("1 L", "1 л"),
    ("0.5 L", "0,5 л"),
    ("2 L", "2 л"),
    ("250 g", "250 г"),
    ("500 g", "500 г"),
    ("1 kg", "1 кг"),
    ("900 g", "900 г"),
    ("100 g", "100 г"),
    ("6 pcs", "6 шт"),
    ("10 pcs", "10 шт"),
];

/// A seeded random source.
pub struct Rng(SeededEntropy);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(SeededEntropy::new(seed))
    }

    /// A number below `n`.
    pub fn below(&self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Titles of product `i` in English and Russian.
pub fn titles(rng: &Rng) -> (String, String) {
    let brand = rng.pick(BRANDS);
    let (pe, pr) = rng.pick(PRODUCTS);
    let (ae, ar) = rng.pick(ADJECTIVES);
    let (se, sr) = rng.pick(SIZES);
    let mut en = format!("{brand} {ae} {pe} {se}");
    if let Some(c) = en.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    (en, format!("{brand} {pr} {ar} {sr}"))
}

/// The EAN-13 barcode of product `i`.
pub fn barcode(i: usize) -> String {
    let body = format!("46{:010}", i);
    let check = gs1_check_digit(body.as_bytes()) as char;
    format!("{body}{check}")
}

/// A set-up shop (real clock and entropy) on a database in `dir`.
pub fn shop(dir: &Path) -> (Arc<Shop>, Actor) {
    let store = Arc::new(Store::open(&dir.join("shop.db")).expect("bench database opens"));
    let shop = Arc::new(Shop::new(store, Arc::new(SystemClock), Arc::new(OsEntropy)));
    let admin = shop
        .set_up(ShopSetup {
            slug: ok(TenantSlug::parse("bench")),
            settings: TenantSettings {
                name: ok(ShopName::parse("Bench")),
                currency: ok(Currency::parse("EUR")),
                default_locale: ok(Locale::parse("en")),
                tax_mode: TaxMode::Inclusive,
                features: Features::default(),
                allow_oversell: false,
                shift_difference_limit: None,
                blind_count: false,
                discount_limit: None,
                address: None,
                kiosk_idle_secs: None,
            },
            device_code: ok(DeviceCode::parse("POS1")),
            admin_name: ok(OperatorName::parse("Admin")),
            admin_pin: ok(Pin::parse("1111")),
        })
        .expect("bench shop set up");
    (shop, admin)
}

/// Writes `products` products and `orders` orders straight into the state tables
/// (one transaction); returns every product's (English, Russian) titles.
pub fn fill(db: &Path, products: usize, orders: usize, seed: u64) -> Vec<(String, String)> {
    let rng = Rng::new(seed);
    let mut c = Connection::open(db).expect("bench database opens");
    let tenant: String = c
        .query_row("SELECT tenant_id FROM device", [], |r| r.get(0))
        .expect("set up");
    let tx = c.transaction().expect("transaction");
    let mut all = Vec::with_capacity(products);
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO products (id, tenant_id, sku, barcode, titles, descriptions, price, currency,
                 tax_rate_bp, status, on_hand, low_stock_threshold, version, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, '{}', ?6, 'EUR', 2000, ?7, ?8, 5, 1, '2026-11-22T10:00:00Z')",
            )
            .expect("prepare");
        for i in 0..products {
            let (en, ru) = titles(&rng);
            let titles = serde_json::json!({ "en": en, "ru": ru }).to_string();
            let status = if i % 50 == 7 { "archived" } else { "active" };
            ins.execute(params![
                uuid(&rng),
                tenant,
                format!("SKU-{i:07}"),
                barcode(i),
                titles,
                (50 + rng.below(5000)) as i64,
                status,
                rng.below(60) as i64,
            ])
            .expect("insert product");
            all.push((en, ru));
        }
        let mut ins = tx
            .prepare(
                "INSERT INTO orders (id, tenant_id, number, status, currency, tax_mode, net, tax, gross,
                 lines, payments, created_at, day, updated_at, n)
                 VALUES (?1, ?2, ?3, ?4, 'EUR', 'inclusive', 100, 20, 120, '[]', '[]', ?5, ?6, ?5, ?7)",
            )
            .expect("prepare");
        let statuses = [
            "delivered",
            "delivered",
            "delivered",
            "paid",
            "pending",
            "cancelled",
            "refunded",
        ];
        for i in 0..orders {
            let day = 1 + i % 28;
            let at = format!(
                "2026-10-{day:02}T{:02}:{:02}:{:02}.000Z",
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            );
            ins.execute(params![
                uuid(&rng),
                tenant,
                format!("POS1-{:06}", i + 1),
                rng.pick(&statuses),
                at,
                format!("2026-10-{day:02}"),
                i + 1,
            ])
            .expect("insert order");
        }
    }
    tx.commit().expect("commit");
    // One transaction of this size leaves the whole data set in the WAL, where every
    // later read would look it up; a shop's WAL is checkpointed and restarted every
    // thousand pages. Leave the file as a shop would have it.
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    })
    .expect("checkpoint");
    all
}

/// Unwraps a bench-setup result with its error in the panic message.
pub fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("bench setup: {e:?}"))
}

fn uuid(rng: &Rng) -> String {
    let hi = u128::from(rng.0.next_u64());
    let lo = u128::from(rng.0.next_u64());
    uuid_text((hi << 64) | lo)
}

fn uuid_text(v: u128) -> String {
    // Version 4 and variant bits, so the ids parse like any other.
    let v = (v & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `n` queries of 1–3 word beginnings (at least two letters each), taken from the
/// titles in either language, as a cashier types them.
pub fn queries(titles: &[(String, String)], n: usize, seed: u64) -> Vec<String> {
    let rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let (en, ru) = rng.pick(titles);
            let title = if rng.below(2) == 0 { en } else { ru };
            let words: Vec<&str> = title
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 2)
                .collect();
            let take = 1 + rng.below(3.min(words.len()));
            let start = rng.below(words.len() - take + 1);
            words[start..start + take]
                .iter()
                .map(|w| {
                    let len = w.chars().count();
                    let keep = 2 + rng.below(len - 1);
                    w.chars().take(keep).collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}
