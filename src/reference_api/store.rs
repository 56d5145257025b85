//! The in-memory data of one running server, one lock per area so areas do not contend.
//!
//! Locks are `std::sync::Mutex` held only for map operations, never across an `.await`, and a
//! poisoned lock is taken over rather than turned into a panic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::auth::UserDirectory;
use super::sessions::SessionTable;
use super::tasks::TaskBoard;
use super::workers::WorkerRegistry;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) workers: Mutex<WorkerRegistry>,
    pub(crate) tasks: Mutex<TaskBoard>,
    pub(crate) users: Mutex<UserDirectory>,
    pub(crate) sessions: Mutex<SessionTable>,
    pub(crate) logins: AtomicU64,
    pub(crate) requests: AtomicU64,
    /// What the leaking debug route keeps, until the server stops.
    pub(crate) leaked: Mutex<Vec<Vec<u8>>>,
}

impl Store {
    /// An empty store whose tokens expire after `token_max_uses` authenticated calls, if set.
    pub(crate) fn new(token_max_uses: Option<u32>) -> Self {
        Self {
            workers: Mutex::default(),
            tasks: Mutex::default(),
            users: Mutex::default(),
            sessions: Mutex::new(SessionTable::new(token_max_uses)),
            logins: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            leaked: Mutex::default(),
        }
    }

    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wall-clock time in milliseconds since the Unix epoch, the unit of every timestamp we answer.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
