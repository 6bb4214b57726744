//! The HTTP client of the protocol: signs every request, bounds every request by a
//! timeout, and sorts failures into [`SyncError`]s.

// Numbers here come from central or the wire: arithmetic is checked.
#![deny(clippy::arithmetic_side_effects)]

use crate::credentials::Credentials;
use crate::protocol::{
    paths, ApiError, EnrolRequest, EnrolResponse, HealthReport, PushResponse, PROTOCOL_VERSION,
};
use crate::signing::{self, HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use crate::SyncError;
use rustok_core::domain::clock::Clock;
use rustok_core::domain::image::{ImageDigest, MAX_STORED_IMAGE_BYTES};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// The default time one request may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn http_client(timeout: Duration) -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| SyncError::Network(format!("cannot build an HTTP client: {e}")))
}

fn base_url(url: &str) -> Result<String, SyncError> {
    let u = url.trim().trim_end_matches('/');
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < "http://x".len() {
        return Err(SyncError::Invalid(format!(
            "'{url}' is not a central URL; expected http(s)://host:port"
        )));
    }
    Ok(u.to_owned())
}

fn transport(e: &reqwest::Error, timeout: Duration) -> SyncError {
    if e.is_timeout() {
        SyncError::Timeout(timeout)
    } else {
        // The chain names the cause (refused, reset, closed before the answer).
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg = format!("{msg}: {s}");
            src = s.source();
        }
        SyncError::Network(msg)
    }
}

async fn answer<T: DeserializeOwned>(
    res: reqwest::Response,
    timeout: Duration,
) -> Result<Option<T>, SyncError> {
    let status = res.status();
    let wait = retry_after(&res);
    let body = res.bytes().await.map_err(|e| transport(&e, timeout))?;
    if status.is_success() {
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        return serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| SyncError::Protocol(e.to_string()));
    }
    Err(refusal(status, wait, &body))
}

/// Central's `Retry-After`, in whole seconds, if it sent one.
fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// An error answer as a [`SyncError::Http`].
fn refusal(status: reqwest::StatusCode, retry_after: Option<Duration>, body: &[u8]) -> SyncError {
    let err: ApiError = serde_json::from_slice(body).unwrap_or_else(|_| ApiError {
        code: "unknown".into(),
        message: String::from_utf8_lossy(body).chars().take(200).collect(),
    });
    SyncError::Http {
        status: status.as_u16(),
        code: err.code,
        message: err.message,
        retry_after,
    }
}

/// Redeems an enrolment code at `url`.
pub async fn enrol(
    url: &str,
    request: &EnrolRequest,
    timeout: Duration,
) -> Result<(String, EnrolResponse), SyncError> {
    let base = base_url(url)?;
    let body = serde_json::to_vec(request).map_err(|e| SyncError::Protocol(e.to_string()))?;
    let res = http_client(timeout)?
        .post(format!("{base}{}", paths::ENROL))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| transport(&e, timeout))?;
    let reply = answer(res, timeout)
        .await?
        .ok_or_else(|| SyncError::Protocol("empty enrolment answer".into()))?;
    Ok((base, reply))
}

/// A signed connection to central for one enrolled device.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    creds: Credentials,
    secret: Arc<Vec<u8>>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
}

impl Client {
    /// A client for `creds`, timing requests out after `timeout`.
    pub fn new(
        creds: Credentials,
        clock: Arc<dyn Clock>,
        timeout: Duration,
    ) -> Result<Client, SyncError> {
        Ok(Client {
            http: http_client(timeout)?,
            base: base_url(&creds.central_url)?,
            secret: Arc::new(creds.secret_bytes()?),
            creds,
            clock,
            timeout,
        })
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    async fn signed<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Option<T>, SyncError> {
        let res = self
            .send_signed(method, path, body, "application/json")
            .await?;
        answer(res, self.timeout).await
    }

    async fn send_signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<reqwest::Response, SyncError> {
        let ts = self.clock.now().unix_millis() / 1000;
        // A new nonce for every send: a retry of the same body in the same second
        // is not taken for a replay. Only its uniqueness matters, so OS randomness
        // is read here rather than injected.
        let mut raw = [0u8; 16];
        rustok_core::domain::clock::Entropy::fill(&rustok_core::system::OsEntropy, &mut raw);
        let nonce = hex::encode(raw);
        let sig = signing::sign(&self.secret, method.as_str(), path, ts, Some(&nonce), &body);
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(HEADER_DEVICE, self.creds.device_id.to_string())
            .header(HEADER_TIMESTAMP, ts.to_string())
            .header(HEADER_NONCE, nonce)
            .header(HEADER_SIGNATURE, sig)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| transport(&e, self.timeout))
    }

