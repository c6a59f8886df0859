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
mod guard;
mod routes;
pub mod users;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::store::{self, Store};

/// An API error: status, MLflow error code, message.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn invalid(m: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code: "INVALID_PARAMETER_VALUE",
            message: m.into(),
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

    pub fn not_found(m: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            code: "RESOURCE_DOES_NOT_EXIST",
            message: m.into(),
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
            E::Io(..) | E::Database(_) | E::Newer(..) | E::Remote(_) | E::Fixable(..) => {
                (500, "INTERNAL_ERROR")
            }
        };
        ApiError {
            status,
            code,
            message: e.to_string(),
        }
    }
}

impl From<crate::error::CliError> for ApiError {
    fn from(e: crate::error::CliError) -> ApiError {
        match e.kind {
            crate::error::ErrorKind::Usage => ApiError::invalid(e.message),
            crate::error::ErrorKind::Failure if e.message.contains("protected stage") => ApiError {
                status: 403,
                code: "PERMISSION_DENIED",
                message: e.message,
            },
            _ => ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: e.message,
            },
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
    pub store_root: PathBuf,
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
}

/// One writer at a time within this server (other processes still coordinate through SQLite).
static WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

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

/// The request's parameters: the query string for GET, the JSON body otherwise.
fn params(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Map<String, Value>> {
    // As MLflow: GET reads the query string; every other method reads only its JSON body, so a
    // form on another site cannot pass parameters in the URL.
    if *method == Method::GET {
        let out = query_params(uri.query().unwrap_or(""));
        if !out.is_empty() || body.is_empty() {
            return Ok(out);
        }
    }
    if body.is_empty() {
        return Ok(Map::new());
    }
    if *method != Method::GET {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
        {
            return Err(ApiError::invalid(format!(
                "Content-Type must be one of ['application/json'], got '{ct}'"
            )));
        }
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| ApiError {
        status: 400,
        code: "MALFORMED_REQUEST",
        message: format!("invalid JSON body: {e}"),
    })?;
    // A JSON string holding JSON: decode it once more, as MLflow does.
    if let Value::String(s) = &value {
        value = serde_json::from_str(s).map_err(|e| ApiError {
            status: 400,
            code: "MALFORMED_REQUEST",
            message: format!("invalid JSON body: {e}"),
        })?;
    }
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError {
            status: 400,
            code: "MALFORMED_REQUEST",
            message: "the request body must be a JSON object".into(),
        }),
    }
}

