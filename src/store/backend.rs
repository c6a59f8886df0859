//! The operations commands call, as two traits — tracking and registry — implemented by the
//! local SQLite store and by `RestStore`, a client of an MLflow-compatible server. Commands
//! hold a `Box<dyn Backend>` and do not know which one they talk to. `mlf server` holds a
//! `dyn ServerStore`: the same, and what the REST API needs beyond the command line.

use crate::protocol::sync::{
    Bundles, DigestsRequest, MergeReport, ModelBundle, ModelDigest, RegistryReport, RunDigest,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    Act, Error, LogBatch, LogOutcome, LoggedModel, Missing, NewRun, NewVersion, Page, Result,
    RunPage, RunQuery, WebhookChange,
};
use super::{Snapshot, Store};
use crate::artifacts::Repo;
use crate::registry::webhooks::Webhook;
use crate::registry::{Event, ModelVersion, RegisteredModel, Stage, TransitionRequest};
use crate::search::Expr;
use crate::tracking::inputs::{DatasetInput, ModelInput, ModelMetric};
use crate::tracking::{Experiment, KeyValue, Metric, Run, RunStatus, ViewType};

/// Experiments, runs, metrics and artifacts.
pub trait TrackingStore {
    /// Where the data lives, for messages: a store directory or a server URL.
    fn location(&self) -> String;
    /// The local store, when this is one (some features exist only there).
    fn local(&self) -> Option<&Store>;
    fn local_mut(&mut self) -> Option<&mut Store>;
    /// Whether over-long param and tag values are truncated rather than refused.
    fn truncates(&self) -> bool;

    fn create_experiment(
        &mut self,
        name: &str,
        artifact_location: Option<&str>,
    ) -> Result<Experiment>;
    fn experiment(&self, id: &str) -> Result<Experiment>;
    /// An experiment by name or id: an exact name wins, then an id.
    fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>>;
    fn resolve_experiment(&self, spec: &str) -> Result<Experiment> {
        self.find_experiment(spec)?
            .ok_or_else(|| Error::NotFound(Missing::ExperimentNamedOrNumbered(spec.to_string())))
    }
    fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>>;
    fn rename_experiment(&mut self, id: &str, new_name: &str) -> Result<()>;
    fn delete_experiment(&mut self, id: &str) -> Result<()>;
    fn restore_experiment(&mut self, id: &str) -> Result<()>;

