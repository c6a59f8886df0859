//! `runs/*`: create, update, delete and restore runs; log metrics, params, tags, batches,
//! models, inputs and outputs; get and search runs.

use super::*;

/// Answers one call of this service.
pub(super) fn handle(store: &mut Store, method: &Method, endpoint: &str, p: P) -> ApiResult<Value> {
    let empty = json!({});
    match (method.as_str(), endpoint) {
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
            // As MLflow: an end time not given stays as it was.
            let end = int(&p, "end_time")?.or(run.info.end_time);
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
            use crate::protocol::{MAX_BATCH_METRICS, MAX_BATCH_PARAMS_AND_TAGS};
            if metrics.len() > MAX_BATCH_METRICS {
                return Err(ApiError::invalid(format!(
                    "A batch logging request can contain at most {MAX_BATCH_METRICS} metrics. Got {} metrics. Please split up metrics across multiple requests and try again.",
                    metrics.len()
                )));
            }
            if params.len() > MAX_BATCH_PARAMS_AND_TAGS
                || tags.len() > MAX_BATCH_PARAMS_AND_TAGS
                || metrics.len() + params.len() + tags.len() > MAX_BATCH_METRICS
            {
                return Err(ApiError::invalid(format!(
                    "A batch logging request can contain at most {MAX_BATCH_PARAMS_AND_TAGS} params, {MAX_BATCH_PARAMS_AND_TAGS} tags and {MAX_BATCH_METRICS} entries in all",
                )));
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
        _ => Err(not_found(method.as_str(), "/api/2.0/mlflow/", endpoint)),
    }
}
