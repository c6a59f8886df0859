//! The artifact proxy over a bucket (`--artifacts-destination s3://bucket/prefix`): the proxied
//! path `0/RUN/artifacts/model/MLmodel` is the key `prefix/0/RUN/artifacts/model/MLmodel`.
//! Paths are checked as for a local root (decoded once, no `..`, no escapes); downloads stream
//! from the bucket to the client, uploads stream from the client to a multipart upload
//! (`artifacts::s3::Writer`), listings read every page. The clients of the buckets are made
//! once, on the server's runtime, and shared by every request.

use std::path::Path;
use std::sync::Mutex;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::artifacts::{checked_rel, form_path, only_get_lists};
use super::{ApiError, json_response};
use crate::artifacts::s3::{Bucket, Writer, join_key, split_uri};
use crate::artifacts::{Error, FileInfo};

/// The shared client of the bucket `name`, made on first use.
fn client(name: &str) -> Result<Bucket, ApiError> {
    static CLIENTS: Mutex<Vec<(String, Bucket)>> = Mutex::new(Vec::new());
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, b)) = clients.iter().find(|(n, _)| n == name) {
        return Ok(b.clone());
    }
    let b = Bucket::connect(name).map_err(bucket_error)?;
    clients.push((name.to_string(), b.clone()));
    Ok(b)
}

/// The client of the bucket of `location` (`s3://bucket/prefix`), and the key of `rel` below
/// the prefix.
fn locate(location: &str, rel: &str) -> Result<(Bucket, String), ApiError> {
    let (name, prefix) = split_uri(location).map_err(bucket_error)?;
    Ok((client(&name)?, join_key(&prefix, rel)))
}

/// A fault of the bucket, as the proxy answers it: a missing object is 404; a bucket that
/// cannot be reached is 503, which clients retry; anything else (refused keys, a missing
/// bucket) is the server's own fault, 500. Messages name the bucket, never a credential.
pub(super) fn bucket_error(e: Error) -> ApiError {
    match e {
        Error::NotFound(m) if m.ends_with("no such object") => ApiError::not_found(m),
        Error::Invalid(m) if m.contains("cannot connect") => ApiError {
            status: 503,
            code: "TEMPORARILY_UNAVAILABLE",
            message: m,
        },
        e => ApiError::internal(&e.to_string()),
    }
}

/// Starts a streamed upload of the proxied path `rest` (checked like a local one).
pub(super) fn begin_upload(remote: &str, rest: &str) -> Result<Writer, ApiError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err(only_get_lists());
    }
    let (_, rel) = checked_rel(rest)?;
    if rel.is_empty() {
        return Err(ApiError::invalid(format!("Invalid path: '{rest}'")));
    }
    let (bucket, key) = locate(remote, &rel)?;
    Ok(bucket.writer(&key))
}

/// A proxy call other than an upload: a listing (`GET` with `?path=`), a download or a delete.
pub(super) async fn handle(
    remote: &str,
    method: &Method,
    rest: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        if method != Method::GET {
            return Err(only_get_lists());
        }
        let Some(path) = form_path(query) else {
            return Ok(json_response(StatusCode::OK, json!({})));
        };
        let (_, rel) = checked_rel(&path.replace('%', "%25"))?;
        let files = children(remote, &rel).await?;
        if files.is_empty() {
            return Ok(json_response(StatusCode::OK, json!({})));
        }
        return Ok(json_response(StatusCode::OK, json!({ "files": files })));
    }
    let (shown, rel) = checked_rel(rest)?;
    if rel.is_empty() {
        return Err(ApiError::invalid(format!("Invalid path: '{rest}'")));
    }
    let (bucket, key) = locate(remote, &rel)?;
    match *method {
        Method::GET => download(&bucket, &key, &shown).await,
        Method::DELETE => {
            let mut keys: Vec<String> = bucket
                .below(&key)
                .await
                .map_err(bucket_error)?
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            keys.push(key);
            bucket.delete_all(keys).await.map_err(bucket_error)?;
            Ok(json_response(StatusCode::OK, json!({})))
        }
        _ => Err(ApiError {
            status: 405,
            code: "BAD_REQUEST",
            message: format!("{method} is not supported on artifacts"),
        }),
    }
}

