//! The feed (DESIGN §7): per tenant, what the other devices apply. A device gets the
//! catalog, content, operator and settings events of every other device of its
//! tenant, stock movements only from its own store, never its own events, in
//! position order, paged by count and bytes; a waiting pull wakes when the feed
//! moves. Stores are made by the admin; a code names the store a device joins.

use crate::helpers::{relay, spawn_central, CentralUnderTest, Device, ADMIN_TOKEN};
use rustok_core::domain::event::{Envelope, EventType, Reach};
use rustok_core::domain::ids::{DeviceId, EventId};
use rustok_core::domain::replica::Kind;
use rustok_core::system::SystemClock;
use rustok_protocol::{
    paths, EnrolRequest, FeedPage, PushRequest, PushResponse, Store, StoreFields, MAIN_STORE,
    PROTOCOL_VERSION,
};
use rustok_sync::client::Client;
use rustok_sync::credentials::Credentials;
use rustok_sync::relay::BatchLimits;
use rustok_sync::SyncError;
use std::sync::Arc;
use std::time::Duration;

/// Creates (or renames) a store through the admin API.
async fn put_store(c: &CentralUnderTest, slug: &str, code: &str, name: &str) -> reqwest::Response {
    reqwest::Client::new()
        .put(format!("{}/v1/admin/tenants/{slug}/stores/{code}", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&StoreFields {
            name: name.to_owned(),
            address: format!("{name} street 1"),
        })
        .send()
        .await
        .unwrap()
}

/// A code of `slug` for the store `store`.
pub async fn code_for_store(c: &CentralUnderTest, slug: &str, store: &str) -> String {
    rustok_central::http::issue_code(&c.central, slug, Duration::from_secs(600), None, store)
        .await
        .unwrap()
        .code
}

/// Another device of `like`'s tenant, enrolled with `code` under a device id of its
/// own (`n`): it pushes copies of `like`'s events as its own.
pub struct Sibling {
    pub creds: Credentials,
    pub client: Client,
    seq: u64,
    n: u8,
    last_push: Vec<u8>,
    store: Option<Store>,
}

impl Sibling {
    pub async fn enrol(c: &CentralUnderTest, like: &Device, code: &str, n: u8) -> Sibling {
        let ident = like.shop.device().unwrap().unwrap();
        let device_id =
            DeviceId::parse(&format!("0192f0e4-3000-7000-8000-0000000000{n:02x}")).unwrap();
        let req = EnrolRequest {
            device_id,
            device_code: format!("SIB{n}"),
            ..rustok_sync::client::enrol_request(code, &ident, "test")
        };
        let (_, reply) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
            .await
            .unwrap();
        let store = reply.store.clone();
        let creds = Credentials::from_enrolment(c.url.clone(), reply);
        Sibling {
            client: client(&creds),
            creds,
            seq: 0,
            n,
            last_push: Vec::new(),
            store,
        }
    }

    /// Pushes copies of `events` as this device's next events (fresh ids).
    pub async fn push(&mut self, events: &[&Envelope]) -> PushResponse {
        let events: Vec<Envelope> = events
            .iter()
            .map(|e| {
                self.seq += 1;
                Envelope {
                    device_id: self.creds.device_id,
                    seq: self.seq,
                    id: EventId::from_uuid(uuid::Uuid::from_u128(
                        0x0192_f0e4_4000_7000_8000_0000_0000_0000
                            | u128::from(self.n) << 32
                            | u128::from(self.seq),
                    )),
                    ..(*e).clone()
                }
            })
            .collect();
        let body = serde_json::to_vec(&PushRequest {
            protocol: PROTOCOL_VERSION,
            events,
        })
        .unwrap();
        self.last_push = body.clone();
        self.client.push_raw(body).await.unwrap()
    }

    /// Sends the last push again (as after a lost reply).
    async fn resend(&self) -> PushResponse {
        self.client.push_raw(self.last_push.clone()).await.unwrap()
    }

    pub async fn pull(&self, query: &str) -> Result<FeedPage, SyncError> {
        pull(&self.client, query).await
    }
}

pub fn client(creds: &Credentials) -> Client {
    Client::new(
        creds.clone(),
        Arc::new(SystemClock),
        Duration::from_secs(20),
    )
    .unwrap()
}

pub async fn pull(client: &Client, query: &str) -> Result<FeedPage, SyncError> {
    client.get(&format!("{}?{query}", paths::FEED)).await
}

/// Every page from `after` to the head, `limit` at a time.
pub async fn pull_all(client: &Client, after: u64, limit: usize) -> (Vec<u64>, Vec<Envelope>, u64) {
    let (mut positions, mut events, mut cursor) = (Vec::new(), Vec::new(), after);
    loop {
        let page = pull(client, &format!("after={cursor}&limit={limit}"))
            .await
            .unwrap();
        assert!(page.entries.len() <= limit);
        for e in &page.entries {
            assert!(e.position > cursor, "positions only grow");
            positions.push(e.position);
            events.push(e.event.clone());
        }
        assert!(page.next >= cursor && page.next <= page.head);
        cursor = page.next;
        if page.next == page.head {
            return (positions, events, cursor);
        }
    }
}

fn reach(e: &Envelope) -> Reach {
    EventType::parse(&e.event_type).unwrap().reach()
}

/// A till, a second till of its store and a till of another store.
pub async fn a_chain() -> (CentralUnderTest, Device, Credentials, Sibling, Sibling) {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(41);
    a.sell(0, 2);
    a.sell(1, 1);
    let creds = a.enrol(&c.url, &c.code("corner").await).await;
    let r = put_store(&c, "corner", "north", "North").await;
    assert_eq!(r.status(), 200);
    let main_code = code_for_store(&c, "corner", MAIN_STORE).await;
    let north_code = code_for_store(&c, "corner", "north").await;
    let b = Sibling::enrol(&c, &a, &main_code, 2).await;
    let north = Sibling::enrol(&c, &a, &north_code, 3).await;
    push_all(&a, &creds, &c).await;
    (c, a, creds, b, north)
}

/// Pushes everything `a` has not pushed yet.
async fn push_all(a: &Device, creds: &Credentials, c: &CentralUnderTest) {
    relay(
        a,
        creds.clone(),
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    assert_eq!(a.pending(), 0);
}

async fn the_feed_carries_tenant_changes_to_every_other_device_and_stock_within_the_store() {
    let (c, a, creds_a, mut b, north) = a_chain().await;
    assert_eq!(b.store.as_ref().map(|s| s.code.as_str()), Some(MAIN_STORE));
    let north_store = north.store.clone().unwrap();
    assert_eq!(
        (north_store.code.as_str(), north_store.name.as_str()),
        ("north", "North")
    );
    let outbox = crate::helpers::outbox(&a.db_path());
    let tenant_wide: Vec<&Envelope> = outbox
        .iter()
        .filter(|e| reach(e) == Reach::Tenant)
        .collect();
    let with_stock: Vec<&Envelope> = outbox
        .iter()
        .filter(|e| reach(e) != Reach::Device)
        .collect();
    assert!(outbox.iter().any(|e| e.event_type == "StockMoved"));
    assert!(outbox.iter().any(|e| e.event_type == "OrderPaid"));

    // The till of the same store gets catalog and stock; the other store's till the
    // catalog only; both in the writer's order, one page or many alike.
    let (_, got_b, cursor_b) = pull_all(&b.client, 0, 1000).await;
    assert_eq!(got_b.iter().collect::<Vec<_>>(), with_stock);
    let (positions, paged, _) = pull_all(&b.client, 0, 2).await;
    assert_eq!(paged, got_b);
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let (_, got_north, cursor_north) = pull_all(&north.client, 0, 1000).await;
    assert_eq!(got_north.iter().collect::<Vec<_>>(), tenant_wide);

    // The writer gets none of its own events back, and its cursor goes to the head.
    let client_a = client(&creds_a);
    let own = pull(&client_a, "after=0").await.unwrap();
    assert!(own.entries.is_empty(), "{:?}", own.entries);
    assert_eq!(own.next, own.head);
    assert!(own.head >= with_stock.len() as u64);
    let now = rustok_core::domain::clock::Clock::now(&SystemClock).unix_millis();
    assert!((own.central_time_ms - now).abs() < 60_000);

    // B changes a product: A and the north till get it; B itself does not.
    let updated = outbox
        .iter()
        .find(|e| e.event_type == "ProductCreated")
        .unwrap();
    let reply = b.push(&[updated]).await;
    assert_eq!(reply.acked_through, 1);
    let to_a = pull(&client_a, &format!("after={}", own.next))
        .await
        .unwrap();
    assert_eq!(to_a.entries.len(), 1);
    assert_eq!(to_a.entries[0].event.device_id, b.creds.device_id);
    let to_north = north.pull(&format!("after={cursor_north}")).await.unwrap();
    assert_eq!(to_north.entries.len(), 1);
    // Central's record of the product took B's write (a later HLC).
    let tenant = creds_a.tenant_id;
    let records = c
        .central
        .backend
        .records(tenant, Kind::Product)
        .await
        .unwrap();
    assert_eq!(records.len(), 3);
    let to_b = b.pull(&format!("after={cursor_b}")).await.unwrap();
    assert!(to_b.entries.is_empty());
    assert_eq!(to_b.next, to_b.head);

    // A resent batch adds nothing to the feed.
    let before = pull(&client_a, "after=0").await.unwrap().head;
    let resent = b.resend().await;
    assert_eq!(resent.acked_through, 1);
    assert!(resent.rejected.is_empty(), "{resent:?}");
    push_all(&a, &creds_a, &c).await;
    assert_eq!(pull(&client_a, "after=0").await.unwrap().head, before);
}

async fn a_waiting_pull_wakes_when_the_feed_moves() {
    let (_c, a, creds_a, mut b, _north) = a_chain().await;
    let client_a = client(&creds_a);
    let head = pull(&client_a, "after=0").await.unwrap().head;
    let outbox = crate::helpers::outbox(&a.db_path());
    let changed = outbox
        .iter()
        .find(|e| e.event_type == "ProductCreated")
        .unwrap()
        .clone();
    let waiting = tokio::spawn(async move {
        pull(&client_a, &format!("after={head}&wait=15"))
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "the pull waits for the feed to move"
    );
    b.push(&[&changed]).await;
    let page = waiting.await.unwrap();
    assert_eq!(page.entries.len(), 1, "the waiting pull got the new entry");
    assert_eq!(page.entries[0].position, head + 1);
    assert_eq!(page.next, head + 1);

    // Nothing new: a short wait answers empty, at the head.
    let empty = b
        .pull(&format!("after={}&wait=1", page.next))
        .await
        .unwrap();
    assert!(empty.entries.is_empty());
}

async fn bad_pulls_get_clear_errors_and_strangers_see_nothing() {
    let (c, a, creds_a, _b, _north) = a_chain().await;
    let client_a = client(&creds_a);
    for q in [
        "limit=0",
        "limit=1001",
        "wait=31",
        "after=-1",
        "after=99999999999999999999",
        "after=9223372036854775808",
        "after=abc",
        "wait=1.5",
    ] {
        match pull(&client_a, q).await {
            Err(SyncError::Http { status, code, .. }) => {
                assert_eq!((status, code.as_str()), (400, "bad_query"), "{q}")
            }
            other => panic!("{q}: {other:?}"),
        }
    }
    // A cursor beyond the head (a central restored from an older backup) is
    // answered at the head.
    let page = pull(&client_a, "after=9223372036854775807").await.unwrap();
    assert!(page.entries.is_empty());
    assert_eq!(page.next, page.head);

    // Unsigned: refused.
    let r = reqwest::Client::new()
        .get(format!("{}{}", c.url, paths::FEED))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A device of another tenant sees nothing of this one.
    let stranger = Device::of_own_tenant("other-shop", 77);
    let creds = stranger.enrol(&c.url, &c.code("other-shop").await).await;
    let (_, got, _) = pull_all(&client(&creds), 0, 1000).await;
    assert!(got.is_empty(), "{got:?}");
    drop(a);
}

async fn stores_are_made_by_the_admin_and_codes_name_an_existing_one() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let http = reqwest::Client::new();
    for (slug, code, name, status) in [
        ("corner", "north", "North", 200),
        ("corner", "north", "North renamed", 200),
        ("corner", "Bad Code", "X", 422),
        ("corner", "-x", "X", 422),
        ("corner", "south", "  ", 422),
        ("admin", "x", "X", 422),
    ] {
        let r = put_store(&c, slug, code, name).await;
        assert_eq!(r.status(), status, "{slug}/{code}/{name}");
    }
    let r = http
        .put(format!("{}/v1/admin/tenants/corner/stores/x", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&StoreFields {
            name: "X".into(),
            address: "a".repeat(501),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .put(format!("{}/v1/admin/tenants/corner/stores/x", c.url))
        .json(&StoreFields {
            name: "X".into(),
            address: String::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the admin token is needed");
    let stores: Vec<Store> = http
        .get(format!("{}/v1/admin/tenants/corner/stores", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = stores
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(names, [("main", "Main store"), ("north", "North renamed")]);
    let r = http
        .get(format!("{}/v1/admin/tenants/nobody/stores", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A code for a store that does not exist is refused; for one that does, made.
    for (store, status) in [("nowhere", 422), ("north", 201), ("NORTH", 422)] {
        let r = http
            .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({ "tenant_slug": "corner", "store": store }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{store}");
    }
}

/// Fed types added after the migration that made the feed (ingest feeds them; the
/// migration, written before they existed, cannot name them).
const FED_SINCE_THE_FEED: &[&str] = &[];

/// The migration that made the feed backfills it with the types of its version
/// whose reach is the tenant or the store.
#[test]
fn the_feed_migration_names_the_fed_types_of_its_version() {
    let mut fed: Vec<&str> = EventType::ALL
        .iter()
        .filter(|t| t.reach() != Reach::Device)
        .map(|t| t.as_str())
        .filter(|t| !FED_SINCE_THE_FEED.contains(t))
        .collect();
    fed.sort_unstable();
    for sql in [
        include_str!("../../../migrations/central/0004_stores_and_feed.sql"),
        include_str!("../../../migrations/central-pg/0002_stores_and_feed.sql"),
    ] {
        let list = sql.split("e.type IN (").nth(1).unwrap();
        let list = &list[..list.find(')').unwrap()];
        let mut named: Vec<&str> = list
            .split(',')
            .map(|t| t.trim().trim_matches('\''))
            .collect();
        named.sort_unstable();
        assert_eq!(named, fed);
    }
}

/// A central of the previous release, holding a tenant's catalog, stock and a sale
/// from one till and a second till that never pulled: after the upgrade the second
/// till's first pull brings the catalog and the stock, in the order received.
async fn events_stored_before_the_feed_existed_are_in_it_after_the_upgrade() {
    use crate::helpers::{Db, Keep, PgSchema};
    let a = Device::new(43);
    a.sell(0, 2);
    let outbox = crate::helpers::outbox(&a.db_path());
    let ident = a.shop.device().unwrap().unwrap();
    let (tenant, first) = (ident.tenant_id, ident.device_id);
    let second = DeviceId::parse("0192f0e4-3000-7000-8000-0000000000bb").unwrap();
    let keep = match Db::current() {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let db = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
            for sql in [
                include_str!("../../../migrations/central/0001_init.sql"),
                include_str!("../../../migrations/central/0002_tenant_scope.sql"),
                include_str!("../../../migrations/central/0003_device_codes_and_signatures.sql"),
            ] {
                db.execute_batch(sql).unwrap();
            }
            db.execute_batch("PRAGMA user_version = 3").unwrap();
            db.execute(
                "INSERT INTO tenants (slug, tenant_id, created_at_ms) VALUES ('corner', ?1, 0)",
                [tenant.to_string()],
            )
            .unwrap();
            for d in [first, second] {
                db.execute(
                    "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms)
                     VALUES (?1, ?2, 'corner', 'POS', '00', 0)",
                    [d.to_string(), tenant.to_string()],
                )
                .unwrap();
            }
            for (i, e) in outbox.iter().enumerate() {
                db.execute(
                    "INSERT INTO events (device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    rusqlite::params![
                        first.to_string(),
                        e.seq,
                        e.id.to_string(),
                        tenant.to_string(),
                        e.event_type,
                        e.schema_version,
                        e.occurred_at.to_rfc3339(),
                        serde_json::to_string(e).unwrap(),
                        i as i64
                    ],
                )
                .unwrap();
            }
            Keep::Dir(dir)
        }
        Db::Postgres => {
            let schema = PgSchema::new().await;
            let db = crate::helpers::pg_connect(&schema.url).await;
            db.batch_execute(include_str!("../../../migrations/central-pg/0001_init.sql"))
                .await
                .unwrap();
            db.batch_execute(
                "CREATE TABLE rustok_migrations (version integer PRIMARY KEY, name text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now());
                 INSERT INTO rustok_migrations (version, name) VALUES (1, '0001_init')",
            )
            .await
            .unwrap();
            db.execute(
                "INSERT INTO tenants (slug, tenant_id, created_at_ms) VALUES ('corner', $1, 0)",
                &[&tenant.as_uuid()],
            )
            .await
            .unwrap();
            for d in [first, second] {
                db.execute(
                    "INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms)
                     VALUES ($1, $2, 'corner', 'POS', '\\x00', 0)",
                    &[&d.as_uuid(), &tenant.as_uuid()],
                )
                .await
                .unwrap();
            }
            for (i, e) in outbox.iter().enumerate() {
                db.execute(
                    "INSERT INTO events (device_id, seq, id, tenant_id, type, schema_version, occurred_at_ms, envelope, received_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &first.as_uuid(),
                        &(e.seq as i64),
                        &e.id.as_uuid(),
                        &tenant.as_uuid(),
                        &e.event_type,
                        &i64::from(e.schema_version),
                        &e.occurred_at.unix_millis(),
                        &serde_json::to_string(e).unwrap(),
                        &(i as i64),
                    ],
                )
                .await
                .unwrap();
            }
            Keep::Schema(schema)
        }
    };
    let backend = keep.open().await;
    let reader = backend.device(second).await.unwrap().unwrap();
    assert_eq!(
        reader.store, MAIN_STORE,
        "devices of before are in the main store"
    );
    let page = backend
        .feed(rustok_central::store::FeedAsk {
            device: &reader,
            after: 0,
            limit: 1000,
            max_bytes: 1 << 20,
        })
        .await
        .unwrap();
    let fed: Vec<Envelope> = page
        .entries
        .iter()
        .map(|(_, e)| serde_json::from_str(e).unwrap())
        .collect();
    let expected: Vec<Envelope> = outbox
        .iter()
        .filter(|e| reach(e) != Reach::Device)
        .cloned()
        .collect();
    assert!(expected.iter().any(|e| e.event_type == "StockMoved"));
    assert_eq!(fed, expected);
    assert_eq!(page.next, page.head);
    assert_eq!(page.head, expected.len() as u64);
    // Central holds the records those events made, merged per field.
    let products = backend.records(tenant, Kind::Product).await.unwrap();
    let mut skus: Vec<String> = products
        .iter()
        .map(|(_, r)| r.product().unwrap().0.sku.as_str().to_owned())
        .collect();
    skus.sort();
    assert_eq!(skus, ["SKU-0", "SKU-1", "SKU-2"]);
    let settings = backend.records(tenant, Kind::Settings).await.unwrap();
    assert_eq!(settings.len(), 1);
    assert_eq!(settings[0].1.settings().unwrap().0.as_str(), "corner");
    assert_eq!(
        backend.records(tenant, Kind::Operator).await.unwrap().len(),
        2
    );
    let stores = backend.stores("corner").await.unwrap().unwrap();
    assert_eq!(stores.len(), 1);
    assert_eq!(stores[0].code, MAIN_STORE);
    // The till that wrote them gets none of them back.
    let writer = backend.device(first).await.unwrap().unwrap();
    let own = backend
        .feed(rustok_central::store::FeedAsk {
            device: &writer,
            after: 0,
            limit: 1000,
            max_bytes: 1 << 20,
        })
        .await
        .unwrap();
    assert!(own.entries.is_empty());
}

/// Regression (found by the `fanout` bench): a pull waiting at central held a whole
/// body's share of the budget for request bodies (a GET has no Content-Length, and
/// a body of unknown length reserved the limit), so a few dozen online tills made
/// central answer every other request "503 busy".
async fn waiting_pulls_take_nothing_from_the_body_budget() {
    let limits = rustok_central::Limits {
        max_bodies_in_flight_bytes: 2 * rustok_central::Limits::default().max_body_bytes,
        ..rustok_central::Limits::default()
    };
    let c = crate::helpers::spawn_central(limits).await;
    let a = Device::new(66);
    let creds = a.enrol(&c.url, &c.code("corner").await).await;
    let head = pull(&client(&creds), "after=0").await.unwrap().head;
    let waiting: Vec<_> = (0..6)
        .map(|_| {
            let cl = client(&creds);
            tokio::spawn(async move { pull(&cl, &format!("after={head}&wait=3")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(waiting.iter().all(|w| !w.is_finished()), "the pulls wait");
    // A push (a body) still gets in while they wait.
    push_all(&a, &creds, &c).await;
    for w in waiting {
        w.await.unwrap().unwrap();
    }
}

crate::on_both!(
    waiting_pulls_take_nothing_from_the_body_budget,
    the_feed_carries_tenant_changes_to_every_other_device_and_stock_within_the_store,
    a_waiting_pull_wakes_when_the_feed_moves,
    bad_pulls_get_clear_errors_and_strangers_see_nothing,
    stores_are_made_by_the_admin_and_codes_name_an_existing_one,
    events_stored_before_the_feed_existed_are_in_it_after_the_upgrade,
);
