//! Permanent removal of what was soft-deleted: the rows of deleted runs and experiments, found
//! and removed in IMMEDIATE transactions so that processes logging meanwhile lose nothing, and
//! the database file compacted afterwards.

use std::collections::HashSet;
use std::path::PathBuf;

use super::{Store, is_busy};
use crate::store::{DB_FILE, Error, Missing, Result};

/// A deleted run that may be purged.
#[derive(Debug, Clone)]
pub struct GcRun {
    pub run_id: String,
    pub experiment_id: String,
    /// Its artifact directory (`…/<run id>/artifacts`).
    pub artifact_dir: PathBuf,
}

/// A deleted experiment that may be purged (with its runs).
#[derive(Debug, Clone)]
pub struct GcExperiment {
    pub experiment_id: String,
    pub name: String,
    /// Its artifact location (a local directory).
    pub artifact_dir: PathBuf,
}

/// What a garbage collection would remove from the database.
#[derive(Debug, Clone, Default)]
pub struct GcPlan {
    pub runs: Vec<GcRun>,
    pub experiments: Vec<GcExperiment>,
}

fn local_path(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

impl Store {
    /// Experiment ids of `specs` (names or ids, deleted experiments included).
    fn experiment_ids(&self, specs: &[String]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for spec in specs {
            let id: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1
                     UNION ALL SELECT experiment_id FROM experiments WHERE CAST(experiment_id AS TEXT) = ?1
                     LIMIT 1",
                    [spec],
                    |r| r.get(0),
                )
                .ok();
            match id {
                Some(id) => out.push(id),
                None => {
                    return Err(Error::NotFound(Missing::ExperimentNamedOrNumbered(
                        spec.clone(),
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The deleted runs and experiments deleted at or before `cutoff` (ms; all when `None`),
    /// in `experiments` (names or ids; all when empty).
    pub fn gc_plan(&self, cutoff: Option<i64>, experiments: &[String]) -> Result<GcPlan> {
        let only = self.experiment_ids(experiments)?;
        let cutoff = cutoff.unwrap_or(i64::MAX);
        let within = |exp: &str| only.is_empty() || only.iter().any(|i| i.to_string() == exp);
        let mut plan = GcPlan::default();
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {} FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
             WHERE r.lifecycle_stage = 'deleted' AND COALESCE(r.deleted_time, 0) <= ?1
             ORDER BY r.id",
            super::runs::INFO_COLUMNS
        ))?;
        let rows = stmt.query_map([cutoff], |row| self.run_from_row(row))?;
        for row in rows {
            let (_, run) = row?;
            if within(&run.info.experiment_id) {
                plan.runs.push(GcRun {
                    artifact_dir: local_path(&run.info.artifact_uri),
                    run_id: run.info.run_id,
                    experiment_id: run.info.experiment_id,
                });
            }
        }
        let mut stmt = self.conn().prepare(
            "SELECT experiment_id FROM experiments
             WHERE lifecycle_stage = 'deleted' AND last_update_time <= ?1 ORDER BY experiment_id",
        )?;
        let ids: Vec<i64> = stmt
            .query_map([cutoff], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            if !within(&id.to_string()) {
                continue;
            }
            let exp = self.experiment(&id.to_string())?;
            plan.experiments.push(GcExperiment {
                artifact_dir: local_path(&exp.artifact_location),
                experiment_id: exp.experiment_id,
                name: exp.name,
            });
        }
        Ok(plan)
    }

    /// Removes the rows of the plan's runs and experiments that are still deleted (one
    /// transaction per run, so that loggers wait briefly); an experiment goes only when none of
    /// its runs remain. Answers what was removed.
    pub fn purge(&mut self, plan: &GcPlan) -> Result<GcPlan> {
        let mut done = GcPlan::default();
        for run in &plan.runs {
            let gone = self.write(|tx| {
                let pk: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM runs WHERE run_uuid = ?1 AND lifecycle_stage = 'deleted'",
                        [&run.run_id],
                        |r| r.get(0),
                    )
                    .ok();
                let Some(pk) = pk else { return Ok(false) };
                for table in ["params", "tags", "metrics", "latest_metrics"] {
                    tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [pk])?;
                }
                tx.execute("DELETE FROM run_outputs WHERE run_uuid = ?1", [&run.run_id])?;
                tx.execute("DELETE FROM runs WHERE id = ?1", [pk])?;
                Ok(true)
            })?;
            if gone {
                done.runs.push(run.clone());
            }
        }
        for exp in &plan.experiments {
            let gone = self.write(|tx| {
                let id: i64 = exp.experiment_id.parse().unwrap_or(-1);
                let n = tx.execute(
                    "DELETE FROM experiments WHERE experiment_id = ?1 AND lifecycle_stage = 'deleted'
                       AND NOT EXISTS (SELECT 1 FROM runs WHERE experiment_id = ?1)",
                    [id],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                tx.execute("DELETE FROM experiment_tags WHERE experiment_id = ?1", [id])?;
                for table in ["logged_model_tags", "logged_model_params"] {
                    tx.execute(
                        &format!(
                            "DELETE FROM {table} WHERE model_id IN
                               (SELECT model_id FROM logged_models WHERE experiment_id = ?1)"
                        ),
                        [id],
                    )?;
                }
                tx.execute("DELETE FROM logged_models WHERE experiment_id = ?1", [id])?;
                Ok(true)
            })?;
            if gone {
                done.experiments.push(exp.clone());
            }
        }
        Ok(done)
    }

    /// Every run id in the store, deleted runs included.
    pub fn all_run_ids(&self) -> Result<HashSet<String>> {
        let mut stmt = self.conn().prepare("SELECT run_uuid FROM runs")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Every experiment id in the store, deleted experiments included.
    pub fn all_experiment_ids(&self) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT experiment_id FROM experiments")?;
        let ids = stmt
            .query_map([], |r| Ok(r.get::<_, i64>(0)?.to_string()))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Registry versions by (model, version) with whether each is deleted.
    pub fn version_rows(&self) -> Result<Vec<(String, i64, bool)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name, version, deleted FROM model_versions")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The size of the database file and its write-ahead log, in bytes.
    pub fn database_bytes(&self) -> u64 {
        let db = self.root().join(DB_FILE);
        let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        size(db.clone()) + size(PathBuf::from(format!("{}-wal", db.display())))
    }

    /// Compacts the database file (VACUUM, then a checkpoint that truncates the log), waiting
    /// while other processes write.
    pub fn compact(&mut self) -> Result<()> {
        let mut attempt = 0;
        loop {
            match self.conn().execute_batch("VACUUM") {
                Ok(()) => break,
                Err(e) if is_busy(&e) && attempt < 50 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Readers may hold the log; a partial checkpoint only delays the shrinking.
        let _ = self
            .conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(())
    }
}
