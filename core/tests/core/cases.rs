//! One runnable case per service operation: fixtures are prepared (committed by an
//! admin), then the operation itself runs as any actor. The `match` has no wildcard,
//! so a new operation does not compile until it has a case here — and with it a row
//! in the permission matrix and the atomicity test.

use crate::helpers::*;
use rustok_core::domain::cash::CashMoveKind;
use rustok_core::domain::content::{
    ContentFields, ContentKind, ContentSlug, ContentTitle, Translation,
};
use rustok_core::domain::ids::OrderId;
use rustok_core::domain::locale::Localized;
use rustok_core::domain::operator::OperatorName;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::permission::{Operation, Role};
use rustok_core::domain::product::ProductStatus;
use rustok_core::domain::stock::{Quantity, StockDelta};
use rustok_core::domain::tenant::TaxMode;
use rustok_core::domain::text::Reason;
use rustok_core::service::{Actor, ShopError};
use rustok_core::store::ProductQuery;
use std::sync::atomic::{AtomicU64, Ordering};

pub type Run<'a> = Box<dyn Fn(&Actor) -> Result<(), ShopError> + 'a>;

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique() -> u64 {
    UNIQUE.fetch_add(1, Ordering::Relaxed)
}

fn ok<T>(r: Result<T, ShopError>) -> Result<(), ShopError> {
    r.map(|_| ())
}

fn ensure_shift(t: &TestShop, open: bool) {
    let current = t.shop.current_cash_session(&t.admin).unwrap();
    match (current, open) {
        (None, true) => {
            t.shop.open_cash_session(&t.admin, 100_000).unwrap();
        }
        (Some(s), false) => {
            t.shop
                .close_cash_session(&t.admin, s.totals.expected(), None)
                .unwrap();
        }
        _ => {}
    }
}

fn node(slug: String) -> ContentFields {
    ContentFields {
        kind: ContentKind::Page,
        slug: ContentSlug::parse(&slug).unwrap(),
        position: 0,
        translations: Localized::new().with(
            en(),
            Translation {
                title: ContentTitle::parse("Hours").unwrap(),
                excerpt: None,
                body: None,
            },
        ),
        products: vec![],
    }
}

fn sold_order(t: &TestShop) -> OrderId {
    let p = t.product(&format!("S{}", unique()), 100, 5);
    ensure_shift(t, true);
    t.shop
        .counter_sale(
            &t.admin,
            new_order(&[(&p, 1)]),
            &[Tender::Card {
                amount: 100,
                reference: None,
            }],
        )
        .unwrap()
        .data()
        .id
}

fn pending_order(t: &TestShop) -> OrderId {
    let p = t.product(&format!("P{}", unique()), 100, 5);
    t.shop
        .create_order(&t.admin, new_order(&[(&p, 1)]))
        .unwrap()
        .data()
        .id
}

fn paid_order(t: &TestShop) -> OrderId {
    let id = pending_order(t);
    t.shop.confirm_order(&t.admin, id).unwrap();
    ensure_shift(t, true);
    t.shop
        .pay_order(
            &t.admin,
            id,
            vec![Tender::Card {
                amount: 100,
                reference: None,
            }],
        )
        .unwrap();
    id
}

