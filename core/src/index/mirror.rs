//! The in-memory mirror of product search: word → products and folded title →
//! products, built from the product documents in sled when the index opens and
//! updated together with them.
//!
//! Why in memory: with sled 0.34, word-prefix search as range scans over posting
//! keys measured a median of 0.3–1.2 ms and a p99 of 150–300 ms on 100k products
//! (scans and page reconstruction dominate), far from the 1 ms p99 a till needs.
//! The mirror costs a few MB per 100k products and is never the only copy: it is
//! derived from the sled documents, which are derived from SQLite.

use super::docs::ProductDoc;
use std::collections::{BTreeMap, HashMap};

/// One product in the mirror.
struct Slot {
    id: [u8; 16],
    flags: [u8; 2],
    terms: Vec<String>,
    titles: Vec<String>,
}

/// Posting lists of product ordinals, kept sorted.
#[derive(Default)]
pub(crate) struct Mirror {
    slots: Vec<Slot>,
    by_id: HashMap<[u8; 16], u32>,
    terms: BTreeMap<String, Vec<u32>>,
    titles: BTreeMap<String, Vec<u32>>,
}

fn add(map: &mut BTreeMap<String, Vec<u32>>, key: &str, ord: u32) {
    let list = map.entry(key.to_owned()).or_default();
    if let Err(at) = list.binary_search(&ord) {
        list.insert(at, ord);
    }
}

fn remove(map: &mut BTreeMap<String, Vec<u32>>, key: &str, ord: u32) {
    if let Some(list) = map.get_mut(key) {
        if let Ok(at) = list.binary_search(&ord) {
            list.remove(at);
        }
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// The entries of `map` whose key starts with `prefix`, in key order.
fn with_prefix<'m>(
    map: &'m BTreeMap<String, Vec<u32>>,
    prefix: &'m str,
) -> impl Iterator<Item = (&'m String, &'m Vec<u32>)> + 'm {
    map.range::<str, _>((
        std::ops::Bound::Included(prefix),
        std::ops::Bound::Unbounded,
    ))
    .take_while(move |(k, _)| k.starts_with(prefix))
}

/// Builds a mirror from many products at once (a rebuild, or reading the index at
/// open): postings gather in hash maps and are sorted once at the end, instead of
/// one ordered insert per word.
#[derive(Default)]
pub(crate) struct MirrorBuilder {
    slots: Vec<Slot>,
    by_id: HashMap<[u8; 16], u32>,
    terms: Postings,
    titles: Postings,
    /// Products given twice: applied in order after the first pass.
    again: Vec<([u8; 16], ProductDoc)>,
}

/// Word → products while building; hashed with foldhash, several times faster than
/// the default hasher on short words. Its seed is random per process.
type Postings = HashMap<String, Vec<u32>, foldhash::fast::RandomState>;

fn push(map: &mut Postings, key: &str, ord: u32) {
    match map.get_mut(key) {
        Some(list) => list.push(ord),
        None => {
            map.insert(key.to_owned(), vec![ord]);
        }
    }
}

impl MirrorBuilder {
    /// Adds a product.
    pub(crate) fn put(&mut self, id: [u8; 16], doc: &ProductDoc) {
        if self.by_id.contains_key(&id) {
            self.again.push((id, doc.clone()));
            return;
        }
        let ord = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        let (terms, titles) = doc.search_keys();
        // Ordinals only grow, and a product's words are distinct: lists stay sorted.
        for t in &terms {
            push(&mut self.terms, t, ord);
        }
        for t in &titles {
            push(&mut self.titles, t, ord);
        }
        self.slots.push(Slot {
            id,
            flags: doc.flags(),
            terms,
            titles,
        });
        self.by_id.insert(id, ord);
    }

    /// The mirror of every product added.
    pub(crate) fn finish(self) -> Mirror {
        let mut m = Mirror {
            slots: self.slots,
            by_id: self.by_id,
            terms: self.terms.into_iter().collect(),
            titles: self.titles.into_iter().collect(),
        };
        for (id, doc) in &self.again {
            m.put(*id, doc);
        }
        m
    }
}

