//! Request signing: HMAC-SHA256 over the method, the path with its query, a Unix
//! timestamp, a nonce and the SHA-256 of the body. Both sides use these functions,
//! so the canonical form exists once.
//!
//! The nonce makes two sends of the same request in the same second sign
//! differently, so central can refuse any signature it has seen before (a replay)
//! while a client's retry still goes through. Requests signed without a nonce (by
//! apps from before it) are still understood; central accepts each of those once.

// Numbers here come from central or the wire: arithmetic is checked.
#![deny(clippy::arithmetic_side_effects)]

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header carrying the signing device's id.
pub const HEADER_DEVICE: &str = "x-rustok-device";
/// Header carrying the Unix seconds the request was signed at.
pub const HEADER_TIMESTAMP: &str = "x-rustok-timestamp";
/// Header carrying the request's nonce: 16 to 64 hex digits, new for every send.
pub const HEADER_NONCE: &str = "x-rustok-nonce";
/// Header carrying the hex signature.
pub const HEADER_SIGNATURE: &str = "x-rustok-signature";
/// Most clock difference, either way, a signed request may show.
pub const MAX_SKEW_SECS: i64 = 300;
/// Length of a device secret in bytes.
pub const SECRET_BYTES: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Whether `nonce` has the form a nonce must have (so it cannot add a line to the
/// signed text).
pub fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

#[allow(clippy::expect_used)] // Proven: HMAC takes keys of any length.
fn mac(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: Option<&str>,
    body: &[u8],
) -> HmacSha256 {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    m.update(method.as_bytes());
    m.update(b"\n");
    m.update(path.as_bytes());
    m.update(b"\n");
    m.update(timestamp.to_string().as_bytes());
    m.update(b"\n");
    if let Some(n) = nonce {
        m.update(n.as_bytes());
        m.update(b"\n");
    }
    m.update(hex::encode(Sha256::digest(body)).as_bytes());
    m
}

/// The hex signature of a request.
pub fn sign(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: Option<&str>,
    body: &[u8],
) -> String {
    hex::encode(
        mac(secret, method, path, timestamp, nonce, body)
            .finalize()
            .into_bytes(),
    )
}

/// The signature's bytes when `signature` (hex) signs the request, compared in
/// constant time; `None` otherwise (also for a malformed nonce).
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: Option<&str>,
    body: &[u8],
    signature: &str,
) -> Option<[u8; 32]> {
    if nonce.is_some_and(|n| !valid_nonce(n)) {
        return None;
    }
    let given: [u8; 32] = hex::decode(signature).ok()?.try_into().ok()?;
    mac(secret, method, path, timestamp, nonce, body)
        .verify_slice(&given)
        .ok()
        .map(|()| given)
}
