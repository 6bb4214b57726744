//! Content nodes (pages, promos, articles) with per-locale translations and a
//! `draft → published → archived` typestate (a draft may be archived directly).

use crate::clock::Timestamp;
use crate::error::Errors;
use crate::ids::{ContentId, ProductId, TenantId};
use crate::locale::Localized;
use crate::text::bounded_text;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// A standing page (opening hours, returns policy).
    Page,
    /// A promotion shown on kiosks.
    Promo,
    /// An article.
    Article,
}

impl ContentKind {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentKind::Page => "page",
            ContentKind::Promo => "promo",
            ContentKind::Article => "article",
        }
    }

    /// Inverse of [`ContentKind::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "page" => Ok(ContentKind::Page),
            "promo" => Ok(ContentKind::Promo),
            "article" => Ok(ContentKind::Article),
            _ => Err(FieldError::new(
                "kind",
                "invalid_kind",
                "must be page, promo or article",
            )),
        }
    }
}

/// A URL slug: `[a-z0-9][a-z0-9-]{0,99}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentSlug(String);

crate::text::text_newtype!(ContentSlug);

impl ContentSlug {
    /// Checks a slug.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let b = s.as_bytes();
        let ok = (1..=100).contains(&b.len())
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                "invalid_slug",
                "must be 1–100 characters of a–z, 0–9 and '-', starting with a letter or digit",
            ))
        }
    }
}

bounded_text!(
    /// A content title, 1–200 characters.
    ContentTitle, "title", 1, 200
);
bounded_text!(
    /// A teaser, 1–500 characters.
    ContentExcerpt, "excerpt", 1, 500
);
bounded_text!(
    /// A Markdown body, 1–100,000 characters.
    ContentBody, "body", 1, 100_000
);

/// One locale's text of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    /// Title.
    pub title: ContentTitle,
    /// Teaser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<ContentExcerpt>,
    /// Markdown body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<ContentBody>,
}

/// The editable part of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentFields {
    /// Kind.
    pub kind: ContentKind,
    /// Slug, unique per shop.
    pub slug: ContentSlug,
    /// Sort position (lower first).
    pub position: i32,
    /// Texts per locale; at least one.
    pub translations: Localized<Translation>,
    /// The products a promo is about (kiosk tiles mark them), in the manager's
    /// order; none for pages and articles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductId>,
}

/// Most products one promo names.
pub const MAX_PROMO_PRODUCTS: usize = 50;

impl ContentFields {
    /// Checks that there is at least one translation, and that only a promo names
    /// products: at most [`MAX_PROMO_PRODUCTS`], each once.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut e = Errors::new();
        e.check(
            self.translations.is_empty(),
            "translations",
            "required",
            "needs at least one translation",
        );
        e.check(
            self.kind != ContentKind::Promo && !self.products.is_empty(),
            "products",
            "promo_only",
            "only a promo names products",
        );
        if self.products.len() > MAX_PROMO_PRODUCTS {
            e.push(
                FieldError::new("products", "too_many", "at most 50 products in a promo")
                    .with_param("max", MAX_PROMO_PRODUCTS),
            );
        }
        for (i, p) in self.products.iter().enumerate() {
            e.check(
                self.products[..i].contains(p),
                &format!("products[{i}]"),
                "duplicate",
                "named twice",
            );
        }
        e.finish()
    }
}

/// Status of a node, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    /// Being written.
    Draft,
    /// Visible.
    Published,
    /// Withdrawn.
    Archived,
}

impl ContentStatus {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentStatus::Draft => "draft",
            ContentStatus::Published => "published",
            ContentStatus::Archived => "archived",
        }
    }

    /// Inverse of [`ContentStatus::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "draft" => Ok(ContentStatus::Draft),
            "published" => Ok(ContentStatus::Published),
            "archived" => Ok(ContentStatus::Archived),
            _ => Err(FieldError::new(
                "status",
                "invalid_status",
                "must be draft, published or archived",
            )),
        }
    }
}

