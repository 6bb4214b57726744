//! Text folding for search: Unicode lower-casing, diacritics removed, Russian `ё`
//! read as `е`, split into tokens of letters and digits.
//!
//! `й` keeps its breve: in Russian it is a letter of its own, not a decorated `и`.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Longest token kept (in characters); longer runs are cut, so keys stay bounded.
pub const MAX_TOKEN_CHARS: usize = 48;

/// Appends the folded form of one lower-case character to `out`.
fn fold_char(c: char, out: &mut impl FnMut(char)) {
    match c {
        'ё' => out('е'),
        'й' => out('й'),
        c if c.is_ascii() => out(c),
        c => decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                out(d);
            }
        }),
    }
}

/// Passes the folded form of `c` (any case) to `out`, a character at a time.
///
/// ASCII and the basic Russian alphabet take a short path: they are most of what a
/// shop's titles hold, and the general path (lower-casing table, canonical
/// decomposition) costs several times more. Both paths agree on every character
/// (tested).
#[inline]
fn fold_any(c: char, out: &mut impl FnMut(char)) {
    match c {
        c if c.is_ascii() => out(c.to_ascii_lowercase()),
        // А..Я sit 0x20 below а..я; of а..я only `й` decomposes, and it is kept.
        'А'..='Я' => out(char::from_u32(u32::from(c) + 0x20).unwrap_or(c)),
        'а'..='я' => out(c),
        'Ё' | 'ё' => out('е'),
        c => c.to_lowercase().for_each(|lower| fold_char(lower, out)),
    }
}

/// Lower-cases and folds `s` (case, diacritics, `ё`), keeping every other character.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_any(c, &mut |f| out.push(f));
    }
    out
}

/// The folded tokens of `s`: maximal runs of letters and digits, in order.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_token(s, &mut |t| out.push(t.to_owned()));
    out
}

/// Calls `f` with each folded token of `s` in order, as [`tokens`] returns them,
/// folding and splitting in one pass without allocating per token.
pub(crate) fn each_token(s: &str, f: &mut dyn FnMut(&str)) {
    let mut token = String::new();
    let mut chars = 0usize;
    let mut end = |token: &mut String, chars: &mut usize| {
        if !token.is_empty() {
            f(token);
            token.clear();
        }
        *chars = 0;
    };
    for c in s.chars() {
        fold_any(c, &mut |folded| {
            let letter = match folded {
                'а'..='я' => true,
                c if c.is_ascii() => c.is_ascii_alphanumeric(),
                c => c.is_alphanumeric(),
            };
            if !letter {
                end(&mut token, &mut chars);
            } else if chars < MAX_TOKEN_CHARS {
                token.push(folded);
                chars += 1;
            }
        });
    }
    end(&mut token, &mut chars);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_yo() {
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
        assert_eq!(fold("ЁЛКА ёлка"), "елка елка");
        assert_eq!(fold("Чай Йогурт"), "чай йогурт");
        assert_eq!(fold("ÅNGSTRÖM Straße"), "angstrom straße");
    }

    #[test]
    fn splits_on_anything_but_letters_and_digits() {
        assert_eq!(
            tokens("Молоко 3,2% — 1 л (Простоквашино)"),
            ["молоко", "3", "2", "1", "л", "простоквашино"]
        );
        assert_eq!(tokens("  "), Vec::<String>::new());
        assert_eq!(tokens(&"x".repeat(100))[0].chars().count(), MAX_TOKEN_CHARS);
    }

    /// The general path alone: lower-case, then fold each character.
    fn fold_slowly(s: &str) -> String {
        let mut out = String::new();
        for lower in s.chars().flat_map(char::to_lowercase) {
            fold_char(lower, &mut |f| out.push(f));
        }
        out
    }

    /// Fold the whole text, then split it: what `tokens` must equal.
    fn tokens_slowly(s: &str) -> Vec<String> {
        fold_slowly(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(MAX_TOKEN_CHARS).collect())
            .collect()
    }

    #[test]
    fn the_short_paths_fold_every_character_as_the_general_path_does() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let mut fast = String::new();
            fold_any(c, &mut |f| fast.push(f));
            assert_eq!(
                fast,
                fold_slowly(&c.to_string()),
                "{c:?} U+{:04X}",
                u32::from(c)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn tokens_in_one_pass_equal_folding_then_splitting(
            s in "[a-zA-Z0-9а-яА-ЯёЁйЙ éÉüÜßİ\\-,.%()\u{300}\u{2000}]{0,120}",
            run in 0..100usize,
        ) {
            // A long run of letters, so tokens past the cut are tried too.
            let s = format!("{s}{}{s}", "Ё".repeat(run));
            proptest::prop_assert_eq!(tokens(&s), tokens_slowly(&s));
        }
    }
}
