//! `checkout_commit`: a durable 5-line counter sale with a cash payment and all its
//! events, against a bare rusqlite transaction that inserts the same number of rows
//! with the same pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE) on the same disk.

use criterion::{criterion_group, Criterion};
use rusqlite::{params, Connection, TransactionBehavior};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::payment::Tender;
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    Product, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::{Features, ShopName, TaxMode, TenantSettings, TenantSlug};
use rustok_core::service::{Actor, NewLine, NewOrder, Shop, ShopSetup};
use rustok_core::store::Store;
use rustok_core::system::{OsEntropy, SystemClock};
use std::sync::Arc;

const GROUP: &str = "checkout_commit";

struct Till {
    shop: Shop,
    cashier: Actor,
    products: Vec<Product>,
}

fn parse<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("bench setup: {e:?}"))
}

fn till(dir: &std::path::Path) -> Till {
    let store = Arc::new(parse(Store::open(&dir.join("shop.db"))));
    let shop = Shop::new(store, Arc::new(SystemClock), Arc::new(OsEntropy));
    let en = parse(Locale::parse("en"));
    let eur = parse(Currency::parse("EUR"));
    let admin = parse(shop.set_up(ShopSetup {
        slug: parse(TenantSlug::parse("bench")),
        settings: TenantSettings {
            name: parse(ShopName::parse("Bench")),
            currency: eur,
            default_locale: en.clone(),
            tax_mode: TaxMode::Inclusive,
            features: Features::default(),
            allow_oversell: false,
            shift_difference_limit: None,
            blind_count: false,
            discount_limit: None,
            address: None,
            kiosk_idle_secs: None,
        },
        device_code: parse(DeviceCode::parse("POS1")),
        admin_name: parse(OperatorName::parse("Admin")),
        admin_pin: parse(Pin::parse("1111")),
    }));
    let op = parse(shop.create_operator(
        &admin,
        parse(OperatorName::parse("Cashier")),
        Role::Cashier,
        &parse(Pin::parse("2222")),
    ));
    let cashier = parse(shop.login(op.id, &parse(Pin::parse("2222"))));
    let products = (0..5)
        .map(|i| {
            let fields = ProductFields {
                sku: parse(Sku::parse(&format!("SKU-{i}"))),
                barcode: None,
                titles: Localized::new().with(
                    en.clone(),
                    parse(ProductTitle::parse(&format!("Product number {i}"))),
                ),
                descriptions: Localized::new(),
                price: Money::new(199 + i * 100, eur),
                tax_rate: parse(TaxRate::from_basis_points(2000)),
                low_stock_threshold: 0,
                category: None,
                image: None,
            };
            let p = parse(shop.create_product(&admin, fields, ProductStatus::Active));
            parse(shop.receive_stock(&admin, p.id, parse(Quantity::new(1_000_000)), None));
            p
        })
        .collect();
    parse(shop.open_cash_session(&cashier, 10_000));
    Till {
        shop,
        cashier,
        products,
    }
}

fn sale(t: &Till) {
    let lines = t
        .products
        .iter()
        .map(|p| NewLine {
            product_id: p.id,
            quantity: parse(Quantity::new(1)),
            discount: None,
        })
        .collect();
    let total: i64 = t.products.iter().map(|p| p.fields.price.minor).sum();
    parse(t.shop.counter_sale(
        &t.cashier,
        NewOrder {
            lines,
            ..NewOrder::default()
        },
        &[Tender::Cash {
            amount: total,
            tendered: total + 1_000,
        }],
    ));
}

/// Rows one sale writes (inserts and updates), measured rather than assumed.
fn rows_per_sale(t: &Till) -> usize {
    let path = t.shop.store().path().to_owned();
    let count = || -> i64 {
        let c = parse(Connection::open(&path));
        ["orders", "stock_movements", "events"]
            .iter()
            .map(|tbl| {
                parse(
                    c.query_row(&format!("SELECT count(*) FROM {tbl}"), [], |r| {
                        r.get::<_, i64>(0)
                    }),
                )
            })
            .sum()
    };
    let before = count();
    sale(t);
    let inserted = usize::try_from(count() - before).unwrap_or(0);
    // Updates: 5 products' stock, the open cash session's totals, and the new
    // order's event history (the device row is no longer written by a sale).
    inserted + t.products.len() + 2
}

