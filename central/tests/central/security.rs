//! Authentication, tenancy and limits, each refused with its status and changing
//! nothing.

use crate::helpers::{spawn_central, CentralUnderTest, Device, ADMIN_TOKEN};
use rustok_central::Limits;
use rustok_core::domain::event::Envelope;
use rustok_protocol::signing::{self, HEADER_DEVICE, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use rustok_protocol::{paths, PushRequest, PushResponse, PROTOCOL_VERSION};
use rustok_sync::credentials::Credentials;
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A request signed as `creds` at `ts` with a fresh nonce, optionally with a
/// tampered signature.
async fn signed(
    url: &str,
    creds: &Credentials,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
    ts: i64,
    tamper: bool,
) -> reqwest::Response {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).unwrap();
    let nonce = hex::encode(raw);
    signed_with(url, creds, method, path, body, ts, tamper, Some(&nonce)).await
}

/// As [`signed`], with the nonce given (`None`: signed as apps before nonces did).
#[allow(clippy::too_many_arguments)] // A request's parts, spelled out for the tests.
async fn signed_with(
    url: &str,
    creds: &Credentials,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
    ts: i64,
    tamper: bool,
    nonce: Option<&str>,
) -> reqwest::Response {
    let secret = creds.secret_bytes().unwrap();
    let mut sig = signing::sign(&secret, method.as_str(), path, ts, nonce, &body);
    if tamper {
        sig.replace_range(0..2, if sig.starts_with("00") { "11" } else { "00" });
    }
    let mut r = reqwest::Client::new()
        .request(method, format!("{url}{path}"))
        .header(HEADER_DEVICE, creds.device_id.to_string())
        .header(HEADER_TIMESTAMP, ts.to_string())
        .header(HEADER_SIGNATURE, sig);
    if let Some(n) = nonce {
        r = r.header(signing::HEADER_NONCE, n);
    }
    r.body(body).send().await.unwrap()
}

fn batch(events: &[Envelope]) -> Vec<u8> {
    serde_json::to_vec(&PushRequest {
        protocol: PROTOCOL_VERSION,
        events: events.to_vec(),
    })
    .unwrap()
}

async fn push(c: &CentralUnderTest, creds: &Credentials, events: &[Envelope]) -> reqwest::Response {
    signed(
        &c.url,
        creds,
        reqwest::Method::POST,
        paths::EVENTS,
        batch(events),
        now(),
        false,
    )
    .await
}

async fn held(c: &CentralUnderTest, creds: &Credentials) -> usize {
    c.central
        .backend
        .events_of(creds.device_id)
        .await
        .unwrap()
        .len()
}

async fn enrolled(limits: Limits, seed: u64) -> (CentralUnderTest, Device, Credentials) {
    let c = spawn_central(limits).await;
    let d = Device::new(seed);
    d.sell(0, 1);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    (c, d, creds)
}

async fn bad_signatures_skewed_clocks_and_replays_change_nothing() {
    let (c, d, creds) = enrolled(Limits::default(), 21).await;
    let events = d.store().events_after(0, 100).unwrap();
    let body = batch(&events);
    let post = reqwest::Method::POST;

    let r = signed(
        &c.url,
        &creds,
        post.clone(),
        paths::EVENTS,
        body.clone(),
        now(),
        true,
    )
    .await;
    assert_eq!(r.status(), 401);
    // Five seconds past the limit: the server reads its clock a moment after the
    // client, so a skew of exactly 301 became 300 (accepted) across a second boundary
    // on a loaded machine.
    for skew in [-305, 305, -100_000] {
        let r = signed(
            &c.url,
            &creds,
            post.clone(),
            paths::EVENTS,
            body.clone(),
            now() + skew,
            false,
        )
        .await;
        assert_eq!(r.status(), 401, "skew {skew}");
    }
    let unsigned = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::EVENTS))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // Signed for another path or another body: refused.
    let secret = creds.secret_bytes().unwrap();
    let ts = now();
    let sig = signing::sign(&secret, "POST", paths::EVENTS, ts, None, b"{}");
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::EVENTS))
        .header(HEADER_DEVICE, creds.device_id.to_string())
        .header(HEADER_TIMESTAMP, ts.to_string())
        .header(HEADER_SIGNATURE, sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        held(&c, &creds).await,
        0,
        "nothing stored by refused requests"
    );

    // A good request, then the very same request replayed: the second is refused
    // and has no effect.
    let ts = now();
    let first = signed_with(
        &c.url,
        &creds,
        post.clone(),
        paths::EVENTS,
        body.clone(),
        ts,
        false,
        None,
    )
    .await;
    assert_eq!(first.status(), 200);
    let first: PushResponse = first.json().await.unwrap();
    let fingerprint = c.central.backend.events_of(creds.device_id).await.unwrap();
    let again = signed_with(
        &c.url,
        &creds,
        post.clone(),
        paths::EVENTS,
        body.clone(),
        ts,
        false,
        None,
    )
    .await;
    assert_eq!(again.status(), 401);
    // Sent again as a new request (a retry after a lost reply): the same answer.
    let retry = signed(&c.url, &creds, post, paths::EVENTS, body, ts + 1, false).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.json::<PushResponse>().await.unwrap(), first);
    assert_eq!(
        c.central.backend.events_of(creds.device_id).await.unwrap(),
        fingerprint
    );
    assert_eq!(fingerprint.len(), events.len());
}

