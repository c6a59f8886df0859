//! `runs/*`: create, update, delete and restore runs; log metrics, params, tags, batches,
//! models, inputs and outputs; get and search runs.

use super::*;

/// The methods and paths this service answers (below the API prefixes) and their handlers.
pub(super) const ROUTES: &[Route] = &[
    (MethodFilter::POST, "runs/create", create),
    (MethodFilter::POST, "runs/update", update),
    (MethodFilter::POST, "runs/delete", delete),
    (MethodFilter::POST, "runs/restore", restore),
    (MethodFilter::POST, "runs/log-metric", log_metric),
    (MethodFilter::POST, "runs/log-parameter", log_parameter),
    (MethodFilter::POST, "runs/set-tag", set_tag),
    (
        MethodFilter::POST.or(MethodFilter::DELETE),
        "runs/delete-tag",
        delete_tag,
    ),
    (MethodFilter::GET, "runs/get", get),
    (
        MethodFilter::POST.or(MethodFilter::GET),
        "runs/search",
        search,
    ),
    (MethodFilter::POST, "runs/log-batch", log_batch),
    (MethodFilter::POST, "runs/log-model", log_model),
    (MethodFilter::POST, "runs/log-inputs", log_inputs),
    (MethodFilter::POST, "runs/outputs", outputs),
];

/// `POST runs/create`.
fn create(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    create_run(store, decode(p)?)
}

/// `POST runs/update`.
fn update(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let m: UpdateRun = decode(p)?;
    let run = active_run(store, &m.run_id)?;
    if let Some(name) = m.run_name.filter(|s| !s.is_empty()) {
        store.rename_run(&m.run_id, &name)?;
    }
    let status = m.status.unwrap_or(run.info.status);
    // As MLflow: an end time not given stays as it was.
    let end = m.end_time.or(run.info.end_time);
    store.update_run(&m.run_id, status, end)?;
    let run = store.run(&m.run_id)?;
    Ok(json!({ "run_info": run_json(store, &run)["info"] }))
}

/// `POST runs/delete`.
fn delete(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    store.delete_runs(&[decode::<DeleteRun>(p)?.run_id])?;
    Ok(empty)
}

/// `POST runs/restore`.
fn restore(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    store.restore_runs(&[decode::<RestoreRun>(p)?.run_id])?;
    Ok(empty)
}

/// `POST runs/log-metric`.
fn log_metric(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: LogMetric = decode(p)?;
    let metric = Metric {
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        step: m.step.unwrap_or(0),
    };
    let of_model = model_metric(
        &m.run_id,
        &metric,
        m.model_id,
        m.dataset_name,
        m.dataset_digest,
    );
    store.log_batch(
        &m.run_id,
        LogBatch {
            metrics: vec![metric],
            ..Default::default()
        },
    )?;
    store.log_model_metrics(&of_model.into_iter().collect::<Vec<_>>())?;
    Ok(empty)
}

/// `POST runs/log-parameter`.
fn log_parameter(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: LogParam = decode(p)?;
    let params = vec![KeyValue {
        key: m.key,
        value: m.value,
    }];
    store
        .log_batch(
            &m.run_id,
            LogBatch {
                params,
                ..Default::default()
            },
        )
        .map_err(param_error)?;
    Ok(empty)
}

/// `POST runs/set-tag`.
fn set_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: SetTag = decode(p)?;
    let tags = vec![KeyValue {
        key: m.key,
        value: m.value,
    }];
    store.log_batch(
        &m.run_id,
        LogBatch {
            tags,
            ..Default::default()
        },
    )?;
    Ok(empty)
}

/// `POST | DELETE runs/delete-tag`.
fn delete_tag(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: DeleteTag = decode(p)?;
    store.delete_run_tag(&m.run_id, &m.key)?;
    Ok(empty)
}

/// `GET runs/get`.
fn get(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let id = decode::<GetRun>(p)?.run_id;
    let run = store
        .run(&id)
        .map_err(|_| ApiError::not_found(format!("Run with id={id} not found")))?;
    Ok(json!({ "run": run_json(store, &run) }))
}

/// `POST | GET runs/search`.
fn search(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    search_runs(store, decode(p)?)
}

/// `POST runs/log-batch`.
fn log_batch(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let m = c.p.decode_plain(LogBatchRequest::from_plain_json)?;
    store_batch(store, batch_of(m)?)
}

/// A `runs/log-batch` request decoded and checked: the run, its batch and the metrics of
/// logged models it names.
pub(crate) struct Checked {
    pub run: String,
    pub batch: LogBatch,
    pub of_models: Vec<crate::tracking::inputs::ModelMetric>,
}

/// Decodes and checks a `runs/log-batch` request (on the server's runtime, for the database's
/// fast path).
pub(crate) fn decode_batch(p: crate::server::params::Params) -> ApiResult<Checked> {
    batch_of(p.decode_plain(LogBatchRequest::from_plain_json)?)
}

/// Writes a checked batch, whole or not at all.
pub(crate) fn store_batch(store: &mut dyn ServerStore, c: Checked) -> ApiResult<Value> {
    store.log_batch(&c.run, c.batch).map_err(param_error)?;
    store.log_model_metrics(&c.of_models)?;
    Ok(json!({}))
}

