//! One central on loopback per test, on the backend the test runs against, and
//! devices copied from a set-up template.

use rustok_central::{store, Central, Limits};
use rustok_core::domain::clock::Timestamp;
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
use rustok_core::system::SystemClock;
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_sync::breaker::{Breaker, BreakerConfig, SystemMonotonic};
use rustok_sync::client::{self, Client};
use rustok_sync::credentials::Credentials;
use rustok_sync::relay::{BatchLimits, Relay};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
/// 2026-11-21T10:00:00Z.
pub const START: Timestamp = Timestamp::from_unix_millis(1_795_255_200_000);

/// The backend a story runs against. Every story of this suite runs on both: the
/// [`on_both`] macro makes a `sqlite::` and a `postgres::` test of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// SQLite in a temporary folder.
    Sqlite,
    /// A fresh schema of the PostgreSQL at `RUSTOK_TEST_DATABASE_URL`.
    Postgres,
}

tokio::task_local! {
    static DB: Db;
}

impl Db {
    /// Runs `story` with this backend as the one [`new_backend`] opens.
    pub async fn run<F: std::future::Future>(self, story: F) -> F::Output {
        DB.scope(self, story).await
    }

    /// The backend of the running story.
    pub fn current() -> Db {
        DB.try_with(|db| *db)
            .expect("a story runs inside Db::run (declare it with on_both!)")
    }
}

/// Declares each named story (an `async fn()`) as two tests, `sqlite::name` and
/// `postgres::name`, on a two-thread runtime.
#[macro_export]
macro_rules! on_both {
    ($($story:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    $crate::helpers::Db::Sqlite.run(super::$story()).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    $crate::helpers::Db::Postgres.run(super::$story()).await
                }
            )+
        }
    };
}

/// The PostgreSQL server the tests use: `RUSTOK_TEST_DATABASE_URL` (`make test` starts
/// a throwaway one and sets it; a developer may point it at their own).
pub fn pg_url() -> String {
    std::env::var("RUSTOK_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "RUSTOK_TEST_DATABASE_URL is not set: run the suite through `make test`, or \
             `bash scripts/with-postgres.sh cargo test -p rustok-central`, or set it to a \
             PostgreSQL database you own (postgres://user@127.0.0.1:5432/db)"
        )
    })
}

/// What keeps a test's data alive: a folder, or a PostgreSQL schema (dropped at the end).
pub enum Keep {
    Dir(tempfile::TempDir),
    Schema(PgSchema),
}

/// A schema of its own for one test; dropped with everything in it at the end.
pub struct PgSchema {
    pub name: String,
    /// A URL whose connections use only this schema.
    pub url: String,
}

impl PgSchema {
    pub async fn new() -> PgSchema {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("t{}_{nanos}_{n}", std::process::id());
        let base = pg_url();
        let admin = pg_connect(&base).await;
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        PgSchema { name, url }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (name, base) = (self.name.clone(), pg_url());
        // Out of the test's runtime, which may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let c = pg_connect(&base).await;
                let _ = c
                    .batch_execute(&format!(
                        "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {name} CASCADE"
                    ))
                    .await;
            });
        })
        .join();
    }
}

/// A plain connection (its driver task spawned on the current runtime).
pub async fn pg_connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(conn);
    client
}

/// A fresh, empty backend of the running story's kind.
pub async fn new_backend() -> (Arc<dyn store::Backend>, Keep) {
    let keep = match Db::current() {
        Db::Sqlite => Keep::Dir(tempfile::tempdir().unwrap()),
        Db::Postgres => Keep::Schema(PgSchema::new().await),
    };
    (keep.open().await, keep)
}

impl Keep {
    /// Opens the data again, as a restarted (or a second) central would.
    pub async fn open(&self) -> Arc<dyn store::Backend> {
        match self {
            Keep::Dir(dir) => Arc::new(store::Sqlite::open(dir.path()).unwrap()),
            Keep::Schema(s) => Arc::new(store::Postgres::connect(&s.url).await.unwrap()),
        }
    }
}

