//! The artifact proxy (`/api/2.0/mlflow-artifacts/artifacts[/PATH]`): upload (PUT), download
//! (GET), list (GET `?path=`), delete. A path is decoded exactly once and refused when it
//! holds `..`, an absolute path, a backslash, NUL, `?`, `#`, `;` or a `%` left after decoding
//! (double encoding); it must name something under a proxied folder (`store::Proxied`: a
//! store directory's `artifacts/`, read and write, and `registry/`, read only; a database
//! store's artifact root), and symlinks may not lead outside them. The UI's download and
//! upload routes reach files through the same resolution, below the folder of the run, model
//! version or logged model they name.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ApiError, json_response};
use crate::artifacts::{LocalRepo, clean_relative};

use crate::store::Proxied;

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

/// The refusal of anything but `GET` on the proxy's root (a listing).
pub(super) fn only_get_lists() -> ApiError {
    ApiError {
        status: 405,
        code: "BAD_REQUEST",
        message: "use GET to list artifacts".into(),
    }
}

fn invalid_path(p: &str) -> ApiError {
    ApiError::invalid(format!("Invalid path: '{p}'"))
}

/// Decodes a proxied path once and checks it: the path as decoded (for messages) and its
/// clean relative form, `/`-separated.
pub(super) fn checked_rel(raw: &str) -> Result<(String, String), ApiError> {
    let path = decode_path(raw)?;
    if path.contains(['\\', '\0', '?', '#', ';', '%']) || path.starts_with('/') {
        return Err(invalid_path(&path));
    }
    let rel = clean_relative(&path).map_err(|_| invalid_path(&path))?;
    let rel = crate::artifacts::slash(&rel);
    Ok((path, rel))
}

/// The `path` of a listing's query string, when given and not empty.
pub(super) fn form_path(query: Option<&str>) -> Option<String> {
    super::form_urlencoded(query.unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "path")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Checks a decoded artifact path and splits it into (repo root, path inside it, writable).
fn resolve(proxied: &Proxied, raw: &str) -> Result<(PathBuf, PathBuf, bool), ApiError> {
    let (path, rel) = checked_rel(raw)?;
    let rel = PathBuf::from(rel);
    let mut parts = rel.components();
    let top = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner: PathBuf = parts.collect();
    let (_, writable) = proxied
        .folders
        .iter()
        .find(|(r, _)| *r == top)
        .ok_or_else(|| ApiError::not_found(format!("No such artifact: '{path}'")))?;
    Ok((proxied.base.join(&top), inner, *writable))
}

pub(super) fn repo_error(e: crate::artifacts::Error) -> ApiError {
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

/// Starts a streamed `PUT` of the proxy path `rest`: the path's checks, then a file that takes
/// the body in pieces.
pub fn begin_upload(proxied: &Proxied, rest: &str) -> Result<crate::artifacts::Upload, ApiError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err(only_get_lists());
    }
    let (root, inner, writable) = resolve(proxied, rest)?;
    if inner.as_os_str().is_empty() {
        return Err(invalid_path(rest));
    }
    if !writable {
        return Err(ApiError {
            status: 403,
            code: "PERMISSION_DENIED",
            message: "registry files are read-only".into(),
        });
    }
    LocalRepo::new(root).begin_write(&inner).map_err(repo_error)
}

pub fn handle(
    proxied: &Proxied,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    match handle_inner(proxied, method, rest, query, body) {
        Ok(r) => r,
        Err(e) => e.response(),
    }
}

