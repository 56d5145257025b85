//! The in-memory data of one running server, one lock per area so areas do not contend (see
//! [`super::locks`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
    logins: AtomicU64,
    requests: AtomicU64,
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

    /// Counts a successful log-in.
    pub(crate) fn count_login(&self) {
        self.logins.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request served.
    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Successful log-ins so far.
    pub(crate) fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// Requests served so far.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
