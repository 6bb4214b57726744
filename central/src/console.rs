//! The head-office console's API, under `/console/api`: people sign in with a
//! login and password and get a session cookie; every read names a tenant the
//! person may see (another tenant's is answered as an unknown one); every change
//! carries the session's CSRF token and is written to the audit log.
//!
//! The admin token stays for automation (`/v1/admin/…`); it can also add people.

use crate::http::{self, Fail, Shared};
use crate::people::{self, CSRF_HEADER};
use crate::store::{AuditEntry, Person, Session};
use crate::{Central, Metrics};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rustok_domain::ids::DeviceId;
use rustok_domain::replica::Kind;
use rustok_domain::tenant::TenantSlug;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The console API's paths.
pub mod paths {
    /// `POST`: sign in (public, rate limited); `GET`: the current session;
    /// `DELETE`: sign out.
    pub const SESSION: &str = "/console/api/session";
    /// `GET`: the tenants the person may see.
    pub const TENANTS: &str = "/console/api/tenants";
    /// `GET`: a tenant's stores.
    pub const STORES: &str = "/console/api/tenants/{slug}/stores";
    /// `GET`: a tenant's devices with their health and state.
    pub const DEVICES: &str = "/console/api/tenants/{slug}/devices";
    /// `GET`: a device's kept health reports.
    pub const DEVICE_HISTORY: &str = "/console/api/tenants/{slug}/devices/{device_id}/history";
    /// `POST`: revoke a device.
    pub const REVOKE: &str = "/console/api/tenants/{slug}/devices/{device_id}/revoke";
    /// `POST`: a new enrolment code, as text and QR.
    pub const CODES: &str = "/console/api/tenants/{slug}/codes";
    /// `GET`: the tenant's audit log.
    pub const AUDIT: &str = "/console/api/tenants/{slug}/audit";
    /// `GET`: the tenant's sales over a range of days.
    pub const SALES: &str = "/console/api/tenants/{slug}/reports/sales";
    /// `GET`: every record of a kind (product, category, content, operator,
    /// settings) central holds for the tenant.
    pub const RECORDS: &str = "/console/api/tenants/{slug}/records/{kind}";
    /// `POST`: head office's changes to records, which every device pulls.
    pub const CHANGES: &str = "/console/api/tenants/{slug}/changes";
    /// `GET`: SKUs and barcodes more than one product has.
    pub const CLASHES: &str = "/console/api/tenants/{slug}/clashes";
    /// `POST`: upload a product picture (a JPEG the console scaled).
    pub const IMAGES: &str = "/console/api/tenants/{slug}/images";
    /// `GET`: a picture of the tenant.
    pub const IMAGE: &str = "/console/api/tenants/{slug}/images/{digest}";
    /// `POST`, admin token: add a person who signs in to the console.
    pub const ADMIN_PEOPLE: &str = "/v1/admin/people";
}

/// Who did something, in the audit log, when it was the admin token.
pub const ADMIN_ACTOR: &str = "admin-token";

/// Signing in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRequest {
    /// The login (any case).
    pub login: String,
    /// The password.
    pub password: String,
}

/// A signed-in session, as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    /// Who.
    pub person: Person,
    /// What every change must carry in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When the session ends, Unix milliseconds.
    pub expires_at_ms: i64,
}

/// A person to add (admin token).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewPersonRequest {
    /// Login: 3 to 64 of `a-z 0-9 . _ - @` (stored lower-case).
    pub login: String,
    /// Display name.
    pub name: String,
    /// Password, 10 to 128 characters.
    pub password: String,
    /// Their tenant; absent for a chain operator, who sees every tenant.
    #[serde(default)]
    pub tenant_slug: Option<String>,
}

