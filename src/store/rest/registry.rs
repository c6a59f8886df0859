//! Registered models and versions over MLflow's REST API, and mlf's own registry calls.

use super::*;
use crate::store::{RegistryStore, TrackingStore};

impl RegistryStore for RestStore {
    fn create_model(
        &mut self,
        name: &str,
        description: &str,
        tags: &[KeyValue],
        act: &Act,
    ) -> Result<RegisteredModel> {
        let m = requests::CreateRegisteredModel {
            name: name.to_string(),
            description: description.to_string(),
            tags: tags.to_vec(),
        };
        let v = self.send_msg("POST", "registered-models/create", &m, Some(act.actor))?;
        registered_model(&v["registered_model"])
    }

    fn model(&self, name: &str) -> Result<RegisteredModel> {
        let m = requests::GetRegisteredModel { name: name.into() };
        let v = self.get_msg("registered-models/get", &m)?;
        registered_model(&v["registered_model"])
    }

    fn list_models(&self, filter: Option<&Expr>) -> Result<Vec<RegisteredModel>> {
        let m = requests::SearchRegisteredModels {
            filter: Some(filter.map(Expr::to_filter_string).unwrap_or_default()),
            max_results: Some(1000),
            page_token: None,
        };
        let mut out: Vec<RegisteredModel> = self
            .get_all("registered-models/search", &m, "registered_models")?
            .iter()
            .map(registered_model)
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn search_models(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        let m = requests::SearchRegisteredModels {
            filter: filter.map(Expr::to_filter_string),
            max_results: Some(limit.min(i64::MAX as usize) as i64),
            page_token: page_token.map(str::to_string),
        };
        let (items, next) = self.get_page("registered-models/search", &m, "registered_models")?;
        let models = items.iter().map(registered_model).collect::<Result<_>>()?;
        Ok((models, next))
    }

    fn search_versions(
        &self,
        filter: Option<&Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        let m = requests::SearchModelVersions {
            filter: filter.map(Expr::to_filter_string),
            max_results: Some(limit.min(i64::MAX as usize) as i64),
            page_token: page_token.map(str::to_string),
        };
        let (items, next) = self.get_page("model-versions/search", &m, "model_versions")?;
        let versions = items.iter().map(model_version).collect::<Result<_>>()?;
        Ok((versions, next))
    }

    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let model = self.model(name)?;
        let m = requests::SearchModelVersions {
            filter: Some(format!("name = {}", crate::search::string_text(name))),
            max_results: Some(10_000),
            page_token: None,
        };
        let mut out: Vec<ModelVersion> = self
            .get_all("model-versions/search", &m, "model_versions")?
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
        let m = requests::GetModelVersion {
            name: name.into(),
            version,
        };
        let v = self.get_msg("model-versions/get", &m)?;
        model_version(&v["model_version"])
    }

