//! The store traits over MLflow's REST API, so that every command works against a tracking
//! server (`mlf server`, or `mlflow server`) when `MLF_TRACKING_URI` is an http(s) URL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::backend::{RegistryStore, TrackingStore};
use super::{Act, Error, Fix, LogBatch, LogOutcome, NewRun, NewVersion, Result, RunPage, RunQuery};
use super::{Snapshot, Store};
use crate::artifacts::{HttpRepo, LocalRepo, Repo};
use crate::registry::{Event, ModelVersion, RegisteredModel, Stage, TransitionRequest};
use crate::remote::Client;
use crate::search::Expr;
use crate::tracking::{Experiment, KeyValue, LifecycleStage, Metric, Run, RunStatus, ViewType};

use crate::protocol::{LogBatchRequest, MAX_BATCH_METRICS, MAX_BATCH_PARAMS_AND_TAGS};

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
        let mut body = json!({
            "experiment_ids": experiment_ids,
            "filter": filter,
            "run_view_type": view_name(view),
            "max_results": max_results,
            "order_by": order_by,
        });
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let v = self.client.post("runs/search", &body)?;
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

    /// Every page of a GET listing: the items under `key`.
    fn get_all(&self, endpoint: &str, query: &[(&str, &str)], key: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let mut q = query.to_vec();
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
    fn repo_for(&self, uri: &str) -> Result<Repo> {
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

fn view_name(view: ViewType) -> &'static str {
    match view {
        ViewType::ActiveOnly => "ACTIVE_ONLY",
        ViewType::DeletedOnly => "DELETED_ONLY",
        ViewType::All => "ALL",
    }
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

fn kv_json(items: &[KeyValue]) -> Value {
    serde_json::to_value(items).unwrap_or_default()
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

impl TrackingStore for RestStore {
    fn location(&self) -> String {
        self.client.base().to_string()
    }
    fn local(&self) -> Option<&Store> {
        None
    }
    fn local_mut(&mut self) -> Option<&mut Store> {
        None
    }
    fn truncates(&self) -> bool {
        self.truncate
    }

    fn create_experiment(
        &mut self,
        name: &str,
        artifact_location: Option<&str>,
    ) -> Result<Experiment> {
        let mut body = json!({ "name": name });
        if let Some(loc) = artifact_location {
            body["artifact_location"] = json!(loc);
        }
        let v = self.client.post("experiments/create", &body)?;
        self.experiment(&text(&v["experiment_id"]))
    }

    fn experiment(&self, id: &str) -> Result<Experiment> {
        let v = self
            .client
            .get("experiments/get", &[("experiment_id", id)])?;
        experiment(&v["experiment"])
    }

    /// An exact name wins, then an id (as in the local store).
    fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
        if spec.is_empty() {
            return Ok(None);
        }
        match self
            .client
            .get("experiments/get-by-name", &[("experiment_name", spec)])
        {
            Ok(v) => return Ok(Some(experiment(&v["experiment"])?)),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        if spec.bytes().all(|b| b.is_ascii_digit()) {
            match self.experiment(spec) {
                Ok(e) => return Ok(Some(e)),
                Err(Error::NotFound(_) | Error::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({ "max_results": 1000, "view_type": view_name(view) });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let v = self.client.post("experiments/search", &body)?;
            if let Some(a) = v["experiments"].as_array() {
                for e in a {
                    out.push(experiment(e)?);
                }
            }
            token = v["next_page_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        out.sort_by_key(|e| e.experiment_id.parse::<i64>().unwrap_or(i64::MAX));
        Ok(out)
    }

    fn rename_experiment(&mut self, id: &str, new_name: &str) -> Result<()> {
        self.client.post(
            "experiments/update",
            &json!({"experiment_id": id, "new_name": new_name}),
        )?;
        Ok(())
    }

    fn delete_experiment(&mut self, id: &str) -> Result<()> {
        self.client
            .post("experiments/delete", &json!({"experiment_id": id}))?;
        Ok(())
    }

    fn restore_experiment(&mut self, id: &str) -> Result<()> {
        self.client
            .post("experiments/restore", &json!({"experiment_id": id}))?;
        Ok(())
    }

    fn create_run(&mut self, new: NewRun) -> Result<Run> {
        if new.make_active
            && let Some(active) = self.active_run()?
            && let Ok(r) = self.run(&active)
            && r.info.status == RunStatus::Running
            && r.info.lifecycle_stage == LifecycleStage::Active
        {
            return Err(Error::InvalidState(format!(
                "run {} ({}) is still active",
                r.info.run_name,
                &active[..8.min(active.len())]
            ))
            .with_fix(Fix::EndActiveRun));
        }
        let mut body = json!({
            "experiment_id": new.experiment_id,
            "user_id": new.user,
            "start_time": new.start_time.unwrap_or_else(crate::tracking::ids::now_ms),
            "tags": kv_json(&new.tags),
        });
        if let Some(name) = &new.name {
            body["run_name"] = json!(name);
        }
        let v = self.client.post("runs/create", &body)?;
        let id = text(&v["run"]["info"]["run_id"]);
        if !new.params.is_empty() {
            self.log_batch(
                &id,
                LogBatch {
                    params: new.params.clone(),
                    ..Default::default()
                },
            )?;
        }
        if new.make_active {
            self.set_active_run(Some(&id))?;
        }
        self.run(&id)
    }

    fn run(&self, id: &str) -> Result<Run> {
        let v = self.client.get("runs/get", &[("run_id", id)])?;
        run(&v["run"])
    }

    fn search_runs(&self, q: &RunQuery) -> Result<RunPage> {
        if q.max_results == Some(0) {
            return Err(Error::Invalid("max_results must be 1 or more".into()));
        }
        let ids = if q.experiment_ids.is_empty() {
            let view = if q.view == ViewType::ActiveOnly {
                ViewType::ActiveOnly
            } else {
                ViewType::All
            };
            self.all_experiment_ids(view)?
        } else {
            q.experiment_ids.clone()
        };
        if ids.is_empty() {
            return Ok(RunPage {
                runs: Vec::new(),
                next_page_token: None,
            });
        }
        let filter = q
            .filter
            .as_ref()
            .map(Expr::to_filter_string)
            .unwrap_or_default();
        let order: Vec<String> = q.order_by.iter().map(|k| k.to_order_string()).collect();
        match q.max_results {
            Some(n) => {
                let (runs, next) =
                    self.search_page(&ids, &filter, q.view, &order, n, q.page_token.as_deref())?;
                Ok(RunPage {
                    runs,
                    next_page_token: next,
                })
            }
            None => {
                let mut runs = Vec::new();
                let mut token = q.page_token.clone();
                loop {
                    let (page, next) = self.search_page(
                        &ids,
                        &filter,
                        q.view,
                        &order,
                        SEARCH_PAGE,
                        token.as_deref(),
                    )?;
                    runs.extend(page);
                    token = next;
                    if token.is_none() {
                        break;
                    }
                }
                Ok(RunPage {
                    runs,
                    next_page_token: None,
                })
            }
        }
    }

    fn resolve_run(&self, spec: &str, experiment: Option<&str>) -> Result<String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(Error::Invalid(
                "run is empty: give a run id, id prefix or name".into(),
            ));
        }
        let lowered = spec.to_ascii_lowercase();
        if crate::tracking::ids::is_run_id(&lowered) {
            match self.run(&lowered) {
                Ok(r) => return Ok(r.info.run_id),
                Err(Error::NotFound(_) | Error::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // An id prefix is looked for in every experiment; `experiment` narrows names only (as
        // in the local store).
        let all = self.all_experiment_ids(ViewType::All)?;
        if all.is_empty() {
            return Err(Error::NotFound(format!(
                "no run matches `{spec}` (by id, id prefix or name)"
            )));
        }
        let named = match experiment {
            Some(e) => vec![e.to_string()],
            None => all.clone(),
        };
        let mut candidates: Vec<(String, String)> = Vec::new();
        let is_hex =
            spec.len() >= 4 && spec.len() < 32 && spec.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex {
            let mut token: Option<String> = None;
            let mut seen = 0;
            loop {
                let (page, next) =
                    self.search_page(&all, "", ViewType::All, &[], SEARCH_PAGE, token.as_deref())?;
                seen += page.len();
                for r in page {
                    if r.info.run_id.starts_with(&lowered) {
                        candidates.push((r.info.run_id, r.info.run_name));
                    }
                }
                token = next;
                if token.is_none() || seen >= PREFIX_SCAN {
                    break;
                }
            }
        }
        let filter = format!("attributes.run_name = {}", crate::search::string_text(spec));
        if let Ok((page, _)) = self.search_page(&named, &filter, ViewType::All, &[], 10, None) {
            for r in page {
                let pair = (r.info.run_id, r.info.run_name);
                if !candidates.contains(&pair) {
                    candidates.push(pair);
                }
            }
        }
        super::pick_run(spec, candidates)
    }

    fn update_run(&mut self, id: &str, status: RunStatus, end_time: Option<i64>) -> Result<()> {
        let mut body = json!({"run_id": id, "run_uuid": id, "status": status.as_str()});
        if let Some(t) = end_time {
            body["end_time"] = json!(t);
        }
        self.client.post("runs/update", &body)?;
        Ok(())
    }

    fn delete_runs(&mut self, ids: &[String]) -> Result<()> {
        self.check_runs_can_become(ids, LifecycleStage::Deleted)?;
        for id in ids {
            self.client.post("runs/delete", &json!({"run_id": id}))?;
        }
        Ok(())
    }

    fn restore_runs(&mut self, ids: &[String]) -> Result<()> {
        self.check_runs_can_become(ids, LifecycleStage::Active)?;
        for id in ids {
            self.client.post("runs/restore", &json!({"run_id": id}))?;
        }
        Ok(())
    }

    fn metric_history(&self, id: &str, key: &str) -> Result<Vec<Metric>> {
        let query = [
            ("run_id", id),
            ("metric_key", key),
            ("max_results", "25000"),
        ];
        let mut out: Vec<Metric> = self
            .get_all("metrics/get-history", &query, "metrics")?
            .iter()
            .map(metric)
            .collect::<Result<_>>()?;
        out.sort_by_key(|m| (m.step, m.timestamp));
        Ok(out)
    }

    fn log_batch(&mut self, id: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate)?;
        let mut params = batch.params.chunks(MAX_BATCH_PARAMS_AND_TAGS);
        let mut tags = batch.tags.chunks(MAX_BATCH_PARAMS_AND_TAGS);
        let send = |req: LogBatchRequest| {
            let body = serde_json::to_value(&req).map_err(|e| Error::Remote(e.to_string()))?;
            self.client.post("runs/log-batch", &body)
        };
        loop {
            let (p, t) = (params.next(), tags.next());
            if p.is_none() && t.is_none() {
                break;
            }
            send(LogBatchRequest {
                run_id: id.to_string(),
                metrics: Vec::new(),
                params: p.unwrap_or_default().to_vec(),
                tags: t.unwrap_or_default().to_vec(),
            })?;
        }
        for chunk in batch.metrics.chunks(MAX_BATCH_METRICS) {
            send(LogBatchRequest {
                run_id: id.to_string(),
                metrics: chunk.iter().map(Into::into).collect(),
                params: Vec::new(),
                tags: Vec::new(),
            })?;
        }
        Ok(outcome)
    }

    fn run_counts(&self) -> Result<Option<HashMap<String, usize>>> {
        Ok(None)
    }

    fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>> {
        let page = self.search_runs(&RunQuery {
            max_results: Some(limit.min(SEARCH_PAGE)),
            ..Default::default()
        })?;
        Ok(page
            .runs
            .into_iter()
            .map(|r| (r.info.run_id, r.info.run_name))
            .collect())
    }

    /// The keys of the newest runs (a server cannot list keys in use).
    fn keys_in_use(&self, kind: &str) -> Result<Vec<String>> {
        let page = self.search_runs(&RunQuery {
            max_results: Some(100),
            ..Default::default()
        })?;
        let mut keys: Vec<String> = page
            .runs
            .iter()
            .flat_map(|r| match kind {
                "metrics" => r.data.metrics.iter().map(|m| m.key.clone()).collect(),
                "params" => r.data.params.iter().map(|p| p.key.clone()).collect(),
                "tags" => r.data.tags.iter().map(|t| t.key.clone()).collect(),
                _ => Vec::new(),
            })
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn active_run(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(self.state_file()) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io(
                format!("cannot read `{}`", self.state_file().display()),
                e,
            )),
        }
    }

    fn set_active_run(&mut self, id: Option<&str>) -> Result<()> {
        let file = self.state_file();
        let io = |e| Error::Io(format!("cannot write `{}`", file.display()), e);
        match id {
            Some(id) => {
                std::fs::create_dir_all(&self.state_dir).map_err(io)?;
                let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
                std::fs::write(&tmp, id).map_err(io)?;
                std::fs::rename(&tmp, &file).map_err(io)
            }
            None => match std::fs::remove_file(&file) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(e)),
            },
        }
    }

    fn artifacts(&self, run: &Run) -> Result<Repo> {
        self.repo_for(&run.info.artifact_uri)
    }
}

impl RegistryStore for RestStore {
    fn create_model(
        &mut self,
        name: &str,
        description: &str,
        tags: &[KeyValue],
        act: &Act,
    ) -> Result<RegisteredModel> {
        let v = self.client.send(
            "POST",
            "registered-models/create",
            &json!({"name": name, "description": description, "tags": kv_json(tags)}),
            Some(act.actor),
        )?;
        registered_model(&v["registered_model"])
    }

    fn model(&self, name: &str) -> Result<RegisteredModel> {
        let v = self
            .client
            .get("registered-models/get", &[("name", name)])?;
        registered_model(&v["registered_model"])
    }

    fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>> {
        let filter = filter.map(Expr::to_filter_string).unwrap_or_default();
        let query = [("filter", filter.as_str()), ("max_results", "1000")];
        let mut out: Vec<RegisteredModel> = self
            .get_all("registered-models/search", &query, "registered_models")?
            .iter()
            .map(registered_model)
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let model = self.model(name)?;
        let filter = format!("name = {}", crate::search::string_text(name));
        let query = [("filter", filter.as_str()), ("max_results", "10000")];
        let mut out: Vec<ModelVersion> = self
            .get_all("model-versions/search", &query, "model_versions")?
            .iter()
            .map(model_version)
            .collect::<Result<_>>()?;
        // Search results carry no aliases in MLflow; take them from the model.
        for v in &mut out {
            if v.aliases.is_empty() {
                v.aliases = model
                    .aliases
                    .iter()
                    .filter(|a| a.version == v.version)
                    .map(|a| a.alias.clone())
                    .collect();
            }
        }
        out.sort_by_key(|v| std::cmp::Reverse(v.version.parse::<i64>().unwrap_or(0)));
        Ok(out)
    }

    fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let v = self.client.get(
            "model-versions/get",
            &[("name", name), ("version", &version.to_string())],
        )?;
        model_version(&v["model_version"])
    }

    fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        _place: &mut dyn FnMut(i64) -> std::result::Result<String, String>,
    ) -> Result<ModelVersion> {
        if new.source.is_empty() {
            return Err(Error::Invalid(
                "a tracking server registers models from runs:/RUN/PATH or models:/ URIs".into(),
            )
            .with_fix(Fix::LogModelToRun));
        }
        if self.model(&new.name).is_err() {
            self.client.send(
                "POST",
                "registered-models/create",
                &json!({"name": new.name}),
                Some(act.actor),
            )?;
        }
        let mut body = json!({
            "name": new.name,
            "source": new.source,
            "description": new.description,
            "tags": kv_json(&new.tags),
        });
        if !new.run_id.is_empty() {
            body["run_id"] = json!(new.run_id);
        }
        let v = self
            .client
            .send("POST", "model-versions/create", &body, Some(act.actor))?;
        model_version(&v["model_version"])
    }

    fn transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing: bool,
        _needs_approval: bool,
        act: &Act,
    ) -> Result<ModelVersion> {
        // The server applies its own approval policy.
        let v = self.client.send(
            "POST",
            "model-versions/transition-stage",
            &json!({
                "name": name,
                "version": version.to_string(),
                "stage": stage.as_str(),
                "archive_existing_versions": archive_existing,
            }),
            Some(act.actor),
        )?;
        model_version(&v["model_version"])
    }

    fn set_alias(
        &mut self,
        name: &str,
        alias: &str,
        version: i64,
        act: &Act,
    ) -> Result<Option<i64>> {
        self.version(name, version)?;
        let previous = self.alias_version(name, alias).ok();
        self.client.send(
            "POST",
            "registered-models/alias",
            &json!({"name": name, "alias": alias, "version": version.to_string()}),
            Some(act.actor),
        )?;
        Ok(previous)
    }

    fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64> {
        let version = self.alias_version(name, alias)?;
        self.client.send(
            "DELETE",
            "registered-models/alias",
            &json!({"name": name, "alias": alias}),
            Some(act.actor),
        )?;
        Ok(version)
    }

    fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
        let no_alias = || Error::NotFound(format!("model `{name}` has no alias `{alias}`"));
        let v = match self.client.get(
            "registered-models/alias",
            &[("name", name), ("alias", alias)],
        ) {
            Ok(v) => v,
            // MLflow answers an alias the model lacks with 400 (a bad parameter), not 404.
            Err(Error::Invalid(m)) => {
                let model = self.model(name)?;
                return Err(if model.aliases.iter().any(|a| a.alias == alias) {
                    Error::Invalid(m)
                } else {
                    no_alias()
                });
            }
            Err(e) => return Err(e),
        };
        text(&v["model_version"]["version"])
            .parse()
            .map_err(|_| no_alias())
    }

    fn describe(&mut self, name: &str, version: Option<i64>, text: &str, act: &Act) -> Result<()> {
        match version {
            Some(v) => self.client.send(
                "PATCH",
                "model-versions/update",
                &json!({"name": name, "version": v.to_string(), "description": text}),
                Some(act.actor),
            )?,
            None => self.client.send(
                "PATCH",
                "registered-models/update",
                &json!({"name": name, "description": text}),
                Some(act.actor),
            )?,
        };
        Ok(())
    }

    fn set_registry_tags(
        &mut self,
        name: &str,
        version: Option<i64>,
        tags: &[(String, Option<String>)],
        act: &Act,
    ) -> Result<()> {
        for (key, value) in tags {
            let mut body = json!({"name": name, "key": key});
            if let Some(v) = version {
                body["version"] = json!(v.to_string());
            }
            let endpoint = if version.is_some() {
                "model-versions"
            } else {
                "registered-models"
            };
            match value {
                Some(val) => {
                    body["value"] = json!(val);
                    self.client.send(
                        "POST",
                        &format!("{endpoint}/set-tag"),
                        &body,
                        Some(act.actor),
                    )?;
                }
                None => {
                    self.client.send(
                        "DELETE",
                        &format!("{endpoint}/delete-tag"),
                        &body,
                        Some(act.actor),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn delete_version(&mut self, name: &str, version: i64, act: &Act) -> Result<Vec<String>> {
        let aliases = self.version(name, version)?.aliases;
        self.client.send(
            "DELETE",
            "model-versions/delete",
            &json!({"name": name, "version": version.to_string()}),
            Some(act.actor),
        )?;
        Ok(aliases)
    }

    fn delete_model(&mut self, name: &str, act: &Act) -> Result<()> {
        self.client.send(
            "DELETE",
            "registered-models/delete",
            &json!({"name": name}),
            Some(act.actor),
        )?;
        Ok(())
    }

    fn request_transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        act: &Act,
    ) -> Result<TransitionRequest> {
        let mut body =
            json!({"name": name, "version": version.to_string(), "stage": stage.as_str()});
        if let Some(c) = act.comment {
            body["comment"] = json!(c);
        }
        let v = self
            .client
            .send("POST", "mlf/registry/request", &body, Some(act.actor))
            .map_err(|e| mlf_only(e, "a stage request"))?;
        decode(&v["request"])
    }

    fn decide_request(
        &mut self,
        id: i64,
        approve: bool,
        _allow_self: bool,
        act: &Act,
    ) -> Result<TransitionRequest> {
        // The server applies its own policy on self-approval.
        let mut body = json!({"id": id, "approve": approve});
        if let Some(c) = act.comment {
            body["comment"] = json!(c);
        }
        let v = self
            .client
            .send("POST", "mlf/registry/decide", &body, Some(act.actor))
            .map_err(|e| mlf_only(e, "a stage request"))?;
        decode(&v["request"])
    }

    fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>> {
        let mut query = vec![("all", if all { "true" } else { "false" })];
        if let Some(n) = name {
            query.push(("name", n));
        }
        let v = self
            .client
            .get("mlf/registry/requests", &query)
            .map_err(|e| mlf_only(e, "the list of stage requests"))?;
        decode(&v["requests"])
    }

    fn pending_request_for(&self, name: &str, version: i64, stage: Option<Stage>) -> Result<i64> {
        let version = version.to_string();
        let mut query = vec![("name", name), ("version", version.as_str())];
        if let Some(s) = stage {
            query.push(("stage", s.as_str()));
        }
        let v = self
            .client
            .get("mlf/registry/pending", &query)
            .map_err(|e| mlf_only(e, "a stage request"))?;
        int(&v["id"])
            .ok_or_else(|| Error::Remote(format!("{} sent no request id", self.client.base())))
    }

    fn registry_history(&self, name: &str) -> Result<Vec<Event>> {
        let v = self
            .client
            .get("mlf/registry/history", &[("name", name)])
            .map_err(|e| mlf_only(e, "the registry's history"))?;
        decode(&v["events"])
    }

    fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot> {
        let v = self
            .client
            .get(
                "mlf/registry/at",
                &[("name", name), ("at", &at.to_string())],
            )
            .map_err(|e| mlf_only(e, "the registry's history"))?;
        decode(&v["snapshot"])
    }

    fn version_files(&self, version: &ModelVersion, scratch: &Path) -> Result<PathBuf> {
        let v = self.client.get(
            "model-versions/get-download-uri",
            &[("name", &version.name), ("version", &version.version)],
        )?;
        let uri = text(&v["artifact_uri"]);
        // A `runs:/RUN/PATH` source is a path inside that run's artifacts.
        let (repo, rel) = match uri.strip_prefix("runs:/") {
            Some(rest) => {
                let rest = rest.trim_start_matches('/');
                let (id, path) = rest.split_once('/').unwrap_or((rest, ""));
                let run = self.run(id)?;
                let rel = crate::artifacts::clean_relative(path)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                (self.artifacts(&run)?, rel)
            }
            None => (self.repo_for(&uri)?, PathBuf::new()),
        };
        repo.materialize(&rel, scratch)
            .map_err(|e| Error::Remote(format!("cannot download `{uri}`: {e}")))
    }
}