/// A new enrolment code asked for in the console.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CodeRequest {
    /// The store the till joins (main when absent).
    #[serde(default)]
    pub store: Option<String>,
    /// Seconds it stays valid (a day when absent; at most 30 days).
    #[serde(default)]
    pub valid_for_secs: Option<u64>,
    /// Set to re-enrol this device (a till reinstalled with its data).
    #[serde(default)]
    pub device_id: Option<DeviceId>,
}

/// An enrolment code with its QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleCode {
    /// The code, as a till's Join screen takes it.
    pub code: String,
    /// Its tenant.
    pub tenant_slug: String,
    /// The store the till joins.
    pub store: String,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// Modules per side of its QR code.
    pub qr_size: u32,
    /// The QR code's dark modules as an SVG path, one unit a module.
    pub qr_path: String,
}

/// Head office's changes made in the console.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsoleChanges {
    /// The edits, in order (at most [`rustok_protocol::MAX_OFFICE_EDITS`]).
    pub changes: Vec<rustok_domain::office::Edit>,
}

/// A SKU or barcode that more than one product has: made by tills offline (head
/// office's changes refuse it), kept so no scan fails, listed for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clash {
    /// `sku` or `barcode`.
    pub field: String,
    /// The value they share.
    pub value: String,
    /// The products, by id.
    pub products: Vec<uuid::Uuid>,
}

/// The audit log's query.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<u64>,
    limit: Option<usize>,
}

/// Entries an audit page holds at most (and by default).
pub const MAX_AUDIT_PAGE: usize = 200;
/// Health reports a device's history answers at most.
pub const MAX_HISTORY: usize = 2_016;

/// The session a request's cookie names: 401 without one (slowed per address
/// like any failed credential).
async fn session(c: &Central, parts: &axum::http::request::Parts) -> Result<Session, Fail> {
    let now = c.clock.now().unix_millis();
    let found = match people::cookie_token(&parts.headers) {
        Some(token) => c.backend.session(&people::token_digest(token), now).await?,
        None => None,
    };
    match found {
        Some(s) => Ok(s),
        None => {
            let f = http::unauthorized(c, "no_session", "sign in to the console first");
            Err(http::throttled(c, parts, f).await)
        }
    }
}

/// A change needs the session's CSRF token in `X-CSRF-Token`: 403 otherwise.
fn csrf(c: &Central, parts: &axum::http::request::Parts, s: &Session) -> Result<(), Fail> {
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if people::same_secret(given, &s.csrf_token) {
        Ok(())
    } else {
        Metrics::inc(&c.metrics.forbidden);
        Err(Fail::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "a change must carry the session's CSRF token in X-CSRF-Token",
        ))
    }
}

/// The tenant a path names, if the person may see it: 422 for what cannot be a
/// slug; another tenant's is answered as an unknown one (404), so a person cannot
/// learn which tenants exist.
async fn tenant_of(c: &Central, s: &Session, slug: &str) -> Result<TenantSlug, Fail> {
    let slug = http::slug_in_path(slug)?;
    if s.person
        .tenant_slug
        .as_deref()
        .is_some_and(|own| own != slug.as_str())
    {
        Metrics::inc(&c.metrics.forbidden);
        return Err(http::unknown_tenant());
    }
    if c.backend.stores(slug.as_str()).await?.is_none() {
        return Err(http::unknown_tenant());
    }
    Ok(slug)
}

/// The session of a request about the tenant `slug`, and the tenant.
async fn signed_in_tenant(
    c: &Central,
    parts: &axum::http::request::Parts,
    slug: &str,
) -> Result<(Session, TenantSlug), Fail> {
    let s = session(c, parts).await?;
    let slug = tenant_of(c, &s, slug).await?;
    Ok((s, slug))
}

/// The session and tenant of a change to the tenant `slug`: signed in (401), with
/// the session's CSRF token (403), a tenant the person may see (404).
async fn changing_tenant(
    c: &Central,
    parts: &axum::http::request::Parts,
    slug: &str,
) -> Result<(Session, TenantSlug), Fail> {
    let s = session(c, parts).await?;
    csrf(c, parts, &s)?;
    let slug = tenant_of(c, &s, slug).await?;
    Ok((s, slug))
}

