//! Command wiring on the mock runtime, with the app's real context and capabilities.

use rustok_app::error::ApiError;
use rustok_app::state::AppState;
use rustok_core::domain::FieldError;
use rustok_core::service::{Shop, ShopError};
use rustok_core::store::{Store, StoreError};
use rustok_core::system::{OsEntropy, SystemClock};
use serde_json::{json, Value};
use std::sync::Arc;
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

/// The code the UI must see for each kind of core error. The `match` has no wildcard:
/// a new kind of error does not compile until it is mapped here.
fn expected_code(e: &ShopError) -> &'static str {
    match e {
        ShopError::Validation { .. } => "validation",
        ShopError::NotFound { .. } => "not_found",
        ShopError::Forbidden { .. } => "forbidden",
        ShopError::Conflict { .. } => "conflict",
        ShopError::InvalidTransition { .. } => "invalid_transition",
        ShopError::Locked { .. } => "locked",
        ShopError::WrongPin { .. } => "wrong_pin",
        ShopError::CashSessionRequired => "cash_session_required",
        ShopError::CashSessionOpen => "cash_session_open",
        ShopError::AlreadySetUp => "already_set_up",
        ShopError::ApprovalRequired { .. } => "approval_required",
        ShopError::StockApprovalRequired { .. } => "stock_approval_required",
        ShopError::DiscountApprovalRequired { .. } => "discount_approval_required",
        ShopError::Storage(StoreError::NotSetUp) => "not_set_up",
        ShopError::Storage(_) => "storage",
    }
}

#[test]
fn every_core_error_kind_maps_to_its_code_and_details() {
    let cases = vec![
        ShopError::Validation {
            fields: vec![FieldError::new("sku", "invalid_sku", "bad sku")],
        },
        ShopError::NotFound { entity: "order" },
        ShopError::Forbidden {
            operation: "UpdateProduct",
        },
        ShopError::Conflict {
            entity: "product",
            expected: 1,
            found: 2,
        },
        ShopError::InvalidTransition {
            from: "paid",
            action: "cancel",
        },
        ShopError::Locked {
            retry_after_secs: 17,
        },
        ShopError::WrongPin { attempts_left: 3 },
        ShopError::CashSessionRequired,
        ShopError::CashSessionOpen,
        ShopError::AlreadySetUp,
        ShopError::ApprovalRequired {
            difference: -5_159,
            limit: 500,
        },
        ShopError::StockApprovalRequired {
            short: vec![rustok_core::service::ShortLine {
                line: 0,
                sku: rustok_core::domain::product::Sku::parse("DEMO-004").unwrap(),
                on_hand: 0,
                quantity: 1,
            }],
        },
        ShopError::DiscountApprovalRequired { limit_bp: 1250 },
        ShopError::Storage(StoreError::NotSetUp),
        ShopError::Storage(StoreError::InjectedFault),
    ];
    for e in cases {
        let code = expected_code(&e);
        let message = e.to_string();
        let api = ApiError::from(e);
        assert_eq!(api.code, code);
        assert_eq!(api.message, message, "{code}");
        let v = serde_json::to_value(&api).unwrap();
        assert_eq!(v["code"], code);
        match code {
            "validation" => assert_eq!(v["fields"][0]["field"], "sku"),
            "locked" => assert_eq!(v["retry_after_secs"], 17),
            "wrong_pin" => assert_eq!(v["attempts_left"], 3),
            _ => assert!(
                v.get("fields").is_none() && v.get("retry_after_secs").is_none(),
                "{v}"
            ),
        }
    }
}

struct MockApp {
    dir: tempfile::TempDir,
    shop: Arc<Shop>,
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

fn mock_app() -> MockApp {
    mock_app_with(|state, _| state)
}

fn mock_app_with(f: impl FnOnce(AppState, &std::path::Path) -> AppState) -> MockApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("shop.db")).unwrap());
    let shop = Arc::new(Shop::new(store, Arc::new(SystemClock), Arc::new(OsEntropy)));
    shop.attach_images(rustok_core::store::ImageStore::open(&dir.path().join("images")).unwrap());
    let state = f(AppState::new(shop.clone()), dir.path());
    let app = rustok_app::gui::configure(mock_builder(), state)
        .build(rustok_app::gui::context())
        .unwrap();
    // The mock runtime runs no event loop, so no setup hook: start the bus and sync
    // as the window's setup would.
    rustok_app::gui::start_services(app.handle()).unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    MockApp {
        dir,
        shop,
        _app: app,
        webview,
    }
}

impl MockApp {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.send(cmd, tauri::ipc::InvokeBody::Json(args))
    }

    /// A command whose body is raw bytes (a file), as the UI sends a picture.
    fn invoke_raw(&self, cmd: &str, bytes: Vec<u8>) -> Result<Value, Value> {
        self.send(cmd, tauri::ipc::InvokeBody::Raw(bytes))
    }

    fn send(&self, cmd: &str, body: tauri::ipc::InvokeBody) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body,
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }
}

fn login(app: &MockApp, name: &str, pin: &str) -> Result<Value, Value> {
    let choices = app.invoke("login_choices", json!({})).unwrap();
    let id = choices
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["id"]
        .clone();
    app.invoke("login", json!({ "operatorId": id, "pin": pin }))
}

/// The fields of a `validation` error, in order.
/// The demo shop with `name` logged in, a shift open with 50.00 and the first
/// demo product scanned.
fn demo_shift(name: &str, pin: &str) -> (MockApp, Value) {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, name, pin).unwrap();
    app.invoke("open_shift", json!({ "float": "50.00" }))
        .unwrap();
    let product = app
        .invoke("scan", json!({ "code": rustok_app::demo::barcode(0) }))
        .unwrap();
    (app, product)
}

fn invalid_fields(err: &Value) -> Vec<&str> {
    assert_eq!(err["code"], "validation", "{err}");
    err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect()
}

