//! The store traits of a store on a database server (PostgreSQL, MySQL), written once: each
//! call delegates to the store's own method of the same name. Such a store is no local store
//! (`local()` is `None`): what only a store directory has (the server's group commit) is not
//! here.

/// Implements `TrackingStore`, `RegistryStore` and `ServerStore` for a database store type
/// whose inherent methods carry the traits' names (and `ping_database`).
macro_rules! database_store_traits {
    ($store:ty) => {
        const _: () = {
            use std::collections::HashMap;
            use std::path::{Path, PathBuf};

            use $crate::artifacts::Repo;
            use $crate::registry::{
                Event, ModelVersion, RegisteredModel, Stage, TransitionRequest,
            };
            use $crate::search::Expr;
            use $crate::store::{
                Act, LogBatch, LogOutcome, LoggedModel, NewRun, NewVersion, Page, Proxied,
                RegistryStore, Result, RunPage, RunQuery, ServerStore, Snapshot, Store,
                TrackingStore,
            };
            use $crate::tracking::inputs::{DatasetInput, ModelInput, ModelMetric, RunInputs};
            use $crate::tracking::{
                Experiment, KeyValue, LifecycleStage, Metric, Run, RunStatus, ViewType,
            };

            impl TrackingStore for $store {
                fn location(&self) -> String {
                    <$store>::location(self).to_string()
                }
                fn local(&self) -> Option<&Store> {
                    None
                }
                fn local_mut(&mut self) -> Option<&mut Store> {
                    None
                }
                fn truncates(&self) -> bool {
                    self.truncate_long_values
                }
                fn create_experiment(
                    &mut self,
                    name: &str,
                    artifact_location: Option<&str>,
                ) -> Result<Experiment> {
                    <$store>::create_experiment(self, name, artifact_location)
                }
                fn experiment(&self, id: &str) -> Result<Experiment> {
                    <$store>::experiment(self, id)
                }
                fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
                    <$store>::find_experiment(self, spec)
                }
                fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
                    <$store>::list_experiments(self, view)
                }
                fn rename_experiment(&mut self, id: &str, new_name: &str) -> Result<()> {
                    <$store>::rename_experiment(self, id, new_name)
                }
                fn delete_experiment(&mut self, id: &str) -> Result<()> {
                    <$store>::delete_experiment(self, id)
                }
                fn restore_experiment(&mut self, id: &str) -> Result<()> {
                    <$store>::restore_experiment(self, id)
                }
                fn create_run(&mut self, new: NewRun) -> Result<Run> {
                    <$store>::create_run(self, new)
                }
                fn run(&self, id: &str) -> Result<Run> {
                    <$store>::run(self, id)
                }
                fn run_inputs(&self, id: &str) -> Result<RunInputs> {
                    <$store>::run_inputs(self, id)
                }
                fn search_runs(&self, q: &RunQuery) -> Result<RunPage> {
                    <$store>::search_runs(self, q)
                }
                fn resolve_run(&self, spec: &str, experiment: Option<&str>) -> Result<String> {
                    <$store>::resolve_run(self, spec, experiment)
                }
                fn update_run(
                    &mut self,
                    id: &str,
                    status: RunStatus,
                    end_time: Option<i64>,
                ) -> Result<()> {
                    <$store>::update_run(self, id, status, end_time)
                }
                fn delete_runs(&mut self, ids: &[String]) -> Result<()> {
                    self.set_runs_stage(ids, LifecycleStage::Deleted)
                }
                fn restore_runs(&mut self, ids: &[String]) -> Result<()> {
                    self.set_runs_stage(ids, LifecycleStage::Active)
                }
                fn metric_history(&self, id: &str, key: &str) -> Result<Vec<Metric>> {
                    <$store>::metric_history(self, id, key)
                }
                fn metric_history_page(
                    &self,
                    id: &str,
                    key: &str,
                    limit: Option<usize>,
                    page_token: Option<&str>,
                ) -> Result<Page<Metric>> {
                    <$store>::metric_history_page(self, id, key, limit, page_token)
                }
                fn log_batch(&mut self, id: &str, batch: LogBatch) -> Result<LogOutcome> {
                    <$store>::log_batch(self, id, batch)
                }
                fn run_counts(&self) -> Result<Option<HashMap<String, usize>>> {
                    <$store>::run_counts(self).map(Some)
                }
                fn recent_runs(&self, limit: usize) -> Result<Vec<(String, String)>> {
                    <$store>::recent_runs(self, limit)
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
                    self.state(self.active_key())
                }
                fn set_active_run(&mut self, id: Option<&str>) -> Result<()> {
                    let key = self.active_key().to_string();
                    self.set_state(&key, id)
                }
                fn artifacts(&self, run: &Run) -> Result<Repo> {
                    Repo::at(&run.info.artifact_uri)
                        .map_err(|e| crate::store::Error::Invalid(e.to_string()))
                }
            }

            impl RegistryStore for $store {
                fn create_model(
                    &mut self,
                    name: &str,
                    description: &str,
                    tags: &[crate::tracking::KeyValue],
                    act: &Act,
                ) -> Result<RegisteredModel> {
                    <$store>::create_model(self, name, description, tags, act)
                }
                fn model(&self, name: &str) -> Result<RegisteredModel> {
                    <$store>::model(self, name)
                }
                fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>> {
                    <$store>::list_models(self, filter)
                }
                fn search_models(
                    &self,
                    filter: Option<&Expr>,
                    limit: usize,
                    page_token: Option<&str>,
                ) -> Result<Page<RegisteredModel>> {
                    <$store>::search_models(self, filter, limit, page_token)
                }
                fn search_versions(
                    &self,
                    filter: Option<&Expr>,
                    limit: usize,
                    page_token: Option<&str>,
                ) -> Result<Page<ModelVersion>> {
                    <$store>::search_versions(self, filter, limit, page_token)
                }
                fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
                    <$store>::versions(self, name)
                }
                fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
                    <$store>::version(self, name, version)
                }
                fn create_version(
                    &mut self,
                    new: &NewVersion,
                    act: &Act,
                    place: &mut dyn FnMut(
                        i64,
                    )
                        -> std::result::Result<String, crate::store::PlaceError>,
                ) -> Result<ModelVersion> {
                    <$store>::create_version(self, new, act, place)
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
                    <$store>::transition(
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
                    <$store>::set_alias(self, name, alias, version, act)
                }
                fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64> {
                    <$store>::delete_alias(self, name, alias, act)
                }
                fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
                    <$store>::alias_version(self, name, alias)
                }
                fn describe(
                    &mut self,
                    name: &str,
                    version: Option<i64>,
                    text: &str,
                    act: &Act,
                ) -> Result<()> {
                    <$store>::describe(self, name, version, text, act)
                }
                fn set_registry_tags(
                    &mut self,
                    name: &str,
                    version: Option<i64>,
                    tags: &[(String, Option<String>)],
                    act: &Act,
                ) -> Result<()> {
                    <$store>::set_registry_tags(self, name, version, tags, act)
                }
                fn delete_version(
                    &mut self,
                    name: &str,
                    version: i64,
                    act: &Act,
                ) -> Result<Vec<String>> {
                    <$store>::delete_version(self, name, version, act)
                }
                fn delete_model(&mut self, name: &str, act: &Act) -> Result<()> {
                    <$store>::delete_model(self, name, act)
                }
                fn request_transition(
                    &mut self,
                    name: &str,
                    version: i64,
                    stage: Stage,
                    act: &Act,
                ) -> Result<TransitionRequest> {
                    <$store>::request_transition(self, name, version, stage, act)
                }
                fn decide_request(
                    &mut self,
                    id: i64,
                    approve: bool,
                    allow_self: bool,
                    act: &Act,
                ) -> Result<TransitionRequest> {
                    <$store>::decide_request(self, id, approve, allow_self, act)
                }
                fn requests(
                    &self,
                    name: Option<&str>,
                    all: bool,
                ) -> Result<Vec<TransitionRequest>> {
                    <$store>::requests(self, name, all)
                }
                fn pending_request_for(
                    &self,
                    name: &str,
                    version: i64,
                    stage: Option<Stage>,
                ) -> Result<i64> {
                    <$store>::pending_request_for(self, name, version, stage)
                }
                fn registry_history(&self, name: &str) -> Result<Vec<Event>> {
                    <$store>::registry_history(self, name)
                }
                fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot> {
                    <$store>::registry_at(self, name, at)
                }
                fn version_files(
                    &self,
                    version: &ModelVersion,
                    _scratch: &Path,
                ) -> Result<PathBuf> {
                    Ok(PathBuf::from(&version.storage_location))
                }
            }

            impl ServerStore for $store {
                fn ping(&self) -> Result<()> {
                    <$store>::ping_database(self)
                }
                fn proxied(&self) -> Proxied {
                    Proxied::artifact_root(self.artifact_root())
                }
                fn default_artifact_root(&self) -> PathBuf {
                    self.artifact_root().to_path_buf()
                }
                fn experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
                    <$store>::experiment_by_name(self, name)
                }
                fn search_experiments(
                    &self,
                    view: ViewType,
                    filter: Option<&Expr>,
                    order: Option<(crate::search::ExperimentKey, bool)>,
                    limit: usize,
                    page_token: Option<&str>,
                ) -> Result<Page<Experiment>> {
                    <$store>::search_experiments(self, view, filter, order, limit, page_token)
                }
                fn set_experiment_tag(
                    &mut self,
                    id: &str,
                    key: &str,
                    value: Option<&str>,
                ) -> Result<()> {
                    <$store>::set_experiment_tag(self, id, key, value)
                }
                fn delete_run_tag(&mut self, run: &str, key: &str) -> Result<()> {
                    <$store>::delete_run_tag(self, run, key)
                }
                fn rename_run(&mut self, run: &str, name: &str) -> Result<()> {
                    <$store>::rename_run(self, run, name)
                }
                fn rename_model(&mut self, name: &str, new_name: &str, act: &Act) -> Result<()> {
                    <$store>::rename_model(self, name, new_name, act)
                }
                fn metric_points_at(
                    &self,
                    run: &str,
                    key: &str,
                    steps: Option<(i64, i64)>,
                    pick: &mut dyn FnMut(usize) -> Vec<usize>,
                ) -> Result<Vec<Metric>> {
                    <$store>::metric_points_at(self, run, key, steps, pick)
                }
                fn metric_points_of_runs(
                    &self,
                    runs: &[String],
                    key: &str,
                    limit: usize,
                ) -> Result<Vec<(String, Metric)>> {
                    <$store>::metric_points_of_runs(self, runs, key, limit)
                }
                fn run_outputs(&self, run: &str) -> Result<Vec<(String, i64)>> {
                    <$store>::run_outputs(self, run)
                }
                fn runs_io(
                    &self,
                    runs: &[&str],
                ) -> Result<std::collections::HashMap<String, crate::store::RunIo>> {
                    <$store>::runs_io(self, runs)
                }
                fn log_run_outputs(&mut self, run: &str, models: &[(String, i64)]) -> Result<()> {
                    <$store>::log_run_outputs(self, run, models)
                }
                fn logged_model(&self, id: &str) -> Result<LoggedModel> {
                    <$store>::logged_model(self, id)
                }
                fn create_logged_model(
                    &mut self,
                    experiment_id: &str,
                    name: &str,
                    model_type: &str,
                    source_run_id: &str,
                    creator: &str,
                    tags: &[KeyValue],
                    params: &[KeyValue],
                ) -> Result<LoggedModel> {
                    <$store>::create_logged_model(
                        self,
                        experiment_id,
                        name,
                        model_type,
                        source_run_id,
                        creator,
                        tags,
                        params,
                    )
                }
                fn set_logged_model_status(
                    &mut self,
                    id: &str,
                    status: &str,
                ) -> Result<LoggedModel> {
                    <$store>::set_logged_model_status(self, id, status)
                }
                fn set_logged_model_tags(
                    &mut self,
                    id: &str,
                    tags: &[(String, Option<String>)],
                ) -> Result<()> {
                    <$store>::set_logged_model_tags(self, id, tags)
                }
                fn log_logged_model_params(&mut self, id: &str, params: &[KeyValue]) -> Result<()> {
                    <$store>::log_logged_model_params(self, id, params)
                }
                fn delete_logged_model(&mut self, id: &str) -> Result<()> {
                    <$store>::delete_logged_model(self, id)
                }
                fn search_logged_models(
                    &self,
                    experiment_ids: &[String],
                    filter: Option<&Expr>,
                    limit: usize,
                    page_token: Option<&str>,
                ) -> Result<Page<LoggedModel>> {
                    <$store>::search_logged_models(self, experiment_ids, filter, limit, page_token)
                }
                fn log_inputs(
                    &mut self,
                    run: &str,
                    datasets: &[DatasetInput],
                    models: &[ModelInput],
                ) -> Result<()> {
                    <$store>::log_inputs(self, run, datasets, models)
                }
                fn log_model_metrics(&mut self, metrics: &[ModelMetric]) -> Result<()> {
                    <$store>::log_model_metrics(self, metrics)
                }
                fn logged_model_metrics(&self, model: &str) -> Result<Vec<ModelMetric>> {
                    <$store>::logged_model_metrics(self, model)
                }
            }
        };
    };
}

pub(crate) use database_store_traits;
