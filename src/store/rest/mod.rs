//! The store traits over MLflow's REST API, so that every command works against a tracking
//! server (`mlf server`, or `mlflow server`) when `MLF_TRACKING_URI` is an http(s) URL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    Act, Error, Fix, LogBatch, LogOutcome, Missing, NewRun, NewVersion, Page, Result, RunPage,
    RunQuery,
};
use super::{Snapshot, Store};
use crate::artifacts::{HttpRepo, LocalRepo, Repo};
use crate::registry::{Event, ModelVersion, RegisteredModel, Stage, TransitionRequest};
use crate::remote::Client;
use crate::search::Expr;
use crate::tracking::{Experiment, KeyValue, LifecycleStage, Metric, Run, RunStatus, ViewType};

use crate::protocol::requests;
use crate::protocol::{LogBatchRequest, MAX_BATCH_METRICS, MAX_BATCH_PARAMS_AND_TAGS};

mod registry;
mod tracking;

use super::backend::TrackingStore;

/// Largest page asked of `runs/search`.
const SEARCH_PAGE: usize = 1000;
/// Most runs looked through to resolve an id prefix.
const PREFIX_SCAN: usize = 50_000;

pub struct RestStore {
    client: Client,
    /// Where this machine keeps the active run of `mlf run start` for this server.
    state_dir: PathBuf,
    truncate: bool,
}

impl RestStore {
    pub fn new(client: Client, state_dir: PathBuf, truncate: bool) -> RestStore {
        RestStore {
            client,
            state_dir,
            truncate,
        }
    }

    fn search_page(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        order_by: &[String],
        max_results: usize,
        page_token: Option<&str>,
    ) -> Result<(Vec<Run>, Option<String>)> {
        let m = requests::SearchRuns {
            max_results: Some(max_results as i64),
            filter: Some(filter.to_string()),
            order_by: order_by.to_vec(),
            run_view_type: view,
            experiment_ids: experiment_ids.to_vec(),
            page_token: page_token.map(str::to_string),
        };
        let v = self.post_msg("runs/search", &m)?;
        let runs = v["runs"]
            .as_array()
            .map(|a| a.iter().map(run).collect::<Result<Vec<_>>>())
            .transpose()?
            .unwrap_or_default();
        let next = v["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        Ok((runs, next))
    }

    /// POSTs a request message (as `method`, for the registry's PATCH and DELETE), on behalf
    /// of `actor` if given.
    fn send_msg<T: serde::Serialize>(
        &self,
        method: &str,
        endpoint: &str,
        m: &T,
        actor: Option<&str>,
    ) -> Result<Value> {
        self.client.send(method, endpoint, &message(m)?, actor)
    }

    /// POSTs a request message.
    fn post_msg<T: serde::Serialize>(&self, endpoint: &str, m: &T) -> Result<Value> {
        self.client.post(endpoint, &message(m)?)
    }

    /// GETs with a request message as the query string.
    fn get_msg<T: serde::Serialize>(&self, endpoint: &str, m: &T) -> Result<Value> {
        let pairs = query_pairs(m)?;
        let q: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.client.get(endpoint, &q)
    }

    /// One page of a GET listing: the items under `key` and the next page's token.
    fn get_page<T: serde::Serialize>(
        &self,
        endpoint: &str,
        m: &T,
        key: &str,
    ) -> Result<(Vec<Value>, Option<String>)> {
        let v = self.get_msg(endpoint, m)?;
        let items = v[key].as_array().cloned().unwrap_or_default();
        let next = v["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        Ok((items, next))
    }

    /// Every page of a GET listing: the items under `key`.
    fn get_all<T: serde::Serialize>(&self, endpoint: &str, m: &T, key: &str) -> Result<Vec<Value>> {
        let pairs = query_pairs(m)?;
        let query: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let mut q = query.clone();
            if !token.is_empty() {
                q.push(("page_token", token.as_str()));
            }
            let v = self.client.get(endpoint, &q)?;
            if let Some(a) = v[key].as_array() {
                out.extend(a.iter().cloned());
            }
            match v["next_page_token"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = t.to_string(),
                None => return Ok(out),
            }
        }
    }

    fn all_experiment_ids(&self, view: ViewType) -> Result<Vec<String>> {
        Ok(self
            .list_experiments(view)?
            .into_iter()
            .map(|e| e.experiment_id)
            .collect())
    }

    /// Checks that every run exists and may move to `stage`, before any is changed: the store
    /// changes all the runs or none, and a server is asked run by run. The same refusals as
    /// the local store's.
    fn check_runs_can_become(&self, ids: &[String], stage: LifecycleStage) -> Result<()> {
        for id in ids {
            let run = self.run(id)?;
            if run.info.lifecycle_stage == stage {
                let state = match stage {
                    LifecycleStage::Deleted => "already deleted",
                    LifecycleStage::Active => "not deleted",
                };
                return Err(Error::InvalidState(format!("run `{id}` is {state}")));
            }
            if stage == LifecycleStage::Active
                && self.experiment(&run.info.experiment_id)?.lifecycle_stage
                    == LifecycleStage::Deleted
            {
                return Err(Error::InvalidState(format!(
                    "run `{id}` belongs to a deleted experiment"
                ))
                .with_fix(Fix::RestoreRunsExperiment));
            }
        }
        Ok(())
    }

    fn state_file(&self) -> PathBuf {
        self.state_dir.join("active_run")
    }

    /// The local directory or repository of an artifact URI the server gave.
    pub fn repo_for(&self, uri: &str) -> Result<Repo> {
        if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            // `mlflow-artifacts:/PATH` or `mlflow-artifacts://HOST/PATH`: through this server.
            let path = match rest.strip_prefix("//") {
                Some(hosted) => hosted.split_once('/').map(|(_, p)| p).unwrap_or(""),
                None => rest,
            };
            return Ok(Repo::Http(HttpRepo::new(
                self.client.clone(),
                path.to_string(),
            )));
        }
        if let Some((_, path)) = uri.split_once("/api/2.0/mlflow-artifacts/artifacts/") {
            return Ok(Repo::Http(HttpRepo::new(
                self.client.clone(),
                path.to_string(),
            )));
        }
        let local = uri.strip_prefix("file://").unwrap_or(uri);
        if local.starts_with('/') && Path::new(local).exists() {
            return Ok(Repo::Local(LocalRepo::new(PathBuf::from(local))));
        }
        Err(Error::Invalid(format!(
            "artifacts at `{uri}` cannot be reached from here: mlf reaches a server's artifacts through its proxy (mlflow-artifacts:/, `mlflow server --serve-artifacts`) or a local path"
        )))
    }
}

