//! The head-office console's API as people use it and as strangers attack it:
//! people added by the admin token, sign-in with lockout, session cookies and CSRF
//! tokens, tenant scoping, the fleet, a device's history, revoking, codes with QR,
//! and the audit log.

use crate::helpers::{
    new_backend, roomy, serve_central, spawn_central, CentralUnderTest, Device, ADMIN_TOKEN, START,
};
use rustok_central::console::{paths, Clash, ConsoleCode, ConsoleSession};
use rustok_central::http::Auth;
use rustok_central::store::{AuditEntry, HealthSample, Person};
use rustok_central::Central;
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_protocol::{
    DeviceState, Fleet, HealthReport, OfficeWritten, RecordOut, PROTOCOL_VERSION,
};
use rustok_sync::client::Client;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

/// Central on a manual clock (at the devices' start), so a test can move past a
/// lockout.
async fn central_on(clock: Arc<ManualClock>) -> CentralUnderTest {
    let (backend, keep) = new_backend().await;
    let central = Central::with_parts(
        backend,
        ADMIN_TOKEN.into(),
        roomy(),
        clock,
        Arc::new(SeededEntropy::new(7)),
    );
    serve_central(central, Some(keep)).await
}

pub(crate) async fn add_person(
    c: &CentralUnderTest,
    login: &str,
    tenant: Option<&str>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::ADMIN_PEOPLE))
        .bearer_auth(ADMIN_TOKEN)
        .json(
            &json!({ "login": login, "name": "Анна Head Office", "password": PASSWORD,
                       "tenant_slug": tenant }),
        )
        .send()
        .await
        .unwrap()
}

/// A signed-in person: the cookie header to send and the CSRF token.
pub(crate) struct SignedIn {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    set_cookie: String,
    session: ConsoleSession,
}

async fn try_sign_in(c: &CentralUnderTest, login: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::SESSION))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(c: &CentralUnderTest, login: &str) -> SignedIn {
    let r = try_sign_in(c, login, PASSWORD).await;
    assert_eq!(r.status(), 200);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = set_cookie.split(';').next().unwrap().trim().to_owned();
    let session: ConsoleSession = r.json().await.unwrap();
    SignedIn {
        cookie: token,
        csrf: session.csrf_token.clone(),
        set_cookie,
        session,
    }
}

