//! Every parser: table cases for the edges, properties for the rest.

use proptest::prelude::*;
use rustok_core::domain::content::ContentSlug;
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::locale::Locale;
use rustok_core::domain::money::{Currency, Money};
use rustok_core::domain::operator::Pin;
use rustok_core::domain::product::{gs1_check_digit, Barcode, Sku};
use rustok_core::domain::tenant::TenantSlug;

/// Runs a parser over `(input, expected)` where expected is the normalised value or
/// the error code.
fn check<T>(
    parse: impl Fn(&str) -> Result<T, rustok_core::domain::FieldError>,
    show: impl Fn(&T) -> String,
    cases: &[(&str, Result<&str, &str>)],
) {
    for (input, want) in cases {
        let got = parse(input).map(|v| show(&v)).map_err(|e| e.code);
        assert_eq!(got.as_deref().map_err(|e| *e), *want, "input {input:?}");
    }
}

#[test]
fn tenant_slugs() {
    check(
        TenantSlug::parse,
        |s| s.as_str().to_owned(),
        &[
            ("corner-shop", Ok("corner-shop")),
            ("7eleven", Ok("7eleven")),
            (" shop1 ", Ok("shop1")),
            ("-shop", Err("invalid_slug")),
            ("Shop", Err("invalid_slug")),
            ("", Err("invalid_slug")),
            ("a_b", Err("invalid_slug")),
            ("admin", Err("reserved")),
            ("www", Err("reserved")),
            (&"a".repeat(63), Ok(&"a".repeat(63))),
            (&"a".repeat(64), Err("invalid_slug")),
            ("магазин", Err("invalid_slug")),
        ],
    );
}

#[test]
fn barcodes() {
    check(
        Barcode::parse,
        |b| b.as_str().to_owned(),
        &[
            ("4006381333931", Ok("4006381333931")),
            ("4006381333932", Err("check_digit")),
            ("96385074", Ok("96385074")),
            ("036000291452", Ok("036000291452")),
            ("036000291453", Err("check_digit")),
            ("12345", Err("invalid_barcode")),
            ("40063813339a1", Err("invalid_barcode")),
            ("", Err("invalid_barcode")),
        ],
    );
}

#[test]
fn skus_locales_currencies_pins() {
    check(
        Sku::parse,
        |s| s.as_str().to_owned(),
        &[
            ("tea-01", Ok("TEA-01")),
            ("A/B.C_D", Ok("A/B.C_D")),
            ("has space", Err("invalid_sku")),
            ("", Err("invalid_sku")),
        ],
    );
    check(
        Locale::parse,
        |l| l.as_str().to_owned(),
        &[
            ("en", Ok("en")),
            ("RU", Ok("ru")),
            ("en_gb", Ok("en-GB")),
            ("e", Err("invalid_locale")),
            ("english", Err("invalid_locale")),
            ("en-GBR", Err("invalid_locale")),
        ],
    );
    check(
        Currency::parse,
        |c| c.as_str().to_owned(),
        &[
            ("eur", Ok("EUR")),
            ("EU", Err("invalid_currency")),
            ("E1R", Err("invalid_currency")),
        ],
    );
    check(
        Pin::parse,
        |_| "ok".to_owned(),
        &[
            ("1234", Ok("ok")),
            ("12345678", Ok("ok")),
            ("123", Err("invalid_pin")),
            ("12a4", Err("invalid_pin")),
        ],
    );
}

