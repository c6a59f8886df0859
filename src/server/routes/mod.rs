//! MLflow's REST API on the store, one module per MLflow service: `experiments`, `runs`,
//! `artifacts`, `metrics`, `logged_models`, `registered_models`, `model_versions`, mlf's own
//! `mlf_registry`, and the web UI's file routes (`ui`). This module routes a call to its
//! service and holds what they share: reading parameters with MLflow's rules, paging, who acts
//! in the registry, and the JSON shapes of the entities.

mod artifacts;
mod experiments;
mod logged_models;
mod metrics;
mod mlf_registry;
mod mlf_sync;
mod model_versions;
mod registered_models;
pub(super) mod runs;
mod ui;
mod webhooks;

pub use ui::{UI_PATHS, ui_route};

use std::path::Path;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use serde_json::{Map, Value, json};

use super::artifacts::{
    checked_path, download_below, list_below, local_for, upload_below, uri_for,
};
use super::{ApiError, ApiResult, json_response};
use crate::protocol::requests::{self, *};
use crate::registry::Stage;
use crate::search::{
    parse_filter, parse_logged_model_filter, parse_model_filter, parse_order_by,
    parse_version_filter,
};
use crate::store::{
    Act, LogBatch, NewRun, NewVersion, RegistryStore, RunQuery, ServerStore, TrackingStore,
};
use crate::tracking::ids::now_ms;
use crate::tracking::{KeyValue, Metric, Run};

type P = super::params::Params;

/// A request's parameters as its message, with MLflow's rules and texts.
fn decode<T: serde::de::DeserializeOwned>(p: P) -> ApiResult<T> {
    p.decode()
}

fn run_json(store: &dyn ServerStore, run: &Run) -> Value {
    let io = crate::store::RunIo {
        outputs: store.run_outputs(&run.info.run_id).unwrap_or_default(),
        inputs: store.run_inputs(&run.info.run_id).unwrap_or_default(),
    };
    run_json_with(store, run, &io)
}

/// A run as MLflow's JSON, its inputs and outputs already read (a page reads them at once).
fn run_json_with(store: &dyn ServerStore, run: &Run, io: &crate::store::RunIo) -> Value {
    let mut v = serde_json::to_value(run).unwrap_or(Value::Null);
    v["info"]["artifact_uri"] = Value::String(uri_for(&store.proxied(), &run.info.artifact_uri));
    if !io.outputs.is_empty() {
        v["outputs"] = json!({ "model_outputs": io.outputs.iter().map(|(m, s)| json!({ "model_id": m, "step": s })).collect::<Vec<_>>() });
    }
    if !io.inputs.is_empty() {
        v["inputs"] = serde_json::to_value(&io.inputs).unwrap_or_default();
    }
    v
}

fn experiment_json(store: &dyn ServerStore, e: &crate::tracking::Experiment) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["artifact_location"] = Value::String(uri_for(&store.proxied(), &e.artifact_location));
    v
}

fn version_json(store: &dyn ServerStore, v: &crate::registry::ModelVersion) -> Value {
    let mut out = serde_json::to_value(v).unwrap_or(Value::Null);
    out["status"] = json!(if v.status.is_empty() {
        "READY"
    } else {
        v.status.as_str()
    });
    out["storage_location"] = Value::String(uri_for(&store.proxied(), &v.storage_location));
    out
}

fn model_json(store: &dyn ServerStore, m: &crate::registry::RegisteredModel) -> Value {
    let mut out = serde_json::to_value(m).unwrap_or(Value::Null);
    out["latest_versions"] = Value::Array(
        m.latest_versions
            .iter()
            .map(|v| version_json(store, v))
            .collect(),
    );
    out
}

fn logged_model_json(store: &dyn ServerStore, m: &crate::store::LoggedModel) -> Value {
    let location = store
        .default_artifact_root()
        .join(&m.experiment_id)
        .join("models")
        .join(&m.model_id)
        .join("artifacts");
    json!({
        "info": {
            "model_id": m.model_id,
            "experiment_id": m.experiment_id,
            "name": m.name,
            "creation_timestamp_ms": m.creation_timestamp_ms,
            "last_updated_timestamp_ms": m.last_updated_timestamp_ms,
            "artifact_uri": uri_for(&store.proxied(), &location.display().to_string()),
            "status": m.status,
            "model_type": m.model_type,
            "source_run_id": m.source_run_id,
            "status_message": m.status_message,
            "tags": m.tags,
        },
        "data": {
            "params": m.params,
            "metrics": store.logged_model_metrics(&m.model_id).unwrap_or_default(),
        },
    })
}

/// How many items a page holds: `max_results` (`default` when not given), from 1 to `max`.
fn limit(max_results: Option<i64>, default: usize, max: usize) -> ApiResult<usize> {
    let n = match max_results {
        Some(n) if n < 1 => {
            return Err(ApiError::invalid(format!(
                "Invalid value {n} for parameter 'max_results' supplied: it must be 1 or more"
            )));
        }
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => default,
    };
    if n == 0 || n > max {
        return Err(ApiError::invalid(format!(
            "Invalid value {n} for parameter 'max_results' supplied: it must be between 1 and {max}"
        )));
    }
    Ok(n)
}

/// A page token as the store takes it: none when empty.
fn token(page_token: &Option<String>) -> Option<&str> {
    page_token.as_deref().filter(|t| !t.is_empty())
}