/// A request message as the JSON the server decodes.
fn message<T: serde::Serialize>(m: &T) -> Result<Value> {
    serde_json::to_value(m).map_err(|e| Error::Remote(format!("cannot encode a request: {e}")))
}

/// A request message as query parameters: a list is a repeated key, null is left out.
fn query_pairs<T: serde::Serialize>(m: &T) -> Result<Vec<(String, String)>> {
    let Value::Object(fields) = message(m)? else {
        return Err(Error::Remote("a request message is not an object".into()));
    };
    let mut out = Vec::new();
    for (k, v) in fields {
        let items = match v {
            Value::Array(a) => a,
            v => vec![v],
        };
        for item in items {
            match item {
                Value::Null => {}
                Value::String(s) => out.push((k.clone(), s)),
                other => out.push((k.clone(), other.to_string())),
            }
        }
    }
    Ok(out)
}

fn int(v: &Value) -> Option<i64> {
    serde_json::from_value::<Wrap>(v.clone()).ok().map(|w| w.0)
}

#[derive(serde::Deserialize)]
struct Wrap(#[serde(with = "crate::protocol::int64")] i64);

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An entity as the server wrote it (fields a server leaves out take their defaults).
fn entity<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T> {
    decode(v)
}

fn experiment(v: &Value) -> Result<Experiment> {
    entity(v)
}

fn metric(v: &Value) -> Result<Metric> {
    entity(v)
}

/// A run; the id may come as `run_uuid` only, and the name as the `mlflow.runName` tag only.
fn run(v: &Value) -> Result<Run> {
    let mut r: Run = entity(v)?;
    if r.info.run_id.is_empty() {
        r.info.run_id = r.info.run_uuid.clone();
    }
    r.info.run_uuid = r.info.run_id.clone();
    if r.info.run_name.is_empty()
        && let Some(name) = r.tag("mlflow.runName")
    {
        r.info.run_name = name.to_string();
    }
    Ok(r)
}

/// A version; its files are where its source says.
fn model_version(v: &Value) -> Result<ModelVersion> {
    let mut mv: ModelVersion = entity(v)?;
    mv.storage_location = mv.source.clone();
    Ok(mv)
}

fn registered_model(v: &Value) -> Result<RegisteredModel> {
    let mut m: RegisteredModel = entity(v)?;
    for mv in &mut m.latest_versions {
        mv.storage_location = mv.source.clone();
    }
    Ok(m)
}

/// What an mlf-only feature says against a server that lacks mlf's own calls.
fn mlf_only(e: Error, what: &str) -> Error {
    match e {
        Error::Unsupported(m) => Error::Unsupported(m).with_fix(Fix::NeedsMlfServer {
            what: what.to_string(),
        }),
        other => other,
    }
}

/// A value of mlf's own calls, in the shape the server wrote it.
fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| {
        Error::Remote(format!(
            "the tracking server sent an unexpected answer: {e}"
        ))
    })
}
