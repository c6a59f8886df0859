//! What a tracking server needs beyond the command line: experiments paged and by name,
//! experiment tags, deleting run tags, renaming runs and models, and sampled metric points.
//!
//! Written once for both database stores: `postgres/extra.rs` and `mysql/extra.rs` expand
//! [`queries`] with their own client in scope (`GenericClient`, `Row`, `Transaction`);
//! the statements are PostgreSQL's, which the MySQL client translates (`mysql/sql.rs`).

/// The items of `extra` for the database store type `$store`.
macro_rules! queries {
    ($store:ident) => {
        use super::experiments::COLUMNS;
        use super::filter::{EXPERIMENTS, Fragment, Param, named_filter_sql};
        use super::runs::{deleted_run, metric_from, run_key};
        use crate::registry::validate_model_name;
        use crate::store::paging::{self, Page};
        use crate::store::{Act, Error, Missing, Result};
        use crate::tracking::validation::{KeyKind, validate_key, validate_run_name};
        use crate::tracking::{Experiment, LifecycleStage, Metric, ViewType, tags};

        impl $store {
            /// The experiment with exactly this name, if any.
            pub fn experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
                self.experiment_where("name = $1", &name)
            }

            /// One page of the experiments in `view` that match a filter on `name` and `tags.K`, by
            /// `order` (newest first unless told otherwise), then by id: at most `limit`, after the
            /// experiment `page_token` names.
            pub fn search_experiments(
                &self,
                view: ViewType,
                filter: Option<&crate::search::Expr>,
                order: Option<(crate::search::ExperimentKey, bool)>,
                limit: usize,
                page_token: Option<&str>,
            ) -> Result<Page<Experiment>> {
                use crate::search::ExperimentKey as K;
                let mut f = Fragment {
                    sql: format!(
                        "SELECT {COLUMNS} FROM experiments e WHERE {}",
                        super::view_sql(view, "e.lifecycle_stage")
                    ),
                    ..Default::default()
                };
                if let Some(e) = filter {
                    f.sql.push_str(" AND ");
                    named_filter_sql(e, &EXPERIMENTS, &mut f);
                }
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
                    let bad = || Error::Invalid(format!("Invalid page token '{t}'"));
                    let (value, id) = paging::text_key(t)?;
                    let id: i64 = id.parse().map_err(|_| bad())?;
                    let value = match key {
                        K::Name => Param::Text(value),
                        _ => Param::Int(value.parse::<i64>().map_err(|_| bad())?),
                    };
                    let (v1, i1) = (f.bind(value), f.bind(Param::Int(id)));
                    f.sql.push_str(&format!(
                        " AND ({column} {cmp} {v1} OR ({column} = {v1} AND e.experiment_id > {i1}))"
                    ));
                }
                let p = f.bind(Param::Int(limit.min(i64::MAX as usize - 1) as i64 + 1));
                f.sql.push_str(&format!(
                    " ORDER BY {column} {dir}, e.experiment_id ASC LIMIT {p}"
                ));
                let rows = self.client().query(&f.sql, &f.args())?;
                let exps: Vec<Experiment> = rows.iter().map(|r| self.experiment_from_row(r)).collect();
                let (exps, next) = paging::split_text(exps, limit, |e| {
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

            /// Sets or (with `None`) removes an experiment tag.
            pub fn set_experiment_tag(&self, id: &str, key: &str, value: Option<&str>) -> Result<()> {
                validate_key(KeyKind::Tag, key)?;
                let exp = self.experiment(id)?;
                let id: i64 = exp.experiment_id.parse().unwrap_or(-1);
                self.write(|tx| {
                    match value {
                        Some(v) => tx.execute(
                            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3)
                             ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                            &[&id, &key, &v],
                        )?,
                        None => tx.execute(
                            "DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2",
                            &[&id, &key],
                        )?,
                    };
                    Ok(())
                })
            }

            /// Removes a run tag; a missing tag is not-found.
            pub fn delete_run_tag(&self, uuid: &str, key: &str) -> Result<()> {
                self.write(|tx| {
                    let (pk, stage) = run_key(tx, uuid)?;
                    if stage == LifecycleStage::Deleted {
                        return Err(deleted_run(uuid));
                    }
                    if tx.execute(
                        "DELETE FROM tags WHERE run_id = $1 AND key = $2",
                        &[&pk, &key],
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
            pub fn rename_run(&self, uuid: &str, name: &str) -> Result<()> {
                validate_run_name(name)?;
                self.write(|tx| {
                    let (pk, _) = run_key(tx, uuid)?;
                    tx.execute("UPDATE runs SET name = $1 WHERE id = $2", &[&name, &pk])?;
                    tx.execute(
                        "INSERT INTO tags (run_id, key, value) VALUES ($1, $2, $3)
                         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                        &[&pk, &tags::RUN_NAME, &name],
                    )?;
                    Ok(())
                })
            }

            /// Renames a registered model (and its versions, aliases, tags, requests).
            pub fn rename_model(&self, name: &str, new_name: &str, act: &Act) -> Result<()> {
                validate_model_name(new_name)?;
                self.model(name)?;
                self.write(|tx| {
                    if super::registry::model_exists(tx, new_name)? {
                        return Err(Error::AlreadyExists(format!(
                            "registered model `{new_name}` already exists"
                        )));
                    }
                    for table in [
                        "registered_models",
                        "registered_model_tags",
                        "registered_model_aliases",
                        "model_versions",
                        "model_version_tags",
                        "transition_requests",
                    ] {
                        tx.execute(
                            &format!("UPDATE {table} SET name = $1 WHERE name = $2"),
                            &[&new_name, &name],
                        )?;
                    }
                    super::registry::record(
                        tx,
                        new_name,
                        None,
                        "rename",
                        Some(name),
                        Some(new_name),
                        act,
                    )
                })
            }

            /// Some points of a metric of a run, optionally only those with a step in `steps`
            /// (inclusive), ordered by step, timestamp, value (a NaN as 0), then NaN last. `pick` is
            /// given how many points there are and answers the positions to keep, in ascending
            /// order. An unknown run has no points.
            pub fn metric_points_at(
                &self,
                uuid: &str,
                key: &str,
                steps: Option<(i64, i64)>,
                pick: impl FnOnce(usize) -> Vec<usize>,
            ) -> Result<Vec<Metric>> {
                let (low, high) = steps.unzip();
                let rows = self.client().query(
                    "SELECT m.key, m.value, m.timestamp, m.step, m.is_nan
                     FROM metrics m JOIN runs r ON r.id = m.run_id
                     WHERE r.run_uuid = $1 AND m.key = $2
                       AND ($3::BIGINT IS NULL OR m.step >= $3) AND ($4::BIGINT IS NULL OR m.step <= $4)
                     ORDER BY m.step, m.timestamp, m.value, m.is_nan",
                    &[&uuid, &key, &low, &high],
                )?;
                Ok(pick(rows.len())
                    .into_iter()
                    .filter_map(|i| rows.get(i).map(|r| metric_from(r, 0)))
                    .collect())
            }

            /// The points of a metric of several runs, with each point's run id, ordered by run id,
            /// timestamp, step, value (a NaN as 0), then NaN last; at most `limit`.
            pub fn metric_points_of_runs(
                &self,
                uuids: &[String],
                key: &str,
                limit: usize,
            ) -> Result<Vec<(String, Metric)>> {
                if uuids.is_empty() || limit == 0 {
                    return Ok(Vec::new());
                }
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let rows = self.client().query(
                    "SELECT m.key, m.value, m.timestamp, m.step, m.is_nan, r.run_uuid
                     FROM metrics m JOIN runs r ON r.id = m.run_id
                     WHERE m.key = $1 AND r.run_uuid = ANY($2)
                     ORDER BY r.run_uuid, m.timestamp, m.step, m.value, m.is_nan
                     LIMIT $3",
                    &[&key, &uuids, &limit],
                )?;
                Ok(rows.iter().map(|r| (r.get(5), metric_from(r, 0))).collect())
            }
        }
    };
}
pub(crate) use queries;
