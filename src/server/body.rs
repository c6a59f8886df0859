//! Request bodies: read whole up to `--max-body`, or streamed to disk for artifact uploads;
//! answered 408 when they stop arriving (refusing an announced size is `serving::http`'s).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{ApiError, artifacts, json_response};

/// Where an upload's bytes go: a temporary file beside the artifact, or a bucket's (multipart)
/// upload.
enum Sink {
    File(crate::artifacts::Upload),
    Bucket(crate::artifacts::s3::Writer),
}

impl Sink {
    async fn begin(proxied: crate::store::Proxied, rest: String) -> Result<Sink, ApiError> {
        if let Some(remote) = &proxied.remote {
            return super::bucket::begin_upload(remote, &rest).map(Sink::Bucket);
        }
        match tokio::task::spawn_blocking(move || artifacts::begin_upload(&proxied, &rest)).await {
            Ok(begun) => begun.map(Sink::File),
            Err(_) => Err(ApiError::internal("the upload failed")),
        }
    }

    async fn write(self, chunk: Vec<u8>) -> Result<Sink, ApiError> {
        match self {
            Sink::File(mut upload) => {
                let written =
                    tokio::task::spawn_blocking(move || upload.write(&chunk).map(|_| upload)).await;
                match written {
                    Ok(Ok(u)) => Ok(Sink::File(u)),
                    Ok(Err(e)) => Err(artifacts::repo_error(e)),
                    Err(_) => Err(ApiError::internal("the upload failed")),
                }
            }
            Sink::Bucket(mut writer) => {
                writer
                    .write(&chunk)
                    .await
                    .map_err(super::bucket::bucket_error)?;
                Ok(Sink::Bucket(writer))
            }
        }
    }

    async fn finish(self) -> Result<(), ApiError> {
        match self {
            Sink::File(upload) => {
                match tokio::task::spawn_blocking(move || upload.finish()).await {
                    Ok(done) => done.map_err(artifacts::repo_error),
                    Err(_) => Err(ApiError::internal("the upload failed")),
                }
            }
            Sink::Bucket(writer) => writer.finish().await.map_err(super::bucket::bucket_error),
        }
    }
}

/// Writes a proxied artifact from the request body as it arrives, never holding more than a
/// megabyte of it (beyond a bucket's parts in flight): the path is checked first, the bytes go
/// to a temporary file of their own (or a multipart upload), and the file is put in place only
/// when the whole body arrived within `max` bytes; else nothing appears.
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
    let mut sink = match Sink::begin(proxied, rest).await {
        Ok(s) => s,
        Err(e) => return failed(e),
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
            sink = match sink.write(chunk).await {
                Ok(s) => s,
                Err(e) => return failed(e),
            };
        }
        if done {
            break;
        }
    }
    match sink.finish().await {
        Ok(()) => json_response(StatusCode::OK, json!({})),
        Err(e) => failed(e),
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
