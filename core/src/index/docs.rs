//! What the index stores per entity, and the keys each document puts in the tree.
//!
//! One sorted map holds everything, under short key prefixes (the key up to its first
//! `/` is its family), so that a document, its lookup keys and the checkpoint go in
//! one atomic batch; [`super::pages`] lays it out in sled. Product word and title
//! search runs on an in-memory mirror built from the product documents
//! ([`super::mirror`]).

use super::text::each_token;
use crate::domain::clock::Timestamp;
use crate::domain::locale::Locale;
use crate::domain::order::OrderStatus;
use crate::domain::product::ProductStatus;
use crate::store::{ContentKeys, OrderKeys, ProductKeys};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the key layout, document encoding and entry checksum; a change
/// triggers a rebuild. 4: entries hashed with foldhash instead of SipHash. 5: code
/// keys (SKU, barcode, slug) end with the record's id, so two records that share a
/// code (a clash sync brought) each keep their key.
pub const INDEX_FORMAT: u32 = 5;

pub(crate) const FORMAT_KEY: &[u8] = b"!format";
pub(crate) const SEQ_KEY: &[u8] = b"!seq";

pub(crate) const P_DOC: &[u8] = b"p/";
pub(crate) const P_BARCODE: &[u8] = b"pb/";
pub(crate) const P_SKU: &[u8] = b"ps/";
pub(crate) const O_DOC: &[u8] = b"o/";
pub(crate) const O_NUMBER: &[u8] = b"on/";
pub(crate) const O_SERIAL: &[u8] = b"om/";
pub(crate) const O_STATUS: &[u8] = b"os/";
/// Orders by day and time; scanned whole, also the list of all orders by time.
pub(crate) const O_DAY: &[u8] = b"od/";
pub(crate) const C_DOC: &[u8] = b"c/";
pub(crate) const C_SLUG: &[u8] = b"cs/";

/// Separates a text part of a key from what follows (never inside a token).
pub(crate) const SEP: u8 = 0;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

