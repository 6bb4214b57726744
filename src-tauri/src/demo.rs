//! The demo shop a fresh installation can create: one operator per role with
//! documented PINs, 200 products with valid EAN-13 barcodes, English and Russian
//! titles, five categories and a drawn picture each, and a few content pages.
//! Deterministic, so tests and the README can name its barcodes.

use rustok_core::domain::category::{CategoryFields, CategoryName};
use rustok_core::domain::content::{
    ContentBody, ContentExcerpt, ContentFields, ContentKind, ContentSlug, ContentTitle, Translation,
};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    gs1_check_digit, Barcode, ProductDescription, ProductFields, ProductStatus, ProductTitle, Sku,
    TaxRate,
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

/// Title, excerpt and Markdown body of a demo text in one language.
type Text = (&'static str, &'static str, &'static str);

/// The demo's content: slug, kind, English and Russian text, published or not.
const CONTENT: &[(&str, ContentKind, Text, Text, bool)] = &[
    (
        "opening-hours",
        ContentKind::Page,
        (
            "Opening hours",
            "Monday to Saturday 8:00–22:00, Sunday 9:00–21:00.",
            "- Monday to Saturday: 8:00–22:00\n- Sunday: 9:00–21:00\n\nThe kiosk takes orders whenever the shop is open; pay at the counter.",
        ),
        (
            "Часы работы",
            "Понедельник — суббота 8:00–22:00, воскресенье 9:00–21:00.",
            "- Понедельник — суббота: 8:00–22:00\n- Воскресенье: 9:00–21:00\n\nКиоск принимает заказы, пока магазин открыт; оплата на кассе.",
        ),
        true,
    ),
    (
        "spring-sale",
        ContentKind::Promo,
        (
            "Spring sale: 10 % off tea",
            "Every tea, this week only: ask at the counter.",
            "Ten per cent off every tea until Sunday. The discount is given at the counter.",
        ),
        (
            "Весенняя распродажа: чай −10 %",
            "Скидка на весь чай только на этой неделе — спросите на кассе.",
            "Скидка 10 % на весь чай до воскресенья. Скидку дают на кассе.",
        ),
        true,
    ),
    (
        "returns",
        ContentKind::Article,
        (
            "How returns work",
            "Bring the receipt within 14 days.",
            "Bring the item and its receipt to the counter within 14 days.",
        ),
        (
            "Как вернуть товар",
            "Принесите чек в течение 14 дней.",
            "Принесите товар и чек на кассу в течение 14 дней.",
        ),
        false,
    ),
];

/// Number of demo products.
pub const PRODUCTS: usize = 200;

/// The demo's categories: English and Russian names.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("Drinks", "Напитки"),
    ("Dairy", "Молочное"),
    ("Bakery and sweets", "Выпечка и сладости"),
    ("Groceries", "Бакалея"),
    ("Fresh and frozen", "Свежее и замороженное"),
];

/// English and Russian description of each kind of item (as [`ITEMS`]), shown on the
/// kiosk's product screen.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("Black tea, 25 bags.", "Чёрный чай, 25 пакетиков."),
    ("Ground coffee, 250 g.", "Молотый кофе, 250 г."),
    ("Fresh milk, 3.2 % fat, 1 l.", "Свежее молоко 3,2 %, 1 л."),
    (
        "Rye and wheat loaf, baked this morning.",
        "Ржано-пшеничный хлеб, испечён сегодня утром.",
    ),
    ("Red apples, 1 kg.", "Красные яблоки, 1 кг."),
    ("Hard cheese, 200 g.", "Твёрдый сыр, 200 г."),
    ("Butter, 82 % fat, 180 g.", "Сливочное масло 82 %, 180 г."),
    ("Flower honey, 250 g jar.", "Цветочный мёд, банка 250 г."),
    ("Milk chocolate, 100 g.", "Молочный шоколад, 100 г."),
    ("Apple juice, 1 l.", "Яблочный сок, 1 л."),
    ("Long-grain rice, 900 g.", "Длиннозёрный рис, 900 г."),
    (
        "Durum wheat pasta, 500 g.",
        "Макароны из твёрдых сортов пшеницы, 500 г.",
    ),
    ("White sugar, 1 kg.", "Белый сахар, 1 кг."),
    ("Ten eggs, size M.", "Десяток яиц, категория С1."),
    ("Plain yogurt, 150 g.", "Натуральный йогурт, 150 г."),
    ("Buckwheat groats, 900 g.", "Гречневая крупа, 900 г."),
    (
        "Chilled salmon fillet, 300 g.",
        "Охлаждённое филе лосося, 300 г.",
    ),
    (
        "Frozen pelmeni with beef and pork, 800 g.",
        "Замороженные пельмени с говядиной и свининой, 800 г.",
    ),
    ("Kefir, 2.5 % fat, 930 ml.", "Кефир 2,5 %, 930 мл."),
    ("Oat cookies, 300 g.", "Овсяное печенье, 300 г."),
];

