//! The HTTP face of central: one table of routes (which also produces the OpenAPI
//! document), request signing and admin checks, limits, and error mapping. Handlers
//! stay thin: read, authenticate, call the backend, map.

use crate::console;
use crate::ingest::{self, Checked};
use crate::store::{DeviceRecord, Redemption};
use crate::{Central, CentralError, Metrics};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use rustok_domain::event::Envelope;
use rustok_domain::ids::{DeviceId, EventId, TenantId};
use rustok_domain::image::{jpeg_size, ImageDigest, MAX_STORED_IMAGE_BYTES, STORED_IMAGE_EDGE};
use rustok_domain::tenant::TenantSlug;
use rustok_protocol::signing::{
    self, HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use rustok_protocol::{
    paths, ApiError, CreateEnrolment, EnrolRequest, EnrolResponse, Enrolment, FeedPage,
    HealthReport, ImageStored, OfficeChanges, OfficeWritten, RecordOut, StoreFields, MAIN_STORE,
    PROTOCOL_VERSION,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// What every handler holds.
pub type Shared = Arc<Central>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// A request signed by an enrolled device.
    Device,
    /// The admin bearer token.
    Admin,
    /// A signed device (its own tenant only) or the admin.
    DeviceOrAdmin,
    /// A person signed in to the console (the session cookie); a change also needs
    /// the session's CSRF token.
    Session,
}

/// What a successful answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// JSON described by this schema of the document's components.
    Json(&'static str),
    /// Plain text.
    Text,
    /// A JPEG picture.
    Jpeg,
    /// Nothing.
    Empty,
}

/// A query parameter.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    /// Its name.
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// What it is.
    pub description: &'static str,
    /// Its OpenAPI string format (`date`…), if any.
    pub format: Option<&'static str>,
    /// Set for a whole number: its largest value.
    pub max: Option<u64>,
    /// A whole number's smallest value, when not 0.
    pub min: Option<i64>,
}

/// One route: what the OpenAPI document says about it.
#[derive(Debug, Clone)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// The JSON request body's schema (in the document's components), if any.
    pub body: Option<&'static str>,
    /// A request body of raw bytes instead: its media type and what it is.
    pub bytes_body: Option<(&'static str, &'static str)>,
    /// Query parameters.
    pub query: &'static [QueryParam],
    /// The successful status and what it carries.
    pub ok: (u16, &'static str, Reply),
    /// Another successful status with the same reply, and what it means.
    pub also_ok: Option<(u16, &'static str)>,
    /// Error statuses particular to this route, with what they mean (the document
    /// adds those every route of its kind may answer).
    pub errors: &'static [(u16, &'static str)],
}

/// The query of a pull.
const FEED_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "after",
        required: false,
        description: "the device's cursor: entries after this position (0 from the start)",
        format: None,
        max: Some(i64::MAX as u64),
        min: None,
    },
    QueryParam {
        name: "limit",
        required: false,
        description: "at most this many entries (1 to 1000, default 1000)",
        format: None,
        max: Some(rustok_protocol::MAX_FEED_ENTRIES as u64),
        min: None,
    },
    QueryParam {
        name: "wait",
        required: false,
        description: "seconds to wait for an entry when there is none yet (0 to 30, default 0; central may answer sooner)",
        format: None,
        max: Some(rustok_protocol::MAX_FEED_WAIT_SECS),
        min: None,
    },
];

/// What a console read of a tenant may answer besides its own.
const CONSOLE_TENANT_ERRORS: &[(u16, &str)] = &[
    (404, "unknown tenant (another tenant's is answered alike)"),
    (422, "not a tenant slug"),
];

/// What a console call about one device may answer besides its own.
const CONSOLE_DEVICE_ERRORS: &[(u16, &str)] = &[
    (
        404,
        "unknown tenant or device (another tenant's is answered alike)",
    ),
    (422, "not a tenant slug"),
];

