//! Workers of the multi-agent platform: register, heartbeat, list, get, unregister.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{parse_json, ApiError, IdPath, JsonBody, QueryParams};
use super::locks::{lock, now_millis};
use super::AppState;

/// The routes served here, as `"METHOD /pattern"` keys for the fault table.
pub(crate) const ROUTES: &[&str] = &[
    "POST /api/v1/workers/register",
    "POST /api/v1/workers/{id}/heartbeat",
    "GET /api/v1/workers",
    "GET /api/v1/workers/{id}",
    "DELETE /api/v1/workers/{id}",
];

/// The worker routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workers/register", post(register))
        .route("/api/v1/workers/{id}/heartbeat", post(heartbeat))
        .route("/api/v1/workers", get(list))
        .route("/api/v1/workers/{id}", get(get_one).delete(unregister))
}

/// What a worker reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WorkerStatus {
    Online,
    Offline,
    Busy,
}

/// The body of `POST /api/v1/workers/register`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewWorker {
    name: String,
    capabilities: Vec<String>,
    max_concurrent_tasks: u32,
}

/// The optional body of a heartbeat: a worker may report a new status with it.
#[derive(Debug, Default, Deserialize)]
struct Heartbeat {
    status: Option<WorkerStatus>,
}

/// The `status` filter of the list route.
#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<WorkerStatus>,
}

/// A registered worker as answered by the API; timestamps are Unix milliseconds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Worker {
    worker_id: Uuid,
    name: String,
    capabilities: Vec<String>,
    max_concurrent_tasks: u32,
    status: WorkerStatus,
    registered_at: u64,
    last_heartbeat: u64,
    #[serde(skip)]
    order: u64,
}

/// All registered workers, unique by name.
#[derive(Debug, Default)]
pub(crate) struct WorkerRegistry {
    by_id: HashMap<Uuid, Worker>,
    id_by_name: HashMap<String, Uuid>,
    registered: u64,
}

impl WorkerRegistry {
    /// Registers a worker; a blank name or zero capacity is invalid, a taken name a conflict.
    pub(crate) fn register(&mut self, new: NewWorker, now: u64) -> Result<Worker, ApiError> {
        if new.name.trim().is_empty() {
            return Err(ApiError::InvalidBody("`name` must not be empty".into()));
        }
        if new.max_concurrent_tasks == 0 {
            return Err(ApiError::InvalidBody(
                "`max_concurrent_tasks` must be at least 1".into(),
            ));
        }
        if self.id_by_name.contains_key(&new.name) {
            return Err(ApiError::Conflict(format!(
                "a worker named `{}` is already registered",
                new.name
            )));
        }
        self.registered += 1;
        let worker = Worker {
            worker_id: Uuid::new_v4(),
            name: new.name,
            capabilities: new.capabilities,
            max_concurrent_tasks: new.max_concurrent_tasks,
            status: WorkerStatus::Online,
            registered_at: now,
            last_heartbeat: now,
            order: self.registered,
        };
        self.id_by_name
            .insert(worker.name.clone(), worker.worker_id);
        self.by_id.insert(worker.worker_id, worker.clone());
        Ok(worker)
    }

    /// Records a heartbeat, optionally with a new status.
    pub(crate) fn heartbeat(
        &mut self,
        id: Uuid,
        status: Option<WorkerStatus>,
        now: u64,
    ) -> Option<Worker> {
        let worker = self.by_id.get_mut(&id)?;
        worker.last_heartbeat = now;
        if let Some(status) = status {
            worker.status = status;
        }
        Some(worker.clone())
    }

    /// One worker by id.
    pub(crate) fn get(&self, id: Uuid) -> Option<Worker> {
        self.by_id.get(&id).cloned()
    }

    /// Workers in registration order, optionally only those with one status.
    pub(crate) fn list(&self, status: Option<WorkerStatus>) -> Vec<Worker> {
        let mut workers: Vec<Worker> = self
            .by_id
            .values()
            .filter(|worker| match status {
                Some(wanted) => worker.status == wanted,
                None => true,
            })
            .cloned()
            .collect();
        workers.sort_unstable_by_key(|worker| worker.order);
        workers
    }

    /// Removes a worker; false if it was not registered.
    pub(crate) fn unregister(&mut self, id: Uuid) -> bool {
        match self.by_id.remove(&id) {
            Some(worker) => {
                self.id_by_name.remove(&worker.name);
                true
            }
            None => false,
        }
    }

    /// How many workers are registered.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }
}

async fn register(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewWorker>,
) -> Result<(StatusCode, Json<Worker>), ApiError> {
    let worker = lock(&state.store.workers).register(new, now_millis())?;
    Ok((StatusCode::CREATED, Json(worker)))
}

async fn heartbeat(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    body: Bytes,
) -> Result<Json<Worker>, ApiError> {
    let beat: Heartbeat = if body.iter().all(u8::is_ascii_whitespace) {
        Heartbeat::default()
    } else {
        parse_json(&body)?
    };
    lock(&state.store.workers)
        .heartbeat(id, beat.status, now_millis())
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn list(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Json<serde_json::Value> {
    let workers = lock(&state.store.workers).list(query.status);
    Json(serde_json::json!({ "total": workers.len(), "workers": workers }))
}

async fn get_one(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<Worker>, ApiError> {
    lock(&state.store.workers)
        .get(id)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn unregister(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    if lock(&state.store.workers).unregister(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_worker(name: &str, max: u32) -> NewWorker {
        NewWorker {
            name: name.into(),
            capabilities: vec!["code".into()],
            max_concurrent_tasks: max,
        }
    }

    #[test]
    fn names_are_unique_until_unregistered() {
        let mut registry = WorkerRegistry::default();
        let first = registry.register(new_worker("a", 1), 1).unwrap();
        assert!(matches!(
            registry.register(new_worker("a", 1), 2),
            Err(ApiError::Conflict(_))
        ));
        assert!(registry.unregister(first.worker_id));
        assert!(!registry.unregister(first.worker_id));
        assert!(registry.register(new_worker("a", 1), 3).is_ok());
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn invalid_workers_are_refused() {
        let mut registry = WorkerRegistry::default();
        assert!(matches!(
            registry.register(new_worker(" ", 1), 1),
            Err(ApiError::InvalidBody(_))
        ));
        assert!(matches!(
            registry.register(new_worker("b", 0), 1),
            Err(ApiError::InvalidBody(_))
        ));
    }

    #[test]
    fn heartbeat_updates_status_and_list_filters_in_order() {
        let mut registry = WorkerRegistry::default();
        let a = registry.register(new_worker("a", 1), 1).unwrap();
        registry.register(new_worker("b", 1), 1).unwrap();
        let beat = registry
            .heartbeat(a.worker_id, Some(WorkerStatus::Busy), 9)
            .unwrap();
        assert_eq!((beat.last_heartbeat, beat.status), (9, WorkerStatus::Busy));
        let names = |list: Vec<Worker>| list.into_iter().map(|w| w.name).collect::<Vec<_>>();
        assert_eq!(names(registry.list(None)), ["a", "b"]);
        assert_eq!(names(registry.list(Some(WorkerStatus::Online))), ["b"]);
        assert!(registry.heartbeat(Uuid::new_v4(), None, 1).is_none());
    }
}
