//! Request signing: HMAC-SHA256 over the method, the path with its query, a Unix
//! timestamp and the SHA-256 of the body. Both sides use these functions, so the
//! canonical form exists once.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header carrying the signing device's id.
pub const HEADER_DEVICE: &str = "x-rustok-device";
/// Header carrying the Unix seconds the request was signed at.
pub const HEADER_TIMESTAMP: &str = "x-rustok-timestamp";
/// Header carrying the hex signature.
pub const HEADER_SIGNATURE: &str = "x-rustok-signature";
/// Most clock difference, either way, a signed request may show.
pub const MAX_SKEW_SECS: i64 = 300;
/// Length of a device secret in bytes.
pub const SECRET_BYTES: usize = 32;

type HmacSha256 = Hmac<Sha256>;

#[allow(clippy::expect_used)] // Proven: HMAC takes keys of any length.
fn mac(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    m.update(method.as_bytes());
    m.update(b"\n");
    m.update(path.as_bytes());
    m.update(b"\n");
    m.update(timestamp.to_string().as_bytes());
    m.update(b"\n");
    m.update(hex::encode(Sha256::digest(body)).as_bytes());
    m
}

/// The hex signature of a request.
pub fn sign(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(
        mac(secret, method, path, timestamp, body)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signature` (hex) signs the request, compared in constant time.
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    mac(secret, method, path, timestamp, body)
        .verify_slice(&given)
        .is_ok()
}