/// Every route with its handler. The router and the OpenAPI document both come
/// from this table, so neither can forget one.
pub fn routes() -> Vec<(Route, MethodRouter<Shared>)> {
    let r = |method: Method, path, summary, auth| Route {
        method,
        path,
        summary,
        auth,
        body: None,
        bytes_body: None,
        query: &[],
        ok: (200, "ok", Reply::Empty),
        also_ok: None,
        errors: &[],
    };
    vec![
        (
            Route {
                body: Some("CreateEnrolment"),
                ok: (201, "the code", Reply::Json("Enrolment")),
                errors: &[(422, "bad tenant slug or validity")],
                ..r(
                    Method::POST,
                    paths::ADMIN_ENROLMENTS,
                    "Create a one-time enrolment code for a tenant",
                    Auth::Admin,
                )
            },
            post(create_enrolment),
        ),
        (
            Route {
                ok: (204, "revoked", Reply::Empty),
                errors: &[(404, "unknown device")],
                ..r(
                    Method::POST,
                    paths::ADMIN_REVOKE,
                    "Revoke a device",
                    Auth::Admin,
                )
            },
            post(revoke),
        ),
        (
            Route {
                body: Some("StoreFields"),
                ok: (200, "the store", Reply::Json("Store")),
                errors: &[(422, "a bad tenant slug, store code, name or address")],
                ..r(
                    Method::PUT,
                    paths::ADMIN_STORE,
                    "Create a store of a tenant (and the tenant, if new), or set its name and address",
                    Auth::Admin,
                )
            },
            axum::routing::put(put_store),
        ),
        (
            Route {
                ok: (200, "the tenant's stores by code", Reply::Json("Stores")),
                errors: &[(404, "unknown tenant"), (422, "not a tenant slug")],
                ..r(
                    Method::GET,
                    paths::ADMIN_STORES,
                    "A tenant's stores",
                    Auth::Admin,
                )
            },
            get(list_stores),
        ),
        (
            Route {
                ok: (
                    200,
                    "every device of the tenant with its health and state",
                    Reply::Json("Fleet"),
                ),
                errors: &[(404, "unknown tenant"), (422, "not a tenant slug")],
                ..r(
                    Method::GET,
                    paths::ADMIN_DEVICES,
                    "A tenant's devices: store, health, and a state (healthy, warning, stale, revoked) with the reasons",
                    Auth::Admin,
                )
            },
            get(fleet),
        ),
        (
            Route {
                body: Some("OfficeChanges"),
                ok: (200, "the events written", Reply::Json("OfficeWritten")),
                errors: &[
                    (
                        422,
                        "an edit the domain refuses (a missing or bad field, an unknown reference, a SKU or barcode another product has, a transition the record's state lacks), or too many edits; nothing is written",
                    ),
                    (409, "other changes kept arriving at once; try again"),
                ],
                ..r(
                    Method::POST,
                    paths::ADMIN_CHANGES,
                    "Head office changes a tenant's settings, operators, categories, products or content; every device pulls them",
                    Auth::Admin,
                )
            },
            post(office_changes),
        ),
        (
            Route {
                ok: (200, "the records by id", Reply::Json("Records")),
                errors: &[(404, "unknown tenant or kind"), (422, "not a tenant slug")],
                ..r(
                    Method::GET,
                    paths::ADMIN_RECORDS,
                    "Every record of a kind that central holds for a tenant, merged from every device and head office",
                    Auth::Admin,
                )
            },
            get(list_records),
        ),
        (
            Route {
                bytes_body: Some((
                    "application/octet-stream",
                    "the stored picture: a JPEG at most 640 pixels a side and 1 MiB, whose SHA-256 is the digest",
                )),
                ok: (204, "central holds the picture (it may have before)", Reply::Empty),
                errors: &[
                    (400, "the digest is not 64 lowercase hex digits"),
                    (
                        422,
                        "the bytes are not the digest named, or not a JPEG at most 640 pixels a side",
                    ),
                ],
                ..r(
                    Method::PUT,
                    paths::IMAGE,
                    "Send a picture this device added, for the tenant's other devices to fetch",
                    Auth::Device,
                )
            },
            axum::routing::put(put_image),
        ),
        (
            Route {
                ok: (200, "the picture's bytes", Reply::Jpeg),
                errors: &[
                    (400, "the digest is not 64 lowercase hex digits"),
                    (404, "central holds no such picture for the device's tenant"),
                ],
                ..r(
                    Method::GET,
                    paths::IMAGE,
                    "Fetch a picture of the device's tenant (one a pulled product names)",
                    Auth::Device,
                )
            },
            get(get_image),
        ),
        (
            Route {
                bytes_body: Some((
                    "application/octet-stream",
                    "a JPEG at most 640 pixels a side and 1 MiB (scale it first, e.g. `convert in.png -resize 640x640 -quality 85 out.jpg`)",
                )),
                ok: (201, "the stored picture's digest", Reply::Json("ImageStored")),
                also_ok: Some((200, "central held the picture already: the same answer")),
                errors: &[
                    (404, "unknown tenant"),
                    (
                        422,
                        "a bad tenant slug; not a whole JPEG, or larger than 640 pixels a side",
                    ),
                ],
                ..r(
                    Method::POST,
                    paths::ADMIN_IMAGES,
                    "Head office uploads a product picture; a product names it by the digest answered",
                    Auth::Admin,
                )
            },
            post(upload_image),
        ),
        (
            Route {
                ok: (200, "the picture's bytes", Reply::Jpeg),
                errors: &[
                    (400, "the digest is not 64 lowercase hex digits"),
                    (404, "unknown tenant, or no such picture of it"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    paths::ADMIN_IMAGE,
                    "A picture central holds for a tenant",
                    Auth::Admin,
                )
            },
            get(admin_image),
        ),
        (
            Route {
                body: Some("EnrolRequest"),
                ok: (200, "enrolled", Reply::Json("EnrolResponse")),
                errors: &[
                    (401, "unknown, used or expired code"),
                    (
                        403,
                        "the device belongs to another tenant, is enrolled already (re-enrolling needs a code made for it), was revoked, or the code is for another device",
                    ),
                    (
                        409,
                        "another till of the tenant has this till code (it begins the till's receipt numbers); the code is not spent",
                    ),
                    (422, "a device code or app version that is not one"),
                ],
                ..r(
                    Method::POST,
                    paths::ENROL,
                    "Redeem an enrolment code for a device id and secret",
                    Auth::Public,
                )
            },
            post(enrol),
        ),
        (
            Route {
                body: Some("PushRequest"),
                ok: (
                    200,
                    "highest contiguous seq held, expected seq on a gap, per-event rejections",
                    Reply::Json("PushResponse"),
                ),
                errors: &[
                    (403, "an event of another device or tenant"),
                    (422, "too many events"),
                ],
                ..r(
                    Method::POST,
                    paths::EVENTS,
                    "Push a batch of events (idempotent on device and seq)",
                    Auth::Device,
                )
            },
            post(push),
        ),
        (
            Route {
                body: Some("HealthReport"),
                ok: (204, "recorded", Reply::Empty),
                errors: &[(422, "a device time central cannot compare with its own")],
                ..r(
                    Method::POST,
                    paths::HEALTH,
                    "Report the device's health",
                    Auth::Device,
                )
            },
            post(report_health),
        ),
        (
            Route {
                query: FEED_QUERY,
                ok: (
                    200,
                    "entries after the cursor, the next cursor and the feed's head",
                    Reply::Json("FeedPage"),
                ),
                errors: &[(400, "a bad after, limit or wait")],
                ..r(
                    Method::GET,
                    paths::FEED,
                    "Pull what the tenant's other devices and head office changed (signed; long poll with wait)",
                    Auth::Device,
                )
            },
            get(feed),
        ),
        (
            Route {
                ok: (200, "the report", Reply::Json("DeviceHealth")),
                errors: &[(404, "no such device in the caller's tenant")],
                ..r(
                    Method::GET,
                    paths::DEVICE_HEALTH,
                    "A device's last health report",
                    Auth::DeviceOrAdmin,
                )
            },
            get(device_health),
        ),
        (
            Route {
                query: &[
                    QueryParam {
                        name: "day",
                        required: true,
                        description: "the UTC day, YYYY-MM-DD",
                        format: Some("date"),
                        max: None,
                        min: None,
                    },
                    QueryParam {
                        name: "tenant",
                        required: true,
                        description: "the tenant's slug (a device may name only its own)",
                        format: None,
                        max: None,
                        min: None,
                    },
                ],
                ok: (200, "the report", Reply::Json("DailySales")),
                errors: &[
                    (400, "bad day, or no tenant named"),
                    (404, "unknown tenant (another tenant's is answered alike)"),
                ],
                ..r(
                    Method::GET,
                    paths::DAILY_SALES,
                    "Per-store sales of a tenant on a day",
                    Auth::DeviceOrAdmin,
                )
            },
            get(daily_sales),
        ),
        (
            Route {
                body: Some("NewPersonRequest"),
                ok: (201, "the person", Reply::Json("Person")),
                errors: &[
                    (404, "unknown tenant"),
                    (409, "someone has this login"),
                    (422, "a login, name or password the rules refuse"),
                ],
                ..r(
                    Method::POST,
                    console::paths::ADMIN_PEOPLE,
                    "Add a person who signs in to the console: of one tenant, or the chain operator (no tenant) who sees every tenant",
                    Auth::Admin,
                )
            },
            post(console::add_person),
        ),
        (
            Route {
                body: Some("SignInRequest"),
                ok: (
                    200,
                    "signed in: the session cookie is set (HttpOnly, Secure, SameSite=Strict, Path=/console)",
                    Reply::Json("ConsoleSession"),
                ),
                errors: &[
                    (401, "wrong login or password"),
                    (415, "the body is not declared JSON (Content-Type: application/json)"),
                    (
                        429,
                        "five wrong passwords in a row lock the account for 15 minutes, or too many requests from this address; see Retry-After",
                    ),
                ],
                ..r(
                    Method::POST,
                    console::paths::SESSION,
                    "Sign in to the console",
                    Auth::Public,
                )
            },
            post(console::sign_in),
        ),
        (
            Route {
                ok: (200, "who is signed in, and the CSRF token", Reply::Json("ConsoleSession")),
                ..r(
                    Method::GET,
                    console::paths::SESSION,
                    "The console session",
                    Auth::Session,
                )
            },
            get(console::current),
        ),
        (
            Route {
                ok: (204, "signed out; the cookie is cleared", Reply::Empty),
                ..r(
                    Method::DELETE,
                    console::paths::SESSION,
                    "Sign out of the console",
                    Auth::Session,
                )
            },
            axum::routing::delete(console::sign_out),
        ),
        (
            Route {
                ok: (200, "their slugs", Reply::Json("Tenants")),
                ..r(
                    Method::GET,
                    console::paths::TENANTS,
                    "The tenants the person may see (every one for the chain operator)",
                    Auth::Session,
                )
            },
            get(console::tenants),
        ),
        (
            Route {
                ok: (200, "the tenant's stores by code", Reply::Json("Stores")),
                errors: CONSOLE_TENANT_ERRORS,
                ..r(
                    Method::GET,
                    console::paths::STORES,
                    "A tenant's stores",
                    Auth::Session,
                )
            },
            get(console::stores),
        ),
        (
            Route {
                ok: (200, "every device of the tenant with its health and state", Reply::Json("Fleet")),
                errors: CONSOLE_TENANT_ERRORS,
                ..r(
                    Method::GET,
                    console::paths::DEVICES,
                    "A tenant's devices: store, kind, health, and a state (healthy, warning, stale, revoked) with the reasons",
                    Auth::Session,
                )
            },
            get(console::devices),
        ),
        (
            Route {
                ok: (200, "the kept reports, newest first (a week, one every few minutes and every change)", Reply::Json("HealthSamples")),
                errors: CONSOLE_DEVICE_ERRORS,
                ..r(
                    Method::GET,
                    console::paths::DEVICE_HISTORY,
                    "A device's health reports over the last week",
                    Auth::Session,
                )
            },
            get(console::history),
        ),
        (
            Route {
                ok: (204, "revoked: its next request is refused", Reply::Empty),
                errors: CONSOLE_DEVICE_ERRORS,
                ..r(
                    Method::POST,
                    console::paths::REVOKE,
                    "Revoke a device of the tenant",
                    Auth::Session,
                )
            },
            post(console::revoke),
        ),
        (
            Route {
                body: Some("CodeRequest"),
                ok: (201, "the code, with its QR code", Reply::Json("ConsoleCode")),
                errors: &[
                    (404, "unknown tenant (another tenant's is answered alike), or a device not of it"),
                    (422, "not a tenant slug; a store the tenant lacks; a validity over 30 days"),
                ],
                ..r(
                    Method::POST,
                    console::paths::CODES,
                    "A one-time enrolment code for a new till of the tenant",
                    Auth::Session,
                )
            },
            post(console::create_code),
        ),
        (
            Route {
                query: &[
                    QueryParam {
                        name: "before",
                        required: false,
                        description: "entries before this id (from the newest when absent)",
                        format: None,
                        max: Some(i64::MAX as u64),
                        min: None,
                    },
                    QueryParam {
                        name: "limit",
                        required: false,
                        description: "at most this many entries (1 to 200, default 200)",
                        format: None,
                        max: Some(console::MAX_AUDIT_PAGE as u64),
                        min: None,
                    },
                ],
                ok: (200, "the entries, newest first", Reply::Json("AuditEntries")),
                errors: &[
                    (400, "a bad before or limit"),
                    (404, "unknown tenant (another tenant's is answered alike)"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    console::paths::AUDIT,
                    "Who changed what in the tenant, when",
                    Auth::Session,
                )
            },
            get(console::audit_log),
        ),
        (
            Route {
                query: &[
                    QueryParam {
                        name: "from",
                        required: true,
                        description: "the first day, YYYY-MM-DD",
                        format: Some("date"),
                        max: None,
                        min: None,
                    },
                    QueryParam {
                        name: "to",
                        required: true,
                        description: "the last day, YYYY-MM-DD (on or after from, at most 366 days after it)",
                        format: Some("date"),
                        max: None,
                        min: None,
                    },
                    QueryParam {
                        name: "offset",
                        required: false,
                        description: "the viewer's UTC offset in minutes east, in quarters of an hour (-840 to 840; default 0): days and hours are cut in it",
                        format: None,
                        max: Some(console::MAX_OFFSET_MINUTES as u64),
                        min: Some(console::MIN_OFFSET_MINUTES),
                    },
                ],
                ok: (200, "the report", Reply::Json("SalesReport")),
                errors: &[
                    (400, "a bad from, to or offset (code bad_day or bad_offset), or to before from or more than 366 days after it (bad_range)"),
                    (404, "unknown tenant (another tenant's is answered alike)"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    console::paths::SALES,
                    "A tenant's sales over a range of days: totals, per store and day, tender mix, refunds, discounts, best sellers, hour of day (each sale event counted once however often it was sent)",
                    Auth::Session,
                )
            },
            get(console::sales),
        ),
        (
            Route {
                ok: (200, "the records by id", Reply::Json("Records")),
                errors: &[
                    (404, "unknown tenant (another tenant's is answered alike) or kind"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    console::paths::RECORDS,
                    "Every record of a kind central holds for the tenant, merged from every device and head office",
                    Auth::Session,
                )
            },
            get(console::records),
        ),
        (
            Route {
                body: Some("ConsoleChanges"),
                ok: (200, "the events written", Reply::Json("OfficeWritten")),
                errors: &[
                    (404, "unknown tenant (another tenant's is answered alike)"),
                    (
                        422,
                        "not a tenant slug; an edit the domain refuses (a missing or bad field, an unknown reference, a SKU or barcode another product has, a transition the record's state lacks), or too many edits; nothing is written",
                    ),
                    (409, "other changes kept arriving at once; try again"),
                ],
                ..r(
                    Method::POST,
                    console::paths::CHANGES,
                    "Change the tenant's settings, operators, categories, products or content; every device pulls them",
                    Auth::Session,
                )
            },
            post(console::changes),
        ),
        (
            Route {
                ok: (200, "the clashes, by field and value", Reply::Json("Clashes")),
                errors: &[
                    (404, "unknown tenant (another tenant's is answered alike)"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    console::paths::CLASHES,
                    "SKUs and barcodes that more than one product has (made by tills offline), for a person to resolve",
                    Auth::Session,
                )
            },
            get(console::clashes),
        ),
        (
            Route {
                bytes_body: Some((
                    "application/octet-stream",
                    "a JPEG at most 640 pixels a side and 1 MiB (the console scales a photo first)",
                )),
                ok: (201, "the stored picture's digest", Reply::Json("ImageStored")),
                also_ok: Some((200, "central held the picture already: the same answer")),
                errors: &[
                    (404, "unknown tenant (another tenant's is answered alike)"),
                    (
                        422,
                        "not a tenant slug; not a whole JPEG, or larger than 640 pixels a side",
                    ),
                ],
                ..r(
                    Method::POST,
                    console::paths::IMAGES,
                    "Upload a product picture; a product names it by the digest answered",
                    Auth::Session,
                )
            },
            post(console::upload_image),
        ),
        (
            Route {
                ok: (200, "the picture's bytes", Reply::Jpeg),
                errors: &[
                    (400, "the digest is not 64 lowercase hex digits"),
                    (404, "unknown tenant (another tenant's is answered alike), or no such picture of it"),
                    (422, "not a tenant slug"),
                ],
                ..r(
                    Method::GET,
                    console::paths::IMAGE,
                    "A picture central holds for the tenant",
                    Auth::Session,
                )
            },
            get(console::image),
        ),
        (
            Route {
                ok: (200, "ok", Reply::Text),
                ..r(
                    Method::GET,
                    paths::HEALTHZ,
                    "Liveness and database check",
                    Auth::Public,
                )
            },
            get(healthz),
        ),
        (
            Route {
                ok: (200, "metrics", Reply::Text),
                ..r(
                    Method::GET,
                    paths::METRICS,
                    "Prometheus text metrics (O(1), never waits for storage)",
                    Auth::Public,
                )
            },
            get(metrics),
        ),
        (
            Route {
                ok: (200, "OpenAPI 3.1", Reply::Json("OpenApi")),
                ..r(Method::GET, paths::OPENAPI, "This document", Auth::Public)
            },
            get(openapi),
        ),
    ]
}

/// The router over every route. A panic in a handler is logged and answered 500 in
/// the error format; the connection and the server go on.
pub fn router(central: Shared) -> Router {
    let on_panic = {
        let c = Arc::clone(&central);
        move |panic: Box<dyn std::any::Any + Send + 'static>| {
            Metrics::inc(&c.metrics.panics);
            tracing::error!(panic = %panic_text(&*panic), "a request handler panicked");
            internal()
        }
    };
    routes()
        .into_iter()
        .fold(Router::new(), |router, (route, handler)| {
            let handler = if route.auth == Auth::Public {
                handler.layer(axum::middleware::from_fn_with_state(
                    Arc::clone(&central),
                    limit_public,
                ))
            } else {
                handler
            };
            router.route(route.path, handler)
        })
        // The console's page and files: not API routes (not in the document).
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/console") }),
        )
        .route("/console", get(console::page))
        .route("/console/", get(console::page))
        .route("/console/assets/{file}", get(console::asset))
        .fallback(|| async { Fail::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Fail::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .with_state(central)
}

/// The rate limit of the public routes, per client address: over it, the answer
/// is a 429 after a pause of up to a second, so a flood mostly waits.
async fn limit_public(
    State(c): State<Shared>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let addr = address(req.extensions());
    match over_budget(&c, addr, "too many requests from this address").await {
        None => next.run(req).await,
        Some(f) => f.into_response(),
    }
}

/// When `addr` has used up its budget of the public routes: a 429 to answer, after
/// a pause of up to a second, so a flood mostly waits.
async fn over_budget(c: &Central, addr: std::net::IpAddr, why: &str) -> Option<Fail> {
    let after = c.public_rate.take(addr).err()?;
    Metrics::inc(&c.metrics.rate_limited);
    tokio::time::sleep(after.min(Duration::from_secs(1))).await;
    let mut f = Fail::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", why);
    f.retry_after = Some(after);
    Some(f)
}

/// The caller's address, from the accept loop (`0.0.0.0` when unknown: in-process
/// tests).
fn address(ext: &axum::http::Extensions) -> std::net::IpAddr {
    ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip())
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// The answer to a failure inside central that the caller cannot act on; the log
/// has the details.
fn internal() -> Response {
    Fail::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "central failed to handle this request; it was logged",
    )
    .into_response()
}

/// An error answer: status, `{code, message}`, maybe `Retry-After`.
#[derive(Debug)]
pub struct Fail {
    status: StatusCode,
    code: &'static str,
    message: String,
    pub(crate) retry_after: Option<Duration>,
}

impl Fail {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Fail {
        Fail {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<CentralError> for Fail {
    fn from(e: CentralError) -> Fail {
        let (status, code) = match &e {
            CentralError::BadCode(_) => (StatusCode::UNAUTHORIZED, "bad_code"),
            CentralError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            CentralError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            CentralError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            CentralError::TillCodeTaken(_) => (StatusCode::CONFLICT, "till_code_taken"),
            CentralError::Storage(_)
            | CentralError::Config(_)
            | CentralError::Io(_)
            | CentralError::SchemaTooNew { .. }
            | CentralError::Corrupt(_) => {
                tracing::error!(error = %e, "central storage failed");
                (StatusCode::SERVICE_UNAVAILABLE, "storage")
            }
        };
        Fail::new(status, code, e.to_string())
    }
}

impl From<crate::office::Refused> for Fail {
    fn from(r: crate::office::Refused) -> Fail {
        match r {
            crate::office::Refused::Storage(e) => e.into(),
            crate::office::Refused::Invalid { at, code, message } => Fail::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!("change {at}: {message}"),
            ),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ApiError {
                code: self.code.to_owned(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(after) = self.retry_after {
            let secs = after
                .as_secs()
                .saturating_add(u64::from(after.subsec_nanos() > 0));
            if let Ok(v) = secs.max(1).to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// A request body read in full, holding its share of the bytes central lets all
/// bodies in flight take together.
pub struct ReadBody {
    bytes: Bytes,
    _budget: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl std::ops::Deref for ReadBody {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Units of the in-flight body budget.
const BUDGET_UNIT: usize = 64 * 1024;

/// Reads the body: one over the limit is refused before it is read, and one that
/// would take the bodies in flight past their budget is answered 503 at once, so
/// strangers sending big bodies cannot make central hold gigabytes before any
/// signature is checked.
pub(crate) async fn read_body(
    c: &Central,
    req: Request,
) -> Result<(axum::http::request::Parts, ReadBody), Fail> {
    read_body_within(c, req, c.limits.max_body_bytes).await
}

/// [`read_body`] with a route's own limit.
async fn read_body_within(
    c: &Central,
    req: Request,
    limit: usize,
) -> Result<(axum::http::request::Parts, ReadBody), Fail> {
    let (parts, body) = req.into_parts();
    let too_large = || {
        Metrics::inc(&c.metrics.too_large);
        Fail::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request bodies are limited to {limit} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // A request with neither a length nor a chunked encoding has no body (RFC 9112
    // §6.3): a pull, which may wait at central for half a minute, reserves nothing.
    // A body of unknown length (chunked) may grow to the limit: it reserves that much.
    let chunked = parts.headers.contains_key(header::TRANSFER_ENCODING);
    let size = match declared {
        Some(n) => usize::try_from(n).unwrap_or(limit),
        None if chunked => limit,
        None => 0,
    };
    let budget = if size == 0 {
        None
    } else {
        let units = u32::try_from(size.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX);
        let permit = Arc::clone(&c.body_budget)
            .try_acquire_many_owned(units)
            .map_err(|_| {
                let mut f = Fail::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "central is reading as many request bodies as it may; try again shortly",
                );
                f.retry_after = Some(Duration::from_secs(1));
                f
            })?;
        Some(permit)
    };
    let read = tokio::time::timeout(
        c.limits.body_timeout,
        axum::body::to_bytes(Body::new(body), limit),
    )
    .await
    .map_err(|_| {
        Fail::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "the request body did not arrive within {} s",
                c.limits.body_timeout.as_secs_f64()
            ),
        )
    })?;
    let bytes = read.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.into_inner().is::<http_body_util::LengthLimitError>();
        if over {
            too_large()
        } else {
            Fail::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                "the request body could not be read (a broken chunked encoding?)",
            )
        }
    })?;
    Ok((
        parts,
        ReadBody {
            bytes,
            _budget: budget,
        },
    ))
}

/// A short label from a device (its app version, its breaker state): printable and
/// at most 64 characters, or 422.
fn short_text(field: &str, value: &str) -> Result<(), Fail> {
    if value.chars().count() <= 64 && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_text",
            format!("{field} must be at most 64 printable characters"),
        ))
    }
}

/// A push body read loosely: each event is parsed on its own, so one that does not
/// parse is quarantined instead of failing the whole batch.
#[derive(serde::Deserialize)]
struct LoosePush<'a> {
    protocol: u32,
    /// Borrowed from the body: an event's text is copied once, into what is stored.
    #[serde(borrow)]
    events: Vec<&'a serde_json::value::RawValue>,
}

/// What can still be read of an event that is not a valid envelope.
#[derive(serde::Deserialize)]
struct LooseEvent {
    seq: Option<u64>,
    id: Option<String>,
    tenant_id: Option<String>,
    device_id: Option<String>,
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| {
        Fail::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("malformed request: {e}"),
        )
    })
}

fn check_protocol(found: u32) -> Result<(), Fail> {
    if found == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            format!("protocol {found} is not supported; this server speaks {PROTOCOL_VERSION}"),
        ))
    }
}

