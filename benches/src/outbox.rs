//! Device databases with a full outbox, for the benchmarks that drain one to central.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used)]

use crate::catalog::{ok, shop};
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};

/// A device database with `n` events in its outbox (real events of a set-up shop,
/// repeated with fresh ids and seqs).
pub fn device_template(dir: &Path, n: u64) -> PathBuf {
    let (shop, admin) = shop(dir);
    let fields = rustok_core::domain::product::ProductFields {
        sku: ok(rustok_core::domain::product::Sku::parse("SKU-1")),
        barcode: None,
        titles: rustok_core::domain::locale::Localized::new().with(
            ok(rustok_core::domain::locale::Locale::parse("en")),
            ok(rustok_core::domain::product::ProductTitle::parse("Honey")),
        ),
        descriptions: rustok_core::domain::locale::Localized::new(),
        price: rustok_core::domain::money::Money::new(
            450,
            ok(rustok_core::domain::money::Currency::parse("EUR")),
        ),
        tax_rate: ok(rustok_core::domain::product::TaxRate::from_basis_points(
            700,
        )),
        low_stock_threshold: 0,
        category: None,
        image: None,
    };
    let p = ok(shop.create_product(
        &admin,
        fields,
        rustok_core::domain::product::ProductStatus::Active,
    ));
    for _ in 0..3 {
        ok(shop.receive_stock(
            &admin,
            p.id,
            ok(rustok_core::domain::stock::Quantity::new(5)),
            None,
        ));
    }
    drop(shop);
    let db = dir.join("shop.db");
    let mut c = Connection::open(&db).expect("device database");
    let tx = c.transaction().expect("transaction");
    let last: u64 = tx
        .query_row("SELECT max(seq) FROM events", [], |r| r.get(0))
        .expect("newest event");
    {
        let mut st = tx
            .prepare(
                "INSERT INTO events (seq, id, type, schema_version, tenant_id, device_id, hlc, occurred_at, actor_id, correlation_id, causation_id, origin, aggregate_id, data)
                 SELECT ?1, ?2, type, schema_version, tenant_id, device_id, ?3, occurred_at, actor_id, correlation_id, causation_id, origin, aggregate_id, data
                 FROM events WHERE seq = ?4",
            )
            .expect("insert statement");
        for seq in last + 1..=n.max(last) {
            let id = format!(
                "0192f0e4-{:04x}-7000-8000-{:012x}",
                seq >> 48,
                seq & 0xffff_ffff_ffff
            );
            // Increasing with seq, as the device's clock makes them.
            let hlc = format!("{}-{:04}", 1_795_260_000_000 + seq / 10_000, seq % 10_000);
            let template = 2 + seq % (last - 1);
            st.execute(params![seq, id, hlc, template])
                .expect("event copy");
        }
    }
    tx.commit().expect("commit");
    drop(c);
    db
}

/// A fresh central on loopback with a copy of the device `template` enrolled at it.
pub struct Enrolled {
    /// The device's store.
    pub store: std::sync::Arc<rustok_core::store::Store>,
    /// Its credentials (central's own address).
    pub creds: rustok_sync::credentials::Credentials,
    /// Central's address.
    pub addr: std::net::SocketAddr,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Enrolled {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts a fresh central (data and device copy in the scratch folder, limits off)
/// and enrols a copy of `template` at it. Call inside a tokio runtime.
pub async fn enrolled(template: &Path) -> Enrolled {
    use rustok_central::{store, Central, Limits};
    use std::sync::Arc;
    use std::time::Duration;
    let dir = tempfile::tempdir_in(crate::scratch_dir()).expect("scratch dir");
    let db = dir.path().join("shop.db");
    std::fs::copy(template, &db).expect("device copy");
    let backend = store::Sqlite::open(&dir.path().join("central")).expect("central db");
    let central = Arc::new(Central::new(
        Arc::new(backend),
        "bench-admin-token-0000".into(),
        Limits {
            device_rate_per_sec: 1e9,
            device_burst: 1e9,
            ..Limits::default()
        },
    ));
    let code = rustok_central::http::issue_code(
        &central,
        "bench",
        Duration::from_secs(60),
        None,
        rustok_sync::protocol::MAIN_STORE,
    )
    .await
    .expect("code");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("central listens");
    let addr = listener.local_addr().expect("central address");
    let server = tokio::spawn(rustok_central::serve(
        listener,
        central,
        std::future::pending(),
    ));
    let store = Arc::new(rustok_core::store::Store::open(&db).expect("device store"));
    let identity = store
        .read(rustok_core::store::device_identity)
        .expect("identity")
        .expect("set up");
    let (base, reply) = rustok_sync::client::enrol(
        &format!("http://{addr}"),
        &rustok_sync::client::enrol_request(&code.code, &identity, "bench"),
        Duration::from_secs(5),
    )
    .await
    .expect("enrol");
    Enrolled {
        store,
        creds: rustok_sync::credentials::Credentials::from_enrolment(base, reply),
        addr,
        server,
        _dir: dir,
    }
}