fn handle_inner(
    proxied: &Proxied,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        // A listing: GET artifacts?path=DIR, basenames only.
        if method != Method::GET {
            return Err(only_get_lists());
        }
        let Some(path) = form_path(query) else {
            return Ok(json_response(StatusCode::OK, json!({})));
        };
        // The query value is decoded already: encode `%` so that it is not decoded twice.
        let (root, inner, _) = resolve(proxied, &path.replace('%', "%25"))?;
        let repo = LocalRepo::new(root);
        let files = match repo.list(&inner, false) {
            Ok(f) => f,
            Err(crate::artifacts::Error::NotFound(_)) => {
                return Ok(json_response(StatusCode::OK, json!({})));
            }
            Err(e) => return Err(repo_error(e)),
        };
        // A file is no directory: its listing is empty, as MLflow's.
        if let [f] = files.as_slice()
            && !f.is_dir
            && Path::new(&f.path) == inner
        {
            return Ok(json_response(StatusCode::OK, json!({})));
        }
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
    let (root, inner, writable) = resolve(proxied, rest)?;
    if inner.as_os_str().is_empty() {
        return Err(invalid_path(rest));
    }
    let repo = LocalRepo::new(root.clone());
    match *method {
        Method::GET => get_file(&repo, &inner, &decode_path(rest)?),
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

/// The file `inner` of `repo` as an attachment; `shown` names it in errors. A folder is
/// refused rather than sent as its only file, and nothing outside the repository is read.
fn get_file(repo: &LocalRepo, inner: &Path, shown: &str) -> Result<Response, ApiError> {
    let folder = || {
        ApiError::invalid(format!(
            "Artifact path refers to a directory, not a file: '{shown}'"
        ))
    };
    if inner.as_os_str().is_empty() || repo.root().join(inner).is_dir() {
        return Err(folder());
    }
    let items = repo.plan_get(inner, Path::new("/")).map_err(|e| match e {
        crate::artifacts::Error::NotFound(_) => {
            ApiError::not_found(format!("No such artifact: '{shown}'"))
        }
        e => repo_error(e),
    })?;
    let [item] = items.as_slice() else {
        return Err(folder());
    };
    let file = std::fs::File::open(&item.from)
        .and_then(|f| {
            let meta = f.metadata()?;
            if meta.is_dir() {
                return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
            }
            Ok((f, meta.len()))
        })
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EISDIR) => folder(),
            _ => ApiError {
                status: 500,
                code: "INTERNAL_ERROR",
                message: e.to_string(),
            },
        })?;
    let name = inner
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (file, size) = file;
    Ok(download(&name, size, file_body(file)))
}

