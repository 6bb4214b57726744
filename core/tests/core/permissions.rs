//! Every operation × every role, against the one permission table.

use crate::cases::prepare;
use crate::helpers::*;
use rustok_core::domain::permission::{Operation, Role};
use rustok_core::service::ShopError;

#[test]
fn every_operation_is_allowed_exactly_for_the_roles_the_table_grants() {
    let t = spawn_shop();
    let mut checked = 0;
    for &op in Operation::ALL {
        for role in Role::ALL {
            let run = prepare(&t, op);
            let before = t.fingerprint();
            let result = run(t.actor(role));
            if role.allows(op.permission()) {
                assert!(result.is_ok(), "{role:?} may {op:?} but got {result:?}");
            } else {
                assert!(
                    matches!(result, Err(ShopError::Forbidden { operation }) if operation == op.name()),
                    "{role:?} may not {op:?} but got {result:?}"
                );
                assert_eq!(
                    t.fingerprint(),
                    before,
                    "a refused {op:?} by {role:?} wrote something"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Operation::ALL.len() * 4);
}

#[test]
fn the_table_gives_kiosks_no_money_and_cashiers_no_catalog_edits() {
    use rustok_core::domain::permission::{Action, Permission, Resource};
    assert!(!Role::Kiosk.allows(Permission(Resource::Payments, Action::Take)));
    assert!(!Role::Cashier.allows(Permission(Resource::Catalog, Action::Edit)));
    assert!(!Role::Cashier.allows(Permission(Resource::Orders, Action::Refund)));
    assert!(!Role::Manager.allows(Permission(Resource::Settings, Action::Edit)));
    for &op in Operation::ALL {
        assert!(Role::Admin.allows(op.permission()), "admin lacks {op:?}");
    }
}

#[test]
fn a_role_change_takes_effect_on_the_next_call_without_logging_in_again() {
    let t = spawn_shop();
    let f = product_fields("NEW1", 100, None);
    assert!(matches!(
        t.shop.create_product(
            &t.cashier,
            f.clone(),
            rustok_core::domain::product::ProductStatus::Draft
        ),
        Err(ShopError::Forbidden { .. })
    ));
    t.shop
        .change_operator_role(&t.admin, t.cashier.operator_id(), Role::Manager)
        .unwrap();
    assert!(t
        .shop
        .create_product(
            &t.cashier,
            f,
            rustok_core::domain::product::ProductStatus::Draft
        )
        .is_ok());
}

#[test]
fn allowed_operations_are_the_table_for_the_current_role() {
    let t = spawn_shop();
    for role in Role::ALL {
        let allowed = t.shop.allowed_operations(t.actor(role)).unwrap();
        let want: Vec<Operation> = Operation::ALL
            .iter()
            .copied()
            .filter(|op| role.allows(op.permission()))
            .collect();
        assert_eq!(allowed, want, "{role:?}");
    }
    t.shop
        .deactivate_operator(&t.manager, t.cashier.operator_id())
        .unwrap();
    assert!(t.shop.allowed_operations(&t.cashier).unwrap().is_empty());
}