/// A query string's parameters: a repeated key, or a list field, becomes an array.
fn query_params(query: &str) -> Map<String, Value> {
    const LISTS: [&str; 5] = [
        "experiment_ids",
        "run_ids",
        "stages",
        "order_by",
        "run_id_list",
    ];
    let mut out = Map::new();
    for (k, v) in form_urlencoded(query) {
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None if LISTS.contains(&k.as_str()) => {
                out.insert(k, Value::Array(vec![Value::String(v)]));
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

/// Decodes `a=1&b=x%20y` (each value decoded exactly once).
pub(crate) fn form_urlencoded(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(a), Some(b)) => {
                    out.push(a * 16 + b);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let mut response =
        catch_panics(async move { route(&shared, method, uri, headers, body).await }).await;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    response
}

/// Writes a proxied artifact from the request body as it arrives, never holding more than a
/// megabyte of it: the path is checked first, the bytes go to a temporary file of their own,
/// and the file is renamed into place only when the whole body arrived within `max` bytes.
async fn stream_upload(
    root: PathBuf,
    rest: String,
    body: axum::body::Body,
    max: usize,
    wait: std::time::Duration,
) -> Response {
    use http_body_util::BodyExt;
    const PIECE: usize = 1 << 20;
    let failed = |e: ApiError| e.response();
    let begun = tokio::task::spawn_blocking(move || artifacts::begin_upload(&root, &rest)).await;
    let mut upload = match begun {
        Ok(Ok(u)) => u,
        Ok(Err(e)) => return failed(e),
        Err(_) => return failed(ApiError::internal("the upload failed")),
    };
    let mut body = body;
    let mut total = 0usize;
    let mut piece: Vec<u8> = Vec::with_capacity(PIECE);
    loop {
        let Ok(frame) = tokio::time::timeout(wait, body.frame()).await else {
            return failed(stalled(wait));
        };
        let done = frame.is_none();
        if let Some(frame) = frame {
            let Ok(frame) = frame else {
                return failed(ApiError::invalid("the upload broke off before its end"));
            };
            if let Ok(data) = frame.into_data() {
                total += data.len();
                if total > max {
                    return failed(ApiError {
                        status: 413,
                        code: "RESOURCE_EXHAUSTED",
                        message: format!(
                            "the request body is larger than the server takes ({max} bytes; see --max-body)"
                        ),
                    });
                }
                piece.extend_from_slice(&data);
            }
        }
        if piece.len() >= PIECE || (done && !piece.is_empty()) {
            let chunk = std::mem::replace(&mut piece, Vec::with_capacity(PIECE));
            let written =
                tokio::task::spawn_blocking(move || upload.write(&chunk).map(|_| upload)).await;
            upload = match written {
                Ok(Ok(u)) => u,
                Ok(Err(e)) => return failed(artifacts::repo_error(e)),
                Err(_) => return failed(ApiError::internal("the upload failed")),
            };
        }
        if done {
            break;
        }
    }
    match tokio::task::spawn_blocking(move || upload.finish()).await {
        Ok(Ok(())) => json_response(StatusCode::OK, json!({})),
        Ok(Err(e)) => failed(artifacts::repo_error(e)),
        Err(_) => failed(ApiError::internal("the upload failed")),
    }
}

/// The 408 answer to a body that stopped arriving.
fn stalled(wait: std::time::Duration) -> ApiError {
    ApiError {
        status: 408,
        code: "REQUEST_TIMEOUT",
        message: format!(
            "the request body stopped arriving for {} s (see --body-timeout)",
            wait.as_secs()
        ),
    }
}

/// A whole request body of at most `max` bytes, each piece arriving within `wait`.
async fn read_body(
    body: axum::body::Body,
    max: usize,
    wait: std::time::Duration,
) -> Result<Vec<u8>, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut out = Vec::new();
    loop {
        let frame = tokio::time::timeout(wait, body.frame())
            .await
            .map_err(|_| stalled(wait))?;
        let Some(frame) = frame else {
            return Ok(out);
        };
        let frame = frame.map_err(|_| ApiError::invalid("the request body broke off"))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > max {
                return Err(ApiError {
                    status: 413,
                    code: "RESOURCE_EXHAUSTED",
                    message: format!(
                        "the request body is larger than the server takes ({max} bytes; see --max-body)"
                    ),
                });
            }
            out.extend_from_slice(&data);
        }
    }
}

/// Runs a request's work as its own task, so that a panic in it answers 500 and the server
/// goes on serving the other requests.
async fn catch_panics(
    work: impl std::future::Future<Output = Response> + Send + 'static,
) -> Response {
    match tokio::spawn(work).await {
        Ok(response) => response,
        Err(e) => ApiError {
            status: 500,
            code: "INTERNAL_ERROR",
            message: if e.is_panic() {
                "the server failed on this request (a bug in mlf; the server goes on)".into()
            } else {
                "the request was cancelled".into()
            },
        }
        .response(),
    }
}

async fn route(
    shared: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let path = uri.path().to_string();
    match path.as_str() {
        "/health" => return (StatusCode::OK, "OK").into_response(),
        "/version" => return (StatusCode::OK, env!("CARGO_PKG_VERSION")).into_response(),
        // As MLflow, answered without credentials: clients read it to learn how to talk to
        // the server, and it holds nothing about the store.
        "/api/3.0/mlflow/server-info" | "/ajax-api/3.0/mlflow/server-info" => {
            return if method == Method::GET {
                json_response(StatusCode::OK, routes::server_info())
            } else {
                ApiError {
                    status: 405,
                    code: "BAD_REQUEST",
                    message: format!("use GET on {path}"),
                }
                .response()
            };
        }
        _ => {}
    }
    if let Err(e) = guard::check(&shared.settings.allowed, &method, &headers) {
        return e.response();
    }
    let user = match auth::authorized(&shared.settings, &headers).await {
        None => return auth::unauthenticated(&shared.settings),
        Some(auth::Caller::Busy) => return auth::busy(),
        Some(auth::Caller::User(name)) => Some(name),
        Some(auth::Caller::Anonymous) => None,
    };
    // Who acts in the registry: the authenticated user; else, on a server without a users
    // file, who the client says it is (`X-Mlf-User`, sent by the mlf CLI); else the server's
    // `MLF_USER`. With a users file, a caller who authenticated with the token is nobody in
    // particular and cannot name themselves, so approval rules hold for every path in.
    let named_by_client = shared.settings.users.is_none();
    let actor = user.or_else(|| {
        if !named_by_client {
            return None;
        }
        headers
            .get("x-mlf-user")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 256)
            .map(str::to_string)
    });
    let root = shared.settings.store_root.clone();
    let max = shared.settings.max_body;
    if method == Method::PUT
        && let Some(rest) = path.strip_prefix("/api/2.0/mlflow-artifacts/artifacts")
    {
        return stream_upload(
            root,
            rest.to_string(),
            body,
            max,
            shared.settings.body_timeout,
        )
        .await;
    }
    let body = match read_body(body, max, shared.settings.body_timeout).await {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    if let Some(rest) = path.strip_prefix("/api/2.0/mlflow-artifacts/artifacts") {
        let rest = rest.to_string();
        let query = uri.query().map(str::to_string);
        let result = tokio::task::spawn_blocking(move || {
            artifacts::handle(&root, &method, &rest, query.as_deref(), &body)
        })
        .await;
        return result.unwrap_or_else(|_| {
            ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: "the request failed".into(),
            }
            .response()
        });
    }
    // MLflow's routes for its UI outside the proto API (downloads, upload, bulk history).
    if routes::is_ui_route(&path) {
        let query = query_params(uri.query().unwrap_or(""));
        let result = tokio::task::spawn_blocking(move || {
            with_store(&root, |store| {
                routes::ui_route(store, &method, &path, &query, &body).unwrap_or_else(|| {
                    Err(ApiError {
                        status: 404,
                        code: "ENDPOINT_NOT_FOUND",
                        message: format!("no endpoint {path}"),
                    })
                })
            })
        })
        .await;
        return match result {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => e.response(),
            Err(_) => ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: "the request failed".into(),
            }
            .response(),
        };
    }
    // MLflow's endpoints, and mlf's own (approvals, history) under `/api/2.0/mlf/`.
    let endpoint = path
        .strip_prefix("/api/2.0/mlflow/")
        .or_else(|| path.strip_prefix("/ajax-api/2.0/mlflow/"))
        .map(str::to_string)
        .or_else(|| {
            path.strip_prefix("/api/2.0/mlf/")
                .map(|e| format!("mlf/{e}"))
        });
    let Some(endpoint) = endpoint else {
        return ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {path}"),
        }
        .response();
    };
    let params = match params(&method, &uri, &headers, &body) {
        Ok(p) => p,
        Err(e) => return e.response(),
    };
    let result = tokio::task::spawn_blocking(move || {
        // Writers take turns here rather than in SQLite's busy loop, whose growing back-off
        // made the slowest writes wait hundreds of milliseconds under load.
        let _turn =
            (method != Method::GET).then(|| WRITES.lock().unwrap_or_else(|e| e.into_inner()));
        with_store(&root, |store| {
            routes::dispatch(store, &method, &endpoint, params, actor.as_deref())
        })
    })
    .await;
    match result {
        Ok(Ok(value)) => json_response(StatusCode::OK, value),
        Ok(Err(e)) => e.response(),
        Err(_) => ApiError {
            status: 500,
            code: "INTERNAL_ERROR",
            message: "the request failed".into(),
        }
        .response(),
    }
}

