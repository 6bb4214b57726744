//! Hostile and careless input, one regression test per finding of the outside
//! review: central answers each with a clear error (or quarantines the event and
//! keeps the queue flowing), never panics, and one tenant never touches another.

use crate::helpers::{spawn_central, CentralUnderTest, Device, ADMIN_TOKEN};
use rustok_central::{Central, Limits};
use rustok_core::domain::event::Envelope;
use rustok_core::domain::ids::{DeviceId, TenantId};
use rustok_protocol::signing::{
    self, HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use rustok_protocol::{
    paths, DailySales, HealthReport, PushRequest, PushResponse, RejectCode, PROTOCOL_VERSION,
};
use rustok_sync::credentials::Credentials;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The headers of a request signed by `creds`, with a fresh nonce.
fn signature(creds: &Credentials, method: &str, path: &str, body: &[u8]) -> [(String, String); 4] {
    let ts = now();
    let nonce = format!("{:032x}", rand_u128());
    let sig = signing::sign(
        &creds.secret_bytes().unwrap(),
        method,
        path,
        ts,
        Some(&nonce),
        body,
    );
    [
        (HEADER_DEVICE.into(), creds.device_id.to_string()),
        (HEADER_TIMESTAMP.into(), ts.to_string()),
        (HEADER_NONCE.into(), nonce),
        (HEADER_SIGNATURE.into(), sig),
    ]
}

fn rand_u128() -> u128 {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    u128::from_le_bytes(b)
}

fn request(
    url: &str,
    method: reqwest::Method,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let mut r = reqwest::Client::new()
        .request(method, format!("{url}{path}"))
        .body(body);
    for (k, v) in headers {
        r = r.header(k, v);
    }
    r
}

/// A POST with exactly these headers (a captured request, sent again).
async fn post(
    c: &CentralUnderTest,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> reqwest::Response {
    request(&c.url, reqwest::Method::POST, path, headers, body)
        .send()
        .await
        .unwrap()
}

async fn signed(
    c: &CentralUnderTest,
    creds: &Credentials,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let headers = signature(creds, method.as_str(), path, &body);
    request(&c.url, method, path, &headers, body)
        .send()
        .await
        .unwrap()
}

async fn push(c: &CentralUnderTest, creds: &Credentials, events: &[Envelope]) -> reqwest::Response {
    let body = serde_json::to_vec(&PushRequest {
        protocol: PROTOCOL_VERSION,
        events: events.to_vec(),
    })
    .unwrap();
    signed(c, creds, reqwest::Method::POST, paths::EVENTS, body).await
}

/// The body of an error answer, checked to be in the error format.
async fn error_code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("an error answer in the error format");
    assert!(body["message"].is_string(), "{body}");
    (status, body["code"].as_str().unwrap().to_owned())
}

/// `e` with its JSON changed by `f` (the envelope as a whole, payload under `data`).
fn tamper(e: &Envelope, f: impl FnOnce(&mut Value)) -> Envelope {
    let mut v = serde_json::to_value(e).unwrap();
    f(&mut v);
    serde_json::from_value(v).unwrap()
}

fn first_of(events: &[Envelope], event_type: &str) -> usize {
    events
        .iter()
        .position(|e| e.event_type == event_type)
        .unwrap_or_else(|| panic!("no {event_type}"))
}

async fn enrolled(seed: u64, sales: usize) -> (CentralUnderTest, Device, Credentials) {
    enrolled_with(Limits::default(), seed, sales).await
}

async fn enrolled_with(
    limits: Limits,
    seed: u64,
    sales: usize,
) -> (CentralUnderTest, Device, Credentials) {
    let c = spawn_central(limits).await;
    let d = Device::new(seed);
    for i in 0..sales {
        d.sell(i, 1);
    }
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    (c, d, creds)
}

/// A device of another tenant (`other-shop`) at the same central. Its events are
/// copies of `like`'s with its own tenant and device ids.
async fn stranger(c: &CentralUnderTest, like: &Device) -> Credentials {
    let code = c.code("other-shop").await;
    let ident = like.shop.device().unwrap().unwrap();
    let req = rustok_protocol::EnrolRequest {
        tenant_id: Some(TenantId::parse("0192f0e4-2000-7000-8000-0000000000aa").unwrap()),
        device_id: DeviceId::parse("0192f0e4-3000-7000-8000-0000000000aa").unwrap(),
        ..rustok_sync::client::enrol_request(&code, &ident, "test")
    };
    let (_, reply) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    Credentials::from_enrolment(c.url.clone(), reply)
}

fn as_device(events: &[Envelope], creds: &Credentials) -> Vec<Envelope> {
    events
        .iter()
        .map(|e| Envelope {
            tenant_id: creds.tenant_id,
            device_id: creds.device_id,
            ..e.clone()
        })
        .collect()
}

async fn daily_sales_as_admin(c: &CentralUnderTest, day: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!(
            "{}{}?day={day}&tenant=corner",
            c.url,
            paths::DAILY_SALES
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
}

async fn a_timestamp_of_i64_min_is_refused_without_a_panic() {
    let (c, _d, creds) = enrolled(41, 0).await;
    for ts in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
        for device in [
            creds.device_id.to_string(),
            DeviceId::parse("0192f0e4-3000-7000-8000-000000000001")
                .unwrap()
                .to_string(),
        ] {
            let headers = [
                (HEADER_DEVICE.to_owned(), device),
                (HEADER_TIMESTAMP.to_owned(), ts.to_string()),
                (HEADER_SIGNATURE.to_owned(), "00".repeat(32)),
            ];
            let r = request(
                &c.url,
                reqwest::Method::POST,
                paths::EVENTS,
                &headers,
                b"{}".to_vec(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("timestamp {ts}: no answer: {e}"));
            assert_eq!(
                error_code(r).await,
                (401, "clock_skew".into()),
                "timestamp {ts}"
            );
        }
    }
}

async fn a_health_report_with_device_time_i64_min_is_refused() {
    let (c, _d, creds) = enrolled(42, 0).await;
    for t in [i64::MIN, i64::MIN + 1] {
        let report = HealthReport {
            protocol: PROTOCOL_VERSION,
            app_version: "test".into(),
            schema_version: 1,
            queue_depth: 0,
            oldest_pending_secs: None,
            breaker: "closed".into(),
            device_time_ms: t,
            kind: None,
        };
        let r = signed(
            &c,
            &creds,
            reqwest::Method::POST,
            paths::HEALTH,
            serde_json::to_vec(&report).unwrap(),
        )
        .await;
        assert_eq!(error_code(r).await, (422, "invalid_report".into()), "{t}");
    }
}

async fn an_enrolment_valid_for_i64_max_seconds_is_refused() {
    let c = spawn_central(Limits::default()).await;
    for secs in [i64::MAX as u64, u64::MAX, 0] {
        let r = reqwest::Client::new()
            .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({ "tenant_slug": "corner", "valid_for_secs": secs }))
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(r).await, (422, "bad_validity".into()), "{secs}");
    }
}

