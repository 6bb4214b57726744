//! Operators: list, create, change role, deactivate, reset PIN.

use super::actor;
use crate::dto::{self, OperatorDto, OperatorRowDto, OperatorsDto};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::operator::{OperatorName, Pin};
use rustok_core::domain::permission::Role;
use tauri::State;

/// Every operator, with what the operator asking may do to each.
#[tauri::command(async)]
pub(crate) fn list_operators(state: State<'_, AppState>) -> ApiResult<OperatorsDto> {
    let a = actor(&state)?;
    Ok(OperatorsDto {
        operators: state
            .shop
            .operators_with_rights(&a)?
            .iter()
            .map(|(o, r)| OperatorRowDto::new(o, r))
            .collect(),
        create_roles: state
            .shop
            .creatable_roles(&a)?
            .into_iter()
            .map(Role::as_str)
            .collect(),
    })
}

/// Adds an operator.
#[tauri::command(async)]
pub(crate) fn create_operator(
    state: State<'_, AppState>,
    name: String,
    role: String,
    pin: String,
) -> ApiResult<OperatorDto> {
    let a = actor(&state)?;
    let mut e = rustok_core::domain::error::Errors::new();
    let name = e.take("name", OperatorName::parse(&name));
    let role = e.take("role", Role::parse(&role));
    let pin = e.take("pin", Pin::parse(&pin));
    dto::finish(e)?;
    match (name, role, pin) {
        (Some(name), Some(role), Some(pin)) => Ok(OperatorDto::from(
            &state.shop.create_operator(&a, name, role, &pin)?,
        )),
        _ => Err(ApiError::new("validation", "invalid operator")),
    }
}

/// Changes an operator's role.
#[tauri::command(async)]
pub(crate) fn change_operator_role(
    state: State<'_, AppState>,
    id: String,
    role: String,
) -> ApiResult<OperatorDto> {
    let a = actor(&state)?;
    let role = Role::parse(&role).map_err(ApiError::from)?;
    Ok(OperatorDto::from(&state.shop.change_operator_role(
        &a,
        dto::operator_id(&id)?,
        role,
    )?))
}

/// Deactivates an operator.
#[tauri::command(async)]
pub(crate) fn deactivate_operator(
    state: State<'_, AppState>,
    id: String,
) -> ApiResult<OperatorDto> {
    let a = actor(&state)?;
    Ok(OperatorDto::from(
        &state.shop.deactivate_operator(&a, dto::operator_id(&id)?)?,
    ))
}

/// Sets a new PIN.
#[tauri::command(async)]
pub(crate) fn reset_operator_pin(
    state: State<'_, AppState>,
    id: String,
    pin: String,
) -> ApiResult<OperatorDto> {
    let a = actor(&state)?;
    let pin = Pin::parse(&pin).map_err(ApiError::from)?;
    Ok(OperatorDto::from(&state.shop.reset_operator_pin(
        &a,
        dto::operator_id(&id)?,
        &pin,
    )?))
}
