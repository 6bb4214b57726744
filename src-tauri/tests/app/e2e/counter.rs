//! The counter as a cashier and a manager use it all day. Each test is named after a
//! bug that a trial at the till found, and failed before its fix.

use super::{euros, Session, ENTER, F2, SERIAL, WAIT};
use fantoccini::Locator;
use rustok_app::demo;
use std::time::Instant;

const ESC: &str = "\u{E00C}";
const F6: &str = "\u{E036}";
const F4: &str = "\u{E034}";
const F9: &str = "\u{E039}";

const CASHIER: (&str, &str, &str) = ("Cara Cashier", "Cashier", "3333");
const MANAGER: (&str, &str, &str) = ("Max Manager", "Manager", "2222");

impl Session {
    /// A fresh demo shop at the till: `who` (name, role, PIN) logged in, a shift open
    /// with a float of 100.00.
    async fn at_till(name: &'static str, who: (&str, &str, &str)) -> Session {
        let mut s = Session::start(name).await;
        s.create_demo().await;
        s.login(who.0, who.1, who.2).await;
        s.open_shift().await;
        s
    }

    /// Types `keys` into whatever has focus, as a scanner or a person at the keyboard would.
    pub(super) async fn keys_to_focus(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    async fn cart_lines(&self) -> usize {
        self.client
            .find_all(Locator::Css("[data-test=cart-line]"))
            .await
            .unwrap()
            .len()
    }

    /// Waits until the cart has `n` lines.
    async fn cart_has(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.cart_lines().await != n {
            assert!(
                Instant::now() < deadline,
                "{}: the cart has {} lines, expected {n}",
                self.name,
                self.cart_lines().await
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn value_of(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Waits until the input `css` holds `want`.
    async fn value_is(&self, css: &str, want: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.value_of(css).await;
            if v == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {css} holds {v:?}, expected {want:?}",
                self.name
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// On the Operators screen, rewrites the Kiosk operator's second role option to one
    /// that does not exist and chooses it, as a stale or tampered page would; returns
    /// the role box.
    async fn choose_a_role_the_server_refuses(&self) -> &'static str {
        let kiosk = "[data-test=operator-row][data-name='Kiosk'] [data-test=operator-role]";
        self.find(kiosk).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).options[1].value = 'owner';",
                vec![serde_json::json!(kiosk)],
            )
            .await
            .unwrap();
        self.find(kiosk).await.select_by_index(1).await.unwrap();
        kiosk
    }

    /// The payload of the newest event of `event_type` in the till's database.
    pub(super) fn last_event(&self, event_type: &str) -> serde_json::Value {
        let data: String = self
            .db()
            .query_row(
                "SELECT data FROM events WHERE type = ?1 ORDER BY seq DESC LIMIT 1",
                [event_type],
                |r| r.get(0),
            )
            .unwrap();
        serde_json::from_str(&data).unwrap()
    }

    /// The id of the operator called `name`.
    pub(super) fn operator_id(&self, name: &str) -> String {
        self.db()
            .query_row("SELECT id FROM operators WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .unwrap()
    }

    pub(super) fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.data_path().join("shop.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    }

    /// Chooses Max Manager in the approval box (once the names are there) and
    /// types `pin` into it.
    async fn manager_approves(&self, pin: &str) {
        self.text_with("[data-test=approver]", "Max Manager").await;
        self.find("[data-test=approver]")
            .await
            .select_by_label("Max Manager")
            .await
            .unwrap();
        self.type_into("[data-test=approver-pin]", pin).await;
    }

    /// Waits until nothing matches `css`.
    async fn gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.absent(css).await {
            assert!(
                Instant::now() < deadline,
                "{}: {css} is still there",
                self.name
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Bug 1: with "Counted cash" focused, a scanned barcode and the scanner's Enter closed
/// the shift with a count of two trillion. The scan goes to the cart; closing is a
/// dialog that names the difference and, above the shop's limit (5.00 in the demo),
/// takes a manager's PIN.
#[tokio::test(flavor = "current_thread")]
async fn a_scan_closes_the_shift() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c1-scan-closes-shift", CASHIER).await;
    s.click("[data-test=close-shift]").await;
    s.find("[data-test=counted]").await.click().await.unwrap();
    s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(2)))
        .await;
    s.cart_has(1).await;
    s.shot("scan-in-counted-went-to-cart").await;
    assert_eq!(s.value_of("[data-test=counted]").await, "");
    s.text_with("[data-test=status-shift]", "Shift open").await;
    // A real shortage of 51.59 is named and needs a manager.
    s.type_into("[data-test=counted]", "48.41").await;
    s.click("[data-test=close-next]").await;
    s.text_with("[data-test=close-difference]", &format!("-{}", euros(5159)))
        .await;
    s.manager_approves("2222").await;
    s.shot("shortage-needs-manager").await;
    // The scan put a sale into the cart: the shift does not close over it (the
    // new-user trial closed a shift so).
    s.click("[data-test=close-confirm]").await;
    s.text_with("[data-test=close-error]", "still in the cart")
        .await;
    s.text_with("[data-test=status-shift]", "Shift open").await;
    s.keys_to_focus(ESC).await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=close-dialog]").await;
    s.keys_to_focus("\u{E038}").await;
    s.cart_has(0).await;
    s.click("[data-test=close-shift]").await;
    s.type_into("[data-test=counted]", "48.41").await;
    s.click("[data-test=close-next]").await;
    s.manager_approves("2222").await;
    s.click("[data-test=close-confirm]").await;
    s.text_with("[data-test=shift-closed]", &format!("-{}", euros(5159)))
        .await;
    s.text_with("[data-test=status-shift]", "No shift open")
        .await;
    s.shot("closed").await;
    s.finish().await;
}

/// Bug 2: F6 pre-filled Tendered with the whole total, so card 1.00 + Enter printed
/// "Change 1.00" on a sale where none was owed.
#[tokio::test(flavor = "current_thread")]
async fn split_payment_tells_the_cashier_to_hand_back_change_that_is_not_owed() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c2-split-change", CASHIER).await;
    s.scan(&demo::barcode(0)).await;
    let total = demo::product(0).2;
    s.keys_to_focus(F6).await;
    s.type_into("[data-test=card-part]", "1.00").await;
    let cash = total - 100;
    s.value_is("[data-test=tendered]", &euros(cash).replace(" EUR", ""))
        .await;
    s.text_with("[data-test=change-preview]", &euros(0)).await;
    s.shot("split-preview").await;
    s.find("[data-test=card-part]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    s.text_with(
        "[data-test=receipt-change]",
        &format!("Change {}", euros(0)),
    )
    .await;
    s.shot("receipt").await;
    s.finish().await;
}

/// Bug 3: the cart was thrown away on a visit to the catalog and on log-out.
#[tokio::test(flavor = "current_thread")]
async fn the_cart_is_thrown_away() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c3-cart-kept", MANAGER).await;
    s.scan(&demo::barcode(0)).await;
    s.scan(&demo::barcode(1)).await;
    s.click("[data-test=nav-catalog]").await;
    s.find("[data-test=product-row]").await;
    s.click("[data-test=nav-checkout]").await;
    s.cart_has(2).await;
    s.shot("back-from-catalog").await;
    s.click("[data-test=logout]").await;
    s.login(CASHIER.0, CASHIER.1, CASHIER.2).await;
    s.cart_has(2).await;
    // The cart stays on the till, and the next operator is told whose it is.
    s.text_with("[data-test=cart-left-by]", "Max Manager").await;
    s.shot("after-log-in").await;
    s.finish().await;
}

/// Trial findings: a name search left open stayed over the payment and the receipt
/// after F2 and Enter; and after a sale, the next operator found an empty cart under
/// the last sale's total, with payment buttons that looked ready and did nothing.
#[tokio::test(flavor = "current_thread")]
async fn a_search_left_open_and_the_last_sale_do_not_follow_into_the_next() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-left-over", MANAGER).await;
    s.scan(&demo::barcode(0)).await;
    s.keys_to_focus("salmon").await;
    s.find("[data-test=name-result]").await;
    s.keys_to_focus(F2).await;
    s.gone("[data-test=name-results]").await;
    s.keys_to_focus(ENTER).await;
    s.find("[data-test=receipt]").await;
    assert!(s.absent("[data-test=name-results]").await);
    assert_eq!(
        s.find("[data-test=scan]")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some(String::new()),
        "the search text went with the list"
    );
    s.shot("paid-with-a-search-open").await;
    s.click("[data-test=logout]").await;
    s.login(CASHIER.0, CASHIER.1, CASHIER.2).await;
    s.cart_has(0).await;
    s.text_with("[data-test=total]", &euros(0)).await;
    for pay in ["pay-cash", "pay-card"] {
        let b = s.find(&format!("[data-test={pay}]")).await;
        assert!(!b.is_enabled().await.unwrap(), "{pay} waits for a cart");
    }
    s.shot("next-operator").await;
    s.finish().await;
}

/// Bug 4: after a click on RU/EN focus stayed on the button, the next barcode was lost
/// and its Enter pressed the button again.
#[tokio::test(flavor = "current_thread")]
async fn focus_traps_swallow_scans() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c4-focus", CASHIER).await;
    s.click("[data-test=lang]").await;
    s.text_with("[data-test=lang]", "EN").await;
    s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(0)))
        .await;
    s.cart_has(1).await;
    s.text_with("[data-test=lang]", "EN").await;
    // A click on a cart line, then a scan.
    s.click("[data-test=cart-line] [data-test=cart-qty]").await;
    s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(1)))
        .await;
    s.cart_has(2).await;
    s.shot("scans-after-clicks").await;
    s.finish().await;
}

