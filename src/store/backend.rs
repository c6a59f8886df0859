//! The operations commands call, as two traits — tracking and registry — implemented by the
//! local SQLite store and by `RestStore`, a client of an MLflow-compatible server. Commands
//! hold a `Box<dyn Backend>` and do not know which one they talk to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    Act, Error, LogBatch, LogOutcome, Missing, NewRun, NewVersion, Page, Result, RunPage, RunQuery,
};
use super::{Snapshot, Store};
use crate::artifacts::Repo;
use crate::registry::{Event, ModelVersion, RegisteredModel, Stage, TransitionRequest};
use crate::search::Expr;
use crate::tracking::{Experiment, Metric, Run, RunStatus, ViewType};

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