/// The REST API's router.
pub fn router(settings: Settings) -> Router {
    let max = settings.max_body;
    Router::new()
        .fallback(handle)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                match too_large(req.headers(), max) {
                    Some(refusal) => refusal,
                    None => next.run(req).await,
                }
            },
        ))
        .with_state(Arc::new(Shared { settings }))
}

/// A body announced larger than `max` is refused before it is read (413, and the connection
/// closed), so a client cannot make the server wait for, or buffer, what it will not take.
fn too_large(headers: &HeaderMap, max: usize) -> Option<Response> {
    let length: u64 = headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if length <= max as u64 {
        return None;
    }
    let mut r = ApiError {
        status: 413,
        code: "RESOURCE_EXHAUSTED",
        message: format!(
            "the request body of {length} bytes is larger than the server takes ({max} bytes; see --max-body)"
        ),
    }
    .response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(r)
}

/// Serves the API on `addr` until `stop` resolves; `ready` is told the bound address.
pub async fn serve_until(
    settings: Settings,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    axum::serve(listener, router(settings))
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

/// Runs the server in the foreground until SIGINT or SIGTERM.
pub fn run_foreground(
    settings: Settings,
    addr: SocketAddr,
    ready: &dyn Fn(SocketAddr),
) -> Result<(), String> {
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
    pub fn start(store_root: &Path) -> Result<Embedded, String> {
        let settings = Settings {
            store_root: store_root.to_path_buf(),
            token: None,
            users: None,
            max_body: 512 * 1024 * 1024,
            body_timeout: std::time::Duration::from_secs(60),
            allowed: Allowed::default(),
        };
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot open a local port: {e}"))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let addr = std_listener.local_addr().map_err(|e| e.to_string())?;
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
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
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
            let r = catch_panics(async { panic!("boom") }).await;
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let ok = catch_panics(async { json_response(StatusCode::OK, json!({})) }).await;
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