/// Bug 9: Esc did nothing on the catalog's form (and other forms).
#[tokio::test(flavor = "current_thread")]
async fn esc_does_nothing() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("c9-esc").await;
    s.create_demo().await;
    s.login("Max Manager", "Manager", "2222").await;
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=new-product]").await;
    s.find("[data-test=f-sku]").await.click().await.unwrap();
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=product-form]").await;
    s.click("[data-test=nav-checkout]").await;
    s.open_shift().await;
    s.click("[data-test=close-shift]").await;
    s.find("[data-test=counted]").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=counted]").await;
    s.shot("esc-closed-forms").await;
    s.finish().await;
}

/// Bug 11: a till never connected to central told every cashier
/// "Not connected · 412 pending".
#[tokio::test(flavor = "current_thread")]
async fn the_never_enrolled_till_shows_every_cashier_not_connected() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("c11-standalone").await;
    s.create_demo().await;
    s.login("Cara Cashier", "Cashier", "3333").await;
    let text = s.text_with("[data-test=status-sync]", "Standalone").await;
    assert!(!text.contains("pending"), "{text}");
    s.shot("standalone").await;
    s.finish().await;
}

/// Bug 10: money in the UI assumed two decimals. A yen shop is set up from the first
/// screen, prices and sells in whole yen, gives change in yen and closes its shift.
#[tokio::test(flavor = "current_thread")]
async fn money_in_the_ui_assumes_two_decimals() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("c10-yen-shop").await;
    s.in_english().await;
    s.type_into("[data-test=s-name]", "Sakura Mart").await;
    s.type_into("[data-test=s-address]", "1-2-3 Ginza, Chuo, Tokyo")
        .await;
    s.find("[data-test=s-currency]")
        .await
        .select_by_value("JPY")
        .await
        .unwrap();
    s.click("[data-test=s-oversell]").await;
    s.type_into("[data-test=s-limit]", "500").await;
    s.type_into("[data-test=s-admin]", "Aiko Admin").await;
    s.type_into("[data-test=s-pin]", "5678").await;
    s.shot("setup").await;
    s.click("[data-test=set-up]").await;
    s.text_with("[data-test=status-operator]", "Aiko Admin")
        .await;
    // A product priced in whole yen.
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=new-product]").await;
    s.type_into("[data-test=f-sku]", "ONIGIRI").await;
    s.type_into("[data-test=f-title-en]", "Onigiri").await;
    s.type_into("[data-test=f-price]", "150").await;
    // The tax rate as a percentage: Japan's reduced 8 % (a word is refused).
    s.type_into("[data-test=f-tax]", "eight").await;
    s.click("[data-test=save-product]").await;
    s.find("[data-test=err-tax]").await;
    // 8 % typed as a fraction is caught, not saved as 0.08 %.
    s.type_into("[data-test=f-tax]", "0.08").await;
    s.click("[data-test=save-product]").await;
    s.text_with("[data-test=err-tax]", "type 20").await;
    s.type_into("[data-test=f-tax]", "8").await;
    s.click("[data-test=save-product]").await;
    s.text_with("[data-test=product-price]", "150 JPY").await;
    s.shot("priced-in-yen").await;
    s.click("[data-test=nav-checkout]").await;
    s.type_into("[data-test=float]", "10000").await;
    s.click("[data-test=open-shift]").await;
    s.text_with("[data-test=status-shift]", "In the drawer 10,000 JPY")
        .await;
    s.scan("ONIGIRI").await;
    s.text_with("[data-test=total]", "150 JPY").await;
    s.keys_to_focus(F2).await;
    s.type_into("[data-test=tendered]", "1000").await;
    s.text_with("[data-test=change-preview]", "850 JPY").await;
    s.find("[data-test=tendered]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    s.text_with("[data-test=receipt-change]", "Change 850 JPY")
        .await;
    // 8 % inside 150 JPY is 11.1, rounded to whole yen.
    s.text_with("[data-test=receipt-tax]", "11 JPY").await;
    s.text_with("[data-test=receipt-address]", "1-2-3 Ginza")
        .await;
    s.shot("receipt-in-yen").await;
    s.click("[data-test=close-shift]").await;
    s.type_into("[data-test=counted]", "10150").await;
    s.click("[data-test=close-next]").await;
    s.text_with("[data-test=close-difference]", "0 JPY").await;
    s.click("[data-test=close-confirm]").await;
    s.text_with("[data-test=shift-closed]", "Difference 0 JPY")
        .await;
    s.shot("closed-in-yen").await;
    s.finish().await;
}

