//! Request bodies: read whole up to `--max-body`, or streamed to disk for artifact uploads;
//! answered 408 when they stop arriving (refusing an announced size is `serving::http`'s).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{ApiError, artifacts, json_response};

/// Writes a proxied artifact from the request body as it arrives, never holding more than a
/// megabyte of it: the path is checked first, the bytes go to a temporary file of their own,
/// and the file is renamed into place only when the whole body arrived within `max` bytes.
pub(super) async fn stream_upload(
    proxied: crate::store::Proxied,
    rest: String,
    body: axum::body::Body,
    max: usize,
    wait: std::time::Duration,
) -> Response {
    use http_body_util::BodyExt;
    const PIECE: usize = 1 << 20;
    let failed = |e: ApiError| e.response();
    let begun = tokio::task::spawn_blocking(move || artifacts::begin_upload(&proxied, &rest)).await;
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
pub(super) async fn read_body(
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