/// What a failed batch answers.
pub(crate) fn batch_error(e: crate::store::Error) -> ApiError {
    param_error(e)
}

/// `POST runs/log-model`.
fn log_model(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: LogModel = decode(p)?;
    let model: Value = serde_json::from_str(&m.model_json)
        .map_err(|e| ApiError::invalid(format!("model_json is not JSON: {e}")))?;
    let run = store.run(&m.run_id)?;
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
        &m.run_id,
        LogBatch {
            tags: vec![tag],
            ..Default::default()
        },
    )?;
    Ok(empty)
}

/// `POST runs/log-inputs`.
fn log_inputs(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: LogInputs = decode(p)?;
    store.log_inputs(&m.run_id, &m.datasets, &m.models)?;
    Ok(empty)
}

/// `POST runs/outputs`.
fn outputs(store: &mut dyn ServerStore, c: Call) -> ApiResult<Value> {
    let p = c.p;
    let empty = json!({});
    let m: LogOutputs = decode(p)?;
    let models: Vec<(String, i64)> = m.models.into_iter().map(|o| (o.model_id, o.step)).collect();
    store.log_run_outputs(&m.run_id, &models)?;
    Ok(empty)
}

/// `runs/create`: a run named by `run_name` or the `mlflow.runName` tag (they must agree).
fn create_run(store: &mut dyn ServerStore, m: CreateRun) -> ApiResult<Value> {
    let experiment_id = m
        .experiment_id
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0".into());
    let mut tags = m.tags;
    let mut name = m.run_name.filter(|s| !s.is_empty());
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
    let user = m
        .user_id
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
    let run = store.create_run(NewRun {
        experiment_id,
        name,
        user,
        tags,
        params: Vec::new(),
        owner: None,
        make_active: false,
        start_time: m.start_time,
    })?;
    Ok(json!({ "run": run_json(store, &run) }))
}

/// `runs/search`: the grammar's filter and order, a page at a time.
fn search_runs(store: &dyn ServerStore, m: SearchRuns) -> ApiResult<Value> {
    let max = m.max_results.unwrap_or(1000);
    if !(1..=50_000).contains(&max) {
        return Err(ApiError::invalid(format!(
            "Invalid value {max} for parameter 'max_results' supplied: it must be between 1 and 50000"
        )));
    }
    let filter = match m.filter.filter(|f| !f.trim().is_empty()) {
        Some(f) => parse_filter(&f, now_ms())
            .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
        None => None,
    };
    let order_by = parse_order_by(&m.order_by)
        .map_err(|e| ApiError::invalid(format!("Invalid order_by clause: {e}")))?;
    let q = RunQuery {
        experiment_ids: m.experiment_ids,
        view: m.run_view_type,
        filter,
        order_by,
        max_results: Some(max as usize),
        page_token: m.page_token.filter(|t| !t.is_empty()),
    };
    let page = store.search_runs(&q)?;
    let ids: Vec<&str> = page.runs.iter().map(|r| r.info.run_id.as_str()).collect();
    let io = store.runs_io(&ids).unwrap_or_default();
    let none = crate::store::RunIo::default();
    let runs: Vec<Value> = page
        .runs
        .iter()
        .map(|r| run_json_with(store, r, io.get(&r.info.run_id).unwrap_or(&none)))
        .collect();
    Ok(with_token(json!({ "runs": runs }), page.next_page_token))
}

/// `runs/log-batch`: MLflow's limits.
fn batch_of(m: LogBatchRequest) -> ApiResult<Checked> {
    use crate::protocol::{MAX_BATCH_METRICS, MAX_BATCH_PARAMS_AND_TAGS};
    let (metrics, params, tags) = (m.metrics, m.params, m.tags);
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
    let mut of_models = Vec::new();
    let metrics: Vec<Metric> = metrics
        .into_iter()
        .map(|mut msg| {
            let (model, name, digest) = (
                msg.model_id.take(),
                msg.dataset_name.take(),
                msg.dataset_digest.take(),
            );
            let metric: Metric = msg.into();
            of_models.extend(model_metric(&m.run_id, &metric, model, name, digest));
            metric
        })
        .collect();
    let batch = LogBatch {
        metrics,
        params,
        tags,
    };
    Ok(Checked {
        run: m.run_id,
        batch,
        of_models,
    })
}

/// A run's metric as a metric of the logged model it names, if it names one.
fn model_metric(
    run: &str,
    metric: &Metric,
    model_id: Option<String>,
    dataset_name: Option<String>,
    dataset_digest: Option<String>,
) -> Option<crate::tracking::inputs::ModelMetric> {
    let model_id = model_id.filter(|m| !m.is_empty())?;
    Some(crate::tracking::inputs::ModelMetric {
        key: metric.key.clone(),
        value: metric.value,
        timestamp: metric.timestamp,
        step: metric.step,
        run_id: run.to_string(),
        dataset_name: dataset_name.unwrap_or_default(),
        dataset_digest: dataset_digest.unwrap_or_default(),
        model_id,
    })
}