fn header_str<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn unauthorized(c: &Central, code: &'static str, message: &str) -> Fail {
    Metrics::inc(&c.metrics.auth_failures);
    Fail::new(StatusCode::UNAUTHORIZED, code, message)
}

/// A failed authentication, slowed and answered 429 once the caller's address has
/// used up its budget of the public routes: guessing costs the guesser, not central.
pub(crate) async fn throttled(
    c: &Central,
    parts: &axum::http::request::Parts,
    failed: Fail,
) -> Fail {
    over_budget(
        c,
        address(&parts.extensions),
        "too many failed requests from this address",
    )
    .await
    .unwrap_or(failed)
}

/// Checks a device signature, then the device's rate limit, then that the request
/// was not accepted before.
async fn authenticate(
    c: &Shared,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<DeviceRecord, Fail> {
    match check_signature(c, parts, body).await {
        Err(f) if f.status == StatusCode::UNAUTHORIZED => Err(throttled(c, parts, f).await),
        other => other,
    }
}

async fn check_signature(
    c: &Shared,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<DeviceRecord, Fail> {
    let h = &parts.headers;
    let (Some(device), Some(ts), Some(sig)) = (
        header_str(h, HEADER_DEVICE),
        header_str(h, HEADER_TIMESTAMP),
        header_str(h, HEADER_SIGNATURE),
    ) else {
        return Err(unauthorized(c, "unsigned", "the request is not signed"));
    };
    // An unknown device, a malformed id and a wrong signature get the same answer,
    // so a stranger cannot find out which devices exist.
    let mismatch = || unauthorized(c, "bad_signature", "the signature does not match");
    let device = DeviceId::parse(device).map_err(|_| mismatch())?;
    let ts: i64 = ts
        .parse()
        .map_err(|_| unauthorized(c, "bad_timestamp", "the timestamp is not a number"))?;
    let nonce = header_str(h, HEADER_NONCE);
    if nonce.is_some_and(|n| !signing::valid_nonce(n)) {
        return Err(unauthorized(
            c,
            "bad_nonce",
            "the nonce must be 16 to 64 hex digits, new for every request",
        ));
    }
    let now = c.clock.now().unix_millis() / 1000;
    // Checked: the timestamp is whatever the client sent, i64::MIN included.
    let skew = now.checked_sub(ts);
    if skew.is_none_or(|s| s.unsigned_abs() > signing::MAX_SKEW_SECS.unsigned_abs()) {
        let message = match skew {
            Some(s) => {
                format!("the request is {s} s away from central's clock; set the device clock")
            }
            None => "the request's timestamp is far from central's clock; set the device clock"
                .to_owned(),
        };
        return Err(unauthorized(c, "clock_skew", &message));
    }
    let record = c.backend.device(device).await?.ok_or_else(mismatch)?;
    let path = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let signature = signing::verify(
        &record.secret,
        parts.method.as_str(),
        path,
        ts,
        nonce,
        body,
        sig,
    )
    .ok_or_else(mismatch)?;
    if record.revoked {
        return Err(unauthorized(
            c,
            "revoked",
            "head office revoked this device; it can no longer sync",
        ));
    }
    if let Err(after) = c.rate.take(record.device_id) {
        Metrics::inc(&c.metrics.rate_limited);
        let mut f = Fail::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this device",
        );
        f.retry_after = Some(after);
        return Err(f);
    }
    // After the rate limit, so what is remembered is bounded by what devices may
    // send. Kept in the database: a restart or a second central forgets nothing.
    let void_after = ts.saturating_add(signing::MAX_SKEW_SECS);
    if !c.backend.first_use(signature, void_after, now).await? {
        Metrics::inc(&c.metrics.replays);
        tracing::warn!(device = %record.device_id, "a signed request was sent again");
        return Err(unauthorized(
            c,
            "replayed",
            "this signed request was received before; every request must be signed afresh",
        ));
    }
    Ok(record)
}

/// The bearer token, if the request carries one (the scheme in any case).
fn bearer(h: &HeaderMap) -> Option<&str> {
    let v = header_str(h, header::AUTHORIZATION.as_str())?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn is_admin(c: &Central, h: &HeaderMap) -> bool {
    let Some(given) = bearer(h) else {
        return false;
    };
    // Compare digests in constant time: neither the token nor its length leaks.
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(c.admin_token.as_bytes());
    !c.admin_token.is_empty()
        && a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) async fn admin(c: &Central, parts: &axum::http::request::Parts) -> Result<(), Fail> {
    if is_admin(c, &parts.headers) {
        return Ok(());
    }
    let f = unauthorized(c, "bad_admin_token", "admin token missing or wrong");
    Err(throttled(c, parts, f).await)
}

/// The caller of a device-or-admin route: a tenant it is limited to, or none (admin).
async fn reader(
    c: &Shared,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<Option<TenantId>, Fail> {
    if is_admin(c, &parts.headers) {
        return Ok(None);
    }
    if header_str(&parts.headers, header::AUTHORIZATION.as_str()).is_some() {
        // An admin token was meant, and it is wrong.
        admin(c, parts).await?;
    }
    if header_str(&parts.headers, HEADER_DEVICE).is_none() {
        // Neither credential: say that either one will do.
        let f = unauthorized(
            c,
            "unsigned",
            "this needs a device's signed request or the admin token (Authorization: Bearer …)",
        );
        return Err(throttled(c, parts, f).await);
    }
    Ok(Some(authenticate(c, parts, body).await?.tenant_id))
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
const CODE_ALPHABET_LEN: usize = 32;
const _: () = assert!(CODE_ALPHABET.len() == CODE_ALPHABET_LEN);

/// The longest an enrolment code may stay valid: 30 days.
pub const MAX_CODE_VALIDITY_SECS: u64 = 30 * 24 * 3600;

fn new_code(c: &Central) -> String {
    let mut raw = [0u8; 16];
    c.entropy.fill(&mut raw);
    let chars: Vec<char> = raw
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET_LEN]))
        .collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The digest under which a code is stored: case, spaces and dashes do not matter.
pub fn code_digest(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric())
        .map(|ch| ch.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(norm.as_bytes()))
}

fn bad_slug() -> Fail {
    Fail::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_slug",
        "tenant_slug must match [a-z0-9][a-z0-9-]{0,62} and not be reserved",
    )
}

