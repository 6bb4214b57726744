//! Kiosk tickets: what a customer chose at a kiosk, carried to the counter by a scan.
//!
//! The kiosk shows the ticket as a QR code whose text is the ticket's **code**; a 2D
//! scanner at the counter types that text into the scan field, followed by Enter.
//! A scanner types keys, and the keys of letters depend on the keyboard layout the
//! till runs in (a Russian layout turns `A` into `Ф`), so the code is **digits
//! only**, which every layout types the same, and QR codes hold compactly:
//!
//! ```text
//! 9 2  <ticket id: 39 digits>  <number: 10>  <expires: 10>  { <product id: 39> <quantity: 3> <unit price: 12> }*  <check: 2>
//! ```
//!
//! `9` marks a ticket (no EAN-13 of ours starts a 40-digit text), `2` is the version
//! (version 1, without number and expiry, was never released; it is refused);
//! ids are UUIDs as zero-padded decimal numbers; the number is the one the kiosk
//! showed the customer (so the counter can call it out); `expires` is when the
//! counter stops taking it, in Unix seconds; the quantity is 1–999 and the unit
//! price the minor units the kiosk showed (at most 12 digits). The check digits are
//! ISO 7064 MOD 97-10 (as in IBANs) over everything before them, so a misread or a
//! truncated scan is refused, never sold.

use crate::clock::Timestamp;
use crate::ids::{ProductId, TicketId};
use crate::stock::Quantity;
use crate::FieldError;
use uuid::Uuid;

/// The first digits of every ticket code: the mark and the version.
pub const CODE_PREFIX: &str = "92";
/// Most lines a ticket carries (the code stays a QR code a receipt printer prints).
pub const MAX_LINES: usize = 30;
/// Most units of one line on a ticket.
pub const MAX_QUANTITY: i64 = 999;
/// The largest unit price a ticket carries, in minor units (12 digits).
pub const MAX_UNIT_PRICE: i64 = 999_999_999_999;

const ID_DIGITS: usize = 39;
const QTY_DIGITS: usize = 3;
const PRICE_DIGITS: usize = 12;
const LINE_DIGITS: usize = ID_DIGITS + QTY_DIGITS + PRICE_DIGITS;
const NUMBER_DIGITS: usize = 10;
const EXPIRY_DIGITS: usize = 10;
const HEAD_DIGITS: usize = CODE_PREFIX.len() + ID_DIGITS + NUMBER_DIGITS + EXPIRY_DIGITS;
/// How long the counter takes a ticket after the kiosk issued it: a customer pays
/// the same day; kiosk and till clocks may differ by minutes, not by a day.
pub const VALID_SECS: i64 = 24 * 60 * 60;
/// The latest expiry the code can carry (Unix seconds, ten digits).
const MAX_EXPIRY_SECS: i64 = 9_999_999_999;
const CHECK_DIGITS: usize = 2;

/// One line of a ticket: a product, how many, and the price the customer saw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketLine {
    /// The product.
    pub product_id: ProductId,
    /// Units (1–999).
    pub quantity: Quantity,
    /// The unit price shown at the kiosk, minor units.
    pub unit_price: i64,
}

/// A kiosk ticket as its code carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ticket {
    /// The ticket's id, recorded by the sale that takes it.
    pub id: TicketId,
    /// The number the kiosk showed the customer (counting up per kiosk).
    pub number: u32,
    /// When the counter stops taking it (whole seconds).
    pub expires_at: Timestamp,
    /// Lines, at least one, at most [`MAX_LINES`].
    pub lines: Vec<TicketLine>,
}

fn invalid(message: &str) -> FieldError {
    FieldError::new("code", "invalid_ticket", message)
}

/// ISO 7064 MOD 97-10 check digits of `digits` (ASCII digits only).
fn check_digits(digits: &str) -> u32 {
    // Every step stays below 97 * 10 + 9: no overflow whatever the length.
    let rest = digits.bytes().fold(0u32, |r, b| {
        r.wrapping_mul(10)
            .wrapping_add(u32::from(b.wrapping_sub(b'0')))
            .wrapping_rem(97)
    });
    // Appending "00" and taking 98 minus the remainder makes the whole text ≡ 1.
    98u32.wrapping_sub(rest.wrapping_mul(100).wrapping_rem(97))
}

