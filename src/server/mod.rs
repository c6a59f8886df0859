//! `mlf server`: MLflow's REST API over the same store the CLI uses, so the `mlflow` Python
//! client logs into mlf unchanged. Requests are decoded as MLflow does (GET: query string;
//! other methods: a JSON body), answered with MLflow's shapes, error codes and statuses —
//! never a 5xx for a client's mistake, since MLflow's client retries those for minutes.
//!
//! Artifacts are served through the proxy routes (`/api/2.0/mlflow-artifacts/...`): runs and
//! experiments are presented with `mlflow-artifacts:/` URIs that map onto the store's own
//! `artifacts/` and `registry/` folders, and no path may leave them. The UI's routes outside
//! the proto API (`/get-artifact`, `/model-versions/get-artifact`, logged-model files, the
//! small upload, the bulk metric history) go through the same checks; `server-info`, like
//! `/health`, needs no credentials.

mod artifacts;
mod auth;
mod body;
mod bucket;
mod mime;
mod params;

pub(crate) use params::{form_urlencoded, percent_decode};
mod guard;
mod router;
mod routes;
mod stores;
pub mod users;
mod webhooks;
mod writer;

pub use stores::Source;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::serving::http::ServeError;
use crate::store::{self, Store};

/// An API error: status, MLflow error code, message.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn invalid(m: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 400,
            code: "INVALID_PARAMETER_VALUE",
            message: m.to_string(),
        }
    }

    /// A failure on the server's side (500).
    pub fn internal(m: &str) -> ApiError {
        ApiError {
            status: 500,
            code: "INTERNAL_ERROR",
            message: m.to_string(),
        }
    }

    pub fn not_found(m: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 404,
            code: "RESOURCE_DOES_NOT_EXIST",
            message: m.to_string(),
        }
    }

    fn response(&self) -> Response {
        json_response(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
            json!({ "error_code": self.code, "message": self.message }),
        )
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> ApiError {
        use store::Error as E;
        let (status, code) = match e.plain() {
            E::NotFound(_) | E::NoStore(_) => (404, "RESOURCE_DOES_NOT_EXIST"),
            E::Unsupported(_) => (404, "ENDPOINT_NOT_FOUND"),
            E::Invalid(_) => (400, "INVALID_PARAMETER_VALUE"),
            E::AlreadyExists(_) => (400, "RESOURCE_ALREADY_EXISTS"),
            E::InvalidState(_) => (400, "INVALID_STATE"),
            E::Refused(_) => (403, "PERMISSION_DENIED"),
            // Clients (MLflow's among them) retry a 503.
            E::Unavailable(_) => (503, "TEMPORARILY_UNAVAILABLE"),
            E::Io(..) | E::Database(_) | E::Newer(..) | E::Remote(_) | E::Fixable(..) => {
                (500, "INTERNAL_ERROR")
            }
        };
        let message = match e.plain() {
            E::NotFound(missing) => mlflow_message(missing).unwrap_or_else(|| e.to_string()),
            _ => e.to_string(),
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

impl From<crate::ops::Error> for ApiError {
    fn from(e: crate::ops::Error) -> ApiError {
        match e {
            crate::ops::Error::Store(e) => e.into(),
            crate::ops::Error::Policy(e) => ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: e.to_string(),
            },
        }
    }
}

/// MLflow's own message for what was not found, where MLflow has one.
fn mlflow_message(missing: &store::Missing) -> Option<String> {
    use store::Missing as M;
    Some(match missing {
        M::Experiment(id) => format!("No Experiment with id={id} exists"),
        M::Run(id) => format!("Run with id={id} not found"),
        M::RegisteredModel(name) => format!("Registered Model with name={name} not found"),
        M::ModelVersion { name, version } => {
            format!("Model Version (name={name}, version={version}) not found")
        }
        M::LoggedModel(id) => format!("Logged model with ID '{id}' not found."),
        _ => return None,
    })
}

impl From<crate::models::Error> for ApiError {
    fn from(e: crate::models::Error) -> ApiError {
        use store::Error as E;
        let (status, code) = match &e {
            crate::models::Error::Store(s) => match s.plain() {
                E::NotFound(_)
                | E::Invalid(_)
                | E::AlreadyExists(_)
                | E::InvalidState(_)
                | E::Unsupported(_) => (400, "INVALID_PARAMETER_VALUE"),
                E::Refused(_) => (403, "PERMISSION_DENIED"),
                // Clients (MLflow's among them) retry a 503.
                E::Unavailable(_) => (503, "TEMPORARILY_UNAVAILABLE"),
                _ => (500, "INTERNAL_ERROR"),
            },
            e if e.is_usage() => (400, "INVALID_PARAMETER_VALUE"),
            _ => (500, "INTERNAL_ERROR"),
        };
        ApiError {
            status,
            code,
            message: e.to_string(),
        }
    }
}

pub type ApiResult<T = Value> = Result<T, ApiError>;

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    let mut r = (
        status,
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The store served: a store directory or a database.
    pub store: Source,
    /// Bearer token every request must carry, when set.
    pub token: Option<String>,
    /// Users whose HTTP Basic name and password every request must carry (or the token), when
    /// set.
    pub users: Option<Arc<users::Users>>,
    pub max_body: usize,
    /// Longest wait for the next piece of a request body before answering 408.
    pub body_timeout: std::time::Duration,
    /// Host names and origins accepted beyond the server's own.
    pub allowed: guard::Allowed,
}

pub use guard::Allowed;

struct Shared {
    settings: Settings,
    /// How requests reach the store: for a store directory, through the one writer of this
    /// server (group commit; other processes still coordinate through SQLite); for a
    /// database, through a pool of connections.
    stores: stores::Stores,
    /// Delivers registry events to webhooks after each write; for a store directory only.
    webhooks: Option<webhooks::Dispatcher>,
}

thread_local! {
    /// One store connection per blocking thread, opened on first use.
    static STORE: RefCell<Option<(PathBuf, Store)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's connection to the store.
pub(crate) fn with_store<T>(
    root: &Path,
    f: impl FnOnce(&mut Store) -> ApiResult<T>,
) -> ApiResult<T> {
    STORE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(r, _)| r != root) {
            *slot = Some((root.to_path_buf(), Store::open(root)?));
        }
        let (_, store) = slot.as_mut().expect("opened");
        f(store)
    })
}

