//! `central_ingest`: 100 simulated devices (10 tenants) push concurrently to the real
//! central over loopback, batches of 1,000 events, every push committed durably
//! (SQLite WAL with `synchronous=FULL`; PostgreSQL with fsync and synchronous commit,
//! its defaults). Each backend against its floor in the same run: the same event rows
//! written by the fastest plain means of that database — a multi-row INSERT in one
//! transaction per batch for SQLite, `COPY … (FORMAT binary)` per batch from as many
//! connections as central's pool for PostgreSQL. Target: ≥ 0.5× the floor's
//! events/s on each. Also the p99 latency of one push.
//!
//! PostgreSQL comes from `RUSTOK_TEST_DATABASE_URL` (`make bench` and `make test` start
//! a throwaway one: scripts/with-postgres.sh). Each iteration starts from empty storage
//! and enrolls its devices; only the pushes (or the floor's writes) are timed.

// Bench setup: a failure there is a broken bench, reported by the panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, Criterion};
use rustok_central::store::{self, Backend};
use rustok_central::{Central, Limits};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::ids::{DeviceId, TenantId};
use rustok_core::store::DeviceIdentity;
use rustok_sync::client::{self, Client};
use rustok_sync::credentials::Credentials;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::ToSql;

const GROUP: &str = "central_ingest";
const TOKEN: &str = "bench-admin-token-0123456789";
const TENANTS: usize = 10;
/// Connections of the PostgreSQL floor: central's pool size.
const FLOOR_CONNECTIONS: usize = 16;

/// Devices, batches per device, events per batch.
fn shape() -> (usize, usize, usize) {
    if rustok_benches::full_run() {
        (100, 2, 1_000)
    } else {
        (10, 1, 50)
    }
}

/// One event row, as central stores it.
struct Row {
    device: uuid::Uuid,
    seq: i64,
    id: uuid::Uuid,
    tenant: uuid::Uuid,
    event_type: String,
    schema_version: i64,
    occurred_at: String,
    occurred_at_ms: i64,
    envelope: String,
}

/// A simulated device: its identity, its push bodies and the same events as rows.
struct Sim {
    identity: DeviceIdentity,
    bodies: Vec<Vec<u8>>,
    rows: Vec<Vec<Row>>,
}

fn fixtures() -> Vec<Value> {
    [
        include_str!("../../core/tests/fixtures/events/OrderCreated.v1.json"),
        include_str!("../../core/tests/fixtures/events/StockMoved.v1.json"),
        include_str!("../../core/tests/fixtures/events/OrderPaid.v1.json"),
        include_str!("../../core/tests/fixtures/events/OrderConfirmed.v1.json"),
    ]
    .iter()
    .map(|s| serde_json::from_str(s).expect("fixture"))
    .collect()
}

fn sims() -> Vec<Sim> {
    let (devices, batches, batch) = shape();
    let fixtures = fixtures();
    (0..devices)
        .map(|d| {
            let tenant = uuid::Uuid::from_u128(
                0x0192_f0e4_2000_7000_8000_0000_0000_0000 | (d % TENANTS) as u128,
            );
            let device =
                uuid::Uuid::from_u128(0x0192_f0e4_3000_7000_8000_0000_0000_0000 | d as u128);
            let mut bodies = Vec::new();
            let mut rows = Vec::new();
            for b in 0..batches {
                let mut body = rustok_sync::protocol::push::PushBody::new(
                    rustok_sync::protocol::MAX_BODY_BYTES,
                );
                let mut batch_rows = Vec::new();
                for i in 0..batch {
                    let seq = (b * batch + i + 1) as u64;
                    let id = uuid::Uuid::from_u128(
                        0x0192_f0e4_1000_7000_8000_0000_0000_0000
                            | ((d as u128) << 32)
                            | u128::from(seq),
                    );
                    let mut e = fixtures[i % fixtures.len()].clone();
                    e["id"] = id.to_string().into();
                    e["seq"] = seq.into();
                    e["device_id"] = device.to_string().into();
                    e["tenant_id"] = tenant.to_string().into();
                    let envelope = serde_json::to_string(&e).expect("json");
                    let raw = serde_json::value::RawValue::from_string(envelope.clone())
                        .expect("raw json");
                    assert!(body.push(&raw).expect("framed"), "a batch fits one body");
                    batch_rows.push(Row {
                        device,
                        seq: seq as i64,
                        id,
                        tenant,
                        event_type: e["type"].as_str().unwrap().to_owned(),
                        schema_version: e["schema_version"].as_i64().unwrap(),
                        occurred_at: e["occurred_at"].as_str().unwrap().to_owned(),
                        occurred_at_ms: 1_795_260_000_123,
                        envelope,
                    });
                }
                bodies.push(body.finish());
                rows.push(batch_rows);
            }
            Sim {
                identity: DeviceIdentity {
                    device_id: DeviceId::from_uuid(device),
                    tenant_id: TenantId::from_uuid(tenant),
                    device_code: DeviceCode::parse(&format!("D{d}")).expect("code"),
                },
                bodies,
                rows,
            }
        })
        .collect()
}

