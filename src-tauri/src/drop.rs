//! The drop folder: CSV files of products put there (by a person, a script, an
//! ERP's export) are imported as they arrive, then moved to `done/` (imported,
//! perhaps with rows refused) or `failed/` (nothing imported), each with a report
//! beside it in the device's language. A file is taken once it has stopped growing,
//! so one still being copied is never read half-written. Files that arrived while
//! the app was closed are taken when it starts.

use crate::config::file::Language;
use notify::{RecursiveMode, Watcher};
use rustok_core::domain::clock::Clock;
use rustok_core::domain::FieldError;
use rustok_core::service::{ImportReport, Shop, ShopError};
use rustok_core::system::SystemClock;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long a file must keep its size and time before it is taken (a program
/// that writes slower should write another name and rename the file when done).
pub const SETTLE: Duration = Duration::from_secs(2);
/// How often the folder is looked at without a change notice (a missed or
/// coalesced notice, a network folder that sends none).
const RESCAN: Duration = Duration::from_secs(5);

/// The folder for imported files.
pub const DONE: &str = "done";
/// The folder for files not imported.
pub const FAILED: &str = "failed";

/// Keeps the folder watched; dropping it stops the watching.
pub struct DropWatch {
    _watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for DropWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DropWatch")
    }
}

/// Starts watching `folder` (made, with `done/` and `failed/`, if missing);
/// `language` words the reports.
pub fn watch(
    folder: &Path,
    shop: Arc<Shop>,
    language: impl Fn() -> Language + Send + 'static,
) -> Result<DropWatch, String> {
    for dir in [folder.to_owned(), folder.join(DONE), folder.join(FAILED)] {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reading a file (as the import does) changes nothing in the folder.
        if !matches!(&event, Ok(e) if matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch the drop folder: {e}"))?;
    watcher
        .watch(folder, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", folder.display()))?;
    tracing::info!(folder = %folder.display(), "watching the drop folder");
    let folder = folder.to_owned();
    std::thread::Builder::new()
        .name("drop-folder".into())
        .spawn(move || {
            let mut seen: HashMap<PathBuf, (u64, SystemTime, SystemTime)> = HashMap::new();
            loop {
                // A file is looked at again once it may have settled.
                let wait = if seen.is_empty() { RESCAN } else { SETTLE / 2 };
                match rx.recv_timeout(wait) {
                    Err(RecvTimeoutError::Disconnected) => return,
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                }
                for file in settled(&folder, &mut seen) {
                    take(&folder, &file, &shop, language());
                }
            }
        })
        .map_err(|e| format!("cannot start the drop folder's thread: {e}"))?;
    Ok(DropWatch { _watcher: watcher })
}

/// The CSV files in `folder` whose size and time have not changed for
/// [`SETTLE`]; `seen` remembers what each looked like and since when.
fn settled(
    folder: &Path,
    seen: &mut HashMap<PathBuf, (u64, SystemTime, SystemTime)>,
) -> Vec<PathBuf> {
    let now = SystemTime::now();
    let mut ready = Vec::new();
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, folder = %folder.display(), "cannot read the drop folder");
            return ready;
        }
    };
    let mut present = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let csv = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
        let Ok(meta) = entry.metadata() else { continue };
        if !csv || !meta.is_file() {
            continue;
        }
        let shape = (meta.len(), meta.modified().unwrap_or(now));
        present.push(path.clone());
        match seen.get(&path) {
            Some((len, modified, since)) if (*len, *modified) == shape => {
                if now.duration_since(*since).unwrap_or_default() >= SETTLE {
                    ready.push(path.clone());
                }
            }
            _ => {
                seen.insert(path, (shape.0, shape.1, now));
            }
        }
    }
    seen.retain(|p, _| present.contains(p));
    for p in &ready {
        seen.remove(p);
    }
    ready.sort();
    ready
}

