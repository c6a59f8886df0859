//! Experiments, runs, metrics and artifacts over MLflow's REST API.

use super::*;
use crate::store::TrackingStore;

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
        let m = requests::CreateExperiment {
            name: name.to_string(),
            artifact_location: artifact_location.map(str::to_string),
            tags: Vec::new(),
        };
        let v = self.post_msg("experiments/create", &m)?;
        self.experiment(&text(&v["experiment_id"]))
    }

    fn experiment(&self, id: &str) -> Result<Experiment> {
        let m = requests::GetExperiment {
            experiment_id: id.to_string(),
        };
        let v = self.get_msg("experiments/get", &m)?;
        experiment(&v["experiment"])
    }

    /// An exact name wins, then an id (as in the local store).
    fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
        if spec.is_empty() {
            return Ok(None);
        }
        let m = requests::GetExperimentByName {
            experiment_name: spec.to_string(),
        };
        match self.get_msg("experiments/get-by-name", &m) {
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
            let m = requests::SearchExperiments {
                filter: None,
                max_results: Some(1000),
                page_token: token.clone(),
                view_type: view,
                order_by: Vec::new(),
            };
            let v = self.post_msg("experiments/search", &m)?;
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
        let m = requests::UpdateExperiment {
            experiment_id: id.to_string(),
            new_name: new_name.to_string(),
        };
        self.post_msg("experiments/update", &m)?;
        Ok(())
    }

    fn delete_experiment(&mut self, id: &str) -> Result<()> {
        let m = requests::DeleteExperiment {
            experiment_id: id.to_string(),
        };
        self.post_msg("experiments/delete", &m)?;
        Ok(())
    }

    fn restore_experiment(&mut self, id: &str) -> Result<()> {
        let m = requests::RestoreExperiment {
            experiment_id: id.to_string(),
        };
        self.post_msg("experiments/restore", &m)?;
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
        let m = requests::CreateRun {
            experiment_id: Some(new.experiment_id.clone()),
            tags: new.tags.clone(),
            run_name: new.name.clone(),
            user_id: Some(new.user.clone()),
            start_time: Some(new.start_time.unwrap_or_else(crate::tracking::ids::now_ms)),
        };
        let v = self.post_msg("runs/create", &m)?;
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
        let v = self.get_msg("runs/get", &requests::GetRun { run_id: id.into() })?;
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
            return Err(Error::NotFound(Missing::RunMatching(spec.to_string())));
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
        crate::store::pick_run(spec, candidates)
    }

    fn update_run(&mut self, id: &str, status: RunStatus, end_time: Option<i64>) -> Result<()> {
        let m = requests::UpdateRun {
            run_id: id.to_string(),
            run_name: None,
            status: Some(status),
            end_time,
        };
        self.post_msg("runs/update", &m)?;
        Ok(())
    }

    fn delete_runs(&mut self, ids: &[String]) -> Result<()> {
        self.check_runs_can_become(ids, LifecycleStage::Deleted)?;
        for id in ids {
            self.post_msg("runs/delete", &requests::DeleteRun { run_id: id.clone() })?;
        }
        Ok(())
    }

    fn restore_runs(&mut self, ids: &[String]) -> Result<()> {
        self.check_runs_can_become(ids, LifecycleStage::Active)?;
        for id in ids {
            self.post_msg("runs/restore", &requests::RestoreRun { run_id: id.clone() })?;
        }
        Ok(())
    }

    fn metric_history(&self, id: &str, key: &str) -> Result<Vec<Metric>> {
        let m = requests::GetMetricHistory {
            run_id: id.to_string(),
            metric_key: key.to_string(),
            max_results: Some(25_000),
            page_token: None,
        };
        let mut out: Vec<Metric> = self
            .get_all("metrics/get-history", &m, "metrics")?
            .iter()
            .map(metric)
            .collect::<Result<_>>()?;
        out.sort_by_key(|m| (m.step, m.timestamp));
        Ok(out)
    }

    fn metric_history_page(
        &self,
        id: &str,
        key: &str,
        limit: Option<usize>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        let m = requests::GetMetricHistory {
            run_id: id.to_string(),
            metric_key: key.to_string(),
            max_results: limit.map(|n| n.min(i64::MAX as usize) as i64),
            page_token: page_token.map(str::to_string),
        };
        let (items, next) = self.get_page("metrics/get-history", &m, "metrics")?;
        let points = items.iter().map(metric).collect::<Result<_>>()?;
        Ok((points, next))
    }

    fn log_batch(&mut self, id: &str, batch: LogBatch) -> Result<LogOutcome> {
        let (batch, outcome) = batch.validated(self.truncate)?;
        let mut params = batch.params.chunks(MAX_BATCH_PARAMS_AND_TAGS);
        let mut tags = batch.tags.chunks(MAX_BATCH_PARAMS_AND_TAGS);
        let send = |req: LogBatchRequest| self.post_msg("runs/log-batch", &req);
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
