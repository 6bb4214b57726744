//! Closing a shift is a deliberate step: an absurd count is refused, the difference
//! is named before anything is written, and above the shop's limit a manager
//! approves with their PIN (recorded in the closing event).

use crate::helpers::{pin, spawn_shop, TestShop, PINS};
use rustok_core::domain::event::DomainEvent;
use rustok_core::domain::operator::OperatorName;
use rustok_core::domain::permission::Role;
use rustok_core::domain::upcast::Upcasters;
use rustok_core::service::ShopError;

fn with_limit(t: &TestShop, limit: Option<i64>, blind: bool) {
    let mut s = t.shop.shop_settings(&t.admin).unwrap().settings;
    s.shift_difference_limit = limit;
    s.blind_count = blind;
    t.shop.update_settings(&t.admin, s).unwrap();
}

fn field_code(e: ShopError) -> (String, &'static str) {
    match e {
        ShopError::Validation { fields } => (fields[0].field.clone(), fields[0].code),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn last_closing(t: &TestShop) -> rustok_core::domain::event::CashSessionClosed {
    let events = t.shop.store().events_after(0, 10_000).unwrap();
    events
        .iter()
        .rev()
        .find_map(|e| match e.decode(&Upcasters::standard()).unwrap() {
            DomainEvent::CashSessionClosed(c) => Some(c),
            _ => None,
        })
        .expect("a closing event")
}

/// Regression: a scanned barcode typed into "Counted cash" closed the shift with a
/// count of two trillion. Such a count is refused with a field error, and nothing
/// is written.
#[test]
fn a_scan_closes_the_shift() {
    let t = spawn_shop();
    // With a limit, the absurd count is still a field error, not a request for a
    // manager's approval of a two-trillion surplus.
    with_limit(&t, Some(500), false);
    t.open_shift(10_000);
    let before = t.event_count();
    for counted in [200_000_000_003_900_i64, 2_000_000_000_039] {
        let e = t
            .shop
            .close_cash_session(&t.cashier, counted, None)
            .unwrap_err();
        assert_eq!(field_code(e), ("counted".into(), "implausible"));
        let e = t.shop.preview_cash_close(&t.cashier, counted).unwrap_err();
        assert_eq!(field_code(e), ("counted".into(), "implausible"));
    }
    assert_eq!(t.event_count(), before, "nothing written");
    assert!(t.shop.current_cash_session(&t.cashier).unwrap().is_some());
    // A real surplus, even a large one, is a count, not a refusal.
    let p = t.shop.preview_cash_close(&t.cashier, 5_000_000).unwrap();
    assert_eq!((p.expected, p.difference), (10_000, 4_990_000));
}

#[test]
fn a_difference_above_the_limit_needs_a_managers_pin_and_records_the_approver() {
    let t = spawn_shop();
    with_limit(&t, Some(500), false);
    t.open_shift(10_000);
    let short = 10_000 - 5_159;
    let p = t.shop.preview_cash_close(&t.cashier, short).unwrap();
    assert_eq!(p.difference, -5_159);
    assert_eq!(p.limit, Some(500));
    assert!(p.approval_needed);
    assert!(matches!(
        t.shop.close_cash_session(&t.cashier, short, None),
        Err(ShopError::ApprovalRequired {
            difference: -5_159,
            limit: 500
        })
    ));
    // Another cashier's PIN approves nothing; a wrong manager PIN counts as one.
    let cashier_pin = pin(PINS[2].1);
    assert!(matches!(
        t.shop.close_cash_session(
            &t.cashier,
            short,
            Some((t.cashier.operator_id(), &cashier_pin))
        ),
        Err(ShopError::Forbidden { .. })
    ));
    assert!(matches!(
        t.shop.close_cash_session(
            &t.cashier,
            short,
            Some((t.manager.operator_id(), &pin("9999")))
        ),
        Err(ShopError::WrongPin { .. })
    ));
    assert!(t.shop.current_cash_session(&t.cashier).unwrap().is_some());
    let manager_pin = pin(PINS[1].1);
    let closed = t
        .shop
        .close_cash_session(
            &t.cashier,
            short,
            Some((t.manager.operator_id(), &manager_pin)),
        )
        .unwrap();
    let c = closed.closing.unwrap();
    assert_eq!(c.approved_by, Some(t.manager.operator_id()));
    assert_eq!(c.difference, -5_159);
    let event = last_closing(&t);
    assert_eq!(event.approved_by, Some(t.manager.operator_id()));
    assert_eq!(event.difference.minor, -5_159);
}

#[test]
fn within_the_limit_or_closed_by_a_manager_no_approval_is_asked() {
    let t = spawn_shop();
    with_limit(&t, Some(500), false);
    t.open_shift(10_000);
    let p = t.shop.preview_cash_close(&t.cashier, 10_500).unwrap();
    assert!(!p.approval_needed && p.limit.is_none());
    t.shop.close_cash_session(&t.cashier, 10_500, None).unwrap();
    assert_eq!(last_closing(&t).approved_by, None);
    t.open_shift(10_000);
    let p = t.shop.preview_cash_close(&t.manager, 20_000).unwrap();
    assert_eq!((p.limit, p.approval_needed), (Some(500), false));
    t.shop.close_cash_session(&t.manager, 20_000, None).unwrap();
    assert_eq!(last_closing(&t).approved_by, Some(t.manager.operator_id()));
}

#[test]
fn a_blind_count_hides_the_expected_cash_from_cashiers_only() {
    let t = spawn_shop();
    with_limit(&t, None, true);
    let s = t.shop.shop_settings(&t.admin).unwrap().settings;
    assert!(s.counts_blind(Role::Cashier));
    assert!(!s.counts_blind(Role::Manager));
    assert!(!s.counts_blind(Role::Admin));
    with_limit(&t, None, false);
    let s = t.shop.shop_settings(&t.admin).unwrap().settings;
    assert!(!s.counts_blind(Role::Cashier));
}

#[test]
fn a_negative_shift_limit_is_refused() {
    let t = spawn_shop();
    let mut s = t.shop.shop_settings(&t.admin).unwrap().settings;
    s.shift_difference_limit = Some(-1);
    assert!(matches!(
        t.shop.update_settings(&t.admin, s),
        Err(ShopError::Validation { .. })
    ));
}

/// The X report adds up the open shift and the Z report the closed one: receipts,
/// sales by tender and by tax rate (tax on what was paid after discounts),
/// discounts, refunds by tender, and cash; a later shift's sale is in neither.
#[test]
fn the_x_and_z_reports_add_up_the_shift() {
    use crate::helpers::{line_refund, new_order, product_fields};
    use rustok_core::domain::cash::CashMoveKind;
    use rustok_core::domain::order::Discount;
    use rustok_core::domain::payment::{PaymentMethod, RefundRequest, Tender};
    use rustok_core::domain::product::{ProductStatus, TaxRate};
    use rustok_core::domain::stock::Quantity;
    use rustok_core::domain::text::Reason;
    let t = spawn_shop();
    let tea = t.product("XTEA", 1_000, 50);
    let mut f = product_fields("XBOOK", 2_000, None);
    f.tax_rate = TaxRate::from_basis_points(1000).unwrap();
    let book = t
        .shop
        .create_product(&t.manager, f, ProductStatus::Active)
        .unwrap();
    t.shop
        .receive_stock(&t.manager, book.id, Quantity::new(5).unwrap(), None)
        .unwrap();
    t.open_shift(5_000);
    // Two teas, 5 % off, for cash (a 20.00 note).
    let mut first = new_order(&[(&tea, 2)]);
    first.lines[0].discount = Some(Discount::Percent(500));
    t.shop
        .counter_sale(
            &t.cashier,
            first,
            &[Tender::Cash {
                amount: 1_900,
                tendered: 2_000,
            }],
        )
        .unwrap();
    // A book and a tea: 15.00 by card, the rest in cash.
    let second = t
        .shop
        .counter_sale(
            &t.cashier,
            new_order(&[(&book, 1), (&tea, 1)]),
            &[
                Tender::Card {
                    amount: 1_500,
                    reference: None,
                },
                Tender::Cash {
                    amount: 1_500,
                    tendered: 1_500,
                },
            ],
        )
        .unwrap();
    // The tea comes back, in cash.
    t.shop
        .refund_order(
            &t.manager,
            second.data().id,
            RefundRequest {
                lines: vec![line_refund(1, 1, true)],
                restock: true,
                to: Some(PaymentMethod::Cash),
                reason: None,
            },
        )
        .unwrap();
    t.shop
        .move_cash(
            &t.cashier,
            CashMoveKind::In,
            300,
            Reason::parse("coins from the bank").unwrap(),
        )
        .unwrap();

    let x = t.shop.shift_report(&t.cashier, None).unwrap();
    let check = |r: &rustok_core::service::ShiftReport| {
        assert_eq!(r.receipts, 2);
        assert_eq!(r.sales.gross, 4_900);
        assert_eq!(r.discounts, 100);
        assert_eq!(
            r.tenders,
            [(PaymentMethod::Cash, 3_400), (PaymentMethod::Card, 1_500)]
        );
        // 10 %: 20.00 → 1.82; 20 %: 19.00 → 3.17 and 10.00 → 1.67.
        let tax: Vec<_> = r
            .tax
            .iter()
            .map(|l| (l.rate.basis_points(), l.amounts.gross, l.amounts.tax))
            .collect();
        assert_eq!(tax, [(1000, 2_000, 182), (2000, 2_900, 484)]);
        assert_eq!(
            r.tax.iter().map(|l| l.amounts.tax).sum::<i64>(),
            r.sales.tax
        );
        assert_eq!((r.refunds, r.refunded), (1, 1_000));
        assert_eq!(r.refund_tenders, [(PaymentMethod::Cash, 1_000)]);
        assert_eq!(r.session.totals.expected(), 5_000 + 3_400 - 1_000 + 300);
    };
    check(&x);
    assert!(x.session.closing.is_none() && x.shows_expected);
    let closed = t.shop.close_cash_session(&t.cashier, 7_700, None).unwrap();

    // The next shift sells; the first shift's Z report is unchanged.
    t.open_shift(0);
    t.sell(&[(&tea, 1)]);
    let z = t.shop.shift_report(&t.manager, Some(closed.id)).unwrap();
    check(&z);
    assert_eq!(z.session.closing.as_ref().unwrap().difference, 0);
    assert_eq!(t.shop.shift_report(&t.cashier, None).unwrap().receipts, 1);
    // The Z report names the till and the people; no difference, no approver.
    assert_eq!(z.till.as_str(), "POS1");
    let name = |n: &Option<OperatorName>| n.as_ref().map(|n| n.as_str().to_owned());
    assert_eq!(name(&z.opened_by).as_deref(), Some("Cara Cashier"));
    assert_eq!(name(&z.closed_by).as_deref(), Some("Cara Cashier"));
    assert_eq!(name(&z.approved_by), None);
    assert_eq!(name(&x.closed_by), None, "an X report has nobody closing");

    // Closed shifts are listed, the last closed first, for their Z reports.
    t.clock.advance_ms(60_000);
    let second = t.shop.close_cash_session(&t.manager, 250, None).unwrap();
    let listed: Vec<_> = t
        .shop
        .closed_shifts(&t.manager, 50)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, [second.id, closed.id]);
    assert_eq!(t.shop.closed_shifts(&t.manager, 1).unwrap().len(), 1);
    assert_eq!(
        t.shop.closed_shifts(&t.manager, 0).unwrap().len(),
        1,
        "at least one"
    );
    assert!(matches!(
        t.shop.closed_shifts(&t.kiosk, 50),
        Err(ShopError::Forbidden { .. })
    ));
}