/// Bug 5: "only 0 of DEMO-004 in stock" refused the whole sale at payment while the
/// customer held the goods. The line is marked and the cashier warned as it is
/// scanned; the demo shop does not oversell, so at payment a manager approves with
/// their PIN (a wrong one is refused), and the payment event records the line and
/// the manager.
#[tokio::test(flavor = "current_thread")]
async fn stock_blocks_the_sale_only_at_payment() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c5-stock-at-scan", CASHIER).await;
    // DEMO-004 has 4 in stock; the customer brings 5.
    s.scan(&demo::barcode(3)).await;
    s.attr_in("[data-test=cart-line]", "data-short", &["no"])
        .await;
    s.keys_to_focus("++++").await;
    s.text_with("[data-test=cart-qty]", "5").await;
    s.attr_in("[data-test=cart-line]", "data-short", &["yes"])
        .await;
    s.text_with("[data-test=short-note]", "only 4 in stock")
        .await;
    s.text_with(
        "[data-test=checkout-error]",
        "Only 4 of DEMO-004 in stock: a manager must approve",
    )
    .await;
    s.shot("short-line-marked").await;
    s.keys_to_focus(F2).await;
    s.find("[data-test=short-approval]").await;
    s.find("[data-test=tendered]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    s.text_with("[data-test=checkout-error]", "a manager approves")
        .await;
    assert!(s.absent("[data-test=receipt]").await);
    s.manager_approves(&format!("0000{ENTER}")).await;
    s.text_with("[data-test=checkout-error]", "Wrong PIN").await;
    assert!(s.absent("[data-test=receipt]").await);
    s.shot("wrong-manager-pin").await;
    s.type_into("[data-test=approver-pin]", &format!("2222{ENTER}"))
        .await;
    s.find("[data-test=receipt]").await;
    s.shot("approved-and-sold").await;
    let paid = s.last_event("OrderPaid");
    let manager = s.operator_id("Max Manager");
    assert_eq!(paid["oversold"], serde_json::json!([0]), "{paid}");
    assert_eq!(paid["oversell_approved_by"], manager.as_str(), "{paid}");
    s.finish().await;
}

/// What every POS has: goods found by name at the checkout (English and Russian, word
/// prefixes, from the search index; ↑/↓ and Enter), and quantities typed as `3*`
/// before a scan and `*2` after it. A name typed where a code goes is looked up
/// by name. The Russian UI shows Russian titles.
#[tokio::test(flavor = "current_thread")]
async fn a_cashier_finds_goods_by_name_and_types_quantities() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-name-search", CASHIER).await;
    // Ten salmons: the list offers them, the arrow picks the second.
    s.keys_to_focus("salmon").await;
    s.find("[data-test=name-result]").await;
    let offered = s
        .client
        .find_all(Locator::Css("[data-test=name-result]"))
        .await
        .unwrap();
    assert!(offered.len() > 1, "several salmons are offered");
    assert!(
        s.picture_loaded("[data-test=name-result] [data-test=name-picture]")
            .await,
        "the results show each product's picture"
    );
    let second = offered[1].attr("data-sku").await.unwrap().unwrap();
    s.shot("salmon-offered").await;
    s.keys_to_focus(&format!("\u{E015}\u{E015}{ENTER}")).await;
    s.cart_has(1).await;
    s.attr_in("[data-test=cart-line]", "data-sku", &[second.as_str()])
        .await;
    assert!(s.absent("[data-test=name-results]").await);
    // 3* before a scan, *2 after it.
    s.keys_to_focus(&format!("3*{}{ENTER}", demo::barcode(0)))
        .await;
    s.cart_has(2).await;
    s.text_with(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=cart-qty]",
        "3",
    )
    .await;
    s.keys_to_focus(&format!("*2{ENTER}")).await;
    s.text_with(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=cart-qty]",
        "2",
    )
    .await;
    s.keys_to_focus(&format!("*0{ENTER}")).await;
    s.text_with("[data-test=checkout-error]", "whole number from 1 to 9999")
        .await;
    s.keys_to_focus(&"\u{E003}".repeat(3)).await;
    // A name where a code goes, Enter at once: one match is simply added.
    s.keys_to_focus(&format!("honey nor{ENTER}")).await;
    s.cart_has(3).await;
    s.find("[data-test=cart-line][data-sku=DEMO-188]").await;
    // Several matches: the list is offered, the first picked, Enter adds it.
    s.keys_to_focus(&format!("kefir{ENTER}")).await;
    s.text_with("[data-test=choose-caption]", "Several products match")
        .await;
    s.find("[data-test=name-result][aria-selected=true]").await;
    s.shot("kefir-choose").await;
    s.keys_to_focus(ENTER).await;
    s.cart_has(4).await;
    s.find("[data-test=cart-line][data-sku=DEMO-019]").await;
    // Nothing matches: said, nothing added.
    s.keys_to_focus(&format!("zebra{ENTER}")).await;
    s.text_with("[data-test=checkout-error]", "Nothing matches “zebra”")
        .await;
    s.cart_has(4).await;
    // In Russian: the cart's titles and the search are Russian.
    s.click("[data-test=lang]").await;
    // (WebKit's driver reads no text from a cell that clips it: its tooltip is read.)
    s.attr_in(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=cart-title]",
        "title",
        &["Чай Классика"],
    )
    .await;
    s.keys_to_focus("мёд сев").await;
    s.attr_in(
        "[data-test=name-result] [data-test=name-title]",
        "title",
        &["Мёд Север"],
    )
    .await;
    s.shot("russian-search").await;
    s.keys_to_focus(ENTER).await;
    s.text_with(
        "[data-test=cart-line][data-sku=DEMO-188] [data-test=cart-qty]",
        "2",
    )
    .await;
    s.finish().await;
}