#[test]
fn commands_reach_the_core_and_errors_come_back_as_codes() {
    let app = mock_app();
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["set_up"], false);
    let scan = app
        .invoke("scan", json!({ "code": rustok_app::demo::barcode(0) }))
        .unwrap_err();
    assert_eq!(scan["code"], "unauthenticated");

    let info = app.invoke("create_demo_shop", json!({})).unwrap();
    assert_eq!(
        (info["set_up"].clone(), info["currency"].clone()),
        (json!(true), json!("EUR"))
    );
    assert_eq!(
        app.invoke("create_demo_shop", json!({})).unwrap_err()["code"],
        "already_set_up"
    );

    let wrong = login(&app, "Cara Cashier", "0000").unwrap_err();
    assert_eq!(
        (wrong["code"].clone(), wrong["attempts_left"].clone()),
        (json!("wrong_pin"), json!(4))
    );
    let malformed = login(&app, "Cara Cashier", "12").unwrap_err();
    assert_eq!(malformed["code"], "validation");
    assert_eq!(malformed["fields"][0]["field"], "pin");

    let session = login(&app, "Cara Cashier", "3333").unwrap();
    assert_eq!(session["role"], "cashier");
    assert!(!session["can"]
        .as_array()
        .unwrap()
        .contains(&json!("UpdateProduct")));

    let product = app
        .invoke("scan", json!({ "code": rustok_app::demo::barcode(0) }))
        .unwrap();
    assert_eq!(product["sku"], "DEMO-001");
    assert_eq!(
        app.invoke("scan", json!({ "code": "4006381333932" }))
            .unwrap_err()["code"],
        "validation"
    );
    assert_eq!(
        app.invoke("scan", json!({ "code": "NOPE-1" })).unwrap_err()["code"],
        "not_found"
    );

    let input = json!({ "sku": "DEMO-001", "barcode": null, "titles": { "en": "Hacked" }, "price": "0.01", "taxRateBp": 0, "lowStockThreshold": 0 });
    let forbidden = app
        .invoke(
            "update_product",
            json!({ "id": product["id"], "version": product["version"], "input": input }),
        )
        .unwrap_err();
    assert_eq!(forbidden["code"], "forbidden");

    let sale = app.invoke(
        "counter_sale",
        json!({ "lines": [{ "productId": product["id"], "quantity": 1 }], "payments": [{ "method": "card", "amount": "2.49" }] }),
    );
    assert_eq!(sale.unwrap_err()["code"], "cash_session_required");
    app.invoke("open_shift", json!({ "float": "50.00" }))
        .unwrap();
    let order = app
        .invoke(
            "counter_sale",
            json!({ "lines": [{ "productId": product["id"], "quantity": 2 }], "payments": [{ "method": "cash", "amount": "4.98", "tendered": "10" }] }),
        )
        .unwrap();
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["payments"][0]["change"], 502);

    app.invoke("logout", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();
    let bad = json!({ "sku": "bad sku", "barcode": "123", "titles": {}, "price": "x", "taxRateBp": 99999, "lowStockThreshold": 0 });
    let invalid = app
        .invoke("create_product", json!({ "input": bad, "active": true }))
        .unwrap_err();
    assert_eq!(
        invalid_fields(&invalid),
        ["sku", "barcode", "price", "tax_rate_bp"]
    );
}

#[test]
fn a_command_the_capability_does_not_grant_is_refused() {
    let app = mock_app();
    let err = app
        .invoke("plugin:fs|read_file", json!({ "path": "/etc/passwd" }))
        .unwrap_err();
    assert!(
        err.to_string().contains("not") || err.to_string().contains("denied"),
        "{err}"
    );
}

#[test]
fn sync_commands_check_roles_validate_input_and_discard_dead_letters_as_events() {
    let app = mock_app_with(|state, dir| state.with_sync(dir.join("sync.json")));
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Cara Cashier", "3333").unwrap();
    let status = app.invoke("status_bar", json!({})).unwrap()["sync"].clone();
    assert_eq!(status["state"], "not_enrolled");
    assert!(status["pending"].as_u64().unwrap() > 0, "{status}");
    assert_eq!(
        app.invoke("sync_now", json!({})).unwrap()["state"],
        "not_enrolled"
    );
    for (cmd, args) in [
        (
            "enrol_device",
            json!({ "url": "http://127.0.0.1:9", "code": "AB" }),
        ),
        ("list_dead_letters", json!({})),
        (
            "discard_dead_letter",
            json!({ "handler": "sync", "seq": 1 }),
        ),
        ("retry_dead_letter", json!({ "handler": "sync", "seq": 1 })),
    ] {
        assert_eq!(
            app.invoke(cmd, args).unwrap_err()["code"],
            "forbidden",
            "a cashier may not {cmd}"
        );
    }

    app.invoke("logout", json!({})).unwrap();
    login(&app, "Alice Admin", "1111").unwrap();
    let invalid = app
        .invoke("enrol_device", json!({ "url": "ftp://x", "code": " " }))
        .unwrap_err();
    assert_eq!(invalid_fields(&invalid), ["url", "code"], "{invalid}");
    // Nothing listens on port 9 of loopback: a clear "unavailable", nothing stored.
    let down = app
        .invoke(
            "enrol_device",
            json!({ "url": "http://127.0.0.1:9", "code": "AB-CD" }),
        )
        .unwrap_err();
    assert_eq!(down["code"], "unavailable", "{down}");
    assert!(!app.dir.path().join("sync.json").exists());

    let store = app.shop.store();
    store
        .record_dead_letter(&rustok_core::store::DeadLetter {
            handler: "sync".into(),
            seq: 2,
            error: "unknown_version: OrderPaid v99".into(),
            attempts: 1,
            recorded_at: rustok_core::domain::clock::Timestamp::from_unix_millis(1),
        })
        .unwrap();
    let letters = app.invoke("list_dead_letters", json!({})).unwrap();
    assert_eq!(letters[0]["seq"], 2);
    assert_eq!(letters[0]["error"], "unknown_version: OrderPaid v99");
    assert_eq!(
        app.invoke("retry_dead_letter", json!({ "handler": "sync", "seq": 2 }))
            .unwrap_err()["code"],
        "not_enrolled"
    );
    assert_eq!(
        app.invoke(
            "discard_dead_letter",
            json!({ "handler": "sync", "seq": 99 })
        )
        .unwrap_err()["code"],
        "not_found"
    );
    let last = store.outbox_status().unwrap().last_seq;
    app.invoke(
        "discard_dead_letter",
        json!({ "handler": "sync", "seq": 2 }),
    )
    .unwrap();
    assert_eq!(
        app.invoke("list_dead_letters", json!({})).unwrap(),
        json!([])
    );
    let recorded = store.event(last + 1).unwrap().unwrap();
    assert_eq!(recorded.event_type, "DeadLetterDiscarded");
}

fn setup_form(overrides: Value) -> Value {
    let mut form = json!({
        "name": "Sakura Mart", "slug": "sakura-mart", "currency": "JPY",
        "taxMode": "inclusive", "defaultLocale": "en", "deviceCode": "POS1",
        "adminName": "Aiko Admin", "adminPin": "5678", "allowOversell": false,
        "shiftDifferenceLimit": "500",
    });
    for (k, v) in overrides.as_object().unwrap() {
        form[k] = v.clone();
    }
    json!({ "setup": form })
}

