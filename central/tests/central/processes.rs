//! Two `rustok-central` processes on one PostgreSQL (what only that backend has):
//! devices push to either at random, one process is killed mid-push and started
//! again, and at the end central holds every device's outbox exactly — same ids,
//! same seqs, no gaps, no duplicates.

use crate::helpers::{outbox, pg_url, relay, Device, PgSchema};
use rustok_central::store::Backend;
use rustok_sync::credentials::Credentials;
use rustok_sync::relay::BatchLimits;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "processes-admin-token-0123456789";
const DEVICES: u64 = 4;

/// One central process on the shared database.
struct Process {
    child: Child,
    url: String,
}

impl Process {
    fn start(database: &str) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rustok-central"))
            .args(["--listen", "127.0.0.1:0", "--database", database])
            .env("RUSTOK_CENTRAL_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("central exited before listening")
                .unwrap();
            if let Some(rest) = line.strip_prefix("rustok-central listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading what it logs, so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Process { child, url }
    }

    /// SIGKILL: no shutdown, no flush, whatever it was doing.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SplitMix64.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

async fn admin_code(url: &str, tenant: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{url}{}", rustok_protocol::paths::ADMIN_ENROLMENTS))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "tenant_slug": tenant }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<serde_json::Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Pushes once from every device, each to a process chosen at random; returns how
/// many pushes failed (a killed process, a cut connection).
async fn push_round(
    devices: &[(Device, Credentials)],
    urls: &[String],
    rng: &mut Rng,
    limits: BatchLimits,
) -> usize {
    let mut tasks = Vec::new();
    for (device, creds) in devices {
        let url = &urls[rng.below(urls.len() as u64) as usize];
        let r = relay(device, creds.clone(), url, Duration::from_secs(5), limits);
        tasks.push(tokio::spawn(async move { r.push_once().await }));
    }
    let mut failed = 0;
    for t in tasks {
        if !matches!(t.await, Ok(Ok(_))) {
            failed += 1;
        }
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_with_one_killed_mid_push_hold_every_outbox_exactly_once() {
    let _ = pg_url();
    let schema = PgSchema::new().await;
    // Process A names its sessions, so the kill below can wait for one of its
    // transactions to be open.
    let url_a = format!("{}&application_name=central-a", schema.url);
    let watch = crate::helpers::pg_connect(&schema.url).await;
    let mut a = Process::start(&url_a);
    let b = Process::start(&schema.url);
    let mut rng = Rng(0x2_0CE5);
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let device = Device::of_own_tenant(&format!("shop-{i}"), 100 + i);
        // A code made by one process is redeemed at the other.
        let (made, used) = if i % 2 == 0 {
            (&a.url, &b.url)
        } else {
            (&b.url, &a.url)
        };
        let code = admin_code(made, &format!("shop-{i}")).await;
        let creds = device.enrol(used, &code).await;
        devices.push((device, creds));
    }
    let small = BatchLimits {
        max_events: 7,
        max_bytes: 1 << 20,
    };
    let big = BatchLimits {
        max_events: 1_000,
        max_bytes: 4 << 20,
    };
    let mut urls = vec![a.url.clone(), b.url.clone()];
    for round in 0..6 {
        for (device, _) in &devices {
            for _ in 0..1 + rng.below(4) {
                device.sell(round + rng.below(3) as usize, 1 + rng.below(3) as i64);
            }
        }
        push_round(&devices, &urls, &mut rng, small).await;
    }

    // Every device has a long backlog; all push at once, and process A dies
    // while their batches are in flight.
    for (device, _) in &devices {
        for i in 0..150 {
            device.sell(i, 1);
        }
    }
    let mut cut = 0;
    let mut mid_transaction = 0;
    for attempt in 0..5u64 {
        let mut tasks = Vec::new();
        for (device, creds) in &devices {
            let r = relay(device, creds.clone(), &a.url, Duration::from_secs(5), big);
            tasks.push(tokio::spawn(async move { r.push_once().await }));
        }
        // Kill while a push's transaction is open in the database (looked for
        // for up to two seconds; the pushes carry 150 events each).
        let deadline = std::time::Instant::now() + Duration::from_millis(2_000);
        let open = loop {
            let n: i64 = watch
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE application_name = 'central-a' AND xact_start IS NOT NULL
                       AND (state = 'idle in transaction' OR query ILIKE '%FOR UPDATE%'
                            OR query ILIKE 'COPY events%' OR query ILIKE '%feed_heads%'
                            OR query ILIKE 'INSERT INTO events%' OR query ILIKE 'SAVEPOINT%')",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if n > 0 || std::time::Instant::now() > deadline {
                break n > 0;
            }
            tokio::time::sleep(Duration::from_millis(1 + attempt)).await;
        };
        a.kill();
        mid_transaction += u32::from(open);
        for t in tasks {
            if !matches!(t.await, Ok(Ok(_))) {
                cut += 1;
            }
        }
        a = Process::start(&url_a);
        urls[0] = a.url.clone();
        if cut > 0 && mid_transaction > 0 && devices.iter().all(|(d, _)| d.pending() > 0) {
            break;
        }
        for (device, _) in &devices {
            for i in 0..150 {
                device.sell(i, 1);
            }
        }
    }
    assert!(cut > 0, "no push was in flight when the process was killed");
    assert!(
        mid_transaction > 0,
        "process A was never killed with a push's transaction open"
    );

    // The same device's batch sent to both processes at once (a till that timed out
    // on one and retried on the other): one stores it, the other finds it held.
    for (device, _) in &devices {
        for i in 0..40 {
            device.sell(i, 1);
        }
    }
    let mut tasks = Vec::new();
    for (device, creds) in &devices {
        for url in &urls {
            let r = relay(device, creds.clone(), url, Duration::from_secs(5), big);
            tasks.push(tokio::spawn(async move { r.push_once().await }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }

    // Head office writes through both processes at once: each write takes the
    // office device's next seq; one that lost it to the other process is made again.
    let product = devices[0].0.products[0].id;
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let url = urls[(i % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/v1/admin/tenants/shop-0/changes"))
                .bearer_auth(TOKEN)
                .json(&serde_json::json!({ "protocol": 1, "changes": [
                    { "kind": "product", "id": product, "fields": { "low_stock_threshold": 20 + i } }
                ] }))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }

    // Both processes serve on; everything still pending goes through.
    for _ in 0..200 {
        if devices.iter().all(|(d, _)| d.pending() == 0) {
            break;
        }
        push_round(&devices, &urls, &mut rng, small).await;
    }
    let check = rustok_central::store::Postgres::connect(&schema.url)
        .await
        .unwrap();
    let mut total = 0;
    for (device, creds) in &devices {
        assert_eq!(
            device.pending(),
            0,
            "device {} still has events pending",
            creds.device_id
        );
        let held = check.events_of(creds.device_id).await.unwrap();
        let local = outbox(&device.db_path());
        let seqs: Vec<u64> = held.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=local.len() as u64).collect::<Vec<_>>(),
            "gapless, once each"
        );
        assert_eq!(
            held, local,
            "central holds the device's outbox, event for event"
        );
        total += local.len();
    }
    let office: Vec<_> = {
        let c = crate::helpers::pg_connect(&schema.url).await;
        let id: uuid::Uuid = c
            .query_one(
                "SELECT office_device_id FROM tenants WHERE slug = 'shop-0'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        check
            .events_of(rustok_core::domain::ids::DeviceId::from_uuid(id))
            .await
            .unwrap()
    };
    assert_eq!(office.len(), 8, "every write of head office, once");
    assert!(office
        .windows(2)
        .all(|w| w[0].seq + 1 == w[1].seq && w[0].hlc < w[1].hlc));
    total += office.len();
    let counts = check.counts().await.unwrap();
    assert_eq!(counts.events, total as u64, "the kept counts agree");
    assert_eq!(counts.quarantined, 0, "nothing was quarantined");
    assert_eq!(counts.devices, DEVICES);
    drop(b);
    eprintln!("two processes: {total} events of {DEVICES} devices held once each; {cut} pushes cut by the kill, {mid_transaction} kills with a transaction open");
}

/// What a chain's IT person gets wrong first, answered at start with exit code 1.
#[tokio::test]
async fn a_central_process_explains_what_is_wrong_with_its_database_settings() {
    let run = |args: &[&str], token: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rustok-central"));
        cmd.args(args).env_remove("RUSTOK_CENTRAL_ADMIN_TOKEN");
        if let Some(t) = token {
            cmd.env("RUSTOK_CENTRAL_ADMIN_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A free port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = format!("postgres://rustok:secret@127.0.0.1:{port}/rustok");
    let listen = ["--listen", "127.0.0.1:0"];
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec!["--database", &nowhere],
            None,
            "with --database, set RUSTOK_CENTRAL_ADMIN_TOKEN",
        ),
        (
            vec!["--database", &nowhere, "--data-dir", "/tmp/x"],
            Some(TOKEN),
            "--data-dir and --database exclude each other",
        ),
        (
            vec![],
            Some(TOKEN),
            "--data-dir (SQLite) or --database (PostgreSQL) is required",
        ),
        (
            vec!["--database", "postgres:/typo"],
            Some(TOKEN),
            "--database takes a PostgreSQL URL",
        ),
        (
            vec!["--database", &nowhere],
            Some(TOKEN),
            "Connection refused",
        ),
        (
            vec!["--database", "postgresql://"],
            Some(TOKEN),
            "invalid configuration: ",
        ),
    ];
    for (args, token, expected) in cases {
        let mut all: Vec<&str> = listen.to_vec();
        all.extend(args.iter());
        let (code, stderr) = run(&all, token);
        assert_eq!(code, Some(1), "{all:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{all:?}: expected '{expected}' in: {stderr}"
        );
        assert!(
            !stderr.contains("secret"),
            "the password is never printed: {stderr}"
        );
    }
}
