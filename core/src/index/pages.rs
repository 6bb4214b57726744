//! How the index's sorted entries are laid out in sled: in pages.
//!
//! The index is a sorted map of logical entries (key → value, see [`super::docs`]).
//! sled 0.34 costs about 6 µs per key written here, whatever its size, so one sled
//! key per entry made a rebuild of 1M documents (5 entries each) take minutes.
//! Instead, entries are stored in *pages*: runs of consecutive entries under one sled
//! key, `#` followed by the page's lower bound. A page holds every entry from its
//! lower bound up to the next page's; the head page (`#` alone) is always there, so
//! every key has exactly one page.
//!
//! - A rebuild writes large pages ([`BULK_PAGE_BYTES`]) from sorted runs.
//! - An edit loads the pages its keys fall in, changes them, and writes them back as
//!   small pages ([`EDIT_PAGE_BYTES`]), in the same sled batch as the checkpoint; so a
//!   page that is edited once is split, and later edits there rewrite little.
//! - Readers never lock: each page is read whole in one sled call. A scan that races
//!   with a split skips entries it has already passed, so it never repeats one.
//!
//! Meta keys (`!format`, `!seq`) stay plain sled keys outside the pages.

use super::docs::Entry;
use super::IndexError;
use std::collections::BTreeMap;
use std::ops::Bound;

/// First byte of every page key.
pub(crate) const PAGE: u8 = b'#';
/// Page size a rebuild writes. sled 0.34 writes a tree node of more than 128 KB
/// (a quarter of its 512 KB segment) as a file of its own, and a leaf holds up to
/// 17 keys: 7 KB pages keep every leaf under that. 16 KB pages made ~1,350 such
/// files per million documents, and creating them took a third of a rebuild; 4 KB
/// pages mean four times the sled inserts (measured in `index_rebuild`: 4.4 s with
/// 7 KB, 8.1 s with 16 KB, 6.1 s with 4 KB).
const BULK_PAGE_BYTES: usize = 7 * 1024;
/// Page size an edit writes back.
const EDIT_PAGE_BYTES: usize = 4 * 1024;

fn page_key(lower: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(lower.len() + 1);
    k.push(PAGE);
    k.extend_from_slice(lower);
    k
}

/// The smallest key after every key that starts with `prefix` (`None`: no such key).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < u8::MAX {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_entry(out: &mut Vec<u8>, k: &[u8], v: &[u8]) {
    put_len(out, k.len());
    out.extend_from_slice(k);
    put_len(out, v.len());
    out.extend_from_slice(v);
}

fn entry_size(k: &[u8], v: &[u8]) -> usize {
    k.len() + v.len() + 4
}

/// The entries of an encoded page, in order.
pub(crate) struct PageEntries<'p> {
    rest: &'p [u8],
}

pub(crate) fn entries_of(page: &[u8]) -> PageEntries<'_> {
    PageEntries { rest: page }
}

impl<'p> PageEntries<'p> {
    fn len(&mut self) -> Result<usize, IndexError> {
        let mut n = 0usize;
        for shift in (0..35).step_by(7) {
            let (&b, rest) = self
                .rest
                .split_first()
                .ok_or_else(|| IndexError::Corrupt("page ends inside a length".into()))?;
            self.rest = rest;
            n |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(IndexError::Corrupt("page has an overlong length".into()))
    }

    fn bytes(&mut self) -> Result<&'p [u8], IndexError> {
        let n = self.len()?;
        if n > self.rest.len() {
            return Err(IndexError::Corrupt("page ends inside an entry".into()));
        }
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }
}

impl<'p> Iterator for PageEntries<'p> {
    type Item = Result<(&'p [u8], &'p [u8]), IndexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let kv = self.bytes().and_then(|k| Ok((k, self.bytes()?)));
        if kv.is_err() {
            self.rest = &[];
        }
        Some(kv)
    }
}

/// Called with each entry of a scan; returns whether to go on.
pub(crate) type Visit<'f> = dyn FnMut(&[u8], &[u8]) -> Result<bool, IndexError> + 'f;
/// Called with each entry of the whole map.
pub(crate) type Each<'f> = dyn FnMut(&[u8], &[u8]) -> Result<(), IndexError> + 'f;

/// The page `key` falls in: its sled key and its bytes.
fn page_of(db: &sled::Db, key: &[u8]) -> Result<(sled::IVec, sled::IVec), IndexError> {
    match db.range(..=page_key(key)).next_back().transpose()? {
        Some((k, v)) if k.first() == Some(&PAGE) => Ok((k, v)),
        _ => Err(IndexError::Corrupt("the head page is missing".into())),
    }
}