/// Pushes `events` with the one at `poisoned` replaced by `poison`; the batch is
/// answered, the poison quarantined and every event behind it stored.
async fn poison_is_quarantined_and_the_queue_flows(
    seed: u64,
    event_type: &str,
    code: RejectCode,
    f: fn(&mut Value),
) {
    let (c, d, creds) = enrolled(seed, 3).await;
    let mut events = d.store().events_after(0, 1_000).unwrap();
    let at = first_of(&events, event_type);
    events[at] = tamper(&events[at], f);
    for attempt in 0..2 {
        let r = push(&c, &creds, &events).await;
        assert_eq!(r.status(), 200, "attempt {attempt}");
        let reply: PushResponse = r.json().await.unwrap();
        assert_eq!(
            reply.acked_through,
            events.last().unwrap().seq,
            "attempt {attempt}"
        );
        assert_eq!(reply.rejected.len(), 1, "{reply:?}");
        assert_eq!(reply.rejected[0].seq, events[at].seq);
        assert_eq!(reply.rejected[0].code, code);
    }
    let held = c.central.backend.events_of(creds.device_id).await.unwrap();
    assert_eq!(
        held.len(),
        events.len() - 1,
        "everything but the poison is stored"
    );
    let r = daily_sales_as_admin(&c, "2026-11-21").await;
    assert_eq!(r.status(), 200, "the report still answers");
}

/// PostgreSQL's text cannot hold a NUL; the rejection that quotes the type must
/// still be written, or the device's every push would fail on it.
async fn an_event_type_with_a_nul_character_is_quarantined_and_the_queue_flows() {
    poison_is_quarantined_and_the_queue_flows(47, "OrderCreated", RejectCode::UnknownType, |v| {
        v["type"] = "Order\u{0}Created".into();
    })
    .await;
}

async fn a_line_whose_net_plus_tax_overflows_is_quarantined_and_the_queue_flows() {
    poison_is_quarantined_and_the_queue_flows(43, "OrderCreated", RejectCode::Invalid, |v| {
        // Amounts are flattened into the line.
        let line = &mut v["data"]["lines"][0];
        line["net"] = i64::MAX.into();
        line["tax"] = 1.into();
    })
    .await;
}