    fn create_run(&mut self, new: NewRun) -> Result<Run>;
    fn run(&self, id: &str) -> Result<Run>;
    /// What a run took in (datasets, logged models); nothing where the store keeps none.
    fn run_inputs(&self, _id: &str) -> Result<crate::tracking::inputs::RunInputs> {
        Ok(Default::default())
    }
    fn search_runs(&self, q: &RunQuery) -> Result<RunPage>;
    /// A run named by full id, unique id prefix (4+ hex characters) or unique name;
    /// `experiment` narrows the names looked at to one experiment.
    fn resolve_run(&self, spec: &str, experiment: Option<&str>) -> Result<String>;
    /// Sets a run's status, and its end time when one is given (else the run keeps the one it
    /// has, as MLflow's `update_run_info`).
    fn update_run(&mut self, id: &str, status: RunStatus, end_time: Option<i64>) -> Result<()>;
    /// Soft-deletes runs: all of them, or none when one is unknown or already deleted.
    fn delete_runs(&mut self, ids: &[String]) -> Result<()>;
    /// Restores deleted runs: all of them, or none when one is unknown, not deleted or in a
    /// deleted experiment.
    fn restore_runs(&mut self, ids: &[String]) -> Result<()>;
    fn metric_history(&self, id: &str, key: &str) -> Result<Vec<Metric>>;
    /// One page of a metric's history by timestamp, step, value (NaN last): at most `limit`
    /// points (all when `None`) after the point `page_token` names; not-found for an unknown
    /// run, invalid for a token this store did not give.
    fn metric_history_page(
        &self,
        id: &str,
        key: &str,
        limit: Option<usize>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>>;
    fn log_batch(&mut self, id: &str, batch: LogBatch) -> Result<LogOutcome>;
    /// Number of active runs per experiment id, when cheap to know (a server cannot count).
    fn run_counts(&self) -> Result<Option<HashMap<String, usize>>>;
    /// The newest active runs, (id, name), for completion.
    fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>>;
    /// Keys in use among `metrics`, `params` or `tags`, sorted, for completion.
    fn keys_in_use(&self, kind: &str) -> Result<Vec<String>>;
    /// The run `mlf run start` made active.
    fn active_run(&self) -> Result<Option<String>>;
    fn set_active_run(&mut self, id: Option<&str>) -> Result<()>;
    /// The artifacts of a run.
    fn artifacts(&self, run: &Run) -> Result<Repo>;
}

/// Registered models, versions, stages, aliases, and (in a local store) approvals and history.
pub trait RegistryStore {
    fn create_model(
        &mut self,
        name: &str,
        description: &str,
        tags: &[crate::tracking::KeyValue],
        act: &Act,
    ) -> Result<RegisteredModel>;
    fn model(&self, name: &str) -> Result<RegisteredModel>;
    fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>>;
    /// One page of the models matching a filter (the registered-model grammar), by name: at
    /// most `limit` after the model `page_token` names.
    fn search_models(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>>;
    /// One page of the versions, across models, matching a filter (the model-version
    /// grammar), by name then newest first: at most `limit` after the version `page_token`
    /// names.
    fn search_versions(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>>;
    /// Versions of a model, newest first (not-found for an unknown model).
    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>>;
    fn version(&self, name: &str, version: i64) -> Result<ModelVersion>;
    fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
    ) -> Result<ModelVersion>;
    fn transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing: bool,
        needs_approval: bool,
        act: &Act,
    ) -> Result<ModelVersion>;
    /// Points an alias at a version; answers the version it pointed at before, if any (the
    /// same one when it did not move).
    fn set_alias(
        &mut self,
        name: &str,
        alias: &str,
        version: i64,
        act: &Act,
    ) -> Result<Option<i64>>;
    fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64>;
    fn alias_version(&self, name: &str, alias: &str) -> Result<i64>;
    fn describe(&mut self, name: &str, version: Option<i64>, text: &str, act: &Act) -> Result<()>;
    fn set_registry_tags(
        &mut self,
        name: &str,
        version: Option<i64>,
        tags: &[(String, Option<String>)],
        act: &Act,
    ) -> Result<()>;
    fn delete_version(&mut self, name: &str, version: i64, act: &Act) -> Result<Vec<String>>;
    fn delete_model(&mut self, name: &str, act: &Act) -> Result<()>;
    fn request_transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        act: &Act,
    ) -> Result<TransitionRequest>;
    fn decide_request(
        &mut self,
        id: i64,
        approve: bool,
        allow_self: bool,
        act: &Act,
    ) -> Result<TransitionRequest>;
    fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>>;
    fn pending_request_for(&self, name: &str, version: i64, stage: Option<Stage>) -> Result<i64>;
    fn registry_history(&self, name: &str) -> Result<Vec<Event>>;
    fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot>;
    /// A local directory holding a version's files (downloaded below `scratch` from a server).
    fn version_files(&self, version: &ModelVersion, scratch: &Path) -> Result<PathBuf>;
}

/// Both: what a command gets from `Ctx::store`.
pub trait Backend: TrackingStore + RegistryStore {}

impl<T: TrackingStore + RegistryStore> Backend for T {}

/// The folders a tracking server's artifact proxy serves (`mlflow-artifacts:/NAME/…`): each
/// `NAME` is a folder below `base`, and whether clients may write to it. An artifact root in a
/// bucket is `remote` instead (`s3://bucket/prefix`), and its proxied paths are the keys below
/// it (`mlflow-artifacts:/0/RUN/artifacts/…`), every one writable, as MLflow maps its
/// `--artifacts-destination`.
#[derive(Debug, Clone)]
pub struct Proxied {
    pub base: PathBuf,
    pub folders: Vec<(String, bool)>,
    pub remote: Option<String>,
}

