//! Bounded text newtypes: trimmed, length-checked in characters, free of control characters.

use crate::FieldError;

/// Trims `raw` and checks its length (in Unicode scalar values) and characters.
pub fn bounded(raw: &str, field: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min {
        return Err(if min == 1 {
            FieldError::new(field, "required", "must not be empty")
        } else {
            FieldError::new(
                field,
                "too_short",
                format!("must have at least {min} characters"),
            )
            .with_param("min", min)
        });
    }
    if n > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must have at most {max} characters"),
        )
        .with_param("max", max));
    }
    // Newlines and tabs belong in long texts (descriptions, Markdown); other control
    // characters only ever come from broken input.
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "control_character",
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// The text plumbing of a `String` newtype whose inherent `parse` is the only way in:
/// `as_str`, `Display`, and the `TryFrom<String>`/`Into<String>` pair that serde uses
/// (so deserialising parses too).
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::FieldError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}
pub(crate) use text_newtype;

/// Defines a `String` newtype that can only hold text within bounds.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Smallest accepted length in characters (after trimming).
            pub const MIN_CHARS: usize = $min;
            /// Largest accepted length in characters (after trimming).
            pub const MAX_CHARS: usize = $max;

            /// Trims and checks the text.
            pub fn parse(raw: &str) -> Result<Self, $crate::FieldError> {
                $crate::text::bounded(raw, $field, $min, $max).map(Self)
            }
        }

        $crate::text::text_newtype!($name);
    };
}
pub(crate) use bounded_text;

bounded_text!(
    /// A free-text reason (stock adjustment, cancellation, cash movement), 1–200 characters.
    Reason, "reason", 1, 200
);
bounded_text!(
    /// An order note, 1–1,000 characters.
    Note, "notes", 1, 1000
);
