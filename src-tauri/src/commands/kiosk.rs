//! The self-service kiosk: its tickets, and the lock a manager's PIN opens.

use super::actor;
use super::session::{session_dto, SessionDto};
use crate::dto::{self, TicketDto, TicketLineInput};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::operator::Pin;
use tauri::{AppHandle, Runtime, State};

/// Issues a ticket for what the customer chose; the counter scans its QR code.
#[tauri::command(async)]
pub(crate) fn issue_ticket(
    state: State<'_, AppState>,
    lines: Vec<TicketLineInput>,
) -> ApiResult<TicketDto> {
    let a = actor(&state)?;
    let lines = dto::parse_ticket_lines(&lines)?;
    let ticket = state.shop.issue_ticket(&a, &lines)?;
    TicketDto::new(&ticket).ok_or_else(|| {
        // Cannot happen with at most 30 lines; said plainly if it ever does.
        tracing::error!(
            number = ticket.ticket.number,
            "a ticket's code does not fit a QR code"
        );
        ApiError::new("storage", "the ticket cannot be shown")
    })
}

/// A manager's (or admin's) PIN takes the window out of kiosk mode: it leaves full
/// screen and the manager is logged in. A cashier's or the kiosk's PIN is refused;
/// a wrong PIN counts towards the manager's lockout. Asked with or without a kiosk
/// session (the kiosk's own operator may be locked out).
#[tauri::command(async)]
pub(crate) fn unlock_kiosk<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    operator_id: String,
    pin: String,
) -> ApiResult<SessionDto> {
    let id = dto::operator_id(&operator_id)?;
    let pin = Pin::parse(&pin).map_err(ApiError::from)?;
    let manager = state.shop.unlock_kiosk(id, &pin)?;
    state.set_kiosk_locked(false);
    state.set_actor(Some(manager.clone()));
    crate::gui::kiosk_window(&app, false);
    session_dto(&state, &manager)
}

/// Puts a window started as a kiosk back into kiosk mode: full screen, closing
/// refused, logged out (the kiosk's operator logs in again).
#[tauri::command(async)]
pub(crate) fn lock_kiosk<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> ApiResult<()> {
    actor(&state)?;
    if !state.kiosk_device() {
        return Err(ApiError::new(
            "not_a_kiosk",
            "this window was not started as a kiosk",
        ));
    }
    state.set_kiosk_locked(true);
    state.set_actor(None);
    crate::gui::kiosk_window(&app, true);
    Ok(())
}