impl Mirror {
    /// Adds or replaces a product.
    pub(crate) fn put(&mut self, id: [u8; 16], doc: &ProductDoc) {
        let (terms, titles) = doc.search_keys();
        let ord = match self.by_id.get(&id) {
            Some(&ord) => {
                let slot = &mut self.slots[ord as usize];
                let (old_terms, old_titles) = (
                    std::mem::take(&mut slot.terms),
                    std::mem::take(&mut slot.titles),
                );
                for t in &old_terms {
                    remove(&mut self.terms, t, ord);
                }
                for t in &old_titles {
                    remove(&mut self.titles, t, ord);
                }
                ord
            }
            None => {
                let ord = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    id,
                    flags: [0; 2],
                    terms: Vec::new(),
                    titles: Vec::new(),
                });
                self.by_id.insert(id, ord);
                ord
            }
        };
        for t in &terms {
            add(&mut self.terms, t, ord);
        }
        for t in &titles {
            add(&mut self.titles, t, ord);
        }
        let slot = &mut self.slots[ord as usize];
        slot.flags = doc.flags();
        slot.terms = terms;
        slot.titles = titles;
    }

    /// Status and low-stock flag of a product.
    pub(crate) fn flags(&self, id: &[u8; 16]) -> Option<[u8; 2]> {
        self.by_id
            .get(id)
            .map(|&ord| self.slots[ord as usize].flags)
    }

    /// Offers products whose folded title starts with `prefix`, in title order,
    /// until `offer` says it is full.
    pub(crate) fn by_title(
        &self,
        prefix: &str,
        offer: &mut dyn FnMut(&[u8; 16], &[u8; 2]) -> bool,
    ) {
        for (_, ords) in with_prefix(&self.titles, prefix) {
            for &ord in ords {
                let s = &self.slots[ord as usize];
                if !offer(&s.id, &s.flags) {
                    return;
                }
            }
        }
    }

    /// Offers products where every word in `words` starts one of their tokens.
    /// The word with the fewest postings drives; its matching tokens are taken
    /// shortest first, so whole-word matches come before longer words.
    pub(crate) fn by_words(
        &self,
        words: &[String],
        offer: &mut dyn FnMut(&[u8; 16], &[u8; 2]) -> bool,
    ) {
        let matches: Vec<Vec<(&String, &Vec<u32>)>> = words
            .iter()
            .map(|w| with_prefix(&self.terms, w).collect())
            .collect();
        let postings =
            |m: &Vec<(&String, &Vec<u32>)>| m.iter().map(|(_, l)| l.len()).sum::<usize>();
        let Some(driver) = (0..matches.len()).min_by_key(|&i| postings(&matches[i])) else {
            return;
        };
        if matches[driver].is_empty() {
            return;
        }
        let words64 = self.slots.len().div_ceil(64);
        let others: Vec<Vec<u64>> = (0..matches.len())
            .filter(|&i| i != driver)
            .map(|i| {
                let mut bits = vec![0u64; words64];
                for (_, list) in &matches[i] {
                    for &ord in *list {
                        bits[ord as usize / 64] |= 1 << (ord % 64);
                    }
                }
                bits
            })
            .collect();
        let mut terms = matches[driver].clone();
        terms.sort_by_key(|(t, _)| (t.chars().count(), *t));
        for (_, list) in terms {
            for &ord in list {
                let in_all = others
                    .iter()
                    .all(|bits| bits[ord as usize / 64] & (1 << (ord % 64)) != 0);
                if in_all {
                    let s = &self.slots[ord as usize];
                    if !offer(&s.id, &s.flags) {
                        return;
                    }
                }
            }
        }
    }

    /// Every word and title key with the products under it, sorted (to compare two
    /// mirrors in tests).
    pub(crate) fn dump(&self) -> Vec<String> {
        let ids = |ords: &Vec<u32>| {
            let mut ids: Vec<String> = ords
                .iter()
                .map(|&o| uuid::Uuid::from_bytes(self.slots[o as usize].id).to_string())
                .collect();
            ids.sort();
            ids.join(",")
        };
        let mut out: Vec<String> = self
            .terms
            .iter()
            .map(|(t, o)| format!("word {t}: {}", ids(o)))
            .chain(
                self.titles
                    .iter()
                    .map(|(t, o)| format!("title {t}: {}", ids(o))),
            )
            .collect();
        out.extend(
            self.slots
                .iter()
                .map(|s| format!("flags {}: {:?}", uuid::Uuid::from_bytes(s.id), s.flags)),
        );
        out.sort();
        out
    }
}
