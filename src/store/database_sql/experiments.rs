//! Experiments: create, look up, list, rename, delete and restore (cascading to runs).
//!
//! Written once for both database stores: `postgres/experiments.rs` and `mysql/experiments.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `experiments` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::view_sql;
        use crate::store::{Error, Fix, Missing, Result};
        use crate::tracking::ids::now_ms;
        use crate::tracking::validation::validate_experiment_name;
        use crate::tracking::{Experiment, KeyValue, LifecycleStage, ViewType};

        pub(super) const COLUMNS: &str =
            "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time";

        impl $store {
            pub(super) fn experiment_from_row(&self, row: &Row) -> Experiment {
                let id: i64 = row.get(0);
                let location: Option<String> = row.get(2);
                Experiment {
                    experiment_id: id.to_string(),
                    name: row.get(1),
                    artifact_location: location.unwrap_or_else(|| {
                        self.artifact_root()
                            .join(id.to_string())
                            .display()
                            .to_string()
                    }),
                    lifecycle_stage: LifecycleStage::parse(&row.get::<_, String>(3)),
                    creation_time: row.get(4),
                    last_update_time: row.get(5),
                    tags: Vec::new(),
                }
            }

            pub(super) fn with_tags(&self, mut exp: Experiment) -> Result<Experiment> {
                let id: i64 = exp.experiment_id.parse().unwrap_or(-1);
                exp.tags = self
                    .client()
                    .query(
                        "SELECT key, value FROM experiment_tags WHERE experiment_id = $1 ORDER BY key",
                        &[&id],
                    )?
                    .iter()
                    .map(|r| KeyValue {
                        key: r.get(0),
                        value: r.get(1),
                    })
                    .collect();
                Ok(exp)
            }

            pub(super) fn experiment_where(
                &self,
                cond: &str,
                arg: &(dyn ToSql + Sync),
            ) -> Result<Option<Experiment>> {
                let row = self.client().query_opt(
                    &format!("SELECT {COLUMNS} FROM experiments WHERE {cond}"),
                    &[arg],
                )?;
                row.map(|r| self.with_tags(self.experiment_from_row(&r)))
                    .transpose()
            }

            /// Creates an experiment; names are unique among active and deleted experiments alike. The
            /// artifact location is fixed at creation (below the artifact root unless given).
            pub fn create_experiment(
                &self,
                name: &str,
                artifact_location: Option<&str>,
            ) -> Result<Experiment> {
                validate_experiment_name(name)?;
                let now = now_ms();
                let root = self.artifact_root().display().to_string();
                let id = self.write(|tx| {
                    let existing = tx.query_opt(
                        "SELECT lifecycle_stage FROM experiments WHERE name = $1",
                        &[&name],
                    )?;
                    if let Some(row) = existing {
                        let exists = Error::AlreadyExists(format!("experiment `{name}` already exists"));
                        return Err(if &row.get::<_, String>(0) == "deleted" {
                            exists.with_fix(Fix::RestoreExperiment {
                                id: None,
                                then_retry: false,
                            })
                        } else {
                            exists
                        });
                    }
                    let id = tx.insert_id(
                        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                         VALUES ($1, $2, 'active', $3, $3) RETURNING experiment_id",
                        &[&name, &artifact_location, &now],
                    )?;
                    if artifact_location.is_none() {
                        let location = format!("{}/{id}", root.trim_end_matches('/'));
                        tx.execute(
                            "UPDATE experiments SET artifact_location = $1 WHERE experiment_id = $2",
                            &[&location, &id],
                        )?;
                    }
                    Ok(id)
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
                self.experiment_where("experiment_id = $1", &num)
            }

            /// Resolves a name or an id: an exact name wins, then an id.
            pub fn find_experiment(&self, spec: &str) -> Result<Option<Experiment>> {
                match self.experiment_where("name = $1", &spec)? {
                    Some(e) => Ok(Some(e)),
                    None => self.find_experiment_by_id(spec),
                }
            }

            /// Experiments in id order.
            pub fn list_experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
                let sql = format!(
                    "SELECT {COLUMNS} FROM experiments WHERE {} ORDER BY experiment_id",
                    view_sql(view, "lifecycle_stage")
                );
                let rows = self.client().query(&sql, &[])?;
                rows.iter()
                    .map(|r| self.with_tags(self.experiment_from_row(r)))
                    .collect()
            }

            /// Renames an active experiment.
            pub fn rename_experiment(&self, id: &str, new_name: &str) -> Result<()> {
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
                let num: i64 = exp.experiment_id.parse().unwrap_or(-1);
                let now = now_ms();
                self.write(|tx| {
                    let taken = tx.query_opt(
                        "SELECT experiment_id FROM experiments WHERE name = $1",
                        &[&new_name],
                    )?;
                    if let Some(other) = taken
                        && other.get::<_, i64>(0) != num
                    {
                        return Err(Error::AlreadyExists(format!(
                            "experiment `{new_name}` already exists"
                        )));
                    }
                    tx.execute(
                        "UPDATE experiments SET name = $1, last_update_time = $2 WHERE experiment_id = $3",
                        &[&new_name, &now, &num],
                    )?;
                    Ok(())
                })
            }

            /// Soft-deletes an experiment and all its runs.
            pub fn delete_experiment(&self, id: &str) -> Result<()> {
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
            pub fn restore_experiment(&self, id: &str) -> Result<()> {
                let exp = self.experiment(id)?;
                if exp.lifecycle_stage == LifecycleStage::Active {
                    return Err(Error::InvalidState(format!(
                        "experiment `{}` is not deleted",
                        exp.name
                    )));
                }
                self.set_experiment_stage(&exp.experiment_id, LifecycleStage::Active)
            }

            fn set_experiment_stage(&self, id: &str, stage: LifecycleStage) -> Result<()> {
                let now = now_ms();
                let id: i64 = id.parse().unwrap_or(-1);
                let deleted_time = (stage == LifecycleStage::Deleted).then_some(now);
                self.write(|tx| {
                    tx.execute(
                        "UPDATE experiments SET lifecycle_stage = $1, last_update_time = $2 WHERE experiment_id = $3",
                        &[&stage.as_str(), &now, &id],
                    )?;
                    tx.execute(
                        "UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE experiment_id = $3",
                        &[&stage.as_str(), &deleted_time, &id],
                    )?;
                    Ok(())
                })
            }
        }
    };
}
pub(crate) use queries;