    /// Sends a picture this device added (central checks the bytes are the
    /// digest's and a stored picture; sending one it holds changes nothing).
    pub async fn put_image(&self, digest: &ImageDigest, bytes: Vec<u8>) -> Result<(), SyncError> {
        let path = paths::IMAGE.replace("{digest}", digest.as_str());
        let res = self
            .send_signed(reqwest::Method::PUT, &path, bytes, "image/jpeg")
            .await?;
        answer::<serde_json::Value>(res, self.timeout)
            .await
            .map(|_| ())
    }

    /// Fetches a picture of this device's tenant: `None` when central does not
    /// hold it (yet). Reads at most [`MAX_STORED_IMAGE_BYTES`]: a longer answer is
    /// refused unread; the caller checks the bytes against the digest.
    pub async fn get_image(&self, digest: &ImageDigest) -> Result<Option<Vec<u8>>, SyncError> {
        let path = paths::IMAGE.replace("{digest}", digest.as_str());
        let mut res = self
            .send_signed(reqwest::Method::GET, &path, Vec::new(), "application/json")
            .await?;
        let status = res.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let wait = retry_after(&res);
            let body = res.bytes().await.map_err(|e| transport(&e, self.timeout))?;
            return Err(refusal(status, wait, &body));
        }
        let too_long = || {
            SyncError::Protocol(format!(
                "a picture longer than {MAX_STORED_IMAGE_BYTES} bytes"
            ))
        };
        if res
            .content_length()
            .is_some_and(|n| n > MAX_STORED_IMAGE_BYTES as u64)
        {
            return Err(too_long());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| transport(&e, self.timeout))? {
            if bytes.len().saturating_add(chunk.len()) > MAX_STORED_IMAGE_BYTES {
                return Err(too_long());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }

    /// Pushes a serialized [`crate::protocol::PushRequest`].
    pub async fn push_raw(&self, body: Vec<u8>) -> Result<PushResponse, SyncError> {
        self.signed(reqwest::Method::POST, paths::EVENTS, body)
            .await?
            .ok_or_else(|| SyncError::Protocol("empty push answer".into()))
    }

    /// Reports health.
    pub async fn report_health(&self, report: &HealthReport) -> Result<(), SyncError> {
        let body = serde_json::to_vec(report).map_err(|e| SyncError::Protocol(e.to_string()))?;
        self.signed::<serde_json::Value>(reqwest::Method::POST, paths::HEALTH, body)
            .await
            .map(|_| ())
    }

    /// A signed `GET` of `path_and_query`, decoded as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, SyncError> {
        self.signed(reqwest::Method::GET, path_and_query, Vec::new())
            .await?
            .ok_or_else(|| SyncError::Protocol("empty answer".into()))
    }
}

/// The enrolment request for this device.
/// The enrolment request of a device that joins the code's chain: a new id, no
/// tenant of its own (central answers the chain's).
pub fn join_request(
    code: &str,
    device_id: rustok_core::domain::ids::DeviceId,
    device_code: &rustok_core::domain::device::DeviceCode,
    app_version: &str,
) -> EnrolRequest {
    EnrolRequest {
        protocol: PROTOCOL_VERSION,
        code: code.trim().to_owned(),
        device_id,
        tenant_id: None,
        device_code: device_code.as_str().to_owned(),
        app_version: app_version.to_owned(),
    }
}

/// The enrolment request of a device with a shop of its own.
pub fn enrol_request(
    code: &str,
    identity: &rustok_core::store::DeviceIdentity,
    app_version: &str,
) -> EnrolRequest {
    EnrolRequest {
        protocol: PROTOCOL_VERSION,
        code: code.trim().to_owned(),
        device_id: identity.device_id,
        tenant_id: Some(identity.tenant_id),
        device_code: identity.device_code.as_str().to_owned(),
        app_version: app_version.to_owned(),
    }
}
