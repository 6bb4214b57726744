//! The OpenAPI 3.1 document, generated from the route table in [`crate::http`], so a
//! route cannot exist without being documented: its parameters, request body,
//! every status it may answer and the schema of every answer. The schemas are
//! written here by hand for the protocol's serde types; a test serialises a sample
//! of each type and checks it against its schema, and a contract test runs
//! schemathesis against the real server from this document.

use crate::http::{Auth, Reply, Route};
use serde_json::{json, Map, Value};

/// Statuses a route of a kind may answer besides its own.
fn common(r: &Route) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    if r.body.is_some() || r.bytes_body.is_some() {
        out.extend([
            (400, "malformed request body or unsupported protocol"),
            (408, "the body did not arrive within the body timeout"),
            (413, "body too large"),
        ]);
    }
    match r.auth {
        Auth::Device | Auth::DeviceOrAdmin => out.extend([
            (
                401,
                "missing or bad signature, clock skew over 300 s, a replayed request, unknown or revoked device",
            ),
            (429, "rate limited; see Retry-After"),
        ]),
        Auth::Admin => out.extend([
            (401, "admin token missing or wrong"),
            (
                429,
                "too many failed requests from this address; see Retry-After",
            ),
        ]),
        Auth::Public => out.push((429, "too many requests from this address; see Retry-After")),
        Auth::Session => {
            out.extend([
                (401, "not signed in, or the session has ended"),
                (
                    429,
                    "too many failed requests from this address; see Retry-After",
                ),
            ]);
            if r.method != axum::http::Method::GET {
                out.push((403, "the X-CSRF-Token header is missing or not the session's"));
            }
        }
    }
    out.push((500, "central failed (logged); try again"));
    if r.path != rustok_protocol::paths::OPENAPI {
        out.push((
            503,
            "storage unavailable, or too many bodies being read; see Retry-After",
        ));
    }
    out
}

fn json_content(schema: &str) -> Value {
    json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } })
}

