//! Pins the content security policy and the capability set: widening either fails
//! here, on purpose, until the snapshot below is changed in review.

use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: rimg: http://rimg.localhost; font-src 'self'; connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[test]
fn the_csp_is_exactly_the_reviewed_one() {
    let conf = json("tauri.conf.json");
    assert_eq!(conf["app"]["security"]["csp"], CSP);
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    for banned in ["unsafe-eval", "unsafe-inline", "https:", "http://*", "*"] {
        assert!(
            !CSP.split_whitespace()
                .any(|w| w.trim_end_matches(';') == banned || w.contains(banned) && banned != "*"),
            "{banned}"
        );
    }
}

/// The app's commands, from the handler list.
pub fn commands() -> Vec<String> {
    // The handler list in src/commands/mod.rs: lines like `session::login,`.
    let src = std::fs::read_to_string(root().join("src-tauri/src/commands/mod.rs")).unwrap();
    src.lines()
        .filter_map(|l| l.trim().strip_suffix(','))
        .filter_map(|l| l.split_once("::").map(|(_, name)| name.to_owned()))
        .filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

#[test]
fn the_window_is_granted_exactly_its_commands_and_event_listening() {
    let cap = json("capabilities/main.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    let granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut want = vec![
        "core:event:allow-listen".to_owned(),
        "core:event:allow-unlisten".to_owned(),
    ];
    want.extend(
        commands()
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-"))),
    );
    assert_eq!(granted, want);
    assert_eq!(
        commands().len(),
        60,
        "a command was added or removed: review the capability"
    );
    let caps: Vec<_> = std::fs::read_dir(root().join("capabilities"))
        .unwrap()
        .collect();
    assert_eq!(
        caps.len(),
        1,
        "a new capability file widens what windows may do"
    );
}

#[test]
fn build_script_declares_every_registered_command() {
    let build = std::fs::read_to_string(root().join("src-tauri/build.rs")).unwrap();
    let declared: Vec<String> = build
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix("\","))
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(declared, commands());
}

#[test]
fn every_granted_command_is_used_by_the_window() {
    // A capability grants only what the window uses: a command no screen calls is
    // dead code and needless reach.
    let mut ui = String::new();
    for entry in std::fs::read_dir(root().join("ui/src")).unwrap() {
        let path = entry.unwrap().path();
        // Files only: `generated/` holds types, not calls.
        if path.is_file() {
            ui.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let unused: Vec<String> = commands()
        .into_iter()
        .filter(|c| !ui.contains(&format!("\"{c}\"")))
        .collect();
    assert!(unused.is_empty(), "commands no screen calls: {unused:?}");
}