pub(crate) fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// Time as a key part that sorts like the signed number.
pub(crate) fn time_key(t: Timestamp) -> [u8; 8] {
    ((t.unix_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

pub(crate) const fn product_status_byte(s: ProductStatus) -> u8 {
    match s {
        ProductStatus::Draft => 0,
        ProductStatus::Active => 1,
        ProductStatus::Archived => 2,
    }
}

pub(crate) const fn order_status_byte(s: OrderStatus) -> u8 {
    match s {
        OrderStatus::Pending => 0,
        OrderStatus::Confirmed => 1,
        OrderStatus::Paid => 2,
        OrderStatus::Shipped => 3,
        OrderStatus::Delivered => 4,
        OrderStatus::Cancelled => 5,
        OrderStatus::Refunded => 6,
        OrderStatus::PartiallyRefunded => 7,
    }
}

/// A product as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProductDoc {
    pub(crate) sku: String,
    pub(crate) barcode: Option<String>,
    pub(crate) titles: BTreeMap<Locale, String>,
    pub(crate) status: ProductStatus,
    pub(crate) on_hand: i64,
    pub(crate) low: i64,
}

impl From<ProductKeys> for ProductDoc {
    fn from(p: ProductKeys) -> Self {
        Self {
            sku: p.sku,
            barcode: p.barcode,
            titles: p.titles,
            status: p.status,
            on_hand: p.on_hand,
            low: p.low_stock_threshold,
        }
    }
}

impl ProductDoc {
    pub(crate) fn is_low(&self) -> bool {
        self.on_hand <= self.low
    }

    /// Status and low-stock flag, the filters a search applies without the document.
    pub(crate) fn flags(&self) -> [u8; 2] {
        [product_status_byte(self.status), u8::from(self.is_low())]
    }

    /// What product search keeps of this product, each list sorted and without
    /// repeats: every searchable word (of the titles in every locale, the SKU and
    /// the barcode) and every title folded (its words joined by one space). Each
    /// text is folded once.
    pub(crate) fn search_keys(&self) -> (Vec<String>, Vec<String>) {
        let mut terms = Vec::new();
        let mut titles = Vec::with_capacity(self.titles.len());
        for t in self.titles.values() {
            let mut title = String::new();
            each_token(t, &mut |w| {
                if !title.is_empty() {
                    title.push(' ');
                }
                title.push_str(w);
                terms.push(w.to_owned());
            });
            if !title.is_empty() {
                titles.push(title);
            }
        }
        each_token(&self.sku, &mut |w| terms.push(w.to_owned()));
        if let Some(b) = &self.barcode {
            each_token(b, &mut |w| terms.push(w.to_owned()));
        }
        for list in [&mut terms, &mut titles] {
            list.sort_unstable();
            list.dedup();
        }
        (terms, titles)
    }

    pub(crate) fn entries(&self, id: &[u8; 16]) -> Result<Vec<Entry>, serde_json::Error> {
        let mut out = vec![
            (key(&[P_DOC, id]), serde_json::to_vec(self)?),
            (key(&[P_SKU, self.sku.as_bytes(), &[SEP], id]), id.to_vec()),
        ];
        if let Some(b) = &self.barcode {
            out.push((key(&[P_BARCODE, b.as_bytes(), &[SEP], id]), id.to_vec()));
        }
        Ok(out)
    }
}

/// The serial number at the end of an order number (`ABCD-000042` → 42).
pub(crate) fn order_serial(number: &str) -> Option<u64> {
    let digits = number.rsplit('-').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An order as the index keeps it (stored as status byte, creation time, number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderDoc {
    pub(crate) number: String,
    pub(crate) status: OrderStatus,
    pub(crate) created_at: Timestamp,
}

impl From<OrderKeys> for OrderDoc {
    fn from(o: OrderKeys) -> Self {
        Self {
            number: o.number,
            status: o.status,
            created_at: o.created_at,
        }
    }
}

impl OrderDoc {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(9 + self.number.len());
        v.push(order_status_byte(self.status));
        v.extend_from_slice(&self.created_at.unix_millis().to_be_bytes());
        v.extend_from_slice(self.number.as_bytes());
        v
    }

    pub(crate) fn decode(v: &[u8]) -> Result<Self, String> {
        let (&status, rest) = v.split_first().ok_or("empty order document")?;
        let status = OrderStatus::ALL
            .into_iter()
            .find(|s| order_status_byte(*s) == status)
            .ok_or("unknown order status")?;
        let (time, number) = rest
            .split_first_chunk::<8>()
            .ok_or("order document too short")?;
        Ok(Self {
            number: String::from_utf8(number.to_vec()).map_err(|_| "order number not UTF-8")?,
            status,
            created_at: Timestamp::from_unix_millis(i64::from_be_bytes(*time)),
        })
    }

    pub(crate) fn entries(&self, id: &[u8; 16]) -> Result<Vec<Entry>, serde_json::Error> {
        let t = time_key(self.created_at);
        let status = [order_status_byte(self.status)];
        let mut out = vec![
            (key(&[O_DOC, id]), self.encode()),
            (key(&[O_NUMBER, self.number.as_bytes()]), id.to_vec()),
            (
                key(&[O_STATUS, self.status.as_str().as_bytes(), &[SEP], &t, id]),
                Vec::new(),
            ),
            (
                key(&[O_DAY, self.created_at.day().as_bytes(), &[SEP], &t, id]),
                status.to_vec(),
            ),
        ];
        if let Some(n) = order_serial(&self.number) {
            out.push((key(&[O_SERIAL, &n.to_be_bytes(), id]), Vec::new()));
        }
        Ok(out)
    }
}

/// A content node as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ContentDoc {
    pub(crate) slug: String,
    pub(crate) locales: Vec<Locale>,
}

impl From<ContentKeys> for ContentDoc {
    fn from(c: ContentKeys) -> Self {
        Self {
            slug: c.slug,
            locales: c.locales,
        }
    }
}

impl ContentDoc {
    pub(crate) fn entries(&self, id: &[u8; 16]) -> Result<Vec<Entry>, serde_json::Error> {
        let mut out = vec![(key(&[C_DOC, id]), serde_json::to_vec(self)?)];
        for l in &self.locales {
            out.push((
                key(&[
                    C_SLUG,
                    self.slug.as_bytes(),
                    &[SEP],
                    l.as_str().as_bytes(),
                    &[SEP],
                    id,
                ]),
                id.to_vec(),
            ));
        }
        Ok(out)
    }
}
