//! Whole use cases, as a shop runs them.

use crate::helpers::*;
use rustok_core::domain::cash::CashMoveKind;
use rustok_core::domain::content::{
    ContentFields, ContentKind, ContentSlug, ContentStatus, ContentTitle, Translation,
};
use rustok_core::domain::event::{DomainEvent, OrderCreated, OrderPaid};
use rustok_core::domain::ids::{OrderId, ProductId};
use rustok_core::domain::locale::Localized;
use rustok_core::domain::operator::OperatorName;
use rustok_core::domain::order::AnyOrder;
use rustok_core::domain::order::{Discount, OrderStatus, TrackingNumber};
use rustok_core::domain::payment::{PaymentMethod, RefundRequest, Tender};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::ProductStatus;
use rustok_core::domain::product::Sku;
use rustok_core::domain::stock::{Quantity, StockDelta};
use rustok_core::domain::tenant::TaxMode;
use rustok_core::domain::text::Reason;
use rustok_core::domain::ticket::{Ticket, TicketLine};
use rustok_core::domain::upcast::Upcasters;
use rustok_core::service::{NewOrder, ShopError, ShortLine};

#[test]
fn counter_sale_with_cash_gives_change_and_delivers_in_one_step() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    let cake = t.product("CAKE", 399, 3);
    t.open_shift(10_000);
    let before = t.event_count();
    let order = t
        .shop
        .counter_sale(
            &t.cashier,
            new_order(&[(&tea, 2), (&cake, 1)]),
            &[Tender::Cash {
                amount: 899,
                tendered: 1000,
            }],
        )
        .unwrap();
    assert_eq!(order.status(), OrderStatus::Delivered);
    let d = order.data();
    assert_eq!(d.number.as_str(), "POS1-000001");
    assert_eq!(d.totals.gross, 899);
    // 20 % included: tax per line 500 * 2000/12000 = 83.33 → 83; 399 → 66.5 → 67.
    assert_eq!(d.totals.tax, 83 + 67);
    assert_eq!(d.payments[0].change, Some(101));
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, 8);
    assert_eq!(t.shop.product(&t.cashier, cake.id).unwrap().on_hand, 2);
    let shift = t.shop.current_cash_session(&t.cashier).unwrap().unwrap();
    assert_eq!(shift.totals.sales, 899);
    let types: Vec<String> = t
        .shop
        .store()
        .events_after(before, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "OrderCreated",
            "OrderConfirmed",
            "OrderPaid",
            "StockMoved",
            "StockMoved",
            "OrderDelivered"
        ]
    );
    let stored = t.shop.order(&t.cashier, d.id).unwrap();
    assert_eq!(stored, order);
}

#[test]
fn selling_needs_an_open_shift() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    let err = t.shop.counter_sale(
        &t.cashier,
        new_order(&[(&tea, 1)]),
        &[Tender::Card {
            amount: 250,
            reference: None,
        }],
    );
    assert!(
        matches!(err, Err(ShopError::CashSessionRequired)),
        "{err:?}"
    );
}

/// The newest event `pick` takes.
fn last_event<T>(t: &TestShop, pick: fn(DomainEvent) -> Option<T>) -> T {
    let events = t.shop.store().events_after(0, 10_000).unwrap();
    events
        .iter()
        .rev()
        .find_map(|e| pick(e.decode(&Upcasters::standard()).unwrap()))
        .expect("such an event")
}

fn last_payment(t: &TestShop) -> OrderPaid {
    last_event(t, |e| match e {
        DomainEvent::OrderPaid(p) => Some(p),
        _ => None,
    })
}

fn last_created(t: &TestShop) -> OrderCreated {
    last_event(t, |e| match e {
        DomainEvent::OrderCreated(p) => Some(p),
        _ => None,
    })
}

/// Discounts at the counter: a cashier gives up to the shop's limit (10 % here)
/// alone; above it a manager approves with their PIN (a wrong one is refused and
/// nothing is written) and `OrderCreated` names them; a manager needs nobody; a
/// kiosk gives none; tax is on what is paid, and a full refund gives back exactly
/// what was paid.
#[test]
fn a_discount_above_the_cashiers_limit_needs_a_manager() {
    let t = spawn_shop_with(TaxMode::Inclusive, false);
    let tea = t.product("TEA", 1_000, 50);
    let cake = t.product("CAKE", 3_000, 50);
    t.open_shift(0);
    let card = |amount| {
        [Tender::Card {
            amount,
            reference: None,
        }]
    };
    // 5 % off the tea line: within the limit.
    let mut basket = new_order(&[(&tea, 2), (&cake, 1)]);
    basket.lines[0].discount = Some(Discount::Percent(500));
    let q = t.shop.quote(&t.cashier, &basket.lines, None).unwrap();
    assert_eq!((q.discount, q.totals.gross), (100, 4_900));
    assert!(!q.discount_needs_approval);
    t.shop
        .counter_sale(&t.cashier, basket.clone(), &card(4_900))
        .unwrap();
    let created = last_created(&t);
    assert_eq!(created.lines[0].line_discount, 100);
    assert_eq!(created.discount_approved_by, None);

    // 10.00 off the whole sale of 50.00 (20 %): a manager must approve.
    let mut big = new_order(&[(&tea, 2), (&cake, 1)]);
    big.discount = Some(Discount::Amount(1_000));
    let q = t.shop.quote(&t.cashier, &big.lines, big.discount).unwrap();
    assert!(q.discount_needs_approval);
    assert_eq!(q.totals.gross, 4_000);
    // Shared in proportion: 2 × 10.00 of 50.00 and 30.00 of 50.00.
    assert_eq!(
        q.lines.iter().map(|l| l.order_discount).collect::<Vec<_>>(),
        [400, 600]
    );
    let before = t.fingerprint();
    match t.shop.counter_sale(&t.cashier, big.clone(), &card(4_000)) {
        Err(ShopError::DiscountApprovalRequired { limit_bp: 1000 }) => {}
        other => panic!("expected a request for approval, got {other:?}"),
    }
    assert_eq!(t.fingerprint(), before, "nothing sold, nothing written");
    let manager_id = t.manager.operator_id();
    let wrong = t.shop.counter_sale_approved(
        &t.cashier,
        big.clone(),
        &card(4_000),
        Some((manager_id, &pin("0000"))),
    );
    assert!(
        matches!(wrong, Err(ShopError::WrongPin { .. })),
        "{wrong:?}"
    );
    let sold = t
        .shop
        .counter_sale_approved(
            &t.cashier,
            big.clone(),
            &card(4_000),
            Some((manager_id, &pin(PINS[1].1))),
        )
        .unwrap();
    assert_eq!(last_created(&t).discount_approved_by, Some(manager_id));
    // Tax is on what was paid: 20 % inclusive of 16.00 and 24.00.
    assert_eq!(
        sold.data()
            .lines
            .iter()
            .map(|l| l.amounts.tax)
            .collect::<Vec<_>>(),
        [267, 400]
    );
    // Everything back: exactly what was paid.
    let refunded = t
        .shop
        .refund_order(&t.manager, sold.data().id, RefundRequest::everything(true))
        .unwrap();
    assert_eq!(refunded.data().refunds[0].amount, 4_000);

    // A manager gives it alone, and nobody is recorded.
    t.shop
        .counter_sale(&t.manager, big.clone(), &card(4_000))
        .unwrap();
    assert_eq!(last_created(&t).discount_approved_by, None);
    // A kiosk gives no discount at all.
    assert!(matches!(
        t.shop.create_order(&t.kiosk, basket),
        Err(ShopError::Forbidden { .. })
    ));
    // More than the line costs is refused with a field error.
    let mut silly = new_order(&[(&tea, 1)]);
    silly.lines[0].discount = Some(Discount::Amount(1_001));
    match t.shop.quote(&t.cashier, &silly.lines, None) {
        Err(ShopError::Validation { fields }) => {
            assert_eq!(
                (fields[0].field.as_str(), fields[0].code),
                ("lines[0].discount", "too_large")
            )
        }
        other => panic!("{other:?}"),
    }
}