impl SignedIn {
    /// A read that must succeed, as `T`.
    pub(crate) async fn read<T: serde::de::DeserializeOwned>(
        &self,
        c: &CentralUnderTest,
        path: &str,
    ) -> T {
        let r = self.get(c, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub(crate) fn get(&self, c: &CentralUnderTest, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .get(format!("{}{path}", c.url))
            .header("cookie", &self.cookie)
    }

    pub(crate) fn change(
        &self,
        c: &CentralUnderTest,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", c.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
    }
}

pub(crate) fn tenant_path(template: &str, slug: &str) -> String {
    template.replace("{slug}", slug)
}

fn device_path(template: &str, slug: &str, device: impl std::fmt::Display) -> String {
    tenant_path(template, slug)
        .replace("{device_id}", &device.to_string())
        .replace("{kind}", "product")
        .replace("{digest}", &"ab".repeat(32))
}

async fn people_are_added_by_the_admin_token_and_sign_in_with_a_cookie_only_the_console_gets() {
    let c = spawn_central(roomy()).await;
    c.code("corner").await;
    let r = add_person(&c, "Anna@Corner", Some("corner")).await;
    assert_eq!(r.status(), 201);
    let anna: Person = r.json().await.unwrap();
    assert_eq!(
        (anna.login.as_str(), anna.tenant_slug.as_deref()),
        ("anna@corner", Some("corner"))
    );
    // The same login in any case, a bad one, an unknown tenant, a short password,
    // no token: refused, and nothing added.
    assert_eq!(add_person(&c, "ANNA@corner", None).await.status(), 409);
    assert_eq!(add_person(&c, "a b", None).await.status(), 422);
    assert_eq!(add_person(&c, "boris", Some("nowhere")).await.status(), 404);
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::ADMIN_PEOPLE))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "login": "boris", "name": "Boris", "password": "short" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::ADMIN_PEOPLE))
        .json(&json!({ "login": "boris", "name": "Boris", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(try_sign_in(&c, "boris", PASSWORD).await.status(), 401);

    // Signing in: the login in any case; the cookie is the console's alone.
    let s = sign_in(&c, "ANNA@corner").await;
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(
            s.set_cookie.contains(flag),
            "{flag} missing: {}",
            s.set_cookie
        );
    }
    assert!(s.cookie.starts_with("rustok_console="));
    assert_eq!(s.session.person, anna);
    let r = s.get(&c, paths::SESSION).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.json::<ConsoleSession>().await.unwrap().csrf_token, s.csrf);
    // The database holds the token's digest, never the token.
    let token = s.cookie.trim_start_matches("rustok_console=");
    assert!(c
        .central
        .backend
        .session(token, START.unix_millis() + 1)
        .await
        .unwrap()
        .is_none());

    // A person sees their own tenant only; the chain operator every tenant.
    c.code("elsewhere").await;
    let seen: Vec<String> = s.read(&c, paths::TENANTS).await;
    assert_eq!(seen, ["corner"]);
    assert_eq!(add_person(&c, "operator", None).await.status(), 201);
    let op = sign_in(&c, "operator").await;
    let seen: Vec<String> = op.read(&c, paths::TENANTS).await;
    assert_eq!(seen, ["corner", "elsewhere"]);
    // The chain operator's own sign-in concerns no tenant: in every tenant's log for
    // them, in none for a tenant's person.
    let actions = |log: Vec<AuditEntry>| -> Vec<(String, String)> {
        log.into_iter().map(|e| (e.actor, e.action)).collect()
    };
    let theirs: Vec<AuditEntry> = op.read(&c, &tenant_path(paths::AUDIT, "corner")).await;
    assert!(actions(theirs).contains(&("operator".to_owned(), "sign_in".to_owned())));
    let hers: Vec<AuditEntry> = s.read(&c, &tenant_path(paths::AUDIT, "corner")).await;
    assert!(!actions(hers).iter().any(|(who, _)| who == "operator"));

    // Signing out needs the CSRF token, clears the cookie and ends the session.
    let r = reqwest::Client::new()
        .delete(format!("{}{}", c.url, paths::SESSION))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = s
        .change(&c, reqwest::Method::DELETE, paths::SESSION)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = s.get(&c, paths::SESSION).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // The operator's session goes on.
    assert_eq!(
        op.get(&c, paths::SESSION).send().await.unwrap().status(),
        200
    );
}

async fn five_wrong_passwords_lock_an_account_for_a_quarter_of_an_hour() {
    let clock = Arc::new(ManualClock::new(START));
    let c = central_on(clock.clone()).await;
    c.code("corner").await;
    assert_eq!(add_person(&c, "anna", Some("corner")).await.status(), 201);
    // An unknown login and a wrong password: the same answer.
    let unknown = try_sign_in(&c, "nobody", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    for i in 0..4 {
        let r = try_sign_in(&c, "anna", "wrong password").await;
        assert_eq!(r.status(), 401, "attempt {i}");
        assert_eq!(r.json::<Value>().await.unwrap(), unknown);
    }
    let r = try_sign_in(&c, "anna", "wrong password").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "900");
    // Locked: the right password is refused too, until the quarter of an hour ends.
    let r = try_sign_in(&c, "anna", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "locked");
    clock.advance_ms(15 * 60 * 1000 - 1);
    assert_eq!(try_sign_in(&c, "anna", PASSWORD).await.status(), 429);
    clock.advance_ms(1);
    assert_eq!(try_sign_in(&c, "anna", PASSWORD).await.status(), 200);
    // A success forgets the wrong passwords before it: four more do not lock.
    for _ in 0..4 {
        assert_eq!(
            try_sign_in(&c, "anna", "wrong password").await.status(),
            401
        );
    }
    assert_eq!(try_sign_in(&c, "anna", PASSWORD).await.status(), 200);
    // Overlong and odd input is a wrong password, never a failure of central.
    let long = "x".repeat(100_000);
    for (login, password) in [
        ("anna", long.as_str()),
        (long.as_str(), "x"),
        ("", ""),
        ("anna\0", PASSWORD),
    ] {
        assert_eq!(try_sign_in(&c, login, password).await.status(), 401);
    }
    // Not JSON, or not a sign-in: refused before any password is checked. A body
    // that is not declared JSON is refused whatever it holds (a form on another
    // site cannot sign a browser in to someone's account).
    for (kind, body, status) in [
        ("application/json", "{\"login\": 5}", 400),
        (
            "text/plain",
            "{\"login\": \"anna\", \"password\": \"correct horse battery\"}",
            415,
        ),
        (
            "application/x-www-form-urlencoded",
            "login=anna&password=x",
            415,
        ),
    ] {
        let r = reqwest::Client::new()
            .post(format!("{}{}", c.url, paths::SESSION))
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{kind}");
    }
    // A session ends after twelve hours.
    let s = sign_in(&c, "anna").await;
    clock.advance_ms(12 * 3600 * 1000);
    assert_eq!(
        s.get(&c, paths::SESSION).send().await.unwrap().status(),
        401
    );
    let log = c
        .central
        .backend
        .audit_log(Some("corner"), false, None, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "sign_in",
            "sign_in",
            "sign_in",
            "account_locked",
            "add_person"
        ]
    );
}