/// A tenant slug from a path: 422 when it cannot be one.
pub(crate) fn slug_in_path(slug: &str) -> Result<TenantSlug, Fail> {
    TenantSlug::parse(slug).map_err(|_| bad_slug())
}

pub(crate) fn unknown_tenant() -> Fail {
    Fail::new(StatusCode::NOT_FOUND, "not_found", "unknown tenant")
}

fn valid_slug(s: &str) -> bool {
    rustok_domain::tenant::TenantSlug::parse(s).is_ok()
}

/// Creates a code for `tenant_slug`; used by the admin route and the command line.
pub async fn issue_code(
    c: &Central,
    tenant_slug: &str,
    valid_for: Duration,
    device: Option<DeviceId>,
    store: &str,
) -> Result<Enrolment, CentralError> {
    if !valid_slug(tenant_slug) {
        return Err(CentralError::Forbidden("not a valid tenant slug"));
    }
    let code = new_code(c);
    let now = c.clock.now().unix_millis();
    let expires_at = i64::try_from(valid_for.as_secs())
        .ok()
        .and_then(|secs| (now / 1000).checked_add(secs))
        .ok_or(CentralError::Invalid(
            "the code would expire past the end of time",
        ))?;
    if !rustok_protocol::valid_store_code(store) {
        return Err(CentralError::Invalid(
            "a store code is 1 to 32 of a-z, 0-9 and '-', starting with a letter or digit",
        ));
    }
    let digest = code_digest(&code);
    let new = crate::store::NewCode {
        tenant_slug,
        code_sha256: &digest,
        expires_at,
        device,
        store,
    };
    c.backend.create_enrolment(&new, now).await?;
    Ok(Enrolment {
        code,
        tenant_slug: tenant_slug.to_owned(),
        expires_at,
        store: store.to_owned(),
    })
}

