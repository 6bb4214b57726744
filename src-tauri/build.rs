//! Builds the Tauri context from the repository-root configuration, and declares the
//! app's commands so that capabilities must grant each one explicitly.

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../capabilities");
    println!("cargo:rerun-if-changed=../icons");
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(manifest)
        .capabilities_path_pattern("../capabilities/**/*");
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script reports errors by failing; the message says what to fix.
        eprintln!("tauri build configuration failed: {e:#}");
        std::process::exit(1);
    }
}

/// Every `#[tauri::command]` of the app (kept in step with `src/commands/mod.rs`
/// by a test).
const COMMANDS: &[&str] = &[
    "app_info",
    "create_demo_shop",
    "set_up_shop",
    "login_choices",
    "login",
    "logout",
    "session",
    "status_bar",
    "scan",
    "quote",
    "counter_sale",
    "open_shift",
    "close_shift",
    "preview_close_shift",
    "move_cash",
    "park_sale",
    "parked_sales",
    "resume_sale",
    "shift_report",
    "list_shifts",
    "read_ticket",
    "issue_ticket",
    "unlock_kiosk",
    "lock_kiosk",
    "list_orders",
    "get_order",
    "order_action",
    "preview_refund",
    "list_products",
    "list_clashes",
    "create_product",
    "update_product",
    "set_product_status",
    "receive_stock",
    "adjust_stock",
    "list_categories",
    "create_category",
    "update_category",
    "store_image",
    "list_content",
    "create_content",
    "update_content",
    "set_content_status",
    "render_markdown",
    "shown_content",
    "list_operators",
    "create_operator",
    "change_operator_role",
    "deactivate_operator",
    "reset_operator_pin",
    "sync_now",
    "enrol_device",
    "join_chain",
    "join_progress",
    "list_dead_letters",
    "retry_dead_letter",
    "discard_dead_letter",
    "device_settings",
    "import_catalog",
    "cancel_import",
];
