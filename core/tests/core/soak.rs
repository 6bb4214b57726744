//! Many mixed commands with random failures in between: the outbox stays gapless.

use crate::helpers::*;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::stock::{Quantity, StockDelta};
use rustok_core::domain::text::Reason;
use rustok_core::service::ShopError;
use rustok_core::store::StoreError;
use rustok_core::testing::SeededEntropy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn ten_thousand_mixed_commands_with_random_failures_keep_the_outbox_gapless() {
    const COMMANDS: usize = 10_000;
    let t = spawn_shop();
    let rng = SeededEntropy::new(0x5eed);
    let products: Vec<_> = (0..20)
        .map(|i| t.product(&format!("SOAK{i}"), 100 + i * 7, 1_000))
        .collect();
    t.open_shift(10_000);
    let fail_next = Arc::new(AtomicBool::new(false));
    let flag = fail_next.clone();
    t.shop
        .store()
        .inject_fault_before_commit(Some(Arc::new(move |_| flag.swap(false, Ordering::SeqCst))));

    let (mut ok, mut injected, mut refused) = (0, 0, 0);
    let mut sold = Vec::new();
    for i in 0..COMMANDS {
        let r = rng.next_u64();
        fail_next.store(r.is_multiple_of(5), Ordering::SeqCst);
        let p = &products[(r >> 8) as usize % products.len()];
        let result = match (r >> 16) % 6 {
            0..=2 => {
                let qty = 1 + (r >> 24) as i64 % 3;
                let total = p.fields.price.minor * qty;
                t.shop
                    .counter_sale(
                        &t.cashier,
                        new_order(&[(p, qty)]),
                        &[Tender::Cash {
                            amount: total,
                            tendered: total + 50,
                        }],
                    )
                    .map(|o| sold.push(o.data().id))
            }
            3 => t
                .shop
                .receive_stock(&t.manager, p.id, Quantity::new(5).unwrap(), None)
                .map(drop),
            4 => t
                .shop
                .adjust_stock(
                    &t.manager,
                    p.id,
                    StockDelta::new(-1).unwrap(),
                    Reason::parse("count").unwrap(),
                )
                .map(drop),
            _ => match sold.pop() {
                Some(id) => t
                    .shop
                    .refund_order(&t.manager, id, card_refund(i % 2 == 0))
                    .map(drop),
                None => Ok(()),
            },
        };
        match result {
            Ok(()) => ok += 1,
            Err(ShopError::Storage(StoreError::InjectedFault)) => injected += 1,
            Err(ShopError::Validation { .. }) => refused += 1,
            Err(e) => panic!("command {i} failed unexpectedly: {e:?}"),
        }
    }
    t.shop.store().inject_fault_before_commit(None);
    assert!(
        injected > COMMANDS / 10,
        "too few failures injected: {injected}"
    );
    assert!(
        ok > COMMANDS / 2,
        "too few commands succeeded: {ok} ({refused} refused)"
    );

    let events = t.shop.store().events_after(0, u32::MAX).unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "seq must be gapless from 1");
    }
    assert!(
        events.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "hlc must increase with seq"
    );
    let report = t.shop.doctor(&t.admin).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.events, events.len() as u64);
}