/// The value under `key`.
pub(crate) fn get(db: &sled::Db, key: &[u8]) -> Result<Option<Vec<u8>>, IndexError> {
    let (_, page) = page_of(db, key)?;
    for kv in entries_of(&page) {
        let (k, v) = kv?;
        match k.cmp(key) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => return Ok(Some(v.to_vec())),
            std::cmp::Ordering::Greater => break,
        }
    }
    Ok(None)
}

/// Calls `f` with every entry whose key starts with `prefix`, in key order (or
/// reverse key order), until it returns `false`.
pub(crate) fn scan(
    db: &sled::Db,
    prefix: &[u8],
    reverse: bool,
    f: &mut Visit<'_>,
) -> Result<(), IndexError> {
    let (first, _) = page_of(db, prefix)?;
    let end = match successor(prefix) {
        Some(s) => Bound::Excluded(sled::IVec::from(page_key(&s))),
        None => Bound::Excluded(sled::IVec::from(&[PAGE + 1][..])),
    };
    let pages = db.range::<sled::IVec, _>((Bound::Included(first), end));
    let pages: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = if reverse {
        Box::new(pages.rev())
    } else {
        Box::new(pages)
    };
    // The last key passed: a page split while scanning may show entries again.
    let mut passed: Option<Vec<u8>> = None;
    for page in pages {
        let (_, page) = page?;
        let mut matching: Vec<(&[u8], &[u8])> = Vec::new();
        for kv in entries_of(&page) {
            let (k, v) = kv?;
            if k.starts_with(prefix) {
                matching.push((k, v));
            }
        }
        if reverse {
            matching.reverse();
        }
        for (k, v) in matching {
            let fresh = passed
                .as_deref()
                .is_none_or(|p| if reverse { k < p } else { k > p });
            if !fresh {
                continue;
            }
            if !f(k, v)? {
                return Ok(());
            }
            passed = Some(k.to_vec());
        }
    }
    Ok(())
}

/// Every entry, in key order.
pub(crate) fn all(db: &sled::Db) -> Result<Vec<Entry>, IndexError> {
    let mut out = Vec::new();
    each(db, &mut |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with every entry, in key order (pages read one at a time).
pub(crate) fn each(db: &sled::Db, f: &mut Each<'_>) -> Result<(), IndexError> {
    for page in db.scan_prefix([PAGE]) {
        let (_, page) = page?;
        for kv in entries_of(&page) {
            let (k, v) = kv?;
            f(k, v)?;
        }
    }
    Ok(())
}

/// Writes the (empty) head page; the tree must hold no pages.
pub(crate) fn init(db: &sled::Db) -> Result<(), IndexError> {
    db.insert([PAGE], Vec::new())?;
    Ok(())
}

/// Changes to some entries, collected page by page, then written in one sled batch.
pub(crate) struct Edit<'d> {
    db: &'d sled::Db,
    /// Pages loaded, by sled key, with their entries (changed in place).
    pages: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl<'d> Edit<'d> {
    pub(crate) fn new(db: &'d sled::Db) -> Self {
        Self {
            db,
            pages: BTreeMap::new(),
        }
    }

    fn page(&mut self, key: &[u8]) -> Result<&mut BTreeMap<Vec<u8>, Vec<u8>>, IndexError> {
        // Pages are only split when written, so the page a key falls in does not move
        // while an edit is being collected.
        let (at, page) = page_of(self.db, key)?;
        let at = at.to_vec();
        if !self.pages.contains_key(&at) {
            let mut entries = BTreeMap::new();
            for kv in entries_of(&page) {
                let (k, v) = kv?;
                entries.insert(k.to_vec(), v.to_vec());
            }
            self.pages.insert(at.clone(), entries);
        }
        self.pages
            .get_mut(&at)
            .ok_or_else(|| IndexError::Corrupt("page vanished".into()))
    }

    /// The value under `key` as this edit leaves it (read-your-writes, so several
    /// events can go in one edit).
    pub(crate) fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, IndexError> {
        Ok(self.page(key)?.get(key).cloned())
    }

    pub(crate) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), IndexError> {
        self.page(&key)?.insert(key, value);
        Ok(())
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> Result<(), IndexError> {
        self.page(key)?.remove(key);
        Ok(())
    }

    /// Adds the changed pages to `batch`: each as small pages, an emptied one removed.
    pub(crate) fn write_to(self, batch: &mut sled::Batch) {
        for (at, entries) in self.pages {
            if entries.is_empty() && at != [PAGE] {
                batch.remove(at);
                continue;
            }
            let mut pages = Pages::new(EDIT_PAGE_BYTES);
            let mut head = Some(at);
            for (k, v) in &entries {
                if let Some((lower, page)) = pages.push(k, v) {
                    batch.insert(head.take().unwrap_or_else(|| page_key(&lower)), page);
                }
            }
            if let Some((lower, page)) = pages.finish() {
                batch.insert(head.take().unwrap_or_else(|| page_key(&lower)), page);
            } else if let Some(at) = head {
                batch.insert(at, Vec::new());
            }
        }
    }
}

/// Cuts a sorted stream of entries into pages.
struct Pages {
    limit: usize,
    lower: Vec<u8>,
    page: Vec<u8>,
}

impl Pages {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            lower: Vec::new(),
            page: Vec::new(),
        }
    }

    /// Adds an entry; returns a full page (its lower bound and bytes) when the entry
    /// did not fit in it.
    fn push(&mut self, k: &[u8], v: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let full = (!self.page.is_empty() && self.page.len() + entry_size(k, v) > self.limit)
            .then(|| self.take());
        if self.page.is_empty() {
            self.lower = k.to_vec();
        }
        put_entry(&mut self.page, k, v);
        full
    }

    fn take(&mut self) -> (Vec<u8>, Vec<u8>) {
        (
            std::mem::take(&mut self.lower),
            std::mem::replace(&mut self.page, Vec::with_capacity(self.limit + 256)),
        )
    }

    fn finish(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        (!self.page.is_empty()).then(|| self.take())
    }
}