/// Whether an artifact root or location is a bucket's (`s3://…`, `az://…`, `wasbs://…`,
/// `gs://…`), not
/// a local path.
pub fn is_remote(location: &str) -> bool {
    crate::artifacts::s3::is_bucket_uri(location)
}

impl Proxied {
    /// A store directory's: its `artifacts/` (writable) and `registry/` (read-only).
    pub fn store_dir(root: &Path) -> Proxied {
        Proxied {
            base: root.to_path_buf(),
            folders: vec![
                (super::ARTIFACTS_DIR.to_string(), true),
                ("registry".to_string(), false),
            ],
            remote: None,
        }
    }

    /// A database store's: its artifact root (writable), named by its last component; or the
    /// bucket and prefix of an `s3://` root.
    pub fn artifact_root(root: &Path) -> Proxied {
        let text = root.display().to_string();
        if is_remote(&text) {
            return Proxied {
                base: root.to_path_buf(),
                folders: Vec::new(),
                remote: Some(text.trim_end_matches('/').to_string()),
            };
        }
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| super::ARTIFACTS_DIR.to_string());
        Proxied {
            base: root.parent().unwrap_or(root).to_path_buf(),
            folders: vec![(name, true)],
            remote: None,
        }
    }
}

/// What a run put out (logged models with their step) and took in.
#[derive(Debug, Default, Clone)]
pub struct RunIo {
    pub outputs: Vec<(String, i64)>,
    pub inputs: crate::tracking::inputs::RunInputs,
}