/// Checks how many lines a ticket would have: at least one, at most [`MAX_LINES`].
pub fn check_line_count(n: usize) -> Result<(), FieldError> {
    if n == 0 {
        return Err(FieldError::new(
            "lines",
            "required",
            "a ticket has at least one line",
        ));
    }
    if n > MAX_LINES {
        return Err(
            FieldError::new("lines", "too_many", "at most 30 lines on a ticket")
                .with_param("max", MAX_LINES),
        );
    }
    Ok(())
}

impl Ticket {
    /// Checks the lines a kiosk puts on a ticket; `expires_at` is kept to the whole
    /// second (what the code carries).
    pub fn new(
        id: TicketId,
        number: u32,
        expires_at: Timestamp,
        lines: Vec<TicketLine>,
    ) -> Result<Self, FieldError> {
        check_line_count(lines.len())?;
        let secs = expires_at.unix_millis().div_euclid(1000);
        if !(0..=MAX_EXPIRY_SECS).contains(&secs) {
            return Err(FieldError::new(
                "expires_at",
                "out_of_range",
                "the ticket's expiry is out of range: check the kiosk's clock",
            ));
        }
        let expires_at = Timestamp::from_unix_millis(secs.saturating_mul(1000));
        for (i, l) in lines.iter().enumerate() {
            if l.quantity.get() > MAX_QUANTITY {
                return Err(FieldError::new(
                    format!("lines[{i}].quantity"),
                    "out_of_range",
                    "at most 999 of one product on a ticket",
                )
                .with_param("max", MAX_QUANTITY));
            }
            if !(0..=MAX_UNIT_PRICE).contains(&l.unit_price) {
                return Err(FieldError::new(
                    format!("lines[{i}].unit_price"),
                    "out_of_range",
                    "the price is too large for a ticket",
                ));
            }
        }
        Ok(Self {
            id,
            number,
            expires_at,
            lines,
        })
    }

    /// The ticket's code: the text of its QR code (see the module's documentation).
    pub fn code(&self) -> String {
        let mut s = String::with_capacity(
            MAX_LINES
                .saturating_mul(LINE_DIGITS)
                .saturating_add(HEAD_DIGITS + CHECK_DIGITS),
        );
        s.push_str(CODE_PREFIX);
        s.push_str(&format!("{:039}", self.id.as_uuid().as_u128()));
        s.push_str(&format!("{:010}", self.number));
        s.push_str(&format!(
            "{:010}",
            self.expires_at.unix_millis().div_euclid(1000)
        ));
        for l in &self.lines {
            s.push_str(&format!(
                "{:039}{:03}{:012}",
                l.product_id.as_uuid().as_u128(),
                l.quantity.get(),
                l.unit_price
            ));
        }
        let check = check_digits(&s);
        s.push_str(&format!("{check:02}"));
        s
    }

