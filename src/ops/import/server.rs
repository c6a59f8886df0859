//! Reading an MLflow tracking server over its REST API: experiments (deleted ones too), runs
//! page by page, every metric's whole history through `metrics/get-history` (never the sampled
//! endpoint), artifacts downloaded through the server's artifact proxy, the registry, and MLflow
//! 3's logged models with their files (a server without them has none). What
//! it reads goes into a scratch database in MLflow's schema, as for a file store, with the
//! artifacts below `scratch`.

use std::path::Path;

use serde_json::{Value, json};

use crate::store::rest::RestStore;
use crate::store::{
    MlflowData, MlflowExperiment, MlflowLoggedModel, MlflowModel, MlflowRun, MlflowVersion,
    RegistryStore, RunQuery, TrackingStore,
};
use crate::tracking::ViewType;

use super::ImportError;

fn pairs(list: &[crate::tracking::KeyValue]) -> Vec<(String, String)> {
    list.iter()
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect()
}

/// Everything the server at `uri` serves, with each run's artifacts downloaded below
/// `scratch/runs/<run id>/artifacts`. `progress` hears runs read of those found so far.
pub fn read(
    uri: &str,
    scratch: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(MlflowData, i64), ImportError> {
    let client = crate::remote::Client::new(uri).map_err(|e| ImportError::Remote(e.to_string()))?;
    let store = RestStore::new(client.clone(), scratch.join("state"), true);
    let mut data = MlflowData::default();
    let mut unreadable = 0i64;
    let exps = store.list_experiments(ViewType::All)?;
    for e in &exps {
        data.experiments.push(MlflowExperiment {
            id: e.experiment_id.parse().unwrap_or_default(),
            name: e.name.clone(),
            artifact_location: String::new(),
            lifecycle_stage: e.lifecycle_stage.as_str().to_string(),
            creation_time: e.creation_time,
            last_update_time: e.last_update_time,
            tags: pairs(&e.tags),
        });
    }
    let mut runs = Vec::new();
    let mut token = None;
    loop {
        let page = store.search_runs(&RunQuery {
            experiment_ids: exps.iter().map(|e| e.experiment_id.clone()).collect(),
            view: ViewType::All,
            max_results: Some(1000),
            page_token: token,
            ..Default::default()
        })?;
        runs.extend(page.runs);
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    let total = runs.len();
    for (i, run) in runs.iter().enumerate() {
        let id = &run.info.run_id;
        let mut metrics = Vec::new();
        for key in run.data.metrics.iter().map(|m| &m.key) {
            for m in store.metric_history(id, key)? {
                metrics.push((m.key, m.timestamp, m.value, m.step));
            }
        }
        let dir = scratch.join("runs").join(id);
        let fetched = store.artifacts(run).ok().and_then(|repo| {
            let items = repo.plan_get(Path::new(""), &dir).ok()?;
            items
                .iter()
                .try_for_each(|item| repo.get(item, &mut |_| {}))
                .ok()
        });
        if fetched.is_none() {
            unreadable += 1;
        }
        data.runs.push(MlflowRun {
            run_id: id.clone(),
            experiment_id: run.info.experiment_id.parse().unwrap_or_default(),
            name: run.info.run_name.clone(),
            user_id: run.info.user_id.clone(),
            status: run.info.status.as_str().to_string(),
            start_time: run.info.start_time,
            end_time: run.info.end_time,
            lifecycle_stage: run.info.lifecycle_stage.as_str().to_string(),
            deleted_time: None,
            artifact_uri: dir.join("artifacts").display().to_string(),
            params: pairs(&run.data.params),
            tags: pairs(&run.data.tags),
            metrics,
        });
        progress(i + 1, total);
    }
    let ids: Vec<String> = exps.iter().map(|e| e.experiment_id.clone()).collect();
    unreadable += logged_models(&client, &store, &ids, scratch, &mut data)?;
    for m in store.list_models(None)? {
        for v in store.versions(&m.name)? {
            data.versions.push(MlflowVersion {
                name: v.name,
                version: v.version.parse().unwrap_or_default(),
                description: v.description,
                user_id: v.user_id,
                stage: v.current_stage,
                source: v.source,
                run_id: v.run_id,
                status: v.status,
                creation_time: v.creation_timestamp,
                last_updated_time: v.last_updated_timestamp,
                tags: pairs(&v.tags),
            });
        }
        data.models.push(MlflowModel {
            aliases: m
                .aliases
                .iter()
                .filter_map(|a| Some((a.alias.clone(), a.version.parse().ok()?)))
                .collect(),
            tags: pairs(&m.tags),
            name: m.name,
            description: m.description,
            creation_time: m.creation_timestamp,
            last_updated_time: m.last_updated_timestamp,
        });
    }
    Ok((data, unreadable))
}

/// The pairs of a `[{key, value}]` list of a JSON answer.
fn json_pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            Some((
                kv["key"].as_str()?.to_string(),
                kv["value"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// MLflow's stored code of a logged model's status.
fn status_code(status: &str) -> i64 {
    match status {
        "LOGGED_MODEL_PENDING" => 1,
        "LOGGED_MODEL_READY" => 2,
        "LOGGED_MODEL_UPLOAD_FAILED" => 3,
        _ => 0,
    }
}

/// MLflow 3's logged models of the experiments `ids` (`logged-models/search`, page by page),
/// each model's files downloaded below `scratch/models/<id>/artifacts`; the count of models
/// whose files could not be read. A server that has no logged models (before MLflow 3)
/// gives none.
fn logged_models(
    client: &crate::remote::Client,
    store: &RestStore,
    ids: &[String],
    scratch: &Path,
    data: &mut MlflowData,
) -> Result<i64, ImportError> {
    let mut unreadable = 0;
    let mut token: Option<String> = None;
    for chunk in ids.chunks(100) {
        loop {
            let mut body = json!({ "experiment_ids": chunk, "max_results": 100 });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = match client.post("logged-models/search", &body) {
                Ok(p) => p,
                Err(crate::store::Error::Unsupported(_)) => return Ok(0),
                Err(e) => return Err(e.into()),
            };
            for m in page["models"].as_array().into_iter().flatten() {
                let info = &m["info"];
                let text = |k: &str| info[k].as_str().unwrap_or("").to_string();
                let int = |k: &str| {
                    info[k]
                        .as_i64()
                        .or_else(|| info[k].as_str().and_then(|s| s.parse().ok()))
                        .unwrap_or(0)
                };
                let id = text("model_id");
                if id.is_empty() {
                    continue;
                }
                let dest = scratch.join("models").join(&id);
                let uri = text("artifact_uri");
                let fetched = uri.is_empty()
                    || store.repo_for(&uri).is_ok_and(|repo| {
                        match repo.plan_get(Path::new(""), &dest) {
                            Ok(items) => items.iter().all(|i| repo.get(i, &mut |_| {}).is_ok()),
                            // No files at all: nothing to copy.
                            Err(crate::artifacts::Error::NotFound(_)) => true,
                            Err(_) => false,
                        }
                    });
                if !fetched {
                    unreadable += 1;
                }
                let params = if m["data"]["params"].is_array() {
                    &m["data"]["params"]
                } else {
                    &info["params"]
                };
                data.logged_models.push(MlflowLoggedModel {
                    model_id: id,
                    experiment_id: int("experiment_id"),
                    name: text("name"),
                    artifact_location: dest.join("artifacts").display().to_string(),
                    creation_time: int("creation_timestamp_ms"),
                    last_updated_time: int("last_updated_timestamp_ms"),
                    status: status_code(info["status"].as_str().unwrap_or("")),
                    lifecycle_stage: "active".into(),
                    model_type: text("model_type"),
                    source_run_id: text("source_run_id"),
                    status_message: text("status_message"),
                    params: json_pairs(params),
                    tags: json_pairs(&info["tags"]),
                });
            }
            token = page["next_page_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(unreadable)
}
