//! Settings as a manager uses them: the till's config file, where each value came
//! from, a change made in a text editor taking effect while the till runs, a
//! mistake shown with its line and setting (the last good value stays), and the
//! file deleted (the defaults again).

use super::{Session, SERIAL};

const MANAGER: (&str, &str, &str) = ("Max Manager", "Manager", "2222");

fn value(key: &str) -> String {
    format!("[data-test=config-value][data-key='{key}']")
}

#[tokio::test(flavor = "current_thread")]
async fn a_manager_sees_a_config_change_applied_and_a_mistake_with_its_line_and_setting() {
    let _one = SERIAL.lock().await;
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("config.toml");
    let mut s = Session::start_in("s1-settings", data, &[], false).await;
    s.create_demo().await;
    // The first start wrote the commented example: every setting at its default.
    let example = std::fs::read_to_string(&config).unwrap();
    assert!(example.contains("# interval_ms = 30000"), "{example}");
    s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
    s.click("[data-test=nav-settings]").await;
    s.text_with("[data-test=config-path]", &config.display().to_string())
        .await;
    s.attr_in("[data-test=config-state]", "data-state", &["used"])
        .await;
    s.attr_in(&value("sync.interval_ms"), "data-source", &["default"])
        .await;
    // The test machinery sets RUST_LOG: the environment wins over the file.
    s.attr_in(&value("log.level"), "data-source", &["env"])
        .await;
    s.text_with("[data-test=device-kind]", "Till").await;
    s.text_with("[data-test=shop-currency]", "EUR").await;
    s.shot("defaults").await;

    // Saved from a text editor: applied without a restart. Nobody picked a
    // language at this till, so the config's Russian takes over the screen.
    let saved = |interval: &str| {
        let text = format!("[sync]\ninterval_ms = {interval}\n\n[ui]\nlanguage = \"ru\"\n");
        std::fs::write(&config, text).unwrap();
    };
    saved("5000");
    s.attr_in(&value("sync.interval_ms"), "data-source", &["file"])
        .await;
    let interval = format!(
        "{} [data-test=config-value-text]",
        value("sync.interval_ms")
    );
    s.text_with(&interval, "5000").await;
    s.text_with("[data-test=nav-settings]", "Настройки").await;
    s.shot("applied-russian").await;

    // A mistake on line 2: refused, said with its line and setting, in Russian;
    // the last good value stays in force.
    saved("\"often\"");
    s.attr_in("[data-test=config-state]", "data-state", &["refused"])
        .await;
    let problem = s.text_with("[data-test=config-problem]", "Строка 2").await;
    assert!(
        problem.contains("sync.interval_ms") && problem.contains("от 100 до 86400000"),
        "{problem}"
    );
    s.attr_in(
        "[data-test=config-problem]",
        "data-key",
        &["sync.interval_ms"],
    )
    .await;
    s.text_with(&interval, "5000").await;
    s.shot("mistake-refused").await;

    // A misspelt setting is named as such.
    std::fs::write(&config, "[sync]\ninterval_ms = 5000\nintervall = 3\n").unwrap();
    s.text_with("[data-test=config-problem]", "«sync.intervall»")
        .await;
    s.shot("misspelt").await;

    // The file deleted: the defaults, and English again.
    std::fs::remove_file(&config).unwrap();
    s.attr_in("[data-test=config-state]", "data-state", &["missing"])
        .await;
    s.attr_in(&value("sync.interval_ms"), "data-source", &["default"])
        .await;
    s.text_with("[data-test=nav-settings]", "Settings").await;
    assert!(s.absent("[data-test=config-problem]").await);
    s.shot("deleted-defaults").await;
}
