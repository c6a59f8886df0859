//! What the REST API needs beyond the CLI: experiment tags, deleting run tags, renaming
//! runs, and MLflow 3's logged models.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::store::{Error, Missing, Result};
use crate::tracking::ids::now_ms;
use crate::tracking::validation::{KeyKind, validate_key, validate_run_name};
use crate::tracking::{KeyValue, LifecycleStage, tags};

/// An MLflow 3 logged model (`m-<32 hex>`), stored under `<experiment>/models/<id>/artifacts`.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedModel {
    pub model_id: String,
    pub experiment_id: String,
    pub name: String,
    pub model_type: String,
    pub source_run_id: String,
    pub status: String,
    pub status_message: String,
    pub creator_id: String,
    pub creation_timestamp_ms: i64,
    pub last_updated_timestamp_ms: i64,
    pub tags: Vec<KeyValue>,
    pub params: Vec<KeyValue>,
}

impl Store {
    /// Sets or (with `None`) removes an experiment tag.
    pub fn set_experiment_tag(&mut self, id: &str, key: &str, value: Option<&str>) -> Result<()> {
        validate_key(KeyKind::Tag, key)?;
        let exp = self.experiment(id)?;
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                    params![exp.experiment_id, key, v],
                )?,
                None => tx.execute(
                    "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2",
                    params![exp.experiment_id, key],
                )?,
            };
            Ok(())
        })
    }

    /// Removes a run tag; a missing tag is not-found.
    pub fn delete_run_tag(&mut self, uuid: &str, key: &str) -> Result<()> {
        self.write(|tx| {
            let (pk, stage) = Store::run_key(tx, uuid)?;
            if stage == LifecycleStage::Deleted {
                return Err(super::runs::deleted_run(uuid));
            }
            if tx.execute(
                "DELETE FROM tags WHERE run_id = ?1 AND key = ?2",
                params![pk, key],
            )? == 0
            {
                return Err(Error::NotFound(Missing::RunTag {
                    run: uuid.to_string(),
                    key: key.to_string(),
                }));
            }
            Ok(())
        })
    }

    /// Renames a run (and its `mlflow.runName` tag).
    pub fn rename_run(&mut self, uuid: &str, name: &str) -> Result<()> {
        validate_run_name(name)?;
        self.write(|tx| {
            let (pk, _) = Store::run_key(tx, uuid)?;
            tx.execute("UPDATE runs SET name = ?1 WHERE id = ?2", params![name, pk])?;
            tx.execute(
                "INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                params![pk, tags::RUN_NAME, name],
            )?;
            Ok(())
        })
    }

    /// Creates a logged model in an experiment.
    #[allow(clippy::too_many_arguments)]
    pub fn create_logged_model(
        &mut self,
        experiment_id: &str,
        name: &str,
        model_type: &str,
        source_run_id: &str,
        creator: &str,
        tags: &[KeyValue],
        params: &[KeyValue],
    ) -> Result<LoggedModel> {
        let exp = self.experiment(experiment_id)?;
        let id = format!("m-{}", crate::tracking::ids::new_run_id());
        // As MLflow: an unnamed model gets a generated name, like a run's.
        let name = if name.is_empty() {
            crate::tracking::ids::new_run_name()
        } else {
            name.to_string()
        };
        let now = now_ms();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO logged_models (model_id, experiment_id, name, model_type, source_run_id, creator_id,
                                            creation_time, last_updated_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![id, exp.experiment_id, name, model_type, source_run_id, creator, now],
            )?;
            for t in tags {
                tx.execute("INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?1, ?2, ?3)", params![id, t.key, t.value])?;
            }
            for p in params {
                tx.execute("INSERT OR REPLACE INTO logged_model_params (model_id, key, value) VALUES (?1, ?2, ?3)", params![id, p.key, p.value])?;
            }
            Ok(())
        })?;
        self.logged_model(&id)
    }

    /// A logged model.
    pub fn logged_model(&self, id: &str) -> Result<LoggedModel> {
        let conn = self.conn();
        let found = conn
            .query_row(
                "SELECT model_id, experiment_id, name, model_type, source_run_id, status, status_message, creator_id,
                        creation_time, last_updated_time FROM logged_models WHERE model_id = ?1 AND lifecycle_stage = 'active'",
                [id],
                |r| {
                    Ok(LoggedModel {
                        model_id: r.get(0)?,
                        experiment_id: r.get::<_, i64>(1)?.to_string(),
                        name: r.get(2)?,
                        model_type: r.get(3)?,
                        source_run_id: r.get(4)?,
                        status: r.get(5)?,
                        status_message: r.get(6)?,
                        creator_id: r.get(7)?,
                        creation_timestamp_ms: r.get(8)?,
                        last_updated_timestamp_ms: r.get(9)?,
                        tags: Vec::new(),
                        params: Vec::new(),
                    })
                },
            )
            .optional()?;
        let mut m = found.ok_or_else(|| Error::NotFound(Missing::LoggedModel(id.to_string())))?;
        for (table, out) in [
            ("logged_model_tags", &mut m.tags),
            ("logged_model_params", &mut m.params),
        ] {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT key, value FROM {table} WHERE model_id = ?1 ORDER BY key"
            ))?;
            *out = stmt
                .query_map([id], |r| {
                    Ok(KeyValue {
                        key: r.get(0)?,
                        value: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(m)
    }

    /// Where a logged model's files are: `<artifacts>/<experiment>/models/<id>/artifacts`.
    pub fn logged_model_dir(&self, m: &LoggedModel) -> std::path::PathBuf {
        self.artifact_root()
            .join(&m.experiment_id)
            .join("models")
            .join(&m.model_id)
            .join("artifacts")
    }

    /// The active logged models a run made (`source_run_id`), oldest first.
    pub fn run_logged_models(&self, run_id: &str) -> Result<Vec<LoggedModel>> {
        let ids: Vec<String> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT model_id FROM logged_models WHERE source_run_id = ?1 AND lifecycle_stage = 'active'
                 ORDER BY creation_time, model_id",
            )?;
            stmt.query_map([run_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.logged_model(id)).collect()
    }

    /// The files `runs:/RUN/NAME/REST` names when NAME is a logged model of the run, as
    /// MLflow 3 resolves a run URI whose path is not one of the run's artifacts: the newest
    /// such model's directory, joined with REST.
    pub fn run_logged_model_path(
        &self,
        run_id: &str,
        path: &std::path::Path,
    ) -> Result<Option<(LoggedModel, std::path::PathBuf)>> {
        let mut parts = path.components();
        let Some(first) = parts.next() else {
            return Ok(None);
        };
        let name = first.as_os_str().to_string_lossy();
        let found = self
            .run_logged_models(run_id)?
            .into_iter()
            .rev()
            .find(|m| m.name == name);
        Ok(found.map(|m| {
            let dir = self.logged_model_dir(&m).join(parts.as_path());
            (m, dir)
        }))
    }

    /// Sets a logged model's status (`LOGGED_MODEL_READY`, …).
    pub fn set_logged_model_status(&mut self, id: &str, status: &str) -> Result<LoggedModel> {
        let n = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE logged_models SET status = ?1, last_updated_time = ?2 WHERE model_id = ?3",
                params![status, now_ms(), id],
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound(Missing::LoggedModel(id.to_string())));
        }
        self.logged_model(id)
    }

    /// Sets or removes logged-model tags.
    pub fn set_logged_model_tags(
        &mut self,
        id: &str,
        tags: &[(String, Option<String>)],
    ) -> Result<()> {
        self.logged_model(id)?;
        self.write(|tx| {
            for (k, v) in tags {
                match v {
                    Some(v) => tx.execute("INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?1, ?2, ?3)", params![id, k, v])?,
                    None => tx.execute("DELETE FROM logged_model_tags WHERE model_id = ?1 AND key = ?2", params![id, k])?,
                };
            }
            Ok(())
        })
    }

    /// Soft-deletes a logged model.
    pub fn delete_logged_model(&mut self, id: &str) -> Result<()> {
        self.logged_model(id)?;
        self.write(|tx| {
            Ok(tx
                .execute(
                    "UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?1",
                    [id],
                )
                .map(|_| ())?)
        })
    }

    /// One page of the logged models of experiments (all when none are named) that match a
    /// filter (the logged-model grammar), newest first, then by id: at most `limit`, after the
    /// model `page_token` names.
    pub fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&crate::search::Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<crate::store::paging::Page<LoggedModel>> {
        let mut sql = String::from(
            "SELECT lm.model_id, lm.creation_time FROM logged_models lm WHERE lm.lifecycle_stage = 'active'",
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if !experiment_ids.is_empty() {
            sql.push_str(&format!(
                " AND CAST(lm.experiment_id AS TEXT) IN ({})",
                vec!["?"; experiment_ids.len()].join(", ")
            ));
            values.extend(experiment_ids.iter().map(|e| e.clone().into()));
        }
        if let Some(f) = filter {
            sql.push_str(" AND ");
            super::filter::named_filter_sql(
                f,
                &super::filter::LOGGED_MODELS,
                &mut sql,
                &mut values,
            );
        }
        if let Some(t) = page_token {
            let (time, id) = crate::store::paging::key(t)?;
            sql.push_str(
                " AND (lm.creation_time < ? OR (lm.creation_time = ? AND lm.model_id > ?))",
            );
            values.extend([time.into(), time.into(), id.into()]);
        }
        sql.push_str(" ORDER BY lm.creation_time DESC, lm.model_id ASC LIMIT ?");
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let rows: Vec<(String, i64)> = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (rows, next) =
            crate::store::paging::split(rows, limit, |(id, time)| (*time, id.clone()));
        let models = rows
            .into_iter()
            .map(|(id, _)| self.logged_model(&id))
            .collect::<Result<_>>()?;
        Ok((models, next))
    }

    /// Records that a run output models.
    pub fn log_run_outputs(&mut self, run: &str, models: &[(String, i64)]) -> Result<()> {
        self.run(run)?;
        self.write(|tx| {
            for (m, step) in models {
                tx.execute("INSERT OR REPLACE INTO run_outputs (run_uuid, model_id, step) VALUES (?1, ?2, ?3)", params![run, m, step])?;
            }
            Ok(())
        })
    }

    /// Models a run output: (model id, step).
    pub fn run_outputs(&self, run: &str) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT model_id, step FROM run_outputs WHERE run_uuid = ?1 ORDER BY model_id",
        )?;
        let rows = stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Renames a registered model (and its versions, aliases, tags).
    pub fn rename_model(
        &mut self,
        name: &str,
        new_name: &str,
        act: &crate::store::Act,
    ) -> Result<()> {
        crate::registry::validate_model_name(new_name)?;
        self.model(name)?;
        self.write(|tx| {
            let taken: Option<String> = tx.query_row("SELECT name FROM registered_models WHERE name = ?1", [new_name], |r| r.get(0)).optional()?;
            if taken.is_some() {
                return Err(Error::AlreadyExists(format!("registered model `{new_name}` already exists")));
            }
            for table in ["registered_models", "registered_model_tags", "registered_model_aliases", "model_versions", "model_version_tags", "transition_requests"] {
                tx.execute(&format!("UPDATE {table} SET name = ?1 WHERE name = ?2"), params![new_name, name])?;
            }
            let now = now_ms();
            // As MLflow: the model and its versions were updated now.
            tx.execute("UPDATE registered_models SET last_updated_time = ?1 WHERE name = ?2", params![now, new_name])?;
            tx.execute("UPDATE model_versions SET last_updated_time = ?1 WHERE name = ?2", params![now, new_name])?;
            tx.execute(
                "INSERT INTO registry_events (name, kind, from_value, to_value, actor, time) VALUES (?1, 'rename', ?2, ?1, ?3, ?4)",
                params![new_name, name, act.actor, now],
            )?;
            Ok(())
        })
    }

    /// One page of the registered models that match a filter (`name`, `tags.K`), by name: at
    /// most `limit`, after the model `page_token` names.
    pub fn search_models(
        &self,
        filter: Option<&crate::search::Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<crate::store::paging::Page<crate::registry::RegisteredModel>> {
        let mut sql = String::from("SELECT m.name FROM registered_models m WHERE 1");
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(f) = filter {
            sql.push_str(" AND ");
            super::filter::named_filter_sql(f, &super::filter::MODELS, &mut sql, &mut values);
        }
        if let Some(t) = page_token {
            let (_, name) = crate::store::paging::key(t)?;
            sql.push_str(" AND m.name > ?");
            values.push(name.into());
        }
        sql.push_str(" ORDER BY m.name LIMIT ?");
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let names: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let (names, next) = crate::store::paging::split(names, limit, |n| (0, n.clone()));
        let models = names.iter().map(|n| self.model(n)).collect::<Result<_>>()?;
        Ok((models, next))
    }

    /// One page of the live model versions that match a filter (`name`, `version_number`,
    /// `run_id`, `source_path`, `tags.K`), by name then newest first: at most `limit`, after
    /// the version `page_token` names.
    pub fn search_versions(
        &self,
        filter: Option<&crate::search::Expr>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<crate::store::paging::Page<crate::registry::ModelVersion>> {
        let mut sql =
            String::from("SELECT v.name, v.version FROM model_versions v WHERE v.deleted = 0");
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(f) = filter {
            sql.push_str(" AND ");
            super::filter::named_filter_sql(f, &super::filter::VERSIONS, &mut sql, &mut values);
        }
        if let Some(t) = page_token {
            let (version, name) = crate::store::paging::key(t)?;
            sql.push_str(" AND (v.name > ? OR (v.name = ? AND v.version < ?))");
            values.extend([name.clone().into(), name.into(), version.into()]);
        }
        sql.push_str(" ORDER BY v.name ASC, v.version DESC LIMIT ?");
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let rows: Vec<(String, i64)> = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (rows, next) = crate::store::paging::split(rows, limit, |(n, v)| (*v, n.clone()));
        // Each model's versions are read once, with their tags and aliases.
        let mut out = Vec::with_capacity(rows.len());
        let mut loaded: Option<(String, Vec<crate::registry::ModelVersion>)> = None;
        for (name, version) in rows {
            if loaded.as_ref().is_none_or(|(n, _)| *n != name) {
                loaded = Some((name.clone(), self.versions(&name)?));
            }
            let all = loaded.as_ref().map_or(&[][..], |(_, v)| v.as_slice());
            if let Some(v) = all.iter().find(|v| v.version == version.to_string()) {
                out.push(v.clone());
            }
        }
        Ok((out, next))
    }
}