/// Whether a call may change the store: every method but GET, except the searches that
/// MLflow's clients send as POST and the reads of push and pull (digests, export).
fn writes(method: &Method, endpoint: &str) -> bool {
    *method != Method::GET
        && !endpoint.ends_with("/search")
        && !endpoint.ends_with("/test")
        && !matches!(
            endpoint,
            "mlf/sync/digests"
                | "mlf/sync/export"
                | "mlf/sync/registry/digests"
                | "mlf/sync/registry/export"
        )
}

/// Whether a write through `endpoint` may record registry events (the webhooks' outbox): every
/// write but the tracking ones.
fn may_record_registry_events(endpoint: &str) -> bool {
    !["runs/", "experiments/", "logged-models/", "metrics/"]
        .iter()
        .any(|p| endpoint.starts_with(p))
}

/// The gate every request passes, for the web UI's router (`crate::web`): the `Host`/`Origin`
/// guard, then the same credentials as the API. `Ok` holds the authenticated user, if any.
pub(crate) async fn admit(
    settings: &Settings,
    method: &Method,
    headers: &axum::http::HeaderMap,
) -> Result<Option<String>, Response> {
    guard::check(&settings.allowed, method, headers).map_err(|e| e.response())?;
    match auth::authorized(settings, headers).await {
        None => Err(auth::unauthenticated(settings)),
        Some(auth::Caller::Busy) => Err(auth::busy()),
        Some(auth::Caller::User(name)) => Ok(Some(name)),
        Some(auth::Caller::Anonymous) => Ok(None),
    }
}

/// The REST API's router, with the web UI (`crate::web`) beside it (`router.rs`).
pub fn router(settings: Settings) -> Router {
    router::build(settings)
}

/// Serves the API on `addr` until `stop` resolves; `ready` is told the bound address.
pub async fn serve_until(
    settings: Settings,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(listener, router(settings))
        .with_graceful_shutdown(stop)
        .await
        .map_err(ServeError::Stopped)
}

/// Runs the server in the foreground until SIGINT or SIGTERM.
pub fn run_foreground(
    settings: Settings,
    addr: SocketAddr,
    ready: &dyn Fn(SocketAddr),
) -> Result<(), ServeError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    crate::serving::http::run_until_signal(router(settings), addr, threads, ready)
}

/// A server on a free loopback port, in a background thread, for the duration of a run: the
/// `mlflow` client inside `mlf run` logs through it. Stops when dropped.
pub struct Embedded {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Embedded {
    pub fn start(store_root: &Path) -> Result<Embedded, ServeError> {
        let settings = Settings {
            store: Source::Dir(store_root.to_path_buf()),
            token: None,
            users: None,
            max_body: 512 * 1024 * 1024,
            body_timeout: std::time::Duration::from_secs(60),
            allowed: Allowed::default(),
        };
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(ServeError::LocalPort)?;
        std_listener
            .set_nonblocking(true)
            .map_err(ServeError::Socket)?;
        let addr = std_listener.local_addr().map_err(ServeError::Socket)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mlf-server".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let _ = serve_until(settings, listener, async move {
                        let _ = rx.await;
                    })
                    .await;
                });
            })
            .map_err(ServeError::Thread)?;
        Ok(Embedded {
            url: format!("http://{addr}"),
            stop: Some(tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_answers_500_and_the_next_request_is_served() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = router::guarded_task(async { panic!("boom") }).await;
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let ok = router::guarded_task(async { json_response(StatusCode::OK, json!({})) }).await;
            assert_eq!(ok.status(), StatusCode::OK);
        });
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%252e"), "%2e");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(
            auth::base64_decode("dXNlcjpzM2NyZXQ=").unwrap(),
            b"user:s3cret"
        );
    }
}