/// Writes an audit entry; a failure to write it is logged (the change is made).
pub async fn audit(
    c: &Central,
    actor: &str,
    tenant: Option<&str>,
    action: &str,
    detail: serde_json::Value,
) {
    let entry = AuditEntry {
        id: 0,
        at_ms: c.clock.now().unix_millis(),
        actor: actor.to_owned(),
        tenant_slug: tenant.map(str::to_owned),
        action: action.to_owned(),
        detail,
    };
    if let Err(e) = c.backend.audit(&entry).await {
        tracing::error!(error = %e, actor, action, "cannot write the audit log");
    }
}

/// Runs the slow argon2 check off the async threads, a few at a time (each takes
/// ~19 MiB and tens of milliseconds).
async fn verify(c: &Central, password: String, hash: String) -> Result<bool, Fail> {
    let _permit = c.hashing.acquire().await.map_err(|_| {
        Fail::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "central is stopping",
        )
    })?;
    tokio::task::spawn_blocking(move || people::verify_password(&password, &hash))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a password check failed");
            Fail::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "central failed to check the password; it was logged",
            )
        })
}

fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn session_answer(s: &Session) -> ConsoleSession {
    ConsoleSession {
        person: s.person.clone(),
        csrf_token: s.csrf_token.clone(),
        expires_at_ms: s.expires_at_ms,
    }
}

/// `POST /console/api/session`: a wrong password and an unknown login get the same
/// answer after the same work; the fifth wrong password in a row locks the account
/// for 15 minutes (429 with `Retry-After`, even for the right password).
pub async fn sign_in(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, body) = http::read_body(&c, req).await?;
    // JSON only: a form on another site cannot post it without a preflight, so it
    // cannot sign a browser in to someone else's account.
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(Fail::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_only",
            "signing in takes a JSON body (Content-Type: application/json)",
        ));
    }
    let ask: SignInRequest = http::parse_json(&body)?;
    let now = c.clock.now().unix_millis();
    let found = match people::login(&ask.login) {
        Ok(login) => c.backend.sign_in_of(&login).await?,
        Err(_) => None,
    };
    let locked = |until: i64| {
        let mut f = Fail::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked",
            "too many wrong passwords: this account is locked for a while",
        );
        let ms = u64::try_from(until.saturating_sub(now)).unwrap_or(0);
        f.retry_after = Some(Duration::from_millis(ms));
        f
    };
    if let Some(f) = found.as_ref().filter(|f| f.locked_until_ms > now) {
        return Err(locked(f.locked_until_ms));
    }
    let hash = found.as_ref().map_or_else(
        || people::dummy_hash().to_owned(),
        |f| f.password_hash.clone(),
    );
    // A password longer than any accepted is not hashed: it cannot be right.
    let fits = ask.password.chars().count() <= people::MAX_PASSWORD_CHARS;
    let right = fits && verify(&c, ask.password, hash).await?;
    let Some(found) = found else {
        let f = http::unauthorized(&c, "bad_credentials", "wrong login or password");
        return Err(http::throttled(&c, &parts, f).await);
    };
    if !right {
        let lock_until = now.saturating_add(people::LOCKED_FOR_MS);
        let lock = c
            .backend
            .wrong_password(found.person.person_id, people::LOCK_AFTER, lock_until)
            .await?;
        if lock > now {
            let login = found.person.login.as_str();
            tracing::warn!(login, "a console account was locked after wrong passwords");
            let tenant = found.person.tenant_slug.as_deref();
            audit(&c, login, tenant, "account_locked", serde_json::json!({})).await;
            return Err(locked(lock));
        }
        let f = http::unauthorized(&c, "bad_credentials", "wrong login or password");
        return Err(http::throttled(&c, &parts, f).await);
    }
    let token = people::token(&*c.entropy);
    let new = crate::store::NewSession {
        token_sha256: people::token_digest(&token),
        person_id: found.person.person_id,
        csrf_token: people::token(&*c.entropy),
        created_at_ms: now,
        expires_at_ms: now.saturating_add(people::SESSION_MS),
    };
    c.backend.start_session(&new).await?;
    let p = &found.person;
    audit(
        &c,
        &p.login,
        p.tenant_slug.as_deref(),
        "sign_in",
        serde_json::json!({}),
    )
    .await;
    let s = Session {
        person: found.person,
        csrf_token: new.csrf_token,
        expires_at_ms: new.expires_at_ms,
    };
    let cookie = people::session_cookie(&token, people::SESSION_MS / 1000);
    Ok(with_cookie(
        Json(session_answer(&s)).into_response(),
        &cookie,
    ))
}

