//! A chain at the real central for the store-sync benches: central on loopback
//! (SQLite), a first till that makes the chain (settings, administrator), head
//! office's catalog through the admin API, and new tills that join it.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::catalog::{barcode, ok, titles, Rng};
use rustok_central::{Central, Limits};
use rustok_core::domain::device::DeviceCode;
use rustok_core::service::Shop;
use rustok_core::store::Store;
use rustok_core::system::{OsEntropy, SystemClock};
use rustok_sync::credentials::Credentials;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Central's admin token.
pub const TOKEN: &str = "bench-admin-token-0123456789";
/// The chain's slug.
pub const TENANT: &str = "bench";

/// Head office's product `i`, as the admin API takes it.
pub fn product(i: usize, rng: &Rng) -> serde_json::Value {
    let (en, ru) = titles(rng);
    serde_json::json!({
        "kind": "product",
        "id": uuid::Uuid::from_u128(0x0192_f0e4_7000_7000_8000_0000_0000_0000 | i as u128),
        "fields": {
            "sku": format!("SKU-{i:06}"), "barcode": barcode(i),
            "titles": { "en": en, "ru": ru },
            "price": { "minor": 50 + (i % 5000) as i64, "currency": "EUR" },
            "tax_rate": 2000, "low_stock_threshold": 0, "status": "active",
        }
    })
}

/// Central with the chain and its catalog, served on loopback.
pub struct Chain {
    /// The server.
    pub central: Arc<Central>,
    /// Its address.
    pub url: String,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

/// Central with a chain of `n` head-office products.
pub async fn chain(n: usize) -> Chain {
    let dir = tempfile::tempdir_in(crate::scratch_dir()).expect("scratch dir");
    let backend = rustok_central::store::Sqlite::open(&dir.path().join("central")).unwrap();
    let central = Arc::new(Central::new(
        Arc::new(backend),
        TOKEN.into(),
        // Tills of a real chain enrol from their own addresses, not fifty from one.
        Limits {
            device_rate_per_sec: 1e6,
            device_burst: 1e6,
            public_rate_per_sec: 1e6,
            public_burst: 1e6,
            ..Limits::default()
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let c = central.clone();
    let server = tokio::spawn(async move {
        rustok_central::serve(listener, c, std::future::pending())
            .await
            .unwrap();
    });
    // The first till makes the chain: its settings and its administrator.
    let first = dir.path().join("first");
    std::fs::create_dir_all(&first).unwrap();
    let (shop, _) = crate::catalog::shop(&first);
    let code = issue(&central).await;
    let identity = shop.device().unwrap().unwrap();
    let req = rustok_sync::client::enrol_request(&code, &identity, "bench");
    let (base, reply) = rustok_sync::client::enrol(&url, &req, Duration::from_secs(30))
        .await
        .unwrap();
    let creds = rustok_sync::credentials::Credentials::from_enrolment(base, reply);
    let client =
        rustok_sync::client::Client::new(creds, Arc::new(SystemClock), Duration::from_secs(30))
            .unwrap();
    rustok_sync::relay::Relay::new(
        shop.store().clone(),
        client,
        rustok_sync::breaker::Breaker::new(
            rustok_sync::breaker::BreakerConfig::default(),
            Arc::new(rustok_sync::breaker::SystemMonotonic::default()),
        ),
        rustok_sync::relay::BatchLimits::default(),
        Arc::new(SystemClock),
    )
    .drain()
    .await
    .unwrap();
    // Head office's catalog, 1,000 products a request.
    let http = reqwest::Client::new();
    let rng = Rng::new(7);
    for start in (0..n).step_by(1_000) {
        let changes: Vec<_> = (start..n.min(start + 1_000))
            .map(|i| product(i, &rng))
            .collect();
        let r = http
            .post(format!("{url}/v1/admin/tenants/{TENANT}/changes"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({ "protocol": 1, "changes": changes }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    Chain {
        central,
        url,
        _dir: dir,
        _server: server,
    }
}

/// A fresh enrolment code of the chain's main store.
pub async fn issue(central: &Central) -> String {
    rustok_central::http::issue_code(
        central,
        TENANT,
        Duration::from_secs(600),
        None,
        rustok_sync::protocol::MAIN_STORE,
    )
    .await
    .unwrap()
    .code
}

/// The number of the next till that joins.
static NEXT_TILL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A new till on an empty database in `dir`, joined to the chain (nothing pulled yet).
pub async fn join(chain: &Chain, dir: &Path, code: &str) -> (Arc<Shop>, Credentials) {
    let shop = Arc::new(Shop::new(
        Arc::new(Store::open(&dir.join("shop.db")).unwrap()),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    ));
    let creds = rustok_sync::agent::join_and_save(
        &chain.url,
        code,
        &shop,
        // A till code is one till's in a chain: every join takes the next one.
        ok(DeviceCode::parse(&format!(
            "NEW{}",
            NEXT_TILL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ))),
        "bench",
        Duration::from_secs(30),
        &dir.join("credentials.json"),
    )
    .await
    .unwrap();
    (shop, creds)
}
