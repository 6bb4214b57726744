//! What the Settings screen shows: the shop, this device, and its config with where
//! each value came from.

use crate::config::file::{Problem, ShownValue};
use crate::config::hub::FileState;
use serde::Serialize;

/// The Settings screen.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SettingsDto {
    /// The shop.
    pub shop: ShopSettingsDto,
    /// This device.
    pub device: DeviceProfileDto,
    /// The config file and the values in force.
    pub config: ConfigDto,
}

/// The shop's settings as the till has them (head office's, on a till of a chain).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShopSettingsDto {
    /// Name.
    pub name: String,
    /// The shop's short name (at central, the tenant).
    pub slug: String,
    /// Address for receipts.
    pub address: Option<String>,
    /// Currency code.
    pub currency: String,
    /// The content's default locale.
    pub default_locale: String,
    /// `inclusive` (prices include tax) or `exclusive`.
    pub tax_mode: &'static str,
    /// Content pages and promos.
    pub content: bool,
    /// Self-service kiosks.
    pub kiosk: bool,
    /// Selling more than the stock is allowed.
    pub allow_oversell: bool,
    /// The shift's counted-cash difference that needs a manager, minor units.
    pub shift_difference_limit: Option<i64>,
    /// Cashiers count the drawer without seeing the expected amount.
    pub blind_count: bool,
    /// The largest discount a cashier gives alone, percent.
    pub discount_limit: Option<u32>,
    /// The shop's kiosk idle time, seconds.
    pub kiosk_idle_secs: u32,
}

/// This device.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeviceProfileDto {
    /// The till's code (begins its receipt numbers).
    pub code: Option<String>,
    /// Its id.
    pub id: Option<String>,
    /// `till` or `kiosk`.
    pub kind: &'static str,
    /// The app's version.
    pub version: String,
    /// The data folder.
    pub data_folder: Option<String>,
    /// Central's address, when enrolled (the config's, when it overrides).
    pub central_url: Option<String>,
    /// The shop's name at central.
    pub tenant: Option<String>,
    /// The store this device belongs to (name).
    pub store: Option<String>,
    /// Its code.
    pub store_code: Option<String>,
}

/// The config file and what is in force.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ConfigDto {
    /// The file's path.
    pub path: String,
    /// What the last read found.
    pub file: FileState,
    /// Every setting with its value and source.
    pub values: Vec<ShownValue>,
    /// What is wrong with the file (then refused) or the environment.
    pub problems: Vec<Problem>,
}
