//! The UI's scripts and styles, embedded in the binary: htmx and uPlot as published on npm
//! (`assets/web/`, with their licences), and mlf's own `app.js` and `app.css`.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Name, media type, bytes.
const FILES: [(&str, &str, &[u8]); 5] = [
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/web/htmx.min.js"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/web/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/web/uPlot.min.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/web/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/web/app.css"),
    ),
];

pub(super) async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, bytes)) => {
            let mut r = (StatusCode::OK, *bytes).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// No icon: an empty answer, so that browsers do not log a missing one.
pub(super) async fn favicon() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
