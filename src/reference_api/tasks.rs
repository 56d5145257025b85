//! Tasks of the multi-agent platform: submit, get, page through, read progress; plus the
//! caller's own tasks under `/api/v1/me/tasks`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ApiError, IdPath, JsonBody, QueryParams};
use super::locks::{lock, now_millis};
use super::sessions::CurrentUser;
use super::AppState;

/// The routes served here, as `"METHOD /pattern"` keys for the fault table.
pub(crate) const ROUTES: &[&str] = &[
    "POST /api/v1/tasks",
    "GET /api/v1/tasks",
    "GET /api/v1/tasks/{id}",
    "GET /api/v1/tasks/{id}/progress",
    "POST /api/v1/me/tasks",
    "GET /api/v1/me/tasks",
];

/// Page size when the query gives none.
const DEFAULT_PAGE_SIZE: u32 = 20;
/// Larger page sizes are capped to this rather than refused.
const MAX_PAGE_SIZE: u32 = 100;

/// The task routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", post(create).get(list))
        .route("/api/v1/tasks/{id}", get(get_one))
        .route("/api/v1/tasks/{id}/progress", get(progress))
        .route("/api/v1/me/tasks", post(create_mine).get(list_mine))
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// The body of a task submission.
#[derive(Debug, Deserialize)]
pub(crate) struct NewTask {
    title: String,
    description: Option<String>,
    priority: Option<i32>,
}

/// A task as answered by the API; `created_at` is in Unix milliseconds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Task {
    task_id: Uuid,
    title: String,
    description: Option<String>,
    priority: i32,
    status: TaskStatus,
    progress: u8,
    owner_id: Option<Uuid>,
    created_at: u64,
}

/// The query of the list routes: `?page=1&page_size=20&status=pending`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    status: Option<TaskStatus>,
}

/// One page of tasks, with the total across all pages.
#[derive(Debug, Serialize)]
pub(crate) struct TaskPage {
    tasks: Vec<Task>,
    total: usize,
    page: u32,
    page_size: u32,
}

/// All tasks in submission order.
#[derive(Debug, Default)]
pub(crate) struct TaskBoard {
    tasks: Vec<Task>,
    index: HashMap<Uuid, usize>,
}

impl TaskBoard {
    /// Adds a pending task; a blank title is invalid.
    pub(crate) fn create(
        &mut self,
        new: NewTask,
        owner: Option<Uuid>,
        now: u64,
    ) -> Result<Task, ApiError> {
        if new.title.trim().is_empty() {
            return Err(ApiError::InvalidBody("`title` must not be empty".into()));
        }
        let task = Task {
            task_id: Uuid::new_v4(),
            title: new.title,
            description: new.description,
            priority: new.priority.unwrap_or(0),
            status: TaskStatus::Pending,
            progress: 0,
            owner_id: owner,
            created_at: now,
        };
        self.index.insert(task.task_id, self.tasks.len());
        self.tasks.push(task.clone());
        Ok(task)
    }

    /// One task by id.
    pub(crate) fn get(&self, id: Uuid) -> Option<Task> {
        self.index
            .get(&id)
            .and_then(|&at| self.tasks.get(at))
            .cloned()
    }

    /// One page of the tasks matching the query (and the owner, if given).
    ///
    /// Pages start at 1; page 0 or page size 0 is invalid; a page past the end is empty.
    pub(crate) fn page(
        &self,
        query: &ListQuery,
        owner: Option<Uuid>,
    ) -> Result<TaskPage, ApiError> {
        let page = query.page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::InvalidQuery("`page` starts at 1".into()));
        }
        let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page_size == 0 {
            return Err(ApiError::InvalidQuery(
                "`page_size` must be at least 1".into(),
            ));
        }
        let page_size = page_size.min(MAX_PAGE_SIZE);
        let matching = self.tasks.iter().filter(|task| {
            (query.status.is_none() || query.status == Some(task.status))
                && (owner.is_none() || task.owner_id == owner)
        });
        let total = matching.clone().count();
        let skip =
            usize::try_from(u64::from(page - 1) * u64::from(page_size)).unwrap_or(usize::MAX);
        let tasks = matching
            .skip(skip)
            .take(page_size as usize)
            .cloned()
            .collect();
        Ok(TaskPage {
            tasks,
            total,
            page,
            page_size,
        })
    }

    /// How many tasks exist.
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }
}

async fn create(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewTask>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let task = lock(&state.store.tasks).create(new, None, now_millis())?;
    Ok((StatusCode::CREATED, Json(task)))
}

async fn get_one(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<Task>, ApiError> {
    lock(&state.store.tasks)
        .get(id)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn list(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<TaskPage>, ApiError> {
    lock(&state.store.tasks).page(&query, None).map(Json)
}

async fn progress(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<serde_json::Value>, ApiError> {
    let task = lock(&state.store.tasks).get(id).ok_or(ApiError::NotFound)?;
    Ok(Json(serde_json::json!({
        "task_id": task.task_id,
        "progress": task.progress,
        "status": task.status,
    })))
}

async fn create_mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(new): JsonBody<NewTask>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let task = lock(&state.store.tasks).create(new, Some(user), now_millis())?;
    Ok((StatusCode::CREATED, Json(task)))
}

async fn list_mine(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<TaskPage>, ApiError> {
    lock(&state.store.tasks).page(&query, Some(user)).map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(count: usize, owner: Option<Uuid>) -> TaskBoard {
        let mut board = TaskBoard::default();
        for n in 0..count {
            let new = NewTask {
                title: format!("task {n}"),
                description: None,
                priority: None,
            };
            board.create(new, owner, 0).unwrap();
        }
        board
    }

    fn query(page: Option<u32>, page_size: Option<u32>) -> ListQuery {
        ListQuery {
            page,
            page_size,
            status: None,
        }
    }

    #[test]
    fn pages_cover_all_tasks_in_order() {
        let board = board(45, None);
        let third = board.page(&query(Some(3), Some(20)), None).unwrap();
        assert_eq!((third.total, third.tasks.len()), (45, 5));
        assert_eq!(third.tasks[0].title, "task 40");
        let past_end = board.page(&query(Some(9), None), None).unwrap();
        assert!(past_end.tasks.is_empty());
        let huge = board
            .page(&query(Some(u32::MAX), Some(u32::MAX)), None)
            .unwrap();
        assert_eq!(huge.page_size, MAX_PAGE_SIZE);
        assert!(huge.tasks.is_empty());
    }

    #[test]
    fn bad_paging_is_refused() {
        let board = board(1, None);
        assert!(board.page(&query(Some(0), None), None).is_err());
        assert!(board.page(&query(None, Some(0)), None).is_err());
    }

    #[test]
    fn owner_and_status_filter() {
        let owner = Uuid::new_v4();
        let mut board = board(3, None);
        board
            .create(
                NewTask {
                    title: "mine".into(),
                    description: Some("d".into()),
                    priority: Some(5),
                },
                Some(owner),
                0,
            )
            .unwrap();
        let mine = board.page(&ListQuery::default(), Some(owner)).unwrap();
        assert_eq!(mine.total, 1);
        let done = ListQuery {
            status: Some(TaskStatus::Completed),
            ..ListQuery::default()
        };
        assert_eq!(board.page(&done, None).unwrap().total, 0);
        assert!(board
            .create(
                NewTask {
                    title: "".into(),
                    description: None,
                    priority: None
                },
                None,
                0
            )
            .is_err());
    }
}
