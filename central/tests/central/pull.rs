//! Pulling end to end: a second till of the shop, enrolled at the real central,
//! takes head office's price change and the first till's stock movements through
//! the feed — by a waiting pull that wakes when the feed moves, and by its agent
//! without being asked.

use crate::helpers::{relay, spawn_central, CentralUnderTest, Device, ADMIN_TOKEN, START};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::operator::Pin;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::product::Sku;
use rustok_core::domain::stock::Quantity;
use rustok_core::service::Shop;
use rustok_core::service::{NewLine, NewOrder};
use rustok_core::store::Store;
use rustok_core::system::SystemClock;
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_sync::agent::{Agent, AgentConfig};
use rustok_sync::credentials::Credentials;
use rustok_sync::pull::Puller;
use rustok_sync::relay::BatchLimits;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A second till of `a`'s shop: `a`'s database as it is now, under its own device
/// id and with none of `a`'s events (they are `a`'s to push).
struct Sibling {
    dir: tempfile::TempDir,
    shop: Arc<Shop>,
}

fn sibling(a: &Device) -> Sibling {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    a.store().backup_to(&path).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DELETE FROM events; DELETE FROM handler_checkpoints;
         UPDATE device SET device_id = '0192f0e4-3000-7000-8000-0000000000c2', device_code = 'POS2',
                last_seq = 0, acked_seq = 0;",
    )
    .unwrap();
    drop(c);
    let shop = Arc::new(Shop::new(
        Arc::new(Store::open(&path).unwrap()),
        Arc::new(ManualClock::new(START)),
        Arc::new(SeededEntropy::new(0xB2)),
    ));
    Sibling { dir, shop }
}

async fn enrol(c: &CentralUnderTest, shop: &Shop) -> Credentials {
    let identity = shop.device().unwrap().unwrap();
    let req = rustok_sync::client::enrol_request(&c.code("corner").await, &identity, "test");
    let (base, reply) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    Credentials::from_enrolment(base, reply)
}

async fn set_price(c: &CentralUnderTest, product: uuid::Uuid, minor: i64) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/tenants/corner/changes", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "protocol": 1, "changes": [
            { "kind": "product", "id": product, "fields": { "price": {"minor": minor, "currency": "EUR"} } }
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The product with `sku` as the till holds it.
fn product(shop: &Shop, sku: &str) -> rustok_core::domain::product::Product {
    let tenant = shop.device().unwrap().unwrap().tenant_id;
    shop.store()
        .read(|c| rustok_core::store::product_by_sku(c, tenant, &Sku::parse(sku).unwrap()))
        .unwrap()
        .unwrap()
}

fn price(shop: &Shop, sku: &str) -> i64 {
    product(shop, sku).fields.price.minor
}

fn on_hand(shop: &Shop, sku: &str) -> i64 {
    product(shop, sku).on_hand
}

