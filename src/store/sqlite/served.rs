//! The SQLite store behind `ServerStore`: what `mlf server` calls beyond the command line's
//! traits, each delegating to the store's own method.

use std::path::PathBuf;

use super::Store;
use crate::registry::webhooks::Webhook;
use crate::search::Expr;
use crate::store::{Act, LoggedModel, Page, Proxied, Result, ServerStore, WebhookChange};
use crate::tracking::inputs::{DatasetInput, ModelInput, ModelMetric};
use crate::tracking::{Experiment, KeyValue, Metric, Run, ViewType};

impl ServerStore for Store {
    fn ping(&self) -> Result<()> {
        self.conn().query_row(
            "SELECT COUNT(*) FROM experiments WHERE experiment_id = 0",
            [],
            |_| Ok(()),
        )?;
        Ok(())
    }
    fn proxied(&self) -> Proxied {
        Proxied::store_dir(self.root())
    }
    fn default_artifact_root(&self) -> PathBuf {
        self.artifact_root()
    }
    fn run_artifact_dir(&self, run: &Run) -> PathBuf {
        Store::run_artifact_dir(self, run)
    }
    fn experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        Store::experiment_by_name(self, name)
    }
    fn search_experiments(
        &self,
        view: ViewType,
        filter: Option<&Expr>,
        order: Option<(crate::search::ExperimentKey, bool)>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>> {
        Store::search_experiments(self, view, filter, order, limit, page_token)
    }
    fn set_experiment_tag(&mut self, id: &str, key: &str, value: Option<&str>) -> Result<()> {
        Store::set_experiment_tag(self, id, key, value)
    }
    fn delete_run_tag(&mut self, run: &str, key: &str) -> Result<()> {
        Store::delete_run_tag(self, run, key)
    }
    fn rename_run(&mut self, run: &str, name: &str) -> Result<()> {
        Store::rename_run(self, run, name)
    }
    fn rename_model(&mut self, name: &str, new_name: &str, act: &Act) -> Result<()> {
        Store::rename_model(self, name, new_name, act)
    }
    fn metric_points_at(
        &self,
        run: &str,
        key: &str,
        steps: Option<(i64, i64)>,
        pick: &mut dyn FnMut(usize) -> Vec<usize>,
    ) -> Result<Vec<Metric>> {
        Store::metric_points_at(self, run, key, steps, pick)
    }
    fn metric_points_of_runs(
        &self,
        runs: &[String],
        key: &str,
        limit: usize,
    ) -> Result<Vec<(String, Metric)>> {
        Store::metric_points_of_runs(self, runs, key, limit)
    }
    fn run_outputs(&self, run: &str) -> Result<Vec<(String, i64)>> {
        Store::run_outputs(self, run)
    }
    fn log_run_outputs(&mut self, run: &str, models: &[(String, i64)]) -> Result<()> {
        Store::log_run_outputs(self, run, models)
    }
    fn logged_model(&self, id: &str) -> Result<LoggedModel> {
        Store::logged_model(self, id)
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
        Store::create_logged_model(
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
    fn set_logged_model_status(&mut self, id: &str, status: &str) -> Result<LoggedModel> {
        Store::set_logged_model_status(self, id, status)
    }
    fn set_logged_model_tags(&mut self, id: &str, tags: &[(String, Option<String>)]) -> Result<()> {
        Store::set_logged_model_tags(self, id, tags)
    }
    fn log_logged_model_params(&mut self, id: &str, params: &[KeyValue]) -> Result<()> {
        Store::log_logged_model_params(self, id, params)
    }
    fn delete_logged_model(&mut self, id: &str) -> Result<()> {
        Store::delete_logged_model(self, id)
    }
    fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<LoggedModel>> {
        Store::search_logged_models(self, experiment_ids, filter, limit, page_token)
    }
    fn log_inputs(
        &mut self,
        run: &str,
        datasets: &[DatasetInput],
        models: &[ModelInput],
    ) -> Result<()> {
        Store::log_inputs(self, run, datasets, models)
    }
    fn log_model_metrics(&mut self, metrics: &[ModelMetric]) -> Result<()> {
        Store::log_model_metrics(self, metrics)
    }
    fn logged_model_metrics(&self, model: &str) -> Result<Vec<ModelMetric>> {
        Store::logged_model_metrics(self, model)
    }
    fn create_webhook(&mut self, new: WebhookChange) -> Result<Webhook> {
        Store::create_webhook(self, new)
    }
    fn webhook(&self, id: &str) -> Result<Webhook> {
        Store::webhook(self, id)
    }
    fn list_webhooks(&self, limit: usize, page_token: Option<&str>) -> Result<Page<Webhook>> {
        Store::list_webhooks(self, limit, page_token)
    }
    fn update_webhook(&mut self, id: &str, change: WebhookChange) -> Result<Webhook> {
        Store::update_webhook(self, id, change)
    }
    fn delete_webhook(&mut self, id: &str) -> Result<()> {
        Store::delete_webhook(self, id)
    }
    fn sync_digests(
        &self,
        req: &crate::protocol::sync::DigestsRequest,
    ) -> Result<Vec<crate::protocol::sync::RunDigest>> {
        Store::sync_digests(self, req)
    }
    fn sync_export(&self, run_ids: &[String]) -> Result<crate::protocol::sync::Bundles> {
        Store::sync_export(self, run_ids)
    }
    fn sync_merge(
        &mut self,
        bundles: &crate::protocol::sync::Bundles,
    ) -> Result<crate::protocol::sync::MergeReport> {
        Store::sync_merge(self, bundles, false)
    }
    fn sync_model_digests(&self) -> Result<Vec<crate::protocol::sync::ModelDigest>> {
        Store::sync_model_digests(self)
    }
    fn sync_models(&self, names: &[String]) -> Result<Vec<crate::protocol::sync::ModelBundle>> {
        Store::sync_models(self, Some(names))
    }
    fn sync_merge_models(
        &mut self,
        models: &[crate::protocol::sync::ModelBundle],
    ) -> Result<crate::protocol::sync::RegistryReport> {
        Store::sync_merge_models(self, models)
    }
}
