//! The SQLite store behind the `TrackingStore` and `RegistryStore` traits: each call delegates
//! to the store's own method.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Store;
use crate::artifacts::Repo;
use crate::registry::{Event, ModelVersion, RegisteredModel, Stage, TransitionRequest};
use crate::search::Expr;
use crate::store::{
    Act, LogBatch, LogOutcome, NewRun, NewVersion, Page, RegistryStore, Result, RunPage, RunQuery,
    Snapshot, TrackingStore,
};
use crate::tracking::{Experiment, Metric, Run, RunStatus, ViewType};

impl TrackingStore for Store {
    fn location(&self) -> String {
        self.root().display().to_string()
    }
    fn local(&self) -> Option<&Store> {
        Some(self)
    }
    fn local_mut(&mut self) -> Option<&mut Store> {
        Some(self)
    }
    fn truncates(&self) -> bool {
        self.truncate_long_values
    }
    fn create_experiment(
        &mut self,
        name: &str,
        artifact_location: Option<&str>,
    ) -> Result<Experiment> {
        Store::create_experiment(self, name, artifact_location)
    }
    fn experiment(&self, id: &str) -> Result<Experiment> {
        Store::experiment(self, id)
    }
    fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
        Store::find_experiment(self, spec)
    }
    fn resolve_experiment(&self, spec: &str) -> Result<Experiment> {
        Store::resolve_experiment(self, spec)
    }
    fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
        Store::list_experiments(self, view)
    }
    fn rename_experiment(&mut self, id: &str, new_name: &str) -> Result<()> {
        Store::rename_experiment(self, id, new_name)
    }
    fn delete_experiment(&mut self, id: &str) -> Result<()> {
        Store::delete_experiment(self, id)
    }
    fn restore_experiment(&mut self, id: &str) -> Result<()> {
        Store::restore_experiment(self, id)
    }
    fn create_run(&mut self, new: NewRun) -> Result<Run> {
        Store::create_run(self, new)
    }
    fn run(&self, id: &str) -> Result<Run> {
        Store::run(self, id)
    }
    fn run_inputs(&self, id: &str) -> Result<crate::tracking::inputs::RunInputs> {
        Store::run_inputs(self, id)
    }
    fn search_runs(&self, q: &RunQuery) -> Result<RunPage> {
        Store::search_runs(self, q)
    }
    fn resolve_run(&self, spec: &str, experiment: Option<&str>) -> Result<String> {
        Store::resolve_run(self, spec, experiment)
    }
    fn update_run(&mut self, id: &str, status: RunStatus, end_time: Option<i64>) -> Result<()> {
        Store::update_run(self, id, status, end_time)
    }
    fn delete_runs(&mut self, ids: &[String]) -> Result<()> {
        Store::delete_runs(self, ids)
    }
    fn restore_runs(&mut self, ids: &[String]) -> Result<()> {
        Store::restore_runs(self, ids)
    }
    fn metric_history(&self, id: &str, key: &str) -> Result<Vec<Metric>> {
        Store::metric_history(self, id, key)
    }
    fn metric_history_page(
        &self,
        id: &str,
        key: &str,
        limit: Option<usize>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        Store::metric_history_page(self, id, key, limit, page_token)
    }
    fn log_batch(&mut self, id: &str, batch: LogBatch) -> Result<LogOutcome> {
        Store::log_batch(self, id, batch)
    }
    fn run_counts(&self) -> Result<Option<HashMap<String, usize>>> {
        Store::run_counts(self).map(Some)
    }
    fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>> {
        Store::recent_runs(self, limit)
    }
    fn keys_in_use(&self, kind: &str) -> Result<Vec<String>> {
        let table = if kind == "metrics" {
            "latest_metrics"
        } else {
            kind
        };
        self.distinct_keys(table)
    }
    fn active_run(&self) -> Result<Option<String>> {
        self.state(crate::store::ACTIVE_RUN)
    }
    fn set_active_run(&mut self, id: Option<&str>) -> Result<()> {
        self.set_state(crate::store::ACTIVE_RUN, id)
    }
    fn artifacts(&self, run: &Run) -> Result<Repo> {
        Ok(Repo::Local(crate::artifacts::LocalRepo::new(
            self.run_artifact_dir(run),
        )))
    }
}

impl RegistryStore for Store {
    fn create_model(
        &mut self,
        name: &str,
        description: &str,
        tags: &[crate::tracking::KeyValue],
        act: &Act,
    ) -> Result<RegisteredModel> {
        Store::create_model(self, name, description, tags, act)
    }
    fn model(&self, name: &str) -> Result<RegisteredModel> {
        Store::model(self, name)
    }
    fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>> {
        Store::list_models(self, filter)
    }
    fn search_models(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        Store::search_models(self, filter, limit, page_token)
    }
    fn search_versions(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        Store::search_versions(self, filter, limit, page_token)
    }
    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        Store::versions(self, name)
    }
    fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        Store::version(self, name, version)
    }
    fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
    ) -> Result<ModelVersion> {
        Store::create_version(self, new, act, place)
    }
    fn transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing: bool,
        needs_approval: bool,
        act: &Act,
    ) -> Result<ModelVersion> {
        Store::transition(
            self,
            name,
            version,
            stage,
            archive_existing,
            needs_approval,
            act,
        )
    }
    fn set_alias(
        &mut self,
        name: &str,
        alias: &str,
        version: i64,
        act: &Act,
    ) -> Result<Option<i64>> {
        Store::set_alias(self, name, alias, version, act)
    }
    fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64> {
        Store::delete_alias(self, name, alias, act)
    }
    fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
        Store::alias_version(self, name, alias)
    }
    fn describe(&mut self, name: &str, version: Option<i64>, text: &str, act: &Act) -> Result<()> {
        Store::describe(self, name, version, text, act)
    }
    fn set_registry_tags(
        &mut self,
        name: &str,
        version: Option<i64>,
        tags: &[(String, Option<String>)],
        act: &Act,
    ) -> Result<()> {
        Store::set_registry_tags(self, name, version, tags, act)
    }
    fn delete_version(&mut self, name: &str, version: i64, act: &Act) -> Result<Vec<String>> {
        Store::delete_version(self, name, version, act)
    }
    fn delete_model(&mut self, name: &str, act: &Act) -> Result<()> {
        Store::delete_model(self, name, act)
    }
    fn request_transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        act: &Act,
    ) -> Result<TransitionRequest> {
        Store::request_transition(self, name, version, stage, act)
    }
    fn decide_request(
        &mut self,
        id: i64,
        approve: bool,
        allow_self: bool,
        act: &Act,
    ) -> Result<TransitionRequest> {
        Store::decide_request(self, id, approve, allow_self, act)
    }
    fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>> {
        Store::requests(self, name, all)
    }
    fn pending_request_for(&self, name: &str, version: i64, stage: Option<Stage>) -> Result<i64> {
        Store::pending_request_for(self, name, version, stage)
    }
    fn registry_history(&self, name: &str) -> Result<Vec<Event>> {
        Store::registry_history(self, name)
    }
    fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot> {
        Store::registry_at(self, name, at)
    }
    fn version_files(&self, version: &ModelVersion, _scratch: &Path) -> Result<PathBuf> {
        Ok(PathBuf::from(&version.storage_location))
    }
}
