//! `report_query`: head office's sales report over 90 days of a tenant with 1M sale
//! events (473,685 orders of 3 lines in 5 stores, each paid, every ninth refunded),
//! as the console asks for it — the four report queries and putting them together
//! — against its floor in the same run: one aggregate over the same rows and range
//! (`count(*)` and `sum(amount)` of the sales), the least any report of that range
//! reads. On SQLite and on PostgreSQL (`RUSTOK_TEST_DATABASE_URL`, as `make bench`
//! starts one). The report tables are filled through the projection's own write
//! (`report_apply`); only the queries are timed.
//!
//! Then the console shows the same report in headless Chromium (through
//! chromedriver, as central's browser tests drive it) against a central serving
//! that backend on loopback: the time from opening the report's address to its
//! figures and charts on the screen, the median of five, is printed beside the
//! query's (a `BROWSER` line).

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::Criterion;
use rustok_central::report::{self, Ask, LineRow, OrderRows, SaleRows};
use rustok_central::store::{self, Backend, ReportBatch};
use rustok_core::domain::ids::{DeviceId, TenantId};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const GROUP: &str = "report_query";
const DAY_MS: i64 = 86_400_000;
/// 2026-09-01T00:00Z: the 90 days start here.
const START_MS: i64 = 1_788_220_800_000;
const DAYS: i64 = 90;
const STORES: usize = 5;

/// Orders: 1M events under `cargo bench` (each order is made, paid, and every
/// ninth refunded: 2 + 1/9 events), 5,000 orders in a smoke run.
fn orders() -> usize {
    if rustok_benches::full_run() {
        473_685
    } else {
        5_000
    }
}

fn tenant() -> TenantId {
    TenantId::from_uuid(uuid::Uuid::from_u128(
        0x0192_f0e4_2000_7000_8000_0000_0000_0001,
    ))
}

/// The report rows of `n` orders spread evenly over the 90 days, in chunks.
fn batches(n: usize) -> Vec<ReportBatch> {
    let tenant = tenant();
    let span = DAYS * DAY_MS;
    let mut out = Vec::new();
    let mut batch = ReportBatch::default();
    for i in 0..n {
        let store = i % STORES;
        let device = DeviceId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_3000_7000_8000_0000_0000_0000 | store as u128,
        ));
        let order_id = format!("0192f0e4-1000-7000-8000-{i:012x}");
        let at_ms = START_MS + (i as i64 * span) / n as i64;
        let lines: Vec<LineRow> = (0..3)
            .map(|l| LineRow {
                product_id: format!("product-{}", (i * 7 + l * 13) % 500),
                title: format!("Product {}", (i * 7 + l * 13) % 500),
                quantity: 1 + (i % 3) as i64,
                amount: 250 + ((i + l) % 40) as i64 * 10,
            })
            .collect();
        let total: i64 = lines.iter().map(|l| l.amount).sum();
        batch.orders.push((
            tenant,
            OrderRows {
                order_id: order_id.clone(),
                currency: "EUR".into(),
                discount: (i % 3) as i64 * 10,
                lines,
            },
        ));
        let method = if i % 2 == 0 { "card" } else { "cash" };
        let seq = (i / STORES) as u64 * 3 + 1;
        batch.sales.push((
            device,
            seq,
            tenant,
            format!("store-{store}"),
            SaleRows {
                order_id: order_id.clone(),
                at_ms,
                kind: "paid",
                amount: total,
                tenders: vec![(method, total)],
            },
        ));
        if i % 9 == 0 {
            batch.sales.push((
                device,
                seq + 1,
                tenant,
                format!("store-{store}"),
                SaleRows {
                    order_id,
                    at_ms: at_ms + 60_000,
                    kind: "refunded",
                    amount: total / 2,
                    tenders: vec![(method, total / 2)],
                },
            ));
        }
        if batch.orders.len() == 5_000 {
            out.push(std::mem::take(&mut batch));
        }
    }
    if !batch.orders.is_empty() {
        out.push(batch);
    }
    out
}

/// A backend filled with the report rows, and the floor's own connection to it.
struct Filled {
    backend: Arc<dyn Backend>,
    floor: Floor,
    _keep: Keep,
}

enum Floor {
    Sqlite(std::sync::Mutex<rusqlite::Connection>),
    Postgres(tokio_postgres::Client),
}