/// The document.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let mut responses = Map::new();
        let (status, what, reply) = r.ok;
        let mut ok = json!({ "description": what });
        match reply {
            Reply::Json(schema) => ok["content"] = json_content(schema),
            Reply::Text => {
                ok["content"] = json!({ "text/plain": { "schema": { "type": "string" } } })
            }
            Reply::Jpeg => {
                ok["content"] =
                    json!({ "image/jpeg": { "schema": { "type": "string", "format": "binary" } } })
            }
            Reply::Empty => {}
        }
        if let Some((also, what)) = r.also_ok {
            let mut same = ok.clone();
            same["description"] = json!(what);
            responses.insert(also.to_string(), same);
        }
        responses.insert(status.to_string(), ok);
        let mut errors: Vec<(u16, &str)> = r.errors.to_vec();
        for (code, what) in common(r) {
            if !errors.iter().any(|(c, _)| *c == code) {
                errors.push((code, what));
            }
        }
        errors.sort_by_key(|(c, _)| *c);
        for (code, what) in errors {
            let mut e = json!({ "description": what, "content": json_content("ApiError") });
            if code == 429 || code == 503 {
                e["headers"] = json!({ "Retry-After": {
                    "description": "seconds to wait", "schema": { "type": "integer", "minimum": 1 } } });
            }
            responses.insert(code.to_string(), e);
        }
        let security = match r.auth {
            Auth::Public => json!([]),
            Auth::Device => json!([{ "deviceSignature": [] }]),
            Auth::Admin => json!([{ "adminToken": [] }]),
            Auth::DeviceOrAdmin => json!([{ "deviceSignature": [] }, { "adminToken": [] }]),
            // A change needs both: the cookie and the session's CSRF token.
            Auth::Session if r.method == axum::http::Method::GET => {
                json!([{ "consoleSession": [] }])
            }
            Auth::Session => json!([{ "consoleSession": [], "csrfToken": [] }]),
        };
        let mut op = json!({
            "summary": r.summary,
            "operationId": operation_id(r),
            "security": security,
            "responses": responses,
        });
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = match name {
                    "slug" => json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$" }),
                    "code" => json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,31}$" }),
                    "kind" => json!({ "type": "string", "enum": kinds() }),
                    "digest" => json!({ "type": "string", "pattern": "^[0-9a-f]{64}$",
                                        "description": "the SHA-256 of the picture's bytes, hex" }),
                    _ => json!({ "type": "string", "format": "uuid" }),
                };
                json!({ "name": name, "in": "path", "required": true, "schema": schema })
            })
            .collect();
        params.extend(r.query.iter().map(|q| {
            let mut schema = match q.max {
                Some(max) => {
                    json!({ "type": "integer", "minimum": q.min.unwrap_or(0), "maximum": max })
                }
                None => json!({ "type": "string" }),
            };
            if let Some(f) = q.format {
                schema["format"] = json!(f);
            }
            json!({ "name": q.name, "in": "query", "required": q.required,
                    "description": q.description, "schema": schema })
        }));
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(body) = r.body {
            op["requestBody"] = json!({ "required": true, "content": json_content(body) });
        }
        if let Some((media, what)) = r.bytes_body {
            op["requestBody"] = json!({ "required": true, "description": what, "content": {
                media: { "schema": { "type": "string", "format": "binary" } } } });
        }
        let entry = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[r.method.as_str().to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "RusToK central",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Devices push their event outbox here exactly once. Signed requests carry x-rustok-device, x-rustok-timestamp (Unix seconds, at most 300 s off), x-rustok-nonce (16 to 64 hex digits, new for every request) and x-rustok-signature: hex HMAC-SHA256 with the device secret over METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body)). A signature is accepted once.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "deviceSignature": { "type": "apiKey", "in": "header", "name": "x-rustok-signature" },
                "adminToken": { "type": "http", "scheme": "bearer" },
                "consoleSession": { "type": "apiKey", "in": "cookie", "name": crate::people::COOKIE,
                    "description": "the console's session, set by signing in (POST /console/api/session)" },
                "csrfToken": { "type": "apiKey", "in": "header", "name": crate::people::CSRF_HEADER,
                    "description": "the session's CSRF token (from signing in or GET /console/api/session), on every change" },
            },
            "schemas": schemas(),
        }
    })
}

fn operation_id(r: &Route) -> String {
    let words: Vec<&str> = r
        .path
        .split(['/', '-', '{', '}', '.'])
        .filter(|w| !w.is_empty() && *w != "v1")
        .collect();
    format!(
        "{}_{}",
        r.method.as_str().to_ascii_lowercase(),
        words.join("_")
    )
}

/// `{ "type": "object", … }` with every property required but those in `optional`.
fn object(properties: Value, optional: &[&str]) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !optional.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn kinds() -> Vec<&'static str> {
    rustok_domain::replica::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

