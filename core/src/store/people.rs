//! Rows of tenants, the device identity, and operators.

use super::rows::{parse, parse_opt};
use super::StoreError;
use crate::domain::clock::Timestamp;
use crate::domain::device::DeviceCode;
use crate::domain::hlc::Hlc;
use crate::domain::ids::{DeviceId, OperatorId, TenantId};
use crate::domain::locale::Locale;
use crate::domain::money::Currency;
use crate::domain::operator::{Operator, OperatorName, PinAttempts, PinHash};
use crate::domain::permission::Role;
use crate::domain::tenant::{
    Features, ShopAddress, ShopName, TaxMode, Tenant, TenantSettings, TenantSlug,
};
use rusqlite::{params, Connection, OptionalExtension};

/// Inserts a tenant.
pub fn insert_tenant(c: &Connection, t: &Tenant, now: Timestamp) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO tenants (id, slug, name, currency, default_locale, tax_mode, feature_commerce,
         feature_content, feature_kiosk, allow_oversell, updated_at) VALUES (?1, ?2, '', '', '', 'inclusive', 0, 0, 0, 0, ?3)",
        params![t.id.to_string(), t.slug.as_str(), now.to_rfc3339()],
    )?;
    update_tenant_settings(c, t.id, &t.settings, now)
}

/// Replaces a tenant's settings.
pub fn update_tenant_settings(
    c: &Connection,
    id: TenantId,
    s: &TenantSettings,
    now: Timestamp,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE tenants SET name = ?2, currency = ?3, default_locale = ?4, tax_mode = ?5, feature_commerce = ?6,
         feature_content = ?7, feature_kiosk = ?8, allow_oversell = ?9, updated_at = ?10,
         shift_difference_limit = ?11, blind_count = ?12, discount_limit = ?13, address = ?14, kiosk_idle_secs = ?15 WHERE id = ?1",
    )?
    .execute(params![
        id.to_string(),
        s.name.as_str(),
        s.currency.as_str(),
        s.default_locale.as_str(),
        s.tax_mode.as_str(),
        s.features.commerce,
        s.features.content,
        s.features.kiosk,
        s.allow_oversell,
        now.to_rfc3339(),
        s.shift_difference_limit,
        s.blind_count,
        s.discount_limit,
        s.address.as_ref().map(ShopAddress::as_str),
        s.kiosk_idle_secs,
    ])?;
    Ok(())
}

/// Loads a tenant.
pub fn tenant(c: &Connection, id: TenantId) -> Result<Option<Tenant>, StoreError> {
    c.prepare_cached(
        "SELECT id, slug, name, currency, default_locale, tax_mode, feature_commerce, feature_content,
         feature_kiosk, allow_oversell, shift_difference_limit, blind_count, discount_limit, address, kiosk_idle_secs FROM tenants WHERE id = ?1",
    )?
    .query_row([id.to_string()], |r| {
        Ok(Tenant {
            id: parse(r, 0, TenantId::parse)?,
            slug: parse(r, 1, TenantSlug::parse)?,
            settings: TenantSettings {
                name: parse(r, 2, ShopName::parse)?,
                currency: parse(r, 3, Currency::parse)?,
                default_locale: parse(r, 4, Locale::parse)?,
                tax_mode: parse(r, 5, TaxMode::parse)?,
                features: Features { commerce: r.get(6)?, content: r.get(7)?, kiosk: r.get(8)? },
                allow_oversell: r.get(9)?,
                shift_difference_limit: r.get(10)?,
                blind_count: r.get(11)?,
                discount_limit: r.get(12)?,
                address: parse_opt(r, 13, ShopAddress::parse)?,
                kiosk_idle_secs: r.get(14)?,
            },
        })
    })
    .optional()
    .map_err(StoreError::from)
}

/// This device's identity, once set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// Device id.
    pub device_id: DeviceId,
    /// Shop it belongs to.
    pub tenant_id: TenantId,
    /// Order-number prefix.
    pub device_code: DeviceCode,
}

