//! The routes MLflow's web UI calls outside the API: the artifact files of runs, model
//! versions and logged models, and uploads.

use super::metrics::history_bulk;
use super::*;

/// MLflow's routes outside the proto API, used by its UI: file downloads of runs, model
/// versions and logged models, the upload of one small run file, and the bulk metric history.
/// `None` when `path` is none of them. `q` holds the query string's parameters.
pub fn ui_route(
    store: &dyn ServerStore,
    method: &Method,
    path: &str,
    q: &Map<String, Value>,
    body: &[u8],
) -> Option<ApiResult<Response>> {
    let wrong_method = |allowed: &str| ApiError {
        status: 405,
        code: "BAD_REQUEST",
        message: format!("use {allowed} on {path}"),
    };
    let get_only = |f: &dyn Fn() -> ApiResult<Response>| {
        if method == Method::GET {
            f()
        } else {
            Err(wrong_method("GET"))
        }
    };
    let answer = match path {
        "/get-artifact" => get_only(&|| {
            let rel = checked_path(&present_query(q, "path")?)?;
            let id = query(q, "run_id")
                .filter(|s| !s.is_empty())
                .or_else(|| query(q, "run_uuid").filter(|s| !s.is_empty()))
                .ok_or_else(|| {
                    ApiError::invalid("Missing value for required parameter 'run_id'.")
                })?;
            let run = run_or_404(store, &id)?;
            let dir = store.run_artifact_dir(&run).display().to_string();
            download_below(&store.proxied(), &dir, &format!("run {id}"), &rel)
        }),
        "/model-versions/get-artifact" => get_only(&|| {
            let rel = checked_path(&present_query(q, "path")?)?;
            let name = required_query(q, "name")?;
            let version = required_query(q, "version")?;
            let n: i64 = version.parse().map_err(|_| {
                ApiError::invalid(format!(
                    "Parameter 'version' must be an integer, got '{version}'."
                ))
            })?;
            let v = store.version(&name, n).map_err(|e| match e {
                crate::store::Error::NotFound(_) => ApiError::not_found(format!(
                    "Model Version (name={name}, version={n}) not found"
                )),
                e => e.into(),
            })?;
            let what = format!("model {name} version {n}");
            download_below(&store.proxied(), &v.storage_location, &what, &rel)
        }),
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk" => {
            get_only(&|| history_bulk(store, q).map(|v| json_response(StatusCode::OK, v)))
        }
        "/ajax-api/2.0/mlflow/upload-artifact" if method != Method::POST => {
            Err(wrong_method("POST"))
        }
        "/ajax-api/2.0/mlflow/upload-artifact" => upload_artifact(store, q, body),
        _ => {
            let id = crate::server::percent_decode(logged_model_files(path)?);
            get_only(&|| logged_model_file(store, &id, q))
        }
    };
    Some(answer)
}

/// The paths [`ui_route`] answers (axum's syntax).
pub const UI_PATHS: &[&str] = &[
    "/get-artifact",
    "/model-versions/get-artifact",
    "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
    "/ajax-api/2.0/mlflow/upload-artifact",
    "/ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files",
];

/// The model id of `/ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files`.
fn logged_model_files(path: &str) -> Option<&str> {
    path.strip_prefix("/ajax-api/2.0/mlflow/logged-models/")?
        .strip_suffix("/artifacts/files")
}

/// A query parameter (the query string's values are all texts).
fn query(q: &Map<String, Value>, key: &str) -> Option<String> {
    q.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A query parameter that must be there (an empty `path` names the folder itself).
fn present_query(q: &Map<String, Value>, key: &str) -> ApiResult<String> {
    query(q, key)
        .ok_or_else(|| ApiError::invalid(format!("Missing value for required parameter '{key}'.")))
}

/// A query parameter that must be there and not empty.
fn required_query(q: &Map<String, Value>, key: &str) -> ApiResult<String> {
    query(q, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("Missing value for required parameter '{key}'.")))
}

/// `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=`: the raw body (at most 10 MB)
/// becomes the run's file `path`, replacing one that is there.
fn upload_artifact(
    store: &dyn ServerStore,
    q: &Map<String, Value>,
    body: &[u8],
) -> ApiResult<Response> {
    let id = query(q, "run_uuid")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("Request must specify run_uuid."))?;
    let path = query(q, "path")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("Request must specify path."))?;
    let rel = checked_path(&path)?;
    if body.len() > UPLOAD_MAX {
        return Err(ApiError::invalid(
            "Artifact size is too large. Max size is 10MB.",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("Request must specify data."));
    }
    let run = run_or_404(store, &id)?;
    let dir = store.run_artifact_dir(&run).display().to_string();
    upload_below(&store.proxied(), &dir, &format!("run {id}"), &rel, body)?;
    let mut r = (StatusCode::OK, Vec::<u8>::new()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// `GET /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path=`.
fn logged_model_file(
    store: &dyn ServerStore,
    id: &str,
    q: &Map<String, Value>,
) -> ApiResult<Response> {
    let path = query(q, "artifact_file_path")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError {
            status: 400,
            code: "BAD_REQUEST",
            message: "Request must include the \"artifact_file_path\" query parameter.".into(),
        })?;
    let rel = checked_path(&path)?;
    let m = store.logged_model(id).map_err(|e| match e {
        crate::store::Error::NotFound(_) => {
            ApiError::not_found(format!("Logged model with ID '{id}' not found."))
        }
        e => e.into(),
    })?;
    let dir = store
        .default_artifact_root()
        .join(&m.experiment_id)
        .join("models")
        .join(&m.model_id)
        .join("artifacts");
    download_below(
        &store.proxied(),
        &dir.display().to_string(),
        &format!("logged model {id}"),
        &rel,
    )
}