/// Empty storage of one kind, and what keeps it.
enum Fresh {
    Sqlite(tempfile::TempDir),
    Postgres { base: String, schema: String },
}

impl Fresh {
    async fn new(postgres: bool) -> Fresh {
        if !postgres {
            return Fresh::Sqlite(
                tempfile::tempdir_in(rustok_benches::scratch_dir()).expect("scratch dir"),
            );
        }
        let base = std::env::var("RUSTOK_TEST_DATABASE_URL").expect(
            "RUSTOK_TEST_DATABASE_URL is not set: run through `make bench` (or scripts/with-postgres.sh)",
        );
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_nanos();
        let schema = format!("bench_{n}");
        connect(&base)
            .await
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("schema");
        Fresh::Postgres { base, schema }
    }

    fn url(&self) -> String {
        match self {
            Fresh::Sqlite(_) => unreachable!("SQLite has no URL"),
            Fresh::Postgres { base, schema } => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-c%20search_path%3D{schema}")
            }
        }
    }

    async fn backend(&self) -> Arc<dyn Backend> {
        match self {
            Fresh::Sqlite(dir) => Arc::new(store::Sqlite::open(dir.path()).expect("sqlite")),
            Fresh::Postgres { .. } => Arc::new(
                store::Postgres::connect(&self.url())
                    .await
                    .expect("postgres"),
            ),
        }
    }

    async fn drop_schema(self) {
        if let Fresh::Postgres { base, schema } = self {
            let _ = connect(&base)
                .await
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await;
        }
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(conn);
    client
}

