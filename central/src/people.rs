//! People who sign in to the head-office console: logins, argon2id password hashes,
//! the lockout rule, and session tokens. The admin token stays for automation; a
//! person signs in with a login and password and gets a session cookie.
//!
//! A tenant's people see only their tenant; the chain operator (no tenant) sees
//! every tenant. A session's token and CSRF token are 32 random bytes each; only the
//! token's SHA-256 is stored, so the database never holds a usable session.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rustok_domain::clock::Entropy;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Wrong passwords in a row that lock an account.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked account stays locked: 15 minutes.
pub const LOCKED_FOR_MS: i64 = 15 * 60 * 1000;
/// How long a session lasts from sign-in: 12 hours (a working day).
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
/// The session cookie's name.
pub const COOKIE: &str = "rustok_console";
/// The header a state change carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (argon2 takes any length; a bound keeps a request
/// from making central hash megabytes).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a new person is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    /// Not a login.
    #[error(
        "a login is 3 to 64 of a-z, 0-9, '.', '_', '-' and '@', starting with a letter or digit"
    )]
    BadLogin,
    /// Not a name.
    #[error("a name is 1 to 100 printable characters")]
    BadName,
    /// A password too short or too long.
    #[error("a password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    BadPassword,
}

/// A login as stored: lower-case, 3 to 64 of `a-z 0-9 . _ - @`, starting with a
/// letter or digit. Sign-in lower-cases what is typed, so `Anna` and `anna` are one.
pub fn login(raw: &str) -> Result<String, PersonError> {
    let l = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&l.len())
        && l.starts_with(|c: char| c.is_ascii_alphanumeric())
        && l.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_@".contains(c));
    if ok {
        Ok(l)
    } else {
        Err(PersonError::BadLogin)
    }
}

/// A person's display name: trimmed, 1 to 100 characters, none of them control.
pub fn name(raw: &str) -> Result<String, PersonError> {
    let n = raw.trim();
    let count = n.chars().count();
    if (1..=100).contains(&count) && !n.chars().any(char::is_control) {
        Ok(n.to_owned())
    } else {
        Err(PersonError::BadName)
    }
}

/// Checks a new password's length (in characters).
pub fn check_password(password: &str) -> Result<(), PersonError> {
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(PersonError::BadPassword)
    }
}

/// An argon2id PHC string of `password` with a fresh salt. Slow by design (tens of
/// milliseconds): call it off the async threads.
pub fn hash_password(password: &str, entropy: &dyn Entropy) -> Result<String, String> {
    let mut salt = [0u8; 16];
    entropy.fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` is the one `hash` was made from. A hash that does not parse
/// matches nothing. Slow by design: call it off the async threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password is known to match, verified against when the login is
/// unknown, so an unknown login takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).unwrap_or_default();
        SaltString::encode_b64(&salt)
            .ok()
            .and_then(|s| {
                Argon2::default()
                    .hash_password(&salt, &s)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

/// A new random token (session or CSRF): 32 bytes, hex.
pub fn token(entropy: &dyn Entropy) -> String {
    let mut raw = [0u8; 32];
    entropy.fill(&mut raw);
    hex::encode(raw)
}

/// What a session token is stored under.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether two secrets are equal, in time that depends on neither.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// The `Set-Cookie` value that gives a browser its session: never readable by
/// script, sent only over HTTPS (browsers treat `localhost` as secure), only to
/// this site's console, never with a request another site starts.
pub fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!("{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/console; Max-Age={max_age_secs}")
}

/// The `Set-Cookie` value that ends a browser's session.
pub fn cleared_cookie() -> String {
    session_cookie("", 0)
}

/// The session token a request's `Cookie` headers carry, if any.
pub fn cookie_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting(std::sync::atomic::AtomicU8);
    impl Entropy for Counting {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn logins_are_lower_case_and_plain() {
        assert_eq!(login(" Anna.K@North ").unwrap(), "anna.k@north");
        for bad in ["ab", "-anna", "anna smith", "анна", &"a".repeat(65), "a\0b"] {
            assert_eq!(login(bad), Err(PersonError::BadLogin), "{bad:?}");
        }
    }

    #[test]
    fn names_and_passwords_are_bounded() {
        assert_eq!(name("  Анна  ").unwrap(), "Анна");
        assert!(name("").is_err() && name("a\nb").is_err() && name(&"я".repeat(101)).is_err());
        assert!(check_password(&"я".repeat(10)).is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let e = Counting(Default::default());
        let h = hash_password("correct horse", &e).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn the_cookie_is_found_among_others_and_carries_its_flags() {
        let mut h = axum::http::HeaderMap::new();
        h.append("cookie", "a=1; rustok_console=abc ; b=2".parse().unwrap());
        assert_eq!(cookie_token(&h), Some("abc"));
        h.clear();
        h.append("cookie", "rustok_console=".parse().unwrap());
        assert_eq!(cookie_token(&h), None);
        let c = session_cookie("t", 60);
        for flag in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/console",
            "Max-Age=60",
        ] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(same_secret("x", "x") && !same_secret("x", "y"));
    }
}
