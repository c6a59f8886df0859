//! Reading an MLflow tracking server over its REST API: experiments (deleted ones too), runs
//! page by page, every metric's whole history through `metrics/get-history` (never the sampled
//! endpoint), artifacts downloaded through the server's artifact proxy, and the registry. What
//! it reads goes into a scratch database in MLflow's schema, as for a file store, with the
//! artifacts below `scratch`.

use std::path::Path;

use crate::store::rest::RestStore;
use crate::store::{
    MlflowData, MlflowExperiment, MlflowModel, MlflowRun, MlflowVersion, RegistryStore, RunQuery,
    TrackingStore,
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
    let store = RestStore::new(client, scratch.join("state"), true);
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
