//! The order lifecycle against a plain transition table, over random action sequences.

use crate::helpers::*;
use proptest::prelude::*;
use rustok_core::domain::clock::Timestamp;
use rustok_core::domain::ids::{OrderId, ProductId, TenantId};
use rustok_core::domain::order::{
    price_lines, AnyOrder, LineSpec, Order, OrderAction, OrderData, OrderNumber, OrderStatus,
};
use rustok_core::domain::payment::{PaymentMethod, RefundRequest, Tender};
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
    Refund(i64),
}

/// The lifecycle of DESIGN §3 as a plain table.
fn model(s: OrderStatus, a: Act) -> Option<OrderStatus> {
    use OrderStatus::*;
    match (s, a) {
        (Pending, Act::Confirm) => Some(Confirmed),
        (Pending | Confirmed, Act::Cancel) => Some(Cancelled),
        (Confirmed, Act::PayExact | Act::PayShort) => Some(Paid),
        (Paid, Act::Ship) => Some(Shipped),
        (Paid, Act::HandOver) | (Shipped, Act::Deliver) => Some(Delivered),
        (Paid | Shipped | Delivered, Act::Refund(_)) => Some(Refunded),
        _ => None,
    }
}

fn order(total_units: i64) -> AnyOrder {
    let spec = LineSpec {
        product_id: ProductId::from_uuid(uuid::Uuid::from_u128(1)),
        sku: Sku::parse("A").unwrap(),
        title: ProductTitle::parse("A").unwrap(),
        unit_price: 333,
        tax_rate: TaxRate::from_basis_points(1000).unwrap(),
        quantity: Quantity::new(total_units).unwrap(),
    };
    let (lines, totals) = price_lines(vec![spec], TaxMode::Exclusive).unwrap();
    AnyOrder::Pending(
        Order::new(OrderData {
            id: OrderId::from_uuid(uuid::Uuid::from_u128(2)),
            tenant_id: TenantId::from_uuid(uuid::Uuid::from_u128(3)),
            number: OrderNumber::parse("POS1-000001").unwrap(),
            currency: eur(),
            tax_mode: TaxMode::Exclusive,
            lines,
            totals,
            customer: None,
            notes: None,
            payments: Vec::new(),
            tracking: None,
            cancel_reason: None,
            refund: None,
            created_at: Timestamp::from_unix_millis(0),
        })
        .unwrap(),
    )
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
        Act::Refund(amount) => OrderAction::Refund(RefundRequest {
            amount: Some(amount),
            method: PaymentMethod::Card,
            restock: false,
            reason: None,
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
        (-50i64..2_000).prop_map(Act::Refund),
    ]
}

proptest! {
    #[test]
    fn order_lifecycle_matches_the_model(units in 1i64..5, acts in proptest::collection::vec(act(), 0..14)) {
        let mut o = order(units);
        let total = o.data().totals.gross;
        for a in acts {
            let from = o.status();
            let result = o.clone().apply(action(a, total));
            match (model(from, a), result) {
                (Some(_), Err(DomainError::Validation(_))) => {
                    // Only a short payment or an out-of-range refund may be refused.
                    let paid: i64 = o.data().payments.iter().map(|p| p.amount).sum();
                    let legit = matches!(a, Act::PayShort) || matches!(a, Act::Refund(x) if x <= 0 || x > paid);
                    prop_assert!(legit, "{a:?} from {from:?} refused");
                }
                (Some(to), Ok(next)) => {
                    prop_assert!(!matches!(a, Act::PayShort), "a short payment was accepted");
                    if let Act::Refund(x) = a {
                        let paid: i64 = o.data().payments.iter().map(|p| p.amount).sum();
                        prop_assert!(x > 0 && x <= paid, "refund of {x} accepted with {paid} paid");
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
