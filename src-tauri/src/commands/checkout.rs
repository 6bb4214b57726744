//! The checkout: scanning, searching, pricing, selling, and the shift.

use super::{actor, tenant};
use crate::dto::{
    self, CartDiscountDto, CartDto, CartLineDto, ClosePreviewDto, DiscountInput, LineInput,
    OrderDto, ParkedDto, PaymentInput, ProductDto, QuoteDto, ShiftDto, ShiftReportDto,
    TicketCartDto, TitlesDto,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::cash::CashMoveKind;
use rustok_core::domain::ids::{CashSessionId, OperatorId, OrderId, ParkedSaleId, TicketId};
use rustok_core::domain::money::Money;
use rustok_core::domain::operator::Pin;
use rustok_core::domain::product::{Barcode, Sku};
use rustok_core::domain::text::Reason;
use rustok_core::service::{NewOrder, ParkedSale, ShopError};
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
pub(crate) fn quote(
    state: State<'_, AppState>,
    lines: Vec<LineInput>,
    discount: Option<DiscountInput>,
) -> ApiResult<QuoteDto> {
    let a = actor(&state)?;
    let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
    let discount = dto::parse_discount(discount.as_ref(), currency, "discount")?;
    let q = state
        .shop
        .quote(&a, &dto::parse_lines(&lines, currency)?, discount)?;
    Ok(QuoteDto::new(&q, a.role()))
}

/// Sells the basket at the counter in one transaction; a manager's name and PIN
/// approve lines short of stock when the shop does not allow overselling. The
/// cart's `sale_id` (a UUIDv7 the UI made for it) makes the sale once: the same
/// sale sent again returns the order made the first time.
#[tauri::command(async)]
pub(crate) fn counter_sale(
    state: State<'_, AppState>,
    sale_id: Option<String>,
    ticket_id: Option<String>,
    lines: Vec<LineInput>,
    payments: Vec<PaymentInput>,
    discount: Option<DiscountInput>,
    approver_id: Option<String>,
    approver_pin: Option<String>,
) -> ApiResult<OrderDto> {
    let a = actor(&state)?;
    let (currency, _) = dto::shop_format(&tenant(&state, &a)?);
    let tenders = dto::parse_tenders(&payments, currency)?;
    let order = NewOrder {
        id: dto::optional(sale_id, |s| OrderId::parse(s).map_err(|e| e.at("sale_id")))?,
        ticket: dto::optional(ticket_id, |s| {
            TicketId::parse(s).map_err(|e| e.at("ticket"))
        })?,
        lines: dto::parse_lines(&lines, currency)?,
        discount: dto::parse_discount(discount.as_ref(), currency, "discount")?,
        ..NewOrder::default()
    };
    let approval = approval(approver_id, approver_pin)?;
    let o = state.shop.counter_sale_approved(
        &a,
        order,
        &tenders,
        approval.as_ref().map(|(id, pin)| (*id, pin)),
    )?;
    Ok(OrderDto {
        cashier_id: Some(a.operator_id().to_string()),
        ..OrderDto::new(&o, Vec::new(), &[])
    })
}

/// The shifts closed on this till, the last first, to print their Z reports again.
#[tauri::command(async)]
pub(crate) fn list_shifts(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> ApiResult<Vec<ShiftDto>> {
    let a = actor(&state)?;
    let shifts = state.shop.closed_shifts(&a, limit.unwrap_or(50))?;
    Ok(shifts.iter().map(|s| ShiftDto::new(s, false)).collect())
}

/// The counter reads a kiosk ticket's code (as the scanner typed it) into a cart.
#[tauri::command(async)]
pub(crate) fn read_ticket(state: State<'_, AppState>, code: String) -> ApiResult<TicketCartDto> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let cart = state.shop.read_ticket(&a, &code)?;
    Ok(TicketCartDto::new(&cart, &locale))
}

/// Opens a shift with a float (decimal text).
#[tauri::command(async)]
pub(crate) fn open_shift(state: State<'_, AppState>, float: String) -> ApiResult<ShiftDto> {
    let a = actor(&state)?;
    let t = tenant(&state, &a)?;
    let (currency, _) = dto::shop_format(&t);
    let float =
        Money::parse_decimal(&float, currency).map_err(|e| ApiError::from(e.at("float")))?;
    let s = state.shop.open_cash_session(&a, float.minor)?;
    Ok(ShiftDto::new(&s, t.settings.counts_blind(a.role())))
}

/// What closing the shift with `counted` (decimal text) would record: the
/// confirmation names the difference, and whether a manager must approve it.
#[tauri::command(async)]
pub(crate) fn preview_close_shift(
    state: State<'_, AppState>,
    counted: String,
) -> ApiResult<ClosePreviewDto> {
    let a = actor(&state)?;
    let counted = counted_minor(&state, &a, &counted)?;
    let p = state.shop.preview_cash_close(&a, counted)?;
    Ok(ClosePreviewDto {
        counted,
        expected: p.expected,
        difference: p.difference,
        limit: p.limit,
        approval_needed: p.approval_needed,
    })
}

/// Closes the shift with the counted cash (decimal text); a manager's id and PIN
/// approve a difference above the shop's limit.
#[tauri::command(async)]
pub(crate) fn close_shift(
    state: State<'_, AppState>,
    counted: String,
    approver_id: Option<String>,
    approver_pin: Option<String>,
) -> ApiResult<ShiftDto> {
    let a = actor(&state)?;
    let counted = counted_minor(&state, &a, &counted)?;
    let approval = approval(approver_id, approver_pin)?;
    let s = state.shop.close_cash_session(
        &a,
        counted,
        approval.as_ref().map(|(id, pin)| (*id, pin)),
    )?;
    Ok(ShiftDto::new(&s, false))
}

/// Puts cash into the drawer (`kind` "in") or takes it out ("out"), with a reason.
#[tauri::command(async)]
pub(crate) fn move_cash(
    state: State<'_, AppState>,
    kind: String,
    amount: String,
    reason: String,
) -> ApiResult<ShiftDto> {
    let a = actor(&state)?;
    let t = tenant(&state, &a)?;
    let (currency, _) = dto::shop_format(&t);
    let kind = CashMoveKind::parse(&kind).map_err(ApiError::from)?;
    let amount =
        Money::parse_decimal(&amount, currency).map_err(|e| ApiError::from(e.at("amount")))?;
    let reason = Reason::parse(&reason).map_err(|e| ApiError::from(e.at("reason")))?;
    let s = state.shop.move_cash(&a, kind, amount.minor, reason)?;
    Ok(ShiftDto::new(&s, t.settings.counts_blind(a.role())))
}

fn counted_minor(
    state: &AppState,
    a: &rustok_core::service::Actor,
    counted: &str,
) -> ApiResult<i64> {
    let (currency, _) = dto::shop_format(&tenant(state, a)?);
    Ok(Money::parse_decimal(counted, currency)
        .map_err(|e| ApiError::from(e.at("counted")))?
        .minor)
}

/// A manager's id and PIN typed at the till to approve something, when both came.
fn approval(id: Option<String>, pin: Option<String>) -> ApiResult<Option<(OperatorId, Pin)>> {
    match (id, pin) {
        (Some(id), Some(pin)) => Ok(Some((
            dto::operator_id(&id)?,
            Pin::parse(&pin).map_err(|e| ApiError::from(e.at("approver_pin")))?,
        ))),
        _ => Ok(None),
    }
}

/// Puts the cart aside (the customer went back for something); it survives a
/// restart of the till and is taken up again with `resume_sale`.
#[tauri::command(async)]
pub(crate) fn park_sale(
    state: State<'_, AppState>,
    lines: Vec<LineInput>,
    discount: Option<DiscountInput>,
) -> ApiResult<ParkedDto> {
    let a = actor(&state)?;
    let t = tenant(&state, &a)?;
    let (currency, locale) = dto::shop_format(&t);
    let lines = dto::parse_lines(&lines, currency)?;
    let discount = dto::parse_discount(discount.as_ref(), currency, "discount")?;
    let p = state.shop.park_sale(&a, &lines, discount)?;
    parked_dto(&state, &a, &p, &locale)
}

/// The carts put aside, oldest first.
#[tauri::command(async)]
pub(crate) fn parked_sales(state: State<'_, AppState>) -> ApiResult<Vec<ParkedDto>> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    state
        .shop
        .parked_sales(&a)?
        .iter()
        .map(|p| parked_dto(&state, &a, p, &locale))
        .collect()
}

/// Takes a parked cart up again, at today's prices; it is no longer parked.
#[tauri::command(async)]
pub(crate) fn resume_sale(state: State<'_, AppState>, id: String) -> ApiResult<CartDto> {
    let a = actor(&state)?;
    let (currency, locale) = dto::shop_format(&tenant(&state, &a)?);
    let id = ParkedSaleId::parse(&id).map_err(|e| ApiError::from(e.at("id")))?;
    let p = state.shop.resume_sale(&a, id)?;
    let mut lines = Vec::with_capacity(p.basket.lines.len());
    let mut missing = 0;
    for l in &p.basket.lines {
        match state.shop.product(&a, l.product_id) {
            Ok(product) => lines.push(CartLineDto {
                product: ProductDto::new(&product, &locale),
                qty: l.quantity.get(),
                discount: l.discount.map(|d| CartDiscountDto::new(d, currency)),
            }),
            Err(ShopError::NotFound { .. }) => missing += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(CartDto {
        lines,
        discount: p.basket.discount.map(|d| CartDiscountDto::new(d, currency)),
        missing,
    })
}

fn parked_dto(
    state: &AppState,
    a: &rustok_core::service::Actor,
    p: &ParkedSale,
    locale: &rustok_core::domain::locale::Locale,
) -> ApiResult<ParkedDto> {
    let mut titles = Vec::new();
    for l in p.basket.lines.iter().take(3) {
        if let Ok(product) = state.shop.product(a, l.product_id) {
            let p = ProductDto::new(&product, locale);
            titles.push(TitlesDto {
                title: p.title,
                titles: p.titles,
            });
        }
    }
    Ok(ParkedDto {
        id: p.id.to_string(),
        parked_at: p.parked_at.to_rfc3339(),
        lines: p.basket.lines.len(),
        units: p
            .basket
            .lines
            .iter()
            .fold(0i64, |n, l| n.saturating_add(l.quantity.get())),
        titles,
    })
}

/// The report of the open shift (X), or of shift `id` (its Z report, to print again).
#[tauri::command(async)]
pub(crate) fn shift_report(
    state: State<'_, AppState>,
    id: Option<String>,
) -> ApiResult<ShiftReportDto> {
    let a = actor(&state)?;
    let id = id
        .map(|id| CashSessionId::parse(&id).map_err(|e| ApiError::from(e.at("id"))))
        .transpose()?;
    Ok(ShiftReportDto::new(&state.shop.shift_report(&a, id)?))
}
