//! The tracking, registry and logged-model endpoints of MLflow's REST API, on the store.

use std::path::Path;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::artifacts::{checked_path, download_below, local_for, upload_below, uri_for};
use super::{ApiError, ApiResult, json_response};
use crate::registry::{Policy, Stage};
use crate::search::{parse_filter, parse_model_filter, parse_order_by};
use crate::store::{Act, LogBatch, NewRun, NewVersion, RunQuery, Store};
use crate::tracking::ids::now_ms;
use crate::tracking::{KeyValue, Metric, Run, RunStatus, ViewType};

type P = Map<String, Value>;

fn opt(p: &P, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn req(p: &P, key: &str) -> ApiResult<String> {
    opt(p, key).filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::invalid(format!("Missing value for required parameter '{key}'. See the API docs for more information about request parameters."))
    })
}

fn run_id(p: &P) -> ApiResult<String> {
    opt(p, "run_id").filter(|s| !s.is_empty()).or_else(|| opt(p, "run_uuid").filter(|s| !s.is_empty())).ok_or_else(|| {
        ApiError::invalid("Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.")
    })
}

fn int(p: &P, key: &str) -> ApiResult<Option<i64>> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| ApiError::invalid(format!("Invalid value {n} for parameter '{key}' supplied: Hint: Value was of type number, expected an integer"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| ApiError::invalid(format!("Invalid value \"{s}\" for parameter '{key}' supplied: Hint: Value was of type string, expected an integer"))),
        Some(other) => Err(ApiError::invalid(format!("Invalid value {other} for parameter '{key}' supplied"))),
    }
}

fn list(p: &P, key: &str) -> Vec<Value> {
    match p.get(key) {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v.clone()],
    }
}

fn strings(p: &P, key: &str) -> Vec<String> {
    list(p, key)
        .into_iter()
        .filter_map(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .collect()
}

fn kvs(p: &P, key: &str) -> ApiResult<Vec<KeyValue>> {
    list(p, key)
        .into_iter()
        .map(|t| {
            let k = t
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid(format!("every entry of '{key}' needs a key")))?;
            let v = match t.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Ok(KeyValue {
                key: k.to_string(),
                value: v,
            })
        })
        .collect()
}

fn metric_value(v: Option<&Value>) -> ApiResult<f64> {
    match v {
        Some(Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| ApiError::invalid("metric value is not a number")),
        Some(Value::String(s)) => {
            crate::tracking::validation::parse_metric_value("value", s).map_err(ApiError::invalid)
        }
        _ => Err(ApiError::invalid(
            "Missing value for required parameter 'value'. See the API docs for more information about request parameters.",
        )),
    }
}

fn metric(m: &Value) -> ApiResult<Metric> {
    let p = m.as_object().cloned().unwrap_or_default();
    let key = req(&p, "key")?;
    let value = metric_value(p.get("value"))?;
    let timestamp = int(&p, "timestamp")?.ok_or_else(|| ApiError::invalid("Missing value for required parameter 'timestamp'. See the API docs for more information about request parameters."))?;
    Ok(Metric {
        key,
        value,
        timestamp,
        step: int(&p, "step")?.unwrap_or(0),
    })
}

fn run_json(store: &Store, run: &Run) -> Value {
    let mut v = serde_json::to_value(run).unwrap_or(Value::Null);
    v["info"]["artifact_uri"] = Value::String(uri_for(store.root(), &run.info.artifact_uri));
    let outputs = store.run_outputs(&run.info.run_id).unwrap_or_default();
    if !outputs.is_empty() {
        v["outputs"] = json!({ "model_outputs": outputs.iter().map(|(m, s)| json!({ "model_id": m, "step": s })).collect::<Vec<_>>() });
    }
    v
}

fn experiment_json(store: &Store, e: &crate::tracking::Experiment) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["artifact_location"] = Value::String(uri_for(store.root(), &e.artifact_location));
    v
}

fn version_json(store: &Store, v: &crate::registry::ModelVersion) -> Value {
    let mut out = serde_json::to_value(v).unwrap_or(Value::Null);
    out["status"] = json!(if v.status.is_empty() {
        "READY"
    } else {
        v.status.as_str()
    });
    out["storage_location"] = Value::String(uri_for(store.root(), &v.storage_location));
    out
}

fn model_json(store: &Store, m: &crate::registry::RegisteredModel) -> Value {
    let mut out = serde_json::to_value(m).unwrap_or(Value::Null);
    out["latest_versions"] = Value::Array(
        m.latest_versions
            .iter()
            .map(|v| version_json(store, v))
            .collect(),
    );
    out
}

fn logged_model_json(store: &Store, m: &crate::store::LoggedModel) -> Value {
    let location = store
        .artifact_root()
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
            "artifact_uri": uri_for(store.root(), &location.display().to_string()),
            "status": m.status,
            "model_type": m.model_type,
            "source_run_id": m.source_run_id,
            "status_message": m.status_message,
            "tags": m.tags,
        },
        "data": { "params": m.params, "metrics": [] },
    })
}

fn page<T>(
    items: Vec<T>,
    p: &P,
    default: usize,
    max: usize,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let n = match int(p, "max_results")? {
        Some(n) if n < 1 => {
            return Err(ApiError::invalid(format!(
                "Invalid value {n} for parameter 'max_results' supplied: it must be 1 or more"
            )));
        }
        Some(n) => n as usize,
        None => default,
    };
    if n == 0 || n > max {
        return Err(ApiError::invalid(format!(
            "Invalid value {n} for parameter 'max_results' supplied: it must be between 1 and {max}"
        )));
    }
    let offset = match opt(p, "page_token").filter(|t| !t.is_empty()) {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid(format!("Invalid page token '{t}'")))?,
        None => 0,
    };
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(offset).take(n).collect();
    let next = (offset + n < total).then(|| (offset + n).to_string());
    Ok((items, next))
}

fn with_token(mut v: Value, token: Option<String>) -> Value {
    if let Some(t) = token {
        v["next_page_token"] = Value::String(t);
    }
    v
}

/// The experiment of a new run: explicit id, else Default.
fn active_run(store: &Store, id: &str) -> ApiResult<Run> {
    Ok(store.run(id)?)
}

