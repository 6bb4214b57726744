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

    // A drop folder named in the file is watched at once: a price file put there
    // by the ERP is imported and moved to done/ with its report.
    let drop = tempfile::tempdir().unwrap();
    let folder = drop.path().join("incoming");
    std::fs::write(
        &config,
        format!("[import]\ndrop_folder = \"{}\"\n", folder.display()),
    )
    .unwrap();
    s.attr_in(&value("import.drop_folder"), "data-source", &["file"])
        .await;
    // The folder is made when the watching starts.
    let start = std::time::Instant::now();
    while !folder.is_dir() {
        assert!(
            start.elapsed().as_secs() < 20,
            "the drop folder was not made"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::fs::write(
        folder.join("erp.csv"),
        "sku,title_en,price,tax\nERP-1,From the ERP,3.10,20\nERP-2,Bad,x,20\n",
    )
    .unwrap();
    let report = loop {
        let found = std::fs::read_dir(folder.join("done"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("erp.csv.report.txt"));
        if let Some(r) = found {
            break std::fs::read_to_string(r).unwrap();
        }
        assert!(
            start.elapsed().as_secs() < 30,
            "the dropped file was not taken"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        report.contains("1 products added") && report.contains("Line 3 (ERP-2), price:"),
        "{report}"
    );
    assert!(!folder.join("erp.csv").exists());
    s.shot("drop-folder").await;

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