/// The entries directly below `rel`, by their base names, as MLflow lists them; none for an
/// object or a path with nothing below it.
async fn children(remote: &str, rel: &str) -> Result<Vec<serde_json::Value>, ApiError> {
    let (bucket, key) = locate(remote, rel)?;
    let listed = bucket.children(&key).await.map_err(bucket_error)?;
    let base = |k: &str| k.rsplit('/').next().unwrap_or(k).to_string();
    let mut files: Vec<(String, serde_json::Value)> = Vec::new();
    for (k, size) in listed.objects {
        let name = base(&k);
        files.push((
            name.clone(),
            json!({ "path": name, "is_dir": false, "file_size": size }),
        ));
    }
    for p in listed.prefixes {
        let name = base(&p);
        files.push((name.clone(), json!({ "path": name, "is_dir": true })));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files.into_iter().map(|(_, v)| v).collect())
}

/// The object `key` as an attachment, streamed; a prefix with objects below it is refused as
/// a folder.
async fn download(bucket: &Bucket, key: &str, shown: &str) -> Result<Response, ApiError> {
    let (size, stream) = match bucket.open(key).await {
        Ok(got) => got,
        Err(Error::NotFound(_)) => {
            let below = bucket.children(key).await.map_err(bucket_error)?;
            if below.objects.is_empty() && below.prefixes.is_empty() {
                return Err(ApiError::not_found(format!("No such artifact: '{shown}'")));
            }
            return Err(ApiError::invalid(format!(
                "Artifact path refers to a directory, not a file: '{shown}'"
            )));
        }
        Err(e) => return Err(bucket_error(e)),
    };
    let name = key.rsplit('/').next().unwrap_or(key);
    Ok(super::artifacts::download(
        name,
        size,
        Body::from_stream(stream),
    ))
}

/// The relative path of `location` (an `s3://` URI) below `remote`, when it is below it.
pub(super) fn below_root<'a>(remote: &str, location: &'a str) -> Option<&'a str> {
    if location == remote {
        return Some("");
    }
    location
        .strip_prefix(remote)
        .and_then(|r| r.strip_prefix('/'))
}

/// The entries of the folder `rel` below `dir`, the `s3://` location of a run's or logged
/// model's files as the store records it, with paths relative to `dir`, as `artifacts/list`
/// answers; for the routes that run on a blocking thread.
pub(super) fn list_blocking(dir: &str, rel: &Path) -> Result<Vec<FileInfo>, ApiError> {
    let rel = crate::artifacts::slash(rel);
    let (bucket, base) = locate(dir, "")?;
    let key = join_key(&base, &rel);
    let listed = tokio::runtime::Handle::current()
        .block_on(bucket.children(&key))
        .map_err(bucket_error)?;
    let under = |k: &str| {
        k.strip_prefix(&base)
            .unwrap_or(k)
            .trim_start_matches('/')
            .to_string()
    };
    let mut out: Vec<FileInfo> = listed
        .objects
        .into_iter()
        .map(|(k, size)| FileInfo {
            path: under(&k),
            is_dir: false,
            file_size: Some(size),
        })
        .chain(listed.prefixes.into_iter().map(|p| FileInfo {
            path: under(&p),
            is_dir: true,
            file_size: None,
        }))
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The object `rel` below the location `dir` as a download (the UI's file routes).
pub(super) fn download_blocking(
    remote: &str,
    dir: &str,
    rel: &Path,
    shown: &str,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("No such artifact: '{shown}'"));
    let inner = below_root(remote, dir).ok_or_else(missing)?;
    let (bucket, base) = locate(remote, inner)?;
    let key = join_key(&base, &crate::artifacts::slash(rel));
    tokio::runtime::Handle::current().block_on(download(&bucket, &key, shown))
}

/// Writes `bytes` as the object `rel` below the location `dir` (the UI's upload route).
pub(super) fn upload_blocking(
    remote: &str,
    dir: &str,
    rel: &Path,
    bytes: &[u8],
) -> Result<(), ApiError> {
    let inner = below_root(remote, dir)
        .ok_or_else(|| ApiError::not_found("the files of this run are not in this store"))?;
    let (bucket, base) = locate(remote, inner)?;
    let mut writer = bucket.writer(&join_key(&base, &crate::artifacts::slash(rel)));
    tokio::runtime::Handle::current()
        .block_on(async {
            writer.write(bytes).await?;
            writer.finish().await
        })
        .map_err(bucket_error)
}

/// Whether the bucket answers and takes the server's keys (`/health`).
pub(super) async fn healthy(remote: &str) -> bool {
    match locate(remote, "") {
        Ok((bucket, prefix)) => bucket.check(&prefix).await.is_ok(),
        Err(_) => false,
    }
}