/// Answers one call of the API; `actor` is who acts in the registry (the authenticated user,
/// or who the client says it is), if known.
pub fn dispatch(
    store: &mut Store,
    method: &Method,
    endpoint: &str,
    p: P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let empty = json!({});
    match (method.as_str(), endpoint) {
        // ---- experiments
        ("POST", "experiments/create") => {
            let name = req(&p, "name")?;
            if opt(&p, "artifact_location").is_some_and(|a| !a.is_empty()) {
                return Err(ApiError::invalid(
                    "artifact_location is chosen by the server: leave it out",
                ));
            }
            if p.get("tags").is_some_and(|t| !t.is_array() && !t.is_null()) {
                return Err(ApiError::invalid(format!(
                    "Invalid value {} for parameter 'tags' supplied: Hint: Value was not a list",
                    p["tags"]
                )));
            }
            let tags = kvs(&p, "tags")?;
            let mut seen = std::collections::BTreeSet::new();
            for t in &tags {
                experiment_tag_ok(&t.key, &t.value)?;
                if !seen.insert(t.key.as_str()) {
                    return Err(ApiError::invalid(format!(
                        "Duplicate tag keys have been submitted: ['{}']",
                        t.key
                    )));
                }
            }
            let exp = store.create_experiment(&name, None)?;
            for t in tags {
                store.set_experiment_tag(&exp.experiment_id, &t.key, Some(&t.value))?;
            }
            Ok(json!({ "experiment_id": exp.experiment_id }))
        }
        ("POST" | "GET", "experiments/search") => {
            let view = match opt(&p, "view_type").as_deref() {
                Some("DELETED_ONLY") | Some("2") => ViewType::DeletedOnly,
                Some("ALL") | Some("3") => ViewType::All,
                _ => ViewType::ActiveOnly,
            };
            let mut exps = store.list_experiments(view)?;
            if let Some(f) = opt(&p, "filter").filter(|f| !f.trim().is_empty()) {
                let expr = parse_model_filter(&f)
                    .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?;
                if let Some(expr) = expr {
                    exps.retain(|e| eval_named(&expr, &e.name, &e.tags));
                }
            }
            exps.sort_by(|a, b| {
                b.creation_time
                    .cmp(&a.creation_time)
                    .then(a.experiment_id.cmp(&b.experiment_id))
            });
            // No default: MLflow refuses a search that leaves max_results out (its client
            // always sends it).
            match int(&p, "max_results")? {
                Some(n) if n > 50_000 => {
                    return Err(ApiError::invalid(format!(
                        "Invalid value {n} for parameter 'max_results' supplied. It must be at most 50000"
                    )));
                }
                Some(n) if n >= 1 => {}
                n => {
                    return Err(ApiError::invalid(format!(
                        "Invalid value {} for parameter 'max_results' supplied. It must be a positive integer",
                        n.unwrap_or(0)
                    )));
                }
            }
            let (exps, next) = page(exps, &p, 1000, 50_000)?;
            let list: Vec<Value> = exps.iter().map(|e| experiment_json(store, e)).collect();
            Ok(with_token(json!({ "experiments": list }), next))
        }
        ("GET", "experiments/get") => {
            let id = req(&p, "experiment_id")?;
            if id.parse::<i64>().is_err() {
                return Err(ApiError::invalid(format!("Invalid experiment ID: '{id}'")));
            }
            let exp = store
                .find_experiment_by_id(&id)?
                .ok_or_else(|| ApiError::not_found(format!("No Experiment with id={id} exists")))?;
            Ok(json!({ "experiment": experiment_json(store, &exp) }))
        }
        ("GET", "experiments/get-by-name") => {
            let name = req(&p, "experiment_name")?;
            let exp = store.experiment_by_name(&name)?.ok_or_else(|| {
                ApiError::not_found(format!("Could not find experiment with name '{name}'"))
            })?;
            Ok(json!({ "experiment": experiment_json(store, &exp) }))
        }
        ("POST", "experiments/delete") => {
            store.delete_experiment(&req(&p, "experiment_id")?)?;
            Ok(empty)
        }
        ("POST", "experiments/restore") => {
            store.restore_experiment(&req(&p, "experiment_id")?)?;
            Ok(empty)
        }
        ("POST", "experiments/update") => {
            store.rename_experiment(&req(&p, "experiment_id")?, &req(&p, "new_name")?)?;
            Ok(empty)
        }
        ("POST", "experiments/set-experiment-tag") => {
            let (key, value) = (req(&p, "key")?, opt(&p, "value").unwrap_or_default());
            experiment_tag_ok(&key, &value)?;
            store.set_experiment_tag(&req(&p, "experiment_id")?, &key, Some(&value))?;
            Ok(empty)
        }
        ("POST" | "DELETE", "experiments/delete-experiment-tag") => {
            store.set_experiment_tag(&req(&p, "experiment_id")?, &req(&p, "key")?, None)?;
            Ok(empty)
        }
        // ---- runs
        ("POST", "runs/create") => {
            let experiment_id = opt(&p, "experiment_id")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "0".into());
            let mut tags = kvs(&p, "tags")?;
            let mut name = opt(&p, "run_name").filter(|s| !s.is_empty());
            if let Some(t) = tags
                .iter()
                .find(|t| t.key == crate::tracking::tags::RUN_NAME)
            {
                match &name {
                    Some(n) if *n != t.value => {
                        return Err(ApiError::invalid(
                            "run_name and the tag mlflow.runName differ",
                        ));
                    }
                    _ => name = Some(t.value.clone()),
                }
            }
            tags.retain(|t| t.key != crate::tracking::tags::RUN_NAME);
            let user = opt(&p, "user_id")
                .or_else(|| {
                    tags.iter()
                        .find(|t| t.key == "mlflow.user")
                        .map(|t| t.value.clone())
                })
                .unwrap_or_default();
            tags.retain(|t| t.key != "mlflow.user");
            if experiment_id.parse::<i64>().is_err() {
                return Err(ApiError::invalid(format!(
                    "Invalid experiment ID: '{experiment_id}'"
                )));
            }
            let start_time = int(&p, "start_time")?;
            let run = store.create_run(NewRun {
                experiment_id,
                name,
                user,
                tags,
                params: Vec::new(),
                owner: None,
                make_active: false,
                start_time,
            })?;
            Ok(json!({ "run": run_json(store, &run) }))
        }
        ("POST", "runs/update") => {
            let id = run_id(&p)?;
            let run = active_run(store, &id)?;
            if let Some(name) = opt(&p, "run_name").filter(|s| !s.is_empty()) {
                store.rename_run(&id, &name)?;
            }
            let status = match opt(&p, "status") {
                Some(s) => RunStatus::parse(&s)
                    .or_else(|| {
                        s.parse::<usize>().ok().and_then(|n| {
                            [
                                RunStatus::Running,
                                RunStatus::Scheduled,
                                RunStatus::Finished,
                                RunStatus::Failed,
                                RunStatus::Killed,
                            ]
                            .get(n.wrapping_sub(1))
                            .copied()
                        })
                    })
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "Invalid value \"{s}\" for parameter 'status' supplied"
                        ))
                    })?,
                None => run.info.status,
            };
            let end = match int(&p, "end_time")? {
                Some(e) => Some(e),
                None if status.is_terminal() => run.info.end_time.or(Some(now_ms())),
                None => run.info.end_time,
            };
            store.update_run(&id, status, end)?;
            let run = store.run(&id)?;
            Ok(json!({ "run_info": run_json(store, &run)["info"] }))
        }
        ("POST", "runs/delete") => {
            store.delete_runs(&[run_id(&p)?])?;
            Ok(empty)
        }
        ("POST", "runs/restore") => {
            store.restore_runs(&[run_id(&p)?])?;
            Ok(empty)
        }
        ("POST", "runs/log-metric") => {
            let id = run_id(&p)?;
            let m = metric(&Value::Object(p.clone()))?;
            store.log_batch(
                &id,
                LogBatch {
                    metrics: vec![m],
                    ..Default::default()
                },
            )?;
            Ok(empty)
        }
        ("POST", "runs/log-parameter") => {
            let id = run_id(&p)?;
            let key = req(&p, "key")?;
            let value = opt(&p, "value").unwrap_or_default();
            store
                .log_batch(
                    &id,
                    LogBatch {
                        params: vec![KeyValue { key, value }],
                        ..Default::default()
                    },
                )
                .map_err(param_error)?;
            Ok(empty)
        }
        ("POST", "runs/set-tag") => {
            let id = run_id(&p)?;
            let key = req(&p, "key")?;
            let value = opt(&p, "value").unwrap_or_default();
            store.log_batch(
                &id,
                LogBatch {
                    tags: vec![KeyValue { key, value }],
                    ..Default::default()
                },
            )?;
            Ok(empty)
        }
        ("POST" | "DELETE", "runs/delete-tag") => {
            store.delete_run_tag(&run_id(&p)?, &req(&p, "key")?)?;
            Ok(empty)
        }
        ("GET", "runs/get") => {
            let id = run_id(&p)?;
            let run = store
                .run(&id)
                .map_err(|_| ApiError::not_found(format!("Run with id={id} not found")))?;
            Ok(json!({ "run": run_json(store, &run) }))
        }
        ("POST" | "GET", "runs/search") => {
            let max = int(&p, "max_results")?.unwrap_or(1000);
            if !(1..=50_000).contains(&max) {
                return Err(ApiError::invalid(format!(
                    "Invalid value {max} for parameter 'max_results' supplied: it must be between 1 and 50000"
                )));
            }
            let filter = match opt(&p, "filter").filter(|f| !f.trim().is_empty()) {
                Some(f) => parse_filter(&f, now_ms())
                    .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
                None => None,
            };
            let order_by = parse_order_by(&strings(&p, "order_by"))
                .map_err(|e| ApiError::invalid(format!("Invalid order_by clause: {e}")))?;
            let view = match opt(&p, "run_view_type").as_deref() {
                Some("DELETED_ONLY") | Some("2") => ViewType::DeletedOnly,
                Some("ALL") | Some("3") => ViewType::All,
                _ => ViewType::ActiveOnly,
            };
            let q = RunQuery {
                experiment_ids: strings(&p, "experiment_ids"),
                view,
                filter,
                order_by,
                max_results: Some(max as usize),
                page_token: opt(&p, "page_token").filter(|t| !t.is_empty()),
            };
            let page = store.search_runs(&q)?;
            let runs: Vec<Value> = page.runs.iter().map(|r| run_json(store, r)).collect();
            Ok(with_token(json!({ "runs": runs }), page.next_page_token))
        }
        ("POST", "runs/log-batch") => {
            let id = run_id(&p)?;
            let metrics = list(&p, "metrics");
            let params = kvs(&p, "params")?;
            let tags = kvs(&p, "tags")?;
            if metrics.len() > 1000 {
                return Err(ApiError::invalid(format!(
                    "A batch logging request can contain at most 1000 metrics. Got {} metrics. Please split up metrics across multiple requests and try again.",
                    metrics.len()
                )));
            }
            if params.len() > 100
                || tags.len() > 100
                || metrics.len() + params.len() + tags.len() > 1000
            {
                return Err(ApiError::invalid(
                    "A batch logging request can contain at most 100 params, 100 tags and 1000 entries in all",
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            let dups: Vec<&str> = params
                .iter()
                .filter(|p| !seen.insert(p.key.as_str()))
                .map(|p| p.key.as_str())
                .collect();
            if !dups.is_empty() {
                return Err(ApiError::invalid(format!(
                    "Duplicate parameter keys have been submitted: {dups:?}. Please ensure the request contains only one param value per param key."
                )));
            }
            let metrics = metrics.iter().map(metric).collect::<ApiResult<Vec<_>>>()?;
            store
                .log_batch(
                    &id,
                    LogBatch {
                        metrics,
                        params,
                        tags,
                    },
                )
                .map_err(param_error)?;
            Ok(empty)
        }
        ("POST", "runs/log-model") => {
            let id = run_id(&p)?;
            let model: Value = serde_json::from_str(&req(&p, "model_json")?)
                .map_err(|e| ApiError::invalid(format!("model_json is not JSON: {e}")))?;
            let run = store.run(&id)?;
            let mut history: Vec<Value> = run
                .tag("mlflow.log-model.history")
                .and_then(|h| serde_json::from_str(h).ok())
                .unwrap_or_default();
            history.push(model);
            let tag = KeyValue {
                key: "mlflow.log-model.history".into(),
                value: Value::Array(history).to_string(),
            };
            store.log_batch(
                &id,
                LogBatch {
                    tags: vec![tag],
                    ..Default::default()
                },
            )?;
            Ok(empty)
        }
        ("POST", "runs/log-inputs") => {
            store.run(&run_id(&p)?)?;
            Ok(empty)
        }
        ("POST", "runs/outputs") => {
            let id = run_id(&p)?;
            if p.get("models").is_none_or(Value::is_null) {
                return Err(ApiError::invalid(
                    "Missing value for required parameter 'models'. See the API docs for more information about request parameters.",
                ));
            }
            let models: Vec<(String, i64)> = list(&p, "models")
                .iter()
                .filter_map(|m| {
                    Some((
                        m.get("model_id")?.as_str()?.to_string(),
                        m.get("step").and_then(Value::as_i64).unwrap_or(0),
                    ))
                })
                .collect();
            store.log_run_outputs(&id, &models)?;
            Ok(empty)
        }
        ("GET", "artifacts/list") => {
            let id = run_id(&p)?;
            let run = store.run(&id)?;
            let rel = crate::artifacts::clean_relative(&opt(&p, "path").unwrap_or_default())
                .map_err(|_| ApiError::invalid("Invalid path"))?;
            let repo = crate::artifacts::LocalRepo::new(store.run_artifact_dir(&run));
            let files = repo.list(&rel, false).unwrap_or_default();
            Ok(json!({ "root_uri": uri_for(store.root(), &run.info.artifact_uri), "files": files }))
        }
        ("GET", "metrics/get-history") => {
            let id = run_id(&p)?;
            let key = req(&p, "metric_key")?;
            let mut points = store.metric_history(&id, &key)?;
            // MLflow's order: timestamp, step, value (a NaN is stored as 0, after a real 0).
            points.sort_by(|a, b| {
                let stored = |m: &Metric| {
                    (
                        if m.value.is_nan() { 0.0 } else { m.value },
                        m.value.is_nan(),
                    )
                };
                (a.timestamp, a.step)
                    .cmp(&(b.timestamp, b.step))
                    .then(stored(a).0.total_cmp(&stored(b).0))
                    .then(stored(a).1.cmp(&stored(b).1))
            });
            let points: Vec<Value> = points
                .into_iter()
                .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
                .collect();
            let (points, next) = page(points, &p, usize::MAX / 2, usize::MAX)?;
            Ok(with_token(json!({ "metrics": points }), next))
        }
        ("GET", "metrics/get-history-bulk-interval") => history_bulk_interval(store, &p),
        // ---- logged models (MLflow 3)
        ("POST", "logged-models") => {
            let exp = req(&p, "experiment_id")?;
            let m = store.create_logged_model(
                &exp,
                &opt(&p, "name").unwrap_or_default(),
                &opt(&p, "model_type").unwrap_or_default(),
                &opt(&p, "source_run_id").unwrap_or_default(),
                "",
                &kvs(&p, "tags")?,
                &kvs(&p, "params")?,
            )?;
            Ok(json!({ "model": logged_model_json(store, &m) }))
        }
        ("POST", "logged-models/search") => {
            let name = strings(&p, "filter").first().and_then(|f| {
                f.split_once("name = ")
                    .map(|(_, n)| n.trim_matches(['\'', '"', ' ']).to_string())
            });
            let models = store.search_logged_models(
                &strings(&p, "experiment_ids"),
                name.as_deref(),
                None,
            )?;
            let list: Vec<Value> = models.iter().map(|m| logged_model_json(store, m)).collect();
            Ok(json!({ "models": list }))
        }
        (m, e) if e.starts_with("logged-models/") => {
            logged_model_route(store, m, &e["logged-models/".len()..], &p)
        }
        // ---- registry
        (_, e) if e.starts_with("registered-models/") || e.starts_with("model-versions/") => {
            registry(store, method.as_str(), e, &p, actor)
        }
        (_, e) if e.starts_with("mlf/") => mlf_registry(store, method.as_str(), e, &p, actor),
        _ => Err(ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {method} /api/2.0/mlflow/{endpoint}"),
        }),
    }
}