#[test]
fn setting_up_a_shop_refuses_every_bad_field_at_once_and_only_once() {
    let app = mock_app();
    let blank = app
        .invoke(
            "set_up_shop",
            setup_form(json!({
                "name": "", "slug": "Admin!", "currency": "XXX1", "taxMode": "maybe",
                "defaultLocale": "", "deviceCode": "POS 1 ß", "adminName": "",
                "adminPin": "12", "shiftDifferenceLimit": "1",
            })),
        )
        .unwrap_err();
    assert_eq!(
        invalid_fields(&blank),
        [
            "name",
            "slug",
            "currency",
            "tax_mode",
            "default_locale",
            "device_code",
            "admin_name",
            "admin_pin"
        ]
    );
    for limit in ["-5", "1.5", "99999999999999999999999", "1e3"] {
        let e = app
            .invoke(
                "set_up_shop",
                setup_form(json!({ "shiftDifferenceLimit": limit })),
            )
            .unwrap_err();
        assert_eq!(invalid_fields(&e), ["shift_difference_limit"], "{limit}");
    }
    // An address is one printable line a receipt can hold.
    for address in [
        "1-2-3 Ginza\nTokyo".to_owned(),
        "Ginza\u{0007}".to_owned(),
        "x".repeat(201),
        "丁".repeat(100_000),
    ] {
        let e = app
            .invoke("set_up_shop", setup_form(json!({ "address": address })))
            .unwrap_err();
        assert_eq!(invalid_fields(&e), ["address"], "{address:.20}");
    }
    // A kiosk's idle time is whole seconds from 20 to an hour.
    for secs in ["19", "3601", "-1", "1.5", "90s", "4294967296", "１２０"] {
        let e = app
            .invoke("set_up_shop", setup_form(json!({ "kioskIdleSecs": secs })))
            .unwrap_err();
        assert_eq!(invalid_fields(&e), ["kiosk_idle_secs"], "{secs}");
    }
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["set_up"], false);
    let info = app
        .invoke(
            "set_up_shop",
            setup_form(json!({
                "address": "  1-2-3 Ginza, Tokyo  ",
                "kiosk": true, "content": false, "kioskIdleSecs": " 120 ",
            })),
        )
        .unwrap();
    assert_eq!(
        (&info["kiosk"], &info["content"], &info["kiosk_idle_secs"]),
        (&json!(true), &json!(false), &json!(120))
    );
    assert_eq!(info["shop_address"], "1-2-3 Ginza, Tokyo");
    assert_eq!(
        (info["currency"].clone(), info["exponent"].clone()),
        (json!("JPY"), json!(0))
    );
    assert_eq!(app.invoke("session", json!({})).unwrap()["role"], "admin");
    for cmd in ["set_up_shop", "create_demo_shop"] {
        let again = app.invoke(cmd, setup_form(json!({}))).unwrap_err();
        assert_eq!(again["code"], "already_set_up", "{cmd}");
    }
}

#[test]
fn closing_a_shift_and_moving_cash_refuse_hostile_input_and_change_nothing() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Cara Cashier", "3333").unwrap();
    let none = app
        .invoke("preview_close_shift", json!({ "counted": "1.00" }))
        .unwrap_err();
    assert_eq!(none["code"], "cash_session_required");
    app.invoke("open_shift", json!({ "float": "100.00" }))
        .unwrap();
    for counted in [
        "-1",
        "abc",
        "1.001",
        "99999999999999999999999",
        "2000000000039",
    ] {
        for cmd in ["preview_close_shift", "close_shift"] {
            let e = app.invoke(cmd, json!({ "counted": counted })).unwrap_err();
            assert_eq!(invalid_fields(&e), ["counted"], "{cmd} {counted}");
        }
    }
    let cashier_id = app.invoke("session", json!({})).unwrap()["operator_id"].clone();
    for (id, pin, code) in [
        (json!("not-an-id"), "2222", "validation"),
        (cashier_id, "3333", "forbidden"),
    ] {
        let e = app
            .invoke(
                "close_shift",
                json!({ "counted": "10.00", "approverId": id, "approverPin": pin }),
            )
            .unwrap_err();
        assert_eq!(e["code"], code, "{e}");
    }
    let short = app
        .invoke("close_shift", json!({ "counted": "10.00" }))
        .unwrap_err();
    assert_eq!(short["code"], "approval_required");
    for (kind, amount, reason, field) in [
        ("sideways", "1.00", "float top-up", "kind"),
        ("in", "0", "float top-up", "amount"),
        ("out", "99999999999999999999", "to the safe", "amount"),
        ("in", "9999999.00", "a slip of the finger", "amount"),
        ("in", "20000000000039", "a barcode in the amount", "amount"),
        ("out", "1.00", "", "reason"),
    ] {
        let e = app
            .invoke(
                "move_cash",
                json!({ "kind": kind, "amount": amount, "reason": reason }),
            )
            .unwrap_err();
        assert_eq!(invalid_fields(&e), [field], "{kind} {amount} {reason:?}");
    }
    let shift = app.invoke("status_bar", json!({})).unwrap()["shift"].clone();
    assert_eq!(
        (shift["expected"].clone(), shift["cash_in"].clone()),
        (json!(10_000), json!(0)),
        "nothing changed"
    );
}

