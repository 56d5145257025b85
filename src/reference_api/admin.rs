//! Health and the counters tests read afterwards to check what reached the server.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::locks::lock;
use super::AppState;

/// The stats route, which is not itself counted as a request.
const STATS_ROUTE: &str = "/api/v1/admin/stats";

/// The routes served here, as `"METHOD /pattern"` keys for the fault table.
pub(crate) const ROUTES: &[&str] = &["GET /health", "GET /api/v1/admin/stats"];

/// The health and stats routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route(STATS_ROUTE, get(stats))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Current counts: `workers` registered now, `tasks`, `users`, successful `logins`,
/// `distinct_token_users` (users whose own token made an authenticated call), and `requests`
/// received on any route other than this one.
async fn stats(State(state): State<AppState>) -> Json<Value> {
    let store = &state.store;
    let workers = lock(&store.workers).len();
    let tasks = lock(&store.tasks).len();
    let users = lock(&store.users).len();
    let distinct_token_users = lock(&store.sessions).distinct_users();
    Json(json!({
        "workers": workers,
        "tasks": tasks,
        "users": users,
        "logins": store.logins(),
        "distinct_token_users": distinct_token_users,
        "requests": store.requests(),
    }))
}

/// Middleware: counts every request except reads of the stats themselves.
pub(crate) async fn count_requests(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let is_stats =
        request.method() == Method::GET && matched.is_some_and(|path| path.as_str() == STATS_ROUTE);
    if !is_stats {
        state.store.count_request();
    }
    next.run(request).await
}