fn param_error(e: crate::store::Error) -> ApiError {
    ApiError::from(e)
}

fn logged_model_route(store: &mut Store, method: &str, rest: &str, p: &P) -> ApiResult<Value> {
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", [id]) => Ok(json!({ "model": logged_model_json(store, &store.logged_model(id)?) })),
        ("PATCH", [id]) => {
            let status = req(p, "status")?;
            let status = match status.as_str() {
                "2" | "READY" => "LOGGED_MODEL_READY".to_string(),
                "3" | "UPLOAD_FAILED" => "LOGGED_MODEL_UPLOAD_FAILED".to_string(),
                "1" | "PENDING" => "LOGGED_MODEL_PENDING".to_string(),
                s => s.to_string(),
            };
            let m = store.set_logged_model_status(id, &status)?;
            Ok(json!({ "model": logged_model_json(store, &m) }))
        }
        ("DELETE", [id]) => {
            store.delete_logged_model(id)?;
            Ok(json!({}))
        }
        ("PATCH", [id, "tags"]) => {
            let tags: Vec<(String, Option<String>)> = kvs(p, "tags")?
                .into_iter()
                .map(|t| (t.key, Some(t.value)))
                .collect();
            store.set_logged_model_tags(id, &tags)?;
            Ok(json!({ "model": logged_model_json(store, &store.logged_model(id)?) }))
        }
        ("DELETE", [id, "tags", key]) => {
            store.set_logged_model_tags(id, &[(super::percent_decode(key), None)])?;
            Ok(json!({}))
        }
        ("POST", [id, "params"]) => {
            store.log_logged_model_params(id, &kvs(p, "params")?)?;
            Ok(json!({}))
        }
        ("GET", [id, "artifacts", "directories"]) => {
            let m = store.logged_model(id)?;
            let dir = store
                .artifact_root()
                .join(&m.experiment_id)
                .join("models")
                .join(&m.model_id)
                .join("artifacts");
            let rel = crate::artifacts::clean_relative(
                &opt(p, "artifact_directory_path").unwrap_or_default(),
            )
            .map_err(|_| ApiError::invalid("Invalid path"))?;
            let files = crate::artifacts::LocalRepo::new(dir.clone())
                .list(&rel, false)
                .unwrap_or_default();
            Ok(
                json!({ "root_uri": uri_for(store.root(), &dir.display().to_string()), "files": files }),
            )
        }
        _ => Err(ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {method} logged-models/{rest}"),
        }),
    }
}