/// Bug 8: a manager set the admin's role to Manager, the server refused, and the box
/// kept showing the new role. Now a manager is offered nothing over an admin and no
/// admin role to give; a refused change (here forced by rewriting an option in the
/// page) puts the role the operator still has back; the last admin cannot demote or
/// deactivate themselves.
#[tokio::test(flavor = "current_thread")]
async fn the_operators_screen_shows_a_change_that_did_not_happen() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("c8-operators").await;
    s.create_demo().await;
    s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
    s.click("[data-test=nav-operators]").await;
    let admin = "[data-test=operator-row][data-name='Alice Admin']";
    s.text_with(&format!("{admin} [data-test=operator-role-text]"), "Admin")
        .await;
    for control in ["operator-role", "operator-deactivate", "operator-reset-pin"] {
        assert!(
            s.absent(&format!("{admin} [data-test={control}]")).await,
            "a manager is offered {control} over the admin"
        );
    }
    let client = s.client.clone();
    let roles_offered = |css: String| {
        let c = client.clone();
        async move {
            let mut values = Vec::new();
            for o in c
                .find_all(Locator::Css(&format!("{css} option")))
                .await
                .unwrap()
            {
                values.push(o.attr("value").await.unwrap().unwrap_or_default());
            }
            values
        }
    };
    let cara = "[data-test=operator-row][data-name='Cara Cashier']";
    assert_eq!(
        roles_offered(format!("{cara} [data-test=operator-role]")).await,
        ["manager", "cashier", "kiosk"]
    );
    assert_eq!(
        roles_offered("[data-test=new-operator-role]".into()).await,
        ["manager", "cashier", "kiosk"]
    );
    s.shot("manager-view").await;
    // An offered change goes through.
    s.find(&format!("{cara} [data-test=operator-role]"))
        .await
        .select_by_value("manager")
        .await
        .unwrap();
    s.click("[data-test=nav-checkout]").await;
    s.click("[data-test=nav-operators]").await;
    s.attr_in(
        &format!("{cara} [data-test=operator-role]"),
        "value",
        &["manager"],
    )
    .await;
    // A change the server refuses: the box shows the role the operator still has.
    let kiosk = s.choose_a_role_the_server_refuses().await;
    s.find("[data-test=operators-error]").await;
    s.value_is(kiosk, "kiosk").await;
    s.shot("refused-reverted").await;
    // The last admin keeps the role and cannot be deactivated, even by themselves.
    s.click("[data-test=logout]").await;
    s.login("Alice Admin", "Admin", "1111").await;
    s.click("[data-test=nav-operators]").await;
    s.find(&format!("{admin} [data-test=operator-reset-pin]"))
        .await;
    assert!(
        s.absent(&format!("{admin} [data-test=operator-role]"))
            .await
    );
    assert!(
        s.absent(&format!("{admin} [data-test=operator-deactivate]"))
            .await
    );
    let max = "[data-test=operator-row][data-name='Max Manager'] [data-test=operator-role]";
    assert_eq!(
        roles_offered(max.into()).await,
        ["admin", "manager", "cashier", "kiosk"]
    );
    s.shot("admin-view").await;
    s.finish().await;
}

/// What a person should read: Russian, no code words, no field paths.
fn plain_russian(what: &str, text: &str) {
    let latin_word = text.split(|c: char| !c.is_alphanumeric()).any(|w| {
        w.len() > 3 && w.chars().all(|c| c.is_ascii_lowercase()) && w != "http" && w != "https"
    });
    assert!(
        text.chars().any(|c| matches!(c, 'а'..='я' | 'А'..='Я'))
            && !latin_word
            && !text.contains('_')
            && !text.contains('['),
        "{what}: {text:?} is not plain Russian"
    );
}

/// Bug 7: "payments[0].tendered…", "your role may not CounterSale", "code: must be
/// 1–64 characters" after typing a product name, raw network errors, and all of them
/// English in the Russian UI. A manager working in Russian meets refusals from the
/// server on four screens; each is a plain Russian sentence. (Every code × language
/// is checked by `texts::every_error_reads_as_a_plain_sentence_in_every_ui_language`.)
#[tokio::test(flavor = "current_thread")]
async fn errors_a_person_cannot_read() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c7-errors", MANAGER).await;
    s.click("[data-test=lang]").await;
    s.text_with("[data-test=lang]", "EN").await;
    // A barcode with a wrong check digit, typed at the checkout.
    s.keys_to_focus(&format!("2000000000016{ENTER}")).await;
    let said = s.text_with("[data-test=checkout-error]", "штрихкода").await;
    plain_russian("a misread barcode", &said);
    // A product name typed where the SKU goes, and a price that is not one.
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=new-product]").await;
    s.type_into("[data-test=f-sku]", "чай зелёный").await;
    s.type_into("[data-test=f-price]", "abc").await;
    s.click("[data-test=save-product]").await;
    let sku = s.text_with("[data-test=err-sku]", "буквы").await;
    plain_russian("a name as a SKU", &sku);
    let price = s.text_with("[data-test=err-price]", "сумму").await;
    plain_russian("a price that is not one", &price);
    s.shot("catalog-in-russian").await;
    // A role the server refuses.
    s.click("[data-test=nav-operators]").await;
    s.choose_a_role_the_server_refuses().await;
    let role = s.text_with("[data-test=operators-error]", "Роль").await;
    plain_russian("a refused role", &role);
    // An address that is not one, as the admin connects the till.
    s.click("[data-test=logout]").await;
    s.login("Alice Admin", "Администратор", "1111").await;
    s.click("[data-test=nav-sync]").await;
    s.type_into("[data-test=enrol-url]", "central.local").await;
    s.type_into("[data-test=enrol-code]", "AB-CD").await;
    s.click("[data-test=enrol-submit]").await;
    let url = s.text_with("[data-test=err-url]", "адрес").await;
    plain_russian("a bad address", &url);
    s.shot("sync-in-russian").await;
    s.finish().await;
}