/// Ours: the devices push their batches through HTTP at once; returns the wall time
/// of the pushes and each push's latency.
async fn ours(postgres: bool, sims: Vec<Sim>) -> (Duration, Vec<Duration>) {
    let fresh = Fresh::new(postgres).await;
    let backend = fresh.backend().await;
    let central = Arc::new(Central::new(
        backend.clone(),
        TOKEN.into(),
        Limits {
            device_rate_per_sec: 1e9,
            device_burst: 1e9,
            public_rate_per_sec: 1e9,
            public_burst: 1e9,
            ..Limits::default()
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("central listens");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(rustok_central::serve(
        listener,
        central.clone(),
        std::future::pending(),
    ));
    let mut pushers = Vec::new();
    for (d, sim) in sims.into_iter().enumerate() {
        let code = rustok_central::http::issue_code(
            &central,
            &format!("tenant-{}", d % TENANTS),
            Duration::from_secs(600),
            None,
            rustok_sync::protocol::MAIN_STORE,
        )
        .await
        .expect("code");
        let (base, reply) = client::enrol(
            &url,
            &client::enrol_request(&code.code, &sim.identity, "bench"),
            Duration::from_secs(10),
        )
        .await
        .expect("enrol");
        let creds = Credentials::from_enrolment(base, reply);
        let client = Client::new(
            creds,
            Arc::new(rustok_core::system::SystemClock),
            Duration::from_secs(120),
        )
        .expect("client");
        pushers.push((client, sim.bodies));
    }
    let events: usize = pushers.iter().map(|(_, b)| b.len()).sum::<usize>() * shape().2;
    let started = Instant::now();
    let tasks: Vec<_> = pushers
        .into_iter()
        .map(|(client, bodies)| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut acked = 0;
                for body in bodies {
                    let t = Instant::now();
                    let reply = client.push_raw(body).await.expect("push");
                    latencies.push(t.elapsed());
                    assert!(reply.rejected.is_empty(), "{:?}", reply.rejected.first());
                    assert!(reply.acked_through > acked, "every push stores its batch");
                    acked = reply.acked_through;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("pusher"));
    }
    let took = started.elapsed();
    assert_eq!(
        backend.counts().await.expect("counts").events,
        events as u64,
        "central stored every event once"
    );
    let bytes = match &fresh {
        Fresh::Sqlite(dir) => ["central.db", "central.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
            .map(|m| m.len())
            .sum::<u64>(),
        Fresh::Postgres { .. } => {
            let size: i64 = connect(&fresh.url())
                .await
                .query_one(
                    "SELECT pg_total_relation_size('events') + pg_total_relation_size('sales') + pg_total_relation_size('order_currency')",
                    &[],
                )
                .await
                .expect("size")
                .get(0);
            u64::try_from(size).unwrap_or(0)
        }
    };
    BYTES_PER_EVENT.lock().expect("bytes")[usize::from(postgres)] = bytes / events as u64;
    server.abort();
    drop(central);
    drop(backend);
    fresh.drop_schema().await;
    (took, latencies)
}

const COLUMNS: &str =
    "device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms";

/// The floor: the same event rows, by the fastest plain means of each database.
async fn floor(postgres: bool, sims: Vec<Sim>) -> Duration {
    let fresh = Fresh::new(postgres).await;
    // Central's own tables and indexes, so both write to the same schema.
    drop(fresh.backend().await);
    let batches: Vec<Vec<Row>> = sims.into_iter().flat_map(|s| s.rows).collect();
    let took = match &fresh {
        Fresh::Sqlite(dir) => {
            let mut c = rusqlite::Connection::open(dir.path().join("central.db")).expect("open");
            c.pragma_update(None, "journal_mode", "WAL").expect("wal");
            c.pragma_update(None, "synchronous", "FULL").expect("full");
            let n = batches.first().map_or(0, Vec::len);
            let one = format!("({})", ["?"; 9].join(","));
            let sql = format!(
                "INSERT INTO events ({COLUMNS}) VALUES {}",
                vec![one; n].join(",")
            );
            let started = Instant::now();
            for batch in &batches {
                let tx = c.transaction().expect("begin");
                let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::with_capacity(9 * n);
                for r in batch {
                    params.push(Box::new(r.device.to_string()));
                    params.push(Box::new(r.seq));
                    params.push(Box::new(r.id.to_string()));
                    params.push(Box::new(r.tenant.to_string()));
                    params.push(Box::new(r.event_type.clone()));
                    params.push(Box::new(r.schema_version));
                    params.push(Box::new(r.occurred_at.clone()));
                    params.push(Box::new(r.envelope.clone()));
                    params.push(Box::new(0_i64));
                }
                tx.prepare_cached(&sql)
                    .expect("prepare")
                    .execute(rusqlite::params_from_iter(params.iter()))
                    .expect("insert");
                tx.commit().expect("commit");
            }
            started.elapsed()
        }
        Fresh::Postgres { .. } => {
            let url = fresh.url();
            let mut clients = Vec::new();
            for _ in 0..FLOOR_CONNECTIONS {
                clients.push(connect(&url).await);
            }
            let queue = Arc::new(Mutex::new(batches));
            let started = Instant::now();
            let workers: Vec<_> = clients
                .into_iter()
                .map(|c| {
                    let queue = Arc::clone(&queue);
                    tokio::spawn(async move {
                        loop {
                            let Some(batch) = queue.lock().expect("queue").pop() else {
                                break;
                            };
                            copy_batch(&c, &batch).await;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await.expect("floor worker");
            }
            started.elapsed()
        }
    };
    fresh.drop_schema().await;
    took
}

/// One batch by binary COPY (its own transaction).
async fn copy_batch(c: &tokio_postgres::Client, batch: &[Row]) {
    let sink = c.copy_in(store::COPY_EVENTS).await.expect("copy");
    let writer = BinaryCopyInWriter::new(sink, &store::COPY_EVENT_TYPES);
    let mut writer = std::pin::pin!(writer);
    for r in batch {
        let row: [&(dyn ToSql + Sync); 9] = [
            &r.device,
            &r.seq,
            &r.id,
            &r.tenant,
            &r.event_type,
            &r.schema_version,
            &r.occurred_at_ms,
            &r.envelope,
            &0_i64,
        ];
        writer.as_mut().write(&row).await.expect("copy row");
    }
    writer.finish().await.expect("copy done");
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let latencies: Arc<Mutex<[Vec<Duration>; 2]>> = Arc::default();
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(1));
    for (k, kind) in ["sqlite", "postgres"].into_iter().enumerate() {
        let postgres = k == 1;
        g.bench_function(format!("{kind}_ours"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (took, lat) = rt.block_on(ours(postgres, sims()));
                    total += took;
                    latencies.lock().expect("latencies")[k].extend(lat);
                }
                total
            })
        });
        g.bench_function(format!("{kind}_floor"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| rt.block_on(floor(postgres, sims())))
                    .sum()
            })
        });
    }
    g.finish();
    let mut l = latencies.lock().expect("latencies");
    let (devices, batches, batch) = shape();
    let events = (devices * batches * batch) as f64;
    let since = START.get().copied().unwrap_or(SystemTime::UNIX_EPOCH);
    for (k, kind) in ["sqlite", "postgres"].into_iter().enumerate() {
        let p99 = rustok_benches::percentile_us(&mut l[k], 99.0) / 1000.0;
        let bytes = BYTES_PER_EVENT.lock().expect("bytes")[k];
        let ours = rustok_benches::median_ns(GROUP, &format!("{kind}_ours"), since);
        let floor = rustok_benches::median_ns(GROUP, &format!("{kind}_floor"), since);
        match (ours, floor) {
            (Some(o), Some(f)) => rustok_benches::report_line(&format!(
                "RESULT {GROUP} {kind}: {devices} devices x {batches} pushes of {batch} events: ours {:.0} events/s, p99 push {p99:.0} ms, {bytes} bytes stored per event; floor {:.0} events/s; ours/floor throughput = {:.2}x (target >= 0.5x)",
                events / (o / 1e9),
                events / (f / 1e9),
                f / o,
            )),
            _ => eprintln!("RESULT {GROUP} {kind}: nothing measured in this run (test mode or filtered out); p99 push {p99:.0} ms, {bytes} bytes stored per event"),
        }
    }
}

static START: std::sync::OnceLock<SystemTime> = std::sync::OnceLock::new();

/// Storage an event takes with its indexes and report rows, per backend, as last seen.
static BYTES_PER_EVENT: Mutex<[u64; 2]> = Mutex::new([0; 2]);

criterion_group!(benches, bench);

fn main() {
    START.get_or_init(SystemTime::now);
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