/// Park and resume: a cart put aside keeps its lines, units and discounts across a
/// restart (the shop opened again on the same file); taking it up again removes it,
/// so a second try (another till, a double click) finds nothing; an unknown product
/// or an empty cart is refused and parks nothing. Both steps are device events.
#[test]
fn a_parked_sale_survives_a_restart_and_is_taken_up_once() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 5);
    let mut basket = new_order(&[(&tea, 3)]);
    basket.lines[0].discount = Some(Discount::Percent(500));
    let parked = t
        .shop
        .park_sale(&t.cashier, &basket.lines, Some(Discount::Amount(10)))
        .unwrap();
    let before = t.fingerprint();
    let mut ghost = basket.lines.clone();
    ghost[0].product_id = rustok_core::domain::ids::ProductId::from_uuid(uuid::Uuid::from_u128(77));
    match t.shop.park_sale(&t.cashier, &ghost, None) {
        Err(ShopError::Validation { fields }) => assert_eq!(fields[0].field, "lines[0].product_id"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.shop.park_sale(&t.cashier, &[], None),
        Err(ShopError::Validation { .. })
    ));
    assert!(matches!(
        t.shop.park_sale(&t.kiosk, &basket.lines, None),
        Err(ShopError::Forbidden { .. })
    ));
    assert_eq!(t.fingerprint(), before, "refusals park nothing");

    // The till restarts: the same file, a new Shop.
    let again = open_shop(&t.db_path(), t.clock.clone(), 8);
    let cashier = again
        .login(t.cashier.operator_id(), &pin(PINS[2].1))
        .unwrap();
    let listed = again.parked_sales(&cashier).unwrap();
    assert_eq!(listed, std::slice::from_ref(&parked));
    let resumed = again.resume_sale(&cashier, parked.id).unwrap();
    assert_eq!(resumed.basket, parked.basket);
    assert_eq!(
        rustok_core::service::parked_lines(&resumed.basket)[0].discount,
        Some(Discount::Percent(500))
    );
    assert!(again.parked_sales(&cashier).unwrap().is_empty());
    assert!(matches!(
        again.resume_sale(&cashier, parked.id),
        Err(ShopError::NotFound { .. })
    ));
    let kinds: Vec<_> = again
        .store()
        .events_after(0, 10_000)
        .unwrap()
        .iter()
        .map(|e| e.event_type.clone())
        .filter(|t| t.contains("Park"))
        .collect();
    assert_eq!(kinds, ["SaleParked", "ParkedSaleResumed"]);
}

/// Bug 5 of the counter trial: "only 0 of DEMO-004 in stock" refused the whole sale
/// at payment while the customer held the goods. The quote (asked at every scan)
/// names the short lines; without overselling a manager's PIN approves them, and
/// the payment event records the lines and the approver; with overselling the sale
/// goes through and records the lines.
#[test]
fn stock_blocks_the_sale_only_at_payment() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 1);
    let cake = t.product("CAKE", 399, 5);
    t.open_shift(0);
    // Tea on two lines: the second one is short, counted after the first.
    let basket = new_order(&[(&cake, 2), (&tea, 1), (&tea, 1)]);
    let q = t.shop.quote(&t.cashier, &basket.lines, None).unwrap();
    assert!(!q.oversell_allowed);
    assert_eq!(
        q.short,
        [ShortLine {
            line: 2,
            sku: Sku::parse("TEA").unwrap(),
            on_hand: 0,
            quantity: 1
        }]
    );
    let card = [Tender::Card {
        amount: 2 * 399 + 2 * 250,
        reference: None,
    }];
    let before = t.fingerprint();
    match t.shop.counter_sale(&t.cashier, basket.clone(), &card) {
        Err(ShopError::StockApprovalRequired { short }) => assert_eq!(short, q.short),
        other => panic!("expected a request for approval, got {other:?}"),
    }
    assert_eq!(t.fingerprint(), before, "nothing sold, nothing written");
    let manager_id = t.manager.operator_id();
    let wrong = t.shop.counter_sale_approved(
        &t.cashier,
        basket.clone(),
        &card,
        Some((manager_id, &pin("0000"))),
    );
    assert!(
        matches!(wrong, Err(ShopError::WrongPin { .. })),
        "{wrong:?}"
    );
    let cashier_pin = pin(PINS[2].1);
    let own = t.shop.counter_sale_approved(
        &t.cashier,
        basket.clone(),
        &card,
        Some((t.cashier.operator_id(), &cashier_pin)),
    );
    assert!(matches!(own, Err(ShopError::Forbidden { .. })), "{own:?}");
    // The PINs were checked like log-ins (the wrong one counts to a lockout), but
    // nothing was sold.
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, 1);

    let manager_pin = pin(PINS[1].1);
    t.shop
        .counter_sale_approved(
            &t.cashier,
            basket.clone(),
            &card,
            Some((manager_id, &manager_pin)),
        )
        .unwrap();
    let paid = last_payment(&t);
    assert_eq!(paid.oversold, [2]);
    assert_eq!(paid.oversell_approved_by, Some(manager_id));
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, -1);

    // A manager selling needs nobody else, and is recorded as the approver; a sale
    // within stock records nothing.
    t.shop
        .counter_sale(
            &t.manager,
            new_order(&[(&tea, 1)]),
            &[Tender::Card {
                amount: 250,
                reference: None,
            }],
        )
        .unwrap();
    assert_eq!(last_payment(&t).oversell_approved_by, Some(manager_id));
    t.sell(&[(&cake, 1)]);
    let within = last_payment(&t);
    assert!(within.oversold.is_empty() && within.oversell_approved_by.is_none());

    // A shop that allows overselling sells at once and still records the line.
    let t = spawn_shop_with(TaxMode::Inclusive, true);
    let tea = t.product("TEA", 250, 1);
    t.open_shift(0);
    let q = t
        .shop
        .quote(&t.cashier, &new_order(&[(&tea, 2)]).lines, None)
        .unwrap();
    assert!(q.oversell_allowed && q.short.len() == 1);
    t.sell(&[(&tea, 2)]);
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, -1);
    let paid = last_payment(&t);
    assert_eq!((paid.oversold, paid.oversell_approved_by), (vec![0], None));
}