/// What every POS has, as one sale: coffee found by name, three teas by `3*` and a
/// scan, milk scanned; 10 % off the teas (within a cashier's limit), then 2.00 off
/// the whole sale, which takes the sale's discount past the demo's 10 % limit, so a
/// manager approves at payment; card 5.00 and the rest in cash with the change
/// right. The receipt shows the discount; `OrderCreated` records the manager.
#[tokio::test(flavor = "current_thread")]
async fn a_three_item_sale_with_a_name_search_a_quantity_and_discounts_split_paid() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-discounts", CASHIER).await;
    s.keys_to_focus(&format!("coffee cla{ENTER}")).await;
    s.cart_has(1).await;
    s.keys_to_focus(&format!("3*{}{ENTER}", demo::barcode(0)))
        .await;
    s.scan(&demo::barcode(2)).await;
    s.text_with("[data-test=total]", "14.65 EUR").await;
    // The teas: up one line from the milk, F7, 10 (a percentage), Enter.
    s.keys_to_focus("\u{E013}").await;
    s.keys_to_focus("\u{E037}").await;
    s.type_into("[data-test=discount-value]", &format!("10{ENTER}"))
        .await;
    s.text_with(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=line-discount]",
        "−10% · 0.75 EUR",
    )
    .await;
    s.text_with("[data-test=total]", "13.90 EUR").await;
    // 2.00 off the whole sale.
    s.keys_to_focus("\u{E037}").await;
    s.find("[data-test=discount-on]")
        .await
        .select_by_value("sale")
        .await
        .unwrap();
    s.find("[data-test=discount-kind]")
        .await
        .select_by_value("amount")
        .await
        .unwrap();
    s.type_into("[data-test=discount-value]", &format!("2.00{ENTER}"))
        .await;
    s.text_with("[data-test=total]", "11.90 EUR").await;
    s.text_with("[data-test=discount-total]", "2.75 EUR").await;
    // The sale's discount is a line of its own in the cart, and a cashier is told
    // at once that it needs a manager, not first at the payment.
    s.text_with("[data-test=sale-discount-line]", "2.00 EUR")
        .await;
    s.text_with("[data-test=checkout-info]", "manager").await;
    s.shot("discounted").await;
    // Split: card 5.00, cash 6.90 of a 10.00 note.
    s.keys_to_focus(F6).await;
    s.type_into("[data-test=card-part]", "5.00").await;
    s.type_into("[data-test=tendered]", "10.00").await;
    s.text_with("[data-test=change-preview]", "3.10 EUR").await;
    s.text_with("[data-test=short-approval]", "discount").await;
    s.manager_approves(&format!("2222{ENTER}")).await;
    s.text_with("[data-test=receipt-change]", "Change 3.10 EUR")
        .await;
    // Lines at their own discounted price, then the subtotal, then the sale's
    // discount once: nothing on the receipt reads as taken off twice.
    s.text_with("[data-test=receipt-line-discount]", "0.75 EUR")
        .await;
    s.text_with("[data-test=receipt-subtotal]", "13.90 EUR")
        .await;
    s.text_with("[data-test=receipt-discount]", "2.00 EUR")
        .await;
    s.text_with("[data-test=receipt-total]", "11.90 EUR").await;
    s.shot("receipt").await;
    let created = s.last_event("OrderCreated");
    let manager = s.operator_id("Max Manager");
    assert_eq!(
        created["discount_approved_by"],
        manager.as_str(),
        "{created}"
    );
    assert_eq!(created["lines"][1]["line_discount"], 75, "{created}");
    assert_eq!(created["totals"]["gross"], 1190, "{created}");
    s.finish().await;
}

/// Park and resume across a restart: a customer's cart (two teas, 10 % off, and a
/// coffee) is parked with F8 while the next customer pays; the till is restarted;
/// the cashier logs in, takes the cart up from Parked sales, with its discount, and
/// it is paid by card. Parked sales are then empty.
#[tokio::test(flavor = "current_thread")]
async fn a_parked_sale_survives_a_restart_of_the_app() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-park", CASHIER).await;
    s.keys_to_focus(&format!("2*{}{ENTER}", demo::barcode(0)))
        .await;
    s.keys_to_focus("\u{E037}").await;
    s.type_into("[data-test=discount-value]", &format!("10{ENTER}"))
        .await;
    s.scan(&demo::barcode(1)).await;
    s.text_with("[data-test=total]", "10.47 EUR").await;
    s.keys_to_focus("\u{E038}").await;
    s.cart_has(0).await;
    s.text_with("[data-test=checkout-info]", "Sale parked (3 items)")
        .await;
    s.text_with("[data-test=parked]", "Parked sales (1)").await;
    // Nothing of the parked cart is left to pay (a late quote once brought it back).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.text_with("[data-test=total]", "0.00 EUR").await;
    assert!(s
        .find("[data-test=pay-cash]")
        .await
        .attr("disabled")
        .await
        .unwrap()
        .is_some());
    s.shot("parked").await;
    // The next customer buys milk for cash.
    s.scan(&demo::barcode(2)).await;
    s.keys_to_focus(F2).await;
    s.find("[data-test=tendered]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    s.find("[data-test=receipt]").await;

    let mut s = s.restart().await;
    s.login(CASHIER.0, CASHIER.1, CASHIER.2).await;
    s.text_with("[data-test=parked]", "Parked sales (1)").await;
    s.click("[data-test=parked]").await;
    s.text_with(
        "[data-test=parked-sale]",
        "3 items · Tea Classic, Coffee Classic",
    )
    .await;
    s.shot("after-restart").await;
    s.click("[data-test=parked-sale]").await;
    s.cart_has(2).await;
    s.text_with("[data-test=total]", "10.47 EUR").await;
    s.text_with(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=line-discount]",
        "−10%",
    )
    .await;
    s.text_with("[data-test=parked]", "Parked sales (0)").await;
    s.shot("resumed").await;
    s.keys_to_focus("\u{E033}").await;
    s.find("[data-test=confirm-pay]")
        .await
        .click()
        .await
        .unwrap();
    s.text_with("[data-test=receipt-total]", "10.47 EUR").await;
    s.finish().await;
}

/// The keystroke budget: three scanned items paid with exact cash are three scans
/// and two keys (F2, Enter), all sent to whatever has focus, as a scanner and a
/// cashier's fingers would; no click anywhere.
#[tokio::test(flavor = "current_thread")]
async fn three_scanned_items_paid_with_exact_cash_take_three_scans_and_two_keys() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-keystrokes", CASHIER).await;
    for i in 0..3 {
        s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(i)))
            .await;
        s.cart_has(i + 1).await;
    }
    s.keys_to_focus(F2).await;
    s.find("[data-test=tendered]").await;
    s.keys_to_focus(ENTER).await;
    s.text_with("[data-test=receipt-change]", "Change 0.00 EUR")
        .await;
    s.text_with("[data-test=receipt-total]", "9.67 EUR").await;
    s.shot("paid").await;
    s.finish().await;
}

