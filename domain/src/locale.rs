//! Locales (`en`, `ru`, `en-GB`) and per-locale text with fallback.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A language tag: a 2–3 letter lower-case language, optionally `-` and a 2-letter
/// upper-case region. Input case is normalised (`EN-gb` → `en-GB`); `_` is accepted
/// as the separator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);

crate::text::text_newtype!(Locale);

impl Locale {
    /// Parses and normalises a tag.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                "locale",
                "invalid_locale",
                "must be a language tag such as en or ru-RU",
            )
        };
        let s = raw.trim();
        let (lang, region) = match s.split_once(['-', '_']) {
            Some((l, r)) => (l, Some(r)),
            None => (s, None),
        };
        if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(bad());
        }
        let mut out = lang.to_ascii_lowercase();
        if let Some(r) = region {
            if r.len() != 2 || !r.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(bad());
            }
            out.push('-');
            out.push_str(&r.to_ascii_uppercase());
        }
        Ok(Self(out))
    }
}

/// Values per locale, e.g. a product's titles. Ordered, so its JSON is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized<T>(BTreeMap<Locale, T>);

impl<T> Default for Localized<T> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<T> Localized<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value for `locale`.
    pub fn insert(&mut self, locale: Locale, value: T) {
        self.0.insert(locale, value);
    }

    /// Removes the value for `locale`, returning it.
    pub fn remove(&mut self, locale: &Locale) -> Option<T> {
        self.0.remove(locale)
    }

    /// Builder form of [`Localized::insert`].
    pub fn with(mut self, locale: Locale, value: T) -> Self {
        self.insert(locale, value);
        self
    }

    /// The value for exactly `locale`.
    pub fn get(&self, locale: &Locale) -> Option<&T> {
        self.0.get(locale)
    }

    /// The value for `locale`, else for `fallback`, else any value.
    pub fn resolve(&self, locale: &Locale, fallback: &Locale) -> Option<&T> {
        self.0
            .get(locale)
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
    }

    /// All entries in locale order.
    pub fn iter(&self) -> impl Iterator<Item = (&Locale, &T)> {
        self.0.iter()
    }

    /// Number of locales.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without any locale.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
