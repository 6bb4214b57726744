//! Setting up, logging in and out, and the status bar.

use crate::demo;
pub(crate) use crate::dto::SessionDto;
use crate::dto::{AppInfoDto, LoginChoiceDto, ShiftDto, ShopSetupInput, StatusBarDto};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::operator::Pin;
use rustok_core::domain::permission::Role;
use rustok_core::service::Actor;
use tauri::State;

pub(crate) fn session_dto(state: &AppState, a: &Actor) -> ApiResult<SessionDto> {
    let name = state
        .shop
        .login_choices()?
        .into_iter()
        .find(|c| c.id == a.operator_id())
        .map(|c| c.name.to_string())
        .unwrap_or_default();
    let can = state
        .shop
        .allowed_operations(a)?
        .into_iter()
        .map(|op| op.name())
        .collect();
    Ok(SessionDto {
        operator_id: a.operator_id().to_string(),
        name,
        role: a.role().as_str(),
        can,
    })
}

/// Whether the device is set up, and how to format its money.
#[tauri::command(async)]
pub(crate) fn app_info(state: State<'_, AppState>) -> ApiResult<AppInfoDto> {
    let info = state.shop.shop_info()?;
    let config = state.config().config();
    Ok(match info {
        None => AppInfoDto {
            set_up: false,
            ready: false,
            shop_name: None,
            shop_address: None,
            device_code: None,
            currency: None,
            exponent: 2,
            default_locale: None,
            content: false,
            kiosk: false,
            kiosk_device: state.kiosk_device(),
            kiosk_locked: state.kiosk_locked(),
            kiosk_idle_secs: config
                .kiosk_idle_secs
                .unwrap_or(rustok_core::domain::tenant::KIOSK_IDLE_DEFAULT_SECS),
            language: config.language,
            paper: config.paper,
        },
        Some((device, settings)) => AppInfoDto {
            set_up: true,
            ready: state.shop.ready()?,
            shop_name: Some(settings.name.to_string()),
            shop_address: settings.address.as_ref().map(ToString::to_string),
            device_code: Some(device.device_code.to_string()),
            currency: Some(settings.currency.to_string()),
            exponent: settings.currency.exponent(),
            default_locale: Some(settings.default_locale.to_string()),
            content: settings.features.content,
            kiosk: settings.features.kiosk,
            kiosk_device: state.kiosk_device(),
            kiosk_locked: state.kiosk_locked(),
            kiosk_idle_secs: config
                .kiosk_idle_secs
                .unwrap_or_else(|| settings.kiosk_idle_secs()),
            language: config.language,
            paper: config.paper,
        },
    })
}

/// Creates the demo shop on a device that has none.
#[tauri::command(async)]
pub(crate) fn create_demo_shop(state: State<'_, AppState>) -> ApiResult<AppInfoDto> {
    demo::create(&state.shop)?;
    app_info(state)
}

/// Sets up a real shop on a device that has none; its first administrator is
/// logged in at this window (not on a locked kiosk, where only the kiosk role logs in).
#[tauri::command(async)]
pub(crate) fn set_up_shop(
    state: State<'_, AppState>,
    setup: ShopSetupInput,
) -> ApiResult<AppInfoDto> {
    let a = state.shop.set_up(crate::dto::parse_setup(&setup)?)?;
    if !state.kiosk_locked() {
        state.set_actor(Some(a));
    }
    app_info(state)
}

/// Active operators for the login screen (a locked kiosk offers its own operator
/// to log in, and managers to unlock it).
#[tauri::command(async)]
pub(crate) fn login_choices(state: State<'_, AppState>) -> ApiResult<Vec<LoginChoiceDto>> {
    Ok(state
        .shop
        .login_choices()?
        .into_iter()
        .map(|c| LoginChoiceDto {
            id: c.id.to_string(),
            name: c.name.to_string(),
            role: c.role.as_str(),
        })
        .collect())
}

/// Checks a PIN and starts a session at this window. A locked kiosk takes only
/// the kiosk role's operators (checked before the PIN: staff leave kiosk mode with
/// `unlock_kiosk`).
#[tauri::command(async)]
pub(crate) fn login(
    state: State<'_, AppState>,
    operator_id: String,
    pin: String,
) -> ApiResult<SessionDto> {
    let id = crate::dto::operator_id(&operator_id)?;
    let pin = Pin::parse(&pin).map_err(ApiError::from)?;
    if state.kiosk_locked()
        && !state
            .shop
            .login_choices()?
            .iter()
            .any(|c| c.id == id && c.role == Role::Kiosk)
    {
        return Err(ApiError::new(
            "kiosk_only",
            "only the kiosk's operator logs in on a locked kiosk",
        ));
    }
    let a = state.shop.login(id, &pin)?;
    state.set_actor(Some(a.clone()));
    session_dto(&state, &a)
}

/// Ends the session.
#[tauri::command(async)]
pub(crate) fn logout(state: State<'_, AppState>) -> ApiResult<()> {
    state.set_actor(None);
    Ok(())
}

/// Who is logged in, if anyone.
#[tauri::command(async)]
pub(crate) fn session(state: State<'_, AppState>) -> ApiResult<Option<SessionDto>> {
    state.actor().map(|a| session_dto(&state, &a)).transpose()
}

/// Operator, shift and sync for the status bar.
#[tauri::command(async)]
pub(crate) fn status_bar(state: State<'_, AppState>) -> ApiResult<StatusBarDto> {
    let Some(a) = state.actor() else {
        return Ok(StatusBarDto {
            operator: None,
            shift: None,
            sync: None,
        });
    };
    // A role without a view of shifts or sync (a kiosk) just sees less.
    let shift = state.shop.current_cash_session(&a).ok().flatten();
    let blind = super::tenant(&state, &a)?.settings.counts_blind(a.role());
    Ok(StatusBarDto {
        operator: Some(session_dto(&state, &a)?),
        shift: shift.as_ref().map(|s| ShiftDto::new(s, blind)),
        sync: super::sync::status(&state, &a).ok(),
    })
}
