//! The server's axum `Router`. Each service module of `routes/` contributes its methods and
//! paths, served under both of MLflow's prefixes (`routes::services`); the artifact proxy and
//! the UI's file routes have their own. `/health`, `/version` and `server-info` answer
//! without credentials; every other route, and the answer to an unknown path, runs behind the
//! layers: the `Host`/`Origin` guard (`guard.rs`), then authentication (`auth.rs`), which
//! leaves who acts in the request's extensions. Around everything: the refusal of a body
//! announced too large, the security headers (on a 500 after a panic too), and a panic
//! answered 500 while the server goes on.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, any, on};

use super::params::query_params;
use super::routes::{self, Call, Handler};
use super::{ApiError, Settings, Shared, artifacts, auth, body, guard, json_response};
use crate::store::postgres::FastLog;

/// Who acts in the registry for a request, as authentication found it.
#[derive(Debug, Clone)]
struct Actor(Option<String>);

/// The REST API's router.
pub(super) fn build(settings: Settings) -> Router {
    let max = settings.max_body;
    // The web UI reads a store directory; a server on a database serves the API alone.
    let web = settings
        .store
        .dir()
        .is_some()
        .then(|| crate::web::router(settings.clone()));
    let shared = Arc::new(Shared {
        stores: super::stores::Stores::start(&settings.store),
        webhooks: settings
            .store
            .dir()
            .map(|d| super::webhooks::Dispatcher::start(d.to_path_buf())),
        settings,
    });
    // One method router a path: a path may have several routes, one a method.
    let mut paths: Vec<(String, MethodRouter<Arc<Shared>>)> = Vec::new();
    for (bases, service) in routes::services() {
        for &(methods, path, handler) in service {
            for base in bases {
                let path = format!("{base}{path}");
                let route = on(
                    methods,
                    move |State(shared): State<Arc<Shared>>, req: Request| {
                        call(shared, handler, req)
                    },
                );
                match paths.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, r)) => *r = std::mem::take(r).merge(route),
                    None => paths.push((path, route)),
                }
            }
        }
    }
    let mut api = Router::new();
    for (path, route) in paths {
        api = api.route(&path, route.fallback(unknown));
    }
    for path in routes::UI_PATHS {
        api = api.route(path, any(ui));
    }
    let api = api
        .route("/api/2.0/mlflow-artifacts/artifacts", any(proxy))
        .route("/api/2.0/mlflow-artifacts/artifacts/{*path}", any(proxy))
        .fallback(unknown)
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn_with_state(shared.clone(), guarded));
    let app = Router::new()
        .route("/health", any(health))
        .route(
            "/version",
            any(|| async { (StatusCode::OK, crate::protocol::MLFLOW_API_VERSION) }),
        )
        .route("/api/3.0/mlflow/server-info", any(server_info))
        .route("/ajax-api/3.0/mlflow/server-info", any(server_info))
        .merge(api)
        .with_state(shared)
        .merge(web.unwrap_or_default())
        .layer(middleware::from_fn(catch_panics))
        .layer(middleware::from_fn(headers))
        .layer(middleware::from_fn(
            move |req: Request, next: Next| async move {
                match crate::serving::http::announced_too_large(req.headers(), max) {
                    Some(refusal) => refusal,
                    None => next.run(req).await,
                }
            },
        ));
    // Before routing: a path with doubled slashes (`//model-versions/get-artifact`, as MLflow's
    // UI asks for it behind a prefix of `/`) is the path with single ones.
    Router::new().fallback_service(tower::ServiceExt::map_request(app, merge_slashes))
}

/// The request with runs of slashes in its path made one.
fn merge_slashes(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") {
        return req;
    }
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    let target = match req.uri().query() {
        Some(q) => format!("{merged}?{q}"),
        None => merged,
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = target.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// MLflow's answer to a path, or a method on it, that it does not serve.
async fn unknown(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    match routes::endpoint(path) {
        Some(endpoint) => routes::not_found(method.as_str(), "/api/2.0/mlflow/", &endpoint),
        None => ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {path}"),
        },
    }
    .response()
}