/// Writes the device row (once, at setup).
pub fn insert_device(c: &Connection, d: &DeviceIdentity) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO device (singleton, device_id, tenant_id, device_code, last_seq, last_hlc, last_order_no)
         VALUES (1, ?1, ?2, ?3, 0, ?4, 0)",
        params![d.device_id.to_string(), d.tenant_id.to_string(), d.device_code.as_str(), Hlc::ZERO.to_string()],
    )?;
    Ok(())
}

/// The device identity, if set up.
pub fn device_identity(c: &Connection) -> Result<Option<DeviceIdentity>, StoreError> {
    Ok(super::outbox::load_device(c)?.map(|d| DeviceIdentity {
        device_id: d.device_id,
        tenant_id: d.tenant_id,
        device_code: d.device_code,
    }))
}

const OPERATOR_COLUMNS: &str =
    "id, tenant_id, name, role, pin_hash, active, wrong_pins, locked_until_ms";

fn operator_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Operator> {
    let locked: Option<i64> = r.get(7)?;
    Ok(Operator {
        id: parse(r, 0, OperatorId::parse)?,
        tenant_id: parse(r, 1, TenantId::parse)?,
        name: parse(r, 2, OperatorName::parse)?,
        role: parse(r, 3, Role::parse)?,
        pin_hash: PinHash::from_stored(r.get(4)?),
        active: r.get(5)?,
        attempts: PinAttempts {
            wrong: super::rows::u32_col(r, 6)?,
            locked_until: locked.map(Timestamp::from_unix_millis),
        },
    })
}

/// Inserts an operator.
pub fn insert_operator(c: &Connection, o: &Operator, now: Timestamp) -> Result<(), StoreError> {
    c.execute(
        &format!("INSERT INTO operators ({OPERATOR_COLUMNS}, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            o.id.to_string(),
            o.tenant_id.to_string(),
            o.name.as_str(),
            o.role.as_str(),
            o.pin_hash.as_stored(),
            o.active,
            o.attempts.wrong,
            o.attempts.locked_until.map(Timestamp::unix_millis),
            now.to_rfc3339(),
        ],
    )?;
    Ok(())
}

/// Writes an operator's mutable fields back.
pub fn update_operator(c: &Connection, o: &Operator, now: Timestamp) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE operators SET role = ?2, pin_hash = ?3, active = ?4, wrong_pins = ?5, locked_until_ms = ?6,
         updated_at = ?7 WHERE id = ?1",
    )?
    .execute(params![
        o.id.to_string(),
        o.role.as_str(),
        o.pin_hash.as_stored(),
        o.active,
        o.attempts.wrong,
        o.attempts.locked_until.map(Timestamp::unix_millis),
        now.to_rfc3339(),
    ])?;
    Ok(())
}

/// Loads an operator of `tenant`.
pub fn operator(
    c: &Connection,
    tenant: TenantId,
    id: OperatorId,
) -> Result<Option<Operator>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = ?1 AND tenant_id = ?2"
    ))?
    .query_row([id.to_string(), tenant.to_string()], operator_row)
    .optional()
    .map_err(StoreError::from)
}

/// Whether an operator of that name exists in `tenant`.
pub fn operator_name_taken(
    c: &Connection,
    tenant: TenantId,
    name: &OperatorName,
) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM operators WHERE tenant_id = ?1 AND name = ?2")?
            .exists(params![tenant.to_string(), name.as_str()])?,
    )
}

/// Every operator of `tenant`, by name.
pub fn operators(c: &Connection, tenant: TenantId) -> Result<Vec<Operator>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {OPERATOR_COLUMNS} FROM operators WHERE tenant_id = ?1 ORDER BY name"
    ))?;
    let rows = st.query_map([tenant.to_string()], operator_row)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// Active admins of `tenant` (the last one may not be demoted or deactivated).
pub fn active_admins(c: &Connection, tenant: TenantId) -> Result<u32, StoreError> {
    Ok(c.prepare_cached(
        "SELECT count(*) FROM operators WHERE tenant_id = ?1 AND role = 'admin' AND active = 1",
    )?
    .query_row([tenant.to_string()], |r| r.get(0))?)
}

/// Parses an optional stored timestamp column (shared by other row readers).
pub(crate) fn timestamp_opt(
    r: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<Timestamp>> {
    parse_opt(r, idx, Timestamp::parse_rfc3339)
}
