//! The embedded reference API: a real HTTP server modelled on a multi-agent task platform
//! (workers, tasks, accounts), used as the default target when no target is configured.
//!
//! It runs on its own OS thread with its own two-worker tokio runtime, so it never competes with
//! the measuring loop's scheduler, and listens on `127.0.0.1` with an OS-assigned port. Faults can
//! be injected per route to prove that a slow or failing endpoint fails its gate.
//!
//! ```no_run
//! use std::time::Duration;
//! use loadgate::reference_api::{Fault, ReferenceApi};
//!
//! let api = ReferenceApi::new()
//!     .fault("POST /api/v1/tasks", Fault::delay(Duration::from_millis(300)))
//!     .start()?;
//! println!("serving on {}", api.base_url());
//! api.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

mod admin;
mod auth;
mod error;
mod faults;
mod leak;
mod locks;
mod sessions;
mod store;
mod tasks;
mod workers;

use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::sync::watch;

pub use faults::Fault;

use faults::FaultTable;
use store::Store;

/// How long in-flight requests may finish after a shutdown request before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What every handler can reach.
#[derive(Debug, Clone)]
struct AppState {
    store: Arc<Store>,
}

/// Builder for the reference API: add faults and token limits, then [`ReferenceApi::start`].
#[derive(Debug, Clone, Default)]
pub struct ReferenceApi {
    faults: FaultTable,
    token_max_uses: Option<u32>,
    port: u16,
}

impl ReferenceApi {
    /// A server with no faults and tokens that never expire.
    pub fn new() -> Self {
        Self::default()
    }

    /// Injects a fault on one route, keyed by method and axum route pattern, e.g.
    /// `"POST /api/v1/tasks"` or `"GET /api/v1/workers/{id}"`; a later fault on the same route
    /// replaces an earlier one. [`ReferenceApi::start`] refuses routes the server does not have.
    pub fn fault(mut self, route: &str, fault: Fault) -> Self {
        self.faults.insert(route, fault);
        self
    }

    /// Makes each token answer 401 after this many authenticated uses, so clients must log in
    /// again (refresh-on-401). Default: unlimited.
    pub fn token_max_uses(mut self, uses: u32) -> Self {
        self.token_max_uses = Some(uses);
        self
    }

    /// Listens on this port of 127.0.0.1 instead of one the OS assigns.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Every route as a `"METHOD /pattern"` key, the form [`ReferenceApi::fault`] accepts.
    pub fn routes() -> Vec<&'static str> {
        [
            admin::ROUTES,
            workers::ROUTES,
            tasks::ROUTES,
            auth::ROUTES,
            leak::ROUTES,
        ]
        .concat()
    }

    /// Starts the server on its own thread and runtime, bound to `127.0.0.1` (port 0, chosen by
    /// the OS, unless [`ReferenceApi::port`] says otherwise).
    ///
    /// Returns once the listener is bound and served; works inside or outside a tokio runtime.
    /// Fails with `InvalidInput` if a fault names a route the server does not have.
    pub fn start(self) -> io::Result<RunningApi> {
        let unknown = self.faults.unknown_routes(&Self::routes());
        if !unknown.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "fault on unknown route(s) {}; known routes: {}",
                    unknown.join(", "),
                    Self::routes().join(", ")
                ),
            ));
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let app = router(
            AppState {
                store: Arc::new(Store::new(self.token_max_uses)),
            },
            self.faults,
        );
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("loadgate-reference-api".into())
            .spawn(move || serve(listener, app, stopped, ready_tx))?;
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(io::Error::other(
                "reference API thread ended before serving",
            ))
        });
        let running = RunningApi {
            addr,
            base_url: format!("http://{addr}"),
            stop,
            thread: Some(thread),
        };
        ready.map(|()| running)
    }
}

/// Assembles the routes; requests are counted first, then faults applied, then handled.
fn router(state: AppState, faults: FaultTable) -> Router {
    Router::new()
        .merge(admin::routes())
        .merge(workers::routes())
        .merge(tasks::routes())
        .merge(auth::routes())
        .merge(leak::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(from_fn_with_state(Arc::new(faults), faults::inject))
        .layer(from_fn_with_state(state.clone(), admin::count_requests))
        .with_state(state)
}

/// The server thread: builds its runtime, reports readiness, serves until told to stop.
fn serve(
    listener: TcpListener,
    app: Router,
    mut stopped: watch::Receiver<bool>,
    ready: mpsc::Sender<io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("loadgate-reference-api-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let mut graceful = stopped.clone();
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // A dropped sender also means stop.
                let _ = graceful.wait_for(|stop| *stop).await;
            })
            .into_future();
        let deadline = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            _ = server => {}
            () = deadline => {}
        }
    });
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
}

/// The whole of a program serving the reference API on `127.0.0.1` at the port given as its
/// first argument (default 8000, `0` for any free one) until it is stopped: the
/// `loadgate-reference-api` binary and the `reference_api` example. Prints the base URL once it
/// listens.
pub fn serve_from_args() -> ! {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 8000,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: loadgate-reference-api [PORT]   (default 8000)");
            std::process::exit(2);
        }
    };
    match ReferenceApi::new().port(port).start() {
        Ok(api) => {
            println!("reference API listening on {}", api.base_url());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("cannot start the reference API on port {port}: {e}");
            std::process::exit(1);
        }
    }
}

/// A started reference API; stops when shut down or dropped.
#[derive(Debug)]
pub struct RunningApi {
    addr: SocketAddr,
    base_url: String,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl RunningApi {
    /// The URL to prefix paths with, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish (up to one second), and joins the thread;
    /// the port is free when this returns.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for RunningApi {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // A panicked server thread has nothing left to clean up.
            let _ = thread.join();
        }
    }
}