impl Session {
    /// Fails on English left on the screen in the Russian UI: any word of two or more
    /// Latin letters in the page's text, placeholders and labels for assistive
    /// technology, once the shop's own data (its name, the operators' names, SKUs,
    /// the currency) and key names are taken out.
    pub(super) async fn no_english(&mut self, screen: &str) {
        self.shot(&format!("ru-{screen}")).await;
        let text = self
            .client
            .execute(
                "const bits = [document.body.innerText];
                 for (const el of document.querySelectorAll('[placeholder],[aria-label],[title]'))
                   bits.push(el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '',
                             el.getAttribute('title') || '');
                 return bits.join('\\n');",
                vec![],
            )
            .await
            .unwrap();
        let mut text = text.as_str().unwrap_or_default().to_owned();
        for data in [
            "RusToK Demo Shop",
            demo::ADDRESS,
            "Alice Admin",
            "Max Manager",
            "Cara Cashier",
            "Kiosk",
            "http://",
        ] {
            text = text.replace(data, " ");
        }
        // A language switch names the other language in that language; file
        // formats have no other names.
        let allowed = [
            "DEMO", "EUR", "POS", "PIN", "EN", "English", "Esc", "Enter", "Del", "PNG", "JPEG",
            "WebP", "Markdown", "ABC",
        ];
        let english: Vec<&str> = text
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 2 && !allowed.contains(w))
            .collect();
        assert!(
            english.is_empty(),
            "{}: English on the Russian {screen} screen: {english:?}",
            self.name
        );
    }
}

/// The whole counter in Russian: a manager who switched the login screen to Russian
/// sells (name search, discount, a short line approved), parks and resumes, moves
/// cash, refunds a line, looks at the catalog, operators and sync, and starts to
/// close the shift. No screen or dialog visited shows English (the test reads every
/// text, not a person).
#[tokio::test(flavor = "current_thread")]
async fn the_whole_counter_in_russian() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("c-russian").await;
    s.create_demo().await;
    s.click("[data-test=login-lang]").await;
    s.text_with("[data-test=login-lang]", "English").await;
    s.no_english("login").await;
    s.login(MANAGER.0, "Менеджер", MANAGER.2).await;
    s.type_into("[data-test=float]", "100.00").await;
    s.no_english("shift-closed").await;
    s.click("[data-test=open-shift]").await;
    s.text_with("[data-test=status-shift]", "Смена открыта")
        .await;
    s.no_english("checkout-empty").await;
    s.keys_to_focus("мёд").await;
    s.find("[data-test=name-result]").await;
    s.no_english("name-search").await;
    // Several honeys: the arrow picks the first, Enter adds it.
    s.keys_to_focus(&format!("\u{E015}{ENTER}")).await;
    s.cart_has(1).await;
    s.keys_to_focus(&format!("5*{}{ENTER}", demo::barcode(3)))
        .await;
    s.cart_has(2).await;
    s.find("[data-test=short-note]").await;
    s.keys_to_focus("\u{E037}").await;
    s.type_into("[data-test=discount-value]", "10").await;
    s.no_english("discount").await;
    s.keys_to_focus(ENTER).await;
    s.find("[data-test=line-discount]").await;
    s.keys_to_focus("\u{E038}").await;
    s.cart_has(0).await;
    s.click("[data-test=parked]").await;
    s.find("[data-test=parked-sale]").await;
    s.no_english("parked").await;
    s.click("[data-test=parked-sale]").await;
    s.cart_has(2).await;
    s.keys_to_focus(F6).await;
    s.type_into("[data-test=card-part]", "5").await;
    s.no_english("split-payment").await;
    s.find("[data-test=tendered]")
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    s.find("[data-test=receipt]").await;
    s.no_english("receipt").await;
    s.click("[data-test=cash-move]").await;
    s.no_english("cash-move").await;
    s.keys_to_focus(ESC).await;
    s.click("[data-test=nav-orders]").await;
    s.click("[data-test=order-row] td").await;
    s.find("[data-test=refund-line]").await;
    s.no_english("orders").await;
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=new-product]").await;
    s.no_english("catalog").await;
    s.keys_to_focus(ESC).await;
    s.click("[data-test=tab-categories]").await;
    s.click("[data-test=new-category]").await;
    s.no_english("categories").await;
    s.keys_to_focus(ESC).await;
    s.click("[data-test=nav-content]").await;
    s.click("[data-test=new-content]").await;
    s.find("[data-test=shown-content]").await;
    s.no_english("content").await;
    s.keys_to_focus(ESC).await;
    s.click("[data-test=nav-operators]").await;
    s.find("[data-test=operator-row]").await;
    s.no_english("operators").await;
    s.click("[data-test=nav-sync]").await;
    s.no_english("sync").await;
    s.click("[data-test=nav-checkout]").await;
    s.click("[data-test=x-report]").await;
    s.find("[data-test=report-receipts]").await;
    s.no_english("x-report").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=shift-report]").await;
    s.click("[data-test=close-shift]").await;
    s.type_into("[data-test=counted]", "1").await;
    s.click("[data-test=close-next]").await;
    s.find("[data-test=close-difference]").await;
    s.no_english("close-shift").await;
    s.finish().await;
}

/// A shift as the manager reads it: a cash sale, 10.00 put into the drawer, the X
/// report (receipts, sales by tender, what the drawer should hold), a close short
/// by more than the demo's limit approved by the manager, and the Z report naming
/// the difference.
#[tokio::test(flavor = "current_thread")]
async fn a_shift_with_cash_in_an_x_report_a_close_and_its_z_report() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-reports", CASHIER).await;
    s.keys_to_focus(&format!("2*{}{ENTER}", demo::barcode(0)))
        .await;
    s.cart_has(1).await;
    s.keys_to_focus(F2).await;
    s.find("[data-test=tendered]").await;
    s.keys_to_focus(ENTER).await;
    s.find("[data-test=receipt]").await;
    s.click("[data-test=cash-move]").await;
    s.type_into("[data-test=cash-amount]", "10.00").await;
    s.type_into("[data-test=cash-reason]", "coins from the bank")
        .await;
    s.click("[data-test=cash-save]").await;
    s.text_with("[data-test=status-shift]", "114.98 EUR").await;
    s.click("[data-test=x-report]").await;
    s.text_with("[data-test=report-title]", "X report").await;
    s.text_with("[data-test=report-receipts]", "1").await;
    s.text_with("[data-test=report-sales]", "4.98 EUR").await;
    s.text_with("[data-test=report-tender][data-method=cash]", "4.98 EUR")
        .await;
    s.text_with("[data-test=report-expected]", "114.98 EUR")
        .await;
    s.shot("x-report").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=shift-report]").await;
    s.click("[data-test=close-shift]").await;
    // Counted note by note: two 50s (a count that is not a number is refused).
    s.click("[data-test=count-by-pieces]").await;
    s.type_into("[data-test=piece][data-value='5000']", "2x")
        .await;
    s.find("[data-test=pieces-error]").await;
    s.type_into("[data-test=piece][data-value='5000']", "2")
        .await;
    s.value_is("[data-test=counted]", "100.00").await;
    s.shot("counted-by-pieces").await;
    s.click("[data-test=close-next]").await;
    s.text_with("[data-test=close-difference]", "-14.98 EUR")
        .await;
    s.manager_approves("2222").await;
    s.click("[data-test=close-confirm]").await;
    s.find("[data-test=shift-closed]").await;
    s.click("[data-test=z-report]").await;
    s.text_with("[data-test=report-title]", "Z report").await;
    s.text_with("[data-test=report-difference]", "-14.98 EUR")
        .await;
    s.text_with("[data-test=report-sales]", "4.98 EUR").await;
    s.text_with(
        "[data-test=report-people]",
        "difference approved by Max Manager",
    )
    .await;
    s.shot("z-report").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=shift-report]").await;
    // The Z report is kept: printed again from Orders, Z reports.
    s.click("[data-test=nav-orders]").await;
    s.click("[data-test=tab-shifts]").await;
    s.click("[data-test=shift-row] td").await;
    s.text_with("[data-test=report-title]", "Z report").await;
    s.text_with("[data-test=report-difference]", "-14.98 EUR")
        .await;
    s.shot("z-report-again").await;
    s.finish().await;
}

