//! Shared helpers of the benchmarks: where their databases live, and reading
//! criterion's results back to report the ratio of a benchmark to its floor from the
//! same run.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Median time in nanoseconds of a finished criterion benchmark `group/id`, read from
/// the estimates criterion wrote since `since` (older files are another run's).
pub fn median_ns(group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let written = std::fs::metadata(&path).ok()?.modified().ok()?;
    if written < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("median")?.get("point_estimate")?.as_f64()
}

/// The workspace's target directory: criterion writes there, and benchmark databases
/// live there, on the same disk as a real installation rather than a RAM-backed /tmp.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Where benchmark databases go: `RUSTOK_BENCH_DIR` if set (to compare disks),
/// otherwise the target directory.
pub fn scratch_dir() -> PathBuf {
    std::env::var_os("RUSTOK_BENCH_DIR").map_or_else(target_dir, PathBuf::from)
}

fn criterion_dir() -> PathBuf {
    target_dir().join("criterion")
}

/// Prints `ours` against `floor` as a ratio, one line, for the closing notes, if both
/// were measured since `since` (a `cargo test` smoke run measures nothing).
pub fn report_ratio(group: &str, ours: &str, floor: &str, since: SystemTime) {
    match (
        median_ns(group, ours, since),
        median_ns(group, floor, since),
    ) {
        (Some(a), Some(b)) if b > 0.0 => {
            let line = format!(
                "RATIO {group}: {ours} {:.2} µs / {floor} {:.2} µs = {:.4}",
                a / 1000.0,
                b / 1000.0,
                a / b
            );
            #[allow(clippy::print_stdout)]
            {
                println!("{line}");
            }
        }
        _ => eprintln!("RATIO {group}: nothing measured in this run (test mode or filtered out)"),
    }
}

pub mod catalog;
pub mod chain;
pub mod outbox;

/// `true` under `cargo bench`; `false` when `cargo test` runs the bench once as a
/// smoke test, where the data sets are kept small.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Documents for `index_rebuild`: 1M under `cargo bench` (`RUSTOK_REBUILD_DOCS`
/// overrides), 10k in a smoke run.
pub fn rebuild_docs() -> usize {
    let default = if full_run() { 1_000_000 } else { 10_000 };
    std::env::var("RUSTOK_REBUILD_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p`-th percentile (0–100) of `samples` (sorted in place), in microseconds.
pub fn percentile_us(samples: &mut [std::time::Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)].as_secs_f64() * 1e6
}

/// An empty folder `name` under [`scratch_dir`] for a benchmark's data.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = scratch_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// Ends a benchmark binary: criterion's summary, then one RATIO line per
/// `(ours, floor)` measured since `since`.
pub fn finish(group: &str, pairs: &[(&str, &str)], since: SystemTime) {
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    for (ours, floor) in pairs {
        report_ratio(group, ours, floor, since);
    }
}

/// Prints one line, for the closing notes.
pub fn report_line(line: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
}
