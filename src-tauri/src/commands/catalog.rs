//! The catalog: products, their status, and stock.

use super::{actor, tenant};
use crate::dto::{self, CategoryDto, CategoryInput, ClashDto, ProductDto, ProductInput};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::ids::CategoryId;
use rustok_core::domain::product::ProductStatus;
use rustok_core::domain::stock::{Quantity, StockDelta};
use rustok_core::domain::text::Reason;
use rustok_core::store::ProductQuery;
use tauri::State;

/// The most products one list shows.
const LIST_LIMIT: u32 = 500;

/// Products by SKU, filtered by status and low stock; with `text`, best match first
/// (from the search index). The checkout's name search asks for a handful.
#[tauri::command(async)]
pub(crate) fn list_products(
    state: State<'_, AppState>,
    text: Option<String>,
    status: Option<String>,
    low_stock: Option<bool>,
    limit: Option<u32>,
    category: Option<String>,
) -> ApiResult<Vec<ProductDto>> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let status = dto::optional(status, ProductStatus::parse)?;
    let category = dto::optional(category, CategoryId::parse)?;
    let q = ProductQuery {
        status,
        low_stock: low_stock.unwrap_or(false),
        text: text.filter(|t| !t.trim().is_empty()),
        limit: limit.unwrap_or(LIST_LIMIT).clamp(1, LIST_LIMIT),
        offset: 0,
        category,
    };
    let products = state.shop.products(&a, &q)?;
    let ids: Vec<_> = products.iter().map(|p| p.id).collect();
    let elsewhere = state.shop.changed_elsewhere(&a, &ids)?;
    Ok(products
        .iter()
        .map(|p| ProductDto::new(p, &locale).changed_by(elsewhere.get(&p.id)))
        .collect())
}

/// Records sharing a SKU, barcode, page slug or operator name (made on two tills
/// while they were cut off from each other), for a manager to resolve.
#[tauri::command(async)]
pub(crate) fn list_clashes(state: State<'_, AppState>) -> ApiResult<Vec<ClashDto>> {
    let a = actor(&state)?;
    Ok(state.shop.clashes(&a)?.iter().map(ClashDto::from).collect())
}

/// Adds a product.
#[tauri::command(async)]
pub(crate) fn create_product(
    state: State<'_, AppState>,
    input: ProductInput,
    active: bool,
) -> ApiResult<ProductDto> {
    let a = actor(&state)?;
    let (currency, locale) = dto::shop_format(&tenant(&state, &a)?);
    let status = if active {
        ProductStatus::Active
    } else {
        ProductStatus::Draft
    };
    let p = state
        .shop
        .create_product(&a, dto::parse_product(&input, currency)?, status)?;
    Ok(ProductDto::new(&p, &locale))
}

/// Edits a product still at `version`.
#[tauri::command(async)]
pub(crate) fn update_product(
    state: State<'_, AppState>,
    id: String,
    version: u32,
    input: ProductInput,
) -> ApiResult<ProductDto> {
    let a = actor(&state)?;
    let (currency, locale) = dto::shop_format(&tenant(&state, &a)?);
    let p = state.shop.update_product(
        &a,
        dto::product_id(&id)?,
        version,
        dto::parse_product(&input, currency)?,
    )?;
    Ok(ProductDto::new(&p, &locale))
}

/// Activates or archives a product still at `version`.
#[tauri::command(async)]
pub(crate) fn set_product_status(
    state: State<'_, AppState>,
    id: String,
    version: u32,
    status: String,
) -> ApiResult<ProductDto> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let status = ProductStatus::parse(&status).map_err(ApiError::from)?;
    Ok(ProductDto::new(
        &state
            .shop
            .set_product_status(&a, dto::product_id(&id)?, version, status)?,
        &locale,
    ))
}

/// Receives goods; returns stock on hand.
#[tauri::command(async)]
pub(crate) fn receive_stock(
    state: State<'_, AppState>,
    id: String,
    quantity: i64,
    note: Option<String>,
) -> ApiResult<i64> {
    let a = actor(&state)?;
    let qty = Quantity::new(quantity).map_err(ApiError::from)?;
    let note = dto::optional(note, Reason::parse)?;
    Ok(state
        .shop
        .receive_stock(&a, dto::product_id(&id)?, qty, note)?)
}

/// Corrects stock with a reason; returns stock on hand.
#[tauri::command(async)]
pub(crate) fn adjust_stock(
    state: State<'_, AppState>,
    id: String,
    delta: i64,
    reason: String,
) -> ApiResult<i64> {
    let a = actor(&state)?;
    let delta = StockDelta::new(delta).map_err(ApiError::from)?;
    let reason = Reason::parse(&reason).map_err(ApiError::from)?;
    Ok(state
        .shop
        .adjust_stock(&a, dto::product_id(&id)?, delta, reason)?)
}

/// Every category of the shop, by position, named in the shop's main language.
#[tauri::command(async)]
pub(crate) fn list_categories(state: State<'_, AppState>) -> ApiResult<Vec<CategoryDto>> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    Ok(state
        .shop
        .categories(&a)?
        .iter()
        .map(|k| CategoryDto::new(k, &locale))
        .collect())
}

/// Adds a category.
#[tauri::command(async)]
pub(crate) fn create_category(
    state: State<'_, AppState>,
    input: CategoryInput,
) -> ApiResult<CategoryDto> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let k = state
        .shop
        .create_category(&a, dto::parse_category(&input)?)?;
    Ok(CategoryDto::new(&k, &locale))
}

/// Edits a category still at `version`.
#[tauri::command(async)]
pub(crate) fn update_category(
    state: State<'_, AppState>,
    id: String,
    version: u32,
    input: CategoryInput,
) -> ApiResult<CategoryDto> {
    let a = actor(&state)?;
    let (_, locale) = dto::shop_format(&tenant(&state, &a)?);
    let id = CategoryId::parse(&id).map_err(|e| ApiError::from(e.at("id")))?;
    let k = state
        .shop
        .update_category(&a, id, version, dto::parse_category(&input)?)?;
    Ok(CategoryDto::new(&k, &locale))
}

/// Stores a picture sent as the raw request body (the file's bytes, not JSON);
/// returns the digest a product form then names.
#[tauri::command(async)]
pub(crate) fn store_image(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> ApiResult<String> {
    let a = actor(&state)?;
    // A JSON body is no file: the core refuses it as it refuses any non-picture.
    let bytes = match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => bytes.as_slice(),
        tauri::ipc::InvokeBody::Json(_) => &[],
    };
    Ok(state.shop.store_image(&a, bytes)?.to_string())
}
