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
        _place: &mut dyn FnMut(i64) -> std::result::Result<String, crate::store::PlaceError>,
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
        let no_alias = || {
            Error::NotFound(Missing::Alias {
                name: name.to_string(),
                alias: alias.to_string(),
            })
        };
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