/// A real receipt: the shop, the till and the cashier, date and time, lines, tax per
/// rate, tenders; the paper (58 mm, 80 mm, A4) is kept by the till; the same receipt
/// is printed again from Orders, in the language the UI is in then.
#[tokio::test(flavor = "current_thread")]
async fn a_receipt_names_the_shop_till_and_cashier_and_prints_again_from_orders() {
    let _one = SERIAL.lock().await;
    // This till prints on 58 mm rolls: its config file says so.
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("config.toml"),
        "[printer]\npaper = \"58mm\"\n",
    )
    .unwrap();
    let mut s = Session::start_in("c-receipt", data, &[], false).await;
    s.create_demo().await;
    s.login(CASHIER.0, CASHIER.1, CASHIER.2).await;
    s.open_shift().await;
    s.scan(&demo::barcode(0)).await;
    s.scan(&demo::barcode(1)).await;
    s.keys_to_focus("\u{E033}").await;
    s.find("[data-test=confirm-pay]")
        .await
        .click()
        .await
        .unwrap();
    s.text_with("[data-test=receipt-shop]", "RusToK Demo Shop")
        .await;
    s.text_with("[data-test=receipt-cashier]", "Cara Cashier")
        .await;
    s.text_with("[data-test=receipt-rate]", "%").await;
    s.text_with("[data-test=receipt]", "Till POS1").await;
    s.text_with("[data-test=receipt-address]", demo::ADDRESS)
        .await;
    s.attr_in("[data-test=receipt]", "data-paper", &["58"])
        .await;
    s.shot("receipt").await;
    // A4 for this one receipt; the reprint below is on the till's own paper again.
    s.find("[data-test=receipt-paper]")
        .await
        .select_by_value("a4")
        .await
        .unwrap();
    s.attr_in("[data-test=receipt]", "data-paper", &["a4"])
        .await;
    s.click("[data-test=nav-orders]").await;
    s.click("[data-test=order-row] td").await;
    s.click("[data-test=reprint]").await;
    s.text_with(
        "[data-test=reprint-dialog] [data-test=receipt-cashier]",
        "Cara Cashier",
    )
    .await;
    s.attr_in(
        "[data-test=reprint-dialog] [data-test=receipt]",
        "data-paper",
        &["58"],
    )
    .await;
    s.text_with(
        "[data-test=reprint-dialog] [data-test=receipt-total]",
        "8.48 EUR",
    )
    .await;
    s.shot("reprint").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=reprint-dialog]").await;
    s.click("[data-test=lang]").await;
    s.click("[data-test=reprint]").await;
    s.text_with(
        "[data-test=reprint-dialog] [data-test=receipt]",
        "Касса POS1",
    )
    .await;
    s.shot("reprint-in-russian").await;
    s.finish().await;
}

/// Found by the new-user trial: two Enters with no gap on the cash payment sold the
/// cart twice. One payment is taken at a time, and a paid cart is not paid again.
#[tokio::test(flavor = "current_thread")]
async fn a_double_enter_on_the_payment_sells_once() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-double-enter", CASHIER).await;
    s.scan(&demo::barcode(4)).await;
    s.keys_to_focus(F2).await;
    s.find("[data-test=tendered]").await;
    // Two submits with no gap at all, as a bouncing key gives them.
    s.client
        .execute(
            "const f = document.querySelector('[data-test=pay-form]'); f.requestSubmit(); f.requestSubmit();",
            vec![],
        )
        .await
        .unwrap();
    s.find("[data-test=receipt]").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let sold: i64 = s
        .db()
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sold, 1, "one cart, one sale");
    s.shot("sold-once").await;
    s.finish().await;
}

