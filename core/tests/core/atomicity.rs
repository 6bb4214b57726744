//! A failure after the state writes and before commit leaves nothing behind: no
//! state, no event, no consumed seq or order number.

use crate::cases::prepare;
use crate::helpers::*;
use rustok_core::domain::permission::Operation;
use rustok_core::service::ShopError;
use rustok_core::store::StoreError;
use std::sync::Arc;

#[test]
fn every_command_commits_state_and_events_together_or_neither() {
    let t = spawn_shop();
    let mut commands = 0;
    for &op in Operation::ALL {
        let run = prepare(&t, op);
        let before = t.fingerprint();
        let seq_before = t.event_count();
        t.shop
            .store()
            .inject_fault_before_commit(Some(Arc::new(|_| true)));
        let failed = run(&t.admin);
        t.shop.store().inject_fault_before_commit(None);
        match failed {
            Err(ShopError::Storage(StoreError::InjectedFault)) => {
                assert_eq!(
                    t.fingerprint(),
                    before,
                    "{op:?} left something behind after a failed commit"
                );
                run(&t.admin).unwrap_or_else(|e| panic!("{op:?} failed on retry: {e:?}"));
                let seq_after = t.event_count();
                assert!(seq_after > seq_before, "{op:?} committed without an event");
                assert_eq!(
                    t.shop.store().events_after(seq_before, 1000).unwrap().len() as u64,
                    seq_after - seq_before,
                    "{op:?}: every seq consumed has its event"
                );
                assert_ne!(
                    t.fingerprint(),
                    before,
                    "{op:?} appended events but changed no state"
                );
                commands += 1;
            }
            Ok(()) => assert_eq!(
                t.fingerprint(),
                before,
                "{op:?} is a query but wrote something"
            ),
            Err(e) => panic!("{op:?} failed with {e:?} instead of the injected fault"),
        }
    }
    assert!(
        commands >= 25,
        "only {commands} operations went through a write transaction"
    );
}

#[test]
fn a_transaction_that_changes_state_without_an_event_is_refused() {
    let t = spawn_shop();
    let before = t.fingerprint();
    let entropy = rustok_core::testing::SeededEntropy::new(1);
    let meta = raw_meta(&entropy);
    let r: Result<(), StoreError> = t.shop.store().write(&meta, |tx| {
        tx.execute("UPDATE products SET price = price + 1", [])?;
        tx.execute("UPDATE tenants SET name = 'sneaky'", [])?;
        Ok(())
    });
    assert!(matches!(r, Err(StoreError::StateWithoutEvent)), "{r:?}");
    assert_eq!(t.fingerprint(), before);
}

#[test]
fn an_event_naming_a_missing_entity_aborts_the_transaction() {
    use rustok_core::domain::event::OrderConfirmed;
    use rustok_core::domain::ids::OrderId;
    let t = spawn_shop();
    let before = t.fingerprint();
    let entropy = rustok_core::testing::SeededEntropy::new(1);
    let meta = raw_meta(&entropy);
    let r: Result<(), StoreError> = t.shop.store().write(&meta, |tx| {
        tx.execute("UPDATE tenants SET name = 'changed'", [])?;
        tx.append(OrderConfirmed {
            order_id: OrderId::from_uuid(uuid::Uuid::nil()),
        })?;
        Ok(())
    });
    assert!(
        matches!(r, Err(StoreError::MissingReference { .. })),
        "{r:?}"
    );
    assert_eq!(t.fingerprint(), before);
}

/// Metadata for writing to the store directly, bypassing the service.
fn raw_meta(entropy: &rustok_core::testing::SeededEntropy) -> rustok_core::store::EventMeta<'_> {
    rustok_core::store::EventMeta {
        actor_id: None,
        correlation_id: rustok_core::domain::ids::CorrelationId::from_uuid(uuid::Uuid::nil()),
        causation_id: None,
        origin: rustok_core::domain::event::Origin::Device,
        now: START,
        entropy,
    }
}

#[test]
fn login_and_setup_are_atomic_too() {
    use rustok_core::domain::device::DeviceCode;
    use rustok_core::domain::operator::OperatorName;
    use rustok_core::domain::tenant::{TaxMode, TenantSlug};
    use rustok_core::service::ShopSetup;

    let t = spawn_shop();
    let before = t.fingerprint();
    t.shop
        .store()
        .inject_fault_before_commit(Some(Arc::new(|_| true)));
    let wrong = t.shop.login(t.cashier.operator_id(), &pin("0000"));
    let right = t.shop.login(t.cashier.operator_id(), &pin(PINS[2].1));
    t.shop.store().inject_fault_before_commit(None);
    assert!(
        matches!(wrong, Err(ShopError::Storage(StoreError::InjectedFault))),
        "{wrong:?}"
    );
    assert!(
        matches!(right, Err(ShopError::Storage(StoreError::InjectedFault))),
        "{right:?}"
    );
    assert_eq!(t.fingerprint(), before);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let shop = open_shop(&path, t.clock.clone(), 3);
    let empty = fingerprint(&path);
    shop.store()
        .inject_fault_before_commit(Some(Arc::new(|_| true)));
    let setup = || ShopSetup {
        slug: TenantSlug::parse("fresh").unwrap(),
        settings: settings(TaxMode::Inclusive, false),
        device_code: DeviceCode::parse("POS9").unwrap(),
        admin_name: OperatorName::parse("Owner").unwrap(),
        admin_pin: pin("9999"),
    };
    assert!(matches!(
        shop.set_up(setup()),
        Err(ShopError::Storage(StoreError::InjectedFault))
    ));
    assert_eq!(fingerprint(&path), empty);
    assert!(shop.device().unwrap().is_none());
    shop.store().inject_fault_before_commit(None);
    shop.set_up(setup()).unwrap();
    assert!(matches!(shop.set_up(setup()), Err(ShopError::AlreadySetUp)));
}