/// Who acts: the given actor, else the server's `MLF_USER`, else `mlflow-client`.
fn acting(actor: Option<&str>) -> String {
    actor
        .map(str::to_string)
        .or_else(|| crate::env::var(crate::env::MLF_USER))
        .unwrap_or_else(|| "mlflow-client".into())
}

/// The store's registry policy.
fn policy(store: &Store) -> ApiResult<Policy> {
    Policy::load(store.root()).map_err(|e| ApiError {
        status: 500,
        code: "INTERNAL_ERROR",
        message: e,
    })
}

fn stage_arg(p: &P, key: &str) -> ApiResult<Stage> {
    Stage::parse(&req(p, key)?)
        .map_err(|e| ApiError::invalid(format!("Invalid Model Version stage: {e}")))
}

/// mlf's registry calls that MLflow's API lacks, under `/api/2.0/mlf/registry/`: stage
/// requests and their approval, the history, and what held each stage at a time.
fn mlf_registry(
    store: &mut Store,
    method: &str,
    endpoint: &str,
    p: &P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let who = acting(actor);
    let comment = opt(p, "comment");
    let act = Act {
        actor: &who,
        comment: comment.as_deref(),
    };
    match (method, endpoint) {
        ("POST", "mlf/registry/request") => {
            let r = store.request_transition(
                &req(p, "name")?,
                version_arg(p)?,
                stage_arg(p, "stage")?,
                &act,
            )?;
            Ok(json!({ "request": r }))
        }
        ("POST", "mlf/registry/decide") => {
            let id = int(p, "id")?
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'id'."))?;
            let approve = matches!(p.get("approve"), Some(Value::Bool(true)))
                || opt(p, "approve").as_deref() == Some("true");
            let allow_self = policy(store)?.allow_self_approval;
            let r = store.decide_request(id, approve, allow_self, &act)?;
            Ok(json!({ "request": r }))
        }
        ("GET", "mlf/registry/requests") => {
            let all = opt(p, "all").as_deref() == Some("true");
            let name = opt(p, "name");
            Ok(json!({ "requests": store.requests(name.as_deref(), all)? }))
        }
        ("GET", "mlf/registry/pending") => {
            let stage = match opt(p, "stage") {
                Some(_) => Some(stage_arg(p, "stage")?),
                None => None,
            };
            let id = store.pending_request_for(&req(p, "name")?, version_arg(p)?, stage)?;
            Ok(json!({ "id": id }))
        }
        ("GET", "mlf/registry/history") => {
            Ok(json!({ "events": store.registry_history(&req(p, "name")?)? }))
        }
        ("GET", "mlf/registry/at") => {
            let at = int(p, "at")?
                .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'at'."))?;
            Ok(json!({ "snapshot": store.registry_at(&req(p, "name")?, at)? }))
        }
        _ => Err(ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {method} /api/2.0/{endpoint}"),
        }),
    }
}

