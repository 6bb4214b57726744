//! Several tills (threads) selling the same product at once.

use crate::helpers::*;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::tenant::TaxMode;
use std::sync::Arc;

#[test]
fn four_threads_selling_one_product_lose_no_unit_and_no_seq() {
    const THREADS: usize = 4;
    const SALES: usize = 150;
    let t = spawn_shop();
    let p = t.product("HOT", 120, 10_000);
    t.open_shift(0);
    let seq_before = t.event_count();
    let shop = t.shop.clone();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let shop = Arc::clone(&shop);
            let cashier = t.cashier.clone();
            let p = p.clone();
            std::thread::spawn(move || {
                for _ in 0..SALES {
                    shop.counter_sale(
                        &cashier,
                        new_order(&[(&p, 2)]),
                        &[Tender::Card {
                            amount: 240,
                            reference: None,
                        }],
                    )
                    .unwrap_or_else(|e| {
                        panic!("a sale failed under contention: {e:?} ({})", e.code())
                    });
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let sold = (THREADS * SALES * 2) as i64;
    assert_eq!(
        t.shop.product(&t.cashier, p.id).unwrap().on_hand,
        10_000 - sold
    );
    let events = t.shop.store().events_after(seq_before, u32::MAX).unwrap();
    assert_eq!(
        events.len(),
        THREADS * SALES * 5,
        "created, confirmed, paid, stock, delivered per sale"
    );
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
}

#[test]
fn two_connections_to_one_file_never_surface_sqlite_busy() {
    // Two `Store`s on the same file behave like two processes: only SQLite's own
    // locking (BEGIN IMMEDIATE + busy timeout) keeps them apart.
    let t = spawn_shop_with(TaxMode::Inclusive, false);
    let p = t.product("TWIN", 100, 10_000);
    t.open_shift(0);
    let second = Arc::new(open_shop(&t.db_path(), t.clock.clone(), 99));
    let handles: Vec<_> = [t.shop.clone(), second]
        .into_iter()
        .map(|shop| {
            let cashier = t.cashier.clone();
            let p = p.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    shop.counter_sale(
                        &cashier,
                        new_order(&[(&p, 1)]),
                        &[Tender::Card {
                            amount: 100,
                            reference: None,
                        }],
                    )
                    .unwrap_or_else(|e| panic!("{e:?}"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        t.shop.product(&t.cashier, p.id).unwrap().on_hand,
        10_000 - 200
    );
    let report = t.shop.doctor(&t.admin).unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn two_connections_taking_turns_never_reuse_a_seq_or_an_order_number() {
    // Each store carries its device counters from one commit to the next; a commit
    // through the other store (another process on the file) must make it read them
    // again.
    let t = spawn_shop_with(TaxMode::Inclusive, false);
    let p = t.product("TURN", 100, 10_000);
    t.open_shift(0);
    let second = open_shop(&t.db_path(), t.clock.clone(), 99);
    let sell = |shop: &rustok_core::service::Shop| {
        shop.counter_sale(
            &t.cashier,
            new_order(&[(&p, 1)]),
            &[Tender::Card {
                amount: 100,
                reference: None,
            }],
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    };
    let mut numbers = Vec::new();
    for shop in [&*t.shop, &second, &second, &*t.shop, &second, &*t.shop] {
        numbers.push(sell(shop).data().number.to_string());
    }
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "{numbers:?}");
    let report = t.shop.doctor(&t.admin).unwrap();
    assert!(report.is_clean(), "{report:?}");
}