    fn create_version(
        &mut self,
        new: &NewVersion,
        act: &Act,
        _place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
    ) -> Result<ModelVersion> {
        if new.source.is_empty() {
            return Err(Error::Invalid(
                "a tracking server registers models from runs:/RUN/PATH or models:/ URIs".into(),
            )
            .with_fix(Fix::LogModelToRun));
        }
        if self.model(&new.name).is_err() {
            let m = requests::CreateRegisteredModel {
                name: new.name.clone(),
                description: String::new(),
                tags: Vec::new(),
            };
            self.send_msg("POST", "registered-models/create", &m, Some(act.actor))?;
        }
        let m = requests::CreateModelVersion {
            name: new.name.clone(),
            source: new.source.clone(),
            run_id: Some(new.run_id.clone()).filter(|r| !r.is_empty()),
            description: new.description.clone(),
            tags: new.tags.clone(),
            model_id: None,
        };
        let v = self.send_msg("POST", "model-versions/create", &m, Some(act.actor))?;
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
        let m = requests::TransitionStage {
            name: name.into(),
            version,
            stage: stage.as_str().into(),
            archive_existing_versions: archive_existing,
        };
        let v = self.send_msg(
            "POST",
            "model-versions/transition-stage",
            &m,
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
        let m = requests::SetAlias {
            name: name.into(),
            alias: alias.into(),
            version,
        };
        self.send_msg("POST", "registered-models/alias", &m, Some(act.actor))?;
        Ok(previous)
    }

    fn delete_alias(&mut self, name: &str, alias: &str, act: &Act) -> Result<i64> {
        let version = self.alias_version(name, alias)?;
        let m = requests::DeleteAlias {
            name: name.into(),
            alias: alias.into(),
        };
        self.send_msg("DELETE", "registered-models/alias", &m, Some(act.actor))?;
        Ok(version)
    }

    fn alias_version(&self, name: &str, alias: &str) -> Result<i64> {
        let no_alias = || {
            Error::NotFound(Missing::Alias {
                name: name.to_string(),
                alias: alias.to_string(),
            })
        };
        let m = requests::GetModelVersionByAlias {
            name: name.into(),
            alias: alias.into(),
        };
        let v = match self.get_msg("registered-models/alias", &m) {
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
            Some(version) => {
                let m = requests::UpdateModelVersion {
                    name: name.into(),
                    version,
                    description: Some(text.into()),
                };
                self.send_msg("PATCH", "model-versions/update", &m, Some(act.actor))?
            }
            None => {
                let m = requests::UpdateRegisteredModel {
                    name: name.into(),
                    description: Some(text.into()),
                };
                self.send_msg("PATCH", "registered-models/update", &m, Some(act.actor))?
            }
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
        let actor = Some(act.actor);
        for (key, value) in tags {
            let (name, key) = (name.to_string(), key.clone());
            match (version, value) {
                (Some(version), Some(value)) => {
                    let m = requests::SetModelVersionTag {
                        name,
                        version,
                        key,
                        value: value.clone(),
                    };
                    self.send_msg("POST", "model-versions/set-tag", &m, actor)?
                }
                (Some(version), None) => {
                    let m = requests::DeleteModelVersionTag { name, version, key };
                    self.send_msg("DELETE", "model-versions/delete-tag", &m, actor)?
                }
                (None, Some(value)) => {
                    let m = requests::SetRegisteredModelTag {
                        name,
                        key,
                        value: value.clone(),
                    };
                    self.send_msg("POST", "registered-models/set-tag", &m, actor)?
                }
                (None, None) => {
                    let m = requests::DeleteRegisteredModelTag { name, key };
                    self.send_msg("DELETE", "registered-models/delete-tag", &m, actor)?
                }
            };
        }
        Ok(())
    }

    fn delete_version(&mut self, name: &str, version: i64, act: &Act) -> Result<Vec<String>> {
        let aliases = self.version(name, version)?.aliases;
        let m = requests::DeleteModelVersion {
            name: name.into(),
            version,
        };
        self.send_msg("DELETE", "model-versions/delete", &m, Some(act.actor))?;
        Ok(aliases)
    }

    fn delete_model(&mut self, name: &str, act: &Act) -> Result<()> {
        let m = requests::DeleteRegisteredModel { name: name.into() };
        self.send_msg("DELETE", "registered-models/delete", &m, Some(act.actor))?;
        Ok(())
    }

    fn request_transition(
        &mut self,
        name: &str,
        version: i64,
        stage: Stage,
        act: &Act,
    ) -> Result<TransitionRequest> {
        let m = requests::RequestTransition {
            comment: act.comment.map(str::to_string),
            name: name.into(),
            version,
            stage: stage.as_str().into(),
        };
        let v = self
            .send_msg("POST", "mlf/registry/request", &m, Some(act.actor))
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
        let m = requests::DecideRequest {
            comment: act.comment.map(str::to_string),
            id: Some(id),
            approve,
        };
        let v = self
            .send_msg("POST", "mlf/registry/decide", &m, Some(act.actor))
            .map_err(|e| mlf_only(e, "a stage request"))?;
        decode(&v["request"])
    }

    fn requests(&self, name: Option<&str>, all: bool) -> Result<Vec<TransitionRequest>> {
        let m = requests::ListRequests {
            all,
            name: name.map(str::to_string),
        };
        let v = self
            .get_msg("mlf/registry/requests", &m)
            .map_err(|e| mlf_only(e, "the list of stage requests"))?;
        decode(&v["requests"])
    }

    fn pending_request_for(&self, name: &str, version: i64, stage: Option<Stage>) -> Result<i64> {
        let m = requests::PendingRequest {
            stage: stage.map(|s| s.as_str().to_string()),
            name: name.into(),
            version,
        };
        let v = self
            .get_msg("mlf/registry/pending", &m)
            .map_err(|e| mlf_only(e, "a stage request"))?;
        int(&v["id"])
            .ok_or_else(|| Error::Remote(format!("{} sent no request id", self.client.base())))
    }

    fn registry_history(&self, name: &str) -> Result<Vec<Event>> {
        let m = requests::RegistryHistory { name: name.into() };
        let v = self
            .get_msg("mlf/registry/history", &m)
            .map_err(|e| mlf_only(e, "the registry's history"))?;
        decode(&v["events"])
    }

    fn registry_at(&self, name: &str, at: i64) -> Result<Snapshot> {
        let m = requests::RegistryAt {
            at: Some(at),
            name: name.into(),
        };
        let v = self
            .get_msg("mlf/registry/at", &m)
            .map_err(|e| mlf_only(e, "the registry's history"))?;
        decode(&v["snapshot"])
    }

    fn version_files(&self, version: &ModelVersion, scratch: &Path) -> Result<PathBuf> {
        let m = requests::GetDownloadUri {
            name: version.name.clone(),
            version: version.version.parse().map_err(|_| {
                Error::Remote(format!("the server sent version `{}`", version.version))
            })?,
        };
        let v = self.get_msg("model-versions/get-download-uri", &m)?;
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