#[test]
fn money_amounts() {
    let eur = Currency::parse("EUR").unwrap();
    let jpy = Currency::parse("JPY").unwrap();
    let kwd = Currency::parse("KWD").unwrap();
    let m = |s: &str, c| {
        Money::parse_decimal(s, c)
            .map(|m| m.minor)
            .map_err(|e| e.code)
    };
    assert_eq!(m("12.30", eur), Ok(1230));
    assert_eq!(m("12,3", eur), Ok(1230));
    assert_eq!(m("12", eur), Ok(1200));
    assert_eq!(m("-0.05", eur), Ok(-5));
    assert_eq!(m("1.234", eur), Err("invalid_amount"));
    assert_eq!(m("1.", eur), Err("invalid_amount"));
    assert_eq!(m("", eur), Err("invalid_amount"));
    assert_eq!(m("1e3", eur), Err("invalid_amount"));
    assert_eq!(m("500", jpy), Ok(500));
    assert_eq!(m("5.5", jpy), Err("invalid_amount"));
    assert_eq!(m("1.234", kwd), Ok(1234));
    assert_eq!(m("99999999999999999999", eur), Err("overflow"));
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![Just("EUR"), Just("JPY"), Just("KWD"), Just("RUB")]
        .prop_map(|c| Currency::parse(c).unwrap())
}

proptest! {
    #[test]
    fn parsers_never_panic_and_accept_only_their_language(s in "\\PC{0,80}") {
        if let Ok(v) = TenantSlug::parse(&s) {
            prop_assert!(v.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Ok(v) = Sku::parse(&s) {
            prop_assert_eq!(Sku::parse(v.as_str()).unwrap(), v.clone());
        }
        if let Ok(v) = Barcode::parse(&s) {
            let b = v.as_str().as_bytes();
            prop_assert_eq!(gs1_check_digit(&b[..b.len() - 1]), b[b.len() - 1]);
        }
        if let Ok(v) = Locale::parse(&s) {
            prop_assert_eq!(Locale::parse(v.as_str()).unwrap(), v.clone());
        }
        let _ = (Currency::parse(&s), DeviceCode::parse(&s), ContentSlug::parse(&s), Pin::parse(&s));
        let _ = Money::parse_decimal(&s, Currency::parse("EUR").unwrap());
    }

    #[test]
    fn valid_slugs_parse_unless_reserved(s in "[a-z0-9][a-z0-9-]{0,62}") {
        let reserved = rustok_core::domain::tenant::RESERVED_SLUGS.contains(&s.as_str());
        prop_assert_eq!(TenantSlug::parse(&s).is_ok(), !reserved);
    }

    #[test]
    fn barcodes_with_the_right_check_digit_parse_and_others_do_not(body in "[0-9]{7}|[0-9]{11}|[0-9]{12}", wrong in 1u8..10) {
        let check = gs1_check_digit(body.as_bytes());
        let good = format!("{body}{}", check as char);
        prop_assert!(Barcode::parse(&good).is_ok());
        let bad = format!("{body}{}", (b'0' + (check - b'0' + wrong) % 10) as char);
        prop_assert_eq!(Barcode::parse(&bad).unwrap_err().code, "check_digit");
    }

    #[test]
    fn money_decimal_text_round_trips(minor in proptest::num::i64::ANY, c in currency()) {
        let m = Money::new(minor, c);
        prop_assert_eq!(Money::parse_decimal(&m.to_decimal_string(), c), Ok(m));
    }

    #[test]
    fn money_arithmetic_is_checked(a in proptest::num::i64::ANY, b in proptest::num::i64::ANY) {
        let eur = Currency::parse("EUR").unwrap();
        let sum = Money::new(a, eur).checked_add(Money::new(b, eur));
        prop_assert_eq!(sum.ok().map(|m| m.minor), a.checked_add(b));
        let jpy = Currency::parse("JPY").unwrap();
        prop_assert!(Money::new(a, eur).checked_add(Money::new(b, jpy)).is_err());
    }

    #[test]
    fn locales_normalise_case(lang in "[a-zA-Z]{2,3}", region in proptest::option::of("[a-zA-Z]{2}")) {
        let raw = match &region { Some(r) => format!("{lang}-{r}"), None => lang.clone() };
        let l = Locale::parse(&raw).unwrap();
        let want = match region { Some(r) => format!("{}-{}", lang.to_lowercase(), r.to_uppercase()), None => lang.to_lowercase() };
        prop_assert_eq!(l.as_str(), want);
    }
}
