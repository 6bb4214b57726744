//! [`SyncError`]: everything a sync attempt can run into, sorted by what to do next.

use std::time::Duration;

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The device has no credentials yet.
    #[error("not enrolled with a central server; enrol in settings or with `rustok-edge enrol --url URL --code CODE`")]
    NotEnrolled,
    /// The circuit breaker is open: no request was made.
    #[error("central is not being called for {retry_after:?} after repeated failures")]
    BreakerOpen {
        /// When a call may pass again.
        retry_after: Duration,
    },
    /// The request did not complete in time.
    #[error("central did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed (refused, reset, closed early).
    #[error("cannot reach central: {0}")]
    Network(String),
    /// Central answered with an error status.
    #[error("central answered {status}: {message} ({code})")]
    Http {
        /// Status code.
        status: u16,
        /// Error code from the body.
        code: String,
        /// Error text from the body.
        message: String,
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// Central's answer could not be understood.
    #[error("central's answer is not understood: {0}")]
    Protocol(String),
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] rustok_core::store::StoreError),
    /// The credentials file could not be read or written.
    #[error("credentials file {path}: {reason}")]
    Credentials {
        /// File.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A URL or code given to enrolment is not usable.
    #[error("{0}")]
    Invalid(String),
}

impl SyncError {
    /// Whether central (or the way to it) is unwell, which the breaker counts:
    /// transport failures, timeouts, 5xx and 429. A 4xx answer means central is up.
    pub fn is_unavailability(&self) -> bool {
        match self {
            SyncError::Timeout(_) | SyncError::Network(_) | SyncError::Protocol(_) => true,
            SyncError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// A stable name for what went wrong, which a UI words in its own language
    /// (the message is English and for logs).
    pub fn kind(&self) -> &'static str {
        match self {
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::BreakerOpen { .. } => "breaker_open",
            SyncError::Timeout(_) => "timeout",
            SyncError::Network(_) => "network",
            SyncError::Http { status, .. } if *status == 429 => "busy",
            SyncError::Http { status, .. } if *status >= 500 => "central_failed",
            SyncError::Http { status, .. } if *status == 401 || *status == 403 => "not_allowed",
            SyncError::Http { .. } => "refused",
            SyncError::Protocol(_) => "protocol",
            SyncError::Store(_) | SyncError::Credentials { .. } => "storage",
            SyncError::Invalid(_) => "invalid",
        }
    }

    /// The wait central asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::Http { retry_after, .. } => *retry_after,
            SyncError::BreakerOpen { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}