async fn payments_summing_past_i64_max_are_quarantined_and_the_queue_flows() {
    poison_is_quarantined_and_the_queue_flows(44, "OrderPaid", RejectCode::Invalid, |v| {
        v["data"]["payments"] = serde_json::json!([
            { "method": "card", "amount": i64::MAX },
            { "method": "card", "amount": 1 }
        ]);
    })
    .await;
}

async fn huge_payments_do_not_break_the_tenants_daily_report() {
    let (c, d, creds) = enrolled(45, 2).await;
    let mut events = d.store().events_after(0, 1_000).unwrap();
    for e in events.iter_mut().filter(|e| e.event_type == "OrderPaid") {
        *e = tamper(e, |v| {
            v["data"]["payments"] = serde_json::json!([{ "method": "card", "amount": 1i64 << 62 }]);
        });
    }
    let r = push(&c, &creds, &events).await;
    assert_eq!(r.status(), 200);
    let reply: PushResponse = r.json().await.unwrap();
    assert_eq!(
        reply.rejected.len(),
        2,
        "absurd amounts are refused: {reply:?}"
    );
    let r = daily_sales_as_admin(&c, "2026-11-21").await;
    assert_eq!(r.status(), 200);
}

async fn a_device_may_not_push_events_of_central_origin() {
    poison_is_quarantined_and_the_queue_flows(46, "OrderConfirmed", RejectCode::Invalid, |v| {
        v["origin"] = "central".into();
    })
    .await;
}

async fn a_replayed_signed_request_is_refused() {
    let (c, d, creds) = enrolled(47, 1).await;
    let report = |ms: i64| HealthReport {
        protocol: PROTOCOL_VERSION,
        app_version: "test".into(),
        schema_version: 1,
        queue_depth: ms as u64,
        oldest_pending_secs: None,
        breaker: "closed".into(),
        device_time_ms: now() * 1000,
        kind: None,
    };
    let old = serde_json::to_vec(&report(1)).unwrap();
    let captured = signature(&creds, "POST", paths::HEALTH, &old);
    let first = post(&c, paths::HEALTH, &captured, old.clone()).await;
    assert_eq!(first.status(), 204);
    let newer = signed(
        &c,
        &creds,
        reqwest::Method::POST,
        paths::HEALTH,
        serde_json::to_vec(&report(2)).unwrap(),
    )
    .await;
    assert_eq!(newer.status(), 204);
    let replay = post(&c, paths::HEALTH, &captured, old).await;
    assert_eq!(error_code(replay).await, (401, "replayed".into()));
    let health = c
        .central
        .backend
        .health(creds.device_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        health.report.unwrap().queue_depth,
        2,
        "the newer report stays"
    );

    // A push replayed: refused too, and nothing changes.
    let events = d.store().events_after(0, 1_000).unwrap();
    let body = serde_json::to_vec(&PushRequest {
        protocol: PROTOCOL_VERSION,
        events,
    })
    .unwrap();
    let h = signature(&creds, "POST", paths::EVENTS, &body);
    let r = post(&c, paths::EVENTS, &h, body.clone()).await;
    assert_eq!(r.status(), 200);
    let r = post(&c, paths::EVENTS, &h, body).await;
    assert_eq!(error_code(r).await, (401, "replayed".into()));
}

async fn an_order_id_of_another_tenant_does_not_change_its_report_currency() {
    let (c, d, creds) = enrolled(48, 1).await;
    let events = d.store().events_after(0, 1_000).unwrap();
    let other = stranger(&c, &d).await;
    // The stranger pushes its copy of the shop's history first, the order claiming
    // another currency, then the shop pushes its own.
    let mut forged = as_device(&events, &other);
    let at = first_of(&forged, "OrderCreated");
    forged[at] = tamper(&forged[at], |v| v["data"]["currency"] = "USD".into());
    assert_eq!(push(&c, &other, &forged).await.status(), 200);
    let r = push(&c, &creds, &events).await;
    assert_eq!(r.status(), 200);
    let reply: PushResponse = r.json().await.unwrap();
    assert!(
        reply.rejected.is_empty(),
        "the shop's own events: {reply:?}"
    );
    let report: DailySales = daily_sales_as_admin(&c, "2026-11-21")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report.stores.len(), 1, "{report:?}");
    assert_eq!(report.stores[0].currency, "EUR");
}

async fn an_event_id_held_by_another_tenant_does_not_quarantine_this_tenants_event() {
    let (c, d, creds) = enrolled(49, 1).await;
    let events = d.store().events_after(0, 1_000).unwrap();
    let other = stranger(&c, &d).await;
    // Same event ids, another tenant, pushed first.
    assert_eq!(
        push(&c, &other, &as_device(&events, &other)).await.status(),
        200
    );
    let r = push(&c, &creds, &events).await;
    let reply: PushResponse = r.json().await.unwrap();
    assert!(reply.rejected.is_empty(), "{reply:?}");
    assert_eq!(
        c.central.backend.events_of(creds.device_id).await.unwrap(),
        events
    );
}

