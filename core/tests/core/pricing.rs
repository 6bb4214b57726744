//! Totals, rounding and payment settlement, as properties.

use crate::helpers::{line_refund, order_data};
use proptest::prelude::*;
use rustok_core::domain::ids::ProductId;
use rustok_core::domain::locale::Localized;
use rustok_core::domain::money::div_round_half_away;
use rustok_core::domain::order::{
    plan_refund, price_line, price_lines, refunded_by, refunded_units, Discount, LineSpec,
};
use rustok_core::domain::payment::{settle, PaymentMethod, RefundRequest, RefundedItems, Tender};
use rustok_core::domain::product::{ProductTitle, Sku, TaxRate};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::TaxMode;

fn mode() -> impl Strategy<Value = TaxMode> {
    prop_oneof![Just(TaxMode::Inclusive), Just(TaxMode::Exclusive)]
}

fn spec(price: i64, qty: i64, bp: u32) -> LineSpec {
    LineSpec {
        product_id: ProductId::from_uuid(uuid::Uuid::from_u128(9)),
        sku: Sku::parse("X").unwrap(),
        title: ProductTitle::parse("X").unwrap(),
        titles: Localized::new(),
        unit_price: price,
        tax_rate: TaxRate::from_basis_points(bp).unwrap(),
        quantity: Quantity::new(qty).unwrap(),
        discount: None,
    }
}

#[test]
fn rounding_is_half_away_from_zero() {
    let check = |n, d, want| assert_eq!(div_round_half_away(n, d), Some(want), "{n}/{d}");
    check(5, 10, 1);
    check(4, 10, 0);
    check(-5, 10, -1);
    check(-4, 10, 0);
    check(15, 10, 2);
    check(-15, 10, -2);
    check(25, 10, 3);
    check(0, 7, 0);
    // Numbers from outside: no panic, no wrap.
    assert_eq!(div_round_half_away(1, 0), None);
    assert_eq!(div_round_half_away(1, -3), None);
    assert_eq!(div_round_half_away(i128::MIN, 1), Some(i128::MIN));
    assert_eq!(div_round_half_away(i128::MAX, 2), Some(i128::MAX / 2 + 1));
}

#[test]
fn tax_per_line_matches_worked_examples() {
    // (price, qty, bp, mode) -> (net, tax, gross)
    let cases = [
        (1000, 1, 2000, TaxMode::Inclusive, (833, 167, 1000)),
        (399, 1, 2000, TaxMode::Inclusive, (332, 67, 399)),
        (1000, 3, 700, TaxMode::Exclusive, (3000, 210, 3210)),
        (5, 1, 1000, TaxMode::Exclusive, (5, 1, 6)),
        (4, 1, 1000, TaxMode::Exclusive, (4, 0, 4)),
        (0, 5, 2000, TaxMode::Inclusive, (0, 0, 0)),
    ];
    for (price, qty, bp, mode, (net, tax, gross)) in cases {
        let a = price_line(
            price,
            Quantity::new(qty).unwrap(),
            TaxRate::from_basis_points(bp).unwrap(),
            mode,
        )
        .unwrap();
        assert_eq!(
            (a.net, a.tax, a.gross),
            (net, tax, gross),
            "{price}×{qty} at {bp} bp {mode:?}"
        );
    }
}

