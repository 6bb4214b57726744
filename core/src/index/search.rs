//! Queries over the tree: product search with ranking, order lists.

use super::docs::{
    key, order_serial, product_status_byte, OrderDoc, O_DAY, O_DOC, O_NUMBER, O_SERIAL, O_STATUS,
    P_BARCODE, P_SKU, SEP,
};
use super::mirror::Mirror;
use super::pages;
use super::text::tokens;
use super::{uuid_of, IndexError};
use crate::domain::ids::{OrderId, ProductId};
use crate::domain::product::ProductStatus;
use crate::store::OrderQuery;
use std::collections::HashSet;

/// Most results one search returns.
pub const MAX_RESULTS: u32 = 200;
/// Query tokens considered (the rest are ignored).
const MAX_QUERY_TOKENS: usize = 8;

/// A product search.
///
/// Ranking: an exact barcode or SKU match first; then products with a title (in any
/// locale) that starts with the query; then products where every query token is the
/// start of one of their tokens (title words in every locale, SKU parts, barcode),
/// shorter matching words first. Matching ignores case and diacritics and reads `ё`
/// as `е`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductSearch {
    /// What was typed: a code, or words and word beginnings.
    pub text: String,
    /// Only this status; without it, archived products are left out.
    pub status: Option<ProductStatus>,
    /// Only products at or below their low-stock threshold.
    pub low_stock: bool,
    /// Most results (at most [`MAX_RESULTS`]; 0 means 20).
    pub limit: u32,
}

impl ProductSearch {
    fn accepts(&self, flags: &[u8]) -> bool {
        let (Some(&status), Some(&low)) = (flags.first(), flags.get(1)) else {
            return false;
        };
        let status_ok = match self.status {
            Some(s) => status == product_status_byte(s),
            None => status != product_status_byte(ProductStatus::Archived),
        };
        status_ok && (!self.low_stock || low == 1)
    }

    fn limit(&self) -> usize {
        match self.limit {
            0 => 20,
            n => n.min(MAX_RESULTS) as usize,
        }
    }
}

/// The id at the end of a key.
fn trailing_id(k: &[u8]) -> Result<uuid::Uuid, IndexError> {
    let at = k
        .len()
        .checked_sub(16)
        .ok_or_else(|| IndexError::Corrupt("key too short".into()))?;
    uuid_of(&k[at..])
}

struct Hits<'q> {
    q: &'q ProductSearch,
    limit: usize,
    seen: HashSet<[u8; 16]>,
    out: Vec<ProductId>,
}

impl Hits<'_> {
    /// Takes a candidate; returns whether more are wanted.
    fn offer(&mut self, id: &[u8; 16], flags: &[u8; 2]) -> bool {
        if self.out.len() < self.limit && self.q.accepts(flags) && self.seen.insert(*id) {
            self.out
                .push(ProductId::from_uuid(uuid::Uuid::from_bytes(*id)));
        }
        self.out.len() < self.limit
    }
}

/// Most records one code key lists (a clash is two or three; a bound all the same).
const MAX_HOLDERS: usize = 64;

/// The records whose code key (SKU, barcode or slug and locale) is `code` in
/// `family`, lowest id first: one, or more where sync brought a clash.
pub(super) fn holders(
    db: &sled::Db,
    family: &[u8],
    code: &[u8],
) -> Result<Vec<uuid::Uuid>, IndexError> {
    let mut out = Vec::new();
    pages::scan(db, &key(&[family, code, &[SEP]]), false, &mut |_, v| {
        out.push(uuid_of(v)?);
        Ok(out.len() < MAX_HOLDERS)
    })?;
    Ok(out)
}

/// The product a scan of a shared code takes, the same on every device: an active
/// one first, then the lowest id (the first made, ids being time-ordered).
pub(super) fn pick(mirror: &Mirror, ids: &[uuid::Uuid]) -> Option<ProductId> {
    let active = product_status_byte(ProductStatus::Active);
    ids.iter()
        .find(|id| mirror.flags(id.as_bytes()).is_some_and(|f| f[0] == active))
        .or_else(|| ids.first())
        .copied()
        .map(ProductId::from_uuid)
}

