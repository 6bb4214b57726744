//! Product images are content-addressed: a product names its image by the SHA-256
//! digest of the stored (re-encoded) bytes, so a device that has the digest either
//! has exactly those bytes or knows it lacks them.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The SHA-256 digest of a stored image: 64 lowercase hex digits. Safe as a file
/// name and in a URL by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageDigest(String);

impl ImageDigest {
    /// Checks a digest given as text.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                "image",
                "invalid_image",
                "must name a stored image",
            ))
        }
    }

    /// The digest of `bytes`, as it names them.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ImageDigest {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<ImageDigest> for String {
    fn from(d: ImageDigest) -> String {
        d.0
    }
}

impl fmt::Display for ImageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_64_lowercase_hex_digits() {
        let d = ImageDigest::of(b"abc");
        assert_eq!(
            d.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(ImageDigest::parse(d.as_str()).unwrap(), d);
        for bad in [
            "",
            "../etc/passwd",
            &"A".repeat(64),
            &"a".repeat(63),
            &"g".repeat(64),
        ] {
            assert!(ImageDigest::parse(bad).is_err(), "{bad}");
        }
    }
}
