//! Operations tooling: doctor, backup, export of unsynced events, dead letters.

use crate::helpers::*;
use rustok_core::domain::event::Envelope;

#[test]
fn backup_is_a_complete_consistent_copy() {
    let t = spawn_shop();
    let p = t.product("BAK", 100, 9);
    t.open_shift(0);
    t.sell(&[(&p, 2)]);
    let dest = t.dir.path().join("copy.db");
    t.shop.backup(&t.manager, &dest).unwrap();
    assert_eq!(fingerprint(&dest), t.fingerprint());
    let bad = t
        .shop
        .backup(&t.manager, &t.dir.path().join("no/such/dir/copy.db"));
    assert!(bad.is_err());
    assert!(!t.dir.path().join("no/such/dir").exists());
}

/// Grows the file to `mb` MB with a side table only this test writes, so a backup
/// has many pages to copy.
fn ballast(t: &TestShop, mb: usize) {
    let c = rusqlite::Connection::open(t.db_path()).unwrap();
    c.execute_batch("CREATE TABLE ballast (b BLOB)").unwrap();
    for _ in 0..mb {
        c.execute("INSERT INTO ballast VALUES (zeroblob(1048576))", [])
            .unwrap();
    }
}

#[test]
fn backup_finishes_while_the_till_sells_flat_out() {
    // Regression: the online backup copied 1,024 pages a step and started over
    // whenever the till committed between two steps, so it never finished while
    // the till sold. Now it must finish before the till has made its sales.
    let t = spawn_shop();
    let p = t.product("BUSY", 100, 1_000_000);
    t.open_shift(0);
    ballast(&t, 24);
    let dest = t.dir.path().join("busy-copy.db");
    let finished = std::sync::atomic::AtomicBool::new(false);
    let sold_before_finish = std::thread::scope(|s| {
        let seller = s.spawn(|| {
            let mut sold = 0;
            while !finished.load(std::sync::atomic::Ordering::SeqCst) && sold < 5_000 {
                t.sell(&[(&p, 1)]);
                sold += 1;
            }
            sold
        });
        // Let the till get going before the backup starts.
        while t.event_count() < 100 {
            std::thread::yield_now();
        }
        t.shop.backup(&t.manager, &dest).unwrap();
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        seller.join().unwrap()
    });
    assert!(
        sold_before_finish < 5_000,
        "the backup finished only after the till stopped selling"
    );
    let copy = rustok_core::store::Store::open(&dest).unwrap();
    let report = copy.doctor().unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert!(report.events > 100);
    assert!(!rustok_core::store::partial_path(&dest).exists());
}

#[test]
fn a_killed_backup_leaves_no_file_under_its_name_and_the_next_one_removes_and_reports_its_leftover()
{
    let t = spawn_shop();
    let p = t.product("KILL", 100, 9);
    t.open_shift(0);
    t.sell(&[(&p, 1)]);
    let dest = t.dir.path().join("nightly.db");
    let partial = rustok_core::store::partial_path(&dest);
    assert_eq!(partial, t.dir.path().join("nightly.db.partial"));
    // What a backup killed midway leaves: a partial copy (and, before this fix,
    // SQLite's journal of it); nothing under the requested name.
    std::fs::write(&partial, vec![7u8; 300_000]).unwrap();
    std::fs::write(t.dir.path().join("nightly.db.partial-journal"), b"junk").unwrap();
    let report = t.shop.backup(&t.manager, &dest).unwrap();
    assert_eq!(report.removed_leftover, Some(300_000));
    assert_eq!(fingerprint(&dest), t.fingerprint());
    assert!(!partial.exists());
    assert!(!t.dir.path().join("nightly.db.partial-journal").exists());
    let again = t.shop.backup(&t.manager, &dest).unwrap();
    assert_eq!(again.removed_leftover, None);

    // A backup to the same file that is still running: refused, its file untouched.
    let running = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&partial)
        .unwrap();
    running.lock().unwrap();
    std::fs::write(&partial, b"in progress").unwrap();
    let busy = t.shop.backup(&t.manager, &dest).unwrap_err();
    assert!(busy.to_string().contains("still running"), "{busy}");
    assert_eq!(std::fs::read(&partial).unwrap(), b"in progress");
    assert_eq!(fingerprint(&dest), t.fingerprint());
}

