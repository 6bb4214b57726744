//! Sync with the central server: its status, "Sync now", enrolment, and the dead
//! letters a manager can retry or discard.

use super::actor;
use crate::dto::sync::{dto, DeadLetterDto, JoinProgressDto, SyncStatusDto};
use crate::dto::AppInfoDto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::FieldError;
use rustok_core::service::Actor;
use rustok_core::service::ShopError;
use rustok_sync::relay::DEAD_LETTER_HANDLER;
use tauri::State;

/// The sync status for `a` (who must be allowed to see it).
pub(crate) fn status(state: &AppState, a: &Actor) -> ApiResult<SyncStatusDto> {
    let outbox = state.shop.outbox_status(a)?;
    let mut s = dto(&agent(state)?.status_with(outbox)?);
    s.till = state.shop.device()?.map(|d| d.device_code.to_string());
    Ok(s)
}

fn agent(state: &AppState) -> ApiResult<std::sync::Arc<rustok_sync::agent::Agent>> {
    state
        .sync()
        .ok_or_else(|| ApiError::new("not_enrolled", "this app does not sync"))
}

/// Syncs right away (the breaker still decides whether central is called).
#[tauri::command(async)]
pub(crate) fn sync_now(state: State<'_, AppState>) -> ApiResult<SyncStatusDto> {
    let a = actor(&state)?;
    let s = status(&state, &a)?;
    agent(&state)?.sync_now();
    Ok(s)
}

/// Connects this device to a central server with a one-time code.
#[tauri::command]
pub(crate) async fn enrol_device(
    state: State<'_, AppState>,
    url: String,
    code: String,
) -> ApiResult<SyncStatusDto> {
    let a = actor(&state)?;
    let identity = state.shop.enrolment_identity(&a)?;
    let url = url.trim();
    let errors = check_central(url, &code);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    agent(&state)?.enrol(url, &code, &identity).await?;
    status(&state, &a)
}

/// What is wrong with a central address and a code, field by field.
fn check_central(url: &str, code: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let web = url
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && !rest.is_empty());
    if !web {
        errors.push(FieldError::new(
            "url",
            "invalid_url",
            "must be an http:// or https:// address",
        ));
    }
    if code.trim().is_empty() {
        errors.push(FieldError::new(
            "code",
            "required",
            "enter the code from central",
        ));
    }
    errors
}

/// Makes this new device a till of a chain central holds, with a one-time code
/// from head office: the code names the chain and the store. Nobody is logged in
/// yet (the device has no operators); the first pull brings the chain's settings,
/// operators and catalog ([`join_progress`] says how far it is). Refused on a
/// device that is set up.
#[tauri::command]
pub(crate) async fn join_chain(
    state: State<'_, AppState>,
    url: String,
    code: String,
    device_code: String,
) -> ApiResult<AppInfoDto> {
    let url = url.trim();
    let mut errors = check_central(url, &code);
    let device_code = match DeviceCode::parse(device_code.trim()) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError {
                field: "device_code".into(),
                ..e
            });
            None
        }
    };
    if state.shop.device()?.is_some() {
        return Err(ShopError::AlreadySetUp.into());
    }
    let (true, Some(device_code)) = (errors.is_empty(), device_code) else {
        return Err(ApiError::validation(errors));
    };
    agent(&state)?
        .join(url, &code, device_code)
        .await
        .map_err(join_error)?;
    super::session::app_info(state)
}

/// What joining meets, worded for a person at a till with no shop yet: nothing is
/// queued to send later, and a refused code is said to be the code's fault.
fn join_error(e: rustok_sync::SyncError) -> ApiError {
    use rustok_sync::SyncError as E;
    match &e {
        E::Http {
            status: 409, code, ..
        } if code == "till_code_taken" => ApiError::validation(vec![FieldError::new(
            "device_code",
            "till_code_taken",
            "another till of this chain has this till code",
        )]),
        // Central does not say which (a stranger must not learn which codes exist).
        E::Http { status: 401, .. } => ApiError::new("code_refused", e.to_string()),
        e if e.is_unavailability() => ApiError::new("central_unreachable", e.to_string()),
        _ => e.into(),
    }
}

/// How far a till that joined a chain has taken the chain's records; asked before
/// anyone can log in, so it says nothing but counts and the last problem.
#[tauri::command(async)]
pub(crate) fn join_progress(state: State<'_, AppState>) -> ApiResult<JoinProgressDto> {
    let pull = state.shop.store().pull_state().map_err(ShopError::from)?;
    let sync = agent(&state)?.status()?;
    Ok(JoinProgressDto {
        ready: state.shop.ready()?,
        taken: pull.cursor,
        total: pull.head,
        pulled: pull.pulled_at_ms.is_some(),
        problem: pull.error.or(sync.last_error),
        problem_kind: sync.last_error_kind,
    })
}

/// Every dead letter, newest problems included.
#[tauri::command(async)]
pub(crate) fn list_dead_letters(state: State<'_, AppState>) -> ApiResult<Vec<DeadLetterDto>> {
    let a = actor(&state)?;
    Ok(state
        .shop
        .dead_letters(&a)?
        .iter()
        .map(DeadLetterDto::from)
        .collect())
}

/// Tries a dead letter again: `sync` ones are sent to central again, others are
/// replayed through their handler. True when it went through (the letter is gone).
#[tauri::command]
pub(crate) async fn retry_dead_letter(
    state: State<'_, AppState>,
    handler: String,
    seq: u64,
) -> ApiResult<bool> {
    let a = actor(&state)?;
    let d = state.shop.dead_letter_to_retry(&a, &handler, seq)?;
    if d.letter.handler == DEAD_LETTER_HANDLER {
        Ok(agent(&state)?.retry_dead_letter(seq).await?)
    } else {
        let report = state
            .replay(&d.letter.handler)
            .map_err(|e| ApiError::new("unavailable", e.to_string()))?;
        tracing::info!(handler = %d.letter.handler, replayed = report.replayed, still_failing = report.still_failing, "dead letters replayed");
        Ok(state.shop.dead_letter_to_retry(&a, &handler, seq).is_err())
    }
}

/// Gives up on a dead letter for good (recorded as an event).
#[tauri::command(async)]
pub(crate) fn discard_dead_letter(
    state: State<'_, AppState>,
    handler: String,
    seq: u64,
) -> ApiResult<DeadLetterDto> {
    let a = actor(&state)?;
    Ok(DeadLetterDto::from(
        &state.shop.discard_dead_letter(&a, &handler, seq)?,
    ))
}