fn version_arg(p: &P) -> ApiResult<i64> {
    let v = req(p, "version")?;
    v.parse::<i64>().map_err(|_| {
        ApiError::invalid(format!(
            "Parameter 'version' must be an integer, got '{v}'."
        ))
    })
}

/// Checks that `path` and everything below it stay inside the store (no symlink leads out).
fn in_store(store: &Store, path: std::path::PathBuf) -> ApiResult<String> {
    let root = std::fs::canonicalize(store.root()).unwrap_or(store.root().to_path_buf());
    let rel = path
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .map_err(|_| {
            ApiError::invalid("Invalid model version source: it is not inside this server's store")
        })?;
    crate::artifacts::LocalRepo::new(root.clone())
        .check_tree(&rel)
        .map_err(|e| ApiError::invalid(format!("Invalid model version source: {e}")))?;
    Ok(path.display().to_string())
}

/// The local files a model-version source names: inside this store, and (with `run_id`)
/// inside that run.
fn source_location(store: &Store, source: &str, run_id: Option<&str>) -> ApiResult<String> {
    if source.contains("..")
        || source.contains('\0')
        || source.contains('\\')
        || source.to_ascii_lowercase().contains("%2e")
    {
        return Err(ApiError::invalid(format!(
            "Invalid model version source: '{source}'"
        )));
    }
    if let Some(id) = source
        .strip_prefix("models:/")
        .filter(|s| s.starts_with("m-") && !s.contains('/'))
    {
        let m = store.logged_model(id)?;
        return Ok(store
            .artifact_root()
            .join(&m.experiment_id)
            .join("models")
            .join(&m.model_id)
            .join("artifacts")
            .display()
            .to_string());
    }
    if source.starts_with("models:") {
        // A source that names no version is a bad parameter of this request.
        let v = crate::ops::registry::resolve_model(store, source)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        return Ok(v.storage_location);
    }
    if source.starts_with("runs:") {
        let dir = crate::models::resolve_uri(Some(store), source, Path::new("/"))
            .map_err(ApiError::from)?;
        if let Some(id) = run_id.filter(|r| !r.is_empty()) {
            let run = store.run(id)?;
            let root = std::fs::canonicalize(store.run_artifact_dir(&run)).unwrap_or_default();
            if !dir.starts_with(&root) {
                return Err(ApiError::invalid(
                    "The run_id request parameter must identify the resource that contains the source.",
                ));
            }
        }
        return in_store(store, dir);
    }
    if source.starts_with("mlflow-artifacts:")
        || source.contains("/api/2.0/mlflow-artifacts/artifacts/")
    {
        let local = local_for(store.root(), source)?;
        if let Some(id) = run_id.filter(|r| !r.is_empty()) {
            let run = store.run(id)?;
            let dir = store.run_artifact_dir(&run);
            if !local.starts_with(&dir) {
                return Err(ApiError::invalid(
                    "The run_id request parameter must identify the resource that contains the source.",
                ));
            }
        }
        return in_store(store, local);
    }
    Err(ApiError::invalid(format!(
        "Invalid model version source: '{source}': use runs:/, models:/ or an mlflow-artifacts:/ URI of this server"
    )))
}