enum Keep {
    /// Removed when the bench is done with it.
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema {
        base: String,
        schema: String,
    },
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(conn);
    client
}

async fn filled(postgres: bool) -> Filled {
    let (backend, floor, keep): (Arc<dyn Backend>, Floor, Keep) = if postgres {
        let base = std::env::var("RUSTOK_TEST_DATABASE_URL").expect(
            "RUSTOK_TEST_DATABASE_URL is not set: run through `make bench` (or scripts/with-postgres.sh)",
        );
        let n = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("time")
            .as_nanos();
        let schema = format!("bench_report_{n}");
        connect(&base)
            .await
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let backend = Arc::new(store::Postgres::connect(&url).await.expect("postgres"));
        (
            backend,
            Floor::Postgres(connect(&url).await),
            Keep::Schema { base, schema },
        )
    } else {
        let dir = tempfile::tempdir_in(rustok_benches::scratch_dir()).expect("scratch dir");
        let backend = Arc::new(store::Sqlite::open(dir.path()).expect("sqlite"));
        let conn = rusqlite::Connection::open(dir.path().join("central.db")).expect("open");
        (
            backend,
            Floor::Sqlite(std::sync::Mutex::new(conn)),
            Keep::Dir(dir),
        )
    };
    for batch in batches(orders()) {
        backend.report_apply(&batch).await.expect("rows");
    }
    if let Floor::Postgres(c) = &floor {
        c.batch_execute("ANALYZE").await.expect("analyze");
    }
    Filled {
        backend,
        floor,
        _keep: keep,
    }
}

impl Filled {
    async fn drop_schema(self) {
        if let Keep::Schema { base, schema } = &self._keep {
            let _ = connect(base)
                .await
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await;
        }
    }
}

fn ask() -> Ask {
    Ask {
        from_ms: START_MS,
        to_ms: START_MS + DAYS * DAY_MS,
        offset_ms: 3 * 3_600_000,
    }
}

async fn ours(f: &Filled) -> report::SalesReport {
    let raw = f
        .backend
        .sales_report(tenant(), ask())
        .await
        .expect("report");
    report::assemble(ask(), raw)
}

const FLOOR_SQL: &str = "SELECT count(*), CAST(sum(amount) AS BIGINT) FROM report_sales
     WHERE tenant_id = $1 AND at_ms >= $2 AND at_ms < $3";