async fn a_second_till_takes_head_offices_price_and_the_first_tills_stock() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(61);
    let b = sibling(&a);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    let push_a = || {
        relay(
            &a,
            creds_a.clone(),
            &c.url,
            Duration::from_secs(5),
            BatchLimits::default(),
        )
    };
    push_a().drain().await.unwrap();
    let creds_b = enrol(&c, &b.shop).await;
    let puller = Puller::new(
        b.shop.clone(),
        creds_b.clone(),
        Arc::new(SystemClock),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .unwrap();
    // The first pull brings what the first till pushed; it changes nothing the copy
    // did not hold already, and leaves the cursor at the head.
    let first = puller.pull_all().await.unwrap();
    assert_eq!(first.cursor, first.head);
    let state = b.shop.store().pull_state().unwrap();
    assert_eq!((state.cursor, state.error), (first.head, None));
    assert!(state.pulled_at_ms.is_some());

    // A pull waiting at central wakes when head office changes a price.
    let product = a.products[0].id.as_uuid();
    let waiting = {
        let b = b.shop.clone();
        let creds = creds_b.clone();
        tokio::spawn(async move {
            let p = Puller::new(
                b,
                creds,
                Arc::new(SystemClock),
                Duration::from_secs(5),
                Duration::from_secs(10),
            )
            .unwrap();
            p.wait_and_pull(Duration::from_secs(10)).await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the pull waits for news");
    set_price(&c, product, 777).await;
    let got = waiting.await.unwrap();
    assert_eq!(got.applied, 1);
    assert_eq!(
        price(&b.shop, "SKU-0"),
        777,
        "the next scan takes head office's price"
    );
    assert_eq!(on_hand(&b.shop, "SKU-1"), on_hand(&a.shop, "SKU-1"));

    // The first till sells: the second one's stock follows.
    let before = on_hand(&b.shop, "SKU-1");
    a.sell(1, 2);
    push_a().drain().await.unwrap();
    puller.pull_all().await.unwrap();
    assert_eq!(on_hand(&b.shop, "SKU-1"), before - 2);
    // The second till's own FeedApplied events reach central; none of what it pulled
    // goes back.
    let pushed = relay_of(&b.shop, &creds_b, &c);
    pushed.drain().await.unwrap();
    let held = c
        .central
        .backend
        .events_of(creds_b.device_id)
        .await
        .unwrap();
    assert!(!held.is_empty());
    assert!(
        held.iter()
            .all(|e| e.event_type == "FeedApplied" && e.device_id == creds_b.device_id),
        "{:?}",
        held.iter().map(|e| &e.event_type).collect::<Vec<_>>()
    );
}

fn relay_of(b: &Shop, creds: &Credentials, c: &CentralUnderTest) -> rustok_sync::relay::Relay {
    let client = rustok_sync::client::Client::new(
        Credentials {
            central_url: c.url.clone(),
            ..creds.clone()
        },
        Arc::new(SystemClock),
        Duration::from_secs(5),
    )
    .unwrap();
    rustok_sync::relay::Relay::new(
        b.store().clone(),
        client,
        crate::helpers::lenient_breaker(),
        BatchLimits::default(),
        Arc::new(ManualClock::new(START)),
    )
}

async fn an_online_agent_applies_head_offices_change_without_being_asked() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(62);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    relay(
        &a,
        creds_a,
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    let b = sibling(&a);
    let creds_path = b.dir.path().join("sync.json");
    let agent = Agent::new(
        b.shop.store().clone(),
        Arc::new(SystemClock),
        AgentConfig {
            // Far longer than the test: only the waiting pull can bring the change.
            interval: Duration::from_secs(3600),
            debounce: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
            health_every: Duration::from_secs(3600),
            app_version: "test".into(),
            pull_wait: Duration::from_secs(5),
            ..AgentConfig::default()
        },
        creds_path,
        Box::new(|| {}),
    );
    agent.attach_shop(b.shop.clone()).unwrap();
    let task = tokio::spawn(agent.clone().run());
    let identity = b.shop.device().unwrap().unwrap();
    agent
        .enrol(&c.url, &c.code("corner").await, &identity)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while agent.status().unwrap().state != rustok_sync::agent::SyncState::Online {
        assert!(Instant::now() < deadline, "{:?}", agent.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the waiting pull a moment to be at central, then change the price.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    set_price(&c, a.products[2].id.as_uuid(), 4321).await;
    while price(&b.shop, "SKU-2") != 4321 {
        assert!(Instant::now() < deadline, "the change never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = agent.status().unwrap();
    assert_eq!(status.pull.cursor, status.pull.head);
    agent.stop();
    task.abort();
}

/// A shop on an empty database in `dir`, as a till just installed has.
fn empty_shop(dir: &std::path::Path, seed: u64) -> Shop {
    Shop::new(
        Arc::new(Store::open(&dir.join("shop.db")).unwrap()),
        Arc::new(ManualClock::new(START)),
        Arc::new(SeededEntropy::new(seed)),
    )
}

/// A new till, installed from nothing, joins the chain with a code: its first pull
/// brings the chain's settings, operators (with their PINs) and catalog, and it
/// sells; nobody can log in before that, and joining twice is refused.
async fn a_new_till_joins_the_chain_from_nothing_and_sells_once_the_catalog_is_in() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(63);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    relay(
        &a,
        creds_a.clone(),
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shop = Arc::new(empty_shop(dir.path(), 0x9E));
    let path = dir.path().join("credentials.json");
    let code = c.code("corner").await;
    let join = |code: String| {
        let (shop, path, url) = (shop.clone(), path.clone(), c.url.clone());
        async move {
            rustok_sync::agent::join_and_save(
                &url,
                &code,
                &shop,
                DeviceCode::parse("POS9").unwrap(),
                "test",
                Duration::from_secs(5),
                &path,
            )
            .await
        }
    };
    let creds = join(code).await.unwrap();
    assert_eq!(creds.tenant_id, creds_a.tenant_id, "it joined the chain");
    assert!(
        !shop.ready().unwrap(),
        "nothing to log in with before the pull"
    );
    assert!(shop.login_choices().unwrap().is_empty());
    let puller = Puller::new(
        shop.clone(),
        creds.clone(),
        Arc::new(SystemClock),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .unwrap();
    let pulled = puller.pull_all().await.unwrap();
    assert_eq!(pulled.cursor, pulled.head);
    assert!(shop.ready().unwrap());
    let me = shop.device().unwrap().unwrap();
    let tenant = shop
        .store()
        .read(|c| rustok_core::store::tenant(c, me.tenant_id))
        .unwrap()
        .unwrap();
    assert_eq!(
        tenant.settings.name.as_str(),
        "Corner",
        "the chain's settings"
    );
    for p in &a.products {
        let got = product(&shop, p.fields.sku.as_str());
        assert_eq!(got.fields, p.fields);
    }
    // The cashier logs in with the PIN set on the first till, and sells.
    let cashier = shop
        .login(a.cashier.operator_id(), &Pin::parse("2222").unwrap())
        .unwrap();
    shop.open_cash_session(&cashier, 0).unwrap();
    let sold = &a.products[0];
    shop.counter_sale(
        &cashier,
        NewOrder {
            lines: vec![NewLine {
                product_id: sold.id,
                quantity: Quantity::new(1).unwrap(),
                discount: None,
            }],
            ..NewOrder::default()
        },
        &[Tender::Card {
            amount: sold.fields.price.minor,
            reference: None,
        }],
    )
    .unwrap();
    let pushed = relay_of(&shop, &creds, &c).drain().await.unwrap();
    assert!(pushed > 0);
    let held = c.central.backend.events_of(creds.device_id).await.unwrap();
    assert!(
        held.iter().any(|e| e.event_type == "OrderPaid"),
        "the sale reached central"
    );
    // A second join on a set-up till is refused, and spends no code.
    let again = c.code("corner").await;
    let refused = join(again.clone()).await;
    assert!(refused.is_err());
    let other = tempfile::tempdir().unwrap();
    let fresh = empty_shop(other.path(), 0x9F);
    let third = rustok_sync::agent::join_and_save(
        &c.url,
        &again,
        &fresh,
        DeviceCode::parse("POS8").unwrap(),
        "test",
        Duration::from_secs(5),
        &other.path().join("credentials.json"),
    )
    .await
    .unwrap();
    assert_ne!(third.device_id, creds.device_id, "the code was still good");
}

/// A till code begins every receipt number a till prints: two tills of a chain
/// never share one. A join with a taken code is refused (409) without spending
/// the code, which then joins under another till code.
async fn a_till_code_is_one_tills_in_a_chain() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(64);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    relay(
        &a,
        creds_a,
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    let seed = std::sync::atomic::AtomicU64::new(0xA0);
    let join = |code: String, till: &'static str| {
        let url = c.url.clone();
        let seed = seed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move {
            let dir = tempfile::tempdir().unwrap();
            let shop = empty_shop(dir.path(), seed);
            rustok_sync::agent::join_and_save(
                &url,
                &code,
                &shop,
                DeviceCode::parse(till).unwrap(),
                "test",
                Duration::from_secs(5),
                &dir.path().join("credentials.json"),
            )
            .await
        }
    };
    // The first till is POS1; then POS2 joins, and is taken in turn.
    for (taken, free) in [("POS1", "POS2"), ("POS2", "POS3")] {
        let code = c.code("corner").await;
        match join(code.clone(), taken).await {
            Err(rustok_sync::SyncError::Http {
                status: 409,
                code: why,
                ..
            }) => assert_eq!(why, "till_code_taken"),
            other => panic!("{taken}: {other:?}"),
        }
        join(code, free)
            .await
            .unwrap_or_else(|e| panic!("the code was not spent: {e}"));
    }
}

crate::on_both!(
    a_till_code_is_one_tills_in_a_chain,
    a_second_till_takes_head_offices_price_and_the_first_tills_stock,
    an_online_agent_applies_head_offices_change_without_being_asked,
    a_new_till_joins_the_chain_from_nothing_and_sells_once_the_catalog_is_in,
);
