//! The one error type every handler returns, and the extractors that turn bad input into it.
//!
//! Request input never panics: bodies, queries and path ids are parsed here and every failure
//! becomes a JSON answer with the status a client of the modelled platform expects.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

/// Why a request was refused; each variant maps to one status code and JSON body.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The route or the resource does not exist (unknown and malformed ids included).
    #[error("not found")]
    NotFound,
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A unique field (worker name, username) is already taken.
    #[error("{0}")]
    Conflict(String),
    /// The JSON body is missing, malformed, of the wrong shape or fails validation.
    #[error("{0}")]
    InvalidBody(String),
    /// The query string cannot be parsed or holds out-of-range values.
    #[error("{0}")]
    InvalidQuery(String),
    /// No usable token: missing, unknown, or past its allowed number of uses.
    #[error("unauthorized")]
    Unauthorized,
    /// Login with an unknown username or a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A fault configured for this route answered instead of the handler.
    #[error("injected fault")]
    Injected(StatusCode),
    /// Something on the server side failed (a hashing task that did not finish).
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, json!({ "error": "not_found" })),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({ "error": "method_not_allowed" }),
            ),
            Self::Conflict(detail) => (
                StatusCode::CONFLICT,
                json!({ "error": "conflict", "detail": detail }),
            ),
            Self::InvalidBody(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "invalid_body", "detail": detail }),
            ),
            Self::InvalidQuery(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "invalid_query", "detail": detail }),
            ),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, json!({ "error": "unauthorized" })),
            Self::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_credentials" }),
            ),
            Self::Injected(status) => (
                *status,
                json!({ "error": "injected_fault", "status": status.as_u16() }),
            ),
            Self::Internal(detail) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal", "detail": detail }),
            ),
        };
        (status, Json(body)).into_response()
    }
}

/// A JSON body parsed with serde; every failure (bad JSON, wrong type, missing field) is a 422.
///
/// axum's own `Json` answers 400 or 415 for some of these; the modelled platform answers 422.
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::InvalidBody(rejection.body_text()))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON document, mapping serde's message (which names the field and position) to a 422.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|error| ApiError::InvalidBody(error.to_string()))
}

/// A query string parsed with serde; failures are a 422 rather than axum's 400.
pub(crate) struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|rejection: QueryRejection| ApiError::InvalidQuery(rejection.body_text()))
    }
}

/// The `{id}` segment of a route as a UUID; anything that is not one is a 404, like an unknown id.
pub(crate) struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Uuid::parse_str(&raw)
            .map(IdPath)
            .map_err(|_| ApiError::NotFound)
    }
}

/// Answers routes that do not exist.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Answers known routes called with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn wrong_json_names_the_problem() {
        let error = parse_json::<Body>(br#"{"name": 3}"#).unwrap_err();
        assert!(error.to_string().contains("invalid type"), "{error}");
        let error = parse_json::<Body>(b"{}").unwrap_err();
        assert!(
            error.to_string().contains("missing field `name`"),
            "{error}"
        );
        let error = parse_json::<Body>(b"{not json").unwrap_err();
        assert!(matches!(error, ApiError::InvalidBody(_)));
    }

    #[test]
    fn injected_status_is_answered() {
        let response = ApiError::Injected(StatusCode::SERVICE_UNAVAILABLE).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = ApiError::InvalidQuery("page".into()).into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