/// `GET /console/api/session`: who is signed in, and the CSRF token (a reloaded
/// page reads it here).
pub async fn current(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let s = session(&c, &parts).await?;
    Ok(with_cookie(
        Json(session_answer(&s)).into_response(),
        &people::session_cookie(
            people::cookie_token(&parts.headers).unwrap_or_default(),
            s.expires_at_ms
                .saturating_sub(c.clock.now().unix_millis())
                .max(0)
                / 1000,
        ),
    ))
}

/// `DELETE /console/api/session`: signs out; the cookie is cleared.
pub async fn sign_out(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let s = session(&c, &parts).await?;
    csrf(&c, &parts, &s)?;
    if let Some(token) = people::cookie_token(&parts.headers) {
        c.backend.end_session(&people::token_digest(token)).await?;
    }
    let p = &s.person;
    audit(
        &c,
        &p.login,
        p.tenant_slug.as_deref(),
        "sign_out",
        serde_json::json!({}),
    )
    .await;
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &people::cleared_cookie(),
    ))
}

/// `GET /console/api/tenants`: the chain operator's every tenant, or the person's own.
pub async fn tenants(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let s = session(&c, &parts).await?;
    let all = c.backend.tenants().await?;
    let seen: Vec<String> = match &s.person.tenant_slug {
        None => all,
        Some(own) => all.into_iter().filter(|t| t == own).collect(),
    };
    Ok(Json(seen).into_response())
}

/// `GET /console/api/tenants/{slug}/stores`.
pub async fn stores(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let stores = c.backend.stores(slug.as_str()).await?.unwrap_or_default();
    Ok(Json(stores).into_response())
}

/// `GET /console/api/tenants/{slug}/devices`.
pub async fn devices(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    Ok(Json(http::fleet_of(&c, &slug).await?).into_response())
}

/// A device of the tenant, or 404 (another tenant's is answered alike).
async fn device_of(
    c: &Central,
    slug: &TenantSlug,
    raw: &str,
) -> Result<crate::store::DeviceRecord, Fail> {
    let unknown = || Fail::new(StatusCode::NOT_FOUND, "not_found", "unknown device");
    let id = DeviceId::parse(raw).map_err(|_| unknown())?;
    let d = c.backend.device(id).await?.ok_or_else(unknown)?;
    if d.tenant_slug == slug.as_str() {
        Ok(d)
    } else {
        Err(unknown())
    }
}

