//! The device's config file: read with the environment over it, watched while the
//! app runs (a good change applied within a second or two, a bad one refused with
//! its line and key while the old values stay, a deleted file means the defaults),
//! and shown by `status`.

use rustok_app::config::file::{self, DeviceConfig, Language, Paper, ProblemCode, Source};
use rustok_app::config::hub::{watch, ConfigHub, FileState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits (up to 10 s, far beyond the debounce) until `ok` holds; returns how long.
fn until(what: &str, ok: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

#[test]
fn a_file_sets_what_it_names_and_the_environment_wins() {
    let r = file::parse(
        "# a comment\n[sync]\ninterval_ms = 5_000\n[printer]\npaper = \"58 mm\"\n[ui]\nlanguage = \"RU\"\n[central]\nurl = \"https://hq.example/\"\n",
    )
    .unwrap();
    assert_eq!(r.config.sync_interval, Duration::from_secs(5));
    assert_eq!(r.config.paper, Paper::Mm58);
    assert_eq!(r.config.language, Language::Ru);
    assert_eq!(r.config.central_url.as_deref(), Some("https://hq.example"));
    assert_eq!(r.sources.get("sync.interval_ms"), Some(&Source::File));
    assert_eq!(r.sources.get("log.level"), None);

    let mut r = r;
    let mut problems = Vec::new();
    file::apply_env(
        &mut r,
        |k| match k {
            "RUSTOK_SYNC_INTERVAL_MS" => Some("250".into()),
            "RUSTOK_PRINTER_PAPER" => Some("wide".into()),
            "RUST_LOG" => Some("warn".into()),
            _ => None,
        },
        &mut problems,
    );
    assert_eq!(r.config.sync_interval, Duration::from_millis(250));
    assert_eq!(r.sources.get("sync.interval_ms"), Some(&Source::Env));
    assert_eq!(r.config.log_level, "warn");
    // A bad variable is a problem and changes nothing.
    assert_eq!(r.config.paper, Paper::Mm58);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key.as_deref(), Some("RUSTOK_PRINTER_PAPER"));
    assert_eq!(problems[0].code, ProblemCode::BadValue);
}

#[test]
fn every_problem_is_named_with_its_line_and_key_and_nothing_applies() {
    let text = "[sync]\ninterval_ms = 50\n\n[kiosk]\nidle_seconds = 99999999999999999999\nenabled = \"yes please\"\n[printr]\npaper = \"80mm\"\n[ui]\nlanguage = 7\nlog = 1\n";
    let problems = file::parse(text).unwrap_err();
    let got: Vec<(Option<u32>, Option<&str>, ProblemCode)> = problems
        .iter()
        .map(|p| (p.line, p.key.as_deref(), p.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(2), Some("sync.interval_ms"), ProblemCode::BadValue),
            (Some(5), Some("kiosk.idle_seconds"), ProblemCode::BadValue),
            (Some(6), Some("kiosk.enabled"), ProblemCode::BadValue),
            (Some(8), Some("printr.paper"), ProblemCode::UnknownKey),
            (Some(10), Some("ui.language"), ProblemCode::BadValue),
            (Some(11), Some("ui.log"), ProblemCode::UnknownKey),
        ]
    );
    assert!(problems[0]
        .to_string()
        .starts_with("line 2: sync.interval_ms: takes a whole number"));
    // Not TOML at all: the line of the mistake.
    let p = file::parse("[sync]\ninterval_ms = 5000\nthis is not toml\n").unwrap_err();
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].code, p[0].line), (ProblemCode::Syntax, Some(3)));
    // A bare key outside a section, and overflowing or odd values, never panic.
    for odd in [
        "interval_ms = 5",
        "[sync]\ninterval_ms = 1e3",
        "[sync]\ninterval_ms = -9223372036854775808",
        "[sync]\ninterval_ms = 0x7fffffffffffffff",
        "[central]\nurl = \"http://\"",
        "[central]\nurl = \"ftp://x\"",
        "[log]\nlevel = \"[[[\"",
        // tracing would take a bare word for a module and log nothing else.
        "[log]\nlevel = \"verbose\"",
        "[log]\nlevel = \"rustok_sync=loud\"",
        "[sync]\n[sync]",
        "\u{0}",
    ] {
        assert!(file::parse(odd).is_err(), "{odd:?} must be refused");
    }
}