/// Refunds from a page script: every malformed or overflowing line is named and
/// nothing changes; a refund of more than is left, a tender never paid, a replay of
/// a complete refund and a stranger's order id are refused with their own codes.
#[test]
fn refunds_refuse_hostile_lines_and_replays_and_change_nothing() {
    let (app, product) = demo_shift("Max Manager", "2222");
    let order = app
        .invoke(
            "counter_sale",
            json!({ "lines": [{ "productId": product["id"], "quantity": 2 }], "payments": [{ "method": "card", "amount": "4.98" }] }),
        )
        .unwrap();
    let id = order["id"].clone();
    // The refund itself, or its preview (which must refuse exactly the same).
    let ask = |command: &str, extra: Value| {
        let mut input = json!({ "action": "refund", "payments": [] });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.invoke(command, json!({ "id": id, "input": input }))
    };
    let refund = |extra: Value| ask("order_action", extra);
    let preview = |extra: Value| ask("preview_refund", extra);
    let status = || app.invoke("get_order", json!({ "id": id })).unwrap();
    let before = status();
    for (lines, fields) in [
        (
            json!([{ "line": 0, "quantity": 0 }]),
            vec!["lines[0].quantity"],
        ),
        (
            json!([{ "line": 0, "quantity": -1 }]),
            vec!["lines[0].quantity"],
        ),
        (
            json!([{ "line": 0, "quantity": 1_000_000_000_000_i64 }, { "line": 0, "quantity": 0 }]),
            vec!["lines[0].quantity", "lines[1].quantity"],
        ),
        (json!([{ "line": 7, "quantity": 1 }]), vec!["lines[0].line"]),
        (
            json!([{ "line": 0, "quantity": 3 }]),
            vec!["lines[0].quantity"],
        ),
        (
            json!([{ "line": 0, "quantity": 2 }, { "line": 0, "quantity": 1 }]),
            vec!["lines[1].quantity"],
        ),
    ] {
        let e = refund(json!({ "refundLines": lines })).unwrap_err();
        assert_eq!(invalid_fields(&e), fields, "{lines}");
        let p = preview(json!({ "refundLines": lines })).unwrap_err();
        assert_eq!(invalid_fields(&p), fields, "preview {lines}");
    }
    // Shapes the command cannot take are refused by the IPC layer itself.
    for extra in [
        json!({ "refundLines": [{ "line": -1, "quantity": 1 }] }),
        json!({ "refundLines": [{ "line": 1e300, "quantity": 1 }] }),
        json!({ "refundLines": "all" }),
    ] {
        assert!(refund(extra.clone()).is_err(), "{extra}");
    }
    for extra in [
        json!({ "refundTo": "bitcoin" }),
        json!({ "refundTo": "cash" }),
    ] {
        let e = refund(extra.clone()).unwrap_err();
        assert_eq!(invalid_fields(&e), ["to"], "{extra}");
    }
    assert_eq!(status(), before, "nothing changed");
    let named =
        preview(json!({ "refundLines": [{ "line": 0, "quantity": 2, "restock": true }] })).unwrap();
    assert_eq!(named["amount"], 498);
    assert_eq!(status(), before, "a preview changes nothing");

    let done =
        refund(json!({ "refundLines": [{ "line": 0, "quantity": 2, "restock": true }] })).unwrap();
    assert_eq!(done["status"], "refunded");
    assert_eq!(done["refunded"], 498);
    let replay = refund(json!({ "refundLines": [{ "line": 0, "quantity": 1 }] })).unwrap_err();
    assert_eq!(replay["code"], "invalid_transition");
    let late = preview(json!({ "refundLines": [{ "line": 0, "quantity": 1 }] })).unwrap_err();
    assert_eq!(late["code"], "invalid_transition");
    let stranger = app
        .invoke(
            "order_action",
            json!({ "id": "0192f0e4-0000-7000-8000-0000000000ff", "input": { "action": "refund" } }),
        )
        .unwrap_err();
    assert_eq!(stranger["code"], "not_found");
}

/// Discounts from outside: percentages that are not one or above 100, negative or
/// oversized amounts, both or neither kind, on a line and on the sale. Each is a
/// field error at its place, from the quote and from the sale alike, and nothing is
/// sold; a cashier's discount above the demo's limit asks for a manager.
#[test]
fn discounts_refuse_hostile_input_and_change_nothing() {
    let (app, product) = demo_shift("Cara Cashier", "3333");
    let sell = |line: Value, whole: Value| {
        let lines = json!([{ "productId": product["id"], "quantity": 2, "discount": line }]);
        let quote = app.invoke("quote", json!({ "lines": lines, "discount": whole }));
        let sale = app.invoke(
            "counter_sale",
            json!({ "lines": lines, "discount": whole, "payments": [{ "method": "card", "amount": "4.98" }] }),
        );
        (quote, sale)
    };
    let on_line = vec!["lines[0].discount"];
    let on_sale = vec!["discount"];
    for (line, whole, fields) in [
        (json!({ "percent": "abc" }), Value::Null, &on_line),
        (json!({ "percent": "100.01" }), Value::Null, &on_line),
        (json!({ "percent": "-5" }), Value::Null, &on_line),
        (json!({ "percent": "1e3" }), Value::Null, &on_line),
        (json!({ "amount": "-1.00" }), Value::Null, &on_line),
        (json!({ "amount": "4.99" }), Value::Null, &on_line),
        (
            json!({ "amount": "99999999999999999999" }),
            Value::Null,
            &on_line,
        ),
        (
            json!({ "percent": "5", "amount": "1.00" }),
            Value::Null,
            &on_line,
        ),
        (json!({}), Value::Null, &on_line),
        (Value::Null, json!({ "amount": "5.00" }), &on_sale),
        (Value::Null, json!({ "percent": "٣" }), &on_sale),
        (Value::Null, json!({ "amount": "0.001" }), &on_sale),
    ] {
        let (quote, sale) = sell(line.clone(), whole.clone());
        for r in [quote, sale] {
            let e = r.expect_err(&format!("{line} {whole}"));
            assert_eq!(&invalid_fields(&e), fields, "{line} {whole}: {e}");
        }
    }
    // Shapes the command cannot take are refused by the IPC layer itself.
    for line in [json!("10%"), json!({ "percent": 10 }), json!([1])] {
        let (quote, sale) = sell(line.clone(), Value::Null);
        assert!(quote.is_err() && sale.is_err(), "{line}");
    }
    // 50 % off: above a cashier's 10 %, so a manager must approve; nothing sold.
    let (quote, sale) = sell(json!({ "percent": "50" }), Value::Null);
    assert_eq!(quote.unwrap()["discount_needs_approval"], true);
    assert_eq!(sale.unwrap_err()["code"], "discount_approval_required");
    let orders = app.invoke("list_orders", json!({})).unwrap();
    assert_eq!(orders, json!([]), "nothing was sold");
    // Within the limit it sells, and the total is the discounted one.
    let (quote, sale) = sell(json!({ "percent": "10" }), Value::Null);
    assert_eq!(quote.unwrap()["gross"], 448);
    assert!(
        sale.is_err(),
        "the card amount must match the discounted total"
    );
}