fn registry(
    store: &mut Store,
    method: &str,
    endpoint: &str,
    p: &P,
    actor: Option<&str>,
) -> ApiResult<Value> {
    let who = acting(actor);
    let act = Act {
        actor: &who,
        comment: None,
    };
    match (method, endpoint) {
        ("POST", "registered-models/create") => {
            let name = req(p, "name")?;
            if store.model(&name).is_ok() {
                return Err(ApiError {
                    status: 400,
                    code: "RESOURCE_ALREADY_EXISTS",
                    message: format!("Registered Model (name={name}) already exists."),
                });
            }
            let m = store.create_model(
                &name,
                &opt(p, "description").unwrap_or_default(),
                &kvs(p, "tags")?,
                &act,
            )?;
            Ok(json!({ "registered_model": model_json(store, &m) }))
        }
        ("POST", "registered-models/rename") => {
            let new = req(p, "new_name")?;
            store.rename_model(&req(p, "name")?, &new, &act)?;
            Ok(json!({ "registered_model": model_json(store, &store.model(&new)?) }))
        }
        ("PATCH", "registered-models/update") => {
            let name = req(p, "name")?;
            if let Some(d) = opt(p, "description") {
                store.describe(&name, None, &d, &act)?;
            }
            Ok(json!({ "registered_model": model_json(store, &store.model(&name)?) }))
        }
        ("DELETE", "registered-models/delete") => {
            crate::ops::registry::delete_model(store, &req(p, "name")?, &act)?;
            Ok(json!({}))
        }
        ("GET", "registered-models/get") => {
            let name = req(p, "name")?;
            let m = store.model(&name).map_err(|_| {
                ApiError::not_found(format!("Registered Model with name={name} not found"))
            })?;
            Ok(json!({ "registered_model": model_json(store, &m) }))
        }
        ("GET" | "POST", "registered-models/search") => {
            let filter = match opt(p, "filter").filter(|f| !f.trim().is_empty()) {
                Some(f) => parse_model_filter(&f)
                    .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
                None => None,
            };
            let models = store.list_models(filter.as_ref())?;
            let (models, next) = page(models, p, 100, 1000)?;
            let list: Vec<Value> = models.iter().map(|m| model_json(store, m)).collect();
            Ok(with_token(json!({ "registered_models": list }), next))
        }
        ("GET" | "POST", "registered-models/get-latest-versions") => {
            let name = req(p, "name")?;
            let m = store.model(&name)?;
            let stages: Vec<String> = strings(p, "stages")
                .iter()
                .map(|s| {
                    Stage::parse(s)
                        .map(|s| s.as_str().to_string())
                        .map_err(ApiError::invalid)
                })
                .collect::<ApiResult<_>>()?;
            let list: Vec<Value> = m
                .latest_versions
                .iter()
                .filter(|v| stages.is_empty() || stages.contains(&v.current_stage))
                .map(|v| version_json(store, v))
                .collect();
            Ok(json!({ "model_versions": list }))
        }
        ("POST", "registered-models/set-tag") => {
            store.set_registry_tags(
                &req(p, "name")?,
                None,
                &[(req(p, "key")?, Some(opt(p, "value").unwrap_or_default()))],
                &act,
            )?;
            Ok(json!({}))
        }
        ("DELETE", "registered-models/delete-tag") => {
            store.set_registry_tags(&req(p, "name")?, None, &[(req(p, "key")?, None)], &act)?;
            Ok(json!({}))
        }
        ("POST", "registered-models/alias") => {
            store.set_alias(&req(p, "name")?, &req(p, "alias")?, version_arg(p)?, &act)?;
            Ok(json!({}))
        }
        ("DELETE", "registered-models/alias") => {
            store.delete_alias(&req(p, "name")?, &req(p, "alias")?, &act)?;
            Ok(json!({}))
        }
        ("GET", "registered-models/alias") => {
            let name = req(p, "name")?;
            let alias = req(p, "alias")?;
            let v =
                if alias.eq_ignore_ascii_case("latest") {
                    store.versions(&name)?.into_iter().next().ok_or_else(|| {
                        ApiError::not_found(format!("model {name} has no versions"))
                    })?
                } else {
                    store.model(&name).map_err(|_| {
                        ApiError::not_found(format!("Registered Model with name={name} not found"))
                    })?;
                    // MLflow answers a missing alias with 400, not 404.
                    let n = store.alias_version(&name, &alias).map_err(|e| match e {
                        crate::store::Error::NotFound(_) => {
                            ApiError::invalid(format!("Registered model alias {alias} not found."))
                        }
                        e => e.into(),
                    })?;
                    store.version(&name, n)?
                };
            Ok(json!({ "model_version": version_json(store, &v) }))
        }
        ("POST", "model-versions/create") => {
            let name = req(p, "name")?;
            let source = req(p, "source")?;
            let run = opt(p, "run_id").filter(|s| !s.is_empty());
            let location = source_location(store, &source, run.as_deref())?;
            let new = NewVersion {
                name: name.clone(),
                source,
                run_id: run.unwrap_or_default(),
                storage_location: location,
                description: opt(p, "description").unwrap_or_default(),
                tags: kvs(p, "tags")?,
            };
            let v = store.create_version(&new, &act, &mut |_| Err("nothing to place".into()))?;
            Ok(json!({ "model_version": version_json(store, &v) }))
        }
        ("PATCH", "model-versions/update") => {
            let name = req(p, "name")?;
            let v = version_arg(p)?;
            if let Some(d) = opt(p, "description") {
                store.describe(&name, Some(v), &d, &act)?;
            }
            Ok(json!({ "model_version": version_json(store, &store.version(&name, v)?) }))
        }
        ("POST", "model-versions/transition-stage") => {
            let name = req(p, "name")?;
            let v = version_arg(p)?;
            let stage = stage_arg(p, "stage")?;
            let archive = matches!(p.get("archive_existing_versions"), Some(Value::Bool(true)))
                || opt(p, "archive_existing_versions").as_deref() == Some("true");
            let protected = policy(store)?.is_protected(stage);
            let mv = store.transition(&name, v, stage, archive, protected, &act)?;
            Ok(json!({ "model_version": version_json(store, &mv) }))
        }
        ("DELETE", "model-versions/delete") => {
            crate::ops::registry::delete_version(store, &req(p, "name")?, version_arg(p)?, &act)?;
            Ok(json!({}))
        }
        ("GET", "model-versions/get") => {
            let name = req(p, "name")?;
            let v = version_arg(p)?;
            Ok(json!({ "model_version": version_json(store, &store.version(&name, v)?) }))
        }
        ("GET" | "POST", "model-versions/search") => {
            let f = opt(p, "filter").unwrap_or_default();
            let pick = |key: &str| -> Option<String> {
                f.split(" AND ").chain(f.split(" and ")).find_map(|c| {
                    let (k, v) = c.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches(['\'', '"']).to_string())
                })
            };
            let versions =
                store.search_versions(pick("name").as_deref(), pick("run_id").as_deref())?;
            let (versions, next) = page(versions, p, 200_000, 200_000)?;
            let list: Vec<Value> = versions.iter().map(|v| version_json(store, v)).collect();
            Ok(with_token(json!({ "model_versions": list }), next))
        }
        ("GET", "model-versions/get-download-uri") => {
            let v = store.version(&req(p, "name")?, version_arg(p)?)?;
            Ok(json!({ "artifact_uri": uri_for(store.root(), &v.storage_location) }))
        }
        ("POST", "model-versions/set-tag") => {
            store.set_registry_tags(
                &req(p, "name")?,
                Some(version_arg(p)?),
                &[(req(p, "key")?, Some(opt(p, "value").unwrap_or_default()))],
                &act,
            )?;
            Ok(json!({}))
        }
        ("DELETE", "model-versions/delete-tag") => {
            store.set_registry_tags(
                &req(p, "name")?,
                Some(version_arg(p)?),
                &[(req(p, "key")?, None)],
                &act,
            )?;
            Ok(json!({}))
        }
        _ => Err(ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!("no endpoint {method} /api/2.0/mlflow/{endpoint}"),
        }),
    }
}

