//! The world of one convergence run: the real central on loopback (SQLite, a manual
//! clock), one chain (tenant `chain`) with stores `a` and `b`, three tills — two in
//! store `a`, one in `b` — each behind its own steerable fault proxy, and head
//! office through the admin API. Everything runs one step at a time, so a seed
//! replays exactly. The ledger keeps what the run did that succeeded, to check the
//! end state against.

use rustok_central::{store::Backend, Central, Limits};
use rustok_core::domain::clock::{Clock, Timestamp};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::ids::{DeviceId, OrderId, ProductId, TenantId};
use rustok_core::domain::locale::{Locale, Localized};
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::payment::{RefundRequest, Tender};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{
    gs1_check_digit, Barcode, Product, ProductFields, ProductStatus, ProductTitle, Sku, TaxRate,
};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::{Features, ShopName, TaxMode, TenantSettings, TenantSlug};
use rustok_core::service::{Actor, NewLine, NewOrder, PulledPage, Shop, ShopSetup};
use rustok_core::store::{ProductQuery, Store};
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_sync::breaker::{Breaker, BreakerConfig, SystemMonotonic};
use rustok_sync::client::{self, Client};
use rustok_sync::credentials::Credentials;
use rustok_sync::protocol::FeedPage;
use rustok_sync::pull::Puller;
use rustok_sync::relay::{BatchLimits, Relay};
use rustok_sync::testing::{Fault, Proxy, Rng};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const ADMIN_TOKEN: &str = "convergence-admin-token-0123456789";
pub const TENANT: &str = "chain";
/// 2026-11-21T10:00:00Z: central's clock when a run starts.
pub const START: Timestamp = Timestamp::from_unix_millis(1_795_255_200_000);
const TIMEOUT: Duration = Duration::from_secs(10);

/// A bug planted on purpose, to show the checks catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    /// None: the product as it is.
    None,
    /// A till applies a pulled page's entries last first, each with its own
    /// position as the new cursor (so the earlier ones are skipped).
    OutOfOrder,
    /// A till writes every stock movement it pulls again as one of its own.
    Echo,
    /// The expected catalog is worked out with ties going to whichever write
    /// central received first instead of head office, then the lower device.
    TiesIgnored,
}

/// What a till is known by in reports.
pub const TILLS: [(&str, &str, &str); 3] = [
    ("A1", "a", "POS1"),
    ("A2", "a", "POS2"),
    ("B1", "b", "POS3"),
];

/// The set-up shop every till copies (PIN hashing is the slow part: once per process).
struct Template {
    _dir: tempfile::TempDir,
    db: PathBuf,
    manager: Actor,
    cashier: Actor,
}

fn p<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap()
}

pub fn en() -> Locale {
    p(Locale::parse("en"))
}

