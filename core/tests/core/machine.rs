//! The order lifecycle against a plain transition table, over random action sequences.

use crate::helpers::*;
use proptest::prelude::*;
use rustok_core::domain::ids::ProductId;
use rustok_core::domain::locale::Localized;
use rustok_core::domain::order::{
    refunded_units, AnyOrder, LineSpec, Order, OrderAction, OrderStatus,
};
use rustok_core::domain::payment::{RefundRequest, Tender};
use rustok_core::domain::product::{ProductTitle, Sku, TaxRate};
use rustok_core::domain::stock::Quantity;
use rustok_core::domain::tenant::TaxMode;
use rustok_core::domain::DomainError;

#[derive(Debug, Clone, Copy)]
enum Act {
    Confirm,
    PayExact,
    PayShort,
    Ship,
    Deliver,
    HandOver,
    Cancel,
    /// Units of the order's one line.
    Refund(i64),
}

/// The lifecycle of DESIGN §3 as a plain table; `left` is the units not yet refunded.
fn model(s: OrderStatus, a: Act, left: i64) -> Option<OrderStatus> {
    use OrderStatus::*;
    match (s, a) {
        (Pending, Act::Confirm) => Some(Confirmed),
        (Pending | Confirmed, Act::Cancel) => Some(Cancelled),
        (Confirmed, Act::PayExact | Act::PayShort) => Some(Paid),
        (Paid, Act::Ship) => Some(Shipped),
        (Paid, Act::HandOver) | (Shipped, Act::Deliver) => Some(Delivered),
        (Paid | Shipped | Delivered | PartiallyRefunded, Act::Refund(k)) if k == left => {
            Some(Refunded)
        }
        (Paid | Shipped | Delivered | PartiallyRefunded, Act::Refund(_)) => Some(PartiallyRefunded),
        _ => None,
    }
}

fn order(total_units: i64) -> AnyOrder {
    let spec = LineSpec {
        product_id: ProductId::from_uuid(uuid::Uuid::from_u128(1)),
        sku: Sku::parse("A").unwrap(),
        title: ProductTitle::parse("A").unwrap(),
        titles: Localized::new(),
        unit_price: 333,
        tax_rate: TaxRate::from_basis_points(1000).unwrap(),
        quantity: Quantity::new(total_units).unwrap(),
        discount: None,
    };
    AnyOrder::Pending(Order::new(order_data(vec![spec], TaxMode::Exclusive)).unwrap())
}

fn action(a: Act, total: i64) -> OrderAction {
    match a {
        Act::Confirm => OrderAction::Confirm,
        Act::PayExact => OrderAction::Pay(vec![Tender::Cash {
            amount: total,
            tendered: total + 1,
        }]),
        Act::PayShort => OrderAction::Pay(vec![Tender::Card {
            amount: total - 1,
            reference: None,
        }]),
        Act::Ship => OrderAction::Ship(None),
        Act::Deliver => OrderAction::Deliver,
        Act::HandOver => OrderAction::HandOver,
        Act::Cancel => OrderAction::Cancel(None),
        Act::Refund(units) => OrderAction::Refund(RefundRequest {
            lines: vec![line_refund(0, units, false)],
            ..RefundRequest::everything(false)
        }),
    }
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        Just(Act::Confirm),
        Just(Act::PayExact),
        Just(Act::PayShort),
        Just(Act::Ship),
        Just(Act::Deliver),
        Just(Act::HandOver),
        Just(Act::Cancel),
        (1i64..6).prop_map(Act::Refund),
    ]
}

proptest! {
    #[test]
    fn order_lifecycle_matches_the_model(units in 1i64..5, acts in proptest::collection::vec(act(), 0..14)) {
        let mut o = order(units);
        let total = o.data().totals.gross;
        for a in acts {
            let from = o.status();
            let left = units - refunded_units(o.data())[0];
            let result = o.clone().apply(action(a, total));
            match (model(from, a, left), result) {
                (Some(_), Err(DomainError::Validation(_))) => {
                    // Only a short payment or a refund of more units than are left may be refused.
                    let legit = matches!(a, Act::PayShort) || matches!(a, Act::Refund(k) if k > left);
                    prop_assert!(legit, "{a:?} from {from:?} refused");
                }
                (Some(to), Ok(next)) => {
                    prop_assert!(!matches!(a, Act::PayShort), "a short payment was accepted");
                    if let Act::Refund(k) = a {
                        prop_assert!(k <= left, "a refund of {k} units accepted with {left} left");
                    }
                    prop_assert_eq!(next.status(), to);
                    o = next;
                }
                (None, Err(DomainError::InvalidTransition { from: f, action: _ })) => prop_assert_eq!(f, from.as_str()),
                (expected, got) => prop_assert!(false, "{a:?} from {from:?}: model {expected:?}, got {got:?}"),
            }
        }
    }
}
