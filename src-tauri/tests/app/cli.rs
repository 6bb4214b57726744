//! The headless subcommands, run as the real binary.

use rustok_core::service::Shop;
use rustok_core::store::Store;
use rustok_core::system::{OsEntropy, SystemClock};
use std::process::{Command, Output};
use std::sync::Arc;

pub(crate) fn run(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rustok-edge"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub(crate) fn demo(dir: &std::path::Path) {
    let store = Arc::new(Store::open(&dir.join("shop.db")).unwrap());
    rustok_app::demo::create(&Shop::new(
        store,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    ))
    .unwrap();
}

#[test]
fn status_doctor_backup_and_export_work_on_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let status = run(dir.path(), &["status"]);
    assert!(status.status.success());
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("POS1") && text.contains("pending"), "{text}");

    let doctor = run(dir.path(), &["doctor"]);
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
    assert!(String::from_utf8_lossy(&doctor.stdout).contains("clean"));

    let copy = dir.path().join("copy.db");
    assert!(run(dir.path(), &["backup", copy.to_str().unwrap()])
        .status
        .success());
    assert!(Store::open(&copy).unwrap().doctor().unwrap().is_clean());

    let out = dir.path().join("unsynced.jsonl");
    assert!(run(dir.path(), &["export-unsynced", out.to_str().unwrap()])
        .status
        .success());
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    assert_eq!(
        lines,
        Store::open(&dir.path().join("shop.db"))
            .unwrap()
            .outbox_status()
            .unwrap()
            .pending
    );
}

