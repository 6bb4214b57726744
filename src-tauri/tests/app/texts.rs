//! Bug 7 of the counter trial: errors a person cannot read ("payments add up to 1000
//! but the total is 599", "your role may not CounterSale", "code: must be 1–64
//! characters") and all of them English in the Russian UI. Every error code the
//! code base can return, and every field it names, is found in the source here and
//! must have a plain sentence in every UI language in `ui/src/errors.json`, which
//! the UI words errors from. A code added without its texts fails this test, and so
//! does a text left behind for a code nobody returns.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LANGUAGES: &[&str] = &["en", "ru"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![
        root().join("domain/src"),
        root().join("core/src"),
        root().join("src-tauri/src"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out
}

/// The top-level arguments of the call whose `(` ends at `from`.
fn call_args(src: &str, from: usize) -> Vec<String> {
    let (mut args, mut cur, mut depth, mut in_str) = (Vec::new(), String::new(), 0u32, false);
    let mut chars = src[from..].chars();
    while let Some(c) = chars.next() {
        if in_str {
            cur.push(c);
            if c == '\\' {
                cur.extend(chars.next());
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                cur.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '}' if depth == 0 => {
                // A trailing comma leaves nothing after it.
                if !cur.trim().is_empty() {
                    args.push(cur.trim().to_owned());
                }
                return args;
            }
            ')' | ']' | '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    args
}

/// `"too_long"` → `too_long`, for a plain snake-case literal only.
fn literal(arg: &str) -> Option<&str> {
    let s = arg.strip_prefix('"')?.strip_suffix('"')?;
    (!s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'))
    .then_some(s)
}

/// A field path given literally or as `format!("payments[{i}].tendered")`.
fn path_literal(arg: &str) -> Option<String> {
    let inner = arg
        .trim_start_matches('&')
        .strip_prefix("format!(")
        .map_or(arg, |rest| {
            rest.split(',').next().unwrap_or(rest).trim_end_matches(')')
        });
    let s = inner.strip_prefix('"')?.strip_suffix('"')?;
    let name = field_name(s);
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')).then_some(name)
}

/// The name a field path is labelled by: its last part, without indices.
fn field_name(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last).to_owned()
}

#[derive(Default, Debug)]
struct Found {
    /// Codes of whole errors (`ShopError::code`, `ApiError::new`).
    errors: BTreeSet<String>,
    /// Codes of field errors.
    fields: BTreeSet<String>,
    /// Field names given literally.
    labels: BTreeSet<String>,
    /// Parameter names errors carry.
    params: BTreeSet<String>,
    /// Kinds of sync failure (`SyncError::kind`).
    sync: BTreeSet<String>,
}

fn find_codes() -> Found {
    let mut f = Found::default();
    let sync = std::fs::read_to_string(root().join("sync/src/error.rs")).unwrap();
    let kind = &sync[sync.find("pub fn kind(").unwrap()..];
    let kind = &kind[..kind.find("\n    }\n").unwrap()];
    for line in kind.lines() {
        if let Some((_, right)) = line.split_once("=> \"") {
            f.sync
                .insert(right.trim_end_matches(',').trim_end_matches('"').to_owned());
        }
    }
    for (path, src) in sources() {
        let calls = |needle: &str| {
            src.match_indices(needle)
                .map(|(i, _)| call_args(&src, i + needle.len()))
                .collect::<Vec<_>>()
        };
        for a in calls("FieldError::new(") {
            if let Some(code) = a.get(1).and_then(|c| literal(c)) {
                f.fields.insert(code.to_owned());
            }
            if let Some(field) = a.first().and_then(|c| path_literal(c)) {
                f.labels.insert(field);
            }
        }
        // `Errors::check(bad, field, code, message)`.
        for a in calls(".check(") {
            if let (4, Some(code)) = (a.len(), a.get(2).and_then(|c| literal(c))) {
                f.fields.insert(code.to_owned());
                if let Some(field) = path_literal(&a[1]) {
                    f.labels.insert(field);
                }
            }
        }
        for needle in [".take(", ".at("] {
            for a in calls(needle) {
                if let Some(field) = a.first().and_then(|c| path_literal(c)) {
                    f.labels.insert(field);
                }
            }
        }
        for needle in ["ApiError::new(", "Self::new("] {
            for a in calls(needle) {
                if let (Some(code), true) = (
                    a.first().and_then(|c| literal(c)),
                    path.ends_with("error.rs") || needle.starts_with("ApiError"),
                ) {
                    f.errors.insert(code.to_owned());
                }
            }
        }
        for needle in [".with_param(", "with_param("] {
            for a in calls(needle) {
                if let Some(name) = a.first().and_then(|c| literal(c)) {
                    f.params.insert(name.to_owned());
                }
            }
        }
        // The arms of `ShopError::code` and of the sync error mapping.
        let mapping = path.ends_with("service/mod.rs") || path.ends_with("src-tauri/src/error.rs");
        if mapping {
            for line in src.lines() {
                let line = line.trim();
                if let Some((_, right)) = line.split_once("=> \"") {
                    if let Some(code) = right.strip_suffix("\",") {
                        f.errors.insert(code.to_owned());
                    }
                }
            }
        }
    }
    f
}

fn texts() -> Value {
    let p = root().join("ui/src/errors.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Fills `{name}` and `{name:money}` with sample values, as the UI does with real ones.
fn render(text: &str, params: &BTreeSet<String>, problems: &mut Vec<String>, at: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            problems.push(format!("{at}: an unclosed {{"));
            return out;
        };
        let inner = &rest[open + 1..open + close];
        let (name, kind) = inner.split_once(':').unwrap_or((inner, ""));
        if !params.contains(name) {
            problems.push(format!(
                "{at}: {{{name}}} is not a parameter any error carries"
            ));
        }
        out.push_str(match kind {
            "money" => "12.30 EUR",
            "" => "7",
            other => {
                problems.push(format!("{at}: unknown format {other}"));
                ""
            }
        });
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// What a person should never read: code words, paths, English in Russian.
fn technical(lang: &str, text: &str) -> Option<&'static str> {
    let words = text.split(|c: char| !(c.is_alphanumeric() || c == '_'));
    if text.trim().is_empty() {
        Some("empty")
    } else if words.clone().any(|w| w.contains('_')) {
        Some("a code word with _")
    } else if text.contains('[') || text.contains(']') {
        Some("a field path")
    } else if lang == "ru" && !text.chars().any(|c| matches!(c, 'а'..='я' | 'А'..='Я')) {
        Some("no Russian")
    } else if lang == "ru"
        && words.clone().any(|w| {
            w.len() > 3
                && w.chars().all(|c| c.is_ascii_lowercase())
                && !matches!(w, "http" | "https")
        })
    {
        Some("an English word")
    } else if lang == "en" && text.chars().any(|c| matches!(c, 'а'..='я' | 'А'..='Я')) {
        Some("Russian in English")
    } else {
        None
    }
}

#[test]
fn every_error_reads_as_a_plain_sentence_in_every_ui_language() {
    let found = find_codes();
    // The scan itself must see the codes it is meant to see.
    for must in [
        "forbidden",
        "wrong_pin",
        "stock_approval_required",
        "unavailable",
    ] {
        assert!(found.errors.contains(must), "{must} not found: {found:?}");
    }
    for must in ["too_long", "sum_mismatch", "too_many_units", "check_digit"] {
        assert!(found.fields.contains(must), "{must} not found: {found:?}");
    }
    for must in ["network", "refused", "storage"] {
        assert!(found.sync.contains(must), "{must} not found: {found:?}");
    }
    let texts = texts();
    let mut problems = Vec::new();
    for lang in LANGUAGES {
        let section = |name: &str| -> BTreeMap<String, String> {
            serde_json::from_value(texts[lang][name].clone())
                .unwrap_or_else(|e| panic!("{lang}.{name}: {e}"))
        };
        let (errors, fields) = (section("errors"), section("fields"));
        let (labels, sync) = (section("labels"), section("sync"));
        for (kind, want, have) in [
            ("errors", &found.errors, &errors),
            ("fields", &found.fields, &fields),
            ("labels", &found.labels, &labels),
            ("sync", &found.sync, &sync),
        ] {
            for code in want {
                if !have.contains_key(code) {
                    problems.push(format!("{lang}.{kind}.{code}: missing"));
                }
            }
            for key in have.keys() {
                let code = key.split('@').next().unwrap_or(key);
                if !want.contains(code) {
                    problems.push(format!("{lang}.{kind}.{key}: no such code in the source"));
                }
            }
            for (key, text) in have {
                let at = format!("{lang}.{kind}.{key}");
                let shown = render(text, &found.params, &mut problems, &at);
                if let Some(why) = technical(lang, &shown) {
                    problems.push(format!("{at}: {why}: {shown:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
