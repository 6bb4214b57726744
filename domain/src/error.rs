//! Domain errors: field-level validation failures and illegal state transitions.

use std::fmt;

/// One invalid input field: which field, a stable machine code, and a readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `sku` or `lines[2].quantity`.
    pub field: String,
    /// Stable code the UI can branch on, e.g. `too_long`, `check_digit`.
    pub code: &'static str,
    /// Human-readable explanation, lower-case, saying what would be accepted.
    pub message: String,
    /// Values a UI needs to say the same in its own language (a limit, a SKU, an
    /// amount in minor units), by name.
    pub params: Vec<(&'static str, String)>,
}

impl FieldError {
    /// Creates a field error.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
            params: Vec::new(),
        }
    }

    /// Adds a value a UI needs to word the error itself (see [`FieldError::params`]).
    pub fn with_param(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }

    /// Moves the error to another field path (parsers name a default field).
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// What a pure domain operation can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more inputs are invalid.
    #[error("invalid input: {}", join(.0))]
    Validation(Vec<FieldError>),
    /// The aggregate's current state has no such transition.
    #[error("cannot {action} when the state is {from}")]
    InvalidTransition {
        /// Current state name.
        from: &'static str,
        /// Requested action name.
        action: &'static str,
    },
}

impl From<FieldError> for DomainError {
    fn from(e: FieldError) -> Self {
        DomainError::Validation(vec![e])
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects field errors so that a form reports every problem at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Starts an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of a parse, or records its error under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e.at(field));
                None
            }
        }
    }

    /// Records an error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Records an error when `bad` holds.
    pub fn check(&mut self, bad: bool, field: &str, code: &'static str, message: &str) {
        if bad {
            self.0.push(FieldError::new(field, code, message));
        }
    }

    /// Ok when nothing was recorded.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}
