//! Content pages and promos: managers write them per language and publish them;
//! a kiosk shows the published ones in the customer's language.

use super::{actor, tenant};
use crate::dto::{self, ContentDto, ContentInput, ProductDto, ShownContentDto};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustok_core::domain::content::{AnyContent, ContentKind, ContentStatus};
use rustok_core::domain::ids::ContentId;
use rustok_core::domain::locale::Locale;
use rustok_core::service::{Actor, ShopError};
use tauri::State;

fn content_id(id: &str) -> ApiResult<ContentId> {
    ContentId::parse(id).map_err(|e| ApiError::from(e.at("id")))
}

/// Nodes as the Content screen shows them: a promo with its products as they are
/// now (one deleted since is left out).
fn dtos(state: &AppState, a: &Actor, nodes: &[AnyContent]) -> ApiResult<Vec<ContentDto>> {
    let (_, locale) = dto::shop_format(&tenant(state, a)?);
    nodes
        .iter()
        .map(|n| {
            let mut products = Vec::with_capacity(n.data().fields.products.len());
            for id in &n.data().fields.products {
                match state.shop.product(a, *id) {
                    Ok(p) => products.push(ProductDto::new(&p, &locale)),
                    Err(ShopError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(ContentDto::new(n, products))
        })
        .collect()
}

fn dto_of(state: &AppState, a: &Actor, node: AnyContent) -> ApiResult<ContentDto> {
    dtos(state, a, std::slice::from_ref(&node))?
        .pop()
        .ok_or_else(|| ApiError::new("storage", "no node"))
}

/// Every page and promo of the shop, by position (archived ones too).
#[tauri::command(async)]
pub(crate) fn list_content(state: State<'_, AppState>) -> ApiResult<Vec<ContentDto>> {
    let a = actor(&state)?;
    dtos(&state, &a, &state.shop.contents(&a, None, None)?)
}

/// Adds a draft.
#[tauri::command(async)]
pub(crate) fn create_content(
    state: State<'_, AppState>,
    input: ContentInput,
) -> ApiResult<ContentDto> {
    let a = actor(&state)?;
    let node = state.shop.create_content(&a, dto::parse_content(&input)?)?;
    dto_of(&state, &a, node)
}

/// Edits a page or promo still at `version`.
#[tauri::command(async)]
pub(crate) fn update_content(
    state: State<'_, AppState>,
    id: String,
    version: u32,
    input: ContentInput,
) -> ApiResult<ContentDto> {
    let a = actor(&state)?;
    let node =
        state
            .shop
            .update_content(&a, content_id(&id)?, version, dto::parse_content(&input)?)?;
    dto_of(&state, &a, node)
}

/// Publishes (`publish`) or archives a page or promo.
#[tauri::command(async)]
pub(crate) fn set_content_status(
    state: State<'_, AppState>,
    id: String,
    publish: bool,
) -> ApiResult<ContentDto> {
    let a = actor(&state)?;
    let id = content_id(&id)?;
    let node = if publish {
        state.shop.publish_content(&a, id)?
    } else {
        state.shop.archive_content(&a, id)?
    };
    dto_of(&state, &a, node)
}

/// A Markdown body as it will be shown (the editor's preview).
#[tauri::command(async)]
pub(crate) fn render_markdown(state: State<'_, AppState>, body: String) -> ApiResult<String> {
    actor(&state)?;
    Ok(crate::markdown::safe_html(&body))
}

/// The published promos and pages in `locale`, else in the shop's main language.
#[tauri::command(async)]
pub(crate) fn shown_content(
    state: State<'_, AppState>,
    locale: String,
) -> ApiResult<Vec<ShownContentDto>> {
    let a = actor(&state)?;
    let locale = Locale::parse(&locale).map_err(|e| ApiError::from(e.at("locale")))?;
    let (_, fallback) = dto::shop_format(&tenant(&state, &a)?);
    Ok(state
        .shop
        .contents(&a, None, Some(ContentStatus::Published))?
        .iter()
        .filter(|n| n.data().fields.kind != ContentKind::Article)
        .filter_map(|n| ShownContentDto::new(n, &locale, &fallback))
        .collect())
}
