//! A fuzz harness that runs on stable Rust (cargo-fuzz needs nightly): generated and
//! mutated envelopes, batches and signed-request headers go through decoding,
//! validation, ingest and the real router. Any panic, and any 5xx, fails it.
//!
//! `RUSTOK_FUZZ_CASES` sets the number of cases (`make fuzz`: a million; `make test`:
//! a bounded run), `RUSTOK_FUZZ_SEED` the seed (a failure prints the seed and the
//! case to rerun).

use crate::helpers::{Device, START};
use axum::body::Body;
use axum::http::{Method, Request};
use rustok_central::ingest::{self, Checked};
use rustok_central::{Central, Limits};
use rustok_core::domain::clock::Clock;
use rustok_core::domain::event::Envelope;
use rustok_core::domain::upcast::Upcasters;
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_protocol::signing::{
    self, HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use rustok_protocol::{paths, PushRequest, PROTOCOL_VERSION};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tower::ServiceExt;

/// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "4611686018427387904",
    "1000000000000000",
    "1000000000000001",
    "-1000000000000001",
    "1e308",
    "-0.0",
    "0.5",
    "4294967295",
    "4294967296",
    "65535",
    "65536",
];

fn number(rng: &mut Rng) -> Value {
    let text: &str = NUMBERS[rng.below(NUMBERS.len())];
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn strings(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => Value::String(String::new()),
        1 => Value::String("x".repeat(rng.below(20_000))),
        2 => Value::String("ё\u{202e}\u{0}🦀\u{fffd}".repeat(rng.below(40))),
        3 => Value::String("0192f0e4-0000-7000-8000-000000000001".into()),
        4 => Value::String("not-a-uuid".into()),
        5 => Value::String("2026-13-45T99:99:99Z".into()),
        6 => Value::String("EUR".into()),
        7 => Value::String("JPY".into()),
        8 => Value::String("1795260000123-65535".into()),
        _ => Value::String(format!("{:x}", rng.next())),
    }
}

fn any_value(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => number(rng),
        1 => strings(rng),
        2 => Value::Null,
        3 => Value::Bool(rng.below(2) == 0),
        4 => json!([]),
        5 => json!({}),
        6 => json!([{ "x": 1 }]),
        _ => number(rng),
    }
}