#[test]
fn delivery_order_goes_through_shipping() {
    let t = spawn_shop_with(TaxMode::Exclusive, false);
    let lamp = t.product("LAMP", 10_000, 5);
    t.open_shift(0);
    let o = t
        .shop
        .create_order(&t.kiosk, new_order(&[(&lamp, 1)]))
        .unwrap();
    assert_eq!(o.status(), OrderStatus::Pending);
    assert_eq!(o.data().totals.gross, 12_000, "20 % added on top");
    let id = o.data().id;
    t.shop.confirm_order(&t.cashier, id).unwrap();
    let paid = t
        .shop
        .pay_order(
            &t.cashier,
            id,
            vec![
                Tender::Card {
                    amount: 7_000,
                    reference: None,
                },
                Tender::Cash {
                    amount: 5_000,
                    tendered: 5_000,
                },
            ],
        )
        .unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    assert_eq!(t.shop.product(&t.cashier, lamp.id).unwrap().on_hand, 4);
    let shipped = t
        .shop
        .ship_order(
            &t.cashier,
            id,
            Some(TrackingNumber::parse("JJD0001").unwrap()),
        )
        .unwrap();
    assert_eq!(
        shipped.data().tracking.as_ref().unwrap().as_str(),
        "JJD0001"
    );
    let delivered = t.shop.deliver_order(&t.cashier, id).unwrap();
    assert_eq!(delivered.status(), OrderStatus::Delivered);
    let history: Vec<String> = t
        .shop
        .order_history(&t.manager, id)
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        history,
        [
            "OrderCreated",
            "OrderConfirmed",
            "OrderPaid",
            "StockMoved",
            "OrderShipped",
            "OrderDelivered"
        ]
    );
    let again = t.shop.ship_order(&t.cashier, id, None);
    assert!(
        matches!(
            again,
            Err(ShopError::InvalidTransition {
                from: "delivered",
                action: "ship"
            })
        ),
        "{again:?}"
    );
}

/// Bug 6 of the counter trial: refunding 1.00 of 2.49 with restock marked the order
/// Refunded, put the whole line back in stock and left nothing refundable.
#[test]
fn a_partial_refund_closes_the_order_and_restocks_everything() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    let cake = t.product("CAKE", 399, 5);
    t.open_shift(1_000);
    // 3 teas and 2 cakes, 15.48: 10.00 by card, 5.48 in cash.
    let order = t
        .shop
        .counter_sale(
            &t.cashier,
            new_order(&[(&tea, 3), (&cake, 2)]),
            &[
                Tender::Card {
                    amount: 1_000,
                    reference: None,
                },
                Tender::Cash {
                    amount: 548,
                    tendered: 600,
                },
            ],
        )
        .unwrap();
    let id = order.data().id;
    let on_hand = |p: &rustok_core::domain::product::Product| {
        t.shop.product(&t.cashier, p.id).unwrap().on_hand
    };
    let drawer = || {
        t.shop
            .current_cash_session(&t.cashier)
            .unwrap()
            .unwrap()
            .totals
            .expected()
    };
    assert_eq!((on_hand(&tea), on_hand(&cake)), (7, 3));
    assert_eq!(drawer(), 1_548);
    let one_tea = |to| RefundRequest {
        lines: vec![line_refund(0, 1, true)],
        to,
        reason: Some(Reason::parse("dented tin").unwrap()),
        restock: false,
    };
    let forbidden = t.shop.refund_order(&t.cashier, id, one_tea(None));
    assert!(matches!(forbidden, Err(ShopError::Forbidden { .. })));

    // The screen names the refund first: what it would give back, recording
    // nothing, checked like the refund (a cashier may not, too many units fail).
    let before = t.event_count();
    let preview = t
        .shop
        .preview_refund(&t.manager, id, one_tea(Some(PaymentMethod::Cash)))
        .unwrap();
    assert_eq!(t.event_count(), before, "a preview records nothing");
    assert!(matches!(
        t.shop.preview_refund(&t.cashier, id, one_tea(None)),
        Err(ShopError::Forbidden { .. })
    ));
    let too_many = RefundRequest {
        lines: vec![line_refund(0, 4, true)],
        ..one_tea(None)
    };
    assert!(matches!(
        t.shop.preview_refund(&t.manager, id, too_many),
        Err(ShopError::Validation { .. })
    ));

    // One tea back on the shelf, its 2.50 back in cash as asked.
    let partly = t
        .shop
        .refund_order(&t.manager, id, one_tea(Some(PaymentMethod::Cash)))
        .unwrap();
    assert_eq!(partly.status(), OrderStatus::PartiallyRefunded);
    let r = partly.data().refunds.last().unwrap();
    assert_eq!(r, &preview, "the refund made is the one named");
    assert_eq!(r.amount, 250);
    assert_eq!(r.paid_by(PaymentMethod::Cash), 250);
    assert_eq!((on_hand(&tea), on_hand(&cake)), (8, 3));
    assert_eq!(drawer(), 1_298);
    assert_eq!(
        t.event_count() - before,
        2,
        "OrderRefunded and one StockMoved"
    );

    // A cake, not restocked (broken), to the card by default.
    let cake_back = t
        .shop
        .refund_order(
            &t.manager,
            id,
            RefundRequest {
                lines: vec![line_refund(1, 1, false)],
                ..RefundRequest::everything(false)
            },
        )
        .unwrap();
    assert_eq!(cake_back.status(), OrderStatus::PartiallyRefunded);
    let r = cake_back.data().refunds.last().unwrap();
    assert_eq!((r.amount, r.paid_by(PaymentMethod::Card)), (399, 399));
    assert_eq!((on_hand(&tea), on_hand(&cake)), (8, 3));

    // More teas than are left: refused, nothing changes.
    let before = t.event_count();
    let too_many = t.shop.refund_order(
        &t.manager,
        id,
        RefundRequest {
            lines: vec![line_refund(0, 3, true)],
            ..RefundRequest::everything(false)
        },
    );
    assert!(
        matches!(&too_many, Err(ShopError::Validation { fields, .. }) if fields[0].code == "too_many_units"),
        "{too_many:?}"
    );
    assert_eq!(t.event_count(), before);

    // The rest, restocked: card gets what is left of its 10.00, cash the remainder.
    let all = t
        .shop
        .refund_order(&t.manager, id, RefundRequest::everything(true))
        .unwrap();
    assert_eq!(all.status(), OrderStatus::Refunded);
    let r = all.data().refunds.last().unwrap();
    assert_eq!(r.amount, 1_548 - 250 - 399);
    assert_eq!(r.paid_by(PaymentMethod::Card), 1_000 - 399);
    assert_eq!(r.paid_by(PaymentMethod::Cash), 548 - 250);
    let back: i64 = all.data().refunds.iter().map(|r| r.amount).sum();
    assert_eq!(back, 1_548);
    assert_eq!((on_hand(&tea), on_hand(&cake)), (10, 4));
    assert_eq!(drawer(), 1_000);
    let nothing = t
        .shop
        .refund_order(&t.manager, id, RefundRequest::everything(true));
    assert!(
        matches!(nothing, Err(ShopError::InvalidTransition { .. })),
        "{nothing:?}"
    );
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
}