fn with_token(mut v: Value, token: Option<String>) -> Value {
    if let Some(t) = token {
        v["next_page_token"] = Value::String(t);
    }
    v
}

/// The experiment of a new run: explicit id, else Default.
fn active_run(store: &dyn ServerStore, id: &str) -> ApiResult<Run> {
    Ok(store.run(id)?)
}

/// One call of an endpoint: its method, the endpoint (the path below the API prefix, `mlf/…`
/// for mlf's own), its parameters and who acts in the registry (the authenticated user, or
/// who the client says it is), if known.
pub struct Call<'a> {
    pub method: &'a Method,
    pub endpoint: &'a str,
    pub p: P,
    pub actor: Option<&'a str>,
}

impl Call<'_> {
    /// Who acts in the registry: the caller, else the server's `MLF_USER`, else
    /// `mlflow-client`.
    fn who(&self) -> String {
        acting(self.actor)
    }
}

/// A registry action by `who`, without a comment (MLflow's calls take none).
fn plain(who: &str) -> Act<'_> {
    Act {
        actor: who,
        comment: None,
    }
}

/// What answers an endpoint.
pub type Handler = fn(&mut dyn ServerStore, Call) -> ApiResult<Value>;

/// An endpoint: the methods it takes, its path below the API prefix (axum's syntax) and its
/// handler.
pub type Route = (MethodFilter, &'static str, Handler);

/// Where a service's routes are served: MLflow's under both of MLflow's prefixes, mlf's own
/// under `/api/2.0/`.
const MLFLOW_BASES: &[&str] = &["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"];
const MLF_BASES: &[&str] = &["/api/2.0/"];

/// Every service of the API: the prefixes it is served under and the routes it contributes.
pub fn services() -> [(&'static [&'static str], &'static [Route]); 10] {
    [
        (MLFLOW_BASES, experiments::ROUTES),
        (MLFLOW_BASES, runs::ROUTES),
        (MLFLOW_BASES, artifacts::ROUTES),
        (MLFLOW_BASES, metrics::ROUTES),
        (MLFLOW_BASES, logged_models::ROUTES),
        (MLFLOW_BASES, registered_models::ROUTES),
        (MLFLOW_BASES, model_versions::ROUTES),
        (MLFLOW_BASES, webhooks::ROUTES),
        (MLF_BASES, mlf_registry::ROUTES),
        (MLF_BASES, mlf_sync::ROUTES),
    ]
}

/// The endpoint of an API path: below MLflow's prefixes, or `mlf/…` below `/api/2.0/mlf/`.
pub fn endpoint(path: &str) -> Option<String> {
    path.strip_prefix("/api/2.0/mlflow/")
        .or_else(|| path.strip_prefix("/ajax-api/2.0/mlflow/"))
        .map(str::to_string)
        .or_else(|| {
            path.strip_prefix("/api/2.0/mlf/")
                .map(|e| format!("mlf/{e}"))
        })
}

/// MLflow's answer to a method and path it does not serve.
pub fn not_found(method: &str, base: &str, endpoint: &str) -> ApiError {
    ApiError {
        status: 404,
        code: "ENDPOINT_NOT_FOUND",
        message: format!("no endpoint {method} {base}{endpoint}"),
    }
}

fn param_error(e: crate::store::Error) -> ApiError {
    ApiError::from(e)
}

/// Who acts: the given actor, else the server's `MLF_USER`, else `mlflow-client`.
fn acting(actor: Option<&str>) -> String {
    actor
        .map(str::to_string)
        .or_else(|| crate::env::var(crate::env::MLF_USER))
        .unwrap_or_else(|| "mlflow-client".into())
}

/// A registry stage by name.
fn stage(s: &str) -> ApiResult<Stage> {
    Stage::parse(s).map_err(|e| ApiError::invalid(format!("Invalid Model Version stage: {e}")))
}

/// Most runs one bulk history call may name.
const BULK_MAX_RUNS: usize = 100;
/// Most points per run of `metrics/get-history-bulk-interval`, and its default.
const INTERVAL_MAX_RESULTS: i64 = 2500;
/// Most points of `metrics/get-history-bulk`, and its default.
const BULK_MAX_RESULTS: i64 = 25_000;

/// `GET /api/3.0/mlflow/server-info`: how this server is set up, in MLflow 3.17's shape. The
/// store is SQL; artifacts are proxied from local folders, so there are no multipart
/// transfers; there is no AI gateway.
pub fn server_info() -> Value {
    json!({
        "store_type": "SqlStore",
        "workspaces_enabled": false,
        "trace_archival_enabled": false,
        "multipart_uploads_enabled": false,
        "multipart_downloads_enabled": false,
        "presigned_upload_run_id_supported": true,
        "presigned_upload_model_id_supported": true,
        "features_enabled": { "gateway": false },
    })
}

fn run_or_404(store: &dyn ServerStore, id: &str) -> ApiResult<Run> {
    store.run(id).map_err(|e| match e {
        crate::store::Error::NotFound(_) => {
            ApiError::not_found(format!("Run with id={id} not found"))
        }
        e => e.into(),
    })
}

/// The most `upload-artifact` takes, as MLflow.
const UPLOAD_MAX: usize = 10 * 1024 * 1024;
