//! Errors as the UI sees them: `{ code, message, fields? }`. The UI branches on `code`
//! and never on `message`.

use rustok_core::domain::FieldError;
use rustok_core::service::ShopError;
use serde::Serialize;

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApiFieldError {
    /// Field path, e.g. `price` or `lines[1].quantity`.
    pub field: String,
    /// Stable code, e.g. `check_digit`.
    pub code: &'static str,
    /// Readable explanation (English; the UI words the error itself from `code`
    /// and `params`).
    pub message: String,
    /// Values the UI needs to word the error: a limit, a SKU, an amount in minor units.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<&'static str, String>,
}

impl From<FieldError> for ApiFieldError {
    fn from(f: FieldError) -> Self {
        Self {
            field: f.field,
            code: f.code,
            message: f.message,
            params: f.params.into_iter().collect(),
        }
    }
}

/// An error returned by a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable machine code.
    pub code: &'static str,
    /// Readable explanation.
    pub message: String,
    /// Invalid fields, for `validation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<ApiFieldError>>,
    /// Seconds until a lockout ends, for `locked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Wrong PINs left before a lockout, for `wrong_pin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// Values the UI needs to word the error in its language (`ui/src/errors.json`):
    /// seconds, attempts, amounts in minor units, SKUs.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<&'static str, String>,
}

impl ApiError {
    /// An error with only a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
            retry_after_secs: None,
            attempts_left: None,
            params: std::collections::BTreeMap::new(),
        }
    }

    /// Adds a value the UI words the error with.
    pub fn with_param(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.insert(name, value.to_string());
        self
    }

    /// Nobody is logged in.
    pub fn unauthenticated() -> Self {
        Self::new("unauthenticated", "log in first")
    }

    /// Invalid input fields.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let fields = fields.into_iter().map(ApiFieldError::from).collect();
        Self {
            fields: Some(fields),
            ..Self::new("validation", message)
        }
    }
}

impl From<ShopError> for ApiError {
    fn from(e: ShopError) -> Self {
        let code = e.code();
        match e {
            ShopError::Validation { fields } => {
                let message = ShopError::Validation {
                    fields: fields.clone(),
                }
                .to_string();
                ApiError {
                    message,
                    ..ApiError::validation(fields)
                }
            }
            ShopError::Locked { retry_after_secs } => ApiError {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(code, e.to_string()).with_param("secs", retry_after_secs)
            },
            ShopError::WrongPin { attempts_left } => ApiError {
                attempts_left: Some(attempts_left),
                ..ApiError::new(code, e.to_string()).with_param("left", attempts_left)
            },
            ShopError::ApprovalRequired { difference, limit } => ApiError::new(code, e.to_string())
                .with_param("difference", difference)
                .with_param("limit", limit),
            ShopError::DiscountApprovalRequired { limit_bp } => {
                let percent = format!("{}", f64::from(limit_bp) / 100.0);
                ApiError::new(code, e.to_string()).with_param("percent", percent)
            }
            ShopError::StockApprovalRequired { ref short } => {
                let skus = short
                    .iter()
                    .map(|s| s.sku.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                ApiError::new(code, e.to_string()).with_param("skus", skus)
            }
            ShopError::Storage(ref inner) => {
                // The details are for the log; the operator gets a plain sentence.
                tracing::error!(error = %inner, "storage error");
                ApiError::new(code, e.to_string())
            }
            other => ApiError::new(code, other.to_string()),
        }
    }
}

impl From<rustok_sync::SyncError> for ApiError {
    fn from(e: rustok_sync::SyncError) -> Self {
        use rustok_sync::SyncError as E;
        let code = match &e {
            E::NotEnrolled => "not_enrolled",
            // Central answered and said no (a used or wrong code, a revoked device).
            E::Http { status, .. } if *status < 500 && *status != 429 => "refused",
            E::Invalid(_) => "invalid",
            E::Store(_) | E::Credentials { .. } => {
                tracing::error!(error = %e, "sync storage error");
                "storage"
            }
            _ => "unavailable",
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::validation(vec![e])
    }
}

/// What every command returns.
pub type ApiResult<T> = Result<T, ApiError>;
