//! The self-service kiosk as a customer and the shop's staff meet it: a window
//! started as a kiosk, a customer ordering in Russian with the on-screen keyboard,
//! the ticket sold at the counter on the same data, an idle kiosk starting over, and
//! leaving kiosk mode with a manager's PIN only. Every kiosk screen is checked by
//! axe-core (WCAG 2.2 AA) inside the window.

use super::{Session, ENTER, SERIAL};
use fantoccini::Locator;
use serde_json::json;
use std::time::{Duration, Instant};

impl Session {
    /// Runs axe-core (the npm package the UI's dev dependencies install; loaded
    /// into the page by the test, never shipped) on the page as it is, and fails on
    /// any violation of WCAG 2.0–2.2 A and AA.
    async fn accessible(&mut self, screen: &str) {
        self.shot(&format!("axe-{screen}")).await;
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .unwrap();
        if loaded != json!(true) {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../ui/node_modules/axe-core/axe.min.js"
            );
            let src = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("axe-core must be installed ({path}): {e}"));
            self.client
                .execute(&format!("{src}\n;return true;"), vec![])
                .await
                .unwrap();
        }
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary) }))),
                         e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            found,
            json!([]),
            "{}: axe-core finds WCAG 2.2 AA violations on the kiosk's {screen} screen",
            self.name
        );
    }

    /// Clicks the button of `css` whose text is `text`.
    async fn click_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + super::WAIT;
        loop {
            for el in self.client.find_all(Locator::Css(css)).await.unwrap() {
                if el.text().await.unwrap_or_default().trim() == text {
                    el.click().await.unwrap();
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{}: no {css} reads {text:?}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens the tile of `sku`, sets the quantity to `qty` with the + button, and
    /// adds it to the order; the order then holds `units` units.
    async fn add_tile(&mut self, sku: &str, qty: u32, units: u32, screen: &str) {
        self.click(&format!("[data-test=kiosk-tile][data-sku={sku}]"))
            .await;
        self.find("[data-test=kiosk-detail]").await;
        for _ in 1..qty {
            self.click("[data-test=detail-more]").await;
        }
        self.text_with("[data-test=detail-qty]", &qty.to_string())
            .await;
        if !screen.is_empty() {
            self.accessible(screen).await;
            self.no_english(screen).await;
        }
        self.click("[data-test=detail-add]").await;
        self.text_with("[data-test=kiosk-units]", &units.to_string())
            .await;
    }

    /// Whether the window covers the whole screen.
    async fn full_screen(&self) -> bool {
        let size = self
            .client
            .execute(
                "return [window.innerWidth, window.innerHeight, screen.width, screen.height];",
                vec![],
            )
            .await
            .unwrap();
        size[0] == size[2] && size[1] == size[3]
    }
}

/// The demo's Milk Classic, Tea Classic and Bread Classic.
const MILK: &str = "DEMO-003";
const TEA: &str = "DEMO-001";
const BREAD: &str = "DEMO-004";

#[tokio::test(flavor = "current_thread")]
async fn a_customer_orders_in_russian_at_the_kiosk_and_the_counter_sells_the_ticket() {
    let _one = SERIAL.lock().await;
    let data = tempfile::tempdir().unwrap();
    let mut s = Session::start_in("k1-kiosk", data, &[("RUSTOK_KIOSK", "1")], true).await;
    s.create_demo().await;
    // A kiosk's login screen offers the kiosk's operator only, and refuses staff.
    s.text_with("[data-test=kiosk-login-help]", "self-service kiosk")
        .await;
    let offered = s.find("[data-test=operator]").await.text().await.unwrap();
    assert_eq!(offered.trim(), "Kiosk · Kiosk", "{offered}");
    let max = s.operator_id("Max Manager");
    let refused = s
        .invoke(&format!(
            "invoke('login', {{ operatorId: '{max}', pin: '2222' }})"
        ))
        .await;
    assert_eq!(refused["err"]["code"], "kiosk_only", "{refused}");
    s.login_kiosk().await;
    assert!(s.full_screen().await, "a locked kiosk fills the screen");

    // The attract screen, in English, then in Russian with the Russian promo.
    s.text_with("[data-test=kiosk-promo]", "Spring sale").await;
    s.accessible("attract").await;
    s.click("[data-test=kiosk-lang-ru]").await;
    s.text_with("[data-test=kiosk-promo]", "Весенняя распродажа")
        .await;
    s.no_english("kiosk-attract").await;
    s.accessible("attract-ru").await;
    // A promo touched opens in full.
    s.click("[data-test=kiosk-promo]").await;
    s.text_with("[data-test=kiosk-page-view]", "Скидка 10 % на весь чай")
        .await;
    s.click("[data-test=kiosk-page-view] button.primary").await;

    // A category, its tiles with pictures, a product three times.
    s.click("[data-test=kiosk-start]").await;
    s.click_text("[data-test=kiosk-category]", "Молочное").await;
    s.text_with(
        &format!("[data-test=kiosk-tile][data-sku={MILK}]"),
        "Молоко Классика",
    )
    .await;
    assert!(
        s.picture_loaded(&format!("[data-test=kiosk-tile][data-sku={MILK}] img"))
            .await,
        "the tile shows the product's picture"
    );
    s.no_english("kiosk-tiles").await;
    s.accessible("tiles").await;
    s.add_tile(MILK, 3, 3, "detail").await;

    // Search by the on-screen keyboard, in Cyrillic.
    s.click("[data-test=kiosk-search]").await;
    for key in ["ч", "а", "й"] {
        s.click(&format!("[data-test=osk-key][data-key={key}]"))
            .await;
    }
    s.text_with(
        &format!("[data-test=kiosk-tile][data-sku={TEA}]"),
        "Чай Классика",
    )
    .await;
    assert_eq!(
        s.find("[data-test=kiosk-query]")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some("чай".into())
    );
    // The demo's spring sale is about tea: its tile says so, in words.
    s.text_with(
        &format!("[data-test=kiosk-tile][data-sku={TEA}] [data-test=tile-offer]"),
        "Акция",
    )
    .await;
    s.no_english("kiosk-search").await;
    s.accessible("search").await;
    s.add_tile(TEA, 1, 4, "").await;
    s.click_text("[data-test=kiosk-category]", "Выпечка и сладости")
        .await;
    s.add_tile(BREAD, 1, 5, "").await;

    // The order, then the ticket.
    s.click("[data-test=kiosk-cart]").await;
    s.text_with("[data-test=kiosk-total]", "7,95").await;
    assert_eq!(
        s.client
            .find_all(Locator::Css("[data-test=kiosk-line]"))
            .await
            .unwrap()
            .len(),
        3
    );
    s.no_english("kiosk-cart").await;
    s.accessible("cart").await;
    s.click("[data-test=kiosk-finish]").await;
    s.text_with("[data-test=ticket-number]", "1").await;
    let code = s
        .find("[data-test=ticket-qr]")
        .await
        .attr("data-code")
        .await
        .unwrap()
        .expect("the ticket's QR code carries its text");
    s.no_english("kiosk-ticket").await;
    s.accessible("ticket").await;
    // Print: the system's print is asked for (a stand-in here: the real one opens a
    // dialog the driver cannot close), and the customer is told what to do if
    // nothing comes out.
    s.client
        .execute("window.print = () => { window.printed = true; };", vec![])
        .await
        .unwrap();
    s.click("[data-test=ticket-print]").await;
    s.text_with("[data-test=ticket-printed]", "сфотографируйте этот код")
        .await;
    assert_eq!(
        s.client
            .execute("return window.printed === true;", vec![])
            .await
            .unwrap(),
        json!(true)
    );
    // Left showing, the ticket counts down beside the QR code, never over it.
    // (It waits twice the shop's idle time, at least a minute: 60 s in the demo.)
    let qr_size = |s: &Session| {
        let client = s.client.clone();
        async move {
            client
                .execute(
                    "const r = document.querySelector('[data-test=ticket-qr]').getBoundingClientRect(); return [r.x, r.y, r.width, r.height];",
                    vec![],
                )
                .await
                .unwrap()
        }
    };
    let before = qr_size(&s).await;
    let shown = Instant::now();
    s.client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css("[data-test=ticket-closing]"))
        .await
        .expect("an idle ticket screen says it will close");
    assert!(
        shown.elapsed() >= Duration::from_secs(50),
        "{:?}",
        shown.elapsed()
    );
    assert_eq!(
        qr_size(&s).await,
        before,
        "the QR code neither moves nor shrinks"
    );
    let qr_on_top = s
        .client
        .execute(
            "const r = document.querySelector('[data-test=ticket-qr]').getBoundingClientRect();
             const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
             return !!top && !!top.closest('[data-test=ticket-qr]');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(qr_on_top, json!(true), "nothing covers the QR code");
    assert!(s.absent("[data-test=kiosk-idle]").await);
    s.shot("ticket-closing").await;
    s.click("[data-test=idle-stay]").await;
    s.client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::XPath(
            "//*[@data-test='kiosk-ticket'][not(.//*[@data-test='ticket-closing'])]",
        ))
        .await
        .expect("the customer keeps the ticket on screen");
    // Done: the next customer starts in the shop's language.
    s.click("[data-test=ticket-done]").await;
    s.text_with("[data-test=kiosk-promo]", "Spring sale").await;

    // An idle kiosk counts down, then starts over with an empty order.
    s.click("[data-test=kiosk-start]").await;
    s.add_tile(TEA, 2, 2, "").await;
    s.shot("idle-start").await;
    let idle = Instant::now();
    s.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-test=kiosk-idle]"))
        .await
        .expect("an idle kiosk asks whether the customer is still there");
    assert!(
        idle.elapsed() >= Duration::from_secs(25),
        "{:?}",
        idle.elapsed()
    );
    s.accessible("idle").await;
    s.client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-test=kiosk-attract]"))
        .await
        .expect("then it starts over");
    s.click("[data-test=kiosk-start]").await;
    s.text_with("[data-test=kiosk-units]", "0").await;
    s.shot("after-idle").await;

    // The window manager asks the locked kiosk's window to close, as its close
    // button or Alt+F4 would: it stays, full screen.
    s.ask_window_to_close();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(s.window_listed(), "a locked kiosk's window is not closed");
    assert!(s.full_screen().await);
    s.text_with("[data-test=kiosk-units]", "0").await;

    // Leaving: five taps in the corner ask for a manager's PIN. A cashier's PIN
    // (tried by the command itself: the dialog offers managers only) and a wrong
    // one are refused.
    for _ in 0..5 {
        s.click("[data-test=kiosk-corner]").await;
    }
    s.find("[data-test=kiosk-unlock]").await;
    s.accessible("unlock").await;
    let refused = s.unlock_by_command("Cara Cashier", "3333").await;
    assert_eq!(refused["err"]["code"], "forbidden", "{refused}");
    s.text_with("[data-test=unlock-operator]", "Max Manager · Manager")
        .await;
    s.find("[data-test=unlock-operator]")
        .await
        .select_by_label("Max Manager · Manager")
        .await
        .unwrap();
    for d in ["9", "9", "9", "9"] {
        s.click(&format!("[data-test=pad-{d}]")).await;
    }
    s.click("[data-test=unlock-submit]").await;
    s.text_with("[data-test=unlock-error]", "Wrong PIN").await;
    s.shot("unlock-wrong").await;
    assert!(s.absent("[data-test=statusbar]").await);
    for d in ["2", "2", "2", "2"] {
        s.click(&format!("[data-test=pad-{d}]")).await;
    }
    s.click("[data-test=unlock-submit]").await;
    s.text_with("[data-test=status-operator]", "Max Manager")
        .await;
    assert!(
        !s.full_screen().await,
        "an unlocked kiosk is a window again"
    );
    s.shot("unlocked").await;

    // At the counter on the same data: the milk's price changed since the ticket.
    s.click("[data-test=nav-catalog]").await;
    s.type_into("[data-test=catalog-search]", &format!("{MILK}{ENTER}"))
        .await;
    s.select_product(MILK).await;
    s.click("[data-test=edit-product]").await;
    s.type_into("[data-test=f-price]", "1.50").await;
    s.click("[data-test=save-product]").await;
    s.text_with(
        &format!("[data-test=product-row][data-sku={MILK}] [data-test=product-price]"),
        "1.50 EUR",
    )
    .await;
    s.click("[data-test=nav-checkout]").await;
    s.open_shift().await;
    s.find("[data-test=scan]")
        .await
        .send_keys(&format!("{code}{ENTER}"))
        .await
        .unwrap();
    s.text_with("[data-test=checkout-info]", "Kiosk ticket 1: 3 line(s)")
        .await;
    s.text_with(
        "[data-test=checkout-info]",
        "now costs 1.50 EUR (the kiosk showed 1.19 EUR)",
    )
    .await;
    s.text_with("[data-test=total]", "8.88 EUR").await;
    s.shot("ticket-at-counter").await;
    s.pay_cash_exact().await;
    let issued = s.last_event("TicketIssued");
    let sold = s.last_event("OrderCreated");
    assert_eq!(sold["ticket_id"], issued["ticket"]["id"], "{sold}");

    // The manager publishes a promo written in English only.
    s.click("[data-test=nav-content]").await;
    s.click("[data-test=new-content]").await;
    s.type_into("[data-test=ct-slug]", "kiosk-week").await;
    s.type_into("[data-test=ct-title-en]", "Kiosk opening week")
        .await;
    s.type_into(
        "[data-test=ct-excerpt-en]",
        "Order here, pay at the counter",
    )
    .await;
    // It is about milk: found by name, added, and a page cannot name it.
    s.type_into("[data-test=ct-product-search]", "Milk Classic")
        .await;
    s.click(&format!("[data-test=ct-product-add][data-sku={MILK}]"))
        .await;
    s.text_with(
        &format!("[data-test=ct-product][data-sku={MILK}]"),
        "Milk Classic",
    )
    .await;
    s.shot("promo-products").await;
    s.click("[data-test=save-content]").await;
    s.text_with("[data-test=detail-content-products]", "Milk Classic")
        .await;
    s.click("[data-test=content-row][data-slug=kiosk-week] td")
        .await;
    s.click("[data-test=publish-content]").await;
    s.text_with("[data-test=detail-content-status]", "Published")
        .await;

    // Back into kiosk mode: only the kiosk's operator logs in again. Customers see
    // each promo in their language, and the English-only one in the shop's language.
    s.click("[data-test=back-to-kiosk]").await;
    s.text_with("[data-test=kiosk-login-help]", "self-service kiosk")
        .await;
    assert!(s.full_screen().await);
    s.login_kiosk().await;
    s.text_with("[data-test=kiosk-attract]", "Kiosk opening week")
        .await;
    s.click("[data-test=kiosk-lang-ru]").await;
    s.text_with("[data-test=kiosk-attract]", "Весенняя распродажа")
        .await;
    let fallback = s
        .find("[data-test=kiosk-promo][lang=en]")
        .await
        .text()
        .await
        .unwrap();
    assert!(fallback.contains("Kiosk opening week"), "{fallback}");
    s.shot("promo-fallback").await;
    // The milk's tile is marked, and its detail names the promo in the language
    // it was written in.
    s.click("[data-test=kiosk-start]").await;
    s.click_text("[data-test=kiosk-category]", "Молочное").await;
    s.click(&format!(
        "[data-test=kiosk-tile][data-sku={MILK}]:has([data-test=tile-offer])"
    ))
    .await;
    s.text_with("[data-test=detail-offer][lang=en]", "Kiosk opening week")
        .await;
    s.accessible("detail-offer").await;
    s.shot("detail-offer").await;

    // Unlocked, the same request closes the window: the request does reach it.
    let unlocked = s.unlock_by_command("Max Manager", "2222").await;
    assert!(unlocked.get("ok").is_some(), "{unlocked}");
    s.shot("end").await;
    s.ask_window_to_close();
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.window_listed() {
        assert!(
            Instant::now() < deadline,
            "an unlocked window closes when asked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

impl Session {
    /// Calls `unlock_kiosk` as the keypad would, for operator `name`.
    async fn unlock_by_command(&self, name: &str, pin: &str) -> serde_json::Value {
        let id = self.operator_id(name);
        self.invoke(&format!(
            "invoke('unlock_kiosk', {{ operatorId: '{id}', pin: '{pin}' }})"
        ))
        .await
    }

    /// Asks the window manager to close the app's window, politely (as its close
    /// button or Alt+F4 do; `wmctrl -c`).
    fn ask_window_to_close(&self) {
        let status = std::process::Command::new("wmctrl")
            .args(["-c", "RusToK Edge"])
            .env("DISPLAY", &self.display)
            .status()
            .expect("wmctrl must be installed (make test installs it)");
        assert!(status.success(), "wmctrl found no app window");
    }

    /// Whether the window manager still lists the app's window.
    fn window_listed(&self) -> bool {
        let out = std::process::Command::new("wmctrl")
            .arg("-l")
            .env("DISPLAY", &self.display)
            .output()
            .expect("wmctrl must be installed (make test installs it)");
        String::from_utf8_lossy(&out.stdout).contains("RusToK Edge")
    }

    /// Logs the kiosk's operator in (the only one a locked kiosk offers) and waits
    /// for the attract screen.
    async fn login_kiosk(&mut self) {
        self.text_with("[data-test=operator]", "Kiosk").await;
        self.type_into("[data-test=pin]", &format!("4444{ENTER}"))
            .await;
        self.find("[data-test=kiosk-attract]").await;
        self.shot("kiosk-attract").await;
    }
}
