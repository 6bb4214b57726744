//! Content nodes: create, edit with optimistic concurrency, publish, archive.

use super::{Actor, Caller, Shop, ShopError};
use crate::domain::content::ContentSlug;
use crate::domain::content::{
    AnyContent, ContentAction, ContentData, ContentFields, ContentKind, ContentNode, ContentStatus,
};
use crate::domain::event::{ContentArchived, ContentCreated, ContentPublished, ContentUpdated};
use crate::domain::ids::ContentId;
use crate::domain::locale::Locale;
use crate::domain::permission::Operation;
use crate::domain::replica::{changed_fields, Kind};
use crate::domain::FieldError;
use crate::store;
use rusqlite::Connection;

fn load(c: &Connection, caller: Caller, id: ContentId) -> Result<AnyContent, ShopError> {
    store::content(c, caller.tenant, id)?.ok_or(ShopError::NotFound { entity: "content" })
}

/// Checks a node's fields, that a slug it takes is free, and that the products a
/// promo names are this shop's. An edit that keeps its slug is not refused for a
/// clash that sync brought (two tills made the same slug offline): the clash is
/// listed for a manager, and editing either node is how it gets resolved.
fn check_fields(
    c: &Connection,
    caller: Caller,
    f: &ContentFields,
    old: Option<(ContentId, &ContentSlug)>,
) -> Result<(), ShopError> {
    f.validate()?;
    let keeps = old.is_some_and(|(_, slug)| *slug == f.slug);
    if !keeps && store::content_slug_taken(c, caller.tenant, &f.slug, old.map(|(id, _)| id))? {
        return Err(FieldError::new("slug", "taken", "another page uses this slug").into());
    }
    for (i, id) in f.products.iter().enumerate() {
        if store::product(c, caller.tenant, *id)?.is_none() {
            return Err(FieldError::new(
                format!("products[{i}]"),
                "unknown",
                "no such product in this shop",
            )
            .into());
        }
    }
    Ok(())
}

impl Shop {
    /// Adds a draft.
    pub fn create_content(
        &self,
        actor: &Actor,
        fields: ContentFields,
    ) -> Result<AnyContent, ShopError> {
        self.command(actor, Operation::CreateContent, |tx, caller| {
            check_fields(tx, caller, &fields, None)?;
            let data = ContentData {
                id: ContentId::from_uuid(tx.new_id()),
                tenant_id: caller.tenant,
                fields,
                published_at: None,
                version: 1,
            };
            let node = AnyContent::Draft(ContentNode::new(data)?);
            store::save_content(tx, &node, tx.now())?;
            tx.append(ContentCreated {
                content_id: node.data().id,
                fields: node.data().fields.clone(),
            })?;
            Ok(node)
        })
    }

    /// Replaces a node's fields if it is still at `expected_version`. Archived nodes
    /// are read-only.
    pub fn update_content(
        &self,
        actor: &Actor,
        id: ContentId,
        expected_version: u32,
        fields: ContentFields,
    ) -> Result<AnyContent, ShopError> {
        self.command(actor, Operation::UpdateContent, |tx, caller| {
            let node = load(tx, caller, id)?;
            let found = node.data().version;
            if found != expected_version {
                return Err(ShopError::Conflict {
                    entity: "content",
                    expected: expected_version,
                    found,
                });
            }
            if node.status() == ContentStatus::Archived {
                return Err(ShopError::InvalidTransition {
                    from: "archived",
                    action: "edit",
                });
            }
            check_fields(tx, caller, &fields, Some((id, &node.data().fields.slug)))?;
            let mut data = node.data().clone();
            let changed = changed_fields(Kind::Content, &data.fields, &fields);
            data.fields = fields;
            data.version += 1;
            let node = AnyContent::from_stored(node.status(), data);
            store::save_content(tx, &node, tx.now())?;
            tx.append(ContentUpdated {
                content_id: id,
                version: node.data().version,
                fields: node.data().fields.clone(),
                changed: Some(changed),
            })?;
            Ok(node)
        })
    }

    fn content_transition(
        &self,
        actor: &Actor,
        op: Operation,
        id: ContentId,
        publish: bool,
    ) -> Result<AnyContent, ShopError> {
        self.command(actor, op, |tx, caller| {
            let node = load(tx, caller, id)?;
            let action = if publish {
                ContentAction::Publish(tx.now())
            } else {
                ContentAction::Archive
            };
            let node = node.apply(action)?;
            store::save_content(tx, &node, tx.now())?;
            match node.data().published_at {
                Some(at) if publish => tx.append(ContentPublished {
                    content_id: id,
                    published_at: at,
                })?,
                _ => tx.append(ContentArchived { content_id: id })?,
            };
            Ok(node)
        })
    }

    /// Draft → Published.
    pub fn publish_content(&self, actor: &Actor, id: ContentId) -> Result<AnyContent, ShopError> {
        self.content_transition(actor, Operation::PublishContent, id, true)
    }

    /// Draft/Published → Archived.
    pub fn archive_content(&self, actor: &Actor, id: ContentId) -> Result<AnyContent, ShopError> {
        self.content_transition(actor, Operation::ArchiveContent, id, false)
    }

    /// A node by id.
    pub fn content(&self, actor: &Actor, id: ContentId) -> Result<AnyContent, ShopError> {
        self.query(actor, Operation::ViewContent, |c, caller| {
            load(c, caller, id)
        })
    }

    /// The node with `slug` that has a translation in `locale` (what a kiosk shows
    /// for a page address).
    pub fn content_by_slug(
        &self,
        actor: &Actor,
        slug: &ContentSlug,
        locale: &Locale,
    ) -> Result<AnyContent, ShopError> {
        let id = self.ask_index(|i| i.content_by_slug(slug.as_str(), locale));
        self.query(actor, Operation::ViewContent, |c, caller| {
            let found = match id {
                Some(Some(id)) => store::content(c, caller.tenant, id)?,
                Some(None) => None,
                // As the index picks where two nodes share the slug: the first made.
                None => store::contents(c, caller.tenant, None, None)?
                    .into_iter()
                    .filter(|n| {
                        n.data().fields.slug == *slug
                            && n.data().fields.translations.get(locale).is_some()
                    })
                    .min_by_key(|n| n.data().id.as_uuid()),
            };
            found
                .filter(|n| n.data().fields.translations.get(locale).is_some())
                .ok_or(ShopError::NotFound { entity: "content" })
        })
    }

    /// Nodes by position, optionally of one kind and status.
    pub fn contents(
        &self,
        actor: &Actor,
        kind: Option<ContentKind>,
        status: Option<ContentStatus>,
    ) -> Result<Vec<AnyContent>, ShopError> {
        self.query(actor, Operation::ViewContent, |c, caller| {
            Ok(store::contents(c, caller.tenant, kind, status)?)
        })
    }
}
