//! A route that leaks memory on purpose, so a soak test's `rss_growth` bound can be shown to
//! catch a leak: every request's allocation is kept until the server stops.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{ApiError, QueryParams};
use super::locks::lock;
use super::AppState;

/// The routes served here, as `"METHOD /pattern"` keys for the fault table.
pub(crate) const ROUTES: &[&str] = &["POST /api/v1/debug/leak"];

/// KiB kept per request when the query gives none: 1 MiB.
const DEFAULT_KIB: u64 = 1024;
/// The most one request may keep, so a typo cannot take the machine's memory at once.
const MAX_KIB: u64 = 64 * 1024;

/// The leaking route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/debug/leak", post(leak))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeakQuery {
    /// KiB to keep (default 1024).
    kb: Option<u64>,
}

/// Keeps `kb` KiB (default 1 MiB) for the server's lifetime and answers the total kept:
/// `{ "kept_bytes": ..., "allocations": ... }`.
async fn leak(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<LeakQuery>,
) -> Result<Json<Value>, ApiError> {
    let kib = query.kb.unwrap_or(DEFAULT_KIB);
    if kib > MAX_KIB {
        return Err(ApiError::InvalidQuery(format!(
            "kb must be at most {MAX_KIB} (64 MiB per request)"
        )));
    }
    let bytes = usize::try_from(kib * 1024)
        .map_err(|_| ApiError::InvalidQuery("kb is too large for this machine".into()))?;
    // Filled with a non-zero byte so every page is written, and resident: zeroed memory may be
    // mapped lazily and would not show in the resident size.
    let block = vec![0xA5_u8; bytes];
    let mut leaked = lock(&state.store.leaked);
    leaked.push(block);
    let kept: usize = leaked.iter().map(Vec::len).sum();
    Ok(Json(json!({
        "kept_bytes": kept,
        "allocations": leaked.len(),
    })))
}