async fn a_foreign_and_an_unknown_tenant_get_the_same_answer() {
    let (c, d, _creds) = enrolled(50, 0).await;
    let other = stranger(&c, &d).await;
    let mut answers = Vec::new();
    for slug in ["corner", "no-such-shop"] {
        let path = format!("{}?day=2026-11-21&tenant={slug}", paths::DAILY_SALES);
        let r = signed(&c, &other, reqwest::Method::GET, &path, vec![]).await;
        let status = r.status();
        answers.push((status, r.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 404);
}

async fn slow_clients_are_cut_off_and_answered_in_the_error_format() {
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let c = spawn_central(limits).await;
    // Slow loris: headers that never end.
    let mut s = tokio::net::TcpStream::connect(c.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "a connection that never finishes its headers is closed"
    );

    // A body shorter than its Content-Length: 408 in the error format.
    let mut s = tokio::net::TcpStream::connect(c.addr).await.unwrap();
    s.write_all(
        b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"protocol\":1",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("answered within the body timeout")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"body_timeout\""), "{text}");
}

async fn connections_beyond_the_limit_are_answered_503_in_the_error_format() {
    let limits = Limits {
        max_connections: 3,
        ..Limits::default()
    };
    let c = spawn_central(limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = tokio::net::TcpStream::connect(c.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(s);
    }
    let mut s = tokio::net::TcpStream::connect(c.addr).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("answered at once")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"code\":\"too_many_connections\""), "{text}");
    drop(held);
    // Once the others left, connections are served again.
    let mut served = false;
    for _ in 0..50 {
        let r = reqwest::get(format!("{}/healthz", c.url)).await.unwrap();
        if r.status() == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served);
}

/// A clock that panics, so a handler panics outside any blocking task.
struct PanickingClock;

impl rustok_core::domain::clock::Clock for PanickingClock {
    fn now(&self) -> rustok_core::domain::clock::Timestamp {
        panic!("planted panic in the clock")
    }
}

async fn a_handler_panic_is_a_500_in_the_error_format() {
    let (backend, keep) = crate::helpers::new_backend().await;
    let central = rustok_central::Central::with_parts(
        backend,
        ADMIN_TOKEN.into(),
        Limits::default(),
        std::sync::Arc::new(PanickingClock),
        std::sync::Arc::new(rustok_core::testing::SeededEntropy::new(1)),
    );
    let c = crate::helpers::serve_central(central, Some(keep)).await;
    let headers = [
        (
            HEADER_DEVICE.to_owned(),
            DeviceId::parse("0192f0e4-3000-7000-8000-000000000001")
                .unwrap()
                .to_string(),
        ),
        (HEADER_TIMESTAMP.to_owned(), "1".to_owned()),
        (HEADER_SIGNATURE.to_owned(), "00".repeat(32)),
    ];
    let r = request(
        &c.url,
        reqwest::Method::POST,
        paths::EVENTS,
        &headers,
        b"{}".to_vec(),
    )
    .send()
    .await
    .expect("an answer, not a dropped connection");
    assert_eq!(error_code(r).await, (500, "internal".into()));
    // The server goes on serving.
    let r = reqwest::get(format!("{}/healthz", c.url)).await.unwrap();
    assert_eq!(r.status(), 200);
}

/// SQLite only: PostgreSQL started at the schema SQLite reached in 3.
#[tokio::test]
async fn a_schema_1_database_migrates_with_its_events_and_order_currencies_scoped_by_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../../core/tests/fixtures/events/OrderCreated.v1.json");
    let e: Envelope = serde_json::from_str(fixture).unwrap();
    {
        let c = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
        c.execute_batch(include_str!("../../../migrations/central/0001_init.sql"))
            .unwrap();
        c.execute_batch(&format!(
            "PRAGMA user_version = 1;
             INSERT INTO tenants VALUES ('corner', '{t}', 0);
             INSERT INTO devices (device_id, tenant_id, tenant_slug, device_code, secret, enrolled_at_ms, acked_through)
                 VALUES ('{d}', '{t}', 'corner', 'POS1', '00', 0, {seq});
             INSERT INTO order_currency VALUES ('0192f0e4-0000-7000-8000-000000000006', 'EUR');",
            t = e.tenant_id,
            d = e.device_id,
            seq = e.seq,
        ))
        .unwrap();
        c.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, 'OrderCreated', 1, ?5, ?6, 0)",
            rusqlite::params![
                e.device_id.to_string(),
                e.seq,
                e.id.to_string(),
                e.tenant_id.to_string(),
                e.occurred_at.to_rfc3339(),
                serde_json::to_string(&e).unwrap()
            ],
        )
        .unwrap();
    }
    let backend = rustok_central::store::Sqlite::open(dir.path()).unwrap();
    use rustok_central::store::Backend;
    assert_eq!(
        backend.events_of(e.device_id).await.unwrap(),
        vec![e.clone()]
    );
    assert_eq!(backend.counts().await.unwrap().events, 1);
    drop(backend);
    let c = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
    let rows: Vec<(String, String, String)> = c
        .prepare("SELECT tenant_id, order_id, currency FROM order_currency")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            e.tenant_id.to_string(),
            "0192f0e4-0000-7000-8000-000000000006".to_owned(),
            "EUR".to_owned()
        )]
    );
    let version: u32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        rustok_central::store::SQLITE_SCHEMA_VERSION,
        "every migration since schema 1 applied"
    );
}