/// Parked sales from outside: no lines, unknown or malformed products, hostile
/// discounts, malformed and unknown ids, a replayed resume. Each is refused with a
/// typed error and parks or takes up nothing.
#[test]
fn parked_sales_refuse_hostile_input_and_replays() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Cara Cashier", "3333").unwrap();
    let product = app
        .invoke("scan", json!({ "code": rustok_app::demo::barcode(0) }))
        .unwrap();
    for (lines, field) in [
        (json!([]), "lines"),
        (
            json!([{ "productId": "nope", "quantity": 1 }]),
            "lines[0].product_id",
        ),
        (
            json!([{ "productId": "0192f0e4-0000-7000-8000-000000000077", "quantity": 1 }]),
            "lines[0].product_id",
        ),
        (
            json!([{ "productId": product["id"], "quantity": 0 }]),
            "lines[0].quantity",
        ),
        (
            json!([{ "productId": product["id"], "quantity": 1, "discount": { "percent": "101" } }]),
            "lines[0].discount",
        ),
    ] {
        let e = app
            .invoke("park_sale", json!({ "lines": lines }))
            .unwrap_err();
        assert_eq!(invalid_fields(&e), [field], "{lines}");
    }
    assert_eq!(app.invoke("parked_sales", json!({})).unwrap(), json!([]));
    let parked = app
        .invoke(
            "park_sale",
            json!({ "lines": [{ "productId": product["id"], "quantity": 2 }] }),
        )
        .unwrap();
    for id in [
        json!("x"),
        json!(""),
        json!("0192f0e4-0000-7000-8000-000000000077"),
    ] {
        assert!(
            app.invoke("resume_sale", json!({ "id": id })).is_err(),
            "{id}"
        );
    }
    let cart = app
        .invoke("resume_sale", json!({ "id": parked["id"] }))
        .unwrap();
    assert_eq!(cart["lines"][0]["qty"], 2);
    let again = app
        .invoke("resume_sale", json!({ "id": parked["id"] }))
        .unwrap_err();
    assert_eq!(again["code"], "not_found", "a cart is taken up once");
}

/// A sale sent twice from a page script — a second Enter, a retry — with the cart's
/// sale id sells once: the same order comes back and the drawer counts it once.
/// Malformed, oversized and non-v7 sale ids are field errors that sell nothing;
/// the id of one sale sent with another cart is refused.
#[test]
fn a_counter_sale_replayed_with_its_sale_id_sells_once() {
    let (app, product) = demo_shift("Cara Cashier", "3333");
    let sale_id = "0193a000-0000-7000-8000-00000000c0de";
    let sell = |id: Value, quantity: i64| {
        app.invoke(
            "counter_sale",
            json!({ "saleId": id, "lines": [{ "productId": product["id"], "quantity": quantity }],
                    "payments": [{ "method": "cash", "amount": decimal(249 * quantity), "tendered": "20.00" }] }),
        )
    };
    let drawer = || app.invoke("status_bar", json!({})).unwrap()["shift"]["expected"].clone();
    let first = sell(json!(sale_id), 2).unwrap();
    let after_first = drawer();
    for _ in 0..3 {
        let again = sell(json!(sale_id), 2).unwrap();
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["number"], first["number"]);
    }
    assert_eq!(drawer(), after_first, "the drawer counts the sale once");
    assert_eq!(drawer(), json!(5_000 + 498));

    let used = sell(json!(sale_id), 3).unwrap_err();
    assert_eq!(invalid_fields(&used), ["sale_id"]);
    for bad in [
        json!("not-a-uuid"),
        json!("0193a000-0000-4000-8000-00000000c0de"),
        json!("00000000-0000-0000-0000-000000000000"),
        json!("x".repeat(100_000)),
    ] {
        let e = sell(bad.clone(), 1).unwrap_err();
        assert_eq!(invalid_fields(&e), ["sale_id"], "{bad:.40}");
    }
    for shape in [json!(42), json!(["a"]), json!({ "id": sale_id })] {
        assert!(sell(shape.clone(), 1).is_err(), "{shape}");
    }
    assert_eq!(drawer(), after_first, "nothing else was sold");
    // Without a sale id every call is a new sale, as before.
    let a = sell(Value::Null, 1).unwrap();
    let b = sell(Value::Null, 1).unwrap();
    assert_ne!(a["id"], b["id"]);
}

/// Minor units as the UI types them (two decimals, the demo's EUR).
fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// A small PNG, as a manager's picture file would be.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn categories_and_pictures_refuse_hostile_input_and_reach_the_product() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Cara Cashier", "3333").unwrap();
    // A cashier browses categories but adds neither them nor pictures.
    assert!(app.invoke("list_categories", json!({})).is_ok());
    let input = json!({ "names": { "en": "Drinks", "ru": "Напитки" }, "position": 1 });
    assert_eq!(
        app.invoke("create_category", json!({ "input": input }))
            .unwrap_err()["code"],
        "forbidden"
    );
    assert_eq!(
        app.invoke_raw("store_image", png(4, 4)).unwrap_err()["code"],
        "forbidden"
    );
    app.invoke("logout", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();

    // Hostile category forms: every bad field at once, nothing made.
    let before = app.invoke("list_categories", json!({})).unwrap();
    let bad = json!({ "names": { "xx-bad!": "A", "ru": "x".repeat(61) }, "position": 10_001, "parent": "../etc" });
    let err = app
        .invoke("create_category", json!({ "input": bad }))
        .unwrap_err();
    assert_eq!(
        invalid_fields(&err),
        vec!["names.ru", "names.xx-bad!", "parent"]
    );
    let over = json!({ "names": { "en": "A" }, "position": 10_001 });
    let err = app
        .invoke("create_category", json!({ "input": over }))
        .unwrap_err();
    assert_eq!(invalid_fields(&err), vec!["position"]);
    let err = app
        .invoke(
            "create_category",
            json!({ "input": { "names": {}, "position": -1 } }),
        )
        .unwrap_err();
    // Refused before the command runs: not a number the form's type can hold.
    assert!(err.as_str().unwrap().contains("invalid args"), "{err}");
    assert_eq!(app.invoke("list_categories", json!({})).unwrap(), before);

    let drinks = app
        .invoke("create_category", json!({ "input": input }))
        .unwrap();
    assert_eq!(
        (drinks["name"].clone(), drinks["names"]["ru"].clone()),
        (json!("Drinks"), json!("Напитки"))
    );

    // Pictures: a JSON body, a text file, a huge body are refused; a PNG is kept.
    let err = app
        .invoke("store_image", json!({ "bytes": [1, 2, 3] }))
        .unwrap_err();
    assert_eq!(err["fields"][0]["code"], "not_an_image");
    let err = app
        .invoke_raw("store_image", b"<svg onload=alert(1)>".to_vec())
        .unwrap_err();
    assert_eq!(err["fields"][0]["code"], "not_an_image");
    let err = app
        .invoke_raw("store_image", vec![0x89; 9 * 1024 * 1024])
        .unwrap_err();
    assert_eq!(err["fields"][0]["code"], "too_large");
    let digest = app.invoke_raw("store_image", png(300, 200)).unwrap();
    let digest = digest.as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);

    // The product names both; a digest that was never stored, or is a path, is refused.
    let form = |image: &str| {
        json!({ "input": {
            "sku": "PIC-1", "barcode": "", "titles": { "en": "Lemonade" }, "price": "2.50",
            "taxRateBp": 2000, "lowStockThreshold": 1, "category": drinks["id"], "image": image,
            "descriptions": { "en": "Fresh", "ru": "Свежий" }
        }, "active": true })
    };
    let err = app
        .invoke("create_product", form("../../shop.db"))
        .unwrap_err();
    assert_eq!(invalid_fields(&err), vec!["image"]);
    let err = app
        .invoke("create_product", form(&"a".repeat(64)))
        .unwrap_err();
    assert_eq!(err["fields"][0]["code"], "unknown");
    let p = app.invoke("create_product", form(&digest)).unwrap();
    assert_eq!(
        (p["image"].as_str(), p["category"].clone()),
        (Some(digest.as_str()), drinks["id"].clone())
    );
    assert_eq!(p["descriptions"]["ru"], "Свежий");
    let listed = app
        .invoke("list_products", json!({ "category": drinks["id"] }))
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let err = app
        .invoke("list_products", json!({ "category": "drinks" }))
        .unwrap_err();
    assert_eq!(err["code"], "validation");
}