/// What the first new-user trial stumbled on at the till, as one cashier's morning:
/// F4 on a full cart asks first (Esc keeps it, Enter clears it); cash that does not
/// cover the sale is said as a shortfall in red, never as "Change 0.00"; closing the
/// shift with a sale in the cart is refused with the reason; F9 with nothing to print
/// says so; the X report names the till and who opened the shift; a cart left by the
/// cashier is announced to the manager who logs in after her, and her receipt is not
/// shown to him.
#[tokio::test(flavor = "current_thread")]
async fn slips_at_the_till_lose_nothing_and_say_what_happened() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-slips", CASHIER).await;
    s.scan(&demo::barcode(0)).await;
    s.scan(&demo::barcode(1)).await;
    s.keys_to_focus(F4).await;
    s.text_with("[data-test=clear-confirm]", "Clear this sale? Units: 2")
        .await;
    s.shot("clear-asks").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=clear-confirm]").await;
    s.cart_has(2).await;
    // A scan while the question is open adds to the cart and withdraws it.
    s.keys_to_focus(F4).await;
    s.find("[data-test=clear-confirm]").await;
    s.scan(&demo::barcode(2)).await;
    s.gone("[data-test=clear-confirm]").await;
    s.cart_has(3).await;
    s.keys_to_focus(F4).await;
    s.keys_to_focus(ENTER).await;
    s.cart_has(0).await;

    // 2.49 due, 1.00 handed over: a shortfall, not change.
    s.scan(&demo::barcode(0)).await;
    s.keys_to_focus(F2).await;
    s.type_into("[data-test=tendered]", "1.00").await;
    s.attr_in("[data-test=change-preview]", "data-short", &["yes"])
        .await;
    s.text_with("[data-test=change-preview]", "Short by 1.49 EUR")
        .await;
    s.shot("short-tender").await;
    // What cannot be an amount is marked as it is typed, before any Enter.
    s.attr_in("[data-test=tendered]", "aria-invalid", &["false"])
        .await;
    s.type_into("[data-test=tendered]", "1.0O").await;
    s.attr_in("[data-test=tendered]", "aria-invalid", &["true"])
        .await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=pay-form]").await;

    // The shift does not close over a sale in the cart; F9 has nothing to print.
    s.click("[data-test=close-shift]").await;
    s.text_with("[data-test=checkout-error]", "still in the cart")
        .await;
    assert!(s.absent("[data-test=close-dialog]").await);
    s.keys_to_focus(F9).await;
    s.text_with("[data-test=checkout-info]", "Nothing to print")
        .await;
    s.click("[data-test=x-report]").await;
    let people = s.text_with("[data-test=report-people]", "POS1").await;
    assert!(people.contains("Cara Cashier"), "{people}");
    s.shot("x-report-people").await;
    s.keys_to_focus(ESC).await;
    s.gone("[data-test=shift-report]").await;

    // A scan into the catalog's search replaces what was typed there (the trial
    // got "пельм2000000000046" and nothing found); a refused quantity at the
    // checkout does not stay to spoil the next scan.
    s.click("[data-test=nav-catalog]").await;
    s.type_into("[data-test=catalog-search]", "пельм").await;
    s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(3)))
        .await;
    s.value_is("[data-test=catalog-search]", &demo::barcode(3))
        .await;
    s.find("[data-test=product-row][data-sku=DEMO-004]").await;
    s.click("[data-test=nav-checkout]").await;
    s.keys_to_focus(&format!("*0{ENTER}")).await;
    s.text_with("[data-test=checkout-error]", "whole number")
        .await;
    s.value_is("[data-test=scan]", "").await;
    s.keys_to_focus(&format!("{}{ENTER}", demo::barcode(1)))
        .await;
    s.cart_has(2).await;

    // She leaves the cart for the manager, who is told whose it is.
    s.click("[data-test=logout]").await;
    s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
    s.cart_has(2).await;
    s.text_with("[data-test=cart-left-by]", "Cara Cashier")
        .await;
    s.shot("cart-left-by").await;
    s.keys_to_focus(F2).await;
    s.keys_to_focus(ENTER).await;
    s.find("[data-test=receipt]").await;
    // His receipt is put away when she logs in again.
    s.click("[data-test=logout]").await;
    s.login(CASHIER.0, CASHIER.1, CASHIER.2).await;
    s.find("[data-test=scan]").await;
    assert!(s.absent("[data-test=receipt]").await);
    assert!(s.absent("[data-test=cart-left-by]").await);
    s.finish().await;
}

/// A kiosk ticket reaches the counter by a scan: its QR text (what a 2D scanner
/// types) goes into the scan field; the lines come into the cart at today's prices,
/// a price changed since the kiosk is said with both prices, the sale records the
/// ticket, and the same ticket scanned again is refused, naming the sale.
#[tokio::test(flavor = "current_thread")]
async fn a_kiosk_ticket_scanned_at_the_counter_is_sold_once() {
    let _one = SERIAL.lock().await;
    let mut s = Session::at_till("c-ticket", MANAGER).await;
    // The kiosk's side (its screens come with the kiosk): the core on this till's
    // database file, as the Kiosk operator, issues the ticket.
    let (ticket_id, code) = {
        use rustok_core::domain::{operator::Pin, stock::Quantity};
        let store = std::sync::Arc::new(
            rustok_core::store::Store::open(&s.data_path().join("shop.db")).unwrap(),
        );
        let shop = rustok_core::service::Shop::new(
            store,
            std::sync::Arc::new(rustok_core::system::SystemClock),
            std::sync::Arc::new(rustok_core::system::OsEntropy),
        );
        let kiosk = shop
            .login(
                rustok_core::domain::ids::OperatorId::parse(&s.operator_id("Kiosk")).unwrap(),
                &Pin::parse("4444").unwrap(),
            )
            .unwrap();
        let product = |sku: &str| {
            shop.product_by_sku(
                &kiosk,
                &rustok_core::domain::product::Sku::parse(sku).unwrap(),
            )
            .unwrap()
        };
        let q = |n| Quantity::new(n).unwrap();
        let issued = shop
            .issue_ticket(
                &kiosk,
                &[
                    (product("DEMO-001").id, q(2)),
                    (product("DEMO-002").id, q(1)),
                ],
            )
            .unwrap();
        (issued.ticket.id.to_string(), issued.code)
    };
    let ids = s
        .invoke(
            "invoke('list_products', { text: 'DEMO-002', status: 'active', limit: 5 })
               .then(ps => ps.map(p => ({ id: p.id, version: p.version, sku: p.sku })))",
        )
        .await;
    let coffee = ids["ok"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "DEMO-002")
        .unwrap()
        .clone();
    // Coffee costs more by the time the customer reaches the counter.
    let repriced = s
        .invoke(&format!(
            "invoke('update_product', {{ id: '{}', version: {}, input: {{ sku: 'DEMO-002', barcode: '{}', titles: {{ en: 'Coffee Classic' }}, price: '6.49', taxRateBp: 2000, lowStockThreshold: 5 }} }})",
            coffee["id"].as_str().unwrap(),
            coffee["version"],
            demo::barcode(1)
        ))
        .await;
    assert!(repriced.get("ok").is_some(), "{repriced}");
    s.scan(&code).await;
    s.cart_has(2).await;
    s.text_with("[data-test=checkout-info]", "Kiosk ticket 1: 2 line(s)")
        .await;
    s.text_with(
        "[data-test=checkout-info]",
        "Coffee Classic now costs 6.49 EUR (the kiosk showed 5.99 EUR)",
    )
    .await;
    s.text_with("[data-test=total]", "11.47 EUR").await;
    s.shot("ticket-in-cart").await;
    // Parked, the ticket could be scanned again and sold twice: it is not parked.
    s.keys_to_focus("\u{E038}").await;
    s.text_with("[data-test=checkout-error]", "not parked")
        .await;
    s.cart_has(2).await;
    s.keys_to_focus(F2).await;
    s.keys_to_focus(ENTER).await;
    s.find("[data-test=receipt]").await;
    let created = s.last_event("OrderCreated");
    assert_eq!(
        created["ticket_id"],
        ticket_id.as_str(),
        "the sale records the ticket: {created}"
    );
    // The same ticket again: refused, nothing added.
    s.keys_to_focus(&format!("{code}{ENTER}")).await;
    s.text_with(
        "[data-test=checkout-error]",
        "Kiosk ticket: this ticket was already sold, in order POS1-000001",
    )
    .await;
    s.shot("ticket-sold-once").await;
    // A misread first digit is still read as a ticket, and refused as one.
    s.keys_to_focus(&format!("1{}{ENTER}", &code[1..])).await;
    s.text_with(
        "[data-test=checkout-error]",
        "Kiosk ticket: the till cannot read it",
    )
    .await;
    s.finish().await;
}