/// English and Russian name, base price, and category (an index into
/// [`CATEGORIES`]) of each kind of item.
const ITEMS: &[(&str, &str, i64, usize)] = &[
    ("Tea", "Чай", 249, 0),
    ("Coffee", "Кофе", 599, 0),
    ("Milk", "Молоко", 119, 1),
    ("Bread", "Хлеб", 189, 2),
    ("Apples", "Яблоки", 229, 4),
    ("Cheese", "Сыр", 459, 1),
    ("Butter", "Масло", 279, 1),
    ("Honey", "Мёд", 649, 2),
    ("Chocolate", "Шоколад", 199, 2),
    ("Juice", "Сок", 169, 0),
    ("Rice", "Рис", 149, 3),
    ("Pasta", "Макароны", 129, 3),
    ("Sugar", "Сахар", 99, 3),
    ("Eggs", "Яйца", 259, 1),
    ("Yogurt", "Йогурт", 89, 1),
    ("Buckwheat", "Гречка", 139, 3),
    ("Salmon", "Лосось", 1299, 4),
    ("Pelmeni", "Пельмени", 399, 4),
    ("Kefir", "Кефир", 109, 1),
    ("Cookies", "Печенье", 179, 2),
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

/// The category (an index into [`CATEGORIES`]) of demo product `i`.
pub fn category(i: usize) -> usize {
    ITEMS[i % ITEMS.len()].3
}

/// A picture for a kind of item: a disc and its shadow on a soft background, in
/// colours of its own (the demo ships no photographs), as PNG bytes.
fn picture(kind: usize) -> Vec<u8> {
    // Hues spread around the colour wheel, one per kind.
    let hue = (kind as f32 * 137.5) % 360.0;
    let rgb = |h: f32, s: f32, l: f32| -> image::Rgb<u8> {
        let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
        let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
        let (r, g, b) = match h as u32 / 60 {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        let m = l - c / 2.0;
        let byte = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
        image::Rgb([byte(r), byte(g), byte(b)])
    };
    let (back, disc, shade) = (rgb(hue, 0.5, 0.92), rgb(hue, 0.6, 0.5), rgb(hue, 0.3, 0.8));
    let img = image::RgbImage::from_fn(240, 240, |x, y| {
        let d = |cx: f32, cy: f32| ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        if d(120.0, 112.0) < 70.0 {
            disc
        } else if d(128.0, 124.0) < 72.0 {
            shade
        } else {
            back
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    // Writing a small image to memory cannot fail short of running out of memory.
    match img.write_to(&mut png, image::ImageFormat::Png) {
        Ok(()) => png.into_inner(),
        Err(_) => Vec::new(),
    }
}

/// English title, Russian title and price (minor units) of demo product `i`.
pub fn product(i: usize) -> (String, String, i64) {
    let (en, ru, base, _) = ITEMS[i % ITEMS.len()];
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
            // Short, so whoever tries the kiosk sees it start over.
            kiosk_idle_secs: Some(30),
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
    let mut categories = Vec::with_capacity(CATEGORIES.len());
    for (position, (name_en, name_ru)) in (0u32..).zip(CATEGORIES) {
        let k = shop.create_category(
            &admin,
            CategoryFields {
                names: Localized::new()
                    .with(en.clone(), field(CategoryName::parse(name_en))?)
                    .with(ru.clone(), field(CategoryName::parse(name_ru))?),
                position,
                parent: None,
            },
        )?;
        categories.push(k.id);
    }
    // A device that keeps no pictures (see `Shop::attach_images`) gets none.
    let pictures = match shop.images() {
        Some(_) => (0..ITEMS.len())
            .map(|kind| shop.store_image(&admin, &picture(kind)).map(Some))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![None; ITEMS.len()],
    };
    // The spring sale is about tea: the kiosk marks every tea's tile.
    let mut teas = Vec::new();
    for i in 0..PRODUCTS {
        let (title_en, title_ru, price) = product(i);
        let fields = ProductFields {
            sku: field(Sku::parse(&format!("DEMO-{:03}", i + 1)))?,
            barcode: Some(field(Barcode::parse(&barcode(i)))?),
            titles: Localized::new()
                .with(en.clone(), field(ProductTitle::parse(&title_en))?)
                .with(ru.clone(), field(ProductTitle::parse(&title_ru))?),
            descriptions: {
                let (d_en, d_ru) = DESCRIPTIONS[i % DESCRIPTIONS.len()];
                Localized::new()
                    .with(en.clone(), field(ProductDescription::parse(d_en))?)
                    .with(ru.clone(), field(ProductDescription::parse(d_ru))?)
            },
            price: Money::new(price, currency),
            tax_rate: field(TaxRate::from_basis_points(if i % 4 == 0 {
                1000
            } else {
                2000
            }))?,
            low_stock_threshold: 5,
            category: categories.get(category(i)).copied(),
            image: pictures[i % ITEMS.len()].clone(),
        };
        let p = shop.create_product(&admin, fields, ProductStatus::Active)?;
        if i % ITEMS.len() == 0 {
            teas.push(p.id);
        }
        // Every seventh product is nearly sold out, so low stock shows up in the demo.
        let stock = if i % 7 == 3 { 4 } else { 50 };
        shop.receive_stock(&admin, p.id, field(Quantity::new(stock))?, None)?;
    }
    for (slug, kind, en_text, ru_text, publish) in CONTENT {
        let text = |(title, excerpt, body): (&str, &str, &str)| -> Result<Translation, ShopError> {
            Ok(Translation {
                title: field(ContentTitle::parse(title))?,
                excerpt: Some(field(ContentExcerpt::parse(excerpt))?),
                body: Some(field(ContentBody::parse(body))?),
            })
        };
        let node = shop.create_content(
            &admin,
            ContentFields {
                kind: *kind,
                slug: field(ContentSlug::parse(slug))?,
                position: 0,
                translations: Localized::new()
                    .with(en.clone(), text(*en_text)?)
                    .with(ru.clone(), text(*ru_text)?),
                products: if *kind == ContentKind::Promo {
                    teas.clone()
                } else {
                    Vec::new()
                },
            },
        )?;
        if *publish {
            shop.publish_content(&admin, node.data().id)?;
        }
    }
    tracing::info!(products = PRODUCTS, "demo shop created");
    Ok(admin)
}