/// A download of `size` bytes named `name`: its media type, and as an attachment.
pub(super) fn download(name: &str, size: u64, body: axum::body::Body) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::mime::content_type(name)),
    );
    if let Ok(v) = HeaderValue::from_str(&attachment(name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The bytes of `file` as a streamed body, read in 256 KiB pieces on blocking threads, so a
/// download of any size holds one piece at a time.
fn file_body(file: std::fs::File) -> axum::body::Body {
    use std::io::Read;
    const PIECE: usize = 256 * 1024;
    let pieces = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; PIECE];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match read {
            Ok((_, buf)) if buf.is_empty() => None,
            Ok((file, buf)) => Some((Ok(bytes::Bytes::from(buf)), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    });
    axum::body::Body::from_stream(pieces)
}

/// `Content-Disposition` of a download named `name`, written as MLflow writes it: the name
/// bare when it is an HTTP token, else quoted; a name that is not ASCII gets an ASCII
/// `filename` (its letters without their accents, or `download`) and the exact name as
/// `filename*` (RFC 5987).
fn attachment(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    fn quoted(v: &str) -> String {
        const TOKEN: &str = "!#$%&'*+-.^_`|~";
        if v.is_empty() {
            return "\"\"".into();
        }
        if v.chars()
            .all(|c| c.is_ascii_alphanumeric() || TOKEN.contains(c))
        {
            return v.to_string();
        }
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
    if name.is_ascii() {
        return format!("attachment; filename={}", quoted(name));
    }
    let fallback: String = name.nfkd().filter(char::is_ascii).collect();
    let fallback = if fallback.is_empty() {
        "download".to_string()
    } else {
        fallback
    };
    let exact: String =
        name.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|'
                | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
    format!(
        "attachment; filename={}; filename*=UTF-8''{exact}",
        quoted(&fallback)
    )
}

/// Checks the `path` parameter of the UI's file routes (decoded once already) with the proxy's
/// rules: relative, no `..`, not a `file:` URI, and none of backslash, NUL, `?`, `#`, `;` or
/// `%` (what is left of a second encoding). The answer is MLflow's 400 "Invalid path".
pub fn checked_path(path: &str) -> Result<PathBuf, ApiError> {
    let invalid = || ApiError::invalid("Invalid path");
    // MLflow reads a `file:` URI as the local path it names, which is absolute.
    let file_uri = path
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"));
    if path.contains(['\\', '\0', '?', '#', ';', '%']) || path.starts_with('/') || file_uri {
        return Err(invalid());
    }
    clean_relative(path).map_err(|_| invalid())
}

/// The proxied name (`artifacts/0/<run>/artifacts`) of a folder of the store, when it lies in
/// a proxied folder; else the files are not served.
fn proxied_name(proxied: &Proxied, local: &str, what: &str) -> Result<String, ApiError> {
    uri_for(proxied, local)
        .strip_prefix("mlflow-artifacts:/")
        .map(|r| r.trim_end_matches('/').to_string())
        .ok_or_else(|| ApiError::not_found(format!("the files of {what} are not in this store")))
}

/// The file `path` (already checked by [`checked_path`]) below `local`, a run's or model's
/// folder in the store, through the proxy's own checks: the UI's download routes.
pub fn download_below(
    proxied: &Proxied,
    local: &str,
    what: &str,
    path: &Path,
) -> Result<Response, ApiError> {
    let base = proxied_name(proxied, local, what)?;
    let shown = format!("{base}/{}", path.display());
    if let Some(remote) = &proxied.remote {
        return super::bucket::download_blocking(remote, local, path, &shown);
    }
    // `%` is refused in `path`; a `%` of the base is its own character, not an escape.
    let (root, inner, _) = resolve(proxied, &base.replace('%', "%25"))?;
    // The folder itself must really be inside the proxied folder (no symlink leads out);
    // then nothing outside the folder is served, not even another run's files.
    let missing = || ApiError::not_found(format!("No such artifact: '{shown}'"));
    let real_root = std::fs::canonicalize(&root).map_err(|_| missing())?;
    let folder = std::fs::canonicalize(root.join(inner)).map_err(|_| missing())?;
    if !folder.starts_with(&real_root) || !folder.is_dir() {
        return Err(missing());
    }
    get_file(&LocalRepo::new(folder), path, &shown)
}

/// Writes `bytes` to `path` (already checked by [`checked_path`]) below `local`, a run's
/// folder in the store, through the proxy's own checks: the UI's upload route.
pub fn upload_below(
    proxied: &Proxied,
    local: &str,
    what: &str,
    path: &Path,
    bytes: &[u8],
) -> Result<(), ApiError> {
    let base = proxied_name(proxied, local, what)?;
    let shown = format!("{base}/{}", path.display());
    if let Some(remote) = &proxied.remote {
        if path.as_os_str().is_empty() {
            return Err(invalid_path(&shown));
        }
        return super::bucket::upload_blocking(remote, local, path, bytes);
    }
    let (root, inner, writable) = resolve(proxied, &shown.replace('%', "%25"))?;
    if !writable {
        return Err(ApiError {
            status: 403,
            code: "PERMISSION_DENIED",
            message: "registry files are read-only".into(),
        });
    }
    if path.as_os_str().is_empty() || root.join(&inner).is_dir() {
        return Err(ApiError::invalid(format!(
            "Artifact path refers to a directory, not a file: '{shown}'"
        )));
    }
    LocalRepo::new(root)
        .write_bytes(&inner, bytes)
        .map_err(repo_error)
}

/// The `mlflow-artifacts:/` URI of a local path inside the store, when it is under a proxied
/// folder; else the path itself.
pub fn uri_for(proxied: &Proxied, local: &str) -> String {
    if let Some(remote) = &proxied.remote {
        return match super::bucket::below_root(remote, local) {
            Some(rel) => format!("mlflow-artifacts:/{rel}"),
            None => local.to_string(),
        };
    }
    let base = &proxied.base;
    let root = std::fs::canonicalize(base).unwrap_or(base.to_path_buf());
    match Path::new(local).strip_prefix(&root) {
        Ok(rel) if proxied.folders.iter().any(|(r, _)| rel.starts_with(r)) => {
            format!("mlflow-artifacts:/{}", rel.display())
        }
        _ => local.to_string(),
    }
}

/// The local path of an `mlflow-artifacts:/` URI (or of a proxy URL), checked like a request.
pub fn local_for(proxied: &Proxied, uri: &str) -> Result<PathBuf, ApiError> {
    let rest = if let Some(r) = uri.strip_prefix("mlflow-artifacts:") {
        r.trim_start_matches('/')
    } else if let Some(pos) = uri.find("/api/2.0/mlflow-artifacts/artifacts/") {
        &uri[pos + "/api/2.0/mlflow-artifacts/artifacts/".len()..]
    } else {
        return Err(ApiError::invalid(format!(
            "'{uri}' is not an mlflow-artifacts URI"
        )));
    };
    if let Some(remote) = &proxied.remote {
        let (_, rel) = checked_rel(rest)?;
        return Ok(PathBuf::from(crate::artifacts::s3::join_key(remote, &rel)));
    }
    let (root, inner, _) = resolve(proxied, rest)?;
    Ok(root.join(inner))
}

/// The entries of the folder `rel` below `dir` (a run's or logged model's artifact location,
/// as the store records it), relative to `dir`; none when there is nothing there. The
/// location comes from the store, not the client, so a run's files are listed wherever the
/// store keeps them (an earlier destination too).
pub fn list_below(dir: &str, rel: &Path) -> Result<Vec<crate::artifacts::FileInfo>, ApiError> {
    if crate::store::is_remote(dir) {
        return super::bucket::list_blocking(dir, rel);
    }
    Ok(LocalRepo::new(PathBuf::from(dir))
        .list(rel, false)
        .unwrap_or_default())
}