async fn floor(f: &Filled) -> (i64, i64) {
    let a = ask();
    match &f.floor {
        Floor::Sqlite(c) => {
            let c = c.lock().expect("floor connection");
            c.query_row(
                FLOOR_SQL,
                rusqlite::params![tenant().to_string(), a.from_ms, a.to_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("floor")
        }
        Floor::Postgres(c) => {
            let row = c
                .query_one(FLOOR_SQL, &[&tenant().as_uuid(), &a.from_ms, &a.to_ms])
                .await
                .expect("floor");
            (row.get(0), row.get(1))
        }
    }
}

const PERSON: &str = "bench-office";
const PASSWORD: &str = "bench password 1";
const TOKEN: &str = "bench-admin-token";

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The 90 days' report in the console, in headless Chromium, against a central
/// serving `f`: milliseconds from opening its address to the figures and charts
/// drawn, five times; `None` (said why) when chromedriver is missing.
async fn in_browser(f: &Filled) -> Option<Vec<f64>> {
    let Ok(driver_path) = which("chromedriver") else {
        eprintln!("{GROUP}: chromedriver is not installed; the browser figure is not measured");
        return None;
    };
    let central = Arc::new(rustok_central::Central::new(
        Arc::clone(&f.backend),
        TOKEN.into(),
        rustok_central::Limits::default(),
    ));
    // The bench's tenant gets a slug (and its main store) the console can name.
    let ids = store::OfficeIds {
        tenant_id: tenant(),
        device_id: DeviceId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_3000_7000_8000_0000_0000_00ff,
        )),
        secret: vec![7; 32],
    };
    f.backend
        .office("bench", &ids, START_MS)
        .await
        .expect("office");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(rustok_central::serve(
        listener,
        Arc::clone(&central),
        std::future::pending(),
    ));
    let r = reqwest::Client::new()
        .post(format!(
            "{url}{}",
            rustok_central::console::paths::ADMIN_PEOPLE
        ))
        .bearer_auth(TOKEN)
        .json(
            &serde_json::json!({ "login": PERSON, "name": "Bench", "password": PASSWORD,
                                   "tenant_slug": "bench" }),
        )
        .send()
        .await
        .expect("add person");
    assert!(r.status().is_success(), "{}", r.status());
    let port = free_port();
    let mut driver = std::process::Command::new(driver_path)
        .arg(format!("--port={port}"))
        .env("TZ", "UTC")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver");
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--window-size=1400,900", "--lang=en-GB"],
            },
        }))
        .expect("caps");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let client = loop {
        let mut builder = fantoccini::ClientBuilder::rustls().expect("tls");
        builder.capabilities(caps.clone());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => break c,
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver gave no session: {e}"),
        }
    };
    client
        .goto(&format!("{url}/console"))
        .await
        .expect("console");
    let wait = |css: &'static str| {
        let client = client.clone();
        async move {
            client
                .wait()
                .at_most(Duration::from_secs(120))
                .for_element(fantoccini::Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no {css}: {e}"))
        }
    };
    wait("input[name=login]")
        .await
        .send_keys(PERSON)
        .await
        .expect("login");
    wait("input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("password");
    wait("form button[type=submit]")
        .await
        .click()
        .await
        .expect("sign in");
    wait(".topbar").await;
    let last = START_MS + (DAYS - 1) * DAY_MS;
    let day = |ms: i64| {
        let d = time_of(ms);
        format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
    };
    let address = format!(
        "{url}/console#/reports/bench?from={}&to={}",
        day(START_MS),
        day(last)
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        client.goto("about:blank").await.expect("blank");
        let started = std::time::Instant::now();
        client.goto(&address).await.expect("report");
        wait("[data-stat=paid]").await;
        // Every chart drawn: its canvas has a size.
        wait("table[data-table=hours] tbody tr").await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let paid = wait("[data-stat=paid]").await.text().await.expect("text");
    eprintln!("{GROUP}: the browser shows {paid} taken over the 90 days");
    let _ = client.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
    server.abort();
    Some(times)
}

/// (year, month, day) of a Unix millisecond, UTC (civil-from-days).
fn time_of(ms: i64) -> (i64, i64, i64) {
    let z = ms.div_euclid(DAY_MS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The path of `program` on PATH.
fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(program))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

fn main() {
    let since = SystemTime::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group(GROUP);
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(5));
        for (kind, postgres) in [("sqlite", false), ("postgres", true)] {
            let started = std::time::Instant::now();
            let f = rt.block_on(filled(postgres));
            eprintln!(
                "{GROUP} {kind}: {} orders filled in {:.1} s",
                orders(),
                started.elapsed().as_secs_f64()
            );
            let report = rt.block_on(ours(&f));
            let (sales, _) = rt.block_on(floor(&f));
            let days = report.days.len();
            let paid: u64 = report.totals.iter().map(|t| t.orders).sum();
            let refunds: u64 = report.totals.iter().map(|t| t.refunds).sum();
            assert_eq!(
                u64::try_from(sales).unwrap(),
                paid + refunds,
                "the report counts every sale"
            );
            assert!(days >= 90 * STORES, "{days} store-days");
            g.bench_function(format!("{kind}_ours"), |b| {
                b.iter(|| rt.block_on(ours(&f)));
            });
            g.bench_function(format!("{kind}_floor"), |b| {
                b.iter(|| rt.block_on(floor(&f)));
            });
            if let Some(mut times) = rt.block_on(in_browser(&f)) {
                times.sort_by(f64::total_cmp);
                let query = std::time::Instant::now();
                rt.block_on(ours(&f));
                eprintln!(
                    "BROWSER {GROUP} {kind}: 90 days of {} orders opened in the console in {:.0} ms (median of 5; {:.0}-{:.0} ms), the query alone {:.0} ms",
                    orders(),
                    times[times.len() / 2],
                    times[0],
                    times[times.len() - 1],
                    query.elapsed().as_secs_f64() * 1000.0
                );
            }
            rt.block_on(f.drop_schema());
        }
        g.finish();
    }
    rustok_benches::finish(
        GROUP,
        &[
            ("sqlite_ours", "sqlite_floor"),
            ("postgres_ours", "postgres_floor"),
        ],
        since,
    );
}