async fn a_flood_of_public_requests_from_one_address_is_slowed_and_answered_429() {
    // Refilled slowly: ten requests on a loaded machine may take two seconds.
    let limits = Limits {
        public_rate_per_sec: 0.5,
        public_burst: 5.0,
        ..Limits::default()
    };
    let c = spawn_central(limits).await;
    // A till enrolled before the flood (enrolment is a public route too).
    let d = Device::new(51);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    let http = reqwest::Client::new();
    let mut limited = None;
    for _ in 0..10 {
        let r = http
            .get(format!("{}{}", c.url, paths::METRICS))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("the flood is limited");
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_code(r).await, (429, "rate_limited".into()));
    // Signed device routes have their own limits: a device is not slowed by it.
    let r = push(&c, &creds, &d.store().events_after(0, 100).unwrap()).await;
    assert_eq!(r.status(), 200);
}

// Regression tests for what the new-user and attacker trial of central found.

async fn a_fresh_code_cannot_take_over_an_enrolled_device() {
    let (c, d, creds) = enrolled(52, 1).await;
    let ident = d.shop.device().unwrap().unwrap();
    // Whoever holds a fresh code claims the enrolled till's id: refused.
    let req = rustok_sync::client::enrol_request(&c.code("corner").await, &ident, "evil");
    let taken = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(taken, rustok_sync::SyncError::Http { status: 403, .. }),
        "{taken}"
    );
    // The till still signs with its own secret.
    let r = push(&c, &creds, &d.store().events_after(0, 100).unwrap()).await;
    assert_eq!(r.status(), 200);
    // Head office makes a code for this device: re-enrolling works (a reinstall).
    let code = c.code_for("corner", ident.device_id).await;
    let again = d.enrol(&c.url, &code).await;
    assert_ne!(again.secret, creds.secret);
    // A code made for one device does not enrol another.
    let other = rustok_protocol::EnrolRequest {
        device_id: DeviceId::parse("0192f0e4-3000-7000-8000-0000000000cc").unwrap(),
        ..rustok_sync::client::enrol_request(
            &c.code_for("corner", ident.device_id).await,
            &ident,
            "x",
        )
    };
    let wrong = rustok_sync::client::enrol(&c.url, &other, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, rustok_sync::SyncError::Http { status: 403, .. }),
        "{wrong}"
    );
}

async fn bodies_in_flight_are_bounded_before_any_signature_is_checked() {
    let limits = Limits {
        max_body_bytes: 1024 * 1024,
        max_bodies_in_flight_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let c = spawn_central(limits).await;
    // A stranger starts a 1 MiB body and holds it half sent.
    let mut slow = tokio::net::TcpStream::connect(c.addr).await.unwrap();
    slow.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Another big body cannot be taken in as well: 503 at once, in the error format.
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::EVENTS))
        .body(vec![b' '; 600 * 1024])
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_code(r).await, (503, "busy".into()));
    drop(slow);
    // Once it is gone, bodies are read again.
    let mut served = false;
    for _ in 0..50 {
        let r = reqwest::Client::new()
            .post(format!("{}{}", c.url, paths::EVENTS))
            .body(vec![b' '; 600 * 1024])
            .send()
            .await
            .unwrap();
        if r.status() == 401 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served);
}

