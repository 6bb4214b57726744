//! Text folding for search: Unicode lower-casing, diacritics removed, Russian `ё`
//! read as `е`, split into tokens of letters and digits.
//!
//! `й` keeps its breve: in Russian it is a letter of its own, not a decorated `и`.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Longest token kept (in characters); longer runs are cut, so keys stay bounded.
pub const MAX_TOKEN_CHARS: usize = 48;

/// Appends the folded form of one lower-case character to `out`.
fn fold_char(c: char, out: &mut String) {
    match c {
        'ё' => out.push('е'),
        'й' => out.push('й'),
        c if c.is_ascii() => out.push(c),
        c => decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                out.push(d);
            }
        }),
    }
}

/// Lower-cases and folds `s` (case, diacritics, `ё`), keeping every other character.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for lower in s.chars().flat_map(char::to_lowercase) {
        fold_char(lower, &mut out);
    }
    out
}

/// The folded tokens of `s`: maximal runs of letters and digits, in order.
pub fn tokens(s: &str) -> Vec<String> {
    let folded = fold(s);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| match t.char_indices().nth(MAX_TOKEN_CHARS) {
            Some((cut, _)) => t[..cut].to_owned(),
            None => t.to_owned(),
        })
        .collect()
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
}
