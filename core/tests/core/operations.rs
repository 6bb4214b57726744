//! Operations tooling: doctor, backup, export of unsynced events.

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
    assert!(t.shop.doctor(&t.admin).unwrap().is_clean());
    let last = t.event_count();
    {
        let c = rusqlite::Connection::open(t.db_path()).unwrap();
        c.execute("DELETE FROM events WHERE seq IN (3, 4)", [])
            .unwrap();
        c.execute("DELETE FROM events WHERE seq = ?1", [last])
            .unwrap();
        c.execute("UPDATE products SET on_hand = on_hand + 1", [])
            .unwrap();
    }
    let r = t.shop.doctor(&t.admin).unwrap();
    assert!(!r.is_clean());
    assert_eq!(r.seq_gaps, vec![(3, 4)]);
    assert_eq!(r.last_seq_mismatch, Some((last, last - 1)));
    assert_eq!(r.stock_mismatches, vec!["DOC".to_owned()]);
}
