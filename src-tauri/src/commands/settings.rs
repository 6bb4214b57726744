//! The Settings screen: the shop, this device, and its config file.

use super::actor;
use crate::dto::settings::{ConfigDto, DeviceProfileDto, SettingsDto, ShopSettingsDto};
use crate::error::ApiResult;
use crate::state::AppState;
use tauri::State;

/// What Settings shows (managers and administrators: `ViewSettings`).
#[tauri::command(async)]
pub(crate) fn device_settings(state: State<'_, AppState>) -> ApiResult<SettingsDto> {
    let a = actor(&state)?;
    let tenant = state.shop.tenant(&a)?;
    let device = state.shop.device()?;
    let hub = state.config();
    let config = hub.config();
    let creds = match state.sync_credentials() {
        Some(path) => crate::config::sync_config(None, &config)
            .credentials(path)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the sync credentials for Settings");
                None
            }),
        None => None,
    };
    let s = &tenant.settings;
    let loaded = hub.loaded();
    Ok(SettingsDto {
        shop: ShopSettingsDto {
            name: s.name.to_string(),
            slug: tenant.slug.to_string(),
            address: s.address.as_ref().map(ToString::to_string),
            currency: s.currency.to_string(),
            default_locale: s.default_locale.to_string(),
            tax_mode: s.tax_mode.as_str(),
            content: s.features.content,
            kiosk: s.features.kiosk,
            allow_oversell: s.allow_oversell,
            shift_difference_limit: s.shift_difference_limit,
            blind_count: s.blind_count,
            discount_limit: s.discount_limit,
            kiosk_idle_secs: s.kiosk_idle_secs(),
        },
        device: DeviceProfileDto {
            code: device.as_ref().map(|d| d.device_code.to_string()),
            id: device.as_ref().map(|d| d.device_id.to_string()),
            kind: if state.kiosk_device() {
                "kiosk"
            } else {
                "till"
            },
            version: crate::config::APP_VERSION.to_owned(),
            data_folder: state.data_dir().map(|d| d.display().to_string()),
            central_url: creds.as_ref().map(|c| c.central_url.clone()),
            tenant: creds.as_ref().map(|c| c.tenant_slug.clone()),
            store: creds
                .as_ref()
                .and_then(|c| c.store.as_ref().map(|s| s.name.clone())),
            store_code: creds
                .as_ref()
                .and_then(|c| c.store.as_ref().map(|s| s.code.clone())),
        },
        config: ConfigDto {
            path: hub.path().display().to_string(),
            file: loaded.file,
            values: loaded.resolved.shown(),
            problems: loaded.problems,
        },
    })
}