proptest! {
    #[test]
    fn rounding_is_within_half_and_symmetric(n in -1_000_000_000i128..1_000_000_000, d in 1i128..100_000) {
        let q = div_round_half_away(n, d).unwrap();
        prop_assert!((q * d - n).abs() * 2 <= d);
        prop_assert_eq!(div_round_half_away(-n, d), Some(-q));
    }

    #[test]
    fn order_total_is_always_the_sum_of_its_lines(
        lines in proptest::collection::vec((0i64..10_000_000, 1i64..1_000, 0u32..=10_000), 1..40),
        mode in mode(),
    ) {
        let specs = lines.iter().map(|&(p, q, bp)| spec(p, q, bp)).collect();
        let (priced, total) = price_lines(specs, mode, None).unwrap();
        prop_assert_eq!(total.net, priced.iter().map(|l| l.amounts.net).sum::<i64>());
        prop_assert_eq!(total.tax, priced.iter().map(|l| l.amounts.tax).sum::<i64>());
        prop_assert_eq!(total.gross, priced.iter().map(|l| l.amounts.gross).sum::<i64>());
        for (l, &(p, q, bp)) in priced.iter().zip(&lines) {
            prop_assert_eq!(l.amounts.net + l.amounts.tax, l.amounts.gross);
            prop_assert!(l.amounts.tax >= 0 && l.amounts.net >= 0);
            let base = i128::from(p * q);
            let exact_den = match mode { TaxMode::Inclusive => 10_000 + i128::from(bp), TaxMode::Exclusive => 10_000 };
            // The rounded tax is within half a minor unit of the exact tax.
            prop_assert!((i128::from(l.amounts.tax) * exact_den - base * i128::from(bp)).abs() * 2 <= exact_den);
        }
    }

    /// Discounts on lines and on the order keep `sum(lines) == total`, never take off
    /// more than a line cost, give exactly the order discount asked, put tax on what
    /// is left (within half a minor unit of exact), and tax per rate sums to the
    /// order's tax.
    #[test]
    fn discounts_keep_the_total_the_sum_of_the_lines_and_tax_on_what_is_paid(
        lines in proptest::collection::vec(
            (0i64..1_000_000, 1i64..100, prop_oneof![Just(0u32), Just(1000u32), Just(2000u32)], 0u32..=10_000, 0i64..2_000_000, any::<bool>(), any::<bool>()),
            1..20,
        ),
        whole in prop_oneof![Just(None), (0u32..=10_000).prop_map(|b| Some(Discount::Percent(b))), (0i64..5_000_000).prop_map(|a| Some(Discount::Amount(a)))],
        mode in mode(),
    ) {
        let specs: Vec<LineSpec> = lines.iter().map(|&(p, q, bp, pct, amount, has, by_pct)| LineSpec {
            discount: has.then_some(if by_pct { Discount::Percent(pct) } else { Discount::Amount(amount.min(p * q)) }),
            ..spec(p, q, bp)
        }).collect();
        let left: i64 = specs.iter().map(|s| {
            let base = s.unit_price * s.quantity.get();
            base - match s.discount {
                Some(Discount::Percent(b)) => i64::try_from(div_round_half_away(i128::from(base) * i128::from(b), 10_000).unwrap()).unwrap(),
                Some(Discount::Amount(a)) => a,
                None => 0,
            }
        }).sum();
        let priced = price_lines(specs.clone(), mode, whole);
        let expected_whole = match whole {
            Some(Discount::Percent(b)) => i64::try_from(div_round_half_away(i128::from(left) * i128::from(b), 10_000).unwrap()).unwrap(),
            Some(Discount::Amount(a)) if a > left => { prop_assert!(priced.is_err()); return Ok(()); }
            Some(Discount::Amount(a)) => a,
            None => 0,
        };
        let (priced, total) = priced.unwrap();
        prop_assert_eq!(total.net, priced.iter().map(|l| l.amounts.net).sum::<i64>());
        prop_assert_eq!(total.tax, priced.iter().map(|l| l.amounts.tax).sum::<i64>());
        prop_assert_eq!(total.gross, priced.iter().map(|l| l.amounts.gross).sum::<i64>());
        prop_assert_eq!(priced.iter().map(|l| l.order_discount).sum::<i64>(), expected_whole);
        let mut per_rate = std::collections::BTreeMap::new();
        for (l, s) in priced.iter().zip(&specs) {
            let base = s.unit_price * s.quantity.get();
            prop_assert!(l.line_discount >= 0 && l.order_discount >= 0);
            prop_assert!(l.line_discount + l.order_discount <= base, "{l:?}");
            let paid = base - l.line_discount - l.order_discount;
            let (exact_den, taxed) = match mode {
                TaxMode::Inclusive => { prop_assert_eq!(l.amounts.gross, paid); (10_000 + i128::from(s.tax_rate.basis_points()), i128::from(paid)) }
                TaxMode::Exclusive => { prop_assert_eq!(l.amounts.net, paid); (10_000, i128::from(paid)) }
            };
            prop_assert!((i128::from(l.amounts.tax) * exact_den - taxed * i128::from(s.tax_rate.basis_points())).abs() * 2 <= exact_den);
            *per_rate.entry(s.tax_rate.basis_points()).or_insert(0i64) += l.amounts.tax;
        }
        prop_assert_eq!(per_rate.values().sum::<i64>(), total.tax);
    }

    #[test]
    fn payments_settle_only_when_they_add_up(total in 1i64..1_000_000, card in 0i64..1_000_000, extra in 0i64..10_000) {
        let cash = total - card;
        let mut tenders = vec![];
        if card > 0 { tenders.push(Tender::Card { amount: card, reference: None }); }
        if cash != 0 { tenders.push(Tender::Cash { amount: cash, tendered: cash + extra }); }
        let r = settle(total, &tenders);
        let valid = cash >= 0;
        prop_assert_eq!(r.is_ok(), valid, "{:?}", r);
        if let Ok(ps) = r {
            prop_assert_eq!(ps.iter().map(|p| p.amount).sum::<i64>(), total);
            for p in ps.iter().filter(|p| p.method == PaymentMethod::Cash) {
                prop_assert_eq!(p.change, Some(extra));
            }
        }
    }

    /// Refunds per line, in random pieces, to random tenders first: a line never gives
    /// back more units than it had, a tender never more than was paid through it,
    /// and a line refunded in full gives back exactly its gross and its tax, so the
    /// refunds of a fully refunded order add up to its total and its tax per rate.
    #[test]
    fn per_line_refunds_never_exceed_a_line_or_a_tender_and_add_up_to_the_order(
        lines in proptest::collection::vec((0i64..100_000, 1i64..6, prop_oneof![Just(0u32), Just(700), Just(2_000)]), 1..5),
        mode in mode(),
        card_part in 0i64..1_000_000,
        asks in proptest::collection::vec((0usize..6, 1i64..5, proptest::option::of(any::<bool>())), 1..16),
    ) {
        let specs = lines.iter().map(|&(p, q, bp)| spec(p, q, bp)).collect();
        let mut d = order_data(specs, mode);
        let total = d.totals.gross;
        let card = card_part.min(total);
        let mut tenders = Vec::new();
        if card > 0 { tenders.push(Tender::Card { amount: card, reference: None }); }
        if total > card { tenders.push(Tender::Cash { amount: total - card, tendered: total - card }); }
        d.payments = settle(total, &tenders).unwrap();
        let paid_by = |m| d.payments.iter().filter(|p| p.method == m).map(|p| p.amount).sum::<i64>();
        let (paid_card, paid_cash) = (paid_by(PaymentMethod::Card), paid_by(PaymentMethod::Cash));
        for (line, units, to_card) in asks {
            let to = to_card.map(|c| if c { PaymentMethod::Card } else { PaymentMethod::Cash });
            let left = d.lines.get(line).map(|l| l.quantity.get() - refunded_units(&d)[line]);
            let req = RefundRequest { lines: vec![line_refund(line, units, true)], to, ..RefundRequest::everything(false) };
            match plan_refund(&d, req) {
                Ok((r, complete)) => {
                    prop_assert!(left.is_some_and(|l| units <= l), "line {line}: {units} of {left:?} accepted");
                    prop_assert!(to.is_none_or(|m| paid_by(m) > 0), "refund to {to:?}, never paid so");
                    prop_assert_eq!(r.payments.iter().map(|p| p.amount).sum::<i64>(), r.amount);
                    d.refunds.push(r);
                    let all = d.lines.iter().zip(refunded_units(&d)).all(|(l, k)| k == l.quantity.get());
                    prop_assert_eq!(complete, all);
                }
                Err(_) => prop_assert!(
                    left.is_none_or(|l| units > l) || to.is_some_and(|m| paid_by(m) == 0),
                    "line {line}: {units} of {left:?} to {to:?} refused"
                ),
            }
            prop_assert!(refunded_by(&d, PaymentMethod::Card) <= paid_card);
            prop_assert!(refunded_by(&d, PaymentMethod::Cash) <= paid_cash);
            let back: i64 = d.refunds.iter().map(|r| r.amount).sum();
            prop_assert!(back <= total);
            // Per line: what came back so far, and in full exactly the line.
            let units_back = refunded_units(&d);
            for (i, l) in d.lines.iter().enumerate() {
                let (mut amount, mut tax) = (0, 0);
                for r in &d.refunds {
                    if let RefundedItems::Lines(ls) = &r.items {
                        for x in ls.iter().filter(|x| x.line as usize == i) {
                            amount += x.amount;
                            tax += x.tax;
                        }
                    }
                }
                prop_assert!(amount <= l.amounts.gross && tax <= l.amounts.tax);
                if units_back[i] == l.quantity.get() {
                    prop_assert_eq!((amount, tax), (l.amounts.gross, l.amounts.tax));
                }
            }
            if units_back.iter().zip(&d.lines).all(|(&k, l)| k == l.quantity.get()) {
                prop_assert_eq!(back, total);
            }
        }
    }
}