/// `GET /console/api/tenants/{slug}/devices/{device_id}/history`.
pub async fn history(
    State(c): State<Shared>,
    Path((slug, device)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let d = device_of(&c, &slug, &device).await?;
    let samples = c.backend.health_history(d.device_id, MAX_HISTORY).await?;
    Ok(Json(samples).into_response())
}

/// `POST /console/api/tenants/{slug}/devices/{device_id}/revoke`.
pub async fn revoke(
    State(c): State<Shared>,
    Path((slug, device)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (s, slug) = changing_tenant(&c, &parts, &slug).await?;
    let d = device_of(&c, &slug, &device).await?;
    c.backend.revoke(d.device_id).await?;
    tracing::info!(device = %d.device_id, by = %s.person.login, "device revoked in the console");
    audit(
        &c,
        &s.person.login,
        Some(slug.as_str()),
        "revoke_device",
        serde_json::json!({ "device_id": d.device_id, "device_code": d.device_code }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /console/api/tenants/{slug}/codes`.
pub async fn create_code(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = http::read_body(&c, req).await?;
    let (s, slug) = changing_tenant(&c, &parts, &slug).await?;
    let ask: CodeRequest = http::parse_json(&body)?;
    if let Some(d) = ask.device_id {
        device_of(&c, &slug, &d.to_string()).await?;
    }
    let valid_for = http::code_validity(&c, ask.valid_for_secs)?;
    let store = ask.store.as_deref().unwrap_or(rustok_protocol::MAIN_STORE);
    let e = http::issue_code(&c, slug.as_str(), valid_for, ask.device_id, store).await?;
    let qr = rustok_domain::qr::qr_path(&e.code).ok_or_else(|| {
        Fail::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the code does not fit a QR code",
        )
    })?;
    audit(
        &c,
        &s.person.login,
        Some(slug.as_str()),
        "create_code",
        serde_json::json!({ "store": e.store, "expires_at": e.expires_at, "device_id": ask.device_id }),
    )
    .await;
    let code = ConsoleCode {
        code: e.code,
        tenant_slug: e.tenant_slug,
        store: e.store,
        expires_at: e.expires_at,
        qr_size: qr.size,
        qr_path: qr.path,
    };
    Ok((StatusCode::CREATED, Json(code)).into_response())
}

/// `GET /console/api/tenants/{slug}/audit?before=ID&limit=N`: newest first.
pub async fn audit_log(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (s, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let Query(q) = query.map_err(|_| {
        Fail::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("before is an entry id; limit is 1 to {MAX_AUDIT_PAGE}"),
        )
    })?;
    let limit = q.limit.unwrap_or(MAX_AUDIT_PAGE);
    let before = q.before.map(i64::try_from).transpose();
    let (true, Ok(before)) = ((1..=MAX_AUDIT_PAGE).contains(&limit), before) else {
        return Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("before is an entry id; limit is 1 to {MAX_AUDIT_PAGE}"),
        ));
    };
    // The chain operator also sees what concerns no one tenant (their own sign-ins).
    let chain = s.person.tenant_slug.is_none();
    let entries = c
        .backend
        .audit_log(Some(slug.as_str()), chain, before, limit)
        .await?;
    Ok(Json(entries).into_response())
}

/// The sales report's query.
#[derive(Debug, Deserialize)]
pub struct SalesQuery {
    from: Option<String>,
    to: Option<String>,
    offset: Option<String>,
}

/// The largest UTC offset a place has, minutes (UTC+14).
pub const MAX_OFFSET_MINUTES: i64 = 14 * 60;
/// The smallest UTC offset accepted, minutes (places go down to UTC−12).
pub const MIN_OFFSET_MINUTES: i64 = -MAX_OFFSET_MINUTES;

/// How long a report waits for central to count sale events it has not yet.
const REPORT_BUDGET: Duration = Duration::from_secs(5);

/// `GET /console/api/tenants/{slug}/reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD&offset=MIN`:
/// the days `from` to `to` (both included) in the viewer's UTC offset.
pub async fn sales(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    query: Result<Query<SalesQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let bad =
        |code: &'static str, why: &str| Fail::new(StatusCode::BAD_REQUEST, code, why.to_owned());
    let Query(q) = query.map_err(|_| {
        bad(
            "bad_day",
            "from and to are days (YYYY-MM-DD); offset is minutes",
        )
    })?;
    let day = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
            })
            .map(|d| d.midnight().assume_utc().unix_timestamp())
    };
    let (Some(from), Some(to)) = (day(&q.from), day(&q.to)) else {
        return Err(bad("bad_day", "from and to are days, YYYY-MM-DD"));
    };
    // Absent or empty is UTC.
    let offset = match q.offset.as_deref().map(str::trim) {
        None | Some("") => Some(0),
        Some(text) => text.parse::<i64>().ok(),
    };
    // Every UTC offset is whole quarters of an hour, as the roll-ups are.
    let Some(offset) = offset
        .filter(|o| o.unsigned_abs() <= MAX_OFFSET_MINUTES.unsigned_abs() && o.rem_euclid(15) == 0)
    else {
        return Err(bad(
            "bad_offset",
            "offset is minutes east of UTC, -840 to 840, in quarters of an hour",
        ));
    };
    let offset_ms = offset.saturating_mul(60_000);
    let from_ms = from.saturating_mul(1000).saturating_sub(offset_ms);
    let to_ms = to
        .saturating_add(86_400)
        .saturating_mul(1000)
        .saturating_sub(offset_ms);
    if to_ms <= from_ms || to_ms.saturating_sub(from_ms) > crate::report::MAX_RANGE_MS {
        return Err(bad(
            "bad_range",
            "to is on or after from, and at most 366 days after it",
        ));
    }
    let complete = crate::report::project(&c, REPORT_BUDGET).await?;
    let ask = crate::report::Ask {
        from_ms,
        to_ms,
        offset_ms,
    };
    let report = match c.backend.tenant_by_slug(slug.as_str()).await? {
        Some(tenant) => crate::report::assemble(ask, c.backend.sales_report(tenant, ask).await?),
        None => crate::report::assemble(ask, crate::report::Raw::default()),
    };
    Ok(Json(crate::report::SalesReport { complete, ..report }).into_response())
}

/// `POST /v1/admin/people` (admin token): adds a person who signs in to the console.
pub async fn add_person(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, body) = http::read_body(&c, req).await?;
    http::admin(&c, &parts).await?;
    let ask: NewPersonRequest = http::parse_json(&body)?;
    let person = add(&c, ask).await?;
    audit(
        &c,
        ADMIN_ACTOR,
        person.tenant_slug.as_deref(),
        "add_person",
        serde_json::json!({ "login": person.login, "name": person.name }),
    )
    .await;
    Ok((StatusCode::CREATED, Json(person)).into_response())
}

/// Why a person cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// A field the rules refuse.
    #[error("{0}")]
    Invalid(#[from] people::PersonError),
    /// The tenant named is unknown.
    #[error("unknown tenant")]
    UnknownTenant,
    /// Someone has the login.
    #[error("the login is taken")]
    Taken,
    /// Storage or hashing failed.
    #[error("{0}")]
    Failed(String),
}

impl From<crate::CentralError> for AddError {
    fn from(e: crate::CentralError) -> Self {
        AddError::Failed(e.to_string())
    }
}

impl From<AddError> for Fail {
    fn from(e: AddError) -> Fail {
        let (status, code) = match &e {
            AddError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AddError::UnknownTenant => (StatusCode::NOT_FOUND, "not_found"),
            AddError::Taken => (StatusCode::CONFLICT, "login_taken"),
            AddError::Failed(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage"),
        };
        Fail::new(status, code, e.to_string())
    }
}

/// Adds a person (the admin route and the command line).
pub async fn add(c: &Central, ask: NewPersonRequest) -> Result<Person, AddError> {
    let login = people::login(&ask.login)?;
    let name = people::name(&ask.name)?;
    people::check_password(&ask.password)?;
    let tenant_slug = match ask.tenant_slug {
        Some(t) => {
            let slug = TenantSlug::parse(&t).map_err(|_| AddError::UnknownTenant)?;
            if c.backend.stores(slug.as_str()).await?.is_none() {
                return Err(AddError::UnknownTenant);
            }
            Some(slug.as_str().to_owned())
        }
        None => None,
    };
    let entropy = c.entropy.clone();
    let password = ask.password;
    let hash = tokio::task::spawn_blocking(move || people::hash_password(&password, &*entropy))
        .await
        .map_err(|e| AddError::Failed(e.to_string()))?
        .map_err(AddError::Failed)?;
    let now = c.clock.now();
    let person = Person {
        person_id: rustok_domain::ids::OperatorId::generate(now, &*c.entropy).as_uuid(),
        tenant_slug,
        login,
        name,
    };
    if c.backend
        .add_person(&person, &hash, now.unix_millis())
        .await?
    {
        Ok(person)
    } else {
        Err(AddError::Taken)
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// The console page's Content-Security-Policy: everything from central itself,
/// nothing inline, no frames, no other site.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// A file of the console with its security headers: the page is never cached (a
/// new central serves new assets), the assets (named by their hash) for a year.
fn served(path: &str) -> Response {
    let Some((_, bytes)) = embedded::ASSETS.iter().find(|(p, _)| *p == path) else {
        let (status, code, message) = if embedded::ASSETS.is_empty() {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "console_not_built",
                "this central was built without its console (run `make ui`, then build it again)",
            )
        } else {
            (StatusCode::NOT_FOUND, "not_found", "no such console file")
        };
        return Fail::new(status, code, message).into_response();
    };
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = (StatusCode::OK, *bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// `GET /console`: the console's page (the app routes after `#`).
pub async fn page() -> Response {
    served("console.html")
}

/// `GET /console/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    served(&format!("assets/{file}"))
}

/// `GET /console/api/tenants/{slug}/records/{kind}`.
pub async fn records(
    State(c): State<Shared>,
    Path((slug, kind)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let kind = Kind::parse(&kind).ok_or_else(|| {
        Fail::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "unknown kind: product, category, content, operator or settings",
        )
    })?;
    let records = http::records_of(&c, &slug, kind).await?.unwrap_or_default();
    Ok(Json(records).into_response())
}

/// `POST /console/api/tenants/{slug}/changes`: written as head office's, audited
/// with the person as the actor.
pub async fn changes(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = http::read_body(&c, req).await?;
    let (s, slug) = changing_tenant(&c, &parts, &slug).await?;
    let ask: ConsoleChanges = http::parse_json(&body)?;
    let written = http::change_records(&c, &slug, &ask.changes, &s.person.login).await?;
    Ok(Json(written).into_response())
}

/// The SKUs and barcodes that more than one of `products` has, by field and value.
fn clashes_of(products: &[rustok_protocol::RecordOut]) -> Vec<Clash> {
    let mut by: std::collections::BTreeMap<(&str, &str), Vec<uuid::Uuid>> = Default::default();
    for p in products {
        for field in ["sku", "barcode"] {
            if let Some(value) = p.fields.get(field).and_then(serde_json::Value::as_str) {
                by.entry((field, value)).or_default().push(p.id);
            }
        }
    }
    by.into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((field, value), mut products)| {
            products.sort_unstable();
            Clash {
                field: field.to_owned(),
                value: value.to_owned(),
                products,
            }
        })
        .collect()
}

/// `GET /console/api/tenants/{slug}/clashes`.
pub async fn clashes(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    let products = http::records_of(&c, &slug, Kind::Product)
        .await?
        .unwrap_or_default();
    Ok(Json(clashes_of(&products)).into_response())
}

/// `POST /console/api/tenants/{slug}/images`: the JPEG the console scaled.
pub async fn upload_image(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = http::read_picture(&c, req).await?;
    let (s, slug) = changing_tenant(&c, &parts, &slug).await?;
    http::store_picture(&c, &slug, &body, &s.person.login).await
}

/// `GET /console/api/tenants/{slug}/images/{digest}`.
pub async fn image(
    State(c): State<Shared>,
    Path((slug, digest)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    let (_, slug) = signed_in_tenant(&c, &parts, &slug).await?;
    http::picture_of(&c, &slug, &digest).await
}