/// Entries collected for a rebuild, grouped by key family (the key up to its first
/// `/`), held compactly, then sorted and written as large pages.
#[derive(Default)]
pub(crate) struct Runs {
    runs: Vec<Run>,
}

#[derive(Default)]
struct Run {
    family: Vec<u8>,
    bytes: Vec<u8>,
    /// Start of each entry in `bytes`, and the lengths of its key and value.
    items: Vec<(usize, u32, u32)>,
}

impl Run {
    fn key(&self, &(at, k, _): &(usize, u32, u32)) -> &[u8] {
        &self.bytes[at..at + k as usize]
    }

    fn value(&self, &(at, k, v): &(usize, u32, u32)) -> &[u8] {
        let from = at + k as usize;
        &self.bytes[from..from + v as usize]
    }

    /// Sorts by key; of equal keys the last added wins.
    fn sort(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        // Equal keys stay in the order they were added (by their place in `bytes`).
        items.sort_unstable_by(|a, b| self.key(a).cmp(self.key(b)).then(a.0.cmp(&b.0)));
        let mut out: Vec<(usize, u32, u32)> = Vec::with_capacity(items.len());
        for it in items {
            match out.last_mut() {
                Some(last) if self.key(last) == self.key(&it) => *last = it,
                _ => out.push(it),
            }
        }
        self.items = out;
    }
}

impl Runs {
    /// Adds an entry.
    pub(crate) fn push(&mut self, k: &[u8], v: &[u8]) -> Result<(), IndexError> {
        let family = k.iter().position(|&b| b == b'/').map_or(k, |at| &k[..=at]);
        let at = match self.runs.iter().position(|r| r.family == family) {
            Some(at) => at,
            None => {
                self.runs.push(Run {
                    family: family.to_vec(),
                    ..Run::default()
                });
                self.runs.len() - 1
            }
        };
        let run = &mut self.runs[at];
        let (kl, vl) = (
            u32::try_from(k.len()).map_err(|_| IndexError::Corrupt("key too long".into()))?,
            u32::try_from(v.len()).map_err(|_| IndexError::Corrupt("value too long".into()))?,
        );
        run.items.push((run.bytes.len(), kl, vl));
        run.bytes.extend_from_slice(k);
        run.bytes.extend_from_slice(v);
        Ok(())
    }

