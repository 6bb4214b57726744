//! Product images are content-addressed: a product names its image by the SHA-256
//! digest of the stored (re-encoded) bytes, so a device that has the digest either
//! has exactly those bytes or knows it lacks them.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest edge of a stored picture, in pixels (a kiosk tile, a search result).
pub const STORED_IMAGE_EDGE: u32 = 640;

/// The largest stored picture, in bytes. A till's re-encoded picture (at most
/// [`STORED_IMAGE_EDGE`] a side, JPEG quality 85) is far smaller; this bounds what
/// a till sends to central, what head office uploads and what a till reads back.
pub const MAX_STORED_IMAGE_BYTES: usize = 1024 * 1024;

/// The width and height a baseline or progressive JPEG declares in its frame
/// header, read without decoding it (central keeps pictures without decoding
/// them; a till decodes what it fetches). `None` for anything that is not a whole
/// JPEG of the kind a till shows: one that does not start with its start marker,
/// has no frame header before its image data, does not end with its end marker (a
/// file cut short, or with something appended), or whose frame is not 8-bit
/// Huffman-coded baseline or progressive with one or three components (lossless,
/// hierarchical and arithmetic-coded JPEGs, 12-bit or CMYK ones).
pub fn jpeg_size(bytes: &[u8]) -> Option<(u16, u16)> {
    if bytes.get(..2)? != [0xFF, 0xD8] || bytes.len() < 4 || !bytes.ends_with(&[0xFF, 0xD9]) {
        return None;
    }
    let mut at = 2usize;
    loop {
        // Markers may be padded with any number of 0xFF bytes.
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        while *bytes.get(at)? == 0xFF {
            at = at.checked_add(1)?;
        }
        let marker = *bytes.get(at)?;
        at = at.checked_add(1)?;
        match marker {
            // Markers without a length: TEM and restarts.
            0x01 | 0xD0..=0xD7 => continue,
            // End of image or start of scan before any frame header: no size.
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(at)?,
            *bytes.get(at.checked_add(1)?)?,
        ]));
        if len < 2 {
            return None;
        }
        let is_frame = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if is_frame {
            // Baseline, extended or progressive Huffman only.
            if !matches!(marker, 0xC0..=0xC2) {
                return None;
            }
            // Length, precision, height, width, components.
            let precision = *bytes.get(at.checked_add(2)?)?;
            let h = bytes.get(at.checked_add(3)?..at.checked_add(5)?)?;
            let w = bytes.get(at.checked_add(5)?..at.checked_add(7)?)?;
            let components = *bytes.get(at.checked_add(7)?)?;
            if precision != 8 || !matches!(components, 1 | 3) {
                return None;
            }
            return Some((
                u16::from_be_bytes([*w.first()?, *w.get(1)?]),
                u16::from_be_bytes([*h.first()?, *h.get(1)?]),
            ));
        }
        at = at.checked_add(len)?;
    }
}

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
                "must be a picture's digest: 64 lowercase hex digits, as the upload answered",
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

    /// A JPEG's frame header read by hand: SOI, an APP0 segment, SOF0 for 300×200.
    #[test]
    fn a_jpeg_frame_header_gives_its_size_and_anything_else_none() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        jpeg.extend([
            0xFF, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0xC8, 0x01, 0x2C, 0x01,
        ]);
        jpeg.extend([0x01, 0x11, 0x00, 0xFF, 0xD9]);
        assert_eq!(jpeg_size(&jpeg), Some((300, 200)));
        // Cut short, or with anything after its end: not a whole JPEG.
        for end in 0..jpeg.len() {
            assert_eq!(jpeg_size(&jpeg[..end]), None, "{end}");
        }
        let mut appended = jpeg.clone();
        appended.extend(b"# README");
        assert_eq!(jpeg_size(&appended), None);
        // A lossless frame (SOF3), a 12-bit one, a CMYK one: no till shows them.
        for (at, value) in [(10, 0xC3), (13, 12), (18, 4)] {
            let mut other = jpeg.clone();
            other[at] = value;
            assert_eq!(jpeg_size(&other), None, "byte {at} = {value}");
        }
        for bad in [
            &b""[..],
            b"\xFF\xD8",
            b"PNG",
            &[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01],
            &[0xFF, 0xD8, 0x00],
        ] {
            assert_eq!(jpeg_size(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any bytes at all: an answer, never a panic or a hang.
        #[test]
        fn any_bytes_get_an_answer(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = jpeg_size(&bytes);
            bytes.splice(0..0, [0xFF, 0xD8]);
            let _ = jpeg_size(&bytes);
        }
    }

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