/// What `mlf server` calls beyond the command line's traits, on the stores a server runs
/// over (SQLite and PostgreSQL): experiments paged, renames, tag deletes, sampled metric
/// points, and MLflow 3's logged models.
pub trait ServerStore: Backend + Send {
    /// Answers once the database has answered a trivial query.
    fn ping(&self) -> Result<()>;
    /// The folders the artifact proxy serves.
    fn proxied(&self) -> Proxied;
    /// Where new experiments keep their runs' artifacts by default.
    fn default_artifact_root(&self) -> PathBuf;
    /// The local folder of a run's artifacts.
    fn run_artifact_dir(&self, run: &Run) -> PathBuf {
        let uri = &run.info.artifact_uri;
        PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
    }
    /// The experiment with exactly this name.
    fn experiment_by_name(&self, name: &str) -> Result<Option<Experiment>>;
    /// One page of the experiments in `view` matching a filter on `name` and `tags.K`, by
    /// `order` (key, ascending; newest first without one), then by id.
    fn search_experiments(
        &self,
        view: ViewType,
        filter: Option<&Expr>,
        order: Option<(crate::search::ExperimentKey, bool)>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>>;
    /// Sets or (with `None`) removes an experiment tag.
    fn set_experiment_tag(&mut self, id: &str, key: &str, value: Option<&str>) -> Result<()>;
    /// Removes a run tag; a missing tag is not-found.
    fn delete_run_tag(&mut self, run: &str, key: &str) -> Result<()>;
    /// Renames a run (and its `mlflow.runName` tag).
    fn rename_run(&mut self, run: &str, name: &str) -> Result<()>;
    /// Renames a registered model with its versions, aliases and tags.
    fn rename_model(&mut self, name: &str, new_name: &str, act: &Act) -> Result<()>;
    /// Some points of a metric (by step, timestamp, value, NaN last), optionally with a step
    /// in `steps`; `pick` is told how many there are and answers the positions to keep.
    fn metric_points_at(
        &self,
        run: &str,
        key: &str,
        steps: Option<(i64, i64)>,
        pick: &mut dyn FnMut(usize) -> Vec<usize>,
    ) -> Result<Vec<Metric>>;
    /// The points of a metric of several runs with each point's run id, at most `limit`.
    fn metric_points_of_runs(
        &self,
        runs: &[String],
        key: &str,
        limit: usize,
    ) -> Result<Vec<(String, Metric)>>;

    /// Logged models a run output: (model id, step).
    fn run_outputs(&self, run: &str) -> Result<Vec<(String, i64)>>;
    /// The outputs and inputs of a page of runs, by run id (runs with neither may be absent).
    /// A store across a network answers in a few queries, not two per run.
    fn runs_io(&self, runs: &[&str]) -> Result<HashMap<String, RunIo>> {
        let mut out = HashMap::with_capacity(runs.len());
        for run in runs {
            let io = RunIo {
                outputs: self.run_outputs(run)?,
                inputs: self.run_inputs(run)?,
            };
            out.insert((*run).to_string(), io);
        }
        Ok(out)
    }
    fn log_run_outputs(&mut self, run: &str, models: &[(String, i64)]) -> Result<()>;
    fn logged_model(&self, id: &str) -> Result<LoggedModel>;
    #[allow(clippy::too_many_arguments)]
    fn create_logged_model(
        &mut self,
        experiment_id: &str,
        name: &str,
        model_type: &str,
        source_run_id: &str,
        creator: &str,
        tags: &[KeyValue],
        params: &[KeyValue],
    ) -> Result<LoggedModel>;
    fn set_logged_model_status(&mut self, id: &str, status: &str) -> Result<LoggedModel>;
    fn set_logged_model_tags(&mut self, id: &str, tags: &[(String, Option<String>)]) -> Result<()>;
    fn log_logged_model_params(&mut self, id: &str, params: &[KeyValue]) -> Result<()>;
    fn delete_logged_model(&mut self, id: &str) -> Result<()>;
    fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<LoggedModel>>;

    /// Records what run `run` took in: datasets (with the tags of their use) and logged models.
    fn log_inputs(
        &mut self,
        run: &str,
        datasets: &[DatasetInput],
        models: &[ModelInput],
    ) -> Result<()>;
    /// Records metrics of logged models (each names its model).
    fn log_model_metrics(&mut self, metrics: &[ModelMetric]) -> Result<()>;
    /// The metrics of a logged model, every point.
    fn logged_model_metrics(&self, model: &str) -> Result<Vec<ModelMetric>>;

    /// Webhooks for registry events: only a store directory keeps them (its server delivers
    /// them); other stores refuse with [`no_webhooks`].
    fn create_webhook(&mut self, _new: WebhookChange) -> Result<Webhook> {
        Err(no_webhooks())
    }
    fn webhook(&self, _id: &str) -> Result<Webhook> {
        Err(no_webhooks())
    }
    fn list_webhooks(&self, _limit: usize, _page_token: Option<&str>) -> Result<Page<Webhook>> {
        Err(no_webhooks())
    }
    fn update_webhook(&mut self, _id: &str, _change: WebhookChange) -> Result<Webhook> {
        Err(no_webhooks())
    }
    fn delete_webhook(&mut self, _id: &str) -> Result<()> {
        Err(no_webhooks())
    }

    /// `mlf push` and `mlf pull` through the server (`protocol::sync`): only a store
    /// directory answers them; other stores refuse with [`no_sync`].
    fn sync_digests(&self, _req: &DigestsRequest) -> Result<Vec<RunDigest>> {
        Err(no_sync())
    }
    fn sync_export(&self, _run_ids: &[String]) -> Result<Bundles> {
        Err(no_sync())
    }
    fn sync_merge(&mut self, _bundles: &Bundles) -> Result<MergeReport> {
        Err(no_sync())
    }
    fn sync_model_digests(&self) -> Result<Vec<ModelDigest>> {
        Err(no_sync())
    }
    fn sync_models(&self, _names: &[String]) -> Result<Vec<ModelBundle>> {
        Err(no_sync())
    }
    fn sync_merge_models(&mut self, _models: &[ModelBundle]) -> Result<RegistryReport> {
        Err(no_sync())
    }
}

/// The refusal of push and pull by a store that does not take them.
pub fn no_sync() -> Error {
    Error::Unsupported(
        "push and pull need a tracking server over a store directory (SQLite): this server's store is a database".into(),
    )
}

/// The refusal of webhook calls by a store that keeps none.
pub fn no_webhooks() -> Error {
    Error::Unsupported(
        "webhooks need a tracking server over a store directory (SQLite): this server's store is a database without them".into(),
    )
}