pub struct CentralUnderTest {
    pub url: String,
    pub addr: SocketAddr,
    pub central: Arc<Central>,
    /// The data (taken by a test that serves it again after this one stops).
    pub keep: Option<Keep>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CentralUnderTest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Limits whose per-address budget a test's sign-ins never use up (every request
/// comes from one address; the budget has its own tests).
pub fn roomy() -> Limits {
    Limits {
        public_rate_per_sec: 1_000.0,
        public_burst: 1_000.0,
        ..Limits::default()
    }
}

/// Central on 127.0.0.1, port 0, with `limits`, on a fresh backend of the story's kind.
pub async fn spawn_central(limits: Limits) -> CentralUnderTest {
    let (backend, keep) = new_backend().await;
    let central = Central::new(backend, ADMIN_TOKEN.into(), limits);
    serve_central(central, Some(keep)).await
}

/// Serves `central` on 127.0.0.1, port 0 (keeping `keep`, its data, alive).
pub async fn serve_central(central: Central, keep: Option<Keep>) -> CentralUnderTest {
    serve_central_at(central, keep, "127.0.0.1:0").await
}

/// Serves `central` at `addr` (a loopback address; port 0 picks a free one).
pub async fn serve_central_at(
    central: Central,
    keep: Option<Keep>,
    addr: &str,
) -> CentralUnderTest {
    let central = Arc::new(central);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let c = Arc::clone(&central);
    let task = tokio::spawn(async move {
        rustok_central::serve(listener, c, std::future::pending())
            .await
            .unwrap();
    });
    CentralUnderTest {
        url: format!("http://{addr}"),
        addr,
        central,
        keep,
        task,
    }
}

impl CentralUnderTest {
    /// A fresh enrolment code for `tenant`.
    pub async fn code(&self, tenant: &str) -> String {
        rustok_central::http::issue_code(
            &self.central,
            tenant,
            Duration::from_secs(600),
            None,
            rustok_protocol::MAIN_STORE,
        )
        .await
        .unwrap()
        .code
    }

    /// A code that re-enrols `device` of `tenant`.
    pub async fn code_for(
        &self,
        tenant: &str,
        device: rustok_core::domain::ids::DeviceId,
    ) -> String {
        rustok_central::http::issue_code(
            &self.central,
            tenant,
            Duration::from_secs(600),
            Some(device),
            rustok_protocol::MAIN_STORE,
        )
        .await
        .unwrap()
        .code
    }
}

struct Template {
    _dir: tempfile::TempDir,
    db: PathBuf,
    cashier: Actor,
    products: Vec<Product>,
}

fn p<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap()
}

/// Sets up a shop of tenant `slug` in `db` with entropy `seed` (its own tenant and
/// device ids): an admin, a cashier with an open shift, three products.
fn set_up_shop(db: &Path, slug: &str, seed: u64) -> (Actor, Vec<Product>) {
    let shop = Shop::new(
        Arc::new(p(Store::open(db))),
        Arc::new(ManualClock::new(START)),
        Arc::new(SeededEntropy::new(seed)),
    );
    let en = p(Locale::parse("en"));
    let eur = p(Currency::parse("EUR"));
    let admin = p(shop.set_up(ShopSetup {
        slug: p(TenantSlug::parse(slug)),
        settings: TenantSettings {
            name: p(ShopName::parse("Corner")),
            currency: eur,
            default_locale: en.clone(),
            tax_mode: TaxMode::Inclusive,
            features: Features::default(),
            allow_oversell: true,
            shift_difference_limit: None,
            blind_count: false,
            discount_limit: None,
            address: None,
            kiosk_idle_secs: None,
        },
        device_code: p(DeviceCode::parse("POS1")),
        admin_name: p(OperatorName::parse("Admin")),
        admin_pin: p(Pin::parse("1111")),
    }));
    let op = p(shop.create_operator(
        &admin,
        p(OperatorName::parse("Cashier")),
        Role::Cashier,
        &p(Pin::parse("2222")),
    ));
    let cashier = p(shop.login(op.id, &p(Pin::parse("2222"))));
    p(shop.open_cash_session(&cashier, 10_000));
    let products = (0..3)
        .map(|i| {
            let fields = ProductFields {
                sku: p(Sku::parse(&format!("SKU-{i}"))),
                barcode: None,
                titles: Localized::new()
                    .with(en.clone(), p(ProductTitle::parse(&format!("Thing {i}")))),
                descriptions: Localized::new(),
                price: Money::new(250 + i * 100, eur),
                tax_rate: p(TaxRate::from_basis_points(2000)),
                low_stock_threshold: 0,
                category: None,
                image: None,
            };
            p(shop.create_product(&admin, fields, ProductStatus::Active))
        })
        .collect();
    (cashier, products)
}

