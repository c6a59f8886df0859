//! The scoring server: `/ping`, `/health`, `/version`, `/invocations`, with MLflow's status
//! codes and bodies, a request body limit, and a graceful stop on SIGINT or SIGTERM. This and
//! `server` are the only places that start an async runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{Predictor, ScoringError, content_kind, parse_request_typed};

type Shared = Arc<dyn Predictor>;

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_response(e: ScoringError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    if e.plain {
        let mut r = (status, e.body()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    } else {
        json_response(status, e.body())
    }
}

/// An answer made by MLflow's scoring code, sent as it is.
fn raw_response(r: super::Raw) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, r.body).into_response();
    let ct = if r.mimetype.starts_with("text/") && !r.mimetype.contains("charset") {
        format!("{}; charset=utf-8", r.mimetype)
    } else {
        r.mimetype
    };
    if let Ok(v) = HeaderValue::from_str(&ct) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// 200 while the model can answer; 503 when it cannot (its workers died and none restarts).
async fn ping(State(model): State<Shared>) -> Response {
    let healthy = tokio::task::spawn_blocking(move || model.healthy())
        .await
        .unwrap_or(false);
    if healthy {
        json_response(StatusCode::OK, "\n".into())
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error_code": "TEMPORARILY_UNAVAILABLE", "message": "the model's workers are not running" }).to_string(),
        )
    }
}

async fn version() -> Response {
    json_response(StatusCode::OK, format!("mlf {}", env!("CARGO_PKG_VERSION")))
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        json!({ "detail": "Not Found" }).to_string(),
    )
}

async fn not_allowed() -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({ "detail": "Method Not Allowed" }).to_string(),
    )
}

async fn invocations(State(model): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if let Some(ct) = ct.map(str::to_string) {
        let (m, b) = (model.clone(), body.clone());
        let raw = tokio::task::spawn_blocking(move || m.invoke(&b, &ct)).await;
        match raw {
            Ok(Some(Ok(r))) => return raw_response(r),
            Ok(Some(Err(e))) => return error_response(e),
            Ok(None) => {}
            Err(_) => {
                return error_response(ScoringError {
                    status: 500,
                    code: "INTERNAL_ERROR",
                    message: "the prediction failed".into(),
                    plain: false,
                    classified: false,
                });
            }
        }
    }
    let kind = match content_kind(ct) {
        Ok(k) => k,
        Err(e) => return error_response(e),
    };
    let types = model.column_types();
    let (input, params) = match parse_request_typed(kind, &body, &types) {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let result = tokio::task::spawn_blocking(move || model.predict(input, params)).await;
    match result {
        Ok(Ok(predictions)) => json_response(
            StatusCode::OK,
            json!({ "predictions": predictions }).to_string(),
        ),
        Ok(Err(e)) => error_response(e),
        Err(_) => error_response(ScoringError {
            status: 500,
            code: "INTERNAL_ERROR",
            message: "the prediction failed".into(),
            plain: false,
            classified: false,
        }),
    }
}

/// The scoring routes.
pub fn router(model: Shared, body_limit: usize) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/health", get(ping))
        .route("/version", get(version))
        .route("/invocations", post(invocations).fallback(not_allowed))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                match announced_too_large(req.headers(), body_limit) {
                    Some(refusal) => refusal,
                    None => next.run(req).await,
                }
            },
        ))
        .with_state(model)
}

/// A body announced larger than the limit is refused before it is read (413, connection
/// closed), so no client makes the server wait for, or hold, what it will not take.
pub fn announced_too_large(headers: &HeaderMap, max: usize) -> Option<Response> {
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
    let mut r = json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({
            "error_code": "RESOURCE_EXHAUSTED",
            "message": format!("the request body of {length} bytes is larger than the server takes ({max} bytes; see --max-body)"),
        })
        .to_string(),
    );
    r.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    Some(r)
}

/// Serves `model` on `addr` until SIGINT or SIGTERM; `ready` is told the bound address.
pub fn serve(
    model: Shared,
    addr: SocketAddr,
    body_limit: usize,
    threads: usize,
    ready: &dyn Fn(SocketAddr),
) -> Result<(), ServeError> {
    run_until_signal(router(model, body_limit), addr, threads, ready)
}

/// Why a server could not start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open a local port: {0}")]
    LocalPort(std::io::Error),
    #[error("cannot start the server thread: {0}")]
    Thread(std::io::Error),
    /// The bound socket could not be configured or asked its address.
    #[error("{0}")]
    Socket(std::io::Error),
    #[error("the server stopped: {0}")]
    Stopped(std::io::Error),
}

/// Runs a router on `addr` in a multi-threaded runtime until SIGINT or SIGTERM.
pub fn run_until_signal(
    app: Router,
    addr: SocketAddr,
    threads: usize,
    ready: &dyn Fn(SocketAddr),
) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        ready(listener.local_addr().map_err(ServeError::Socket)?);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(ServeError::Stopped)
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