/// Prepares the fixtures of `op` and returns the call of `op` itself.
pub fn prepare(t: &TestShop, op: Operation) -> Run<'_> {
    let s = &t.shop;
    match op {
        Operation::ViewSettings => Box::new(move |a| ok(s.tenant(a))),
        Operation::UpdateSettings => {
            Box::new(move |a| ok(s.update_settings(a, settings(TaxMode::Inclusive, true))))
        }
        Operation::ListOperators => Box::new(move |a| ok(s.operators(a))),
        Operation::CreateOperator => Box::new(move |a| {
            let name = OperatorName::parse(&format!("New {}", unique())).unwrap();
            ok(s.create_operator(a, name, Role::Cashier, &pin("5555")))
        }),
        Operation::ChangeOperatorRole
        | Operation::DeactivateOperator
        | Operation::ResetOperatorPin => {
            let name = OperatorName::parse(&format!("Target {}", unique())).unwrap();
            let target = s
                .create_operator(&t.admin, name, Role::Cashier, &pin("5555"))
                .unwrap()
                .id;
            match op {
                Operation::ChangeOperatorRole => {
                    Box::new(move |a| ok(s.change_operator_role(a, target, Role::Kiosk)))
                }
                Operation::DeactivateOperator => {
                    Box::new(move |a| ok(s.deactivate_operator(a, target)))
                }
                _ => Box::new(move |a| ok(s.reset_operator_pin(a, target, &pin("6666")))),
            }
        }
        Operation::ViewCatalog => {
            let p = t.product(&format!("V{}", unique()), 100, 0).id;
            Box::new(move |a| {
                ok(s.product(a, p))?;
                ok(s.products(
                    a,
                    &ProductQuery {
                        limit: 10,
                        ..ProductQuery::default()
                    },
                ))
            })
        }
        Operation::CreateProduct => Box::new(move |a| {
            let sku = format!("NEW{}", unique());
            ok(s.create_product(a, product_fields(&sku, 100, None), ProductStatus::Draft))
        }),
        Operation::UpdateProduct => {
            let p = t.product(&format!("U{}", unique()), 100, 0);
            Box::new(move |a| {
                let mut f = p.fields.clone();
                f.price = eur_cents(150);
                ok(s.update_product(a, p.id, p.version, f))
            })
        }
        Operation::ChangeProductStatus => {
            let p = t.product(&format!("C{}", unique()), 100, 0);
            Box::new(move |a| ok(s.set_product_status(a, p.id, p.version, ProductStatus::Archived)))
        }
        Operation::ImportCatalog => Box::new(move |a| {
            let csv = format!(
                "sku,title_en,price,tax,stock\nIMP{},Imported,1.50,20,3\n",
                unique()
            );
            let none = std::sync::atomic::AtomicBool::new(false);
            ok(s.import_catalog(a, csv.as_bytes(), None, &mut |_| {}, &none))
        }),
        Operation::CreateCategory => Box::new(move |a| {
            ok(s.create_category(a, category_fields(&format!("New {}", unique()), 1, None)))
        }),
        Operation::UpdateCategory => {
            let k = s
                .create_category(&t.admin, category_fields("Edited", 1, None))
                .unwrap();
            Box::new(move |a| {
                let mut f = k.fields.clone();
                f.position = 2;
                ok(s.update_category(a, k.id, k.version, f))
            })
        }
        Operation::StoreImage => Box::new(move |a| ok(s.store_image(a, &png(3, 2)))),
        Operation::ViewStock => {
            let p = t.product(&format!("W{}", unique()), 100, 3).id;
            Box::new(move |a| ok(s.stock_movements(a, p, 10)))
        }
        Operation::ReceiveStock => {
            let p = t.product(&format!("R{}", unique()), 100, 0).id;
            Box::new(move |a| ok(s.receive_stock(a, p, Quantity::new(4).unwrap(), None)))
        }
        Operation::AdjustStock => {
            let p = t.product(&format!("A{}", unique()), 100, 5).id;
            Box::new(move |a| {
                ok(s.adjust_stock(
                    a,
                    p,
                    StockDelta::new(-1).unwrap(),
                    Reason::parse("count").unwrap(),
                ))
            })
        }
        Operation::ViewOrders => {
            let id = sold_order(t);
            Box::new(move |a| {
                ok(s.order(a, id))?;
                ok(s.order_history(a, id))
            })
        }
        Operation::CreateOrder => {
            let p = t.product(&format!("O{}", unique()), 100, 0);
            Box::new(move |a| ok(s.create_order(a, new_order(&[(&p, 1)]))))
        }
        Operation::QuoteOrder => {
            let p = t.product(&format!("Q{}", unique()), 100, 0);
            Box::new(move |a| ok(s.quote(a, &new_order(&[(&p, 2)]).lines, None)))
        }
        Operation::ConfirmOrder => {
            let id = pending_order(t);
            Box::new(move |a| ok(s.confirm_order(a, id)))
        }
        Operation::PayOrder => {
            let id = pending_order(t);
            s.confirm_order(&t.admin, id).unwrap();
            ensure_shift(t, true);
            Box::new(move |a| {
                ok(s.pay_order(
                    a,
                    id,
                    vec![Tender::Cash {
                        amount: 100,
                        tendered: 200,
                    }],
                ))
            })
        }
        Operation::ShipOrder => {
            let id = paid_order(t);
            Box::new(move |a| ok(s.ship_order(a, id, None)))
        }
        Operation::DeliverOrder => {
            let id = paid_order(t);
            s.ship_order(&t.admin, id, None).unwrap();
            Box::new(move |a| ok(s.deliver_order(a, id)))
        }
        Operation::HandOverOrder => {
            let id = paid_order(t);
            Box::new(move |a| ok(s.hand_over_order(a, id)))
        }
        Operation::CancelOrder => {
            let id = pending_order(t);
            Box::new(move |a| ok(s.cancel_order(a, id, None)))
        }
        Operation::RefundOrder => {
            let id = sold_order(t);
            Box::new(move |a| ok(s.refund_order(a, id, card_refund(true))))
        }
        Operation::CounterSale => {
            let p = t.product(&format!("K{}", unique()), 100, 5);
            ensure_shift(t, true);
            Box::new(move |a| {
                ok(s.counter_sale(
                    a,
                    new_order(&[(&p, 1)]),
                    &[Tender::Cash {
                        amount: 100,
                        tendered: 100,
                    }],
                ))
            })
        }
        Operation::ViewCashSession => Box::new(move |a| ok(s.current_cash_session(a))),
        Operation::OpenCashSession => {
            ensure_shift(t, false);
            Box::new(move |a| ok(s.open_cash_session(a, 500)))
        }
        Operation::MoveCash => {
            ensure_shift(t, true);
            Box::new(move |a| {
                ok(s.move_cash(a, CashMoveKind::In, 100, Reason::parse("coins").unwrap()))
            })
        }
        Operation::CloseCashSession => {
            ensure_shift(t, true);
            Box::new(move |a| ok(s.close_cash_session(a, 0, None)))
        }
        Operation::ViewContent => {
            let id = s
                .create_content(&t.admin, node(format!("view-{}", unique())))
                .unwrap()
                .data()
                .id;
            Box::new(move |a| {
                ok(s.content(a, id))?;
                ok(s.contents(a, None, None))
            })
        }
        Operation::CreateContent => {
            Box::new(move |a| ok(s.create_content(a, node(format!("new-{}", unique())))))
        }
        Operation::UpdateContent => {
            let n = s
                .create_content(&t.admin, node(format!("upd-{}", unique())))
                .unwrap();
            let (id, v) = (n.data().id, n.data().version);
            Box::new(move |a| ok(s.update_content(a, id, v, node(format!("upd-{}", unique())))))
        }
        Operation::PublishContent | Operation::ArchiveContent => {
            let id = s
                .create_content(&t.admin, node(format!("pub-{}", unique())))
                .unwrap()
                .data()
                .id;
            if op == Operation::PublishContent {
                Box::new(move |a| ok(s.publish_content(a, id)))
            } else {
                Box::new(move |a| ok(s.archive_content(a, id)))
            }
        }
        Operation::Doctor => Box::new(move |a| ok(s.doctor(a))),
        Operation::ViewSyncStatus => Box::new(move |a| ok(s.outbox_status(a))),
        Operation::Backup => {
            let dir = t.dir.path().to_owned();
            Box::new(move |a| ok(s.backup(a, &dir.join(format!("backup-{}.db", unique())))))
        }
        Operation::ExportUnsynced => Box::new(move |a| ok(s.export_unsynced(a, &mut Vec::new()))),
        Operation::ListDeadLetters => {
            dead_letter(t, 1);
            Box::new(move |a| ok(s.dead_letters(a)))
        }
        Operation::RetryDeadLetter => {
            dead_letter(t, 1);
            Box::new(move |a| ok(s.dead_letter_to_retry(a, "sync", 1)))
        }
        Operation::DiscardDeadLetter => {
            dead_letter(t, 1);
            Box::new(move |a| ok(s.discard_dead_letter(a, "sync", 1)))
        }
        Operation::EnrolDevice => Box::new(move |a| ok(s.enrolment_identity(a))),
        Operation::ParkSale => {
            let p = t.product(&format!("K{}", unique()), 100, 0);
            Box::new(move |a| ok(s.park_sale(a, &new_order(&[(&p, 1)]).lines, None)))
        }
        Operation::ListParkedSales => Box::new(move |a| ok(s.parked_sales(a))),
        Operation::ResumeParkedSale => {
            let p = t.product(&format!("R{}", unique()), 100, 0);
            let id = s
                .park_sale(&t.admin, &new_order(&[(&p, 1)]).lines, None)
                .unwrap()
                .id;
            Box::new(move |a| ok(s.resume_sale(a, id)))
        }
        Operation::IssueTicket => {
            let p = t.product(&format!("T{}", unique()), 100, 0);
            Box::new(move |a| ok(s.issue_ticket(a, &[(p.id, Quantity::new(1).unwrap())])))
        }
        Operation::ReadTicket => {
            let p = t.product(&format!("Q{}", unique()), 100, 0);
            let code = s
                .issue_ticket(&t.kiosk, &[(p.id, Quantity::new(2).unwrap())])
                .unwrap()
                .code;
            Box::new(move |a| ok(s.read_ticket(a, &code)))
        }
    }
}

/// Makes sure a `sync` dead letter exists for event `seq`.
fn dead_letter(t: &TestShop, seq: u64) {
    t.shop
        .store()
        .record_dead_letter(&rustok_core::store::DeadLetter {
            handler: "sync".into(),
            seq,
            error: "rejected: unknown schema version".into(),
            attempts: 1,
            recorded_at: rustok_core::domain::clock::Timestamp::from_unix_millis(1_795_260_000_000),
        })
        .unwrap();
}