fn eur() -> Currency {
    p(Currency::parse("EUR"))
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("template.db");
        let shop = Shop::new(
            Arc::new(p(Store::open(&db))),
            Arc::new(ManualClock::new(START)),
            Arc::new(SeededEntropy::new(1)),
        );
        let admin = p(shop.set_up(ShopSetup {
            slug: p(TenantSlug::parse(TENANT)),
            settings: TenantSettings {
                name: p(ShopName::parse("Chain")),
                currency: eur(),
                default_locale: en(),
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
        let actor = |name: &str, role: Role, pin: &str| {
            let op = p(shop.create_operator(
                &admin,
                p(OperatorName::parse(name)),
                role,
                &p(Pin::parse(pin)),
            ));
            p(shop.login(op.id, &p(Pin::parse(pin))))
        };
        let manager = actor("Manager", Role::Manager, "2222");
        let cashier = actor("Cashier", Role::Cashier, "3333");
        Template {
            _dir: dir,
            db,
            manager,
            cashier,
        }
    })
}

/// A sale line as the ledger keeps it: product and quantity.
pub type Line = (uuid::Uuid, i64);

/// What the run did that succeeded: the truth the end state is checked against.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Per store and product, the sum of every movement a till made.
    pub stock: BTreeMap<(&'static str, uuid::Uuid), i64>,
    /// Sales: the till, the order and its lines.
    pub sales: Vec<(usize, OrderId, Vec<Line>)>,
    /// Sales refunded.
    pub refunded: HashSet<OrderId>,
    /// Operations that succeeded, by name.
    pub done: BTreeMap<&'static str, u32>,
}

impl Ledger {
    pub fn count(&mut self, what: &'static str) {
        *self.done.entry(what).or_default() += 1;
    }
}

pub struct Till {
    pub name: &'static str,
    pub store: &'static str,
    dir: tempfile::TempDir,
    pub shop: Arc<Shop>,
    pub clock: Arc<ManualClock>,
    /// This till's clock minus central's, ms.
    pub skew_ms: i64,
    pub creds: Credentials,
    pub proxy: Proxy,
    pub online: bool,
    seed: u64,
    restarts: u64,
    /// Built once per (re)start: making an HTTP client loads the root certificates.
    relay: Relay,
    puller: Puller,
    client: Client,
}

impl Till {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("shop.db")
    }

    pub fn device_id(&self) -> DeviceId {
        self.creds.device_id
    }

    fn open(path: &Path, clock: Arc<ManualClock>, seed: u64) -> Arc<Shop> {
        Arc::new(Shop::new(
            Arc::new(p(Store::open(path))),
            clock,
            Arc::new(SeededEntropy::new(seed)),
        ))
    }

    /// Closes the till and opens it again from its database file (ids drawn
    /// afresh, as a restarted process would).
    pub fn restart(&mut self) {
        self.restarts += 1;
        let seed = self.seed ^ self.restarts.wrapping_mul(0x9E37_79B9);
        self.shop = Self::open(&self.path(), self.clock.clone(), seed);
        (self.relay, self.puller, self.client) =
            Self::sync_parts(&self.shop, &self.creds, &self.clock);
    }

    /// Closes the till, lets `f` rewrite its database file (as another release would
    /// have left it), and opens it again.
    pub fn with_database_replaced(&mut self, f: impl FnOnce(&Path)) {
        // Every handle on the file goes first: the shop, its relay and its puller
        // move to an empty database of their own for the moment.
        let spare = self.dir.path().join("spare.db");
        let idle = Self::open(&spare, self.clock.clone(), 0);
        (self.relay, self.puller, self.client) = Self::sync_parts(&idle, &self.creds, &self.clock);
        self.shop = idle;
        f(&self.path());
        self.restart();
    }

    pub fn puller(&self) -> &Puller {
        &self.puller
    }

    fn sync_parts(
        shop: &Arc<Shop>,
        creds: &Credentials,
        clock: &Arc<ManualClock>,
    ) -> (Relay, Puller, Client) {
        let client = || p(Client::new(creds.clone(), clock.clone(), TIMEOUT));
        let relay = Relay::new(
            shop.store().clone(),
            client(),
            Breaker::new(
                BreakerConfig {
                    window: 10,
                    minimum_calls: 1_000_000,
                    ..BreakerConfig::default()
                },
                Arc::new(SystemMonotonic::default()),
            ),
            BatchLimits::default(),
            clock.clone(),
        );
        let puller = p(Puller::new(
            shop.clone(),
            creds.clone(),
            clock.clone(),
            TIMEOUT,
            TIMEOUT,
        ));
        (relay, puller, client())
    }

    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// Pulls the way a planted bug says (see [`Plant`]); `Plant::None` and
    /// `Plant::TiesIgnored` use the real puller.
    pub async fn pull(&self, plant: Plant) -> Result<(), String> {
        match plant {
            Plant::None | Plant::TiesIgnored => self
                .puller
                .pull_all()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Plant::OutOfOrder | Plant::Echo => {
                let client = &self.client;
                for _ in 0..100 {
                    let cursor = self
                        .shop
                        .store()
                        .pull_state()
                        .map_err(|e| e.to_string())?
                        .cursor;
                    let page: FeedPage = client
                        .get(&format!("/v1/feed?after={cursor}&limit=1000&wait=0"))
                        .await
                        .map_err(|e| e.to_string())?;
                    let done = page.next >= page.head;
                    let entries: Vec<_> = page
                        .entries
                        .into_iter()
                        .map(|e| (e.position, e.event))
                        .collect();
                    if plant == Plant::OutOfOrder {
                        for (position, e) in entries.into_iter().rev() {
                            let one = PulledPage {
                                entries: vec![(position, e)],
                                next: position,
                                head: page.head,
                                central_time_ms: page.central_time_ms,
                            };
                            self.shop.apply_pulled(&one).map_err(|e| e.to_string())?;
                        }
                        let rest = PulledPage {
                            entries: Vec::new(),
                            next: page.next,
                            head: page.head,
                            central_time_ms: page.central_time_ms,
                        };
                        self.shop.apply_pulled(&rest).map_err(|e| e.to_string())?;
                    } else {
                        let moved = stock_moves(&entries);
                        self.shop
                            .apply_pulled(&PulledPage {
                                entries,
                                next: page.next,
                                head: page.head,
                                central_time_ms: page.central_time_ms,
                            })
                            .map_err(|e| e.to_string())?;
                        let manager = template().manager.clone();
                        for (product, delta) in moved {
                            if let Ok(q) = Quantity::new(delta.abs()) {
                                if delta > 0 {
                                    let _ = self.shop.receive_stock(&manager, product, q, None);
                                }
                            }
                        }
                    }
                    if done {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The stock movements among pulled entries: product and delta.
fn stock_moves(entries: &[(u64, rustok_core::domain::event::Envelope)]) -> Vec<(ProductId, i64)> {
    let up = rustok_core::domain::upcast::Upcasters::standard();
    entries
        .iter()
        .filter_map(|(_, e)| match e.decode(&up) {
            Ok(rustok_core::domain::event::DomainEvent::StockMoved(m)) => {
                Some((m.product_id, m.delta))
            }
            _ => None,
        })
        .collect()
}

pub struct World {
    _central_dir: tempfile::TempDir,
    pub central: Arc<Central>,
    pub url: String,
    pub clock: Arc<ManualClock>,
    server: tokio::task::JoinHandle<()>,
    pub tills: Vec<Till>,
    pub tenant: TenantId,
    http: reqwest::Client,
    pub ledger: Ledger,
    pub plant: Plant,
    /// Ids head office made.
    pub office_made: u64,
}

impl Drop for World {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn ean13(n: u64) -> Barcode {
    let body = format!("{:012}", n % 1_000_000_000_000);
    let check = gs1_check_digit(body.as_bytes()) as char;
    p(Barcode::parse(&format!("{body}{check}")))
}

impl World {
    /// Central, the chain's two stores and its three tills, all enrolled and
    /// online, each with a shift open; tills' clocks skewed by `skews` ms.
    pub async fn new(seed: u64, skews: [i64; 3], plant: Plant) -> World {
        let t = template();
        let central_dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let backend: Arc<dyn Backend> =
            Arc::new(p(rustok_central::store::Sqlite::open(central_dir.path())));
        let central = Arc::new(Central::with_parts(
            backend,
            ADMIN_TOKEN.into(),
            Limits {
                device_rate_per_sec: 1e6,
                device_burst: 1e6,
                public_rate_per_sec: 1e6,
                public_burst: 1e6,
                max_pull_wait: Duration::from_secs(1),
                ..Limits::default()
            },
            clock.clone(),
            Arc::new(SeededEntropy::new(seed ^ 0xC3)),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let c = Arc::clone(&central);
        let server = tokio::spawn(async move {
            rustok_central::serve(listener, c, std::future::pending())
                .await
                .unwrap();
        });
        let url = format!("http://{addr}");
        let http = reqwest::Client::new();
        for (store, name) in [("a", "Store A"), ("b", "Store B")] {
            let r = http
                .put(format!("{url}/v1/admin/tenants/{TENANT}/stores/{store}"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&serde_json::json!({"name": name, "address": format!("1 {name} Street")}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "store {store}: {}", r.status());
        }
        let mut tills = Vec::new();
        for (i, (name, store, code)) in TILLS.into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("shop.db");
            std::fs::copy(&t.db, &path).unwrap();
            if i > 0 {
                // Another till of the chain: its own identity, none of A1's events.
                let db = rusqlite::Connection::open(&path).unwrap();
                db.execute(
                    "UPDATE device SET device_id = ?1, device_code = ?2, last_seq = 0, acked_seq = 0",
                    rusqlite::params![format!("0192f0e4-3000-7000-8000-0000000000a{i}"), code],
                )
                .unwrap();
                db.execute_batch("DELETE FROM events; DELETE FROM handler_checkpoints;")
                    .unwrap();
            }
            let till_clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(
                START.unix_millis() + skews[i],
            )));
            let till_seed = seed.wrapping_mul(31).wrapping_add(i as u64 + 1);
            let shop = Till::open(&path, till_clock.clone(), till_seed);
            let code = rustok_central::http::issue_code(
                &central,
                TENANT,
                Duration::from_secs(600),
                None,
                store,
            )
            .await
            .unwrap()
            .code;
            let identity = shop.device().unwrap().unwrap();
            let req = client::enrol_request(&code, &identity, "convergence");
            let (base, reply) = client::enrol(&url, &req, TIMEOUT).await.unwrap();
            let proxy = Proxy::steered(addr, Duration::from_millis(50))
                .await
                .unwrap();
            let creds = Credentials {
                central_url: proxy.url.clone(),
                ..Credentials::from_enrolment(base, reply)
            };
            p(shop.open_cash_session(&t.cashier, 10_000));
            let (relay, puller, client) = Till::sync_parts(&shop, &creds, &till_clock);
            tills.push(Till {
                relay,
                puller,
                client,
                name,
                store,
                dir,
                shop,
                clock: till_clock,
                skew_ms: skews[i],
                creds,
                proxy,
                online: true,
                seed: till_seed,
                restarts: 0,
            });
        }
        let tenant = tills[0].creds.tenant_id;
        World {
            _central_dir: central_dir,
            central,
            url,
            clock,
            server,
            tills,
            tenant,
            http,
            ledger: Ledger::default(),
            plant,
            office_made: 0,
        }
    }

    pub fn manager(&self) -> &'static Actor {
        &template().manager
    }

    pub fn cashier(&self) -> &'static Actor {
        &template().cashier
    }

    /// Moves every clock on by `ms` (each till keeps its skew).
    pub fn advance(&self, ms: i64) {
        self.clock.advance_ms(ms);
        for t in &self.tills {
            t.clock.advance_ms(ms);
        }
    }

    /// Sets till `i`'s wall clock `skew_ms` off central's (a step back when it
    /// was further ahead), as a person or NTP would.
    pub fn step_clock(&mut self, i: usize, skew_ms: i64) {
        let t = &mut self.tills[i];
        t.skew_ms = skew_ms;
        t.clock.set(Timestamp::from_unix_millis(
            self.clock.now().unix_millis() + t.skew_ms,
        ));
    }

    /// Products till `i` can sell.
    pub fn sellable(&self, i: usize) -> Vec<Product> {
        self.listed(&self.tills[i], Some(ProductStatus::Active))
    }

    /// Products till `t` holds with `status` (without one: all but archived).
    fn listed(&self, t: &Till, status: Option<ProductStatus>) -> Vec<Product> {
        t.shop
            .products(
                self.manager(),
                &ProductQuery {
                    status,
                    low_stock: false,
                    text: None,
                    category: None,
                    limit: 500,
                    offset: 0,
                },
            )
            .unwrap_or_default()
    }

    pub fn sell(&mut self, i: usize, rng: &mut Rng) {
        let products = self.sellable(i);
        let Some(product) = rng.pick(&products).cloned() else {
            return;
        };
        let qty = 1 + rng.below(3) as i64;
        let order = NewOrder {
            lines: vec![NewLine {
                product_id: product.id,
                quantity: p(Quantity::new(qty)),
                discount: None,
            }],
            ..NewOrder::default()
        };
        let tender = Tender::Card {
            amount: product.fields.price.minor * qty,
            reference: None,
        };
        let till = &self.tills[i];
        if let Ok(o) = till.shop.counter_sale(self.cashier(), order, &[tender]) {
            *self
                .ledger
                .stock
                .entry((till.store, product.id.as_uuid()))
                .or_default() -= qty;
            self.ledger
                .sales
                .push((i, o.data().id, vec![(product.id.as_uuid(), qty)]));
            self.ledger.count("sale");
        }
    }

    pub fn refund(&mut self, i: usize, rng: &mut Rng) {
        let open: Vec<(OrderId, Vec<Line>)> = self
            .ledger
            .sales
            .iter()
            .filter(|(t, o, _)| *t == i && !self.ledger.refunded.contains(o))
            .map(|(_, o, l)| (*o, l.clone()))
            .collect();
        let Some((order, lines)) = rng.pick(&open).cloned() else {
            return;
        };
        let till = &self.tills[i];
        if till
            .shop
            .refund_order(self.manager(), order, RefundRequest::everything(true))
            .is_ok()
        {
            for (product, qty) in lines {
                *self.ledger.stock.entry((till.store, product)).or_default() += qty;
            }
            self.ledger.refunded.insert(order);
            self.ledger.count("refund");
        }
    }

    pub fn receive(&mut self, i: usize, rng: &mut Rng) {
        let products = self.sellable(i);
        let Some(product) = rng.pick(&products).cloned() else {
            return;
        };
        let qty = 1 + rng.below(10) as i64;
        let till = &self.tills[i];
        if till
            .shop
            .receive_stock(self.manager(), product.id, p(Quantity::new(qty)), None)
            .is_ok()
        {
            *self
                .ledger
                .stock
                .entry((till.store, product.id.as_uuid()))
                .or_default() += qty;
            self.ledger.count("receive");
        }
    }

    /// A till makes a product; SKUs and barcodes come from small pools, so two
    /// tills cut off from each other sometimes make the same one.
    pub fn create_product(&mut self, i: usize, rng: &mut Rng) {
        let n = rng.below(6);
        let fields = ProductFields {
            sku: p(Sku::parse(&format!("T-{n}"))),
            barcode: rng.one_in(2).then(|| ean13(4_000_000 + rng.below(4))),
            titles: Localized::new().with(en(), p(ProductTitle::parse(&format!("Till thing {n}")))),
            descriptions: Localized::new(),
            price: Money::new(100 + rng.below(900) as i64, eur()),
            tax_rate: p(TaxRate::from_basis_points(2000)),
            low_stock_threshold: 0,
            category: None,
            image: None,
        };
        if self.tills[i]
            .shop
            .create_product(self.manager(), fields, ProductStatus::Active)
            .is_ok()
        {
            self.ledger.count("till_create");
        }
    }

    /// Tills `i` and `j` set the price of one product they both hold at the same
    /// instant (two managers at two tills): by the clocks alone, a tie.
    pub fn edit_together(&mut self, i: usize, j: usize, rng: &mut Rng) {
        let theirs: Vec<ProductId> = self.sellable(j).iter().map(|p| p.id).collect();
        let both: Vec<Product> = self
            .sellable(i)
            .into_iter()
            .filter(|p| theirs.contains(&p.id))
            .collect();
        let Some(product) = rng.pick(&both).cloned() else {
            return;
        };
        for k in [i, j] {
            let Ok(now) = self.tills[k].shop.product(self.manager(), product.id) else {
                continue;
            };
            let mut f = now.fields.clone();
            f.price.minor = 100 + rng.below(900) as i64;
            if self.tills[k]
                .shop
                .update_product(self.manager(), now.id, now.version, f)
                .is_ok()
            {
                self.ledger.count("till_edit_together");
            }
        }
    }

    /// Every product till `t` holds that is not archived.
    pub fn every_product(&self, t: &Till) -> Vec<Product> {
        self.listed(t, None)
    }

    /// A till edits the price or the title of a product it holds.
    pub fn edit_product(&mut self, i: usize, rng: &mut Rng) {
        let products = self.sellable(i);
        let Some(product) = rng.pick(&products).cloned() else {
            return;
        };
        let mut f = product.fields.clone();
        if rng.one_in(2) {
            f.price.minor = 100 + rng.below(900) as i64;
        } else {
            let title = format!("Edited {} on {}", rng.below(100), self.tills[i].name);
            f.titles = f.titles.with(en(), p(ProductTitle::parse(&title)));
        }
        if self.tills[i]
            .shop
            .update_product(self.manager(), product.id, product.version, f)
            .is_ok()
        {
            self.ledger.count("till_edit");
        }
    }

    async fn office(&mut self, changes: serde_json::Value) -> bool {
        let r = self
            .http
            .post(format!("{}/v1/admin/tenants/{TENANT}/changes", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({ "protocol": 1, "changes": changes }))
            .send()
            .await
            .unwrap();
        r.status().is_success()
    }

    fn office_id(&mut self, rng: &mut Rng) -> uuid::Uuid {
        self.office_made += 1;
        uuid::Uuid::from_u64_pair(
            0x0192_f0e4_0000_7000 | (self.office_made & 0xFFF),
            0x8000_0000_0000_0000 | (rng.next_u64() >> 2),
        )
    }

    /// Head office makes a product.
    pub async fn office_product(&mut self, rng: &mut Rng) {
        self.office_change(0, rng).await;
    }

    /// Head office makes a product, a page, or edits a product's price or title
    /// or a page's title.
    pub async fn office_edit(&mut self, rng: &mut Rng) {
        let what = rng.below(5);
        self.office_change(what, rng).await;
    }

    async fn office_change(&mut self, what: u64, rng: &mut Rng) {
        let held = self
            .central
            .backend
            .records(self.tenant, rustok_core::domain::replica::Kind::Product)
            .await
            .unwrap_or_default();
        let pages = self
            .central
            .backend
            .records(self.tenant, rustok_core::domain::replica::Kind::Content)
            .await
            .unwrap_or_default();
        let change = match what {
            0 => {
                let n = rng.below(100);
                let id = self.office_id(rng);
                serde_json::json!([{ "kind": "product", "id": id, "fields": {
                    "sku": format!("HO-{n}"), "titles": {"en": format!("Office thing {n}")},
                    "price": {"minor": 100 + rng.below(900), "currency": "EUR"},
                    "tax_rate": 2000, "low_stock_threshold": 0, "status": "active" } }])
            }
            1 => {
                let n = rng.below(4);
                let id = self.office_id(rng);
                serde_json::json!([{ "kind": "content", "id": id, "fields": {
                    "kind": "page", "slug": format!("page-{n}"), "position": n,
                    "translations": {"en": {"title": format!("Page {n}")}}, "status": "published" } }])
            }
            2 if !pages.is_empty() => {
                let Some((id, _)) = rng.pick(&pages) else {
                    return;
                };
                serde_json::json!([{ "kind": "content", "id": id, "fields": {
                    "translations": {"en": {"title": format!("Page retitled {}", rng.below(100))}} } }])
            }
            3 => {
                let Some((id, _)) = rng.pick(&held) else {
                    return;
                };
                serde_json::json!([{ "kind": "product", "id": id, "fields": {
                    "titles": {"en": format!("Office title {}", rng.below(100))} } }])
            }
            _ => {
                let Some((id, _)) = rng.pick(&held) else {
                    return;
                };
                serde_json::json!([{ "kind": "product", "id": id, "fields": {
                    "price": {"minor": 100 + rng.below(900), "currency": "EUR"} } }])
            }
        };
        if self.office(change).await {
            self.ledger.count("office");
        }
    }

    /// Till `i` pushes and pulls once through its proxy, each request meeting
    /// `fault` (or a dropped request while the till is cut off).
    pub async fn sync(&mut self, i: usize, fault: Fault) {
        let plant = self.plant;
        let till = &self.tills[i];
        till.proxy.set(if till.online {
            fault
        } else {
            Fault::DropRequest
        });
        let _ = till.relay().push_once().await;
        let _ = till.pull(plant).await;
        till.proxy.heal();
    }

    /// Every till online; each pushes and pulls until nothing moves.
    pub async fn settle(&mut self) -> Result<(), String> {
        for t in &mut self.tills {
            t.online = true;
            t.proxy.heal();
        }
        for _round in 0..6 {
            for i in 0..self.tills.len() {
                self.advance(10);
                let t = &self.tills[i];
                t.relay()
                    .drain()
                    .await
                    .map_err(|e| format!("{}: push: {e}", t.name))?;
                t.pull(self.plant)
                    .await
                    .map_err(|e| format!("{}: pull: {e}", t.name))?;
            }
        }
        for t in &self.tills {
            t.relay()
                .drain()
                .await
                .map_err(|e| format!("{}: push: {e}", t.name))?;
        }
        Ok(())
    }
}