/// Evaluates a registered-model style filter (`name`, `tags.K`) on a name and tags.
fn eval_named(e: &crate::search::Expr, name: &str, tags: &[KeyValue]) -> bool {
    use crate::search::{Attr, Expr, Op, Target, Value as V};
    match e {
        Expr::And(items) => items.iter().all(|i| eval_named(i, name, tags)),
        Expr::Or(items) => items.iter().any(|i| eval_named(i, name, tags)),
        Expr::Not(inner) => !eval_named(inner, name, tags),
        Expr::Clause(c) => {
            let value = match &c.target {
                Target::Attr(Attr::Name) => Some(name.to_string()),
                Target::Tag(k) => tags.iter().find(|t| t.key == *k).map(|t| t.value.clone()),
                _ => None,
            };
            let text = match &c.value {
                V::Str(s) => s.clone(),
                _ => String::new(),
            };
            match (c.op, value) {
                (Op::IsNull, v) => v.is_none(),
                (Op::IsNotNull, v) => v.is_some(),
                (_, None) => false,
                (Op::Eq, Some(v)) => v == text,
                (Op::Ne, Some(v)) => v != text,
                (Op::Like, Some(v)) => like(&v, &text, false),
                (Op::ILike, Some(v)) => like(&v, &text, true),
                (Op::In, Some(v)) => matches!(&c.value, V::List(l) if l.contains(&v)),
                (Op::NotIn, Some(v)) => matches!(&c.value, V::List(l) if !l.contains(&v)),
                _ => false,
            }
        }
    }
}

/// SQL LIKE on strings (`%`, `_`).
fn like(text: &str, pattern: &str, fold: bool) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = if fold {
        (
            text.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    fn go(t: &[char], p: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|i| go(&t[i..], &p[1..])),
            Some('_') => !t.is_empty() && go(&t[1..], &p[1..]),
            Some(c) => t.first() == Some(c) && go(&t[1..], &p[1..]),
        }
    }
    go(&t, &p)
}

/// The limits MLflow puts on an experiment tag: a valid key, a value of at most 20,000
/// characters.
fn experiment_tag_ok(key: &str, value: &str) -> ApiResult<()> {
    crate::tracking::validation::validate_key(crate::tracking::validation::KeyKind::Tag, key)
        .map_err(ApiError::invalid)?;
    if value.chars().count() > 20_000 {
        return Err(ApiError::invalid(
            "'value' exceeds the maximum length of 20000 characters",
        ));
    }
    Ok(())
}

const SEE_DOCS: &str = "See the API docs for more information about request parameters.";

/// An integer parameter as MLflow's schema checks take it: absent is `None`; present, it must
/// be an integer (an empty string is not).
fn intlike(p: &P, key: &str) -> ApiResult<Option<i64>> {
    let bad = |shown: String, kind: &str| {
        ApiError::invalid(format!(
            "Invalid value {shown} for parameter '{key}' supplied:  Hint: Value was of type '{kind}'. {SEE_DOCS}"
        ))
    };
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(n.to_string(), "float")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("\"{s}\""), "str")),
        Some(other) => Err(bad(other.to_string(), "object")),
    }
}

/// Most runs one bulk history call may name.
const BULK_MAX_RUNS: usize = 100;
/// Most points per run of `metrics/get-history-bulk-interval`, and its default.
const INTERVAL_MAX_RESULTS: i64 = 2500;
/// Most points of `metrics/get-history-bulk`, and its default.
const BULK_MAX_RESULTS: i64 = 25_000;

/// Which of `n` ordered points MLflow's SQL store keeps when asked for at most `k`
/// (`_sample_rows_with_window_functions`): all of them when there are no more than `k`;
/// otherwise the first point of each of `k` NTILE buckets (sizes as even as possible, the
/// larger ones first), with the last bucket's point replaced by the very last point, so that
/// both ends of the history are kept and never more than `k` are answered.
pub(crate) fn sample_positions(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let (size, larger) = (n / k, n % k);
    let mut out: Vec<usize> = (0..k).map(|b| b * size + b.min(larger)).collect();
    if let Some(last) = out.last_mut() {
        *last = n - 1;
    }
    out
}

fn with_run_id(run_id: &str, m: &Metric) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    v["run_id"] = Value::String(run_id.to_string());
    v
}

/// `GET metrics/get-history-bulk-interval`: the history of one metric of up to 100 runs,
/// each sampled down to at most `max_results` points (default 2500) spread evenly over the
/// run's points in the step range, both ends kept; runs in the order given, each run's points
/// by step, timestamp, value. MLflow's checks and messages, in MLflow's order.
fn history_bulk_interval(store: &Store, p: &P) -> ApiResult<Value> {
    let missing = |key: &str| {
        ApiError::invalid(format!(
            "Missing value for required parameter '{key}'. {SEE_DOCS}"
        ))
    };
    let run_ids: Vec<String> = match p.get("run_ids") {
        None | Some(Value::Null) => return Err(missing("run_ids")),
        Some(Value::Array(a)) if a.is_empty() => return Err(missing("run_ids")),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Invalid value {v} for parameter 'run_ids' supplied: Hint: every run id must be a string. {SEE_DOCS}"
                    ))
                })
            })
            .collect::<ApiResult<_>>()?,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Invalid value {other} for parameter 'run_ids' supplied: Hint: Value was not a list. {SEE_DOCS}"
            )));
        }
    };
    if run_ids.len() > BULK_MAX_RUNS {
        return Err(ApiError::invalid(format!(
            "GetMetricHistoryBulkInterval request must specify at most {BULK_MAX_RUNS} run_ids. Received {} run_ids. {SEE_DOCS}",
            run_ids.len()
        )));
    }
    let key = opt(p, "metric_key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| missing("metric_key"))?;
    let start = intlike(p, "start_step")?;
    let end = intlike(p, "end_step")?;
    let max = intlike(p, "max_results")?.unwrap_or(INTERVAL_MAX_RESULTS);
    if !(1..=INTERVAL_MAX_RESULTS).contains(&max) {
        return Err(ApiError::invalid(format!(
            "max_results must be between 1 and {INTERVAL_MAX_RESULTS}. {SEE_DOCS}"
        )));
    }
    let steps = match (start, end) {
        (Some(s), Some(e)) if s > e => {
            return Err(ApiError::invalid(format!(
                "end_step must be greater than start_step. Found start_step={s} and end_step={e}."
            )));
        }
        (Some(s), Some(e)) => Some((s, e)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid(
                "If either start step or end step are specified, both must be specified.",
            ));
        }
    };
    let mut metrics = Vec::new();
    for run_id in &run_ids {
        let points =
            store.metric_points_at(run_id, &key, steps, |n| sample_positions(n, max as usize))?;
        metrics.extend(points.iter().map(|m| with_run_id(run_id, m)));
    }
    // An empty repeated field is left out, as protobuf does.
    Ok(if metrics.is_empty() {
        json!({})
    } else {
        json!({ "metrics": metrics })
    })
}