/// How long a code asked for stays valid: central's default, or 1 s to 30 days.
pub(crate) fn code_validity(c: &Central, asked: Option<u64>) -> Result<Duration, Fail> {
    match asked {
        None => Ok(c.limits.code_valid_for),
        Some(secs) if (1..=MAX_CODE_VALIDITY_SECS).contains(&secs) => Ok(Duration::from_secs(secs)),
        Some(_) => Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_validity",
            format!("valid_for_secs must be 1 to {MAX_CODE_VALIDITY_SECS} (30 days)"),
        )),
    }
}

async fn create_enrolment(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    admin(&c, &parts).await?;
    let ask: CreateEnrolment = parse_json(&body)?;
    if !valid_slug(&ask.tenant_slug) {
        return Err(bad_slug());
    }
    let valid_for = code_validity(&c, ask.valid_for_secs)?;
    let device = ask.device_id;
    let store = ask.store.as_deref().unwrap_or(MAIN_STORE);
    let e = issue_code(&c, &ask.tenant_slug, valid_for, device, store).await?;
    let detail =
        serde_json::json!({ "store": e.store, "expires_at": e.expires_at, "device_id": device });
    console::audit(
        &c,
        console::ADMIN_ACTOR,
        Some(&e.tenant_slug),
        "create_code",
        detail,
    )
    .await;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

async fn revoke(
    State(c): State<Shared>,
    Path(device): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    admin(&c, &parts).await?;
    let unknown = || Fail::new(StatusCode::NOT_FOUND, "not_found", "unknown device");
    let id = DeviceId::parse(&device).map_err(|_| unknown())?;
    let d = c.backend.device(id).await?.ok_or_else(unknown)?;
    if !c.backend.revoke(id).await? {
        return Err(unknown());
    }
    let detail = serde_json::json!({ "device_id": d.device_id, "device_code": d.device_code });
    console::audit(
        &c,
        console::ADMIN_ACTOR,
        Some(&d.tenant_slug),
        "revoke_device",
        detail,
    )
    .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn enrol(State(c): State<Shared>, req: Request) -> Result<Json<EnrolResponse>, Fail> {
    let (_, body) = read_body(&c, req).await?;
    let ask: EnrolRequest = parse_json(&body)?;
    check_protocol(ask.protocol)?;
    let device_code = rustok_domain::device::DeviceCode::parse(&ask.device_code).map_err(|_| {
        Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_device_code",
            "device_code must be the till's order-number prefix: 1 to 12 letters and digits",
        )
    })?;
    short_text("app_version", &ask.app_version)?;
    let mut secret = vec![0u8; signing::SECRET_BYTES];
    c.entropy.fill(&mut secret);
    let r = Redemption {
        code_sha256: code_digest(&ask.code),
        device_id: ask.device_id,
        tenant_id: ask.tenant_id,
        device_code: device_code.as_str().to_owned(),
        secret,
    };
    let now = c.clock.now().unix_millis();
    let d = c
        .backend
        .redeem(&r, now)
        .await
        .map_err(Fail::from)
        .inspect_err(|_| {
            Metrics::inc(&c.metrics.auth_failures);
        })?;
    Metrics::inc(&c.metrics.enrolments);
    tracing::info!(device = %d.device_id, tenant = %d.tenant_slug, store = %d.store, "device enrolled");
    let store = c
        .backend
        .stores(&d.tenant_slug)
        .await?
        .unwrap_or_default()
        .into_iter()
        .find(|s| s.code == d.store);
    Ok(Json(EnrolResponse {
        device_id: d.device_id,
        tenant_id: d.tenant_id,
        tenant_slug: d.tenant_slug,
        secret: hex::encode(&d.secret),
        acked_through: d.acked_through,
        store,
    }))
}

async fn push(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let device = authenticate(&c, &parts, &body).await?;
    Metrics::inc(&c.metrics.push_requests);
    let batch: LoosePush<'_> = serde_json::from_slice(&body).map_err(|e| {
        Fail::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("malformed request: {e}"),
        )
    })?;
    check_protocol(batch.protocol)?;
    if batch.events.len() > c.limits.max_batch_events {
        Metrics::inc(&c.metrics.too_large);
        return Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("a batch holds at most {} events", c.limits.max_batch_events),
        ));
    }
    let mut checked: Vec<Checked> = Vec::with_capacity(batch.events.len());
    for (at, raw) in batch.events.iter().enumerate() {
        // Nothing of another device or tenant is stored, not even the valid part.
        let foreign = |claimed: Option<String>, own: String| claimed.is_some_and(|c| c != own);
        let (seq, elsewhere) = match serde_json::from_str::<Envelope>(raw.get()) {
            Ok(e) => {
                let owner = (
                    e.seq,
                    e.tenant_id != device.tenant_id || e.device_id != device.device_id,
                );
                checked.push(ingest::check(e, raw.get(), &c.upcasters));
                owner
            }
            Err(why) => {
                let loose: Option<LooseEvent> = serde_json::from_str(raw.get()).ok();
                let Some(loose) = loose.filter(|l| l.seq.is_some()) else {
                    return Err(Fail::new(
                        StatusCode::BAD_REQUEST,
                        "malformed",
                        format!("event {at} of the batch has no seq to place it by"),
                    ));
                };
                let seq = loose.seq.unwrap_or_default();
                let id = loose.id.as_deref().and_then(|i| EventId::parse(i).ok());
                checked.push(ingest::malformed(
                    seq,
                    id,
                    raw.get().to_owned(),
                    &why.to_string(),
                ));
                let elsewhere = foreign(loose.tenant_id, device.tenant_id.to_string())
                    || foreign(loose.device_id, device.device_id.to_string());
                (seq, elsewhere)
            }
        };
        if elsewhere {
            Metrics::inc(&c.metrics.forbidden);
            tracing::warn!(device = %device.device_id, seq, "push of another device's or tenant's event refused");
            return Err(Fail::new(
                StatusCode::FORBIDDEN,
                "foreign_event",
                format!("event seq {seq} belongs to another device or tenant"),
            ));
        }
    }
    let sent = checked.len() as u64;
    let now = c.clock.now().unix_millis();
    let id = device.device_id;
    let done = c.backend.ingest(id, checked, now).await?;
    if done.fed > 0 {
        c.feed_moved.send_modify(|n| *n = n.wrapping_add(1));
    }
    let m = &c.metrics;
    m.events_stored.fetch_add(done.stored, Ordering::Relaxed);
    m.events_quarantined
        .fetch_add(done.quarantined, Ordering::Relaxed);
    m.events_resent.fetch_add(
        sent.saturating_sub(done.stored)
            .saturating_sub(done.quarantined),
        Ordering::Relaxed,
    );
    Ok(Json(done.reply).into_response())
}