/// Set up once per process (PIN hashing is the slow part); devices copy the file.
fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("template.db");
        let (cashier, products) = set_up_shop(&db, "corner", 1);
        Template {
            _dir: dir,
            db,
            cashier,
            products,
        }
    })
}

/// A device: its own copy of the set-up shop (same identity as every other copy:
/// tests that need two tenants use two centrals or rewrite nothing).
pub struct Device {
    pub dir: tempfile::TempDir,
    pub shop: Shop,
    pub cashier: Actor,
    pub products: Vec<Product>,
    pub clock: Arc<ManualClock>,
}

impl Device {
    pub fn new(seed: u64) -> Device {
        let t = template();
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&t.db, dir.path().join("shop.db")).unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let shop = Shop::new(
            Arc::new(Store::open(&dir.path().join("shop.db")).unwrap()),
            clock.clone(),
            Arc::new(SeededEntropy::new(seed)),
        );
        Device {
            dir,
            shop,
            cashier: t.cashier.clone(),
            products: t.products.clone(),
            clock,
        }
    }

    /// A device of its own tenant `slug` (ids drawn from `seed`), set up afresh.
    pub fn of_own_tenant(slug: &str, seed: u64) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop.db");
        let (cashier, products) = set_up_shop(&db, slug, seed);
        let clock = Arc::new(ManualClock::new(START));
        let shop = Shop::new(
            Arc::new(Store::open(&db).unwrap()),
            clock.clone(),
            Arc::new(SeededEntropy::new(seed ^ 0xD15C)),
        );
        Device {
            dir,
            shop,
            cashier,
            products,
            clock,
        }
    }

    pub fn store(&self) -> Arc<Store> {
        Arc::clone(self.shop.store())
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("shop.db")
    }

    /// A counter sale of `n` units of product `i % 3`, paid by card.
    pub fn sell(&self, i: usize, n: i64) {
        self.clock.advance_ms(1_000);
        let product = &self.products[i % self.products.len()];
        let order = NewOrder {
            lines: vec![NewLine {
                product_id: product.id,
                quantity: Quantity::new(n).unwrap(),
                discount: None,
            }],
            ..NewOrder::default()
        };
        self.shop
            .counter_sale(
                &self.cashier,
                order,
                &[Tender::Card {
                    amount: product.fields.price.minor * n,
                    reference: None,
                }],
            )
            .unwrap();
    }

    pub fn pending(&self) -> u64 {
        self.shop.store().outbox_status().unwrap().pending
    }

    pub fn last_seq(&self) -> u64 {
        self.shop.store().outbox_status().unwrap().last_seq
    }

    /// Enrols at `url` (central or a proxy in front of it) with `code`.
    pub async fn enrol(&self, url: &str, code: &str) -> Credentials {
        let identity = self.shop.device().unwrap().unwrap();
        let req = client::enrol_request(code, &identity, "test");
        let (base, reply) = client::enrol(url, &req, Duration::from_secs(5))
            .await
            .unwrap();
        Credentials::from_enrolment(base, reply)
    }
}

/// A breaker that never opens in practice (tests that are about other things).
pub fn lenient_breaker() -> Breaker {
    Breaker::new(
        BreakerConfig {
            window: 10,
            minimum_calls: 1_000,
            ..BreakerConfig::default()
        },
        Arc::new(SystemMonotonic::default()),
    )
}

pub fn relay(
    device: &Device,
    creds: Credentials,
    url: &str,
    timeout: Duration,
    limits: BatchLimits,
) -> Relay {
    let creds = Credentials {
        central_url: url.to_owned(),
        ..creds
    };
    let client = Client::new(creds, Arc::new(SystemClock), timeout).unwrap();
    Relay::new(
        device.store(),
        client,
        lenient_breaker(),
        limits,
        device.clock.clone(),
    )
}

/// Device outbox as central should hold it: every event, in order.
pub fn outbox(path: &Path) -> Vec<rustok_core::domain::event::Envelope> {
    let store = Store::open(path).unwrap();
    store.events_after(0, u32::MAX).unwrap()
}