async fn a_signed_request_is_refused_again_after_central_restarts() {
    let (backend, keep) = crate::helpers::new_backend().await;
    let c = crate::helpers::serve_central(
        Central::new(backend, ADMIN_TOKEN.into(), Limits::default()),
        None,
    )
    .await;
    let d = Device::new(53);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    let report = serde_json::to_vec(&HealthReport {
        protocol: PROTOCOL_VERSION,
        app_version: "test".into(),
        schema_version: 1,
        queue_depth: 1,
        oldest_pending_secs: None,
        breaker: "closed".into(),
        device_time_ms: now() * 1000,
        kind: None,
    })
    .unwrap();
    let captured = signature(&creds, "POST", paths::HEALTH, &report);
    assert_eq!(
        post(&c, paths::HEALTH, &captured, report.clone())
            .await
            .status(),
        204
    );
    drop(c);
    // The same data, a new process (or a second central on the same database).
    let c = crate::helpers::serve_central(
        Central::new(keep.open().await, ADMIN_TOKEN.into(), Limits::default()),
        Some(keep),
    )
    .await;
    let replay = post(&c, paths::HEALTH, &captured, report).await;
    assert_eq!(error_code(replay).await, (401, "replayed".into()));
}

async fn an_event_that_is_not_an_envelope_is_quarantined_and_the_queue_flows() {
    let (c, d, creds) = enrolled(54, 2).await;
    let events = d.store().events_after(0, 1_000).unwrap();
    let mut raw: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let bad = raw.len() / 2;
    raw[bad]["hlc"] = "1-2".into();
    raw[bad]["occurred_at"] = Value::Null;
    let body = serde_json::to_vec(&json!({ "protocol": PROTOCOL_VERSION, "events": raw })).unwrap();
    let r = signed(&c, &creds, reqwest::Method::POST, paths::EVENTS, body).await;
    assert_eq!(r.status(), 200);
    let reply: PushResponse = r.json().await.unwrap();
    assert_eq!(reply.acked_through, events.last().unwrap().seq);
    assert_eq!(reply.rejected.len(), 1, "{reply:?}");
    assert_eq!(reply.rejected[0].seq, events[bad].seq);
    assert_eq!(reply.rejected[0].code, RejectCode::Malformed);
    assert_eq!(
        c.central
            .backend
            .events_of(creds.device_id)
            .await
            .unwrap()
            .len(),
        events.len() - 1
    );
    // An event with no seq cannot be placed: the batch is refused, nothing stored.
    let (c2, d2, creds2) = enrolled(55, 1).await;
    let mut raw: Vec<Value> = d2
        .store()
        .events_after(0, 1_000)
        .unwrap()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    raw[0].as_object_mut().unwrap().remove("seq");
    let body = serde_json::to_vec(&json!({ "protocol": PROTOCOL_VERSION, "events": raw })).unwrap();
    let r = signed(&c2, &creds2, reqwest::Method::POST, paths::EVENTS, body).await;
    assert_eq!(error_code(r).await, (400, "malformed".into()));
    assert!(c2
        .central
        .backend
        .events_of(creds2.device_id)
        .await
        .unwrap()
        .is_empty());
}

async fn another_event_at_a_quarantined_seq_is_a_seq_conflict() {
    let (c, d, creds) = enrolled(56, 1).await;
    let mut events = d.store().events_after(0, 1_000).unwrap();
    let last = events.len() - 1;
    let good = events[last].clone();
    events[last] = tamper(&good, |v| v["type"] = "Nope".into());
    let reply: PushResponse = push(&c, &creds, &events).await.json().await.unwrap();
    assert_eq!(reply.rejected[0].code, RejectCode::UnknownType);
    // Now a different event (another id) at that seq.
    let other = tamper(&good, |v| {
        v["id"] = "0192f0e4-1000-7000-8000-0000000000ee".into()
    });
    let reply: PushResponse = push(&c, &creds, &[other]).await.json().await.unwrap();
    assert_eq!(reply.rejected.len(), 1);
    assert_eq!(reply.rejected[0].code, RejectCode::SeqConflict);
}

