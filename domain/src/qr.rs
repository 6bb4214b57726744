//! QR codes drawn as SVG paths: a kiosk ticket for the counter to scan, an
//! enrolment code for a new till. The code is drawn by the screen that shows it
//! (`<svg viewBox="0 0 SIZE SIZE"><path d="…"/></svg>`), never an image file.

use qrcodegen::{QrCode, QrCodeEcc};
use std::fmt::Write as _;

/// A QR code: modules per side, and its dark modules as one SVG path, one unit a
/// module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    /// Modules per side.
    pub size: u32,
    /// `M x y h1 v1 h-1 z` for each dark module.
    pub path: String,
}

/// `text` as a QR code (error correction M), or `None` when it does not fit one.
pub fn qr_path(text: &str) -> Option<QrPath> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                // Writing to a String cannot fail.
                let _ = write!(path, "M{x} {y}h1v1h-1z");
            }
        }
    }
    Some(QrPath {
        size: u32::try_from(size).ok()?,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_code_is_a_small_symbol_and_too_much_text_none() {
        let q = qr_path("ABCD-EFGH-JKMN-PQRS").unwrap();
        assert_eq!(q.size, 21, "version 1: 19 alphanumeric characters fit it");
        assert!(
            q.path.starts_with("M0 0h1v1h-1z"),
            "the finder pattern's corner"
        );
        assert!(qr_path(&"x".repeat(5_000)).is_none());
    }
}