async fn put_store(
    State(c): State<Shared>,
    Path((slug, code)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    admin(&c, &parts).await?;
    let fields: StoreFields = parse_json(&body)?;
    if !valid_slug(&slug) {
        return Err(bad_slug());
    }
    let now = c.clock.now().unix_millis();
    let store = c.backend.put_store(&slug, &code, &fields, now).await?;
    let detail = serde_json::json!({ "store": store.code, "name": store.name });
    console::audit(&c, console::ADMIN_ACTOR, Some(&slug), "put_store", detail).await;
    Ok(Json(store).into_response())
}

async fn list_stores(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    admin(&c, &parts).await?;
    let slug = slug_in_path(&slug)?;
    let stores = c
        .backend
        .stores(slug.as_str())
        .await?
        .ok_or_else(unknown_tenant)?;
    Ok(Json(stores).into_response())
}

async fn fleet(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    admin(&c, &parts).await?;
    let slug = slug_in_path(&slug)?;
    Ok(Json(fleet_of(&c, &slug).await?).into_response())
}

/// A tenant's devices with their states as of now (404 for an unknown tenant).
pub(crate) async fn fleet_of(
    c: &Central,
    slug: &TenantSlug,
) -> Result<rustok_protocol::Fleet, Fail> {
    let now_ms = c.clock.now().unix_millis();
    let rows = match c.backend.tenant_by_slug(slug.as_str()).await? {
        Some(tenant) => c.backend.fleet(tenant).await?,
        // A tenant that only has codes so far (no till or head office has made
        // its records): known, with no devices yet.
        None if c.backend.stores(slug.as_str()).await?.is_some() => Vec::new(),
        None => return Err(unknown_tenant()),
    };
    let devices = rows
        .into_iter()
        .map(|(store, health)| {
            let (state, reasons) = crate::fleet::assess(&health, now_ms);
            rustok_protocol::FleetDevice {
                store,
                state,
                reasons,
                health,
            }
        })
        .collect();
    Ok(rustok_protocol::Fleet {
        checked_at_ms: now_ms,
        devices,
    })
}

/// How often head office's changes are tried again when other changes to the same
/// tenant took the seqs they were made for.
const OFFICE_ATTEMPTS: usize = 10;

/// Ids for head office's writer, used only if the tenant has none yet (see
/// [`crate::store::Backend::office`]).
fn office_ids(c: &Central, now: rustok_domain::clock::Timestamp) -> crate::store::OfficeIds {
    let mut secret = vec![0u8; signing::SECRET_BYTES];
    c.entropy.fill(&mut secret);
    crate::store::OfficeIds {
        tenant_id: TenantId::generate(now, &*c.entropy),
        device_id: DeviceId::generate(now, &*c.entropy),
        secret,
    }
}

async fn office_changes(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    admin(&c, &parts).await?;
    let ask: OfficeChanges = parse_json(&body)?;
    check_protocol(ask.protocol)?;
    let slug = slug_in_path(&slug)?;
    let written = change_records(&c, &slug, &ask.changes, console::ADMIN_ACTOR).await?;
    Ok(Json(written).into_response())
}

/// What an audit entry keeps of head office's edits: each record's kind, id and
/// label, the values given (a PIN only as set) and what those fields held before.
fn edits_detail(
    edits: &[rustok_domain::office::Edit],
    events: u64,
    before: &crate::office::Records,
    held: &crate::office::Records,
) -> serde_json::Value {
    let records: Vec<serde_json::Value> = edits
        .iter()
        .map(|e| {
            let mut fields = e.fields.clone();
            if let Some(pin) = fields.get_mut("pin") {
                *pin = serde_json::Value::from("(set)");
            }
            // What a person knows the record by: its SKU, name or slug now.
            let label = held.get(&(e.kind, e.id)).and_then(|r| {
                ["sku", "name", "slug", "names"].iter().find_map(|f| {
                    let v = &r.fields.get(*f)?.value;
                    v.as_str()
                        .or_else(|| v.as_object()?.values().find_map(|n| n.as_str()))
                        .map(str::to_owned)
                })
            });
            // What the fields given held before (none for a new record; never a PIN).
            let was: serde_json::Map<String, serde_json::Value> = before
                .get(&(e.kind, e.id))
                .map(|r| {
                    e.fields
                        .keys()
                        .filter(|k| k.as_str() != "pin")
                        .filter_map(|k| Some((k.clone(), r.fields.get(k)?.value.clone())))
                        .filter(|(_, v)| !v.is_null())
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({ "kind": e.kind.as_str(), "id": e.id, "label": label, "fields": fields, "was": was })
        })
        .collect();
    serde_json::json!({ "changes": events, "records": records })
}

/// Head office's edits to the tenant `slug`, made by `actor` (the admin token or
/// a person in the console): checked, written as the office's events, audited.
pub(crate) async fn change_records(
    c: &Central,
    slug: &TenantSlug,
    edits: &[rustok_domain::office::Edit],
    actor: &str,
) -> Result<OfficeWritten, Fail> {
    if edits.len() > rustok_protocol::MAX_OFFICE_EDITS {
        Metrics::inc(&c.metrics.too_large);
        return Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_edits",
            format!(
                "a request holds at most {} edits",
                rustok_protocol::MAX_OFFICE_EDITS
            ),
        ));
    }
    let now = c.clock.now();
    let ids = office_ids(c, now);
    let _one_at_a_time = c.office.lock().await;
    for attempt in 0..OFFICE_ATTEMPTS {
        if attempt > 0 {
            // Another process took the seqs: let it finish.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let office = c
            .backend
            .office(slug.as_str(), &ids, now.unix_millis())
            .await?;
        let crate::office::Prepared {
            checked,
            before,
            after,
        } = crate::office::prepare(c, slug, &office, edits).await?;
        let written = checked.len() as u64;
        if checked.is_empty() {
            return Ok(OfficeWritten {
                events: 0,
                tenant_id: office.tenant_id,
            });
        }
        let done = c
            .backend
            .ingest(office.device_id, checked, now.unix_millis())
            .await?;
        if done.reply.expected.is_none() && done.reply.rejected.is_empty() {
            if done.fed > 0 {
                c.feed_moved.send_modify(|n| *n = n.wrapping_add(1));
            }
            c.metrics
                .events_stored
                .fetch_add(done.stored, Ordering::Relaxed);
            tracing::info!(tenant = %slug.as_str(), events = written, actor, "head office changed records");
            let detail = edits_detail(edits, written, &before, &after);
            console::audit(c, actor, Some(slug.as_str()), "office_changes", detail).await;
            return Ok(OfficeWritten {
                events: written,
                tenant_id: office.tenant_id,
            });
        }
        if let Some(r) = done
            .reply
            .rejected
            .iter()
            .find(|r| r.code != rustok_protocol::RejectCode::SeqConflict)
        {
            // Checked before writing; a refusal here is central's own fault.
            tracing::error!(reason = %r.message, "central refused head office's own event");
            return Err(Fail::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                r.message.clone(),
            ));
        }
        // Another process wrote head office's next seqs first: make them again.
    }
    Err(Fail::new(
        StatusCode::CONFLICT,
        "busy",
        "other changes to this tenant kept arriving at once; try again",
    ))
}

/// Every record of `kind` central holds for the tenant `slug` (none when no
/// device or change has bound the tenant yet), without operators' PIN hashes.
pub(crate) async fn records_of(
    c: &Central,
    slug: &TenantSlug,
    kind: rustok_domain::replica::Kind,
) -> Result<Option<Vec<RecordOut>>, Fail> {
    let Some(tenant) = c.backend.tenant_by_slug(slug.as_str()).await? else {
        return Ok(None);
    };
    let records = c
        .backend
        .records(tenant, kind)
        .await?
        .into_iter()
        .filter_map(|(id, r)| {
            let mut fields = r.values();
            // Tills need an operator's PIN hash; a person reading records does not.
            fields.remove("pin_hash");
            Some(RecordOut {
                id,
                last: r.last()?,
                fields,
            })
        })
        .collect();
    Ok(Some(records))
}

async fn list_records(
    State(c): State<Shared>,
    Path((slug, kind)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    admin(&c, &parts).await?;
    let unknown = || Fail::new(StatusCode::NOT_FOUND, "not_found", "unknown tenant or kind");
    let slug = slug_in_path(&slug)?;
    let kind = rustok_domain::replica::Kind::parse(&kind).ok_or_else(unknown)?;
    let records = records_of(&c, &slug, kind).await?.ok_or_else(unknown)?;
    Ok(Json(records).into_response())
}

#[derive(serde::Deserialize)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    #[serde(default)]
    wait: u64,
}

/// How often a waiting pull looks at the database again: entries another central
/// process added wake no one here.
const FEED_RECHECK: Duration = Duration::from_secs(1);

async fn feed(
    State(c): State<Shared>,
    query: Result<Query<FeedQuery>, QueryRejection>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let device = authenticate(&c, &parts, &body).await?;
    let Query(q) =
        query.map_err(|e| Fail::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let bad = |m: &str| Fail::new(StatusCode::BAD_REQUEST, "bad_query", m.to_owned());
    if i64::try_from(q.after).is_err() {
        return Err(bad("after is beyond any position"));
    }
    let limit = q.limit.unwrap_or(rustok_protocol::MAX_FEED_ENTRIES);
    if !(1..=rustok_protocol::MAX_FEED_ENTRIES).contains(&limit) {
        return Err(bad("limit must be 1 to 1000"));
    }
    if q.wait > rustok_protocol::MAX_FEED_WAIT_SECS {
        return Err(bad("wait must be 0 to 30 seconds"));
    }
    let ask = crate::store::FeedAsk {
        device: &device,
        after: q.after,
        limit,
        max_bytes: rustok_protocol::MAX_FEED_BYTES,
    };
    let start = tokio::time::Instant::now();
    let wait = Duration::from_secs(q.wait).min(c.limits.max_pull_wait);
    let rows = loop {
        // Watch before reading, so an entry added in between still wakes this pull.
        let mut moved = c.feed_moved.subscribe();
        let rows = c.backend.feed(ask).await?;
        let waited = start.elapsed();
        if !rows.entries.is_empty() || waited >= wait {
            break rows;
        }
        let pause = wait.saturating_sub(waited).min(FEED_RECHECK);
        let _ = tokio::time::timeout(pause, moved.changed()).await;
    };
    let page = FeedPageOut {
        entries: rows
            .entries
            .iter()
            .map(|(position, event)| FeedEntryOut {
                position: *position,
                event: Raw(event),
            })
            .collect(),
        next: rows.next,
        head: rows.head,
        central_time_ms: c.clock.now().unix_millis(),
    };
    Ok(Json(page).into_response())
}

/// A [`FeedPage`] as written: each event's stored text goes out as it is.
#[derive(serde::Serialize)]
struct FeedPageOut<'a> {
    entries: Vec<FeedEntryOut<'a>>,
    next: u64,
    head: u64,
    central_time_ms: i64,
}

#[derive(serde::Serialize)]
struct FeedEntryOut<'a> {
    position: u64,
    event: Raw<'a>,
}