/// Paths to every leaf and container of `v`.
fn places(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                places(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(i.to_string());
                places(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

/// One to four structural mutations of an envelope's JSON.
fn mutate(rng: &mut Rng, mut v: Value) -> Value {
    for _ in 0..=rng.below(4) {
        let mut all = Vec::new();
        places(&v, &mut Vec::new(), &mut all);
        let path = rng.pick(&all).clone();
        let Some(target) = at_mut(&mut v, &path) else {
            continue;
        };
        match rng.below(9) {
            0 | 1 => *target = number(rng),
            2 => *target = strings(rng),
            3 => *target = any_value(rng),
            4 => {
                if let Value::Object(m) = target {
                    let keys: Vec<String> = m.keys().cloned().collect();
                    if !keys.is_empty() {
                        m.remove(rng.pick(&keys));
                    }
                }
            }
            5 => {
                if let Value::Object(m) = target {
                    m.insert(format!("{:x}", rng.next()), any_value(rng));
                }
            }
            6 => {
                // Many copies of an array's first element (e.g. 600 order lines).
                if let Value::Array(a) = target {
                    if let Some(first) = a.first().cloned() {
                        let n = rng.below(700);
                        a.extend(std::iter::repeat_n(first, n));
                    }
                }
            }
            7 => {
                let names = [
                    "OrderCreated",
                    "OrderPaid",
                    "OrderRefunded",
                    "StockMoved",
                    "CashSessionClosed",
                    "ProductCreated",
                    "Nope",
                    "",
                ];
                if let Some(t) = at_mut(&mut v, &["type".into()]) {
                    *t = Value::String((*rng.pick(&names)).into());
                }
            }
            _ => {
                let versions = [0u64, 1, 2, 99, u64::from(u32::MAX), u64::MAX];
                if let Some(t) = at_mut(&mut v, &["schema_version".into()]) {
                    *t = json!(*rng.pick(&versions));
                }
            }
        }
    }
    v
}

/// Flips, inserts or deletes a few bytes of `text`.
fn mangle(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..=rng.below(8) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(3) {
            0 => b[i] = rng.next() as u8,
            1 => b.insert(i, *rng.pick(b"{}[]\",:0-9eE\\")),
            _ => {
                b.remove(i);
            }
        }
    }
    b
}

fn seeds() -> Vec<Value> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/events");
    let mut out: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    out.sort_by_key(|v| v["type"].as_str().unwrap_or_default().to_owned());
    out
}

fn cases() -> u64 {
    std::env::var("RUSTOK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

fn seed() -> u64 {
    std::env::var("RUSTOK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00f0_22ed)
}

/// Runs `f` on case `i`; a panic fails the run with what reproduces it.
fn case<T>(i: u64, what: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        panic!(
            "{what} panicked at case {i} (RUSTOK_FUZZ_SEED={}): {:.2000}",
            seed(),
            format!("{input:?}")
        )
    })
}

async fn generated_envelopes_and_batches_never_panic_decoding_validation_or_ingest() {
    let total = cases();
    let mut rng = Rng(seed());
    let seeds = seeds();
    let upcasters = Upcasters::standard();
    let (backend, _keep) = crate::helpers::new_backend().await;
    let device = Device::new(71);
    let ident = device.shop.device().unwrap().unwrap();
    let now = START.unix_millis();
    backend
        .create_enrolment(
            &rustok_central::store::NewCode {
                tenant_slug: "corner",
                code_sha256: "fuzz-code",
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
                code_sha256: "fuzz-code".into(),
                device_id: ident.device_id,
                tenant_id: Some(ident.tenant_id),
                device_code: "FUZZ".into(),
                secret: vec![1; 32],
            },
            now,
        )
        .await
        .unwrap();
    let mut batch: Vec<Checked> = Vec::new();
    let mut next_seq: u64 = 1;
    let (mut parsed, mut accepted) = (0u64, 0u64);
    for i in 0..total {
        let base = rng.pick(&seeds).clone();
        let text = if rng.below(4) == 0 {
            mangle(&mut rng, &base.to_string())
        } else {
            mutate(&mut rng, base).to_string().into_bytes()
        };
        let Ok(mut e) = serde_json::from_slice::<Envelope>(&text) else {
            continue;
        };
        parsed += 1;
        let checked = case(i, "decode and check", &e, || {
            let _ = e.decode(&upcasters);
            ingest::check(e.clone(), &String::from_utf8_lossy(&text), &upcasters)
        });
        if matches!(checked.verdict, ingest::Verdict::Accept(_)) {
            accepted += 1;
        }
        // Into a batch of this device: mostly in order, sometimes a gap or a resend.
        e.tenant_id = ident.tenant_id;
        e.device_id = ident.device_id;
        e.seq = match rng.below(20) {
            0 => next_seq.saturating_add(rng.below(3) as u64 + 1),
            1 => next_seq.saturating_sub(rng.below(5) as u64 + 1).max(1),
            _ => next_seq,
        };
        if e.seq == next_seq {
            next_seq += 1;
        }
        let raw = serde_json::to_string(&e).unwrap();
        batch.push(ingest::check(e, &raw, &upcasters));
        if batch.len() == 50 || i + 1 == total {
            let input = format!("{batch:?}");
            let b = Arc::clone(&backend);
            let sent = std::mem::take(&mut batch);
            let held =
                tokio::spawn(
                    async move { b.ingest(ident.device_id, sent, START.unix_millis()).await },
                )
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "ingest panicked at case {i} (RUSTOK_FUZZ_SEED={}): {input:.2000}",
                        seed()
                    )
                })
                .unwrap_or_else(|err| panic!("ingest failed at case {i}: {err}"));
            // Central holds what it acknowledged: the device resumes from there.
            next_seq = held.reply.acked_through + 1;
            batch.clear();
        }
    }
    eprintln!("FUZZ envelopes cases={total} parsed={parsed} accepted={accepted}");
    assert!(
        parsed > total / 10,
        "the generator mostly produces envelopes that parse"
    );
}

