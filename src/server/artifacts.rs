//! The artifact proxy (`/api/2.0/mlflow-artifacts/artifacts[/PATH]`): upload (PUT), download
//! (GET), list (GET `?path=`), delete. A path is decoded exactly once and refused when it
//! holds `..`, an absolute path, a backslash, NUL, `?`, `#`, `;` or a `%` left after decoding
//! (double encoding); it must name something under the store's `artifacts/` (read and write)
//! or `registry/` (read only), and symlinks may not lead outside them.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ApiError, json_response};
use crate::artifacts::{LocalRepo, clean_relative};

/// Where proxied artifacts live: the top folder and whether it takes writes.
const ROOTS: [(&str, bool); 2] = [("artifacts", true), ("registry", false)];

/// `%XX` decoding of a path (no `+` → space).
fn decode_path(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            match (
                bytes.get(i + 1).and_then(|c| hex(*c)),
                bytes.get(i + 2).and_then(|c| hex(*c)),
            ) {
                (Some(a), Some(b)) => {
                    out.push(a * 16 + b);
                    i += 3;
                    continue;
                }
                _ => return Err(invalid_path(s)),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| invalid_path(s))
}

fn invalid_path(p: &str) -> ApiError {
    ApiError::invalid(format!("Invalid path: '{p}'"))
}

/// Checks a decoded artifact path and splits it into (repo root, path inside it, writable).
fn resolve(store_root: &Path, raw: &str) -> Result<(PathBuf, PathBuf, bool), ApiError> {
    let path = decode_path(raw)?;
    if path.contains(['\\', '\0', '?', '#', ';', '%']) || path.starts_with('/') {
        return Err(invalid_path(&path));
    }
    let rel = clean_relative(&path).map_err(|_| invalid_path(&path))?;
    let mut parts = rel.components();
    let top = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner: PathBuf = parts.collect();
    let (_, writable) = ROOTS
        .iter()
        .find(|(r, _)| *r == top)
        .ok_or_else(|| ApiError::not_found(format!("No such artifact: '{path}'")))?;
    Ok((store_root.join(&top), inner, *writable))
}

fn repo_error(e: crate::artifacts::Error) -> ApiError {
    match e {
        crate::artifacts::Error::NotFound(m) => ApiError::not_found(m),
        crate::artifacts::Error::Invalid(m) => ApiError::invalid(m),
        // The client's mistakes (a folder where a file goes, a name too long) are 400s.
        crate::artifacts::Error::Io(m, e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EISDIR | libc::ENOTDIR | libc::EEXIST | libc::ENAMETOOLONG)
            ) =>
        {
            ApiError::invalid(format!("{m}: {e}"))
        }
        crate::artifacts::Error::Io(m, e) => ApiError {
            status: 500,
            code: "INTERNAL_ERROR",
            message: format!("{m}: {e}"),
        },
    }
}

pub fn handle(
    store_root: &Path,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    match handle_inner(store_root, method, rest, query, body) {
        Ok(r) => r,
        Err(e) => e.response(),
    }
}

fn handle_inner(
    store_root: &Path,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        // A listing: GET artifacts?path=DIR, basenames only.
        if method != Method::GET {
            return Err(ApiError {
                status: 405,
                code: "BAD_REQUEST",
                message: "use GET to list artifacts".into(),
            });
        }
        let path = super::form_urlencoded(query.unwrap_or(""))
            .into_iter()
            .find(|(k, _)| k == "path")
            .map(|(_, v)| v)
            .unwrap_or_default();
        if path.is_empty() {
            return Ok(json_response(StatusCode::OK, json!({})));
        }
        // The query value is decoded already: encode `%` so that it is not decoded twice.
        let (root, inner, _) = resolve(store_root, &path.replace('%', "%25"))?;
        let repo = LocalRepo::new(root);
        let files = match repo.list(&inner, false) {
            Ok(f) => f,
            Err(crate::artifacts::Error::NotFound(_)) => {
                return Ok(json_response(StatusCode::OK, json!({})));
            }
            Err(e) => return Err(repo_error(e)),
        };
        let files: Vec<_> = files
            .into_iter()
            .map(|f| {
                let base = Path::new(&f.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut v = json!({ "path": base, "is_dir": f.is_dir });
                if let Some(s) = f.file_size {
                    v["file_size"] = json!(s);
                }
                v
            })
            .collect();
        return Ok(json_response(StatusCode::OK, json!({ "files": files })));
    }
    let (root, inner, writable) = resolve(store_root, rest)?;
    if inner.as_os_str().is_empty() {
        return Err(invalid_path(rest));
    }
    let repo = LocalRepo::new(root.clone());
    match *method {
        Method::GET => {
            if root.join(&inner).is_dir() {
                return Err(ApiError::invalid(format!(
                    "'{}' is a directory: list it with ?path=",
                    inner.display()
                )));
            }
            let items = repo.plan_get(&inner, Path::new("/")).map_err(repo_error)?;
            let [item] = items.as_slice() else {
                return Err(ApiError::invalid(format!(
                    "'{}' is a directory: list it with ?path=",
                    inner.display()
                )));
            };
            let bytes = std::fs::read(&item.from).map_err(|e| ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: e.to_string(),
            })?;
            let name = inner
                .file_name()
                .map(|n| n.to_string_lossy().replace(['"', '\r', '\n'], "_"))
                .unwrap_or_default();
            let mut r = (StatusCode::OK, bytes).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        }
        Method::PUT if writable => {
            repo.write_bytes(&inner, body).map_err(repo_error)?;
            Ok(json_response(StatusCode::OK, json!({})))
        }
        Method::DELETE if writable => {
            let items = repo.plan_get(&inner, Path::new("/")).map_err(repo_error)?;
            for item in items {
                let _ = std::fs::remove_file(&item.from);
            }
            Ok(json_response(StatusCode::OK, json!({})))
        }
        Method::PUT | Method::DELETE => Err(ApiError {
            status: 403,
            code: "PERMISSION_DENIED",
            message: "registry files are read-only".into(),
        }),
        _ => Err(ApiError {
            status: 405,
            code: "BAD_REQUEST",
            message: format!("{method} is not supported on artifacts"),
        }),
    }
}

/// The `mlflow-artifacts:/` URI of a local path inside the store, when it is under a proxied
/// folder; else the path itself.
pub fn uri_for(store_root: &Path, local: &str) -> String {
    let root = std::fs::canonicalize(store_root).unwrap_or(store_root.to_path_buf());
    match Path::new(local).strip_prefix(&root) {
        Ok(rel) if ROOTS.iter().any(|(r, _)| rel.starts_with(r)) => {
            format!("mlflow-artifacts:/{}", rel.display())
        }
        _ => local.to_string(),
    }
}

/// The local path of an `mlflow-artifacts:/` URI (or of a proxy URL), checked like a request.
pub fn local_for(store_root: &Path, uri: &str) -> Result<PathBuf, ApiError> {
    let rest = if let Some(r) = uri.strip_prefix("mlflow-artifacts:") {
        r.trim_start_matches('/')
    } else if let Some(pos) = uri.find("/api/2.0/mlflow-artifacts/artifacts/") {
        &uri[pos + "/api/2.0/mlflow-artifacts/artifacts/".len()..]
    } else {
        return Err(ApiError::invalid(format!(
            "'{uri}' is not an mlflow-artifacts URI"
        )));
    };
    let (root, inner, _) = resolve(store_root, rest)?;
    Ok(root.join(inner))
}