/// The floor: one table, and a transaction that inserts `rows` rows into it.
struct Floor {
    conn: Connection,
    rows: usize,
    value: String,
    n: i64,
}

impl Floor {
    fn new(dir: &std::path::Path, rows: usize) -> Floor {
        let conn = parse(Connection::open(dir.join("floor.db")));
        parse(conn.pragma_update(None, "journal_mode", "WAL"));
        parse(conn.pragma_update(None, "synchronous", "FULL"));
        parse(conn.pragma_update(None, "foreign_keys", "ON"));
        parse(conn.execute_batch(
            "CREATE TABLE rows (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)",
        ));
        // An id and ~200 bytes of JSON a row: smaller than most of a sale's rows (its
        // events average ~540 bytes, its order ~1.2 KB), so if anything a low floor.
        let value = format!(
            "{{\"order_id\":\"0192f0e4-0000-7000-8000-000000000001\",\"x\":\"{}\"}}",
            "v".repeat(140)
        );
        Floor {
            conn,
            rows,
            value,
            n: 0,
        }
    }

    fn commit(&mut self) {
        let tx = parse(
            self.conn
                .transaction_with_behavior(TransactionBehavior::Immediate),
        );
        {
            let mut st = parse(tx.prepare_cached("INSERT INTO rows (k, v) VALUES (?1, ?2)"));
            for _ in 0..self.rows {
                self.n += 1;
                parse(st.execute(params![self.n.to_string(), self.value]));
            }
        }
        parse(tx.commit());
    }
}

fn bench(c: &mut Criterion) {
    let dir = parse(tempfile::tempdir_in(rustok_benches::scratch_dir()));
    let t = till(dir.path());
    let rows = rows_per_sale(&t);
    eprintln!("{GROUP}: one sale writes {rows} rows; the floor inserts as many");
    let mut floor = Floor::new(dir.path(), rows);

    let mut g = c.benchmark_group(GROUP);
    g.sample_size(200);
    g.bench_function("counter_sale_5_lines", |b| b.iter(|| sale(&t)));
    g.bench_function("bare_sqlite_same_rows", |b| b.iter(|| floor.commit()));
    g.finish();
}

criterion_group!(benches, bench);

/// `RUSTOK_SALES=<n>`: set up a till in `RUSTOK_BENCH_DIR` (or `target/`) and make
/// `n` sales, without criterion, printing the time per sale. Run under
/// `valgrind --tool=callgrind` with two values of `n`, the difference in instructions
/// divided by the difference in sales is what one sale costs the CPU, a figure that
/// does not vary with the disk or the machine's load.
fn plain_sales(n: u32) {
    let dir = parse(tempfile::tempdir_in(rustok_benches::scratch_dir()));
    let t = till(dir.path());
    let start = std::time::Instant::now();
    for _ in 0..n {
        sale(&t);
    }
    let per_sale = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    rustok_benches::report_line(&format!("SALES {n}: {per_sale:.1} µs per sale"));
}

/// `RUSTOK_FLOOR=<n>`: the same for `n` of the floor's transactions, with as many
/// rows as a sale writes, so the two can be counted and traced alike.
fn plain_floor(n: u32) {
    let dir = parse(tempfile::tempdir_in(rustok_benches::scratch_dir()));
    let t = till(dir.path());
    let mut floor = Floor::new(dir.path(), rows_per_sale(&t));
    drop(t);
    let start = std::time::Instant::now();
    for _ in 0..n {
        floor.commit();
    }
    let per_tx = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    rustok_benches::report_line(&format!("FLOOR {n}: {per_tx:.1} µs per transaction"));
}

fn main() {
    let plain = |var: &str| std::env::var(var).ok().and_then(|v| v.parse().ok());
    if let Some(n) = plain("RUSTOK_SALES") {
        plain_sales(n);
        return;
    }
    if let Some(n) = plain("RUSTOK_FLOOR") {
        plain_floor(n);
        return;
    }
    let started = std::time::SystemTime::now();
    benches();
    Criterion::default().configure_from_args().final_summary();
    rustok_benches::report_ratio(
        GROUP,
        "counter_sale_5_lines",
        "bare_sqlite_same_rows",
        started,
    );
}