/// Imports `file` and moves it, with its report, to `done/` or `failed/`.
fn take(folder: &Path, file: &Path, shop: &Shop, language: Language) {
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let outcome = std::fs::File::open(file)
        .map_err(|e| ShopError::Storage(rustok_core::store::StoreError::Io(e)))
        .and_then(|input| {
            let size = input.metadata().ok().map(|m| m.len());
            let (actor, who) = shop.operations_actor()?;
            tracing::info!(file = %name, as_operator = %who, "importing a dropped file");
            shop.import_catalog(&actor, input, size, &mut |_| {}, &AtomicBool::new(false))
        });
    let stamp = SystemClock.now().to_rfc3339();
    let (to, report) = match &outcome {
        Ok(r) => (DONE, report_text(language, &name, &stamp, r)),
        Err(e) => (FAILED, refusal_text(language, &name, &stamp, e)),
    };
    match &outcome {
        Ok(r) => tracing::info!(
            file = %name,
            created = r.created,
            updated = r.updated,
            rejected = r.rejected.len(),
            "dropped file imported"
        ),
        Err(e) => tracing::warn!(file = %name, error = %e, "dropped file not imported"),
    }
    // Named by the time it was taken, so a file dropped again never overwrites
    // the first one's record.
    let prefix: String = stamp
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let target = folder.join(to).join(format!("{prefix}-{name}"));
    let report_path = folder.join(to).join(format!("{prefix}-{name}.report.txt"));
    // Written aside and renamed: whoever watches done/ never reads half a report.
    let partial = folder
        .join(to)
        .join(format!(".{prefix}-{name}.report.part"));
    let written =
        std::fs::write(&partial, report).and_then(|()| std::fs::rename(&partial, &report_path));
    if let Err(e) = written {
        tracing::error!(error = %e, file = %report_path.display(), "cannot write the import report");
    }
    if let Err(e) = std::fs::rename(file, &target) {
        // Left in place, it would be imported again and again: say so loudly.
        tracing::error!(error = %e, file = %file.display(), "cannot move a dropped file away");
        let _ = std::fs::remove_file(file);
    }
}

/// The texts a report is worded with, per language: the UI's own (errors.json).
struct Words {
    fields: HashMap<String, String>,
    summary: &'static str,
    heading: &'static str,
    refused: &'static str,
    line: &'static str,
}

fn words(language: Language) -> Words {
    let key = match language {
        Language::En => "en",
        Language::Ru => "ru",
    };
    let all: serde_json::Value =
        serde_json::from_str(include_str!("../../ui/src/errors.json")).unwrap_or_default();
    let fields = all[key]["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    match language {
        Language::En => Words {
            fields,
            heading: "Import of {file}, {at}",
            summary: "{rows} rows: {created} products added, {updated} changed, {unchanged} already as in the file, {rejected} not imported.",
            refused: "This file was not imported:",
            line: "Line",
        },
        Language::Ru => Words {
            fields,
            heading: "Импорт файла {file}, {at}",
            summary: "Строк: {rows}. Добавлено товаров: {created}, изменено: {updated}, уже как в файле: {unchanged}, не импортировано: {rejected}.",
            refused: "Этот файл не импортирован:",
            line: "Строка",
        },
    }
}

fn fill(text: &str, params: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
        out = out.replace(&format!("{{{k}:money}}"), v);
    }
    out
}

/// One field's problem as the UI words it (its English message when no text).
fn worded(w: &Words, e: &FieldError) -> String {
    let params: Vec<(&str, String)> = e.params.iter().map(|(k, v)| (*k, v.clone())).collect();
    let text = w
        .fields
        .get(&format!("{}@{}", e.code, e.field))
        .or_else(|| w.fields.get(e.code))
        .map_or_else(|| e.message.clone(), |t| fill(t, &params));
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The report of an import: what it did, then every row not imported.
pub fn report_text(language: Language, file: &str, at: &str, r: &ImportReport) -> String {
    let w = words(language);
    let mut out = fill(
        w.heading,
        &[("file", file.to_owned()), ("at", at.to_owned())],
    );
    out.push('\n');
    out.push_str(&fill(
        w.summary,
        &[
            ("rows", r.rows.to_string()),
            ("created", r.created.to_string()),
            ("updated", r.updated.to_string()),
            ("unchanged", r.unchanged.to_string()),
            ("rejected", r.rejected.len().to_string()),
        ],
    ));
    out.push_str("\n\n");
    for row in &r.rejected {
        let sku = row
            .sku
            .as_ref()
            .map_or(String::new(), |s| format!(" ({s})"));
        for e in &row.errors {
            out.push_str(&format!(
                "{} {}{sku}, {}: {}\n",
                w.line,
                row.line,
                e.field,
                worded(&w, e)
            ));
        }
    }
    out
}

/// The report of a file that was not imported at all.
pub fn refusal_text(language: Language, file: &str, at: &str, e: &ShopError) -> String {
    let w = words(language);
    let mut out = fill(
        w.heading,
        &[("file", file.to_owned()), ("at", at.to_owned())],
    );
    out.push('\n');
    out.push_str(w.refused);
    out.push('\n');
    match e {
        ShopError::Validation { fields } => {
            for f in fields {
                out.push_str(&worded(&w, f));
                out.push('\n');
                if matches!(f.code, "unknown_column" | "no_sku_column") {
                    out.push_str(rustok_core::service::IMPORT_COLUMNS);
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
    out
}