#[test]
fn cash_session_close_reports_the_difference_and_unsynced_events() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    t.open_shift(5_000);
    t.shop
        .counter_sale(
            &t.cashier,
            new_order(&[(&tea, 2)]),
            &[Tender::Cash {
                amount: 500,
                tendered: 2_000,
            }],
        )
        .unwrap();
    t.shop
        .move_cash(
            &t.cashier,
            CashMoveKind::Out,
            1_000,
            Reason::parse("to the safe").unwrap(),
        )
        .unwrap();
    t.shop
        .move_cash(
            &t.cashier,
            CashMoveKind::In,
            200,
            Reason::parse("coins").unwrap(),
        )
        .unwrap();
    let too_much = t.shop.move_cash(
        &t.cashier,
        CashMoveKind::Out,
        1_000_000,
        Reason::parse("oops").unwrap(),
    );
    assert!(matches!(too_much, Err(ShopError::Validation { .. })));
    // A cash-in no drawer takes (a barcode typed into the amount) is refused too.
    let before = t.fingerprint();
    for absurd in [20_000_000_000_039, 999_999_900] {
        match t.shop.move_cash(
            &t.cashier,
            CashMoveKind::In,
            absurd,
            Reason::parse("slip").unwrap(),
        ) {
            Err(ShopError::Validation { fields }) => assert_eq!(fields[0].code, "implausible"),
            other => panic!("{absurd}: expected implausible, got {other:?}"),
        }
    }
    assert_eq!(t.fingerprint(), before);
    let closed = t.shop.close_cash_session(&t.cashier, 4_650, None).unwrap();
    let c = closed.closing.unwrap();
    assert_eq!(c.expected, 5_000 + 500 - 1_000 + 200);
    assert_eq!(c.difference, -50);
    assert_eq!(
        c.unsynced_events,
        t.event_count() - 1,
        "every event before the closing one is unsynced"
    );
    assert!(t.shop.current_cash_session(&t.cashier).unwrap().is_none());
    assert!(matches!(
        t.shop.close_cash_session(&t.cashier, 0, None),
        Err(ShopError::CashSessionRequired)
    ));
    t.open_shift(0);
    assert!(matches!(
        t.shop.open_cash_session(&t.cashier, 0),
        Err(ShopError::CashSessionOpen)
    ));
}

fn page(slug: &str, title_en: &str) -> ContentFields {
    ContentFields {
        kind: ContentKind::Promo,
        slug: ContentSlug::parse(slug).unwrap(),
        position: 1,
        translations: Localized::new()
            .with(
                en(),
                Translation {
                    title: ContentTitle::parse(title_en).unwrap(),
                    excerpt: None,
                    body: None,
                },
            )
            .with(
                ru(),
                Translation {
                    title: ContentTitle::parse("Скидки").unwrap(),
                    excerpt: None,
                    body: None,
                },
            ),
        products: vec![],
    }
}

/// A barcode already on another product is refused, naming that product's SKU, so
/// the manager knows where to look; nothing is written.
#[test]
fn a_barcode_already_used_names_the_product_that_has_it() {
    let t = spawn_shop();
    t.shop
        .create_product(
            &t.manager,
            product_fields("TEA", 250, Some(ean13(7))),
            ProductStatus::Active,
        )
        .unwrap();
    let fingerprint = t.fingerprint();
    match t.shop.create_product(
        &t.manager,
        product_fields("COFFEE", 599, Some(ean13(7))),
        ProductStatus::Active,
    ) {
        Err(ShopError::Validation { fields }) => {
            assert_eq!(
                (fields[0].field.as_str(), fields[0].code),
                ("barcode", "taken")
            );
            assert!(fields[0]
                .params
                .iter()
                .any(|(k, v)| *k == "sku" && v == "TEA"));
        }
        other => panic!("expected barcode taken, got {other:?}"),
    }
    assert_eq!(t.fingerprint(), fingerprint);
}

/// A promo names the products it is about (the kiosk marks their tiles): kept in
/// order, carried by its events, and only real products of this shop, each once,
/// on a promo only; a refused form changes nothing.
#[test]
fn a_promo_names_its_products_and_nothing_else_does() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    let cake = t.product("CAKE", 399, 10);
    let mut f = page("tea-week", "Tea week");
    f.products = vec![tea.id, cake.id];
    let node = t.shop.create_content(&t.manager, f.clone()).unwrap();
    assert_eq!(node.data().fields.products, [tea.id, cake.id]);
    let created = last_event(&t, |e| match e {
        DomainEvent::ContentCreated(p) => Some(p),
        _ => None,
    });
    assert_eq!(created.fields.products, [tea.id, cake.id]);
    let data = serde_json::to_value(&created).unwrap();
    assert_eq!(
        data["products"],
        serde_json::json!([tea.id.to_string(), cake.id.to_string()]),
        "{data}"
    );
    let read = t.shop.content(&t.manager, node.data().id).unwrap();
    assert_eq!(read.data().fields.products, [tea.id, cake.id]);

    let refused = |f: ContentFields| match t.shop.update_content(&t.manager, node.data().id, 1, f) {
        Err(ShopError::Validation { fields }) => (fields[0].field.clone(), fields[0].code),
        other => panic!("expected a field error, got {other:?}"),
    };
    let fingerprint = t.fingerprint();
    let mut on_a_page = f.clone();
    on_a_page.kind = ContentKind::Page;
    assert_eq!(refused(on_a_page), ("products".into(), "promo_only"));
    let mut twice = f.clone();
    twice.products = vec![tea.id, cake.id, tea.id];
    assert_eq!(refused(twice), ("products[2]".into(), "duplicate"));
    let mut ghost = f.clone();
    ghost.products = vec![tea.id, ProductId::from_uuid(uuid::Uuid::from_u128(404))];
    assert_eq!(refused(ghost), ("products[1]".into(), "unknown"));
    let mut many = f.clone();
    many.products = (0..51u128)
        .map(|i| ProductId::from_uuid(uuid::Uuid::from_u128(i + 1)))
        .collect();
    assert_eq!(refused(many).1, "too_many");
    assert_eq!(t.fingerprint(), fingerprint);
}