fn schemas() -> Value {
    let uuid = json!({ "type": "string", "format": "uuid" });
    let count = json!({ "type": "integer", "minimum": 0 });
    let protocol = json!({ "type": "integer", "const": rustok_protocol::PROTOCOL_VERSION });
    let millis = json!({ "type": "integer" });
    let store_code = "^[a-z0-9][a-z0-9-]{0,31}$";
    let store = object(
        json!({
            "code": { "type": "string", "pattern": store_code },
            "name": { "type": "string" },
            "address": { "type": "string" },
        }),
        &[],
    );
    let health = object(
        json!({
            "protocol": protocol,
            "app_version": { "type": "string", "maxLength": 64 },
            "schema_version": { "type": "integer", "minimum": 0, "maximum": u32::MAX },
            "queue_depth": count,
            "oldest_pending_secs": { "type": ["integer", "null"], "minimum": 0 },
            "breaker": { "type": "string", "maxLength": 64 },
            "device_time_ms": millis,
            "kind": { "type": ["string", "null"], "enum": ["till", "kiosk", null],
                      "description": "what the device serves as; absent when it does not say" },
        }),
        &["oldest_pending_secs", "kind"],
    );
    let mut all = json!({
        "ApiError": object(json!({
            "code": { "type": "string", "description": "machine-readable; branch on this" },
            "message": { "type": "string" },
        }), &[]),
        "CreateEnrolment": object(json!({
            "tenant_slug": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$" },
            "valid_for_secs": { "type": ["integer", "null"], "minimum": 1,
                                "maximum": crate::http::MAX_CODE_VALIDITY_SECS },
            "device_id": { "type": ["string", "null"], "format": "uuid",
                           "description": "set to re-enrol this enrolled device; without it the code enrols new devices only" },
            "store": { "type": ["string", "null"], "pattern": store_code,
                       "description": "the store the device joins (it must exist); main when absent" },
        }), &["valid_for_secs", "device_id", "store"]),
        "Enrolment": object(json!({
            "code": { "type": "string" },
            "tenant_slug": { "type": "string" },
            "expires_at": { "type": "integer", "description": "Unix seconds" },
            "store": { "type": "string" },
        }), &[]),
        "Store": store.clone(),
        "Stores": { "type": "array", "items": { "$ref": "#/components/schemas/Store" } },
        "StoreFields": object(json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 100 },
            "address": { "type": "string", "maxLength": 500 },
        }), &["address"]),
        "Edit": object(json!({
            "kind": { "type": "string", "enum": kinds() },
            "id": uuid,
            "fields": { "type": "object", "description": "the fields set, by name as in the record's events (an operator takes `pin`, the PIN itself); null clears an optional one" },
        }), &[]),
        "OfficeChanges": object(json!({
            "protocol": protocol,
            "changes": { "type": "array", "items": { "$ref": "#/components/schemas/Edit" },
                         "maxItems": rustok_protocol::MAX_OFFICE_EDITS },
        }), &[]),
        "OfficeWritten": object(json!({
            "events": count,
            "tenant_id": uuid,
        }), &[]),
        "ImageStored": object(json!({
            "digest": { "type": "string", "pattern": "^[0-9a-f]{64}$",
                        "description": "what a product's image field names" },
            "bytes": count,
        }), &[]),
        "Stamp": object(json!({
            "hlc": { "type": "string", "description": "MILLIS-COUNTER" },
            "origin": { "type": "string", "enum": ["device", "central"] },
            "device": uuid,
        }), &[]),
        "Records": { "type": "array", "items": object(json!({
            "id": uuid,
            "fields": { "type": "object" },
            "last": { "$ref": "#/components/schemas/Stamp" },
        }), &[]) },
        "FeedEntry": object(json!({
            "position": count,
            "event": { "$ref": "#/components/schemas/Envelope" },
        }), &[]),
        "FeedPage": object(json!({
            "entries": { "type": "array", "items": { "$ref": "#/components/schemas/FeedEntry" },
                         "maxItems": rustok_protocol::MAX_FEED_ENTRIES },
            "next": count,
            "head": count,
            "central_time_ms": millis,
        }), &[]),
        "EnrolRequest": object(json!({
            "protocol": protocol,
            "code": { "type": "string" },
            "device_id": uuid,
            "tenant_id": { "type": ["string", "null"], "format": "uuid",
                           "description": "the till's own shop; absent to join the code's tenant" },
            "device_code": { "type": "string", "pattern": "^[A-Za-z0-9]{1,12}$",
                             "description": "the till's order-number prefix" },
            "app_version": { "type": "string", "maxLength": 64 },
        }), &["tenant_id"]),
        "EnrolResponse": object(json!({
            "device_id": uuid,
            "tenant_id": uuid,
            "tenant_slug": { "type": "string" },
            "secret": { "type": "string", "description": "HMAC key, hex" },
            "acked_through": count,
            "store": store,
        }), &["store"]),
        "Envelope": object(json!({
            "id": uuid,
            "type": { "type": "string" },
            "schema_version": { "type": "integer", "minimum": 0, "maximum": u32::MAX },
            "tenant_id": uuid,
            "device_id": uuid,
            "seq": count,
            "hlc": { "type": "string", "description": "MILLIS-COUNTER" },
            "occurred_at": { "type": "string", "format": "date-time" },
            "actor_id": { "type": ["string", "null"], "format": "uuid" },
            "correlation_id": uuid,
            "causation_id": { "type": ["string", "null"], "format": "uuid" },
            "origin": { "type": "string", "enum": ["device", "central"] },
            "data": { "type": "object", "description": "the payload of this type and schema version" },
        }), &["actor_id", "causation_id"]),
        "PushRequest": object(json!({
            "protocol": protocol,
            "events": { "type": "array", "items": { "$ref": "#/components/schemas/Envelope" },
                        "maxItems": rustok_protocol::MAX_BATCH_EVENTS },
        }), &[]),
        "Rejection": object(json!({
            "seq": count,
            "id": uuid,
            "code": { "type": "string",
                      "enum": ["unknown_type", "unknown_version", "malformed", "invalid", "seq_conflict"] },
            "message": { "type": "string" },
        }), &[]),
        "PushResponse": object(json!({
            "acked_through": count,
            "expected": count,
            "rejected": { "type": "array", "items": { "$ref": "#/components/schemas/Rejection" } },
        }), &["expected", "rejected"]),
        "HealthReport": health,
        "DeviceHealth": object(json!({
            "device_id": uuid,
            "tenant_id": uuid,
            "device_code": { "type": "string" },
            "revoked": { "type": "boolean" },
            "acked_through": count,
            "quarantined": count,
            "reported_at_ms": millis,
            "report": { "$ref": "#/components/schemas/HealthReport" },
            "clock_skew_ms": millis,
        }), &["reported_at_ms", "report", "clock_skew_ms"]),
        "FleetDevice": object(json!({
            "store": { "type": "string", "pattern": store_code },
            "state": { "type": "string", "enum": ["healthy", "warning", "stale", "revoked"] },
            "reasons": { "type": "array", "items": { "type": "string", "enum": [
                "revoked", "never_reported", "silent", "dead_letters", "queue_old", "breaker", "clock",
            ] }, "description": "why it is not healthy; empty when healthy" },
            "health": { "$ref": "#/components/schemas/DeviceHealth" },
        }), &[]),
        "Fleet": object(json!({
            "checked_at_ms": millis,
            "devices": { "type": "array", "items": { "$ref": "#/components/schemas/FleetDevice" } },
        }), &[]),
        "StoreSales": object(json!({
            "device_id": uuid,
            "device_code": { "type": "string" },
            "currency": { "type": "string" },
            "orders": count,
            "paid": { "type": "integer", "description": "minor units" },
            "refunds": count,
            "refunded": { "type": "integer", "description": "minor units" },
            "out_of_range": { "type": "boolean", "description": "a sum did not fit; it is clamped" },
        }), &["out_of_range"]),
        "DailySales": object(json!({
            "tenant_id": uuid,
            "day": { "type": "string" },
            "stores": { "type": "array", "items": { "$ref": "#/components/schemas/StoreSales" } },
        }), &[]),
        "OpenApi": { "type": "object" },
    });
    if let (Some(all), Value::Object(more)) = (
        all.as_object_mut(),
        console_schemas(&uuid, &millis, store_code),
    ) {
        all.extend(more);
    }
    all
}