    /// Reads a ticket code as a scanner typed it.
    pub fn parse_code(text: &str) -> Result<Self, FieldError> {
        let t = text.trim();
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("a ticket code has only digits"));
        }
        if !t.starts_with('9') {
            return Err(invalid("not a ticket code"));
        }
        if !t.starts_with(CODE_PREFIX) {
            return Err(FieldError::new(
                "code",
                "ticket_version",
                "this ticket comes from a kiosk of another version: update the kiosk and this till",
            ));
        }
        let body_len = t
            .len()
            .checked_sub(HEAD_DIGITS + CHECK_DIGITS)
            .filter(|n| *n > 0 && n % LINE_DIGITS == 0)
            .ok_or_else(|| invalid("the ticket code is cut short or too long: scan it again"))?;
        // The length is above HEAD_DIGITS + CHECK_DIGITS (checked just above).
        let (payload, check) = t.split_at(t.len().saturating_sub(CHECK_DIGITS));
        if check.parse::<u32>().ok() != Some(check_digits(payload)) {
            return Err(invalid("the ticket code does not check out: scan it again"));
        }
        let uuid = |digits: &str| {
            digits
                .parse::<u128>()
                .map(Uuid::from_u128)
                .map_err(|_| invalid("a reference in the ticket is not one"))
        };
        let (id, rest) = payload[CODE_PREFIX.len()..HEAD_DIGITS].split_at(ID_DIGITS);
        let (number, expires) = rest.split_at(NUMBER_DIGITS);
        let id = TicketId::from_uuid(uuid(id)?);
        let number = number
            .parse::<u32>()
            .map_err(|_| invalid("the ticket's number is not one"))?;
        // Ten digits fit an i64, and whole seconds in milliseconds too.
        let expires_at = expires
            .parse::<i64>()
            .ok()
            .and_then(|secs| secs.checked_mul(1000))
            .map(Timestamp::from_unix_millis)
            .ok_or_else(|| invalid("the ticket's expiry is not one"))?;
        let mut lines = Vec::with_capacity(body_len / LINE_DIGITS);
        for chunk in payload.as_bytes()[HEAD_DIGITS..].chunks(LINE_DIGITS) {
            // Only ASCII digits are here (checked above), so every split is a char boundary.
            let chunk = std::str::from_utf8(chunk).map_err(|_| invalid("not a ticket code"))?;
            let (product, rest) = chunk.split_at(ID_DIGITS);
            let (quantity, price) = rest.split_at(QTY_DIGITS);
            let quantity = quantity
                .parse::<i64>()
                .ok()
                .and_then(|q| Quantity::new(q).ok())
                .ok_or_else(|| invalid("a line of the ticket has no units"))?;
            lines.push(TicketLine {
                product_id: ProductId::from_uuid(uuid(product)?),
                quantity,
                unit_price: price
                    .parse()
                    .map_err(|_| invalid("a price in the ticket is not one"))?,
            });
        }
        Self::new(id, number, expires_at, lines).map_err(|e| e.at("code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(p: u128, q: i64, price: i64) -> TicketLine {
        TicketLine {
            product_id: ProductId::from_uuid(Uuid::from_u128(p)),
            quantity: Quantity::new(q).unwrap(),
            unit_price: price,
        }
    }

    fn ticket() -> Ticket {
        Ticket::new(
            TicketId::from_uuid(Uuid::from_u128(u128::MAX - 7)),
            u32::MAX,
            Timestamp::from_unix_millis(MAX_EXPIRY_SECS * 1000),
            vec![line(1, 2, 249), line(u128::MAX, 999, MAX_UNIT_PRICE)],
        )
        .unwrap()
    }

    #[test]
    fn a_code_is_digits_that_read_back_as_the_ticket() {
        let t = ticket();
        let code = t.code();
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(code.len(), HEAD_DIGITS + 2 * LINE_DIGITS + CHECK_DIGITS);
        assert_eq!(Ticket::parse_code(&format!("  {code}\n")).unwrap(), t);
    }

    #[test]
    fn every_single_digit_misread_or_swap_is_refused() {
        let code = ticket().code();
        for i in 0..code.len() {
            for d in b'0'..=b'9' {
                let mut bad = code.clone().into_bytes();
                if bad[i] == d {
                    continue;
                }
                bad[i] = d;
                let bad = String::from_utf8(bad).unwrap();
                assert!(
                    Ticket::parse_code(&bad).is_err(),
                    "digit {i} → {}",
                    d as char
                );
            }
        }
        for i in 0..code.len() - 1 {
            let mut bad = code.clone().into_bytes();
            if bad[i] == bad[i + 1] {
                continue;
            }
            bad.swap(i, i + 1);
            let bad = String::from_utf8(bad).unwrap();
            assert!(Ticket::parse_code(&bad).is_err(), "swap at {i}");
        }
    }

    #[test]
    fn a_cut_or_foreign_text_is_refused_with_its_reason() {
        let code = ticket().code();
        let code_of = |s: &str| Ticket::parse_code(s).unwrap_err().code;
        assert_eq!(code_of(&code[..code.len() - 1]), "invalid_ticket");
        assert_eq!(
            code_of(&code[..HEAD_DIGITS + CHECK_DIGITS]),
            "invalid_ticket"
        );
        assert_eq!(code_of(&format!("{code}0")), "invalid_ticket");
        assert_eq!(code_of("2000000000015"), "invalid_ticket");
        assert_eq!(code_of("91ABC"), "invalid_ticket");
        assert_eq!(code_of(&format!("91{}", &code[2..])), "ticket_version");
        assert_eq!(code_of(&format!("93{}", &code[2..])), "ticket_version");
        assert_eq!(code_of(""), "invalid_ticket");
        assert_eq!(
            code_of(&format!("92{}", "9".repeat(100_000))),
            "invalid_ticket"
        );
        // A number beyond what a kiosk counts to, with check digits that fit it.
        let mut payload = code[..code.len() - CHECK_DIGITS].to_owned();
        let at = CODE_PREFIX.len() + ID_DIGITS;
        payload.replace_range(at..at + NUMBER_DIGITS, "9999999999");
        let big = format!("{payload}{:02}", check_digits(&payload));
        assert_eq!(code_of(&big), "invalid_ticket");
    }

    #[test]
    fn a_ticket_holds_what_its_code_can_carry() {
        let id = TicketId::from_uuid(Uuid::from_u128(1));
        assert!(Ticket::new(id, 1, Timestamp::from_unix_millis(0), vec![]).is_err());
        assert!(Ticket::new(
            id,
            1,
            Timestamp::from_unix_millis(0),
            vec![line(1, 1, 1); MAX_LINES + 1]
        )
        .is_err());
        assert!(Ticket::new(
            id,
            1,
            Timestamp::from_unix_millis(0),
            vec![line(1, 1000, 1)]
        )
        .is_err());
        assert!(Ticket::new(
            id,
            1,
            Timestamp::from_unix_millis(0),
            vec![line(1, 1, MAX_UNIT_PRICE + 1)]
        )
        .is_err());
        assert!(Ticket::new(id, 1, Timestamp::from_unix_millis(0), vec![line(1, 1, -1)]).is_err());
        let full = Ticket::new(
            id,
            1,
            Timestamp::from_unix_millis(0),
            vec![line(1, 1, 1); MAX_LINES],
        )
        .unwrap();
        // The expiry is kept to the second; one the code cannot carry is refused.
        let at = |ms| Ticket::new(id, 1, Timestamp::from_unix_millis(ms), vec![line(1, 1, 1)]);
        assert_eq!(
            at(1_999).unwrap().expires_at,
            Timestamp::from_unix_millis(1_000)
        );
        assert!(at(-1).is_err());
        assert!(at((MAX_EXPIRY_SECS + 1) * 1000).is_err());
        assert_eq!(Ticket::parse_code(&full.code()).unwrap(), full);
    }

    proptest! {
        #[test]
        fn any_ticket_round_trips(
            id in any::<u128>(),
            number in any::<u32>(),
            expires in 0..=MAX_EXPIRY_SECS,
            lines in prop::collection::vec((any::<u128>(), 1i64..=MAX_QUANTITY, 0i64..=MAX_UNIT_PRICE), 1..=MAX_LINES),
        ) {
            let t = Ticket::new(
                TicketId::from_uuid(Uuid::from_u128(id)),
                number,
                Timestamp::from_unix_millis(expires.saturating_mul(1000)),
                lines.into_iter().map(|(p, q, price)| line(p, q, price)).collect(),
            ).unwrap();
            prop_assert_eq!(Ticket::parse_code(&t.code()).unwrap(), t);
        }

        #[test]
        fn no_text_panics_the_reader(s in "\\PC{0,300}", digits in "[0-9]{0,2000}") {
            let _ = Ticket::parse_code(&s);
            let _ = Ticket::parse_code(&digits);
            let _ = Ticket::parse_code(&format!("92{digits}"));
        }
    }
}