/// Stored JSON text, written without parsing it again.
struct Raw<'a>(&'a str);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

const _: fn(FeedPage) = |_| {};

/// A digest from a path, or 400.
fn digest_in_path(raw: &str) -> Result<ImageDigest, Fail> {
    // Exactly as written: the path names the bytes, so no trimming or case folding.
    ImageDigest::parse(raw)
        .ok()
        .filter(|d| d.as_str() == raw)
        .ok_or_else(|| {
            Fail::new(
                StatusCode::BAD_REQUEST,
                "bad_digest",
                "a picture is named by the SHA-256 of its bytes: 64 lowercase hex digits",
            )
        })
}

fn no_such_picture() -> Fail {
    Fail::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "central holds no such picture",
    )
}

/// How to make a picture central keeps, for the errors that meet one it does not.
const PICTURE_HINT: &str = "send a JPEG of at most 640 pixels a side and 1 MiB as the body's \
     bytes, e.g. `convert photo.png -resize 640x640 -quality 85 photo.jpg` then \
     `curl --data-binary @photo.jpg …`";

/// Reads a picture's body (at most a stored picture's size: more is 413, saying
/// how to make one that fits).
pub(crate) async fn read_picture(
    c: &Central,
    req: Request,
) -> Result<(axum::http::request::Parts, ReadBody), Fail> {
    let limit = c.limits.max_body_bytes.min(MAX_STORED_IMAGE_BYTES);
    read_body_within(c, req, limit).await.map_err(|mut f| {
        if f.status == StatusCode::PAYLOAD_TOO_LARGE {
            f.message = format!("a picture is at most {limit} bytes: {PICTURE_HINT}");
        }
        f
    })
}

/// Checks that `bytes` are a stored picture as far as central can tell without
/// decoding it (it never decodes pictures: the till that fetches one does): a
/// whole JPEG (start and end markers) whose frame header says at most 640 pixels a
/// side.
fn check_picture(bytes: &[u8]) -> Result<(), Fail> {
    let edge = u16::try_from(STORED_IMAGE_EDGE).unwrap_or(u16::MAX);
    let refused = |what: String| {
        Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_image",
            format!("{what}: {PICTURE_HINT}"),
        )
    };
    match jpeg_size(bytes) {
        Some((w, h)) if (1..=edge).contains(&w) && (1..=edge).contains(&h) => Ok(()),
        Some((0, _) | (_, 0)) => Err(refused("the picture has no pixels".to_owned())),
        Some((w, h)) => Err(refused(format!(
            "the picture is {w}×{h} pixels, larger than {edge} a side"
        ))),
        None => Err(refused(
            "the bytes are not a whole JPEG picture (cut short, something appended, or another format)"
                .to_owned(),
        )),
    }
}