#[test]
fn content_is_published_then_archived_and_archived_is_final() {
    let t = spawn_shop();
    let node = t
        .shop
        .create_content(&t.manager, page("spring-sale", "Spring sale"))
        .unwrap();
    let id = node.data().id;
    assert_eq!(node.status(), ContentStatus::Draft);
    assert!(matches!(
        t.shop
            .create_content(&t.manager, page("spring-sale", "Again")),
        Err(ShopError::Validation { .. })
    ));
    let published = t.shop.publish_content(&t.manager, id).unwrap();
    assert_eq!(published.status(), ContentStatus::Published);
    assert_eq!(published.data().published_at, Some(START));
    let listed = t
        .shop
        .contents(
            &t.kiosk,
            Some(ContentKind::Promo),
            Some(ContentStatus::Published),
        )
        .unwrap();
    assert_eq!(listed.len(), 1);
    let archived = t.shop.archive_content(&t.manager, id).unwrap();
    assert_eq!(archived.status(), ContentStatus::Archived);
    assert!(matches!(
        t.shop.publish_content(&t.manager, id),
        Err(ShopError::InvalidTransition {
            from: "archived",
            ..
        })
    ));
    assert!(matches!(
        t.shop
            .update_content(&t.manager, id, archived.data().version, page("x", "y")),
        Err(ShopError::InvalidTransition { .. })
    ));
    let draft = t
        .shop
        .create_content(&t.manager, page("old", "Old"))
        .unwrap();
    let direct = t.shop.archive_content(&t.manager, draft.data().id).unwrap();
    assert_eq!(
        direct.status(),
        ContentStatus::Archived,
        "a draft may be archived directly"
    );
}

#[test]
fn stale_product_edit_is_a_conflict_and_changes_nothing() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 0);
    let v = tea.version;
    let mut f = tea.fields.clone();
    f.price = eur_cents(300);
    let edited = t
        .shop
        .update_product(&t.manager, tea.id, v, f.clone())
        .unwrap();
    assert_eq!(edited.version, v + 1);
    let before = t.fingerprint();
    f.price = eur_cents(200);
    let stale = t.shop.update_product(&t.admin, tea.id, v, f);
    assert!(
        matches!(stale, Err(ShopError::Conflict { expected, found, .. }) if expected == v && found == v + 1),
        "{stale:?}"
    );
    assert_eq!(t.fingerprint(), before);
    assert_eq!(
        t.shop
            .product(&t.cashier, tea.id)
            .unwrap()
            .fields
            .price
            .minor,
        300
    );
}

#[test]
fn archived_products_cannot_be_sold_and_stock_moves_by_movements_only() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 5);
    t.shop
        .adjust_stock(
            &t.manager,
            tea.id,
            StockDelta::new(-2).unwrap(),
            Reason::parse("broken").unwrap(),
        )
        .unwrap();
    let below = t.shop.adjust_stock(
        &t.manager,
        tea.id,
        StockDelta::new(-4).unwrap(),
        Reason::parse("lost").unwrap(),
    );
    assert!(matches!(below, Err(ShopError::Validation { .. })));
    t.shop
        .receive_stock(&t.manager, tea.id, Quantity::new(1).unwrap(), None)
        .unwrap();
    let moves = t.shop.stock_movements(&t.manager, tea.id, 10).unwrap();
    assert_eq!(
        moves.iter().map(|m| m.delta).collect::<Vec<_>>(),
        [1, -2, 5]
    );
    let p = t.shop.product(&t.manager, tea.id).unwrap();
    assert_eq!(p.on_hand, 4);
    t.shop
        .set_product_status(&t.manager, tea.id, p.version, ProductStatus::Archived)
        .unwrap();
    t.open_shift(0);
    let err = t.shop.counter_sale(
        &t.cashier,
        new_order(&[(&tea, 1)]),
        &[Tender::Card {
            amount: 250,
            reference: None,
        }],
    );
    assert!(
        matches!(err, Err(ShopError::Validation { ref fields }) if fields[0].code == "not_sellable"),
        "{err:?}"
    );
}

#[test]
fn five_wrong_pins_lock_the_operator_for_thirty_seconds() {
    let t = spawn_shop();
    let id = t.cashier.operator_id();
    for left in (1..=4).rev() {
        let e = t.shop.login(id, &pin("0000"));
        assert!(
            matches!(e, Err(ShopError::WrongPin { attempts_left }) if attempts_left == left),
            "{e:?}"
        );
    }
    assert!(matches!(
        t.shop.login(id, &pin("0000")),
        Err(ShopError::Locked {
            retry_after_secs: 30
        })
    ));
    // Even the right PIN is refused while locked.
    t.clock.advance_ms(10_500);
    assert!(matches!(
        t.shop.login(id, &pin(PINS[2].1)),
        Err(ShopError::Locked {
            retry_after_secs: 20
        })
    ));
    t.clock.advance_ms(19_500);
    assert!(t.shop.login(id, &pin(PINS[2].1)).is_ok());
    // Success resets the count.
    assert!(matches!(
        t.shop.login(id, &pin("0000")),
        Err(ShopError::WrongPin { attempts_left: 4 })
    ));
}

#[test]
fn deactivated_operator_cannot_act_with_an_old_session() {
    let t = spawn_shop();
    t.shop
        .deactivate_operator(&t.manager, t.cashier.operator_id())
        .unwrap();
    assert!(matches!(
        t.shop.current_cash_session(&t.cashier),
        Err(ShopError::Forbidden { .. })
    ));
    assert!(matches!(
        t.shop.login(t.cashier.operator_id(), &pin(PINS[2].1)),
        Err(ShopError::Forbidden { .. })
    ));
    // A manager may not touch the admin, and the last admin stays.
    assert!(matches!(
        t.shop
            .deactivate_operator(&t.manager, t.admin.operator_id()),
        Err(ShopError::Forbidden { .. })
    ));
    assert!(matches!(
        t.shop.deactivate_operator(&t.admin, t.admin.operator_id()),
        Err(ShopError::Validation { .. })
    ));
}