/// The sales report's schema.
fn sales_report_schema(millis: &Value) -> Value {
    let money = json!({ "type": "integer", "description": "minor units" });
    let count = json!({ "type": "integer", "minimum": 0 });
    let text = json!({ "type": "string" });
    let list = |item: Value| json!({ "type": "array", "items": item });
    object(
        json!({
            "from_ms": millis,
            "to_ms": millis,
            "offset_minutes": { "type": "integer", "minimum": -840, "maximum": 840 },
            "totals": list(object(json!({ "currency": text, "orders": count, "paid": money,
                "refunds": count, "refunded": money, "net": money, "discounts": money }), &[])),
            "days": list(object(json!({ "store": text, "day": { "type": "string", "format": "date" },
                "currency": text, "orders": count, "paid": money, "refunds": count, "refunded": money,
                "discounts": money }), &[])),
            "tenders": list(object(json!({ "method": { "type": "string", "enum": ["cash", "card", "other"] },
                "currency": text, "paid": money, "refunded": money }), &[])),
            "top_products": list(object(json!({ "product_id": text, "title": text, "currency": text,
                "quantity": { "type": "integer" }, "amount": money }), &[])),
            "hours": list(object(json!({ "hour": { "type": "integer", "minimum": 0, "maximum": 23 },
                "currency": text, "orders": count, "paid": money }), &[])),
            "out_of_range": { "type": "boolean", "description": "a sum did not fit; it is clamped" },
            "complete": { "type": "boolean", "description": "false while central is still counting a backlog of sale events" },
        }),
        &[],
    )
}