#[test]
fn a_promo_names_products_by_id_and_the_kiosk_learns_which() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();
    let ids: Vec<Value> = app
        .invoke("list_products", json!({ "text": "Milk", "limit": 2 }))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    let form = |kind: &str, products: Value| {
        json!({ "input": { "kind": kind, "slug": "milk-days", "position": 1,
            "translations": { "en": { "title": "Milk days", "excerpt": "", "body": "" } },
            "products": products } })
    };
    let before = app.invoke("list_content", json!({})).unwrap();
    // A flood of ids is one error; a bad or foreign id, a page, a repeat: refused.
    let flood = vec![json!("x"); 100_000];
    let err = app
        .invoke("create_content", form("promo", json!(flood)))
        .unwrap_err();
    assert_eq!(
        (
            err["fields"].as_array().unwrap().len(),
            &err["fields"][0]["code"]
        ),
        (1, &json!("too_many")),
        "{err}"
    );
    let cases = [
        (
            "promo",
            json!([ids[0], "not-an-id"]),
            "products[1]",
            "invalid_id",
        ),
        (
            "promo",
            json!(["0190a0a0-0000-7000-8000-00000000beef"]),
            "products[0]",
            "unknown",
        ),
        ("page", json!([ids[0]]), "products", "promo_only"),
        ("promo", json!([ids[0], ids[0]]), "products[1]", "duplicate"),
    ];
    for (kind, products, field, code) in cases {
        let err = app
            .invoke("create_content", form(kind, products))
            .unwrap_err();
        assert_eq!(
            (&err["fields"][0]["field"], &err["fields"][0]["code"]),
            (&json!(field), &json!(code)),
            "{err}"
        );
    }
    assert_eq!(app.invoke("list_content", json!({})).unwrap(), before);

    // Without `products` (an older screen), a promo names none.
    let plain = json!({ "input": { "kind": "promo", "slug": "plain", "position": 2,
        "translations": { "en": { "title": "Plain", "excerpt": "", "body": "" } } } });
    let plain = app.invoke("create_content", plain).unwrap();
    assert_eq!(plain["products"], json!([]));
    let promo = app
        .invoke("create_content", form("promo", json!([ids[1], ids[0]])))
        .unwrap();
    let named: Vec<_> = promo["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(
        named,
        [ids[1].clone(), ids[0].clone()],
        "in the manager's order"
    );
    assert!(promo["products"][0]["title"]
        .as_str()
        .unwrap()
        .contains("Milk"));
    app.invoke(
        "set_content_status",
        json!({ "id": promo["id"], "publish": true }),
    )
    .unwrap();
    login(&app, "Kiosk", "4444").unwrap();
    let shown = app
        .invoke("shown_content", json!({ "locale": "ru" }))
        .unwrap();
    let milk_days = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "milk-days")
        .unwrap();
    assert_eq!(milk_days["products"], json!([ids[1], ids[0]]));
}

#[test]
fn content_refuses_hostile_input_and_shows_each_language_with_a_fallback() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();
    let form = |slug: &str, tr: Value| json!({ "input": { "kind": "promo", "slug": slug, "position": 1, "translations": tr } });
    let before = app.invoke("list_content", json!({})).unwrap();
    let shown_before = app
        .invoke("shown_content", json!({ "locale": "en" }))
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    // Every bad field at once; a language with nothing typed is left out.
    let bad = json!({ "en": { "title": "", "excerpt": "x", "body": "" }, "ru": { "title": "", "excerpt": "", "body": "" } });
    let err = app
        .invoke("create_content", form("../Promo", bad))
        .unwrap_err();
    assert_eq!(invalid_fields(&err), vec!["slug", "translations.en.title"]);
    let err = app
        .invoke(
            "create_content",
            form(
                "empty",
                json!({ "ru": { "title": " ", "excerpt": "", "body": "" } }),
            ),
        )
        .unwrap_err();
    assert_eq!(invalid_fields(&err), vec!["translations"]);
    assert_eq!(app.invoke("list_content", json!({})).unwrap(), before);

    let both = json!({
        "en": { "title": "Two for one", "excerpt": "Tea", "body": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))" },
        "ru": { "title": "Два по цене одного", "excerpt": "Чай", "body": "" }
    });
    let promo = app.invoke("create_content", form("tea", both)).unwrap();
    let only_en = json!({ "en": { "title": "Opening hours", "excerpt": "", "body": "" } });
    let page = app
        .invoke("create_content", form("hours", only_en))
        .unwrap();
    assert_eq!(
        app.invoke(
            "create_content",
            form(
                "tea",
                json!({ "en": { "title": "Again", "excerpt": "", "body": "" } })
            )
        )
        .unwrap_err()["fields"][0]["code"],
        "taken"
    );
    // Drafts are not shown; published ones are, in the language asked, else the shop's.
    let ru = app
        .invoke("shown_content", json!({ "locale": "ru" }))
        .unwrap();
    assert!(
        !ru.as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == "tea" || c["slug"] == "hours"),
        "{ru}"
    );
    for n in [&promo, &page] {
        app.invoke(
            "set_content_status",
            json!({ "id": n["id"], "publish": true }),
        )
        .unwrap();
    }
    let ru = app
        .invoke("shown_content", json!({ "locale": "ru" }))
        .unwrap();
    let titles: Vec<_> = ru
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["title"].clone(), c["locale"].clone()))
        .collect();
    assert!(
        titles.contains(&(json!("Два по цене одного"), json!("ru"))),
        "{ru}"
    );
    assert!(
        titles.contains(&(json!("Opening hours"), json!("en"))),
        "{ru}"
    );
    let en = app
        .invoke("shown_content", json!({ "locale": "en" }))
        .unwrap();
    let html = en
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "tea")
        .unwrap()["body_html"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        html.contains("<strong>Bold</strong>") && !html.contains("<script") && !html.contains("<a"),
        "{html}"
    );
    assert_eq!(
        app.invoke("shown_content", json!({ "locale": "<x>" }))
            .unwrap_err()["code"],
        "validation"
    );
    // Archived: gone from the kiosk, and no longer editable; a replayed publish is refused.
    app.invoke(
        "set_content_status",
        json!({ "id": promo["id"], "publish": false }),
    )
    .unwrap();
    assert_eq!(
        app.invoke(
            "set_content_status",
            json!({ "id": promo["id"], "publish": true })
        )
        .unwrap_err()["code"],
        "invalid_transition"
    );
    assert_eq!(
        app.invoke("shown_content", json!({ "locale": "en" }))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        shown_before + 1
    );
    let err = app.invoke("update_content", json!({ "id": promo["id"], "version": 1, "input": form("tea", json!({ "en": { "title": "X", "excerpt": "", "body": "" } }))["input"] })).unwrap_err();
    assert_eq!(err["code"], "invalid_transition");
    // A cashier reads, but neither writes nor publishes.
    app.invoke("logout", json!({})).unwrap();
    login(&app, "Cara Cashier", "3333").unwrap();
    assert_eq!(
        app.invoke(
            "set_content_status",
            json!({ "id": page["id"], "publish": false })
        )
        .unwrap_err()["code"],
        "forbidden"
    );
    assert_eq!(
        app.invoke(
            "create_content",
            form(
                "mine",
                json!({ "en": { "title": "Mine", "excerpt": "", "body": "" } })
            )
        )
        .unwrap_err()["code"],
        "forbidden"
    );
}