pub(super) fn products(
    db: &sled::Db,
    mirror: &Mirror,
    q: &ProductSearch,
) -> Result<Vec<ProductId>, IndexError> {
    let mut hits = Hits {
        q,
        limit: q.limit(),
        seen: HashSet::new(),
        out: Vec::new(),
    };
    let raw = q.text.trim();
    // 1. Exact codes (every product holding one, where sync brought a clash).
    if !raw.is_empty() {
        for (family, code) in [
            (P_BARCODE, raw.to_owned()),
            (P_SKU, raw.to_ascii_uppercase()),
        ] {
            for id in holders(db, family, code.as_bytes())? {
                let id = *id.as_bytes();
                if let Some(flags) = mirror.flags(&id) {
                    hits.offer(&id, &flags);
                }
            }
        }
    }
    let mut words = tokens(raw);
    words.truncate(MAX_QUERY_TOKENS);
    // Text with nothing to search by (`%`, `*`, punctuation) finds codes only, never
    // the whole catalog.
    if words.is_empty() && !raw.is_empty() {
        return Ok(hits.out);
    }
    // 2. Titles that start with the query (all titles when it is empty).
    mirror.by_title(&words.join(" "), &mut |id, flags| hits.offer(id, flags));
    // 3. Every query word starts a word of the product.
    if hits.out.len() < hits.limit {
        mirror.by_words(&words, &mut |id, flags| hits.offer(id, flags));
    }
    Ok(hits.out)
}

pub(super) fn orders(db: &sled::Db, q: &OrderQuery) -> Result<Vec<OrderId>, IndexError> {
    let limit = q.limit.min(500) as usize;
    if limit == 0 {
        return Ok(Vec::new());
    }
    let offset = q.offset as usize;
    let status = q.status.map(|s| s.as_str());
    // Orders whose number matches, in any order; sorted newest first below.
    if let Some(n) = q.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let upper = n.to_ascii_uppercase();
        let mut ids: Vec<uuid::Uuid> = Vec::new();
        if let Some(v) = pages::get(db, &key(&[O_NUMBER, upper.as_bytes()]))? {
            ids.push(uuid_of(&v)?);
        }
        if let Some(serial) = order_serial(&upper).filter(|_| !upper.contains('-')) {
            pages::scan(
                db,
                &key(&[O_SERIAL, &serial.to_be_bytes()]),
                false,
                &mut |k, _| {
                    ids.push(trailing_id(k)?);
                    Ok(true)
                },
            )?;
        }
        pages::scan(
            db,
            &key(&[O_NUMBER, upper.as_bytes()]),
            false,
            &mut |_, v| {
                ids.push(uuid_of(v)?);
                Ok(ids.len() <= 10_000)
            },
        )?;
        let mut docs = Vec::new();
        let mut seen = HashSet::new();
        for id in ids.into_iter().filter(|id| seen.insert(*id)) {
            if let Some(v) = pages::get(db, &key(&[O_DOC, id.as_bytes()]))? {
                let d = OrderDoc::decode(&v).map_err(IndexError::Corrupt)?;
                let day_ok = q.day.as_deref().is_none_or(|day| d.created_at.day() == day);
                let status_ok = q.status.is_none_or(|s| s == d.status);
                if day_ok && status_ok {
                    docs.push((d.created_at, d.number, id));
                }
            }
        }
        docs.sort_by(|a, b| b.cmp(a));
        return Ok(docs
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, _, id)| OrderId::from_uuid(id))
            .collect());
    }
    let status_byte = q.status.map(super::docs::order_status_byte);
    // Day entries sort by day, then time: scanned whole they list every order by time.
    let prefix = match (&q.day, status) {
        (Some(day), _) => key(&[O_DAY, day.as_bytes(), &[SEP]]),
        (None, Some(s)) => key(&[O_STATUS, s.as_bytes(), &[SEP]]),
        (None, None) => O_DAY.to_vec(),
    };
    let mut out = Vec::with_capacity(limit);
    let mut skipped = 0;
    pages::scan(db, &prefix, true, &mut |k, v| {
        // Day entries carry the status; status entries are filtered by key.
        if q.day.is_some() && status_byte.is_some_and(|s| v.first() != Some(&s)) {
            return Ok(true);
        }
        if skipped < offset {
            skipped += 1;
            return Ok(true);
        }
        out.push(OrderId::from_uuid(trailing_id(k)?));
        Ok(out.len() < limit)
    })?;
    Ok(out)
}