/// The console API's schemas.
fn console_schemas(uuid: &Value, millis: &Value, store_code: &str) -> Value {
    json!({
        "Person": object(json!({
            "person_id": uuid,
            "tenant_slug": { "type": ["string", "null"],
                             "description": "their tenant; null for the chain operator, who sees every tenant" },
            "login": { "type": "string" },
            "name": { "type": "string" },
        }), &[]),
        "NewPersonRequest": object(json!({
            "login": { "type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$" },
            "name": { "type": "string", "minLength": 1, "maxLength": 100 },
            "password": { "type": "string", "minLength": crate::people::MIN_PASSWORD_CHARS,
                          "maxLength": crate::people::MAX_PASSWORD_CHARS },
            "tenant_slug": { "type": ["string", "null"], "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
                             "description": "absent for the chain operator" },
        }), &["tenant_slug"]),
        "SignInRequest": object(json!({
            "login": { "type": "string" },
            "password": { "type": "string" },
        }), &[]),
        "ConsoleSession": object(json!({
            "person": { "$ref": "#/components/schemas/Person" },
            "csrf_token": { "type": "string", "description": "send it back in X-CSRF-Token with every change" },
            "expires_at_ms": millis,
        }), &[]),
        "Tenants": { "type": "array", "items": { "type": "string" } },
        "HealthSamples": { "type": "array", "items": object(json!({
            "reported_at_ms": millis,
            "clock_skew_ms": millis,
            "report": { "$ref": "#/components/schemas/HealthReport" },
        }), &[]) },
        "CodeRequest": object(json!({
            "store": { "type": ["string", "null"], "pattern": store_code },
            "valid_for_secs": { "type": ["integer", "null"], "minimum": 1,
                                "maximum": crate::http::MAX_CODE_VALIDITY_SECS },
            "device_id": { "type": ["string", "null"], "format": "uuid" },
        }), &["store", "valid_for_secs", "device_id"]),
        "ConsoleCode": object(json!({
            "code": { "type": "string" },
            "tenant_slug": { "type": "string" },
            "store": { "type": "string" },
            "expires_at": { "type": "integer", "description": "Unix seconds" },
            "qr_size": { "type": "integer", "minimum": 21 },
            "qr_path": { "type": "string", "description": "the dark modules as an SVG path, one unit a module" },
        }), &[]),
        "ConsoleChanges": object(json!({
            "changes": { "type": "array", "items": { "$ref": "#/components/schemas/Edit" },
                         "maxItems": rustok_protocol::MAX_OFFICE_EDITS },
        }), &[]),
        "Clashes": { "type": "array", "items": object(json!({
            "field": { "type": "string", "enum": ["sku", "barcode"] },
            "value": { "type": "string" },
            "products": { "type": "array", "items": uuid, "minItems": 2 },
        }), &[]) },
        "SalesReport": sales_report_schema(millis),
        "AuditEntries": { "type": "array", "items": object(json!({
            "id": { "type": "integer" },
            "at_ms": millis,
            "actor": { "type": "string", "description": "a person's login, or admin-token" },
            "tenant_slug": { "type": ["string", "null"] },
            "action": { "type": "string" },
            "detail": { "type": "object" },
        }), &[]) },
    })
}
