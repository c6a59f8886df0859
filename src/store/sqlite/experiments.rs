//! Experiments: create, look up, list, rename, delete and restore (cascading to runs).

use rusqlite::{OptionalExtension, Row, params};

use super::Store;
use crate::store::{Error, Fix, Missing, Result};
use crate::tracking::ids::now_ms;
use crate::tracking::validation::validate_experiment_name;
use crate::tracking::{Experiment, KeyValue, LifecycleStage, ViewType};

const COLUMNS: &str =
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time";

impl Store {
    fn experiment_from_row(&self, row: &Row) -> rusqlite::Result<Experiment> {
        let id: i64 = row.get(0)?;
        let location: Option<String> = row.get(2)?;
        Ok(Experiment {
            experiment_id: id.to_string(),
            name: row.get(1)?,
            artifact_location: location.unwrap_or_else(|| {
                self.artifact_root()
                    .join(id.to_string())
                    .display()
                    .to_string()
            }),
            lifecycle_stage: LifecycleStage::parse(&row.get::<_, String>(3)?),
            creation_time: row.get(4)?,
            last_update_time: row.get(5)?,
            tags: Vec::new(),
        })
    }

    fn with_tags(&self, mut exp: Experiment) -> Result<Experiment> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 ORDER BY key",
        )?;
        exp.tags = stmt
            .query_map([&exp.experiment_id], |r| {
                Ok(KeyValue {
                    key: r.get(0)?,
                    value: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(exp)
    }

    /// Creates an experiment; names are unique among active and deleted experiments alike.
    pub fn create_experiment(
        &mut self,
        name: &str,
        artifact_location: Option<&str>,
    ) -> Result<Experiment> {
        validate_experiment_name(name)?;
        let now = now_ms();
        let id = self.write(|tx| {
            let existing: Option<String> = tx
                .query_row("SELECT lifecycle_stage FROM experiments WHERE name = ?1", [name], |r| r.get(0))
                .optional()?;
            if let Some(stage) = existing {
                let exists = Error::AlreadyExists(format!("experiment `{name}` already exists"));
                return Err(if stage == "deleted" {
                    exists.with_fix(Fix::RestoreExperiment { id: None, then_retry: false })
                } else {
                    exists
                });
            }
            tx.execute(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                 VALUES (?1, ?2, 'active', ?3, ?3)",
                params![name, artifact_location, now],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        self.experiment(&id.to_string())
    }

    /// The experiment with this id, active or deleted.
    pub fn experiment(&self, id: &str) -> Result<Experiment> {
        self.find_experiment_by_id(id)?
            .ok_or_else(|| Error::NotFound(Missing::Experiment(id.to_string())))
    }

    /// The experiment with this id, if any.
    pub fn find_experiment_by_id(&self, id: &str) -> Result<Option<Experiment>> {
        let Ok(num) = id.parse::<i64>() else {
            return Ok(None);
        };
        let exp = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM experiments WHERE experiment_id = ?1"),
                [num],
                |r| self.experiment_from_row(r),
            )
            .optional()?;
        exp.map(|e| self.with_tags(e)).transpose()
    }

    /// The experiment with this name, active or deleted.
    pub fn experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        let exp = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM experiments WHERE name = ?1"),
                [name],
                |r| self.experiment_from_row(r),
            )
            .optional()?;
        exp.map(|e| self.with_tags(e)).transpose()
    }

    /// Resolves a name or an id: an exact name wins, then an id.
    pub fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
        match self.experiment_by_name(spec)? {
            Some(e) => Ok(Some(e)),
            None => self.find_experiment_by_id(spec),
        }
    }

    /// Like `find_experiment`, with a not-found error naming the value.
    pub fn resolve_experiment(&self, spec: &str) -> Result<Experiment> {
        self.find_experiment(spec)?
            .ok_or_else(|| Error::NotFound(Missing::ExperimentNamed(spec.to_string())))
    }

    /// Experiments in id order.
    pub fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM experiments WHERE {} ORDER BY experiment_id",
            view.sql("lifecycle_stage")
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let exps = stmt
            .query_map([], |r| self.experiment_from_row(r))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        exps.into_iter().map(|e| self.with_tags(e)).collect()
    }

    /// One page of the experiments in `view` that match a filter on `name` and `tags.K` (the
    /// registered-model grammar), newest first, then by id: at most `limit`, after the
    /// experiment `page_token` names.
    pub fn search_experiments(
        &self,
        view: ViewType,
        filter: Option<&crate::search::Expr>,
        order: Option<(crate::search::ExperimentKey, bool)>,
        limit: usize,
        page_token: Option<&str>,
    ) -> Result<crate::store::paging::Page<Experiment>> {
        use crate::search::ExperimentKey as K;
        let mut sql = format!(
            "SELECT {COLUMNS} FROM experiments e WHERE {}",
            view.sql("e.lifecycle_stage")
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(f) = filter {
            sql.push_str(" AND ");
            super::filter::named_filter_sql(f, &super::filter::EXPERIMENTS, &mut sql, &mut values);
        }
        // Newest first unless told otherwise; the id breaks ties, and the page token names
        // the last row's (key, id).
        let (key, ascending) = order.unwrap_or((K::CreationTime, false));
        let column = match key {
            K::Name => "e.name",
            K::ExperimentId => "e.experiment_id",
            K::CreationTime => "e.creation_time",
            K::LastUpdateTime => "e.last_update_time",
        };
        let (cmp, dir) = if ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some(t) = page_token {
            let (value, id) = crate::store::paging::text_key(t)?;
            let id: i64 = id
                .parse()
                .map_err(|_| Error::Invalid(format!("Invalid page token '{t}'")))?;
            let value: rusqlite::types::Value = match key {
                K::Name => value.into(),
                _ => value
                    .parse::<i64>()
                    .map_err(|_| Error::Invalid(format!("Invalid page token '{t}'")))?
                    .into(),
            };
            sql.push_str(&format!(
                " AND ({column} {cmp} ? OR ({column} = ? AND e.experiment_id > ?))"
            ));
            values.extend([value.clone(), value, id.into()]);
        }
        sql.push_str(&format!(
            " ORDER BY {column} {dir}, e.experiment_id ASC LIMIT ?"
        ));
        values.push((limit.min(i64::MAX as usize - 1) as i64 + 1).into());
        let mut stmt = self.conn().prepare(&sql)?;
        let exps = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                self.experiment_from_row(r)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (exps, next) = crate::store::paging::split_text(exps, limit, |e| {
            let value = match key {
                K::Name => e.name.clone(),
                K::ExperimentId => e.experiment_id.clone(),
                K::CreationTime => e.creation_time.to_string(),
                K::LastUpdateTime => e.last_update_time.to_string(),
            };
            (value, e.experiment_id.clone())
        });
        let exps = exps
            .into_iter()
            .map(|e| self.with_tags(e))
            .collect::<Result<_>>()?;
        Ok((exps, next))
    }

    /// Renames an active experiment.
    pub fn rename_experiment(&mut self, id: &str, new_name: &str) -> Result<()> {
        validate_experiment_name(new_name)?;
        let exp = self.experiment(id)?;
        if exp.lifecycle_stage == LifecycleStage::Deleted {
            return Err(
                Error::InvalidState(format!("experiment `{}` is deleted", exp.name)).with_fix(
                    Fix::RestoreExperiment {
                        id: Some(exp.experiment_id),
                        then_retry: true,
                    },
                ),
            );
        }
        let now = now_ms();
        self.write(|tx| {
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1",
                    [new_name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = taken {
                if other.to_string() != exp.experiment_id {
                    return Err(Error::AlreadyExists(format!(
                        "experiment `{new_name}` already exists"
                    )));
                }
            }
            tx.execute(
                "UPDATE experiments SET name = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
                params![new_name, now, exp.experiment_id],
            )?;
            Ok(())
        })
    }

    /// Soft-deletes an experiment and all its runs.
    pub fn delete_experiment(&mut self, id: &str) -> Result<()> {
        let exp = self.experiment(id)?;
        if exp.experiment_id == "0" {
            return Err(Error::Invalid(
                "the Default experiment (id `0`) cannot be deleted".into(),
            ));
        }
        if exp.lifecycle_stage == LifecycleStage::Deleted {
            return Err(Error::InvalidState(format!(
                "experiment `{}` is already deleted",
                exp.name
            )));
        }
        self.set_experiment_stage(&exp.experiment_id, LifecycleStage::Deleted)
    }

    /// Restores a deleted experiment and all its runs.
    pub fn restore_experiment(&mut self, id: &str) -> Result<()> {
        let exp = self.experiment(id)?;
        if exp.lifecycle_stage == LifecycleStage::Active {
            return Err(Error::InvalidState(format!(
                "experiment `{}` is not deleted",
                exp.name
            )));
        }
        self.set_experiment_stage(&exp.experiment_id, LifecycleStage::Active)
    }

    fn set_experiment_stage(&mut self, id: &str, stage: LifecycleStage) -> Result<()> {
        let now = now_ms();
        let deleted_time = (stage == LifecycleStage::Deleted).then_some(now);
        self.write(|tx| {
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
                params![stage.as_str(), now, id],
            )?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?1, deleted_time = ?2 WHERE experiment_id = ?3",
                params![stage.as_str(), deleted_time, id],
            )?;
            Ok(())
        })
    }
}