fn jpeg(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // Named by their digest: the bytes behind the URL never change.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A device sends a picture it added: kept for its tenant once the bytes are
/// the digest named and a stored picture.
async fn put_image(
    State(c): State<Shared>,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_picture(&c, req).await?;
    let device = authenticate(&c, &parts, &body).await?;
    let digest = digest_in_path(&raw)?;
    if ImageDigest::of(&body) != digest {
        return Err(Fail::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "digest_mismatch",
            "the bytes sent are not the picture the digest names",
        ));
    }
    check_picture(&body)?;
    let now = c.clock.now().unix_millis();
    if c.backend
        .put_image(device.tenant_id, &digest, &body, now)
        .await?
    {
        tracing::info!(device = %device.device_id, image = %digest, bytes = body.len(), "a till sent a picture");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A device fetches a picture of its tenant's.
async fn get_image(
    State(c): State<Shared>,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let device = authenticate(&c, &parts, &body).await?;
    let digest = digest_in_path(&raw)?;
    // Another tenant's picture and one that does not exist get the same answer.
    let bytes = c
        .backend
        .image(device.tenant_id, &digest)
        .await?
        .ok_or_else(no_such_picture)?;
    Ok(jpeg(bytes))
}

/// Head office uploads a picture, already in the stored form (a JPEG at most 640
/// pixels a side and 1 MiB: the console scales it in the browser), kept for the
/// tenant (made if new, as with its changes) under its digest.
async fn upload_image(
    State(c): State<Shared>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_picture(&c, req).await?;
    admin(&c, &parts).await?;
    let slug = slug_in_path(&slug)?;
    store_picture(&c, &slug, &body, console::ADMIN_ACTOR).await
}

/// Keeps a picture head office uploaded for the tenant `slug` (known already: a
/// misspelt slug is not a new tenant here), audited as `actor`'s.
pub(crate) async fn store_picture(
    c: &Central,
    slug: &TenantSlug,
    jpeg: &[u8],
    actor: &str,
) -> Result<Response, Fail> {
    if c.backend.stores(slug.as_str()).await?.is_none() {
        return Err(Fail::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "unknown tenant: check the slug (a tenant is made by its first code, store or change)",
        ));
    }
    check_picture(jpeg)?;
    let digest = ImageDigest::of(jpeg);
    let now = c.clock.now();
    let ids = office_ids(c, now);
    let office = c
        .backend
        .office(slug.as_str(), &ids, now.unix_millis())
        .await?;
    let added = c
        .backend
        .put_image(office.tenant_id, &digest, jpeg, now.unix_millis())
        .await?;
    tracing::info!(tenant = %slug.as_str(), image = %digest, bytes = jpeg.len(), added, actor, "head office uploaded a picture");
    if added {
        let detail = serde_json::json!({ "digest": digest.to_string() });
        console::audit(c, actor, Some(slug.as_str()), "upload_image", detail).await;
    }
    let stored = ImageStored {
        digest: digest.to_string(),
        bytes: jpeg.len() as u64,
    };
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(stored)).into_response())
}

/// A picture central holds for a tenant, for head office.
async fn admin_image(
    State(c): State<Shared>,
    Path((slug, raw)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, _) = req.into_parts();
    admin(&c, &parts).await?;
    let slug = slug_in_path(&slug)?;
    picture_of(&c, &slug, &raw).await
}

/// The picture `raw` (a digest) of the tenant `slug`, or 404.
pub(crate) async fn picture_of(
    c: &Central,
    slug: &TenantSlug,
    raw: &str,
) -> Result<Response, Fail> {
    let unknown = || {
        Fail::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "unknown tenant, or no such picture of it",
        )
    };
    let digest = digest_in_path(raw)?;
    let tenant = c
        .backend
        .tenant_by_slug(slug.as_str())
        .await?
        .ok_or_else(unknown)?;
    let bytes = c
        .backend
        .image(tenant, &digest)
        .await?
        .ok_or_else(unknown)?;
    Ok(jpeg(bytes))
}

async fn report_health(State(c): State<Shared>, req: Request) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let device = authenticate(&c, &parts, &body).await?;
    let report: HealthReport = parse_json(&body)?;
    check_protocol(report.protocol)?;
    short_text("app_version", &report.app_version)?;
    short_text("breaker", &report.breaker)?;
    let now = c.clock.now().unix_millis();
    // A device clock more than a century off is not a clock.
    const CENTURY_MS: i64 = 100 * 366 * 24 * 3600 * 1000;
    let skew = report
        .device_time_ms
        .checked_sub(now)
        .filter(|s| s.unsigned_abs() <= CENTURY_MS.unsigned_abs())
        .ok_or_else(|| {
            Fail::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_report",
                "device_time_ms is not a time central can compare with its own",
            )
        })?;
    c.backend
        .record_health(device.device_id, &report, skew, now)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn device_health(
    State(c): State<Shared>,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let limited_to = reader(&c, &parts, &body).await?;
    let not_found = || Fail::new(StatusCode::NOT_FOUND, "not_found", "no such device");
    let id = DeviceId::parse(&raw).map_err(|_| not_found())?;
    let health = c.backend.health(id).await?.ok_or_else(not_found)?;
    // Another tenant's device does not exist for this caller.
    if limited_to.is_some_and(|t| t != health.tenant_id) {
        return Err(not_found());
    }
    Ok(Json(health).into_response())
}

#[derive(serde::Deserialize)]
struct SalesQuery {
    day: String,
    tenant: Option<String>,
}

async fn daily_sales(
    State(c): State<Shared>,
    query: Result<Query<SalesQuery>, QueryRejection>,
    req: Request,
) -> Result<Response, Fail> {
    let (parts, body) = read_body(&c, req).await?;
    let limited_to = reader(&c, &parts, &body).await?;
    let Query(q) =
        query.map_err(|e| Fail::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let four_digit_year =
        q.day.len() == 10 && q.day.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if !four_digit_year
        || time::Date::parse(
            &q.day,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
    {
        return Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "bad_day",
            "day must be YYYY-MM-DD",
        ));
    }
    let Some(slug) = q.tenant else {
        return Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "tenant_required",
            "name the tenant with &tenant=slug",
        ));
    };
    // Another tenant's slug and an unknown one get the same answer, so a device
    // cannot find out which tenants exist.
    let unknown = || Fail::new(StatusCode::NOT_FOUND, "not_found", "unknown tenant");
    let tenant = c.backend.tenant_by_slug(&slug).await?.ok_or_else(unknown)?;
    if limited_to.is_some_and(|own| own != tenant) {
        Metrics::inc(&c.metrics.forbidden);
        return Err(unknown());
    }
    let day = q.day;
    let report = c.backend.daily_sales(tenant, &day).await?;
    Ok(Json(report).into_response())
}

async fn healthz(State(c): State<Shared>) -> Response {
    match c.backend.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => Fail::from(e).into_response(),
    }
}

/// O(1): counters in memory and the backend's kept counts; never waits for storage.
async fn metrics(State(c): State<Shared>) -> Result<Response, Fail> {
    let counts = c.backend.counts().await?;
    let m = &c.metrics;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let rows: [(&str, &str, &str, u64); 15] = [
        (
            "push_requests_total",
            "counter",
            "Push requests handled.",
            load(&m.push_requests),
        ),
        (
            "events_stored_total",
            "counter",
            "Events newly stored.",
            load(&m.events_stored),
        ),
        (
            "events_resent_total",
            "counter",
            "Events received again and ignored.",
            load(&m.events_resent),
        ),
        (
            "events_quarantined_total",
            "counter",
            "Events quarantined.",
            load(&m.events_quarantined),
        ),
        (
            "auth_failures_total",
            "counter",
            "Requests refused for authentication.",
            load(&m.auth_failures),
        ),
        (
            "forbidden_total",
            "counter",
            "Requests refused for tenant or identity.",
            load(&m.forbidden),
        ),
        (
            "rate_limited_total",
            "counter",
            "Requests answered 429.",
            load(&m.rate_limited),
        ),
        (
            "too_large_total",
            "counter",
            "Requests answered 413 or 422.",
            load(&m.too_large),
        ),
        (
            "enrolments_total",
            "counter",
            "Devices enrolled.",
            load(&m.enrolments),
        ),
        (
            "connections_refused_total",
            "counter",
            "Connections refused at the connection limit.",
            load(&m.connections_refused),
        ),
        (
            "replays_total",
            "counter",
            "Signed requests refused as replays.",
            load(&m.replays),
        ),
        (
            "panics_total",
            "counter",
            "Request handlers that panicked (answered 500).",
            load(&m.panics),
        ),
        ("devices", "gauge", "Enrolled devices.", counts.devices),
        ("events", "gauge", "Events held.", counts.events),
        (
            "quarantined",
            "gauge",
            "Events in quarantine.",
            counts.quarantined,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, v) in rows {
        let _ = writeln!(
            out,
            "# HELP rustok_central_{name} {help}\n# TYPE rustok_central_{name} {kind}\nrustok_central_{name} {v}"
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

async fn openapi() -> Json<serde_json::Value> {
    let routes: Vec<Route> = routes().into_iter().map(|(r, _)| r).collect();
    Json(crate::openapi::document(&routes))
}