#[test]
fn failures_exit_non_zero_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(dir.path(), &["doctor"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no database"));
    assert_eq!(run(dir.path(), &["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(dir.path(), &["backup"]).status.code(), Some(2));
    assert!(run(dir.path(), &["demo"]).status.success());
    assert_eq!(
        run(dir.path(), &["demo"]).status.code(),
        Some(1),
        "a second demo shop is refused"
    );
    // Plant a gap in the outbox: doctor must report it and fail.
    let db = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    db.execute("DELETE FROM events WHERE seq = 3", []).unwrap();
    drop(db);
    let broken = run(dir.path(), &["doctor"]);
    assert_eq!(
        broken.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&broken.stdout)
    );
    assert!(String::from_utf8_lossy(&broken.stdout).contains("(3, 3)"));
    let bad_dest = run(dir.path(), &["backup", "/nonexistent/dir/copy.db"]);
    assert_eq!(bad_dest.status.code(), Some(1));
}

/// `doctor` checks every picture a product names against its file: a missing one
/// and a damaged one are named, noted to be fetched again (`status` counts them),
/// and a damaged one fails the check.
#[test]
fn doctor_finds_missing_and_damaged_pictures_and_has_them_fetched_again() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["demo"]).status.success());
    let doctor = run(dir.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert!(doctor.status.success(), "{text}");
    assert!(text.contains(" 0 missing, 0 damaged"), "{text}");
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join("images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "the demo shop has pictures");
    // As on a till whose pictures were all exchanged with central.
    rusqlite::Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .execute("DELETE FROM image_transfers", [])
        .unwrap();
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::write(&files[1], b"garbage").unwrap();
    let doctor = run(dir.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert_eq!(doctor.status.code(), Some(1), "{text}");
    assert!(text.contains(" 1 missing, 1 damaged"), "{text}");
    assert!(text.contains(&files[1].display().to_string()), "{text}");
    // Both are noted to be fetched at the next sync.
    let store = Store::open(&dir.path().join("shop.db")).unwrap();
    let due: Vec<String> = store
        .image_transfers_due(i64::MAX, 1_000)
        .unwrap()
        .into_iter()
        .map(|t| t.digest.to_string())
        .collect();
    let mut want: Vec<String> = files[..2]
        .iter()
        .map(|f| f.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    want.sort();
    let mut due = due;
    due.sort();
    assert_eq!(due, want, "exactly the missing and the damaged one");
}

#[test]
fn the_command_line_parses_into_commands_or_clear_errors() {
    use rustok_app::cli::{parse, Command as C};
    let p = |args: &[&str]| parse(args.iter().map(std::ffi::OsString::from));
    let ok = |args: &[&str]| p(args).unwrap();
    assert_eq!(ok(&[]).command, C::Gui);
    assert!(!ok(&[]).demo);
    assert_eq!(ok(&["--help"]).command, C::Help);
    assert_eq!(ok(&["enrol", "--help"]).command, C::Help);
    let demo = ok(&["--demo", "--data-dir", "/d"]);
    assert!(
        demo.demo
            && demo.command == C::Gui
            && demo.data_dir.as_deref() == Some(std::path::Path::new("/d"))
    );
    assert_eq!(
        ok(&["--data-dir=/x", "status"]).data_dir.as_deref(),
        Some(std::path::Path::new("/x"))
    );
    assert_eq!(ok(&["backup", "f.db"]).command, C::Backup("f.db".into()));
    assert_eq!(
        ok(&["export-unsynced", "-"]).command,
        C::ExportUnsynced(None)
    );
    assert_eq!(ok(&["--help"]).command, C::Help);
    assert_eq!(
        ok(&["enrol", "--url", "http://127.0.0.1:8787", "--code", "AB-CD"]).command,
        C::Enrol {
            url: Some("http://127.0.0.1:8787".into()),
            code: "AB-CD".into()
        }
    );
    // Without --url, the config file's central.url is used (or the command says
    // to give one).
    assert_eq!(
        ok(&["enrol", "--code", "AB"]).command,
        C::Enrol {
            url: None,
            code: "AB".into()
        }
    );
    assert_eq!(ok(&["--version"]).command, C::Version);
    assert_eq!(
        ok(&["--config", "/etc/x.toml", "status"]).config.as_deref(),
        Some(std::path::Path::new("/etc/x.toml"))
    );
    assert_eq!(ok(&["sync"]).command, C::Sync);
    for bad in [
        &["--data-dir"][..],
        &["--frob"],
        &["backup"],
        &["status", "extra"],
        &["nope"],
        &["enrol"],
        &["enrol", "--url", "http://x"],
        &["enrol", "--url", "--code", "AB"],
        &["--config"],
        &["status", "--url", "http://x"],
    ] {
        assert!(p(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn enrol_and_sync_subcommands_work_against_a_real_central() {
    let dir = tempfile::tempdir().unwrap();
    let central_dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(crate::central::start_central(
        central_dir.path(),
        "127.0.0.1:0",
    ));
    let creds = dir.path().join("sync.json");
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let early = run(dir.path(), &["sync"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(text(&early).contains("not enrolled"), "{}", text(&early));

    let wrong = run(
        dir.path(),
        &["enrol", "--url", &central.url, "--code", "WRONG-CODE"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong).contains("enrolment failed"),
        "{}",
        text(&wrong)
    );
    assert!(!creds.exists(), "a refused enrolment stores nothing");

    let code = rt.block_on(central.code());
    let enrol = run(
        dir.path(),
        &["enrol", "--url", &central.url, "--code", &code],
    );
    assert!(enrol.status.success(), "{}", text(&enrol));
    assert!(text(&enrol).contains("demo-shop"), "{}", text(&enrol));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = run(
        dir.path(),
        &["enrol", "--url", &central.url, "--code", &code],
    );
    assert_eq!(again.status.code(), Some(1), "a code works once");

    let sync = run(dir.path(), &["sync"]);
    assert!(sync.status.success(), "{}", text(&sync));
    assert!(text(&sync).contains("0 pending"), "{}", text(&sync));
    let store = Store::open(&dir.path().join("shop.db")).unwrap();
    let outbox = store.events_after(0, u32::MAX).unwrap();
    let device = store
        .read(rustok_core::store::device_identity)
        .unwrap()
        .unwrap();
    assert_eq!(
        rt.block_on(central.central.backend.events_of(device.device_id))
            .unwrap(),
        outbox
    );

    // Trial findings: a till could not join a chain headlessly, `sync` only pushed,
    // and `status` said nothing of central. A second till joins from an empty
    // folder and takes the chain's catalog; head office changes a price; `sync`
    // takes it; `status` says where the till stands.
    let second = tempfile::tempdir().unwrap();
    let joined = run(
        second.path(),
        &[
            "join",
            "--url",
            &central.url,
            "--code",
            &rt.block_on(central.code()),
            "--till",
            "TILL7",
        ],
    );
    assert!(joined.status.success(), "{}", text(&joined));
    assert!(
        text(&joined).contains("joined demo-shop"),
        "{}",
        text(&joined)
    );
    assert!(text(&joined).contains("changes taken"), "{}", text(&joined));
    let price = |dir: &std::path::Path| -> (String, i64) {
        let c = rusqlite::Connection::open(dir.join("shop.db")).unwrap();
        c.query_row(
            "SELECT id, price FROM products WHERE sku = 'DEMO-001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let (product, before) = price(second.path());
    assert_eq!(
        before,
        price(dir.path()).1,
        "the catalog came with the join"
    );
    let r = rt
        .block_on(
            reqwest::Client::new()
                .post(format!("{}/v1/admin/tenants/demo-shop/changes", central.url))
                .bearer_auth("app-test-admin-token-0123456789")
                .json(&serde_json::json!({ "protocol": 1, "changes": [
                    { "kind": "product", "id": product, "fields": { "price": { "minor": 111, "currency": "EUR" } } }
                ] }))
                .send(),
        )
        .unwrap();
    assert!(r.status().is_success());
    let sync = run(second.path(), &["sync"]);
    assert!(text(&sync).contains("1 changes taken"), "{}", text(&sync));
    assert_eq!(price(second.path()).1, 111);
    let status = run(second.path(), &["status"]);
    let said = text(&status);
    for want in [
        "TILL7",
        "shop:           RusToK Demo Shop",
        "central:",
        "changes taken:",
    ] {
        assert!(said.contains(want), "{want} in {said}");
    }
    // Joining again over a till is refused, and says so.
    let twice = run(
        second.path(),
        &[
            "join",
            "--url",
            &central.url,
            "--code",
            &rt.block_on(central.code()),
        ],
    );
    assert_eq!(twice.status.code(), Some(1), "{}", text(&twice));
    rt.block_on(central.stop());
}

#[test]
fn a_backup_killed_midway_leaves_nothing_under_its_name_and_the_next_one_reports_its_leftover() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    {
        // Enough pages that the copy takes a while.
        let c = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
        c.execute_batch("CREATE TABLE ballast (b BLOB)").unwrap();
        for _ in 0..300 {
            c.execute("INSERT INTO ballast VALUES (zeroblob(1048576))", [])
                .unwrap();
        }
    }
    let dest = dir.path().join("nightly.db");
    let partial = dir.path().join("nightly.db.partial");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rustok-edge"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["backup", dest.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    // Killed once the copy has started.
    while std::fs::metadata(&partial).map_or(true, |m| m.len() == 0) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended before it was killed"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!dest.exists(), "nothing under the requested name");
    assert!(partial.exists(), "the unfinished copy is left as .partial");
    let again = run(dir.path(), &["backup", dest.to_str().unwrap()]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("an unfinished backup left by an earlier run"),
        "{said}"
    );
    assert!(!partial.exists());
    assert!(Store::open(&dest).unwrap().doctor().unwrap().is_clean());
}

fn out_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `doctor` checks the search index against the database without changing it;
/// `reindex` rebuilds it with progress. Damage is planted two ways: an entry
/// removed from the index behind its back, and a record changed in the database
/// without its event (the index then no longer says what the database does).
#[test]
fn doctor_finds_a_damaged_or_wrong_index_and_reindex_mends_it() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let index = dir.path().join("index");
    let doctor = |want: Option<i32>, says: &str| {
        let o = run(dir.path(), &["doctor"]);
        let text = out_text(&o);
        assert_eq!(o.status.code(), want, "{text}");
        let line = text
            .lines()
            .find(|l| l.starts_with("search index:"))
            .unwrap_or_else(|| panic!("no index line: {text}"))
            .to_owned();
        assert!(line.contains(says), "{line}");
        line
    };
    let reindex = || {
        let o = run(dir.path(), &["reindex"]);
        let text = out_text(&o);
        assert!(o.status.success(), "{text}");
        assert!(text.contains("indexing: "), "progress: {text}");
        assert!(
            text.contains("search index rebuilt: 203 documents"),
            "{text}"
        );
    };
    doctor(Some(0), "none yet");
    reindex();
    doctor(Some(0), "ok (203 documents");

    // Entries removed behind the index's back (the fullest of its pages).
    {
        let db = sled::open(&index).unwrap();
        let (key, _) = db
            .iter()
            .map(Result::unwrap)
            .filter(|(k, _)| k.first() != Some(&b'!'))
            .max_by_key(|(_, v)| v.len())
            .unwrap();
        db.remove(key).unwrap();
        db.flush().unwrap();
    }
    let line = doctor(Some(1), "damaged");
    assert!(line.contains("rustok-edge reindex"), "{line}");
    reindex();
    doctor(Some(0), "ok (203 documents");

    // A record changed in the database without its event.
    rusqlite::Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .execute(
            "UPDATE products SET sku = 'ODD-001' WHERE sku = 'DEMO-001'",
            [],
        )
        .unwrap();
    doctor(Some(1), "differ from what the database's records give");
    reindex();
    doctor(Some(0), "ok (203 documents");

    // A file where the index folder belongs.
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::write(&index, "not an index").unwrap();
    doctor(Some(1), "damaged");
    reindex();
    doctor(Some(0), "ok (203 documents");

    // While the app has the index open, doctor says so and reindex refuses.
    let lock = std::fs::File::options()
        .write(true)
        .open(dir.path().join("index.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    doctor(Some(0), "in use by the running app");
    let o = run(dir.path(), &["reindex"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out_text(&o).contains("close it first"), "{}", out_text(&o));
}

/// `import` as an operator runs it on a real file: 100,000 rows with progress, a
/// few bad ones listed with their lines, and the same file again changes nothing
/// (not one event).
#[test]
fn import_takes_a_100k_row_file_with_progress_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let file = dir.path().join("prices.csv");
    let mut text = String::from("sku,barcode,title_en,title_ru,price,tax,status,stock\n");
    for i in 0..100_000u32 {
        match i {
            // Line i + 2 in the file.
            500 => text.push_str("IMP-500,,Free lunch,,-1.00,20,active,1\n"),
            70_000 => text.push_str("IMP-70000,,Odd tax,,1.00,twenty,active,1\n"),
            _ => text.push_str(&format!(
                "IMP-{i},,Item {i},Товар {i},{}.{:02},20,active,{}\n",
                1 + i % 50,
                i % 100,
                i % 7
            )),
        }
    }
    std::fs::write(&file, &text).unwrap();
    let events = |dir: &std::path::Path| -> String {
        let o = run(dir, &["status"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines()
            .find(|l| l.starts_with("events:"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let o = run(dir.path(), &["import", file.to_str().unwrap()]);
    let out = out_text(&o);
    assert_eq!(o.status.code(), Some(1), "rows were rejected: {out}");
    assert!(
        out.contains("importing") && out.contains("as Alice Admin"),
        "{out}"
    );
    assert!(
        out.contains("rows read (") && out.contains("100000 rows read (100 %)"),
        "{out}"
    );
    assert!(
        out.contains("100000 rows: 99998 products created, 0 changed, 0 already as in the file, 2 not imported"),
        "{out}"
    );
    assert!(
        out.contains("line 502 (IMP-500): price: cannot be negative"),
        "{out}"
    );
    assert!(out.contains("line 70002 (IMP-70000): tax: "), "{out}");
    let after_first = events(dir.path());

    let o = run(dir.path(), &["import", file.to_str().unwrap()]);
    let out = out_text(&o);
    assert!(
        out.contains("100000 rows: 0 products created, 0 changed, 99998 already as in the file, 2 not imported"),
        "{out}"
    );
    assert_eq!(events(dir.path()), after_first, "no event the second time");
    let o = run(dir.path(), &["import", "/nonexistent.csv"]);
    assert!(out_text(&o).contains("cannot open /nonexistent.csv"));
}