async fn a_device_cannot_push_or_read_another_tenants_data_and_a_revoked_device_is_refused() {
    let (c, d, creds) = enrolled(Limits::default(), 22).await;
    let mut events = d.store().events_after(0, 100).unwrap();
    // Another tenant's event in the batch: the whole batch is refused.
    let other =
        rustok_core::domain::ids::TenantId::parse("0192f0e4-2000-7000-8000-0000000000ff").unwrap();
    events[0].tenant_id = other;
    assert_eq!(push(&c, &creds, &events).await.status(), 403);
    events[0].tenant_id = creds.tenant_id;
    let last = events.len() - 1;
    events[last].device_id =
        rustok_core::domain::ids::DeviceId::parse("0192f0e4-3000-7000-8000-0000000000ff").unwrap();
    assert_eq!(push(&c, &creds, &events).await.status(), 403);
    assert_eq!(held(&c, &creds).await, 0);

    // Another tenant at the same central, with its own device.
    let code = c.code("other-shop").await;
    let stranger = Device::new(23);
    let ident = stranger.shop.device().unwrap().unwrap();
    // The template gives every device the same tenant; the stranger claims another.
    let req = rustok_protocol::EnrolRequest {
        tenant_id: Some(other),
        device_id: rustok_core::domain::ids::DeviceId::parse(
            "0192f0e4-3000-7000-8000-0000000000ee",
        )
        .unwrap(),
        ..rustok_sync::client::enrol_request(&code, &ident, "test")
    };
    let (_, reply) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    let stranger_creds = Credentials::from_enrolment(c.url.clone(), reply);
    let get = reqwest::Method::GET;
    let health = format!("/v1/devices/{}/health", creds.device_id);
    let r = signed(
        &c.url,
        &stranger_creds,
        get.clone(),
        &health,
        vec![],
        now(),
        false,
    )
    .await;
    assert_eq!(
        r.status(),
        404,
        "another tenant's device does not exist for the caller"
    );
    let report = format!("{}?day=2026-11-21&tenant=corner", paths::DAILY_SALES);
    let r = signed(
        &c.url,
        &stranger_creds,
        get.clone(),
        &report,
        vec![],
        now(),
        false,
    )
    .await;
    assert_eq!(
        r.status(),
        404,
        "another tenant is answered like an unknown one"
    );
    let own = format!("{}?day=2026-11-21&tenant=other-shop", paths::DAILY_SALES);
    let r = signed(
        &c.url,
        &stranger_creds,
        get.clone(),
        &own,
        vec![],
        now(),
        false,
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: rustok_protocol::DailySales = r.json().await.unwrap();
    assert!(
        body.stores.is_empty(),
        "no rows of the other tenant: {body:?}"
    );

    // The device's own reads work; after revocation nothing does.
    let good = d.store().events_after(0, 100).unwrap();
    assert_eq!(push(&c, &creds, &good).await.status(), 200);
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/devices/{}/revoke",
            c.url, creds.device_id
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    d.sell(1, 1);
    let more = d.store().events_after(0, 100).unwrap();
    assert_eq!(push(&c, &creds, &more).await.status(), 401);
    assert_eq!(
        held(&c, &creds).await,
        good.len(),
        "nothing stored after revocation"
    );
    let r = signed(&c.url, &creds, get, &health, vec![], now(), false).await;
    assert_eq!(r.status(), 401);
}

async fn oversized_bodies_and_batches_and_floods_are_refused_with_their_status() {
    let limits = Limits {
        max_body_bytes: 64 * 1024,
        max_batch_events: 5,
        device_rate_per_sec: 1.0,
        device_burst: 10.0,
        ..Limits::default()
    };
    let (c, d, creds) = enrolled(limits, 24).await;
    for i in 0..3 {
        d.sell(i, 1);
    }
    let events = d.store().events_after(0, 100).unwrap();
    assert!(events.len() > 5);

    let huge = vec![b' '; 65 * 1024];
    let r = signed(
        &c.url,
        &creds,
        reqwest::Method::POST,
        paths::EVENTS,
        huge,
        now(),
        false,
    )
    .await;
    assert_eq!(r.status(), 413);
    let r = push(&c, &creds, &events).await;
    assert_eq!(r.status(), 422);
    assert_eq!(held(&c, &creds).await, 0);

    let mut limited = None;
    for _ in 0..30 {
        let r = push(&c, &creds, &events[..1]).await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("a flood is rate limited");
    let after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&after), "Retry-After {after}");
    assert_eq!(held(&c, &creds).await, 1, "the one event stored once");
}

async fn enrolment_codes_work_once_and_admin_routes_need_the_token() {
    let c = spawn_central(Limits::default()).await;
    let http = reqwest::Client::new();
    let ask = serde_json::json!({ "tenant_slug": "corner" });
    let r = http
        .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .json(&ask)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .bearer_auth("wrong-token-wrong-token")
        .json(&ask)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "tenant_slug": "Not A Slug" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .post(format!("{}{}", c.url, paths::ADMIN_ENROLMENTS))
        .bearer_auth(ADMIN_TOKEN)
        .json(&ask)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let e: rustok_protocol::Enrolment = r.json().await.unwrap();

    let d = Device::new(25);
    let ident = d.shop.device().unwrap().unwrap();
    let req = rustok_sync::client::enrol_request(&e.code.to_lowercase(), &ident, "test");
    rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    let again = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already used"), "{again}");
    let bogus = rustok_sync::client::enrol_request("AAAA-BBBB-CCCC-DDDD", &ident, "test");
    let r = rustok_sync::client::enrol(&c.url, &bogus, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(r, rustok_sync::SyncError::Http { status: 401, .. }),
        "{r}"
    );
}

crate::on_both!(
    bad_signatures_skewed_clocks_and_replays_change_nothing,
    a_device_cannot_push_or_read_another_tenants_data_and_a_revoked_device_is_refused,
    oversized_bodies_and_batches_and_floods_are_refused_with_their_status,
    enrolment_codes_work_once_and_admin_routes_need_the_token,
);