#[test]
fn export_writes_exactly_the_unacknowledged_events_in_order() {
    let t = spawn_shop();
    let p = t.product("EXP", 100, 9);
    t.open_shift(0);
    t.sell(&[(&p, 1)]);
    let all = t.event_count();
    let export = |t: &TestShop| {
        let mut out = Vec::new();
        let n = t.shop.export_unsynced(&t.admin, &mut out).unwrap();
        let lines: Vec<Envelope> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(n as usize, lines.len());
        lines
    };
    let lines = export(&t);
    assert_eq!(lines, t.shop.store().events_after(0, 10_000).unwrap());
    assert_eq!(t.shop.store().ack_through(5).unwrap(), 5);
    let rest = export(&t);
    assert_eq!(rest.len() as u64, all - 5);
    assert_eq!(rest[0].seq, 6);
    let status = t.shop.outbox_status(&t.admin).unwrap();
    assert_eq!((status.last_seq, status.pending), (all, all - 5));
    assert_eq!(status.oldest_pending, Some(START));
}

#[test]
fn doctor_reports_planted_damage() {
    let t = spawn_shop();
    let p = t.product("DOC", 100, 9);
    t.open_shift(0);
    t.sell(&[(&p, 1)]);
    t.sell(&[(&p, 1)]);
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
    let last = t.event_count();
    // Central holds everything: the device row now records `last` as given out.
    assert_eq!(t.shop.store().ack_through(last).unwrap(), last);
    {
        let c = rusqlite::Connection::open(t.db_path()).unwrap();
        c.execute("DELETE FROM events WHERE seq IN (3, 4)", [])
            .unwrap();
        c.execute("DELETE FROM events WHERE seq = ?1", [last])
            .unwrap();
        c.execute("UPDATE products SET on_hand = on_hand + 1", [])
            .unwrap();
        c.execute(
            "UPDATE orders SET history = history || ',x' WHERE n = 1",
            [],
        )
        .unwrap();
    }
    let r = t.shop.doctor(&t.admin).unwrap();
    assert!(!r.is_clean());
    assert_eq!(r.seq_gaps, vec![(3, 4)]);
    assert_eq!(r.last_seq_mismatch, Some((last, last - 1)));
    // The second sale's last event (its hand-over) is gone; the first sale's history
    // cannot be read.
    assert_eq!(
        r.history_missing,
        vec!["POS1-000001".to_owned(), "POS1-000002".to_owned()]
    );
    assert_eq!(r.stock_mismatches, vec!["DOC".to_owned()]);
}

#[test]
fn discarding_a_dead_letter_removes_it_and_records_why_in_an_event() {
    use rustok_core::domain::event::{DomainEvent, EventType};
    use rustok_core::domain::upcast::Upcasters;
    use rustok_core::service::ShopError;
    use rustok_core::store::DeadLetter;
    let t = spawn_shop();
    let p = t.product("DLQ", 100, 9);
    t.open_shift(0);
    t.sell(&[(&p, 1)]);
    let seq = t.event_count();
    let bad = t.shop.store().event(seq).unwrap().unwrap();
    t.shop
        .store()
        .record_dead_letter(&DeadLetter {
            handler: "sync".into(),
            seq,
            error: "unknown_version: v99".into(),
            attempts: 3,
            recorded_at: rustok_core::domain::clock::Timestamp::from_unix_millis(1),
        })
        .unwrap();
    let listed = t.shop.dead_letters(&t.manager).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].event_id, listed[0].event_type.as_str()),
        (bad.id, bad.event_type.as_str())
    );

    // A letter that is not there: NotFound, nothing written.
    let before = t.fingerprint();
    assert!(matches!(
        t.shop.discard_dead_letter(&t.manager, "sync", seq + 100),
        Err(ShopError::NotFound { .. })
    ));
    assert!(matches!(
        t.shop.discard_dead_letter(&t.manager, "index", seq),
        Err(ShopError::NotFound { .. })
    ));
    assert_eq!(t.fingerprint(), before);

    let gone = t.shop.discard_dead_letter(&t.manager, "sync", seq).unwrap();
    assert_eq!(gone.letter.seq, seq);
    assert!(t.shop.dead_letters(&t.manager).unwrap().is_empty());
    let recorded = t.shop.store().event(seq + 1).unwrap().unwrap();
    assert_eq!(recorded.event_type, EventType::DeadLetterDiscarded.as_str());
    match recorded.decode(&Upcasters::standard()).unwrap() {
        DomainEvent::DeadLetterDiscarded(d) => {
            assert_eq!(
                (d.handler.as_str(), d.seq, d.event_id),
                ("sync", seq, bad.id)
            );
            assert_eq!((d.error.as_str(), d.attempts), ("unknown_version: v99", 3));
            assert_eq!(d.event_type, bad.event_type);
        }
        other => panic!("{other:?}"),
    }
    // Discarding twice finds nothing the second time.
    assert!(matches!(
        t.shop.discard_dead_letter(&t.manager, "sync", seq),
        Err(ShopError::NotFound { .. })
    ));
}