/// As MLflow, answered without credentials: clients read it to learn how to talk to the
/// server, and it holds nothing about the store.
async fn server_info(method: Method, uri: Uri) -> Response {
    if method == Method::GET {
        json_response(StatusCode::OK, routes::server_info())
    } else {
        ApiError {
            status: 405,
            code: "BAD_REQUEST",
            message: format!("use GET on {}", uri.path()),
        }
        .response()
    }
}

/// The `Host`/`Origin` guard, as a layer.
async fn guarded(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    match guard::check(&shared.settings.allowed, req.method(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.response(),
    }
}

/// Authentication, as a layer: refuses who may not call, and records who acts.
async fn authenticate(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let settings = &shared.settings;
    let user = match auth::authorized(settings, req.headers()).await {
        None => return auth::unauthenticated(settings),
        Some(auth::Caller::Busy) => return auth::busy(),
        Some(auth::Caller::User(name)) => Some(name),
        Some(auth::Caller::Anonymous) => None,
    };
    // Who acts in the registry: the authenticated user; else, on a server without a users
    // file, who the client says it is (`X-Mlf-User`, sent by the mlf CLI); else the server's
    // `MLF_USER`. With a users file, a caller who authenticated with the token is nobody in
    // particular and cannot name themselves, so approval rules hold for every path in.
    let named_by_client = settings.users.is_none();
    let actor = user.or_else(|| {
        if !named_by_client {
            return None;
        }
        req.headers()
            .get("x-mlf-user")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 256)
            .map(str::to_string)
    });
    req.extensions_mut().insert(Actor(actor));
    next.run(req).await
}

/// The headers every answer carries.
async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // What a page set for itself (the web UI's stricter framing rule) stands.
    h.entry("x-content-type-options")
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry("x-frame-options")
        .or_insert(HeaderValue::from_static("SAMEORIGIN"));
    response
}

/// Runs a request's work as its own task, so that a panic in it answers 500 and the server
/// goes on serving the other requests.
async fn catch_panics(req: Request, next: Next) -> Response {
    guarded_task(next.run(req)).await
}