/// Every console call with a path of `slug`, one device id and the needed body.
fn console_calls(slug: &str, device: &str) -> Vec<(reqwest::Method, String, Option<Value>)> {
    rustok_central::http::routes()
        .into_iter()
        .filter(|(r, _)| r.auth == Auth::Session)
        .map(|(r, _)| {
            let path = device_path(r.path, slug, device);
            let body = r.body.map(|_| json!({}));
            (r.method, path, body)
        })
        .collect()
}

async fn the_console_answers_no_one_without_a_session_and_nothing_of_another_tenant() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(61);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    c.code("elsewhere").await;
    assert_eq!(add_person(&c, "anna", Some("corner")).await.status(), 201);
    assert_eq!(add_person(&c, "eve", Some("elsewhere")).await.status(), 201);
    let device = creds.device_id;
    let calls = console_calls("corner", &device.to_string());
    assert!(calls.len() >= 9, "{calls:?}");
    // No session, a made-up one, an ended one: 401, whatever the call.
    let anna = sign_in(&c, "anna").await;
    let ended = sign_in(&c, "anna").await;
    ended
        .change(&c, reqwest::Method::DELETE, paths::SESSION)
        .send()
        .await
        .unwrap();
    for cookie in [
        None,
        Some("rustok_console=00ff".to_owned()),
        Some(ended.cookie.clone()),
    ] {
        for (method, path, body) in &calls {
            let mut req = reqwest::Client::new()
                .request(method.clone(), format!("{}{path}", c.url))
                .header("x-csrf-token", &anna.csrf);
            if let Some(cookie) = &cookie {
                req = req.header("cookie", cookie);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} with {cookie:?}");
        }
    }
    // Another tenant's person: every call about corner is 404, and nothing changed.
    let eve = sign_in(&c, "eve").await;
    for (method, path, body) in &calls {
        if path == paths::SESSION || path == paths::TENANTS {
            continue;
        }
        let mut req = eve.change(&c, method.clone(), path);
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
    }
    let health = c.central.backend.health(device).await.unwrap().unwrap();
    assert!(!health.revoked, "another tenant's person revoked a device");
    // Eve's own tenant does not have corner's device either.
    let r = eve
        .change(
            &c,
            reqwest::Method::POST,
            &device_path(paths::REVOKE, "elsewhere", device),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A change without the CSRF token, or with another session's: 403, nothing done.
    for token in [None, Some(eve.csrf.as_str()), Some("")] {
        let mut req = reqwest::Client::new()
            .post(format!(
                "{}{}",
                c.url,
                device_path(paths::REVOKE, "corner", device)
            ))
            .header("cookie", &anna.cookie);
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        assert_eq!(req.send().await.unwrap().status(), 403, "{token:?}");
    }
    assert!(
        !c.central
            .backend
            .health(device)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    // What cannot be a slug is 422; an unknown tenant 404, like another's.
    let r = anna
        .get(&c, &tenant_path(paths::DEVICES, "NOT%20A%20SLUG"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = anna
        .get(&c, &tenant_path(paths::DEVICES, "nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = anna
        .get(
            &c,
            &device_path(paths::DEVICE_HISTORY, "corner", "not-a-uuid"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for query in [
        "limit=100000",
        "limit=0",
        "before=-1",
        "before=9223372036854775808",
    ] {
        let r = anna
            .get(
                &c,
                &format!("{}?{query}", tenant_path(paths::AUDIT, "corner")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
    }
}

async fn head_office_sees_the_fleet_and_history_revokes_a_till_and_makes_a_code() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(62);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    assert_eq!(add_person(&c, "anna", Some("corner")).await.status(), 201);
    let clock = Arc::new(rustok_core::system::SystemClock);
    let client = Client::new(creds.clone(), clock.clone(), Duration::from_secs(5)).unwrap();
    let report = |queue_depth, breaker: &str| HealthReport {
        protocol: PROTOCOL_VERSION,
        app_version: "1.2.3".into(),
        schema_version: 16,
        queue_depth,
        oldest_pending_secs: None,
        breaker: breaker.into(),
        device_time_ms: rustok_core::domain::clock::Clock::now(&*clock).unix_millis(),
        kind: Some(rustok_protocol::DeviceKind::Till),
    };
    // Three reports: the second is the first again (not kept), the third differs.
    client.report_health(&report(0, "closed")).await.unwrap();
    client.report_health(&report(0, "closed")).await.unwrap();
    client.report_health(&report(4, "open")).await.unwrap();
    let anna = sign_in(&c, "anna").await;
    let fleet: Fleet = anna.read(&c, &tenant_path(paths::DEVICES, "corner")).await;
    assert_eq!(fleet.devices.len(), 1);
    assert_eq!(fleet.devices[0].state, DeviceState::Warning);
    assert_eq!(fleet.devices[0].reasons, ["breaker"]);
    let history: Vec<HealthSample> = anna
        .read(
            &c,
            &device_path(paths::DEVICE_HISTORY, "corner", creds.device_id),
        )
        .await;
    let kept: Vec<(u64, &str)> = history
        .iter()
        .map(|h| (h.report.queue_depth, h.report.breaker.as_str()))
        .collect();
    assert_eq!(kept, [(4, "open"), (0, "closed")]);

    // A code as text and QR, for the north store; one for a store the tenant lacks
    // is refused.
    let put = reqwest::Client::new()
        .put(format!("{}/v1/admin/tenants/corner/stores/north", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "name": "North" }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let r = anna
        .change(
            &c,
            reqwest::Method::POST,
            &tenant_path(paths::CODES, "corner"),
        )
        .json(&json!({ "store": "north", "valid_for_secs": 3600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let code: ConsoleCode = r.json().await.unwrap();
    assert_eq!(
        (code.store.as_str(), code.tenant_slug.as_str()),
        ("north", "corner")
    );
    assert_eq!(
        code.qr_path,
        rustok_core::domain::qr::qr_path(&code.code).unwrap().path
    );
    let r = anna
        .change(
            &c,
            reqwest::Method::POST,
            &tenant_path(paths::CODES, "corner"),
        )
        .json(&json!({ "store": "south" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // The code enrols a till into the north store.
    let req = rustok_protocol::EnrolRequest {
        device_id: rustok_core::domain::ids::DeviceId::parse(
            "0192f0e4-3000-7000-8000-0000000000c3",
        )
        .unwrap(),
        device_code: "POS2".into(),
        ..rustok_sync::client::enrol_request(&code.code, &d.shop.device().unwrap().unwrap(), "test")
    };
    let (_, second) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    let second = c
        .central
        .backend
        .device(second.device_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.store, "north");

    // Revoked in the console: the till's next push is refused.
    let r = anna
        .change(
            &c,
            reqwest::Method::POST,
            &device_path(paths::REVOKE, "corner", creds.device_id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let refused = client.report_health(&report(0, "closed")).await;
    assert!(refused.is_err(), "a revoked till still reports");
    let fleet: Fleet = anna.read(&c, &tenant_path(paths::DEVICES, "corner")).await;
    let states: Vec<DeviceState> = fleet.devices.iter().map(|d| d.state).collect();
    assert!(states.contains(&DeviceState::Revoked), "{states:?}");

    // Every change is in the audit log, newest first, with who made it.
    let log: Vec<AuditEntry> = anna.read(&c, &tenant_path(paths::AUDIT, "corner")).await;
    let seen: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("anna", "revoke_device"),
            ("anna", "create_code"),
            ("admin-token", "put_store"),
            ("anna", "sign_in"),
            ("admin-token", "add_person"),
        ]
    );
    assert_eq!(log[0].detail["device_id"], creds.device_id.to_string());
    let page: Vec<AuditEntry> = anna
        .read(
            &c,
            &format!(
                "{}?before={}&limit=1",
                tenant_path(paths::AUDIT, "corner"),
                log[1].id
            ),
        )
        .await;
    assert_eq!(page, [log[2].clone()]);
}

/// The console's page and files come from central itself, under a strict CSP; the
/// policy is pinned here, so loosening it is a visible change.
async fn the_console_page_is_served_under_a_strict_content_security_policy() {
    let c = spawn_central(roomy()).await;
    let http = reqwest::Client::new();
    let page = http.get(format!("{}/console", c.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    // No inline script or style, nothing from elsewhere: every asset is central's.
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/console/assets/"))
        .collect();
    assert!(assets.len() >= 2, "{html}");
    for asset in assets {
        let r = http.get(format!("{}{asset}", c.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            kind.starts_with("text/javascript") || kind.starts_with("text/css"),
            "{kind}"
        );
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for missing in [
        "/console/assets/nothing.js",
        "/console/assets/..%2F..%2FCargo.toml",
    ] {
        let r = http
            .get(format!("{}{missing}", c.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
    assert_eq!(
        http.get(format!("{}/console/", c.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// The first person of a new central is added on its command line; the password
/// comes from the environment (or stdin), never from the arguments.
async fn the_first_person_is_added_on_the_command_line() {
    let (backend, keep) = new_backend().await;
    backend
        .put_store(
            "corner",
            "main",
            &rustok_protocol::StoreFields {
                name: "Main".into(),
                address: String::new(),
            },
            0,
        )
        .await
        .unwrap();
    drop(backend);
    let storage = match &keep {
        crate::helpers::Keep::Dir(dir) => {
            vec!["--data-dir".to_owned(), dir.path().display().to_string()]
        }
        crate::helpers::Keep::Schema(s) => vec!["--database".to_owned(), s.url.clone()],
    };
    let run = |extra: &[&str], password: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rustok-central"))
            .arg("add-person")
            .args(&storage)
            .args(extra)
            .env("RUSTOK_CONSOLE_PASSWORD", password)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, said) = run(
        &[
            "--login",
            "Olga",
            "--name",
            "Olga Head Office",
            "--tenant",
            "corner",
        ],
        PASSWORD,
    );
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("added olga (Olga Head Office) to tenant corner"),
        "{said}"
    );
    for (args, password, expected) in [
        (
            vec!["--login", "olga", "--name", "Again"],
            PASSWORD,
            "the login is taken",
        ),
        (
            vec!["--login", "pavel", "--name", "Pavel"],
            "short",
            "a password is 10 to 128 characters",
        ),
        (
            vec!["--login", "pavel", "--name", "Pavel", "--tenant", "nowhere"],
            PASSWORD,
            "unknown tenant",
        ),
        (vec!["--name", "Pavel"], PASSWORD, "--login is required"),
    ] {
        let (code, said) = run(&args, password);
        assert_eq!(code, Some(1), "{args:?}: {said}");
        assert!(
            said.contains(expected),
            "{args:?}: expected '{expected}' in {said}"
        );
        assert!(
            !said.contains(PASSWORD),
            "the password is never printed: {said}"
        );
    }
    let central = Central::new(keep.open().await, ADMIN_TOKEN.into(), roomy());
    let c = serve_central(central, Some(keep)).await;
    let s = sign_in(&c, "olga").await;
    assert_eq!(s.session.person.tenant_slug.as_deref(), Some("corner"));
}

/// The console's catalog calls answer `T` on 200, the body otherwise.
async fn ok_json<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn head_office_edits_the_catalog_in_the_console_and_resolves_a_clash_tills_made() {
    let (c, a, creds_a, mut b, _north) = crate::feed::a_chain().await;
    assert_eq!(add_person(&c, "anna", Some("corner")).await.status(), 201);
    let anna = sign_in(&c, "anna").await;
    let records = |kind: &str| tenant_path(paths::RECORDS, "corner").replace("{kind}", kind);
    let products: Vec<RecordOut> = anna.read(&c, &records("product")).await;
    assert_eq!(products.len(), a.products.len());
    assert!(products.iter().all(|p| p.fields.contains_key("sku")));
    let operators: Vec<RecordOut> = anna.read(&c, &records("operator")).await;
    assert!(!operators.is_empty());
    assert!(
        operators.iter().all(|o| !o.fields.contains_key("pin_hash")),
        "a PIN hash is for tills, not people"
    );
    let r = anna.get(&c, &records("pizza")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let clashes: Vec<Clash> = anna.read(&c, &tenant_path(paths::CLASHES, "corner")).await;
    assert_eq!(clashes, []);

    // A second till, offline, made a product with the first one's SKU.
    let first = &a.products[0];
    let outbox = crate::helpers::outbox(&a.db_path());
    let created = outbox
        .iter()
        .find(|e| e.event_type == "ProductCreated" && e.data.get().contains(&first.id.to_string()))
        .unwrap();
    let twin = uuid::Uuid::parse_str("0192f0e4-6000-7000-8000-00000000beef").unwrap();
    let mut copy = created.clone();
    copy.data = serde_json::value::RawValue::from_string(
        created
            .data
            .get()
            .replace(&first.id.to_string(), &twin.to_string()),
    )
    .unwrap();
    let reply = b.push(&[&copy]).await;
    assert!(reply.rejected.is_empty(), "{reply:?}");
    let clashes: Vec<Clash> = anna.read(&c, &tenant_path(paths::CLASHES, "corner")).await;
    let sku = first.fields.sku.as_str().to_owned();
    let mut both = vec![first.id.as_uuid(), twin];
    both.sort_unstable();
    assert!(
        clashes
            .iter()
            .any(|k| k.field == "sku" && k.value == sku && k.products == both),
        "{clashes:?}"
    );

    // A change that leaves SKU and barcode alone is not refused for the clash; one
    // that gives another product the SKU is.
    let changes = tenant_path(paths::CHANGES, "corner");
    let post = |body: Value| {
        anna.change(&c, reqwest::Method::POST, &changes)
            .json(&body)
            .send()
    };
    let price = json!({ "minor": 777, "currency": "EUR" });
    let w: OfficeWritten = ok_json(
        post(
            json!({ "changes": [{ "kind": "product", "id": twin, "fields": { "price": price } }] }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(w.events, 1);
    let other = a.products[1].id;
    let r =
        post(json!({ "changes": [{ "kind": "product", "id": other, "fields": { "sku": sku } }] }))
            .await
            .unwrap();
    assert_eq!(r.status(), 422);
    // Without the CSRF token nothing is written.
    let r = reqwest::Client::new()
        .post(format!("{}{changes}", c.url))
        .header("cookie", &anna.cookie)
        .json(&json!({ "changes": [{ "kind": "product", "id": twin, "fields": { "sku": "TWIN-1" } }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Resolved: the copy gets its own SKU (and barcode, if it shared one).
    let mut fields = json!({ "sku": "TWIN-1" });
    if first.fields.barcode.is_some() {
        fields["barcode"] = Value::Null;
    }
    let w: OfficeWritten = ok_json(
        post(json!({ "changes": [{ "kind": "product", "id": twin, "fields": fields }] }))
            .await
            .unwrap(),
    )
    .await;
    assert!(w.events >= 1);
    let clashes: Vec<Clash> = anna.read(&c, &tenant_path(paths::CLASHES, "corner")).await;
    assert_eq!(clashes, []);

    // Categories are two levels at most, so none is ever inside itself: B inside A
    // is taken; A inside B then is refused, and so are A (which has B) inside C, and
    // C inside B.
    let (cat_a, cat_b, cat_c) = (
        "0192f0e4-6000-7000-8000-00000000ca0a",
        "0192f0e4-6000-7000-8000-00000000ca0b",
        "0192f0e4-6000-7000-8000-00000000ca0c",
    );
    let names = |n: &str| json!({ "names": { "en": n }, "position": 0 });
    ok_json::<OfficeWritten>(
        post(json!({ "changes": [
            { "kind": "category", "id": cat_a, "fields": names("A") },
            { "kind": "category", "id": cat_b, "fields": names("B") },
            { "kind": "category", "id": cat_c, "fields": names("C") },
            { "kind": "category", "id": cat_b, "fields": { "parent": cat_a } },
        ] }))
        .await
        .unwrap(),
    )
    .await;
    for (id, parent, code) in [
        (cat_a, cat_b, "too_deep"),
        (cat_a, cat_c, "has_children"),
        (cat_c, cat_b, "too_deep"),
        (cat_a, cat_a, "own_parent"),
    ] {
        let r = post(json!({ "changes": [{ "kind": "category", "id": id, "fields": { "parent": parent } }] }))
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{id} under {parent}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code, "{id} under {parent}");
    }

    // A page's slug and an operator's name are one record's, as on a till.
    let promo = |id: &str| {
        json!({ "kind": "content", "id": id, "fields": {
            "kind": "promo", "slug": "summer-sale", "position": 0,
            "translations": { "en": { "title": "Summer" } } } })
    };
    ok_json::<OfficeWritten>(
        post(json!({ "changes": [promo("0192f0e4-6000-7000-8000-0000000c0001")] }))
            .await
            .unwrap(),
    )
    .await;
    let r = post(json!({ "changes": [promo("0192f0e4-6000-7000-8000-0000000c0002")] }))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "taken");
    let existing = operators[0].fields["name"].clone();
    let r = post(json!({ "changes": [{ "kind": "operator", "id": "0192f0e4-6000-7000-8000-0000000c0003",
                                       "fields": { "name": existing, "role": "cashier", "pin": "9876" } }] }))
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "taken");

    // A new operator: the PIN is hashed by central and kept out of the audit log.
    let cashier = "0192f0e4-6000-7000-8000-00000000ca5e";
    let w: OfficeWritten = ok_json(
        post(json!({ "changes": [{ "kind": "operator", "id": cashier,
                                   "fields": { "name": "Ольга", "role": "cashier", "pin": "4321" } }] }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(w.events, 1);

    // A picture: uploaded as the console scales it, read back, named by a product.
    let jpeg = crate::images::jpeg_of(&crate::images::png(64, 48, 7));
    let r = anna
        .change(
            &c,
            reqwest::Method::POST,
            &tenant_path(paths::IMAGES, "corner"),
        )
        .header("content-type", "application/octet-stream")
        .body(jpeg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let stored: rustok_protocol::ImageStored = r.json().await.unwrap();
    let back = anna
        .get(
            &c,
            &tenant_path(paths::IMAGE, "corner").replace("{digest}", &stored.digest),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    assert_eq!(back.bytes().await.unwrap().as_ref(), &jpeg[..]);
    let r = anna
        .change(
            &c,
            reqwest::Method::POST,
            &tenant_path(paths::IMAGES, "corner"),
        )
        .body(b"not a picture".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    ok_json::<OfficeWritten>(
        post(json!({ "changes": [{ "kind": "product", "id": first.id, "fields": { "image": stored.digest } }] }))
            .await
            .unwrap(),
    )
    .await;

    // Every change is in the audit log under the person, record by record.
    let log: Vec<AuditEntry> = anna.read(&c, &tenant_path(paths::AUDIT, "corner")).await;
    let changes_by_anna: Vec<&AuditEntry> = log
        .iter()
        .filter(|e| e.action == "office_changes" && e.actor == "anna")
        .collect();
    assert_eq!(changes_by_anna.len(), 6, "{log:?}");
    let priced = changes_by_anna
        .iter()
        .find(|e| e.detail["records"][0]["fields"]["price"]["minor"] == 777)
        .unwrap();
    assert_eq!(priced.detail["records"][0]["id"], twin.to_string());
    assert_eq!(priced.detail["records"][0]["kind"], "product");
    assert_eq!(
        priced.detail["records"][0]["was"]["price"]["minor"], first.fields.price.minor,
        "the audit log keeps what the price was"
    );
    let hired = changes_by_anna
        .iter()
        .find(|e| e.detail["records"][0]["kind"] == "operator")
        .unwrap();
    assert_eq!(hired.detail["records"][0]["fields"]["pin"], "(set)");
    assert!(!serde_json::to_string(&log).unwrap().contains("4321"));
    assert!(log
        .iter()
        .any(|e| e.action == "upload_image" && e.actor == "anna"));

    // The first till pulls the change head office made to its product.
    let client_a = crate::feed::client(&creds_a);
    let page = crate::feed::pull(&client_a, "after=0").await.unwrap();
    assert!(page
        .entries
        .iter()
        .any(|e| e.event.event_type == "ProductUpdated"
            && e.event.data.get().contains(&stored.digest)));
}

crate::on_both!(
    head_office_edits_the_catalog_in_the_console_and_resolves_a_clash_tills_made,
    the_first_person_is_added_on_the_command_line,
    the_console_page_is_served_under_a_strict_content_security_policy,
    people_are_added_by_the_admin_token_and_sign_in_with_a_cookie_only_the_console_gets,
    five_wrong_passwords_lock_an_account_for_a_quarter_of_an_hour,
    the_console_answers_no_one_without_a_session_and_nothing_of_another_tenant,
    head_office_sees_the_fleet_and_history_revokes_a_till_and_makes_a_code,
);
