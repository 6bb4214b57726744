//! Thin Tauri commands: take state, parse the DTO into domain types, call one service
//! function, map the result. Every command runs off the UI thread (`async`).

mod catalog;
mod checkout;
mod content;
mod import;
mod kiosk;
mod operators;
mod orders;
mod session;
mod settings;
mod sync;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::tenant::Tenant;
use rustok_core::service::Actor;

/// Registers every command (keep in step with `COMMANDS` in `build.rs`).
pub(crate) fn handler<R: tauri::Runtime>(
) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        session::app_info,
        session::create_demo_shop,
        session::set_up_shop,
        session::login_choices,
        session::login,
        session::logout,
        session::session,
        session::status_bar,
        checkout::scan,
        checkout::quote,
        checkout::counter_sale,
        checkout::open_shift,
        checkout::close_shift,
        checkout::preview_close_shift,
        checkout::move_cash,
        checkout::park_sale,
        checkout::parked_sales,
        checkout::resume_sale,
        checkout::shift_report,
        checkout::list_shifts,
        checkout::read_ticket,
        kiosk::issue_ticket,
        kiosk::unlock_kiosk,
        kiosk::lock_kiosk,
        orders::list_orders,
        orders::get_order,
        orders::order_action,
        orders::preview_refund,
        catalog::list_products,
        catalog::list_clashes,
        catalog::create_product,
        catalog::update_product,
        catalog::set_product_status,
        catalog::receive_stock,
        catalog::adjust_stock,
        catalog::list_categories,
        catalog::create_category,
        catalog::update_category,
        catalog::store_image,
        content::list_content,
        content::create_content,
        content::update_content,
        content::set_content_status,
        content::render_markdown,
        content::shown_content,
        operators::list_operators,
        operators::create_operator,
        operators::change_operator_role,
        operators::deactivate_operator,
        operators::reset_operator_pin,
        sync::sync_now,
        sync::enrol_device,
        sync::join_chain,
        sync::join_progress,
        sync::list_dead_letters,
        sync::retry_dead_letter,
        sync::discard_dead_letter,
        settings::device_settings,
        import::import_catalog,
        import::cancel_import,
    ]
}

/// The logged-in operator, or `unauthenticated`.
fn actor(state: &AppState) -> ApiResult<Actor> {
    state.actor().ok_or_else(ApiError::unauthenticated)
}

/// The shop settings the caller may read for formatting (every role may).
fn tenant(state: &AppState, actor: &Actor) -> ApiResult<Tenant> {
    Ok(state.shop.shop_settings(actor)?)
}