/// Bug 8 of the counter trial: the Operators screen offered a manager a role change
/// over the admin that the command then refused. What is offered is exactly what the
/// commands allow: every caller × operator × role is tried on a fresh shop.
#[test]
fn the_operators_screen_offers_exactly_what_the_commands_allow() {
    let roles = [Role::Admin, Role::Manager, Role::Cashier, Role::Kiosk];
    let id_of = |t: &TestShop, name: &str| {
        let all = t.shop.operators(&t.admin).unwrap();
        all.iter().find(|o| o.name.as_str() == name).unwrap().id
    };
    let names: Vec<String> = {
        let t = spawn_shop();
        let all = t.shop.operators(&t.admin).unwrap();
        all.iter().map(|o| o.name.as_str().to_owned()).collect()
    };
    for caller in roles {
        let t = spawn_shop();
        let offered = match t.shop.operators_with_rights(t.actor(caller)) {
            Ok(rows) => rows
                .into_iter()
                .map(|(o, r)| (o.name.as_str().to_owned(), r))
                .collect::<Vec<_>>(),
            Err(ShopError::Forbidden { .. }) => Vec::new(),
            Err(e) => panic!("{e}"),
        };
        let creatable = t.shop.creatable_roles(t.actor(caller)).unwrap_or_default();
        let mut t = spawn_shop();
        let fresh = |t: &mut TestShop, done: bool| {
            if done {
                *t = spawn_shop();
            }
        };
        for name in &names {
            let rights = offered.iter().find(|(n, _)| n == name).map(|(_, r)| r);
            for to in roles {
                let done = t
                    .shop
                    .change_operator_role(t.actor(caller), id_of(&t, name), to)
                    .is_ok();
                fresh(&mut t, done);
                let offer = rights.is_some_and(|r| r.roles.contains(&to));
                assert_eq!(offer, done, "{caller:?} sets {name} to {to:?}");
            }
            let done = t
                .shop
                .deactivate_operator(t.actor(caller), id_of(&t, name))
                .is_ok();
            fresh(&mut t, done);
            assert_eq!(
                rights.is_some_and(|r| r.deactivate),
                done,
                "{caller:?} deactivates {name}"
            );
            let done = t
                .shop
                .reset_operator_pin(t.actor(caller), id_of(&t, name), &pin("9876"))
                .is_ok();
            fresh(&mut t, done);
            assert_eq!(
                rights.is_some_and(|r| r.reset_pin),
                done,
                "{caller:?} resets {name}'s PIN"
            );
        }
        for role in roles {
            let done = t
                .shop
                .create_operator(
                    t.actor(caller),
                    OperatorName::parse("New One").unwrap(),
                    role,
                    &pin("9876"),
                )
                .is_ok();
            assert_eq!(
                creatable.contains(&role),
                done,
                "{caller:?} creates a {role:?}"
            );
            fresh(&mut t, done);
        }
    }
}

#[test]
fn a_quote_prices_exactly_like_the_sale_and_saves_nothing() {
    let t = spawn_shop_with(TaxMode::Exclusive, false);
    let a = t.product("QA", 333, 10);
    let b = t.product("QB", 1_999, 10);
    t.open_shift(0);
    let basket = new_order(&[(&a, 3), (&b, 1)]);
    let before = t.fingerprint();
    let q = t.shop.quote(&t.kiosk, &basket.lines, None).unwrap();
    assert_eq!(t.fingerprint(), before);
    let order = t.shop.create_order(&t.kiosk, basket).unwrap();
    assert_eq!(order.data().lines, q.lines);
    assert_eq!(order.data().totals, q.totals);
}

#[test]
fn offered_order_actions_follow_the_state_and_the_role() {
    use rustok_core::domain::order::OrderActionKind as K;
    let t = spawn_shop();
    let p = t.product("ACT", 100, 5);
    t.open_shift(0);
    let sold = t.sell(&[(&p, 1)]);
    assert_eq!(
        t.shop.order_actions(&t.cashier, &sold).unwrap(),
        Vec::<K>::new()
    );
    assert_eq!(
        t.shop.order_actions(&t.manager, &sold).unwrap(),
        vec![K::Refund]
    );
    let pending = t
        .shop
        .create_order(&t.cashier, new_order(&[(&p, 1)]))
        .unwrap();
    assert_eq!(
        t.shop.order_actions(&t.cashier, &pending).unwrap(),
        vec![K::Confirm, K::Cancel]
    );
    assert!(matches!(
        t.shop.order_actions(&t.kiosk, &pending),
        Err(ShopError::Forbidden { .. })
    ));
}