pub(super) async fn guarded_task(
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

/// `/health`: `OK` once the store has answered a query and its artifact folder is there (as
/// MLflow's answer), else 503 with one line saying what is not.
async fn health(State(shared): State<Arc<Shared>>) -> Response {
    match shared.stores.health().await {
        Ok(()) => axum::response::IntoResponse::into_response((StatusCode::OK, "OK")),
        Err(why) => axum::response::IntoResponse::into_response((
            StatusCode::SERVICE_UNAVAILABLE,
            why.to_string(),
        )),
    }
}

/// The answer of a blocking task: its response, or 500 when it failed.
fn finished(result: Result<Response, tokio::task::JoinError>) -> Response {
    result.unwrap_or_else(|_| ApiError::internal("the request failed").response())
}

/// A call of a service: its parameters decoded as MLflow does, then the writer thread for a
/// call that may change the store, a blocking thread for one that reads.
async fn call(shared: Arc<Shared>, handler: Handler, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let actor = parts.extensions.get::<Actor>().and_then(|a| a.0.clone());
    let settings = &shared.settings;
    let body = match body::read_body(body, settings.max_body, settings.body_timeout).await {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    let Some(endpoint) = routes::endpoint(parts.uri.path()) else {
        return unknown(parts.method, parts.uri).await;
    };
    let params = match super::params::params(&parts.method, &parts.uri, &parts.headers, body) {
        Ok(p) => p,
        Err(e) => return e.response(),
    };
    let method = parts.method;
    // Metric batches are decoded and checked here, on the runtime's threads, so the one
    // writer of a store directory only writes them (those of metrics alone together with the
    // group's others). On a database they go to the writers on this runtime, without a thread.
    if method == Method::POST && endpoint == "runs/log-batch" {
        let result = match routes::runs::decode_batch(params) {
            Err(e) => Err(e),
            Ok(c)
                if c.of_models.is_empty()
                    && c.batch.params.is_empty()
                    && c.batch.tags.is_empty()
                    && let Some(writer) = shared.stores.dir_writer() =>
            {
                writer.log_metrics(c.run, c.batch).await
            }
            Ok(c) => match shared.stores.fast_log() {
                Some(fast) if c.of_models.is_empty() && FastLog::takes(&c.batch) => fast
                    .log(&c.run, c.batch)
                    .await
                    .map(|_| serde_json::json!({}))
                    .map_err(routes::runs::batch_error),
                _ => {
                    let store = move |s: &mut dyn crate::store::ServerStore| {
                        routes::runs::store_batch(s, c)
                    };
                    shared.stores.write(store).await
                }
            },
        };
        return match result {
            Ok(value) => json_response(StatusCode::OK, value),
            Err(e) => e.response(),
        };
    }
    let writes = super::writes(&method, &endpoint);
    let wakes_webhooks = writes && super::may_record_registry_events(&endpoint);
    // Push and pull exchange large messages between mlf's own: compact JSON.
    let compact = endpoint.starts_with("mlf/sync/");
    let answer = move |store: &mut dyn crate::store::ServerStore| {
        let call = Call {
            method: &method,
            endpoint: &endpoint,
            p: params,
            actor: actor.as_deref(),
        };
        handler(store, call)
    };
    let result = if writes {
        let done = shared.stores.write(answer).await;
        // Committed: the registry events it recorded may go to webhooks. Tracking calls
        // record none, and waking the dispatcher after each would cost a query per log call.
        if let Some(w) = &shared.webhooks
            && wakes_webhooks
        {
            w.wake();
        }
        done
    } else {
        shared.stores.read(answer).await
    };
    match result {
        Ok(value) if compact => {
            let mut r = axum::response::IntoResponse::into_response(
                serde_json::to_string(&value).unwrap_or_default(),
            );
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            r
        }
        Ok(value) => json_response(StatusCode::OK, value),
        Err(e) => e.response(),
    }
}

/// The artifact proxy: uploads streamed to their file, other calls on a blocking thread.
async fn proxy(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let settings = &shared.settings;
    let (proxied, max) = (settings.store.proxied(), settings.max_body);
    let rest = parts
        .uri
        .path()
        .strip_prefix("/api/2.0/mlflow-artifacts/artifacts")
        .unwrap_or_default()
        .to_string();
    if parts.method == Method::PUT {
        return body::stream_upload(proxied, rest, body, max, settings.body_timeout).await;
    }
    let body = match body::read_body(body, max, settings.body_timeout).await {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    let query = parts.uri.query().map(str::to_string);
    let method = parts.method;
    if let Some(remote) = &proxied.remote {
        return super::bucket::handle(remote, &method, &rest, query.as_deref())
            .await
            .unwrap_or_else(|e| e.response());
    }
    finished(
        tokio::task::spawn_blocking(move || {
            artifacts::handle(&proxied, &method, &rest, query.as_deref(), &body)
        })
        .await,
    )
}

/// MLflow's routes for its UI outside the proto API (downloads, upload, bulk history).
async fn ui(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let settings = &shared.settings;
    let body = match body::read_body(body, settings.max_body, settings.body_timeout).await {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    let query = query_params(parts.uri.query().unwrap_or(""));
    let (method, path) = (parts.method, parts.uri.path().to_string());
    shared
        .stores
        .read(move |store| {
            routes::ui_route(store, &method, &path, &query, &body).unwrap_or_else(|| {
                Err(ApiError {
                    status: 404,
                    code: "ENDPOINT_NOT_FOUND",
                    message: format!("no endpoint {path}"),
                })
            })
        })
        .await
        .unwrap_or_else(|e| e.response())
}
