//! The head-office console in a real browser: Debian's Chromium, headless, driven
//! through chromedriver against the real central on loopback. Stories a head office
//! would recognise, with screenshots in `target/e2e/console/`.

use crate::helpers::{roomy, spawn_central, CentralUnderTest, Device, ADMIN_TOKEN};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use rustok_central::console::paths;
use rustok_core::domain::clock::Clock;
use rustok_core::system::SystemClock;
use rustok_protocol::{HealthReport, PROTOCOL_VERSION};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
/// How long the page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(15);

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e/console");
    std::fs::create_dir_all(&dir).unwrap();
    // Chromium saves downloads only to a plain absolute path.
    dir.canonicalize().unwrap()
}

/// chromedriver with a headless Chromium session; both end when it is dropped.
struct Browser {
    client: Client,
    driver: Child,
    name: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// A browser for story `name` (screenshots and downloads named after it and the
    /// backend, so the two backends' runs of a story never share a file).
    async fn start(name: &str) -> Browser {
        let name = &format!("{name}-{:?}", crate::helpers::Db::current()).to_lowercase();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(screenshots().join(format!("{name}-driver.log"))).unwrap();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Days and hours on the page are the computer's: UTC here.
            .env("TZ", "UTC")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (make test installs chromium-driver)");
        let downloads = Browser::downloads_of(name);
        let _ = std::fs::remove_dir_all(&downloads);
        std::fs::create_dir_all(&downloads).unwrap();
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--window-size=1400,900", "--lang=en-GB"],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                },
            },
        }))
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        Browser {
            client: loop {
                let mut builder = ClientBuilder::rustls().unwrap();
                builder.capabilities(caps.clone());
                match builder.connect(&format!("http://127.0.0.1:{port}")).await {
                    Ok(client) => break client,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => panic!("chromedriver gave no session: {e}"),
                }
            },
            driver,
            name: name.to_owned(),
        }
    }

    /// Where the browser of story `name` saves downloads.
    fn downloads_of(name: &str) -> PathBuf {
        screenshots().join(format!("{name}-downloads"))
    }

    /// The text of a file the page downloaded, once it is there.
    async fn downloaded(&self, file: &str) -> String {
        let path = Browser::downloads_of(&self.name).join(file);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if !text.is_empty() {
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{} was never downloaded",
                path.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets a form field as a person's typing would (the field's input event).
    async fn set(&self, css: &str, value: &str) {
        self.find(css).await;
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); e.value = arguments[1];
                 e.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap();
    }

    async fn shot(&self, step: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{}-{step}.png", self.name)), png).unwrap();
    }

    /// The element `css` once it is there.
    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    /// Clicks the element `css` once it is there.
    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// A link whose text is `text`.
    async fn link(&self, text: &str) -> Element {
        let xpath = format!("//a[normalize-space()='{text}']");
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no link '{text}': {e}"))
    }

    /// A button whose text is `text`.
    async fn button(&self, text: &str) -> Element {
        let xpath = format!("//button[normalize-space()='{text}']");
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button '{text}': {e}"))
    }

    /// Waits until the text of `css` (the first such element) contains `want`.
    async fn until_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(want) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never said '{want}': '{text}'"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The texts of every `css` once there are `n` of them.
    async fn until_count(&self, css: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let texts = self.texts(css).await;
            if texts.len() == n {
                return texts;
            }
            assert!(Instant::now() < deadline, "never {n} of {css}: {texts:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The texts of every `css` on the page.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    }

    async fn sign_in(&self, login: &str, password: &str) {
        let l = self.find("input[name=login]").await;
        l.clear().await.unwrap();
        l.send_keys(login).await.unwrap();
        let p = self.find("input[name=password]").await;
        p.clear().await.unwrap();
        p.send_keys(password).await.unwrap();
        self.find("form button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
    }

    /// Waits until central has answered a sign-in that failed: the form clears the
    /// password and takes the button back.
    async fn until_refused(&self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let password = self.find("input[name=password]").await;
            let value = password.prop("value").await.unwrap().unwrap_or_default();
            let button = self.find("form button[type=submit]").await;
            if value.is_empty() && button.is_enabled().await.unwrap() {
                return;
            }
            assert!(Instant::now() < deadline, "the sign-in was never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn add_person(c: &CentralUnderTest, login: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::ADMIN_PEOPLE))
        .bearer_auth(ADMIN_TOKEN)
        .json(
            &json!({ "login": login, "name": "Anna Petrova", "password": PASSWORD,
                       "tenant_slug": "corner" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// A head office signs in (after a typo, and next to a colleague who locks their
/// account), sees a till that reports and one that never did, reads the first's
/// history, makes a code for a new till and enrols it, revokes a till whose next
/// report is then refused, reads the audit log in Russian, and signs out.
async fn head_office_runs_the_fleet_from_the_console_in_a_browser() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(71);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    let second = rustok_protocol::EnrolRequest {
        device_id: rustok_core::domain::ids::DeviceId::parse(
            "0192f0e4-3000-7000-8000-0000000000d2",
        )
        .unwrap(),
        device_code: "POS2".into(),
        ..rustok_sync::client::enrol_request(
            &c.code("corner").await,
            &d.shop.device().unwrap().unwrap(),
            "test",
        )
    };
    rustok_sync::client::enrol(&c.url, &second, Duration::from_secs(5))
        .await
        .unwrap();
    let clock = Arc::new(SystemClock);
    let client =
        rustok_sync::client::Client::new(creds.clone(), clock.clone(), Duration::from_secs(5))
            .unwrap();
    let report = HealthReport {
        protocol: PROTOCOL_VERSION,
        app_version: "0.1.0".into(),
        schema_version: 16,
        queue_depth: 0,
        oldest_pending_secs: None,
        breaker: "closed".into(),
        device_time_ms: clock.now().unix_millis(),
        kind: Some(rustok_protocol::DeviceKind::Till),
    };
    client.report_health(&report).await.unwrap();
    add_person(&c, "anna").await;
    add_person(&c, "boris").await;

    let b = Browser::start("fleet").await;
    b.client.goto(&format!("{}/console", c.url)).await.unwrap();
    b.sign_in("anna", "correct horse").await;
    b.until_text("[role=alert]", "Wrong login or password")
        .await;
    b.shot("01-wrong-password").await;
    for _ in 0..5 {
        b.sign_in("boris", "not his password").await;
        b.until_refused().await;
    }
    b.until_text("[role=alert]", "locked").await;
    b.shot("02-locked").await;

    b.sign_in("Anna", PASSWORD).await;
    let rows = b.until_count("table.grid tbody tr", 2).await;
    assert!(
        rows[0].starts_with("Healthy") && rows[0].contains("POS1"),
        "{rows:?}"
    );
    assert!(
        rows[0].contains("Till") && rows[0].contains("online"),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with("Stale") && rows[1].contains("never reported"),
        "{rows:?}"
    );
    b.shot("03-fleet").await;
    // The stale one alone.
    b.click("button.chip-stale").await;
    let rows = b.until_count("table.grid tbody tr", 1).await;
    assert!(rows[0].contains("POS2"));
    b.click("button.chip-stale").await;
    // POS1's history.
    b.click(&format!(
        "tr[data-device='{}'] td.actions button",
        creds.device_id
    ))
    .await;
    b.until_text(".history", "Health of POS1").await;
    b.find(".history table.grid tbody tr").await;
    b.shot("04-history").await;

    // A code for a new till, shown as text and QR; it enrols a till.
    b.link("Enrol a till").await.click().await.unwrap();
    b.button("Make a code").await.click().await.unwrap();
    let code = b.find("[data-code]").await.text().await.unwrap();
    b.find("svg.qr path").await;
    b.shot("05-code").await;
    let third = rustok_protocol::EnrolRequest {
        device_id: rustok_core::domain::ids::DeviceId::parse(
            "0192f0e4-3000-7000-8000-0000000000d3",
        )
        .unwrap(),
        device_code: "POS3".into(),
        ..rustok_sync::client::enrol_request(&code, &d.shop.device().unwrap().unwrap(), "test")
    };
    rustok_sync::client::enrol(&c.url, &third, Duration::from_secs(5))
        .await
        .unwrap();

    // Revoke POS1: asked to confirm, then shown revoked; its next report is refused.
    b.link("Fleet").await.click().await.unwrap();
    // The new till is listed.
    b.until_count("table.grid tbody tr", 3).await;
    // Back goes to the page before, inside the console, and Forward returns.
    b.client.back().await.unwrap();
    b.button("Make a code").await;
    b.client.forward().await.unwrap();
    b.until_count("table.grid tbody tr", 3).await;
    b.click(&format!(
        "tr[data-device='{}'] button.danger",
        creds.device_id
    ))
    .await;
    b.until_text("[role=alertdialog]", "Revoke POS1?").await;
    b.shot("06-revoke-confirm").await;
    b.button("Revoke it").await.click().await.unwrap();
    b.until_text("[role=status]", "POS1 is revoked").await;
    b.until_text(&format!("tr[data-device='{}']", creds.device_id), "Revoked")
        .await;
    b.shot("07-revoked").await;
    assert!(
        client.report_health(&report).await.is_err(),
        "a revoked till still reports"
    );
    // Its next push is refused, and its sales stay queued on the till.
    d.sell(0, 1);
    let pending = d.pending();
    let pushed = crate::helpers::relay(
        &d,
        creds.clone(),
        &c.url,
        Duration::from_secs(5),
        rustok_sync::relay::BatchLimits::default(),
    )
    .drain()
    .await;
    assert!(
        matches!(
            &pushed,
            Err(rustok_sync::SyncError::Http { status: 401, code, .. }) if code == "revoked"
        ),
        "{pushed:?}"
    );
    assert_eq!(
        d.pending(),
        pending,
        "nothing was taken from a revoked till"
    );

    // In Russian, the audit log says who did what.
    b.button("Русский").await.click().await.unwrap();
    b.link("Журнал действий").await.click().await.unwrap();
    let log = b
        .until_text("table.grid tbody", "устройство отозвано")
        .await;
    assert!(
        log.contains("anna") && log.contains("создан код подключения"),
        "{log}"
    );
    b.shot("08-audit-ru").await;
    b.link("Устройства").await.click().await.unwrap();
    b.until_text("table.grid thead", "Состояние").await;
    b.shot("09-fleet-ru").await;

    // Signed out: back to the sign-in form, and the old session is gone.
    b.button("Выйти").await.click().await.unwrap();
    b.find("input[name=login]").await;
    b.client.refresh().await.unwrap();
    b.find("input[name=login]").await;
}

/// Head office reads a day's sales — the figures a till made, refund and discount
/// included — in charts and tables, in English and Russian, and exports a table.
async fn head_office_reads_a_sales_report_and_exports_it() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(72);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    crate::reports::sales_of_a_day(&d);
    crate::helpers::relay(
        &d,
        creds,
        &c.url,
        Duration::from_secs(5),
        rustok_sync::relay::BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    add_person(&c, "anna").await;
    let b = Browser::start("reports").await;
    b.client.goto(&format!("{}/console", c.url)).await.unwrap();
    b.sign_in("anna", PASSWORD).await;
    b.link("Reports").await.click().await.unwrap();
    b.set("input[name=from]", "2026-11-21").await;
    b.set("input[name=to]", "2026-11-21").await;
    b.button("Show").await.click().await.unwrap();
    b.until_text("[data-stat=paid]", "€24.00").await;
    for (stat, want) in [
        ("orders", "4"),
        ("refunded", "€3.50"),
        ("discounts", "€0.50"),
        ("net", "€20.50"),
    ] {
        let got = b
            .find(&format!("[data-stat={stat}]"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(got, want, "{stat}");
    }
    let days = b.until_count("[data-table=days] tbody tr", 1).await;
    assert_eq!(days[0], "2026-11-21 Main store 4 €24.00 1 €3.50 €0.50");
    let products = b.texts("[data-table=products] tbody tr").await;
    assert_eq!(products[0], "Thing 2 3 €13.50");
    let tenders = b.texts("[data-table=tenders] tbody tr").await;
    assert_eq!(tenders, ["Card €24.00 €3.50"]);
    let hours = b.texts("[data-table=hours] tbody tr").await;
    assert_eq!(hours, ["10:00 4 €24.00"]);
    // Every chart is drawn (a canvas with pixels on it).
    let drawn: serde_json::Value = b
        .client
        .execute(
            "return [...document.querySelectorAll('.chart canvas')].map(c => c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn, json!([true, true, true, true, true]));
    b.shot("01-report").await;
    b.client
        .execute(
            "document.querySelector('[data-table=tenders]').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    b.shot("02-report-charts").await;
    b.click("[data-csv=days]").await;
    let csv = b.downloaded("corner-2026-11-21-2026-11-21-days.csv").await;
    assert_eq!(
        csv,
        "day,store,currency,orders,paid,refunds,refunded,discounts\r\n2026-11-21,main,EUR,4,24.00,1,3.50,0.50\r\n"
    );
    b.button("Русский").await.click().await.unwrap();
    b.until_text("[data-stat=paid]", "24,00").await;
    b.shot("03-report-ru").await;
    // The range is in the address: a reload shows the same report.
    let address = b.client.current_url().await.unwrap();
    assert_eq!(
        address.fragment(),
        Some("/reports/corner?from=2026-11-21&to=2026-11-21")
    );
    b.client.refresh().await.unwrap();
    b.until_text("[data-stat=paid]", "24,00").await;
    // A last day before the first is refused on the page, in the page's language,
    // and the words follow a switch of language.
    b.set("input[name=from]", "2026-11-22").await;
    b.button("Показать").await.click().await.unwrap();
    b.until_text("[role=alert]", "Первый день позже последнего")
        .await;
    b.shot("04-range-refused-ru").await;
    b.button("English").await.click().await.unwrap();
    b.until_text("[role=alert]", "The first day is after the last")
        .await;
}

/// Head office finds a product in the console, mistypes its price (refused in the
/// form), sets it, and a till pulls the new price; in Russian it adds a category,
/// gives the product a picture, and finds no clashes.
async fn head_office_changes_a_price_in_the_console_and_a_till_pulls_it() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(73);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    crate::helpers::relay(
        &d,
        creds.clone(),
        &c.url,
        Duration::from_secs(5),
        rustok_sync::relay::BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    add_person(&c, "anna").await;
    let product = &d.products[0];
    let sku = product.fields.sku.as_str();
    assert_ne!(product.fields.price.minor, 475);

    let b = Browser::start("catalog").await;
    b.client.goto(&format!("{}/console", c.url)).await.unwrap();
    b.sign_in("anna", PASSWORD).await;
    b.link("Catalog").await.click().await.unwrap();
    b.until_count("table[data-test=products] tbody tr", d.products.len())
        .await;
    b.set("[data-test=product-search]", sku).await;
    b.until_count("table[data-test=products] tbody tr", 1).await;
    b.shot("01-found").await;
    b.click(&format!("tr[data-sku='{sku}'] [data-test=edit-product]"))
        .await;
    b.find("[data-test=product-form]").await;
    // "4..75" is no price: the form says so and nothing is sent.
    b.set("[data-test=f-price]", "4..75").await;
    b.click("[data-test=save-product]").await;
    b.until_text("[data-test=product-form] .field-error", "An amount in EUR")
        .await;
    b.shot("02-bad-price").await;
    // Another tab with a change not saved: the console asks first; staying keeps it.
    b.click("[data-test=tab-categories]").await;
    let asked = b.client.get_alert_text().await.unwrap();
    assert!(asked.contains("not saved"), "{asked}");
    b.client.dismiss_alert().await.unwrap();
    b.find("[data-test=product-form]").await;
    b.set("[data-test=f-price]", "4,75").await;
    b.click("[data-test=save-product]").await;
    b.until_text("[role=status]", &format!("Saved {sku}")).await;
    b.until_text(&format!("tr[data-sku='{sku}'] [data-test=price]"), "€4.75")
        .await;
    b.shot("03-saved").await;

    // The till pulls head office's change and sells at the new price.
    let shop = Arc::new(rustok_core::service::Shop::new(
        d.store(),
        d.clock.clone(),
        Arc::new(rustok_core::testing::SeededEntropy::new(0x73)),
    ));
    let puller = rustok_sync::pull::Puller::new(
        shop.clone(),
        creds,
        Arc::new(SystemClock),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .unwrap();
    puller.pull_all().await.unwrap();
    let tenant = shop.device().unwrap().unwrap().tenant_id;
    let pulled = shop
        .store()
        .read(|c| rustok_core::store::product_by_sku(c, tenant, &product.fields.sku))
        .unwrap()
        .unwrap();
    assert_eq!(
        pulled.fields.price.minor, 475,
        "the till did not pull the price"
    );
    assert_eq!(
        pulled.fields.titles, product.fields.titles,
        "only the price changed"
    );

    // In Russian: a new category, and the product put in it.
    b.button("Русский").await.click().await.unwrap();
    b.click("[data-test=tab-categories]").await;
    b.button("Новая категория").await.click().await.unwrap();
    b.set("[data-test=c-name-ru]", "Напитки").await;
    b.button("Сохранить").await.click().await.unwrap();
    b.until_text("table.grid tbody", "Напитки").await;
    b.shot("04-category-ru").await;
    b.click("[data-test=tab-products]").await;
    b.click(&format!("tr[data-sku='{sku}'] [data-test=edit-product]"))
        .await;
    // A photo larger than a stored picture: the console scales it before upload.
    let photo = screenshots().join(format!("{}-photo.png", b.name));
    std::fs::write(&photo, crate::images::png(1600, 1200, 9)).unwrap();
    b.find("[data-test=f-picture]")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .unwrap();
    b.find("[data-test=product-form] img.thumb").await;
    let category = b.find("[data-test=f-category]").await;
    category.select_by_label("Напитки").await.unwrap();
    b.click("[data-test=save-product]").await;
    b.until_text(&format!("tr[data-sku='{sku}']"), "Напитки")
        .await;
    b.find(&format!("tr[data-sku='{sku}'] img.thumb")).await;
    let held = shop_picture(&c, sku).await;
    assert_eq!(
        rustok_core::domain::image::jpeg_size(&held),
        Some((640, 480)),
        "the console scales a photo to 640 pixels a side"
    );
    b.shot("05-in-category-ru").await;
    b.click("[data-test=tab-clashes]").await;
    b.until_text("[data-test=no-clashes]", "Совпадений нет")
        .await;
    b.shot("06-no-clashes-ru").await;
    // Back returns to the tab before.
    b.client.back().await.unwrap();
    b.find("table[data-test=products]").await;
    // The audit log names who changed which product to what.
    b.link("Журнал действий").await.click().await.unwrap();
    let log = b
        .until_text("table.grid tbody", "изменены данные сети")
        .await;
    assert!(
        log.contains(&format!(
            "товар {sku}: цена = 4,75 € (было {},{:02} €)",
            product.fields.price.minor / 100,
            product.fields.price.minor % 100
        )),
        "{log}"
    );
    b.shot("07-audit-ru").await;
}

/// The picture central holds for the product with `sku`, through the admin API.
async fn shop_picture(c: &CentralUnderTest, sku: &str) -> Vec<u8> {
    let admin = |path: String| {
        reqwest::Client::new()
            .get(format!("{}{path}", c.url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    let records: Vec<rustok_protocol::RecordOut> = admin(
        rustok_protocol::paths::ADMIN_RECORDS
            .replace("{slug}", "corner")
            .replace("{kind}", "product"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let digest = records
        .iter()
        .find(|r| r.fields["sku"] == sku)
        .and_then(|r| r.fields.get("image"))
        .and_then(|d| d.as_str())
        .expect("the product names a picture")
        .to_owned();
    let r = admin(
        rustok_protocol::paths::ADMIN_IMAGE
            .replace("{slug}", "corner")
            .replace("{digest}", &digest),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

/// A chain that starts in the console: no till yet, so head office sets up the shop
/// (a currency typed wrongly first) in yen and adds the first product (a price with
/// cents refused).
async fn head_office_sets_up_a_chain_in_the_console_before_any_till() {
    let c = spawn_central(roomy()).await;
    c.code("corner").await;
    add_person(&c, "anna").await;
    let b = Browser::start("setup").await;
    b.client
        .goto(&format!("{}/console#/catalog/corner", c.url))
        .await
        .unwrap();
    b.sign_in("anna", PASSWORD).await;
    b.until_text(".catalog", "no settings yet").await;
    b.click("[data-test=tab-settings]").await;
    b.find("[data-test=setup-form]").await;
    b.set(
        "[data-test=setup-form] input:not([maxlength])",
        "Corner Shop",
    )
    .await;
    b.set("[data-test=setup-form] input[maxlength]", "E1").await;
    b.button("Save").await.click().await.unwrap();
    b.until_text("[data-test=setup-form] .field-error", "three-letter")
        .await;
    b.set("[data-test=setup-form] input[maxlength]", "jpy")
        .await;
    b.button("Save").await.click().await.unwrap();
    b.find("[data-test=settings-form]").await;
    b.shot("01-shop-set-up").await;
    b.click("[data-test=tab-products]").await;
    b.button("New product").await.click().await.unwrap();
    b.set("[data-test=f-sku]", "TEA-1").await;
    b.set("[data-test=f-title-en]", "Green tea").await;
    b.set("[data-test=f-title-ru]", "Зелёный чай").await;
    // Yen have no cents: 150.5 is refused, 150 is taken.
    b.set("[data-test=f-price]", "150.5").await;
    b.click("[data-test=save-product]").await;
    b.until_text("[data-test=product-form] .field-error", "An amount in JPY")
        .await;
    b.set("[data-test=f-price]", "150").await;
    b.click("[data-test=save-product]").await;
    b.until_text("tr[data-sku='TEA-1'] [data-test=price]", "150")
        .await;
    b.shot("02-first-product").await;

    // Central holds the shop as head office set it up, for every till to pull.
    let settings: Vec<rustok_protocol::RecordOut> = reqwest::Client::new()
        .get(format!(
            "{}{}",
            c.url,
            rustok_protocol::paths::ADMIN_RECORDS
                .replace("{slug}", "corner")
                .replace("{kind}", "settings")
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings.len(), 1);
    assert_eq!(settings[0].fields["currency"], "JPY");
    assert_eq!(settings[0].fields["name"], "Corner Shop");
}

crate::on_both!(
    head_office_sets_up_a_chain_in_the_console_before_any_till,
    head_office_changes_a_price_in_the_console_and_a_till_pulls_it,
    head_office_runs_the_fleet_from_the_console_in_a_browser,
    head_office_reads_a_sales_report_and_exports_it,
);