#[test]
fn a_sale_with_more_events_than_one_insert_holds_keeps_them_all_in_order() {
    // 130 lines: created, confirmed, paid, 130 stock moves, delivered = 134 events,
    // written by three statements (64 + 64 + 6 rows).
    let t = spawn_shop();
    let products: Vec<_> = (0..5)
        .map(|i| t.product(&format!("BULK-{i}"), 100 + i, 1_000))
        .collect();
    t.open_shift(0);
    let before = t.shop.store().outbox_status().unwrap().last_seq;
    let lines: Vec<_> = (0..130).map(|i| (&products[i % 5], 1)).collect();
    let order = t.sell(&lines);
    let events = t.shop.store().events_after(before, 1_000).unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let mut expected = vec!["OrderCreated", "OrderConfirmed", "OrderPaid"];
    expected.extend(std::iter::repeat_n("StockMoved", 130));
    expected.push("OrderDelivered");
    assert_eq!(types, expected);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let gapless: Vec<u64> = (before + 1..=before + 134).collect();
    assert_eq!(seqs, gapless);
    // Each stock move is its own, in line order, with the stock it left.
    let mut on_hand = [1_000_i64; 5];
    for (i, e) in events[3..133].iter().enumerate() {
        let moved: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
        on_hand[i % 5] -= 1;
        assert_eq!(
            moved["product_id"],
            products[i % 5].id.to_string(),
            "line {i}"
        );
        assert_eq!(moved["on_hand_after"], on_hand[i % 5], "line {i}");
    }
    let history = t.shop.store().order_events(order.data().id).unwrap();
    assert_eq!(history.len(), 134);
    // All filed with the order (its history shows the goods moving).
    let c = rusqlite::Connection::open(t.db_path()).unwrap();
    let filed: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE seq > ?1 AND aggregate_id = ?2",
            rusqlite::params![before, order.data().id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(filed, 134);
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
}

#[test]
fn every_stock_event_reports_the_stock_its_movement_left() {
    // Paying a delivery order and refunding it read stock the transaction has not
    // seen yet; a product on two lines moves twice in one transaction.
    let t = spawn_shop_with(TaxMode::Inclusive, false);
    let tea = t.product("TEA", 250, 10);
    let mug = t.product("MUG", 900, 4);
    t.open_shift(0);
    let lines = [(&tea, 2), (&mug, 1), (&tea, 3)];
    let id = t
        .shop
        .create_order(&t.kiosk, new_order(&lines))
        .unwrap()
        .data()
        .id;
    t.shop.confirm_order(&t.cashier, id).unwrap();
    let total = 5 * 250 + 900;
    let moved = |from: u64| -> Vec<(String, i64, i64)> {
        t.shop
            .store()
            .events_after(from, 100)
            .unwrap()
            .iter()
            .filter(|e| e.event_type == "StockMoved")
            .map(|e| {
                let v: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
                let sku = if v["product_id"] == tea.id.to_string() {
                    "TEA"
                } else {
                    "MUG"
                };
                (
                    sku.to_owned(),
                    v["delta"].as_i64().unwrap(),
                    v["on_hand_after"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let last = || t.shop.store().outbox_status().unwrap().last_seq;
    let at = last();
    t.shop
        .pay_order(
            &t.cashier,
            id,
            vec![Tender::Card {
                amount: total,
                reference: None,
            }],
        )
        .unwrap();
    let row = |sku: &str, delta, after| (sku.to_owned(), delta, after);
    assert_eq!(
        moved(at),
        [row("TEA", -2, 8), row("MUG", -1, 3), row("TEA", -3, 5)]
    );
    let at = last();
    t.shop
        .refund_order(&t.manager, id, card_refund(true))
        .unwrap();
    assert_eq!(
        moved(at),
        [row("TEA", 2, 7), row("MUG", 1, 4), row("TEA", 3, 10)]
    );
    let at = last();
    let received = t
        .shop
        .receive_stock(&t.manager, mug.id, Quantity::new(6).unwrap(), None)
        .unwrap();
    assert_eq!(received, 10);
    assert_eq!(moved(at), [row("MUG", 6, 10)]);
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, 10);
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
}

/// A UUIDv7 as a till makes one for a sale.
fn sale_id(n: u128) -> OrderId {
    OrderId::from_uuid(uuid::Uuid::from_u128(
        0x0193_9000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

#[test]
fn a_sale_sent_twice_with_its_id_is_made_once() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    t.open_shift(10_000);
    let sale = || NewOrder {
        id: Some(sale_id(1)),
        ..new_order(&[(&tea, 2)])
    };
    let cash = [Tender::Cash {
        amount: 500,
        tendered: 1000,
    }];
    let first = t.shop.counter_sale(&t.cashier, sale(), &cash).unwrap();
    assert_eq!(first.data().id, sale_id(1));
    let (events, fingerprint) = (t.event_count(), t.fingerprint());
    // A second Enter, or a retry after the answer was lost: the same order back.
    let again = t.shop.counter_sale(&t.cashier, sale(), &cash).unwrap();
    assert_eq!(again, first);
    assert_eq!(t.event_count(), events, "nothing recorded the second time");
    assert_eq!(t.fingerprint(), fingerprint);
    assert_eq!(t.shop.product(&t.cashier, tea.id).unwrap().on_hand, 8);
    let shift = t.shop.current_cash_session(&t.cashier).unwrap().unwrap();
    assert_eq!(shift.totals.sales, 500);

    // The id of that sale for anything else is refused and changes nothing.
    let used = |r: Result<AnyOrder, ShopError>| match r {
        Err(ShopError::Validation { fields }) => {
            assert_eq!(
                (fields[0].field.as_str(), fields[0].code),
                ("sale_id", "sale_id_used")
            );
        }
        other => panic!("expected sale_id_used, got {other:?}"),
    };
    used(t.shop.counter_sale(
        &t.cashier,
        NewOrder {
            id: Some(sale_id(1)),
            ..new_order(&[(&tea, 3)])
        },
        &[Tender::Cash {
            amount: 750,
            tendered: 1000,
        }],
    ));
    used(t.shop.counter_sale(
        &t.cashier,
        sale(),
        &[Tender::Card {
            amount: 500,
            reference: None,
        }],
    ));
    used(t.shop.create_order(&t.cashier, sale()));
    assert_eq!(t.fingerprint(), fingerprint);

    // Only a UUIDv7 is a sale id.
    let v4 = OrderId::from_uuid(uuid::Uuid::from_u128(
        0x0193_9000_0000_4000_8000_0000_0000_0002,
    ));
    match t.shop.counter_sale(
        &t.cashier,
        NewOrder {
            id: Some(v4),
            ..new_order(&[(&tea, 1)])
        },
        &[Tender::Card {
            amount: 250,
            reference: None,
        }],
    ) {
        Err(ShopError::Validation { fields }) => assert_eq!(fields[0].code, "invalid_sale_id"),
        other => panic!("expected invalid_sale_id, got {other:?}"),
    }

    // A sale refused the first time (not enough paid) is made by the retry.
    let short = [Tender::Cash {
        amount: 250,
        tendered: 250,
    }];
    let other = NewOrder {
        id: Some(sale_id(2)),
        ..new_order(&[(&tea, 1)])
    };
    assert!(t.shop.counter_sale(&t.cashier, other.clone(), &[]).is_err());
    let made = t
        .shop
        .counter_sale(&t.cashier, other.clone(), &short)
        .unwrap();
    assert_eq!(made.data().id, sale_id(2));
    // A till started again on the same file still knows the id.
    let before = t.event_count();
    let restarted = open_shop(&t.db_path(), t.clock.clone(), 99);
    assert_eq!(
        restarted.counter_sale(&t.cashier, other, &short).unwrap(),
        made
    );
    assert_eq!(t.event_count(), before);
}

/// A kiosk ticket, from the kiosk to the counter: the kiosk issues it at the prices
/// shown (an event of the kiosk, no order); the counter reads its code — a price
/// changed since and a product taken off sale are said — and sells it at today's
/// prices; the sale names the ticket, and the ticket is sold once.
#[test]
fn a_kiosk_ticket_is_sold_at_the_counter_once() {
    let t = spawn_shop();
    let tea = t.product("TEA", 250, 10);
    let cake = t.product("CAKE", 399, 10);
    let jam = t.product("JAM", 500, 10);
    let q = |n| Quantity::new(n).unwrap();
    let orders_before = t
        .shop
        .orders(&t.manager, &Default::default())
        .unwrap()
        .len();
    let issued = t
        .shop
        .issue_ticket(&t.kiosk, &[(tea.id, q(2)), (cake.id, q(1)), (jam.id, q(1))])
        .unwrap();
    assert_eq!(issued.ticket.number, 1);
    assert!(issued.code.bytes().all(|b| b.is_ascii_digit()));
    let event = last_event(&t, |e| match e {
        DomainEvent::TicketIssued(p) => Some(p),
        _ => None,
    });
    assert_eq!(event.ticket, issued.ticket);
    assert_eq!(
        t.shop
            .orders(&t.manager, &Default::default())
            .unwrap()
            .len(),
        orders_before,
        "a ticket is not an order on the kiosk"
    );
    let second = t.shop.issue_ticket(&t.kiosk, &[(tea.id, q(1))]).unwrap();
    assert_eq!(second.ticket.number, 2);

    // Before the customer reaches the counter: the cake costs more, the jam is off sale.
    let mut f = cake.fields.clone();
    f.price = eur_cents(449);
    t.shop
        .update_product(&t.manager, cake.id, cake.version, f)
        .unwrap();
    t.shop
        .set_product_status(&t.manager, jam.id, jam.version, ProductStatus::Archived)
        .unwrap();
    let cart = t.shop.read_ticket(&t.cashier, &issued.code).unwrap();
    assert_eq!(cart.ticket_id, issued.ticket.id);
    assert_eq!(
        cart.number, 1,
        "the counter can call the customer's number out"
    );
    assert_eq!(cart.missing, 1);
    let seen: Vec<_> = cart
        .lines
        .iter()
        .map(|l| {
            (
                l.product.id,
                l.quantity.get(),
                l.price_then,
                l.product.fields.price.minor,
            )
        })
        .collect();
    assert_eq!(seen, [(tea.id, 2, 250, 250), (cake.id, 1, 399, 449)]);
    assert!(matches!(
        t.shop.read_ticket(&t.kiosk, &issued.code),
        Err(ShopError::Forbidden { .. })
    ));

    t.open_shift(10_000);
    let sale = |ticket| NewOrder {
        ticket: Some(ticket),
        ..new_order(&[(&tea, 2), (&cake, 1)])
    };
    let cash = [Tender::Cash {
        amount: 949,
        tendered: 1000,
    }];
    let order = t
        .shop
        .counter_sale(&t.cashier, sale(issued.ticket.id), &cash)
        .unwrap();
    assert_eq!(order.data().totals.gross, 949, "today's prices");
    assert_eq!(last_created(&t).ticket_id, Some(issued.ticket.id));

    // The same ticket again — scanned twice, or its code kept — is refused, and
    // says which sale took it; nothing is written.
    let sold = |r: Result<_, ShopError>| match r {
        Err(ShopError::Validation { fields }) => {
            assert_eq!(fields[0].code, "ticket_sold");
            assert!(fields[0]
                .params
                .iter()
                .any(|(k, v)| *k == "number" && v == order.data().number.as_str()));
        }
        other => panic!("expected ticket_sold, got {other:?}"),
    };
    let fingerprint = t.fingerprint();
    sold(t.shop.read_ticket(&t.cashier, &issued.code).map(|_| ()));
    sold(
        t.shop
            .counter_sale(&t.cashier, sale(issued.ticket.id), &cash)
            .map(|_| ()),
    );
    assert_eq!(t.fingerprint(), fingerprint);

    // A code misread by the scanner is refused, never sold.
    let mut misread = issued.code.clone().into_bytes();
    misread[50] = if misread[50] == b'1' { b'2' } else { b'1' };
    match t
        .shop
        .read_ticket(&t.cashier, std::str::from_utf8(&misread).unwrap())
    {
        Err(ShopError::Validation { fields }) => assert_eq!(fields[0].code, "invalid_ticket"),
        other => panic!("expected invalid_ticket, got {other:?}"),
    }
    // A ticket for products of another shop's catalog reads as nothing to sell.
    let foreign = Ticket::new(
        rustok_core::domain::ids::TicketId::from_uuid(uuid::Uuid::from_u128(77)),
        7,
        second.ticket.expires_at,
        vec![TicketLine {
            product_id: rustok_core::domain::ids::ProductId::from_uuid(uuid::Uuid::from_u128(78)),
            quantity: q(1),
            unit_price: 1,
        }],
    )
    .unwrap();
    let cart = t.shop.read_ticket(&t.cashier, &foreign.code()).unwrap();
    assert_eq!((cart.lines.len(), cart.missing), (0, 1));

    // A ticket is taken for a day after the kiosk issued it, and not after.
    let valid_ms = rustok_core::domain::ticket::VALID_SECS * 1000;
    t.clock.advance_ms(valid_ms - 1000);
    assert_eq!(
        t.shop.read_ticket(&t.cashier, &second.code).unwrap().number,
        2
    );
    t.clock.advance_ms(2000);
    match t.shop.read_ticket(&t.cashier, &second.code) {
        Err(ShopError::Validation { fields }) => assert_eq!(fields[0].code, "ticket_expired"),
        other => panic!("expected ticket_expired, got {other:?}"),
    }
    // Still a question only the counter may ask, expired or not.
    assert!(matches!(
        t.shop.read_ticket(&t.kiosk, &second.code),
        Err(ShopError::Forbidden { .. })
    ));
}

#[test]
fn only_a_managers_pin_takes_a_kiosk_out_of_kiosk_mode() {
    let t = spawn_shop();
    let s = &t.shop;
    let manager = t.manager.operator_id();
    let cashier = t.cashier.operator_id();
    // A cashier's right PIN is refused; a wrong manager PIN counts towards the lockout.
    assert!(matches!(
        s.unlock_kiosk(cashier, &pin(PINS[2].1)),
        Err(ShopError::Forbidden { .. })
    ));
    assert!(matches!(
        s.unlock_kiosk(manager, &pin("9999")),
        Err(ShopError::WrongPin { attempts_left: 4 })
    ));
    assert_eq!(
        s.unlock_kiosk(manager, &pin(PINS[1].1))
            .unwrap()
            .operator_id(),
        manager
    );
    // An admin may too; the kiosk itself may not.
    let admin = t.admin.operator_id();
    assert_eq!(
        s.unlock_kiosk(admin, &pin(PINS[0].1))
            .unwrap()
            .operator_id(),
        admin
    );
    assert!(matches!(
        s.unlock_kiosk(t.kiosk.operator_id(), &pin(PINS[3].1)),
        Err(ShopError::Forbidden { .. })
    ));
}
