//! Reading an MLflow SQLite tracking database (MLflow's own schema, 2.x and 3.x) into this
//! store, keeping experiment and run ids. The source is attached read-only (`mode=ro`) and
//! copied with `INSERT … SELECT`, batch by batch, each batch in its own transaction: every
//! statement inserts only what is missing, so a second import changes nothing and an
//! interrupted one resumes where it stopped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::store::{Error, Result};

/// An experiment of the source and where it lands.
#[derive(Debug, Clone)]
pub struct ExperimentMap {
    pub source_id: i64,
    pub name: String,
    pub target_id: i64,
    /// It was there already (same id and name, or same name).
    pub existed: bool,
}

/// What one batch of runs changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchCounts {
    pub runs: usize,
    pub runs_updated: usize,
    pub params: usize,
    pub tags: usize,
    pub metric_points: usize,
}

/// A run's artifacts: where the source keeps them, and where this store does.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub run_id: String,
    pub source: String,
    pub target: PathBuf,
}

/// What the registry and logged models added.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryCounts {
    pub models: usize,
    pub versions: usize,
    pub aliases: usize,
    pub tags: usize,
    pub logged_models: usize,
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Store {
    /// Attaches an MLflow database read-only as `src` (detached by [`Store::detach_mlflow`]);
    /// refuses a file that is not one.
    pub fn attach_mlflow(&mut self, db: &Path) -> Result<()> {
        if !db.is_file() {
            return Err(Error::Invalid(format!(
                "no MLflow database at `{}`",
                db.display()
            )));
        }
        let uri = format!(
            "file:{}?mode=ro",
            db.display().to_string().replace('?', "%3f")
        );
        self.conn()
            .execute_batch(&format!("ATTACH DATABASE {} AS src", sql_text(&uri)))?;
        let tables: i64 = self.conn().query_row(
            "SELECT count(*) FROM src.sqlite_master WHERE type = 'table'
               AND name IN ('experiments', 'runs', 'metrics', 'params', 'tags')",
            [],
            |r| r.get(0),
        )?;
        if tables < 5 {
            let _ = self.detach_mlflow();
            return Err(Error::Invalid(format!(
                "`{}` is not an MLflow tracking database (it lacks MLflow's tables)",
                db.display()
            )));
        }
        Ok(())
    }

    pub fn detach_mlflow(&mut self) -> Result<()> {
        self.conn().execute_batch("DETACH DATABASE src")?;
        Ok(())
    }

    /// Places the source's experiments (all, or those named in `only`): the same id when it
    /// is free, the experiment of the same name when there is one, else a new id. Creates the
    /// missing ones (with `dry_run`, only says where they would go).
    pub fn map_mlflow_experiments(
        &mut self,
        only: &[String],
        dry_run: bool,
    ) -> Result<Vec<ExperimentMap>> {
        let mut stmt = self.conn().prepare(
            "SELECT experiment_id, name, COALESCE(lifecycle_stage, 'active'),
                    COALESCE(creation_time, 0), COALESCE(last_update_time, creation_time, 0)
             FROM src.experiments ORDER BY experiment_id",
        )?;
        type Row = (i64, String, String, i64, i64);
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        for name in only {
            if !rows
                .iter()
                .any(|r| &r.1 == name || r.0.to_string() == *name)
            {
                return Err(Error::Invalid(format!(
                    "the MLflow store has no experiment named `{name}`"
                )));
            }
        }
        let mut out = Vec::new();
        let mut next_free: Option<i64> = None;
        for (id, name, stage, created, updated) in rows {
            if !only.is_empty() && !only.iter().any(|o| *o == name || *o == id.to_string()) {
                continue;
            }
            let by_name: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(target) = by_name {
                out.push(ExperimentMap {
                    source_id: id,
                    name,
                    target_id: target,
                    existed: true,
                });
                continue;
            }
            let id_taken: bool = self
                .conn()
                .query_row(
                    "SELECT 1 FROM experiments WHERE experiment_id = ?1",
                    [id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            let target = if !id_taken {
                id
            } else {
                // Above every id here and in the source, so that a mapped experiment takes
                // no id another source experiment keeps.
                let max: i64 = self.conn().query_row(
                    "SELECT max((SELECT COALESCE(max(experiment_id), 0) FROM experiments),
                                (SELECT COALESCE(max(experiment_id), 0) FROM src.experiments))",
                    [],
                    |r| r.get(0),
                )?;
                let n = next_free.map_or(max + 1, |n| n.max(max + 1));
                next_free = Some(n + 1);
                n
            };
            if !dry_run {
                self.write(|tx| {
                    tx.execute(
                        "INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time, last_update_time)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![target, name, stage, created, updated],
                    )?;
                    tx.execute(
                        "INSERT OR IGNORE INTO experiment_tags (experiment_id, key, value)
                         SELECT ?1, key, COALESCE(value, '') FROM src.experiment_tags WHERE experiment_id = ?2",
                        params![target, id],
                    )?;
                    Ok(())
                })?;
            }
            out.push(ExperimentMap {
                source_id: id,
                name,
                target_id: target,
                existed: false,
            });
        }
        Ok(out)
    }

    /// The source's run ids in an experiment, in a stable order (for batching).
    pub fn mlflow_run_ids(&self, source_experiment: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT run_uuid FROM src.runs WHERE experiment_id = ?1 ORDER BY run_uuid")?;
        let ids = stmt
            .query_map([source_experiment], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Copies one batch of runs of an experiment with their params, tags and every metric
    /// point, in one transaction; what exists already is left alone (a run's status, end time
    /// and lifecycle follow the source's). With `dry_run`, counts and rolls back.
    pub fn import_mlflow_runs(
        &mut self,
        map: &ExperimentMap,
        run_ids: &[String],
        dry_run: bool,
    ) -> Result<BatchCounts> {
        let deleted_time = if self.src_has("runs", Some("deleted_time"))? {
            "r.deleted_time"
        } else {
            "NULL"
        };
        // The batch's runs lead the join (CROSS JOIN keeps that order) when the source can
        // find a run's points by index; otherwise one pass over the source's points.
        let metrics_from = if self.src_indexed_by_run("metrics")? {
            "temp.import_batch b CROSS JOIN src.metrics m ON m.run_uuid = b.run_uuid"
        } else {
            "src.metrics m JOIN temp.import_batch b ON b.run_uuid = m.run_uuid"
        };
        let latest_from = if !self.src_has("latest_metrics", None)? {
            None
        } else if self.src_indexed_by_run("latest_metrics")? {
            Some("temp.import_batch b CROSS JOIN src.latest_metrics l ON l.run_uuid = b.run_uuid")
        } else {
            Some("src.latest_metrics l JOIN temp.import_batch b ON b.run_uuid = l.run_uuid")
        };
        let conn = self.conn();
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_batch (run_uuid TEXT PRIMARY KEY);
             DELETE FROM temp.import_batch;",
        )?;
        let work = |tx: &rusqlite::Connection| -> Result<BatchCounts> {
            let mut put =
                tx.prepare_cached("INSERT OR IGNORE INTO temp.import_batch VALUES (?1)")?;
            for id in run_ids {
                put.execute([id])?;
            }
            let runs = tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO runs (run_uuid, name, experiment_id, user_id, status,
                        start_time, end_time, lifecycle_stage, deleted_time)
                     SELECT r.run_uuid, COALESCE(r.name, ''), ?1, COALESCE(r.user_id, ''),
                        COALESCE(r.status, 'FINISHED'), COALESCE(r.start_time, 0), r.end_time,
                        COALESCE(r.lifecycle_stage, 'active'), {deleted_time}
                     FROM src.runs r JOIN temp.import_batch b ON b.run_uuid = r.run_uuid"
                ),
                [map.target_id],
            )?;
            let runs_updated = tx.execute(
                &format!(
                    "UPDATE runs SET status = s.status, end_time = s.end_time,
                        lifecycle_stage = s.stage, deleted_time = s.deleted
                     FROM (SELECT r.run_uuid AS id, COALESCE(r.status, 'FINISHED') AS status,
                             r.end_time AS end_time, COALESCE(r.lifecycle_stage, 'active') AS stage,
                             {deleted_time} AS deleted
                           FROM src.runs r JOIN temp.import_batch b ON b.run_uuid = r.run_uuid) s
                     WHERE runs.run_uuid = s.id AND (runs.status IS NOT s.status
                        OR runs.end_time IS NOT s.end_time OR runs.lifecycle_stage IS NOT s.stage)"
                ),
                [],
            )?;
            let params = tx.execute(
                "INSERT OR IGNORE INTO params (run_id, key, value)
                 SELECT t.id, p.key, COALESCE(p.value, '') FROM src.params p
                 JOIN temp.import_batch b ON b.run_uuid = p.run_uuid
                 JOIN runs t ON t.run_uuid = p.run_uuid",
                [],
            )?;
            let tags = tx.execute(
                "INSERT INTO tags (run_id, key, value)
                 SELECT t.id, g.key, COALESCE(g.value, '') FROM src.tags g
                 JOIN temp.import_batch b ON b.run_uuid = g.run_uuid
                 JOIN runs t ON t.run_uuid = g.run_uuid WHERE true
                 ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
                 WHERE tags.value IS NOT excluded.value",
                [],
            )?;
            let metric_points = tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO metrics (run_id, key, step, timestamp, value, is_nan)
                 SELECT t.id, m.key, COALESCE(m.step, 0), m.timestamp,
                        CASE WHEN m.is_nan THEN 0 ELSE m.value END, COALESCE(m.is_nan, 0)
                 FROM {metrics_from}
                 JOIN runs t ON t.run_uuid = m.run_uuid"
                ),
                [],
            )?;
            // The latest value per key: the greatest (step, timestamp, value), as MLflow's.
            // MLflow keeps it in `latest_metrics`, which is read when the source has it; else
            // it is worked out from the points. Either joins what the store had, keeping the
            // greater.
            let latest = match latest_from {
                Some(from) => format!(
                    "SELECT t.id, l.key, COALESCE(l.step, 0), l.timestamp,
                        CASE WHEN l.is_nan THEN 0 ELSE l.value END, COALESCE(l.is_nan, 0)
                     FROM {from} JOIN runs t ON t.run_uuid = l.run_uuid WHERE true"
                ),
                None => "SELECT run_id, key, step, timestamp, value, is_nan FROM (
                    SELECT m.run_id, m.key, m.step, m.timestamp, m.value, m.is_nan,
                           row_number() OVER (PARTITION BY m.run_id, m.key
                               ORDER BY m.step DESC, m.timestamp DESC, m.value DESC) AS n
                    FROM temp.import_batch b CROSS JOIN runs t ON t.run_uuid = b.run_uuid
                    CROSS JOIN metrics m ON m.run_id = t.id) WHERE n = 1"
                    .to_string(),
            };
            tx.execute(
                &format!(
                    "INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
                 {latest}
                 ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step,
                    timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
                 WHERE (excluded.step, excluded.timestamp, excluded.value)
                     > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)"
                ),
                [],
            )?;
            Ok(BatchCounts {
                runs,
                runs_updated,
                params,
                tags,
                metric_points,
            })
        };
        if dry_run {
            let tx = self.conn().unchecked_transaction()?;
            let c = work(&tx)?;
            tx.rollback()?;
            Ok(c)
        } else {
            self.write(work)
        }
    }

    /// Where the source keeps each run's artifacts in the given experiments, and where this
    /// store keeps them.
    pub fn mlflow_run_files(&self, maps: &[ExperimentMap]) -> Result<Vec<RunFiles>> {
        let mut out = Vec::new();
        for map in maps {
            let mut stmt = self.conn().prepare(
                "SELECT run_uuid, COALESCE(artifact_uri, '') FROM src.runs
                 WHERE experiment_id = ?1 ORDER BY run_uuid",
            )?;
            let rows: Vec<(String, String)> = stmt
                .query_map([map.source_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let base = self.experiment(&map.target_id.to_string());
            for (run_id, source) in rows {
                let target = match &base {
                    Ok(exp) => PathBuf::from(&exp.artifact_location)
                        .join(&run_id)
                        .join("artifacts"),
                    Err(_) => self
                        .artifact_root()
                        .join(map.target_id.to_string())
                        .join(&run_id)
                        .join("artifacts"),
                };
                out.push(RunFiles {
                    run_id,
                    source,
                    target,
                });
            }
        }
        Ok(out)
    }

    /// The source's logged models in the given experiments: (id, source artifact location,
    /// this store's location for its files).
    pub fn mlflow_logged_model_files(&self, maps: &[ExperimentMap]) -> Result<Vec<RunFiles>> {
        if !self.src_has("logged_models", None)? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for map in maps {
            let mut stmt = self.conn().prepare(
                "SELECT model_id, artifact_location FROM src.logged_models WHERE experiment_id = ?1",
            )?;
            let rows: Vec<(String, String)> = stmt
                .query_map([map.source_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let exp = self.experiment(&map.target_id.to_string());
            for (id, source) in rows {
                let base = exp
                    .as_ref()
                    .map(|e| PathBuf::from(&e.artifact_location))
                    .unwrap_or_else(|_| self.artifact_root().join(map.target_id.to_string()));
                out.push(RunFiles {
                    target: base.join("models").join(&id).join("artifacts"),
                    run_id: id,
                    source,
                });
            }
        }
        Ok(out)
    }

    /// Copies the registry (models, versions with `locations` giving each version's files in
    /// this store and its source rewritten, by name and version, stages, aliases, tags, descriptions) and the logged models of
    /// the mapped experiments; what exists is left alone.
    pub fn import_mlflow_registry(
        &mut self,
        maps: &[ExperimentMap],
        locations: &HashMap<(String, i64), (String, String)>,
        dry_run: bool,
    ) -> Result<RegistryCounts> {
        let has_registry = self.src_has("registered_models", None)?;
        let has_logged = self.src_has("logged_models", None)?;
        let work = |tx: &rusqlite::Connection| -> Result<RegistryCounts> {
            let mut c = RegistryCounts::default();
            if has_registry {
                c.models = tx.execute(
                    "INSERT OR IGNORE INTO registered_models (name, description, creation_time, last_updated_time)
                     SELECT name, COALESCE(description, ''), COALESCE(creation_time, 0),
                            COALESCE(last_updated_time, creation_time, 0) FROM src.registered_models",
                    [],
                )?;
                c.tags += tx.execute(
                    "INSERT OR IGNORE INTO registered_model_tags (name, key, value)
                     SELECT name, key, COALESCE(value, '') FROM src.registered_model_tags",
                    [],
                )?;
                let mut stmt = tx.prepare(
                    "SELECT name, version, COALESCE(description, ''), COALESCE(user_id, ''),
                            COALESCE(current_stage, 'None'), COALESCE(source, ''), COALESCE(run_id, ''),
                            COALESCE(status, 'READY'), COALESCE(creation_time, 0),
                            COALESCE(last_updated_time, creation_time, 0)
                     FROM src.model_versions ORDER BY name, version",
                )?;
                type V = (
                    String,
                    i64,
                    String,
                    String,
                    String,
                    String,
                    String,
                    String,
                    i64,
                    i64,
                );
                let rows: Vec<V> = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for (name, version, desc, user, stage, source, run, status, created, updated) in
                    rows
                {
                    let deleted = stage == "Deleted_Internal";
                    let (source, location) = locations
                        .get(&(name.clone(), version))
                        .cloned()
                        .unwrap_or((source, String::new()));
                    c.versions += tx.execute(
                        "INSERT OR IGNORE INTO model_versions (name, version, description, user_id,
                            current_stage, source, run_id, storage_location, status, deleted,
                            creation_time, last_updated_time)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        params![
                            name,
                            version,
                            desc,
                            user,
                            stage,
                            source,
                            run,
                            location,
                            status,
                            deleted as i64,
                            created,
                            updated
                        ],
                    )?;
                }
                c.tags += tx.execute(
                    "INSERT OR IGNORE INTO model_version_tags (name, version, key, value)
                     SELECT name, version, key, COALESCE(value, '') FROM src.model_version_tags",
                    [],
                )?;
                c.aliases = tx.execute(
                    "INSERT OR IGNORE INTO registered_model_aliases (name, alias, version)
                     SELECT name, alias, version FROM src.registered_model_aliases",
                    [],
                )?;
            }
            if has_logged {
                for m in maps {
                    c.logged_models += tx.execute(
                        "INSERT OR IGNORE INTO logged_models (model_id, experiment_id, name, model_type,
                            source_run_id, status, status_message, lifecycle_stage, creation_time,
                            last_updated_time)
                         SELECT model_id, ?1, name, COALESCE(model_type, ''), COALESCE(source_run_id, ''),
                            CASE status WHEN 1 THEN 'LOGGED_MODEL_PENDING' WHEN 2 THEN 'LOGGED_MODEL_READY'
                                 WHEN 3 THEN 'LOGGED_MODEL_UPLOAD_FAILED' ELSE 'LOGGED_MODEL_STATUS_UNSPECIFIED' END,
                            COALESCE(status_message, ''), COALESCE(lifecycle_stage, 'active'),
                            creation_timestamp_ms, last_updated_timestamp_ms
                         FROM src.logged_models WHERE experiment_id = ?2",
                        params![m.target_id, m.source_id],
                    )?;
                    tx.execute(
                        "INSERT OR IGNORE INTO logged_model_params (model_id, key, value)
                         SELECT model_id, param_key, param_value FROM src.logged_model_params
                         WHERE experiment_id = ?1",
                        [m.source_id],
                    )?;
                    tx.execute(
                        "INSERT OR IGNORE INTO logged_model_tags (model_id, key, value)
                         SELECT model_id, tag_key, tag_value FROM src.logged_model_tags
                         WHERE experiment_id = ?1",
                        [m.source_id],
                    )?;
                }
            }
            Ok(c)
        };
        if dry_run {
            let tx = self.conn().unchecked_transaction()?;
            let c = work(&tx)?;
            tx.rollback()?;
            Ok(c)
        } else {
            self.write(work)
        }
    }

    /// The source's model versions: (name, version, source, run id).
    pub fn mlflow_versions(&self) -> Result<Vec<(String, i64, String, String)>> {
        if !self.src_has("model_versions", None)? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn().prepare(
            "SELECT name, version, COALESCE(source, ''), COALESCE(run_id, '') FROM src.model_versions",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