fn operator_id(app: &MockApp, name: &str) -> Value {
    app.shop
        .login_choices()
        .unwrap()
        .into_iter()
        .find(|c| c.name.as_str() == name)
        .map(|c| json!(c.id.to_string()))
        .unwrap()
}

#[test]
fn a_locked_kiosk_takes_only_its_operator_and_a_managers_pin_unlocks_it() {
    let app = mock_app_with(|state, _| state.as_kiosk());
    app.invoke("create_demo_shop", json!({})).unwrap();
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(
        (
            &info["kiosk_device"],
            &info["kiosk_locked"],
            &info["kiosk_idle_secs"]
        ),
        (&json!(true), &json!(true), &json!(30))
    );
    // Only the kiosk's operator logs in: a manager's right PIN and a wrong one
    // alike are refused before the PIN is checked.
    let max = operator_id(&app, "Max Manager");
    for pin in ["2222", "9999"] {
        let err = app
            .invoke("login", json!({ "operatorId": max, "pin": pin }))
            .unwrap_err();
        assert_eq!(err["code"], "kiosk_only", "{err}");
    }
    assert_eq!(
        app.invoke("lock_kiosk", json!({})).unwrap_err()["code"],
        "unauthenticated"
    );
    login(&app, "Kiosk", "4444").unwrap();
    // The kiosk sells nothing and sees no shift.
    assert_eq!(
        app.invoke("open_shift", json!({ "float": "0" }))
            .unwrap_err()["code"],
        "forbidden"
    );

    // Leaving: a cashier's right PIN, the kiosk's own and a hostile one are refused;
    // a wrong manager PIN counts towards the lockout; the window stays locked.
    let cara = operator_id(&app, "Cara Cashier");
    let kiosk = operator_id(&app, "Kiosk");
    let unlock =
        |id: &Value, pin: &str| app.invoke("unlock_kiosk", json!({ "operatorId": id, "pin": pin }));
    assert_eq!(unlock(&cara, "3333").unwrap_err()["code"], "forbidden");
    assert_eq!(unlock(&kiosk, "4444").unwrap_err()["code"], "forbidden");
    assert_eq!(unlock(&max, "9999").unwrap_err()["attempts_left"], 4);
    assert_eq!(
        invalid_fields(&unlock(&json!("../admin"), "2222\u{0}").unwrap_err()),
        vec!["id"]
    );
    assert_eq!(
        invalid_fields(&unlock(&max, "22 22").unwrap_err()),
        vec!["pin"]
    );
    assert_eq!(
        app.invoke("app_info", json!({})).unwrap()["kiosk_locked"],
        true
    );
    assert_eq!(app.invoke("session", json!({})).unwrap()["role"], "kiosk");

    // A manager's PIN: unlocked, the manager logged in, every operator offered.
    let s = unlock(&max, "2222").unwrap();
    assert_eq!(
        (&s["name"], &s["role"]),
        (&json!("Max Manager"), &json!("manager"))
    );
    assert_eq!(
        app.invoke("app_info", json!({})).unwrap()["kiosk_locked"],
        false
    );
    assert_eq!(
        app.invoke("login_choices", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // Back into kiosk mode: logged out and locked again.
    app.invoke("lock_kiosk", json!({})).unwrap();
    assert_eq!(app.invoke("session", json!({})).unwrap(), Value::Null);
    assert_eq!(
        app.invoke("app_info", json!({})).unwrap()["kiosk_locked"],
        true
    );
    assert_eq!(
        app.invoke("login", json!({ "operatorId": cara, "pin": "3333" }))
            .unwrap_err()["code"],
        "kiosk_only"
    );
}

#[test]
fn a_window_not_started_as_a_kiosk_is_never_locked() {
    let app = mock_app();
    app.invoke("create_demo_shop", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();
    assert_eq!(
        app.invoke("lock_kiosk", json!({})).unwrap_err()["code"],
        "not_a_kiosk"
    );
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(
        (&info["kiosk_device"], &info["kiosk_locked"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(
        app.invoke("login_choices", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn kiosk_tickets_refuse_hostile_lines_and_the_counter_reads_what_was_issued() {
    let app = mock_app_with(|state, _| state.as_kiosk());
    app.invoke("create_demo_shop", json!({})).unwrap();
    let products = std::cell::OnceCell::<Vec<Value>>::new();
    let id = |i: usize| products.get().unwrap()[i]["id"].clone();
    let issue = |lines: Value| app.invoke("issue_ticket", json!({ "lines": lines }));
    assert_eq!(
        issue(json!([{ "productId": "x", "quantity": 1 }])).unwrap_err()["code"],
        "unauthenticated"
    );
    login(&app, "Kiosk", "4444").unwrap();
    let list = app.invoke("list_products", json!({ "limit": 3 })).unwrap();
    products.set(list.as_array().unwrap().clone()).unwrap();
    let price = |i: usize| products.get().unwrap()[i]["price"].as_i64().unwrap();
    let before = app.shop.store().outbox_status().unwrap().last_seq;
    // Every bad line at once; no line, too many lines, and overflowing quantities.
    let err = issue(json!([
        { "productId": "not-a-product", "quantity": 1 },
        { "productId": id(0), "quantity": 0 },
        { "productId": id(1), "quantity": i64::MAX },
    ]))
    .unwrap_err();
    assert_eq!(
        invalid_fields(&err),
        vec![
            "lines[0].product_id",
            "lines[1].quantity",
            "lines[2].quantity"
        ]
    );
    assert_eq!(
        invalid_fields(&issue(json!([])).unwrap_err()),
        vec!["lines"]
    );
    let many: Vec<_> = (0..10_000)
        .map(|_| json!({ "productId": id(0), "quantity": 1 }))
        .collect();
    assert_eq!(
        invalid_fields(&issue(json!(many)).unwrap_err()),
        vec!["lines"]
    );
    assert_eq!(
        invalid_fields(&issue(json!([{ "productId": id(0), "quantity": 1000 }])).unwrap_err()),
        vec!["lines[0].quantity"]
    );
    let unknown = json!("00000000-0000-4000-8000-000000000007");
    assert_eq!(
        invalid_fields(&issue(json!([{ "productId": unknown, "quantity": 1 }])).unwrap_err()),
        vec!["lines[0].product_id"]
    );
    assert!(issue(json!({ "productId": id(0) })).is_err());
    assert_eq!(app.shop.store().outbox_status().unwrap().last_seq, before);

    let t = issue(json!([
        { "productId": id(0), "quantity": 1 },
        { "productId": id(1), "quantity": 3 },
        { "productId": id(2), "quantity": 1 },
    ]))
    .unwrap();
    let total = price(0) + 3 * price(1) + price(2);
    assert_eq!((&t["number"], &t["total"]), (&json!(1), &json!(total)));
    let code = t["code"].as_str().unwrap();
    assert!(
        code.starts_with(rustok_core::domain::ticket::CODE_PREFIX)
            && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    // A QR code (version 1 has 21 modules a side) drawn as unit squares inside it.
    let size = t["qr_size"].as_u64().unwrap();
    assert!(size >= 21 && (size - 17) % 4 == 0, "{size}");
    let path = t["qr_path"].as_str().unwrap();
    assert!(path.starts_with('M') && path.ends_with('z'), "{path}");
    // The same lines again make the next ticket, each sold at most once.
    assert_eq!(
        issue(json!([{ "productId": id(0), "quantity": 1 }])).unwrap()["number"],
        2
    );

    // At the counter (same data, unlocked by the manager), the code reads back.
    app.invoke(
        "unlock_kiosk",
        json!({ "operatorId": operator_id(&app, "Max Manager"), "pin": "2222" }),
    )
    .unwrap();
    let cart = app.invoke("read_ticket", json!({ "code": code })).unwrap();
    let quantities: Vec<_> = cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["qty"].clone())
        .collect();
    assert_eq!(quantities, vec![json!(1), json!(3), json!(1)]);
}

/// Settings are a manager's: the config file's values with their sources; a
/// reloaded config restarts sync under the new interval (the old agent has ended
/// first) and reaches the window through `app_info` (paper, language, kiosk idle).
#[test]
fn settings_show_the_config_and_a_reload_restarts_sync_and_reaches_app_info() {
    use tauri::Manager;
    let app = mock_app_with(|state, dir| {
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "[sync]\ninterval_ms = 5000\n[printer]\npaper = \"58mm\"\n",
        )
        .unwrap();
        let hub = rustok_app::config::hub::ConfigHub::load_with(path, false, |_| None);
        state.with_config(hub).with_sync(dir.join("sync.json"))
    });
    app.invoke("create_demo_shop", json!({})).unwrap();
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(
        (info["paper"].as_str(), info["language"].as_str()),
        (Some("58"), Some("en"))
    );
    assert_eq!(info["kiosk_idle_secs"], 30, "the demo shop's");

    login(&app, "Cara Cashier", "3333").unwrap();
    assert_eq!(
        app.invoke("device_settings", json!({})).unwrap_err()["code"],
        "forbidden"
    );
    app.invoke("logout", json!({})).unwrap();
    login(&app, "Max Manager", "2222").unwrap();
    let s = app.invoke("device_settings", json!({})).unwrap();
    let value = |s: &Value, key: &str| {
        s["config"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(s["config"]["file"], "used");
    assert_eq!(
        s["config"]["path"],
        app.dir.path().join("config.toml").display().to_string()
    );
    assert_eq!(value(&s, "sync.interval_ms")["value"], "5000");
    assert_eq!(value(&s, "sync.interval_ms")["source"], "file");
    assert_eq!(value(&s, "log.level")["source"], "default");
    assert_eq!(s["device"]["kind"], "till");
    assert_eq!(s["device"]["code"], "POS1");
    assert_eq!(s["shop"]["currency"], "EUR");

    let state = app._app.state::<AppState>();
    let before = state.sync().unwrap();
    std::fs::write(
        app.dir.path().join("config.toml"),
        "[sync]\ninterval_ms = 7000\n[kiosk]\nidle_seconds = 45\n[ui]\nlanguage = \"ru\"\n",
    )
    .unwrap();
    state.config().reload();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.sync().is_some_and(|a| Arc::ptr_eq(&a, &before)) {
        assert!(
            std::time::Instant::now() < deadline,
            "sync was not restarted"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(state.take_sync_task().is_some(), "the new agent runs");
    let s = app.invoke("device_settings", json!({})).unwrap();
    assert_eq!(value(&s, "sync.interval_ms")["value"], "7000");
    let info = app.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["paper"], "80", "the default again");
    assert_eq!(info["language"], "ru");
    assert_eq!(info["kiosk_idle_secs"], 45, "this kiosk's own");

    // A bad file leaves everything as it was, and says why.
    std::fs::write(
        app.dir.path().join("config.toml"),
        "[ui]\nlanguage = \"de\"\n",
    )
    .unwrap();
    state.config().reload();
    let s = app.invoke("device_settings", json!({})).unwrap();
    assert_eq!(s["config"]["file"], "refused");
    assert_eq!(s["config"]["problems"][0]["line"], 2);
    assert_eq!(s["config"]["problems"][0]["key"], "ui.language");
    assert_eq!(s["config"]["problems"][0]["code"], "bad_value");
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["language"], "ru");
}