/// `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk`: every point of one metric of up to
/// 100 runs (`run_id` repeated), by run id, timestamp, step, value; at most `max_results`
/// (default and most: 25,000) in all.
fn history_bulk(store: &Store, p: &P) -> ApiResult<Value> {
    let run_ids = strings(p, "run_id");
    if run_ids.is_empty() {
        return Err(ApiError::invalid(
            "GetMetricHistoryBulk request must specify at least one run_id.",
        ));
    }
    if run_ids.len() > BULK_MAX_RUNS {
        return Err(ApiError::invalid(format!(
            "GetMetricHistoryBulk request cannot specify more than {BULK_MAX_RUNS} run_ids. Received {} run_ids.",
            run_ids.len()
        )));
    }
    let key = opt(p, "metric_key").ok_or_else(|| {
        ApiError::invalid("GetMetricHistoryBulk request must specify a metric_key.")
    })?;
    let max = intlike(p, "max_results")?.unwrap_or(BULK_MAX_RESULTS);
    if max < 0 {
        return Err(ApiError::invalid(format!(
            "Invalid value {max} for parameter 'max_results' supplied: it must be 0 or more"
        )));
    }
    let points = store.metric_points_of_runs(&run_ids, &key, max.min(BULK_MAX_RESULTS) as usize)?;
    let metrics: Vec<Value> = points.iter().map(|(r, m)| with_run_id(r, m)).collect();
    Ok(json!({ "metrics": metrics }))
}

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

fn run_or_404(store: &Store, id: &str) -> ApiResult<Run> {
    store.run(id).map_err(|e| match e {
        crate::store::Error::NotFound(_) => {
            ApiError::not_found(format!("Run with id={id} not found"))
        }
        e => e.into(),
    })
}

/// The most `upload-artifact` takes, as MLflow.
const UPLOAD_MAX: usize = 10 * 1024 * 1024;

/// MLflow's routes outside the proto API, used by its UI: file downloads of runs, model
/// versions and logged models, the upload of one small run file, and the bulk metric history.
/// `None` when `path` is none of them. `q` holds the query string's parameters.
pub fn ui_route(
    store: &Store,
    method: &Method,
    path: &str,
    q: &P,
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
            let id = opt(q, "run_id")
                .filter(|s| !s.is_empty())
                .or_else(|| opt(q, "run_uuid").filter(|s| !s.is_empty()))
                .ok_or_else(|| {
                    ApiError::invalid("Missing value for required parameter 'run_id'.")
                })?;
            let run = run_or_404(store, &id)?;
            let dir = store.run_artifact_dir(&run).display().to_string();
            download_below(store.root(), &dir, &format!("run {id}"), &rel)
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
            download_below(store.root(), &v.storage_location, &what, &rel)
        }),
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk" => {
            get_only(&|| history_bulk(store, q).map(|v| json_response(StatusCode::OK, v)))
        }
        "/ajax-api/2.0/mlflow/upload-artifact" if method != Method::POST => {
            Err(wrong_method("POST"))
        }
        "/ajax-api/2.0/mlflow/upload-artifact" => upload_artifact(store, q, body),
        _ => {
            let id = super::percent_decode(logged_model_files(path)?);
            get_only(&|| logged_model_file(store, &id, q))
        }
    };
    Some(answer)
}

/// Whether [`ui_route`] answers `path`.
pub fn is_ui_route(path: &str) -> bool {
    matches!(
        path,
        "/get-artifact"
            | "/model-versions/get-artifact"
            | "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
            | "/ajax-api/2.0/mlflow/upload-artifact"
    ) || logged_model_files(path).is_some()
}

/// The model id of `/ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files`.
fn logged_model_files(path: &str) -> Option<&str> {
    path.strip_prefix("/ajax-api/2.0/mlflow/logged-models/")?
        .strip_suffix("/artifacts/files")
}

/// A query parameter that must be there (an empty `path` names the folder itself).
fn present_query(q: &P, key: &str) -> ApiResult<String> {
    opt(q, key)
        .ok_or_else(|| ApiError::invalid(format!("Missing value for required parameter '{key}'.")))
}

/// A query parameter that must be there and not empty.
fn required_query(q: &P, key: &str) -> ApiResult<String> {
    opt(q, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("Missing value for required parameter '{key}'.")))
}

/// `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=`: the raw body (at most 10 MB)
/// becomes the run's file `path`, replacing one that is there.
fn upload_artifact(store: &Store, q: &P, body: &[u8]) -> ApiResult<Response> {
    let id = opt(q, "run_uuid")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("Request must specify run_uuid."))?;
    let path = opt(q, "path")
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
    upload_below(store.root(), &dir, &format!("run {id}"), &rel, body)?;
    let mut r = (StatusCode::OK, Vec::<u8>::new()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// `GET /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path=`.
fn logged_model_file(store: &Store, id: &str, q: &P) -> ApiResult<Response> {
    let path = opt(q, "artifact_file_path")
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
        .artifact_root()
        .join(&m.experiment_id)
        .join("models")
        .join(&m.model_id)
        .join("artifacts");
    download_below(
        store.root(),
        &dir.display().to_string(),
        &format!("logged model {id}"),
        &rel,
    )
}

#[cfg(test)]
mod tests {
    use super::sample_positions;

    #[test]
    fn sampling_keeps_bucket_starts_and_both_ends() {
        assert_eq!(sample_positions(0, 5), Vec::<usize>::new());
        assert_eq!(sample_positions(3, 5), [0, 1, 2]);
        assert_eq!(sample_positions(5, 5), [0, 1, 2, 3, 4]);
        assert_eq!(sample_positions(10, 1), [9]);
        // 10 points in 5 buckets of 2: starts 0, 2, 4, 6, 8 → the last becomes 9.
        assert_eq!(sample_positions(10, 5), [0, 2, 4, 6, 9]);
        // 5 points in 3 buckets of 2, 2, 1 (larger first): starts 0, 2, 4.
        assert_eq!(sample_positions(5, 3), [0, 2, 4]);
        // 20 points in 7 buckets: 3, 3, 3, 3, 3, 3, 2.
        assert_eq!(sample_positions(20, 7), [0, 3, 6, 9, 12, 15, 19]);
        for (n, k) in [(2501, 2500), (100_000, 2500), (7, 2)] {
            let s = sample_positions(n, k);
            assert_eq!(s.len(), k);
            assert_eq!((s[0], s[k - 1]), (0, n - 1));
            assert!(s.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
