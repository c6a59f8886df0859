//! The web UI: server-rendered pages over the store, served beside the REST API by `mlf server`
//! and `mlf ui`. Pages come from compiled templates (`templates/web/`, askama, every value
//! escaped), htmx swaps parts of them (the runs table), uPlot draws the charts; both scripts are
//! committed under `assets/web/` with their licences and embedded in the binary, so the UI works
//! air-gapped. Every response carries a strict Content-Security-Policy (no inline script or
//! style); forms that change the store carry a CSRF token tied to the caller; requests pass the
//! same gate as the API (`server::admit`).
//!
//! MLflow's hash routes (`/#/experiments/1/runs/ID`) reach `/`, whose script sends the browser
//! on to the matching page here.

mod assets;
mod buckets;
mod chart;
mod columns;
mod edit;
mod mlmodel;
mod pages;
mod plots;
mod registry;
mod run;
mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::server::{ApiError, Settings};
use crate::store::Store;

/// What the pages need: the store and the secret behind CSRF tokens.
pub(crate) struct Web {
    settings: Settings,
    secret: Vec<u8>,
}

type Shared = Arc<Web>;

/// Who is asking (the authenticated user, if any), set by the gate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Viewer(pub Option<String>);

/// The policy on every page: scripts, styles and data only from this server, no frames of it
/// elsewhere, forms only back to it.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; frame-src 'self'; \
    form-action 'self'; frame-ancestors 'self'; base-uri 'none'";

/// The web UI's router: `/`, `/ui/...`.
pub fn router(settings: Settings) -> Router {
    let secret = crate::server::users::random_bytes(32).unwrap_or_else(|_| {
        // No randomness: a key from the clock and the process still differs per server.
        format!("{}-{}", crate::tracking::ids::now_ms(), std::process::id()).into_bytes()
    });
    let shared: Shared = Arc::new(Web { settings, secret });
    Router::new()
        .route("/", get(pages::home))
        .route("/ui", get(pages::home))
        .route("/ui/", get(pages::home))
        .route("/ui/assets/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/ui/experiments", post(edit::create_experiment))
        .route(
            "/ui/experiments/{id}",
            get(pages::experiment).post(edit::experiment),
        )
        .route("/ui/runs/{id}", get(run::page).post(edit::run))
        .route("/ui/runs/{id}/metric", get(chart::series))
        .route("/ui/runs/{id}/preview", get(run::preview))
        .route("/ui/runs/{id}/logs", get(run::logs_part))
        .route("/ui/runs/{id}/file", get(run::file))
        .route("/ui/compare", get(run::compare))
        .route("/ui/models", get(registry::models))
        .route("/ui/models/{name}", get(registry::model).post(edit::model))
        .route(
            "/ui/models/{name}/versions/{version}",
            get(registry::version),
        )
        .route(
            "/ui/models/{name}/versions/{version}/stage",
            post(registry::stage),
        )
        .route("/ui/requests/{id}", post(registry::decide))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// The API's gate, then the page's security headers.
async fn gate(State(web): State<Shared>, mut req: Request, next: Next) -> Response {
    let mut response = match crate::server::admit(&web.settings, req.method(), req.headers()).await
    {
        Ok(user) => {
            req.extensions_mut().insert(Viewer(user));
            next.run(req).await
        }
        Err(refusal) => refusal,
    };
    let h = response.headers_mut();
    // A page's own, stricter policy (an HTML artifact's sandbox) stays.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

impl Web {
    fn root(&self) -> PathBuf {
        self.settings
            .store
            .dir()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The CSRF token of a caller: a MAC of who they are under this server's secret.
    fn csrf(&self, viewer: &Viewer) -> String {
        let mut mac =
            <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("any key length");
        mac.update(b"mlf-ui-csrf:");
        mac.update(viewer.0.as_deref().unwrap_or("").as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn csrf_ok(&self, viewer: &Viewer, given: &str) -> bool {
        let want = self.csrf(viewer);
        want.len() == given.len()
            && want
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// A page that failed: its status and what to tell the reader.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError {
            status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            message: e.message,
        }
    }
}

impl From<crate::store::Error> for PageError {
    fn from(e: crate::store::Error) -> PageError {
        ApiError::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> PageError {
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("the page could not be rendered: {e}"),
        }
    }
}

impl PageError {
    fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = view::ErrorPage {
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            message: self.message,
        };
        match askama::Template::render(&page) {
            Ok(body) => html(self.status, body),
            Err(_) => (self.status, "error").into_response(),
        }
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// An HTML response.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// Renders a template into a 200 page.
pub(crate) fn render(t: &impl askama::Template) -> PageResult {
    Ok(html(StatusCode::OK, t.render()?))
}

/// Runs `f` with a store connection on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    web: &Web,
    f: impl FnOnce(&mut Store) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    let root = web.root();
    tokio::task::spawn_blocking(move || {
        let mut out = None;
        let opened = crate::server::with_store(&root, |store| {
            out = Some(f(store));
            Ok(())
        });
        match (opened, out) {
            (_, Some(r)) => r,
            (Err(e), None) => Err(e.into()),
            (Ok(()), None) => Err(PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no answer",
            )),
        }
    })
    .await
    .unwrap_or_else(|_| {
        Err(PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page failed (a bug in mlf; the server goes on)",
        ))
    })
}

/// Whether htmx asked (then only the part is rendered).
pub(crate) fn from_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Query-string pairs, repeated keys kept.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    crate::server::form_urlencoded(raw.unwrap_or(""))
}

pub(crate) fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
