//! Every failure the relay answers with, mapped onto the §8 error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wallet_core::ErrorCode;
use wallet_core::rules::Refusal;
use wallet_core::serve::ServeError;
use wallet_core::wire::ErrorBody;

/// Storage failures are wallet-core's ([`wallet_core::serve`] is where the
/// endpoint logic meets the storage transaction).
pub use wallet_core::serve::{StoreError, StoreResult};

/// `Retry-After` of a 503, in seconds: about the pool's wait
/// ([`crate::store::pg_pool::POOL_WAIT`]); a client adds its own backoff.
pub const RETRY_AFTER_SECS: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A protocol answer: one of the §8 codes.
    #[error("{code}: {message}")]
    Protocol { code: ErrorCode, message: String },
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The relay's own failure (storage, randomness): never caused by input.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Overloaded, out of time, or the database unreachable: 503 with
    /// `Retry-After`.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A client over its share (§9 `--rate-limit`, `--max-waits-per-ip`):
    /// 429 `rate_limited` with `Retry-After` (seconds).
    #[error("rate limited: {0}")]
    RateLimited(String, u32),
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Protocol {
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadRequest, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, message)
    }
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Protocol { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Protocol {
            code: r.code,
            message: r.message,
        }
    }
}

impl From<ServeError> for ApiError {
    fn from(e: ServeError) -> Self {
        match e {
            ServeError::Refused(r) => r.into(),
            ServeError::Store(e) => ApiError::Store(e),
        }
    }
}

/// A JSON answer (every answer of the API, 200 or not).
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The §8 answer: `status` and the error body.
fn answer(status: u16, body: &ErrorBody) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, wallet_core::wire::encode(body))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // §8: a 429 or 503 comes with `Retry-After`.
        let retry_after = match &self {
            ApiError::RateLimited(_, secs) => Some(*secs),
            ApiError::Unavailable(_) => Some(RETRY_AFTER_SECS),
            _ => None,
        };
        // Status and body as wallet-core maps them (`ServeError::status`,
        // `ServeError::body`), the simulated relay's mapping too.
        let served: ServeError = match self {
            ApiError::Protocol { code, message } => Refusal::new(code, message).into(),
            ApiError::MethodNotAllowed => {
                return answer(
                    StatusCode::METHOD_NOT_ALLOWED.as_u16(),
                    &ErrorBody::new(
                        ErrorCode::BadRequest,
                        "this method is not allowed on this path",
                    ),
                );
            }
            // Not a protocol code: the relay's own trouble, never the
            // client's input; its details stay in the log.
            ApiError::Store(e) => {
                tracing::error!(error = %e.message, "storage failure");
                ServeError::Store(e)
            }
            ApiError::RateLimited(why, _) => Refusal::new(ErrorCode::RateLimited, why).into(),
            ApiError::Unavailable(why) => Refusal::new(ErrorCode::Unavailable, why).into(),
        };
        let mut resp = answer(served.status(), &served.body());
        if let Some(secs) = retry_after {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_is_503_with_retry_after() {
        let r = ApiError::Unavailable("busy".into()).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.headers().get(axum::http::header::RETRY_AFTER).unwrap(),
            &RETRY_AFTER_SECS.to_string()
        );
        let r = ApiError::Store(StoreError::new("disk on fire")).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.headers().get(axum::http::header::RETRY_AFTER).is_none());
    }

    /// An answer's status, `Retry-After`, and §8 body.
    async fn answer_of(e: ApiError) -> (u16, Option<String>, serde_json::Value) {
        let r = e.into_response();
        assert_eq!(
            r.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get(axum::http::header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn every_answer_is_a_section_8_body() {
        let cases = [
            (
                ApiError::new(ErrorCode::BatchLocked, "locked"),
                409,
                None,
                "batch_locked",
                "locked",
            ),
            (
                ApiError::bad_request("bad"),
                400,
                None,
                "bad_request",
                "bad",
            ),
            (ApiError::not_found("gone"), 404, None, "not_found", "gone"),
            (
                ApiError::MethodNotAllowed,
                405,
                None,
                "bad_request",
                "this method is not allowed on this path",
            ),
            (
                ApiError::Store(StoreError::new("disk on fire")),
                500,
                None,
                "internal",
                wallet_core::serve::INTERNAL_MESSAGE,
            ),
            (
                ApiError::RateLimited("slow down".into(), 7),
                429,
                Some("7"),
                "rate_limited",
                "slow down",
            ),
            (
                ApiError::Unavailable("busy".into()),
                503,
                Some("2"),
                "unavailable",
                "busy",
            ),
        ];
        for (e, status, retry, code, message) in cases {
            let shown = e.to_string();
            assert_eq!(
                answer_of(e).await,
                (
                    status,
                    retry.map(String::from),
                    serde_json::json!({"error": {"code": code, "message": message}})
                ),
                "{shown}"
            );
        }
    }
}