async fn strangers_cannot_tell_which_devices_exist_and_their_guesses_are_slowed() {
    // The default burst, refilled slowly enough that a loaded test machine cannot
    // make its guesses slower than the refill (at 10/s a guess taking 100 ms never
    // runs out).
    let limits = Limits {
        public_rate_per_sec: 0.5,
        ..Limits::default()
    };
    let (c, d, creds) = enrolled_with(limits, 57, 0).await;
    // A second till of the shop (the template gives every copy the same id).
    let req = rustok_protocol::EnrolRequest {
        device_id: DeviceId::parse("0192f0e4-3000-7000-8000-0000000000bb").unwrap(),
        device_code: "POS2".into(),
        ..rustok_sync::client::enrol_request(
            &c.code("corner").await,
            &d.shop.device().unwrap().unwrap(),
            "test",
        )
    };
    let (_, revoked_creds) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/devices/{}/revoke",
            c.url, revoked_creds.device_id
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let guess = |device: String| {
        let url = c.url.clone();
        async move {
            let headers = [
                (HEADER_DEVICE.to_owned(), device),
                (HEADER_TIMESTAMP.to_owned(), now().to_string()),
                (HEADER_SIGNATURE.to_owned(), "00".repeat(32)),
            ];
            let r = request(
                &url,
                reqwest::Method::POST,
                paths::HEALTH,
                &headers,
                b"{}".to_vec(),
            )
            .send()
            .await
            .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let unknown = guess("0192f0e4-3000-7000-8000-0000000000dd".into()).await;
    let known = guess(creds.device_id.to_string()).await;
    let gone = guess(revoked_creds.device_id.to_string()).await;
    assert_eq!(unknown, known);
    assert_eq!(unknown, gone);
    // Guessing on and on from one address: slowed, then 429.
    let mut limited = false;
    for _ in 0..40 {
        let (status, _) = guess(creds.device_id.to_string()).await;
        if status == 429 {
            limited = true;
            break;
        }
    }
    assert!(
        limited,
        "failed authentications from one address are rate limited"
    );
}

async fn small_things_the_trial_found_are_answered_clearly() {
    let c = spawn_central(Limits::default()).await;
    let http = reqwest::Client::new();
    // A method a route does not take: 405 in the error format.
    let r = http
        .get(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (405, "method_not_allowed".into()));
    // A wrong admin token on a device-or-admin route says so.
    let r = http
        .get(format!(
            "{}{}?day=2026-11-21&tenant=corner",
            c.url,
            paths::DAILY_SALES
        ))
        .header("authorization", "Bearer wrong-token-wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (401, "bad_admin_token".into()));
    // No credential at all: the answer names both that would do.
    let r = http
        .get(format!(
            "{}{}?day=2026-11-21&tenant=corner",
            c.url,
            paths::DAILY_SALES
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unsigned");
    assert!(
        body["message"].as_str().unwrap().contains("admin token"),
        "{body}"
    );
    // The scheme name is case-insensitive.
    let r = http
        .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .header("authorization", format!("bearer {ADMIN_TOKEN}"))
        .json(&json!({ "tenant_slug": "corner" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A day that is not YYYY-MM-DD.
    let r = http
        .get(format!(
            "{}{}?day=-2026-01-01&tenant=corner",
            c.url,
            paths::DAILY_SALES
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (400, "bad_day".into()));
    // A device code that is not one.
    let d = Device::new(59);
    let ident = d.shop.device().unwrap().unwrap();
    for bad in ["", "POS\u{0}\n<script>", &"X".repeat(1_000)] {
        let req = rustok_protocol::EnrolRequest {
            device_code: bad.to_owned(),
            ..rustok_sync::client::enrol_request(&c.code("corner").await, &ident, "test")
        };
        let r = http
            .post(format!("{}{}", c.url, paths::ENROL))
            .json(&req)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(r).await,
            (422, "bad_device_code".into()),
            "{bad:?}"
        );
    }
    // A malformed nonce says so.
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    let mut h = signature(&creds, "POST", paths::HEALTH, b"{}").to_vec();
    h[2].1 = "zz".into();
    let r = post(&c, paths::HEALTH, &h, b"{}".to_vec()).await;
    assert_eq!(error_code(r).await, (401, "bad_nonce".into()));
}

/// A device whose event was quarantined at `paid` (as if central could not read it),
/// enrolled straight at a fresh backend of the story's kind; the device's events.
async fn quarantined_at_first_payment(
    seed: u64,
) -> (
    std::sync::Arc<dyn rustok_central::store::Backend>,
    crate::helpers::Keep,
    DeviceId,
    Vec<Envelope>,
    usize,
) {
    use rustok_central::ingest::{self, Verdict};
    let (backend, keep) = crate::helpers::new_backend().await;
    let d = Device::new(seed);
    d.sell(0, 1);
    let ident = d.shop.device().unwrap().unwrap();
    let now = crate::helpers::START.unix_millis();
    backend
        .create_enrolment(
            &rustok_central::store::NewCode {
                tenant_slug: "corner",
                code_sha256: "code-digest",
                expires_at: now / 1000 + 600,
                device: None,
                store: rustok_protocol::MAIN_STORE,
            },
            now,
        )
        .await
        .unwrap();
    backend
        .redeem(
            &rustok_central::store::Redemption {
                code_sha256: "code-digest".into(),
                device_id: ident.device_id,
                tenant_id: Some(ident.tenant_id),
                device_code: "POS1".into(),
                secret: vec![1; 32],
            },
            now,
        )
        .await
        .unwrap();
    let events = d.store().events_after(0, 1_000).unwrap();
    let paid = first_of(&events, "OrderPaid");
    let up = rustok_core::domain::upcast::Upcasters::standard();
    let batch = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut c = ingest::check(e.clone(), &serde_json::to_string(e).unwrap(), &up);
            if i == paid {
                c.verdict = Verdict::Reject(RejectCode::UnknownVersion, "not yet".into());
            }
            c
        })
        .collect();
    let done = backend.ingest(ident.device_id, batch, now).await.unwrap();
    assert_eq!(done.reply.acked_through, events.last().unwrap().seq);
    assert_eq!(done.reply.rejected.len(), 1);
    (backend, keep, ident.device_id, events, paid)
}

fn accepted(e: &Envelope) -> rustok_central::ingest::Checked {
    let up = rustok_core::domain::upcast::Upcasters::standard();
    rustok_central::ingest::check(e.clone(), &serde_json::to_string(e).unwrap(), &up)
}

/// Found by review: a batch resending one quarantined event twice released it twice
/// (counts off by one each way; a payment's report row inserted twice, failing the
/// push on every resend).
async fn a_quarantined_event_resent_twice_in_one_batch_is_released_once() {
    let (backend, _keep, device, events, paid) = quarantined_at_first_payment(62).await;
    let now = crate::helpers::START.unix_millis();
    let again = vec![accepted(&events[paid]), accepted(&events[paid])];
    let done = backend.ingest(device, again, now).await.unwrap();
    assert!(done.reply.rejected.is_empty(), "{:?}", done.reply);
    assert_eq!(done.stored, 1);
    let counts = backend.counts().await.unwrap();
    assert_eq!(
        (counts.events, counts.quarantined),
        (events.len() as u64, 0)
    );
    assert_eq!(backend.events_of(device).await.unwrap(), events);
    let tenant = events[0].tenant_id;
    let report = backend.daily_sales(tenant, "2026-11-21").await.unwrap();
    assert_eq!(report.stores.iter().map(|s| s.orders).sum::<u64>(), 1);
}

/// Found by review: of a released event and a new one with the same id in one batch,
/// the one earlier in the batch is stored and the later is the seq conflict.
async fn the_first_of_two_events_with_one_id_in_a_batch_is_the_one_stored() {
    let (backend, _keep, device, events, paid) = quarantined_at_first_payment(63).await;
    let now = crate::helpers::START.unix_millis();
    let mut copy = events.last().unwrap().clone();
    copy.seq += 1;
    copy.id = events[paid].id;
    let done = backend
        .ingest(device, vec![accepted(&events[paid]), accepted(&copy)], now)
        .await
        .unwrap();
    assert_eq!(done.reply.acked_through, copy.seq);
    assert_eq!(done.reply.rejected.len(), 1, "{:?}", done.reply);
    assert_eq!(
        (done.reply.rejected[0].seq, done.reply.rejected[0].code),
        (copy.seq, RejectCode::SeqConflict)
    );
    assert_eq!(backend.events_of(device).await.unwrap(), events);
}

crate::on_both!(
    a_quarantined_event_resent_twice_in_one_batch_is_released_once,
    the_first_of_two_events_with_one_id_in_a_batch_is_the_one_stored,
    an_event_type_with_a_nul_character_is_quarantined_and_the_queue_flows,
    a_timestamp_of_i64_min_is_refused_without_a_panic,
    a_health_report_with_device_time_i64_min_is_refused,
    an_enrolment_valid_for_i64_max_seconds_is_refused,
    a_line_whose_net_plus_tax_overflows_is_quarantined_and_the_queue_flows,
    payments_summing_past_i64_max_are_quarantined_and_the_queue_flows,
    huge_payments_do_not_break_the_tenants_daily_report,
    a_device_may_not_push_events_of_central_origin,
    a_replayed_signed_request_is_refused,
    an_order_id_of_another_tenant_does_not_change_its_report_currency,
    an_event_id_held_by_another_tenant_does_not_quarantine_this_tenants_event,
    a_foreign_and_an_unknown_tenant_get_the_same_answer,
    slow_clients_are_cut_off_and_answered_in_the_error_format,
    connections_beyond_the_limit_are_answered_503_in_the_error_format,
    a_handler_panic_is_a_500_in_the_error_format,
    a_flood_of_public_requests_from_one_address_is_slowed_and_answered_429,
    a_fresh_code_cannot_take_over_an_enrolled_device,
    bodies_in_flight_are_bounded_before_any_signature_is_checked,
    a_signed_request_is_refused_again_after_central_restarts,
    an_event_that_is_not_an_envelope_is_quarantined_and_the_queue_flows,
    another_event_at_a_quarantined_seq_is_a_seq_conflict,
    strangers_cannot_tell_which_devices_exist_and_their_guesses_are_slowed,
    small_things_the_trial_found_are_answered_clearly,
);
