//! The checkout: scanning, searching, pricing, selling, and the shift.

use super::{actor, tenant};
use crate::dto::{
    self, LineDto, LineInput, OrderDto, PaymentInput, ProductDto, QuoteDto, ShiftDto,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::money::Money;
use rustok_core::domain::product::{Barcode, Sku};
use rustok_core::service::{NewOrder, ShopError};
use tauri::State;

/// A scanned or typed code: a barcode (8, 12 or 13 digits, check digit verified) or a SKU.
#[tauri::command(async)]
pub(crate) fn scan(state: State<'_, AppState>, code: String) -> ApiResult<ProductDto> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let trimmed = code.trim();
    // Anything shaped like a barcode is one: a bad check digit is a misread to
    // report, not a SKU to look up.
    let barcode_like =
        matches!(trimmed.len(), 8 | 12 | 13) && trimmed.bytes().all(|b| b.is_ascii_digit());
    let product = if barcode_like {
        let b = Barcode::parse(trimmed).map_err(|e| ApiError::from(e.at("code")))?;
        state.shop.product_by_barcode(&a, &b)
    } else {
        let sku = Sku::parse(trimmed).map_err(|e| ApiError::from(e.at("code")))?;
        state.shop.product_by_sku(&a, &sku)
    };
    match product {
        Ok(p) if p.status == rustok_core::domain::product::ProductStatus::Active => {
            Ok(ProductDto::new(&p, &locale))
        }
        Ok(_) => Err(ApiError::new(
            "not_sellable",
            format!("{code} is not for sale"),
        )),
        Err(ShopError::NotFound { .. }) => Err(ApiError::new(
            "not_found",
            format!("no product with code {code}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Prices a basket as a sale would.
#[tauri::command(async)]
pub(crate) fn quote(state: State<'_, AppState>, lines: Vec<LineInput>) -> ApiResult<QuoteDto> {
    let a = actor(&state)?;
    let (lines, totals) = state.shop.quote(&a, &dto::parse_lines(&lines)?)?;
    Ok(QuoteDto {
        lines: lines.iter().map(LineDto::from).collect(),
        net: totals.net,
        tax: totals.tax,
        gross: totals.gross,
    })
}

/// Sells the basket at the counter in one transaction.
#[tauri::command(async)]
pub(crate) fn counter_sale(
    state: State<'_, AppState>,
    lines: Vec<LineInput>,
    payments: Vec<PaymentInput>,
) -> ApiResult<OrderDto> {
    let a = actor(&state)?;
    let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
    let tenders = dto::parse_tenders(&payments, currency)?;
    let order = NewOrder {
        lines: dto::parse_lines(&lines)?,
        ..NewOrder::default()
    };
    let o = state.shop.counter_sale(&a, order, &tenders)?;
    Ok(OrderDto::new(&o, Vec::new(), &[]))
}

/// Opens a shift with a float (decimal text).
#[tauri::command(async)]
pub(crate) fn open_shift(state: State<'_, AppState>, float: String) -> ApiResult<ShiftDto> {
    let a = actor(&state)?;
    let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
    let float =
        Money::parse_decimal(&float, currency).map_err(|e| ApiError::from(e.at("float")))?;
    Ok(ShiftDto::from(
        &state.shop.open_cash_session(&a, float.minor)?,
    ))
}

/// Closes the shift with the counted cash (decimal text).
#[tauri::command(async)]
pub(crate) fn close_shift(state: State<'_, AppState>, counted: String) -> ApiResult<ShiftDto> {
    let a = actor(&state)?;
    let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
    let counted =
        Money::parse_decimal(&counted, currency).map_err(|e| ApiError::from(e.at("counted")))?;
    Ok(ShiftDto::from(
        &state.shop.close_cash_session(&a, counted.minor)?,
    ))
}