/// A node's data, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentData {
    /// Id.
    pub id: ContentId,
    /// Shop.
    pub tenant_id: TenantId,
    /// Editable fields.
    pub fields: ContentFields,
    /// When it was (last) published.
    pub published_at: Option<Timestamp>,
    /// Bumped by every edit; a stale edit is a conflict.
    pub version: u32,
}

/// Typestate marker: being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draft;
/// Typestate marker: visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published;
/// Typestate marker: withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Archived;

/// A node in state `S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentNode<S> {
    data: ContentData,
    state: PhantomData<S>,
}

impl<S> ContentNode<S> {
    /// The node's data.
    pub fn data(&self) -> &ContentData {
        &self.data
    }

    fn into_state<T>(self) -> ContentNode<T> {
        ContentNode {
            data: self.data,
            state: PhantomData,
        }
    }
}

impl ContentNode<Draft> {
    /// A new draft.
    pub fn new(data: ContentData) -> Result<Self, DomainError> {
        data.fields.validate()?;
        Ok(ContentNode {
            data,
            state: PhantomData,
        })
    }

    /// Publishes the draft at `now`.
    pub fn publish(mut self, now: Timestamp) -> ContentNode<Published> {
        self.data.published_at = Some(now);
        self.into_state()
    }

    /// Archives the draft without publishing it.
    pub fn archive(self) -> ContentNode<Archived> {
        self.into_state()
    }
}

impl ContentNode<Published> {
    /// Withdraws the node.
    pub fn archive(self) -> ContentNode<Archived> {
        self.into_state()
    }
}

/// A node in whatever state it is stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyContent {
    /// Draft.
    Draft(ContentNode<Draft>),
    /// Published.
    Published(ContentNode<Published>),
    /// Archived.
    Archived(ContentNode<Archived>),
}

/// A requested content transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAction {
    /// Draft → Published, at the given time.
    Publish(Timestamp),
    /// Draft/Published → Archived.
    Archive,
}

impl AnyContent {
    /// Rebuilds a node from storage.
    pub fn from_stored(status: ContentStatus, data: ContentData) -> Self {
        let n = ContentNode {
            data,
            state: PhantomData::<Draft>,
        };
        match status {
            ContentStatus::Draft => AnyContent::Draft(n),
            ContentStatus::Published => AnyContent::Published(n.into_state()),
            ContentStatus::Archived => AnyContent::Archived(n.into_state()),
        }
    }

    /// The current status.
    pub fn status(&self) -> ContentStatus {
        match self {
            AnyContent::Draft(_) => ContentStatus::Draft,
            AnyContent::Published(_) => ContentStatus::Published,
            AnyContent::Archived(_) => ContentStatus::Archived,
        }
    }

    /// The node's data.
    pub fn data(&self) -> &ContentData {
        match self {
            AnyContent::Draft(n) => n.data(),
            AnyContent::Published(n) => n.data(),
            AnyContent::Archived(n) => n.data(),
        }
    }

    /// Applies `action`, or says that the current state has no such transition.
    pub fn apply(self, action: ContentAction) -> Result<AnyContent, DomainError> {
        match (self, action) {
            (AnyContent::Draft(n), ContentAction::Publish(t)) => {
                Ok(AnyContent::Published(n.publish(t)))
            }
            (AnyContent::Draft(n), ContentAction::Archive) => Ok(AnyContent::Archived(n.archive())),
            (AnyContent::Published(n), ContentAction::Archive) => {
                Ok(AnyContent::Archived(n.archive()))
            }
            (n, a) => Err(DomainError::InvalidTransition {
                from: n.status().as_str(),
                action: match a {
                    ContentAction::Publish(_) => "publish",
                    ContentAction::Archive => "archive",
                },
            }),
        }
    }
}
