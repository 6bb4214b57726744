//! The OpenAPI 3.1 document, generated from the route table in [`crate::http`], so a
//! route cannot exist without being documented. Hand-built with `serde_json`: the
//! schemas are the protocol's own serde types, and a derive-macro crate would cost
//! more build time than these few lines.

use crate::http::{Auth, Route};
use serde_json::{json, Map, Value};

/// What every signed route may also answer.
const SIGNED: &[(u16, &str)] = &[
    (
        401,
        "missing or bad signature, clock skew over 300 s, unknown or revoked device",
    ),
    (413, "body too large"),
    (429, "rate limited; see Retry-After"),
];

/// The document.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let signed = matches!(r.auth, Auth::Device | Auth::DeviceOrAdmin);
        let responses: Map<String, Value> = r
            .responses
            .iter()
            .chain(SIGNED.iter().filter(|_| signed))
            .map(|(code, what)| (code.to_string(), json!({ "description": what })))
            .collect();
        let security = match r.auth {
            Auth::Public => json!([]),
            Auth::Device => json!([{ "deviceSignature": [] }]),
            Auth::Admin => json!([{ "adminToken": [] }]),
            Auth::DeviceOrAdmin => json!([{ "deviceSignature": [] }, { "adminToken": [] }]),
        };
        let mut op = json!({ "summary": r.summary, "security": security, "responses": responses });
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
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
            "description": "Devices push their event outbox here exactly once. Signed requests carry x-rustok-device, x-rustok-timestamp (Unix seconds, at most 300 s off) and x-rustok-signature: hex HMAC-SHA256 with the device secret over METHOD\\nPATH?QUERY\\nTIMESTAMP\\nhex(SHA-256(body)).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "deviceSignature": { "type": "apiKey", "in": "header", "name": "x-rustok-signature" },
                "adminToken": { "type": "http", "scheme": "bearer" },
            }
        }
    })
}