fn hub_on(path: std::path::PathBuf) -> Arc<ConfigHub> {
    ConfigHub::load_with(path, false, |_| None)
}

#[test]
fn a_watched_file_is_applied_refused_with_line_and_key_and_deleted_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let hub = hub_on(path.clone());
    assert_eq!(hub.loaded().file, FileState::Missing);
    assert!(hub.write_example_if_missing().unwrap());
    assert!(!hub.write_example_if_missing().unwrap(), "written once");
    let changes = Arc::new(AtomicUsize::new(0));
    let reads = Arc::new(AtomicUsize::new(0));
    let (seen, read) = (changes.clone(), reads.clone());
    hub.listen(move |old, new| {
        read.fetch_add(1, Ordering::SeqCst);
        if old != new {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let _watch = watch(&hub).unwrap();

    // A good change (written the way editors save: a new file renamed over).
    let tmp = dir.path().join(".config.toml.swp");
    std::fs::write(&tmp, "[sync]\ninterval_ms = 1500\n").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let took = until("the new interval", || {
        hub.config().sync_interval == Duration::from_millis(1500)
    });
    eprintln!("a good change applied after {took:?}");
    assert_eq!(hub.loaded().file, FileState::Used);
    assert_eq!(changes.load(Ordering::SeqCst), 1);
    // Reading the file is no change to it: no reload follows a reload (the app's
    // log once filled with one every 250 ms).
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        reads.load(Ordering::SeqCst) <= 2,
        "{} reads",
        reads.load(Ordering::SeqCst)
    );

    // A bad one: refused with its line and key; the good value stays.
    std::fs::write(&path, "[sync]\n\ninterval_ms = \"soon\"\n").unwrap();
    let took = until("the refusal", || hub.loaded().file == FileState::Refused);
    eprintln!("a bad change refused after {took:?}");
    let loaded = hub.loaded();
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].line, Some(3));
    assert_eq!(loaded.problems[0].key.as_deref(), Some("sync.interval_ms"));
    assert_eq!(hub.config().sync_interval, Duration::from_millis(1500));
    assert_eq!(
        loaded.resolved.sources.get("sync.interval_ms"),
        Some(&Source::File)
    );
    assert_eq!(changes.load(Ordering::SeqCst), 1, "nothing changed");

    // Deleted: the defaults.
    std::fs::remove_file(&path).unwrap();
    let took = until("the defaults", || hub.loaded().file == FileState::Missing);
    eprintln!("a deleted file fell back to the defaults after {took:?}");
    assert_eq!(hub.config(), DeviceConfig::default());
    assert!(hub.loaded().problems.is_empty());
    assert_eq!(changes.load(Ordering::SeqCst), 2);
}

#[test]
fn status_shows_the_config_file_and_its_problems() {
    let dir = tempfile::tempdir().unwrap();
    crate::cli::demo(dir.path());
    let out = crate::cli::run(dir.path(), &["status"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let path = dir.path().join("config.toml");
    assert!(
        text.contains(&format!(
            "config file:    {} (none: defaults)",
            path.display()
        )),
        "{text}"
    );
    std::fs::write(&path, "[printer]\npaper = \"A5\"\n").unwrap();
    let out = crate::cli::run(dir.path(), &["status"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("config problem: line 2: printer.paper: takes \"58mm\", \"80mm\" or \"A4\""),
        "{text}"
    );
    // doctor counts a refused file as a problem.
    let doctor = crate::cli::run(dir.path(), &["doctor"]);
    assert_eq!(doctor.status.code(), Some(1));
    // The settings in force and where each came from (the test sets RUST_LOG).
    std::fs::write(
        &path,
        "[printer]\npaper = \"58mm\"\n[log]\nlevel = \"rustok_sync=debug,info\"\n",
    )
    .unwrap();
    let out = crate::cli::run(dir.path(), &["status"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("setting:        printer.paper = 58mm (the file)"),
        "{text}"
    );
    assert!(
        text.contains("setting:        log.level = warn (environment)"),
        "{text}"
    );
    assert!(!text.contains("config problem"), "{text}");
    let version = crate::cli::run(dir.path(), &["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("rustok-edge {}", env!("CARGO_PKG_VERSION"))
    );
}
