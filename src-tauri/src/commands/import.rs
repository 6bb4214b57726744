//! Catalog import from the Catalog screen: the file's bytes, progress as events,
//! Cancel between batches.

use super::actor;
use crate::dto::import::{ImportProgressDto, ImportReportDto, IMPORT_PROGRESS};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Emitter, Runtime, State};

/// Imports the products of the CSV file sent as the request's body; progress goes
/// to the window as `import-progress` events (managers and administrators).
#[tauri::command(async)]
pub(crate) fn import_catalog<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> ApiResult<ImportReportDto> {
    let a = actor(&state)?;
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::new("invalid", "send the file's bytes"));
    };
    let _turn = state
        .begin_import()
        .ok_or_else(|| ApiError::new("busy", "another import is running"))?;
    let report = state.shop.import_catalog(
        &a,
        bytes.as_slice(),
        Some(bytes.len() as u64),
        &mut |p| {
            // Emitting only queues a message for the webview.
            if let Err(e) = app.emit(IMPORT_PROGRESS, ImportProgressDto::from(p)) {
                tracing::warn!(error = %e, "cannot tell the window how the import goes");
            }
        },
        state.import_cancel(),
    )?;
    tracing::info!(
        rows = report.rows,
        created = report.created,
        updated = report.updated,
        rejected = report.rejected.len(),
        cancelled = report.cancelled,
        "catalog imported from the screen"
    );
    Ok(report.into())
}

/// Stops the running import after the batch it is writing.
#[tauri::command(async)]
pub(crate) fn cancel_import(state: State<'_, AppState>) -> ApiResult<()> {
    actor(&state)?;
    state.import_cancel().store(true, Ordering::SeqCst);
    Ok(())
}