    /// Sorts every run (on two threads) and writes them as pages after the head page
    /// into an empty tree; returns the entries written.
    pub(crate) fn write(mut self, db: &sled::Db) -> Result<u64, IndexError> {
        // Split the work so each thread sorts about half of the entries.
        self.runs.sort_by_key(|r| std::cmp::Reverse(r.items.len()));
        let (mut left, mut right): (Vec<Run>, Vec<Run>) = (Vec::new(), Vec::new());
        let (mut l, mut r) = (0usize, 0usize);
        for run in self.runs {
            if l <= r {
                l += run.items.len();
                left.push(run);
            } else {
                r += run.items.len();
                right.push(run);
            }
        }
        std::thread::scope(|s| {
            let other = s.spawn(|| right.iter_mut().for_each(Run::sort));
            left.iter_mut().for_each(Run::sort);
            other.join()
        })
        .map_err(|p| IndexError::Panicked(super::panic_text(&*p)))?;
        init(db)?;
        let mut written = 0;
        for run in left.iter().chain(&right) {
            let mut pages = Pages::new(BULK_PAGE_BYTES);
            for it in &run.items {
                if let Some((lower, page)) = pages.push(run.key(it), run.value(it)) {
                    db.insert(page_key(&lower), page)?;
                }
            }
            if let Some((lower, page)) = pages.finish() {
                db.insert(page_key(&lower), page)?;
            }
            written += run.items.len() as u64;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_decodes_to_what_was_encoded_and_a_damaged_one_is_an_error() {
        let mut page = Vec::new();
        let long = vec![7u8; 300];
        put_entry(&mut page, b"a", b"");
        put_entry(&mut page, b"b/1", &long);
        let got: Vec<_> = entries_of(&page).collect::<Result<_, _>>().unwrap();
        assert_eq!(got, vec![(&b"a"[..], &b""[..]), (&b"b/1"[..], &long[..])]);
        page.truncate(page.len() - 1);
        assert!(entries_of(&page).any(|kv| kv.is_err()));
        assert!(entries_of(&[0xff; 6]).any(|kv| kv.is_err()));
    }

    /// A small seeded generator (no dependency for a unit test).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn key(&mut self) -> Vec<u8> {
            let mut k = [&b"a/"[..], b"b/", b"c/"][self.below(3) as usize].to_vec();
            for _ in 0..self.below(8) + 1 {
                k.push(b"xyz"[self.below(3) as usize]);
            }
            k
        }

        fn value(&mut self) -> Vec<u8> {
            vec![self.below(256) as u8; self.below(300) as usize]
        }
    }

    fn check(db: &sled::Db, model: &BTreeMap<Vec<u8>, Vec<u8>>, rng: &mut Lcg) {
        let want: Vec<Entry> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(all(db).unwrap(), want);
        for _ in 0..8 {
            let mut prefix = rng.key();
            prefix.truncate(rng.below(prefix.len() as u64 + 1) as usize);
            let want: Vec<Entry> = want
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .cloned()
                .collect();
            for reverse in [false, true] {
                let mut got = Vec::new();
                scan(db, &prefix, reverse, &mut |k, v| {
                    got.push((k.to_vec(), v.to_vec()));
                    Ok(true)
                })
                .unwrap();
                if reverse {
                    got.reverse();
                }
                assert_eq!(got, want, "prefix {prefix:?}, reverse {reverse}");
            }
            let k = rng.key();
            assert_eq!(get(db, &k).unwrap(), model.get(&k).cloned());
        }
    }

    #[test]
    fn pages_behave_like_one_sorted_map_through_a_rebuild_and_many_edits() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let mut rng = Lcg(42);
        let mut model = BTreeMap::new();
        let mut runs = Runs::default();
        for _ in 0..6_000 {
            let (k, v) = (rng.key(), rng.value());
            runs.push(&k, &v).unwrap();
            model.insert(k, v);
        }
        runs.write(&db).unwrap();
        let bulk_pages = db.scan_prefix([PAGE]).count();
        assert!(bulk_pages > 10, "{bulk_pages} pages");
        check(&db, &model, &mut rng);
        for round in 0..160 {
            let mut edit = Edit::new(&db);
            for _ in 0..rng.below(40) + 1 {
                let k = match rng.below(3) {
                    0 => model
                        .keys()
                        .nth(rng.below(model.len() as u64 + 1) as usize)
                        .cloned(),
                    _ => None,
                }
                .unwrap_or_else(|| rng.key());
                // Removes outweigh inserts later on, so pages empty out too.
                if rng.below(10) < if round < 80 { 4 } else { 8 } {
                    edit.remove(&k).unwrap();
                    model.remove(&k);
                } else {
                    let v = rng.value();
                    edit.insert(k.clone(), v.clone()).unwrap();
                    model.insert(k, v);
                }
            }
            let mut batch = sled::Batch::default();
            edit.write_to(&mut batch);
            db.apply_batch(batch).unwrap();
            check(&db, &model, &mut rng);
        }
        assert!(db.get([PAGE]).unwrap().is_some(), "the head page stays");
    }

    #[test]
    fn successor_is_past_every_key_with_the_prefix() {
        assert_eq!(successor(b"os/"), Some(b"os0".to_vec()));
        assert_eq!(successor(&[b'a', 0xff]), Some(b"b".to_vec()));
        assert_eq!(successor(&[0xff]), None);
    }
}