async fn generated_requests_never_panic_or_fail_with_5xx() {
    let total = cases() / 3;
    let mut rng = Rng(seed() ^ 0x5eed);
    let seeds = seeds();
    let (backend, _keep) = crate::helpers::new_backend().await;
    let clock = Arc::new(ManualClock::new(START));
    let central = Arc::new(Central::with_parts(
        backend,
        "fuzz-admin-token-0123456789".into(),
        Limits {
            device_rate_per_sec: 1e9,
            device_burst: 1e9,
            public_rate_per_sec: 1e9,
            public_burst: 1e9,
            ..Limits::default()
        },
        clock.clone(),
        Arc::new(SeededEntropy::new(5)),
    ));
    let router = rustok_central::http::router(central.clone());
    let code = rustok_central::http::issue_code(
        &central,
        "corner",
        std::time::Duration::from_secs(600),
        None,
        rustok_protocol::MAIN_STORE,
    )
    .await
    .unwrap()
    .code;
    let device = Device::new(72);
    let ident = device.shop.device().unwrap().unwrap();
    let enrol =
        serde_json::to_vec(&rustok_sync::client::enrol_request(&code, &ident, "fuzz")).unwrap();
    let reply = router
        .clone()
        .oneshot(Request::post(paths::ENROL).body(Body::from(enrol)).unwrap())
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body = axum::body::to_bytes(reply.into_body(), 1 << 20)
        .await
        .unwrap();
    let enrolled: rustok_protocol::EnrolResponse = serde_json::from_slice(&body).unwrap();
    let secret = hex::decode(&enrolled.secret).unwrap();
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..total {
        clock.advance_ms(1);
        let (method, path) = match rng.below(7) {
            0 => (Method::POST, paths::EVENTS.to_owned()),
            1 => (Method::POST, paths::HEALTH.to_owned()),
            2 => (
                Method::GET,
                format!("/v1/devices/{}/health", ident.device_id),
            ),
            3 => (
                Method::GET,
                format!(
                    "{}?day={}&tenant={}",
                    paths::DAILY_SALES,
                    rng.pick(&["2026-11-21", "2026-02-30", "x", "99999-01-01", ""]),
                    rng.pick(&["corner", "nope", "%00", ""])
                ),
            ),
            4 => (Method::POST, paths::ADMIN_ENROLMENTS.to_owned()),
            5 => (
                Method::POST,
                format!("/v1/admin/devices/{:x}/revoke", rng.next()),
            ),
            _ => (Method::POST, paths::ENROL.to_owned()),
        };
        let body: Vec<u8> = match rng.below(5) {
            0 => {
                let events: Vec<Value> = (0..rng.below(4))
                    .map(|_| {
                        let seed = rng.pick(&seeds).clone();
                        let mut v = mutate(&mut rng, seed);
                        if let Value::Object(m) = &mut v {
                            m.insert("tenant_id".into(), json!(ident.tenant_id));
                            m.insert("device_id".into(), json!(ident.device_id));
                        }
                        v
                    })
                    .collect();
                json!({ "protocol": PROTOCOL_VERSION, "events": events })
                    .to_string()
                    .into_bytes()
            }
            1 => mangle(
                &mut rng,
                &serde_json::to_string(&PushRequest {
                    protocol: PROTOCOL_VERSION,
                    events: vec![],
                })
                .unwrap(),
            ),
            2 => mutate(
                &mut rng,
                json!({
                    "protocol": 1, "app_version": "x", "schema_version": 1, "queue_depth": 0,
                    "breaker": "closed", "device_time_ms": 0,
                    "tenant_slug": "corner", "valid_for_secs": 60, "code": "AAAA"
                }),
            )
            .to_string()
            .into_bytes(),
            3 => Vec::new(),
            _ => any_value(&mut rng).to_string().into_bytes(),
        };
        // Most requests are signed honestly, so the handlers behind the signature
        // see the generated bodies; the rest get one part of the signature wrong.
        let honest = rng.below(10) < 6;
        let now = clock.now().unix_millis() / 1000;
        let ts: String = match (honest, rng.below(6)) {
            (true, _) | (false, 4..) => now.to_string(),
            (false, 0) => NUMBERS[rng.below(NUMBERS.len())].to_owned(),
            (false, 1) => "".into(),
            (false, 2) => "12a".into(),
            (false, _) => "9".repeat(rng.below(400)),
        };
        let fresh = format!(
            "{:032x}",
            u128::from(rng.next()) << 64 | u128::from(rng.next())
        );
        let nonce = match (honest, rng.below(4)) {
            (true, _) | (false, 3) => Some(fresh),
            (false, 0) => None,
            (false, 1) => Some("zz".to_owned()),
            (false, _) => Some("0".repeat(rng.below(100))),
        };
        let mut req = Request::builder().method(method.clone()).uri(&path);
        if honest || rng.below(5) != 0 {
            let sig = match (ts.parse::<i64>(), honest || rng.below(4) < 3) {
                (Ok(t), true) => {
                    signing::sign(&secret, method.as_str(), &path, t, nonce.as_deref(), &body)
                }
                _ => format!("{:x}", rng.next()),
            };
            let id = match (honest, rng.below(8)) {
                (false, 0) => "not-a-device".to_owned(),
                (false, 1) => "0192f0e4-3000-7000-8000-000000000099".to_owned(),
                _ => ident.device_id.to_string(),
            };
            req = req
                .header(HEADER_DEVICE, id)
                .header(HEADER_TIMESTAMP, ts.clone())
                .header(HEADER_SIGNATURE, sig);
            if let Some(n) = &nonce {
                req = req.header(HEADER_NONCE, n.clone());
            }
        }
        if rng.below(6) == 0 {
            req = req.header(
                "authorization",
                *rng.pick(&["Bearer fuzz-admin-token-0123456789", "Bearer x", "Basic y"]),
            );
        }
        let Ok(req) = req.body(Body::from(body.clone())) else {
            continue;
        };
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        *statuses.entry(status).or_insert(0u64) += 1;
        let bytes = axum::body::to_bytes(res.into_body(), 8 << 20)
            .await
            .unwrap();
        assert!(
            status < 500,
            "case {i} (RUSTOK_FUZZ_SEED={}): {method} {path} answered {status}: {}",
            seed(),
            String::from_utf8_lossy(&bytes)
        );
        if status >= 400 {
            let e: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "case {i}: {status} not in the error format: {}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
        }
    }
    eprintln!("FUZZ requests cases={total} statuses={statuses:?}");
}

crate::on_both!(
    generated_envelopes_and_batches_never_panic_decoding_validation_or_ingest,
    generated_requests_never_panic_or_fail_with_5xx,
);
